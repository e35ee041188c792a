import Store

/// Checkpoints: how often workers save them, which epochs a trial pauses at, uploads and
/// fetches, and PBT's copies.
extension CoordinatorCore {
    /// Removes model files the last committed batch stopped recording, and writes (or
    /// removes) the checkpoints it accepted (or dropped).
    func removeDroppedArtifacts() {
        models.removeDropped()
        for (t, error) in checkpoints.flush() {
            counters.checkpointsUnwritten += 1
            checkpointWarnings.append((t, "checkpoint of trial \(t) not kept: \(error)"))
        }
    }

    /// Epochs between checkpoints that workers are asked for (0 when none can be kept).
    var checkpointEvery: Int {
        guard checkpoints.enabled && definition.task != .synthetic else { return 0 }
        return pausing?.checkpointEvery(definition.retry.checkpointEvery) ?? definition.retry.checkpointEvery
    }

    /// Epochs whose checkpoints workers always send: where trials pause.
    var pauseEpochs: [Int] {
        guard checkpoints.enabled && definition.task != .synthetic else { return [] }
        return pausing?.pauseEpochs(below: maxEpochs) ?? []
    }

    /// Answers a part of a large checkpoint (kept as it comes) or a request for a chunk of
    /// the one an attempt resumes from; only for the worker that holds the trial's lease.
    func answer(_ request: CheckpointTransfer.Request, from worker: String, now: Double) -> CheckpointTransfer.Reply {
        switch request {
        case .part(let p):
            guard trials.lease(p.trial, attempt: p.attempt, worker: worker) != nil else {
                return .ack(.init(trial: p.trial, attempt: p.attempt, epoch: p.epoch, received: 0, refused: "trial \(p.trial) (attempt \(p.attempt)) is not leased to this worker"))
            }
            // No report past the study's epochs is taken, nor its checkpoint.
            guard p.epoch <= maxEpochs else {
                return .ack(.init(trial: p.trial, attempt: p.attempt, epoch: p.epoch, received: 0, refused: "epoch \(p.epoch) is past the study's \(maxEpochs)"))
            }
            return .ack(checkpoints.receive(p, now: now))
        case .fetch(let f):
            let size = checkpoints.entries[f.trial]?.bytes ?? 0
            guard trials.lease(f.trial, attempt: f.attempt, worker: worker) != nil else {
                // (Not the size of a checkpoint that is not this worker's.)
                return .chunk(.init(trial: f.trial, attempt: f.attempt, offset: f.offset, total: 0, bytes: [], refused: "trial \(f.trial) (attempt \(f.attempt)) is not leased to this worker"))
            }
            guard let bytes = checkpoints.chunk(trial: f.trial, offset: f.offset, count: CheckpointTransfer.partBytes) else {
                return .chunk(.init(trial: f.trial, attempt: f.attempt, offset: f.offset, total: size, bytes: [], refused: "no checkpoint of trial \(f.trial) has byte \(f.offset)"))
            }
            return .chunk(.init(trial: f.trial, attempt: f.attempt, offset: f.offset, total: size, bytes: bytes))
        }
    }

    /// Offers a checkpoint (a report's, or a PBT member's copy); nil, or why it is not kept
    /// (said in the events and counted).
    func keepCheckpoint(_ bytes: [UInt8], trial: Int, epoch: Int) -> String? {
        switch checkpoints.offer(trial: trial, epoch: epoch, bytes: bytes) {
        case nil, .disabled?:
            return nil
        case .overCap?:
            counters.checkpointsRefused += 1
            let why = "the checkpoints of running trials would take more than \(checkpoints.capBytes) bytes (--checkpoint-limit)"
            // Said once per run: the cap stays full until trials end.
            if counters.checkpointsRefused == 1 {
                checkpointWarnings.append((trial, "checkpoint of trial \(trial) after epoch \(epoch) (\(bytes.count) bytes) not kept: \(why); trials keep their older checkpoints"))
            }
            return why
        case .cannotWrite(let why)?:
            counters.checkpointsUnwritten += 1
            checkpointWarnings.append((trial, "checkpoint of trial \(trial) after epoch \(epoch) (\(bytes.count) bytes) not kept: \(why); the trial keeps its older checkpoint"))
            return why
        }
    }

    /// Records the warnings about checkpoints not kept since the last batch.
    func recordCheckpointWarnings(now: Double, tx: StoreTransaction) throws {
        for (t, epoch) in checkpoints.takeDamaged() {
            let which = epoch > 0 ? "the checkpoint of trial \(t) after epoch \(epoch) is damaged or gone (its checksum does not match)"
                : "the stored checkpoint of trial \(t) is damaged (its header or size is wrong)"
            checkpointWarnings.append((t, "\(which): dropped, and the trial starts over from epoch 1"))
        }
        for (t, message) in checkpointWarnings {
            try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: t, message: message, at: now)
        }
        checkpointWarnings.removeAll()
    }

    /// Makes `source`'s latest checkpoint `member`'s (PBT's exploit), so that `member`
    /// continues from it when next leased; returns that checkpoint's epoch, or nil when
    /// `source` has none (or the cap leaves no room for the copy).
    func copyCheckpoint(from source: Int, to member: Int, now: Double, tx: StoreTransaction) throws -> Int? {
        if checkpoints.isLarge(trial: source) { return checkpoints.copyLarge(from: source, to: member) }
        guard let latest = checkpoints.latest(trial: source), keepCheckpoint(latest.bytes, trial: member, epoch: latest.epoch) == nil else {
            return nil
        }
        return latest.epoch
    }
}
