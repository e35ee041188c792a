import Foundation
import SweepSupport
import ZeroMQ

/// One trial's conversation with the network thread, as the trial kinds see it: send a
/// report, learn the coordinator's decision, notice a cancel or a stop request.
///
/// It lives on the runner thread with the runner's end of the inproc link.
final class TrialSession: DataChannel {
    let assign: CoordinatorMessage.Assign
    var ref: TrialRef { TrialRef(trial: assign.trial, attempt: assign.attempt) }
    /// The last epoch the trial may report (the spec's epochs, capped by the budget).
    let lastEpoch: Int
    /// The coordinator decided to prune the trial.
    private(set) var pruned = false
    private(set) var pruneReason = ""
    /// The lease was taken away (the trial runs elsewhere now).
    private(set) var cancelled = false
    /// Decisions received, by epoch (true: prune).
    private(set) var decisions: [Int: Bool] = [:]
    /// Epochs of the reports sent and not yet decided, oldest first (a decision about epoch
    /// E answers every report up to E: they are handled in order; one left unanswered, a
    /// stale or malformed one, is then given up on).
    private var undecided: [Int] = []
    private var undecidedStart = 0
    /// When the last decision came (or the first report of a run of them went).
    private var lastDecisionAt = Date().timeIntervalSince1970
    /// Reports a trial may have in flight before its program's next ones wait in their
    /// pipe: a program writing 50,000 epochs in 4 s filled the queues between the worker and
    /// the coordinator (10,000 and 1,000 messages), the overflow was dropped, and the trial
    /// waited for its last reports and result for good. Well below both queues.
    static let maxReportsInFlight = 256
    /// How long reports wait for decisions before the next ones go anyway (a decision that
    /// never comes must not stop the trial: the core sends its reports again on reconnect).
    static let inFlightPatienceSeconds = 10.0
    /// Data-transfer answers not yet taken by ``nextDataReply(timeoutSeconds:)``.
    private var dataReplies: [DataReply] = []
    /// Answers about this trial's large checkpoint not yet taken (``upload(_:epoch:)``, ``download(bytes:)``).
    private var checkpointReplies: [CheckpointTransfer.Reply] = []
    /// How often the coordinator restarted (asked who this worker is) during the trial.
    private var coordinatorRestarts = 0
    /// Checkpoint bytes the trial may send now: refilled at ``checkpointBytesPerSecond`` up
    /// to one second's worth, spent by each checkpoint sent (negative after a large one).
    private var checkpointAllowance = TrialSession.checkpointBytesPerSecond
    private var allowanceRefilledAt = Date().timeIntervalSince1970
    /// Checkpoints a trial sends at most, on average: a quarter of what the coordinator lets
    /// one connection send (64 MiB/s): a 9 MiB checkpoint after every 70 ms epoch got the
    /// worker disconnected again and again. A due checkpoint is skipped until it fits; a
    /// later one carries the newer state.
    static let checkpointBytesPerSecond = 16.0 * 1024 * 1024

    private let link: Socket
    private let mailbox: RunnerLink
    private let flags: RunnerFlags
    private let decisionWait: Double
    private let connected: AtomicFlag
    private let log: Log

    /// Whether the coordinator takes checkpoints in parts (set from its `welcome`).
    private let checkpointParts: AtomicFlag

    init(assign: CoordinatorMessage.Assign, link: Socket, mailbox: RunnerLink, flags: RunnerFlags, decisionWait: Double, connected: AtomicFlag,
         checkpointParts: AtomicFlag = AtomicFlag(), log: Log) {
        self.checkpointParts = checkpointParts
        self.assign = assign
        self.lastEpoch = min(assign.spec.epochs, assign.maxEpochs)
        self.link = link
        self.mailbox = mailbox
        self.flags = flags
        self.decisionWait = decisionWait
        self.connected = connected
        self.log = log
    }

    /// The worker is stopping (SIGTERM): finish the epoch, then hand the trial back.
    var stopRequested: Bool { flags.stopAfterEpoch || flags.quit }
    /// Asked to stop at once: a program gets no kill grace.
    var stopNowRequested: Bool { flags.stopNow }
    /// Whether the trial should end now.
    var shouldEnd: Bool { pruned || cancelled || stopRequested }

    /// Sends one epoch's report to the coordinator (without waiting), with the trial's
    /// checkpoint after that epoch when one is due.
    func send(epoch: Int, metrics: [String: Double], seconds: Double?, checkpoint: [UInt8]? = nil, checkpointSkipped: String? = nil,
              checkpointParts: Int? = nil) {
        if let checkpoint { checkpointAllowance -= Double(checkpoint.count) }
        if let checkpointParts { checkpointAllowance -= Double(checkpointParts) }
        var report = reportMessage(epoch: epoch, metrics: metrics, seconds: seconds, checkpoint: checkpoint)
        report.checkpointSkipped = checkpointSkipped
        report.checkpointParts = checkpointParts
        if undecidedStart == undecided.count { lastDecisionAt = Date().timeIntervalSince1970 } // waiting starts now
        undecided.append(epoch)
        mailbox.send(.forward(.report(report)), waking: link)
    }

    /// Whether the trial's program may send more reports now: fewer than
    /// ``maxReportsInFlight`` await their decision, or none came for ``inFlightPatienceSeconds``.
    /// (Once the trial is ending, its last reports are read at once: no decision is awaited.)
    var takesReports: Bool {
        shouldEnd || undecided.count - undecidedStart < Self.maxReportsInFlight
            || Date().timeIntervalSince1970 - lastDecisionAt > Self.inFlightPatienceSeconds
    }

    /// A decision about `epoch` arrived: it and the reports before it are answered.
    private func decided(_ epoch: Int) {
        while undecidedStart < undecided.count, undecided[undecidedStart] <= epoch { undecidedStart += 1 }
        if undecidedStart > 4096, undecidedStart * 2 > undecided.count { // (keeps the array small)
            undecided.removeFirst(undecidedStart)
            undecidedStart = 0
        }
        lastDecisionAt = Date().timeIntervalSince1970
    }

    private func reportMessage(epoch: Int, metrics: [String: Double], seconds: Double?, checkpoint: [UInt8]? = nil) -> WorkerMessage.Report {
        let finite = metrics.filter { $0.value.isFinite }
        return .init(trial: assign.trial, attempt: assign.attempt, epoch: epoch, value: finite[assign.metric], metrics: finite,
                     seconds: seconds, checkpoint: checkpoint)
    }

    /// Whether `epoch` is one the coordinator asked a checkpoint after (rate aside).
    func checkpointWanted(after epoch: Int) -> Bool {
        epoch < lastEpoch && (assign.checkpointEvery > 0 && epoch % assign.checkpointEvery == 0 || assign.pauseEpochs.contains(epoch))
    }

    /// Reports one epoch and waits (bounded) for the answer; true to keep going.
    ///
    /// After the last epoch there is nothing to decide and the trial's outcome follows at
    /// once (``TrialRunner`` always sends one, with a wake-up), so that report is queued
    /// without waking the network thread, as ``WorkerCore/RunnerEvent/lastReport(_:)``:
    /// the network thread puts it inside the `result` when the coordinator takes it there
    /// (one message per trial less), else sends it just before. (Only for the kinds that
    /// call this; a command trial's program may run on after its last report, so its
    /// reports go out at once through ``send(epoch:metrics:seconds:checkpoint:)``.)
    func report(epoch: Int, metrics: [String: Double], seconds: Double, checkpoint: [UInt8]? = nil) -> Bool {
        guard epoch < lastEpoch else {
            mailbox.queue(.lastReport(reportMessage(epoch: epoch, metrics: metrics, seconds: seconds)))
            return !shouldEnd
        }
        guard let carried = carry(checkpoint, epoch: epoch) else { return false }
        if let why = carried.skipped { log.warning("trial \(assign.trial): the checkpoint after epoch \(epoch) was not sent: \(why)") }
        send(epoch: epoch, metrics: metrics, seconds: seconds, checkpoint: carried.attached, checkpointSkipped: carried.skipped, checkpointParts: carried.parts)
        waitForDecision(epoch: epoch)
        return !shouldEnd
    }

    /// Whether the coordinator wants a checkpoint after `epoch` (never after the last one:
    /// the trial ends there), and the trial's checkpoint rate allows one now.
    func checkpointDue(after epoch: Int) -> Bool {
        guard checkpointWanted(after: epoch) else { return false }
        let now = Date().timeIntervalSince1970
        checkpointAllowance = min(Self.checkpointBytesPerSecond, checkpointAllowance + (now - allowanceRefilledAt) * Self.checkpointBytesPerSecond)
        allowanceRefilledAt = now
        // A pause's checkpoint is never skipped for the rate: the trial pauses only with it.
        return checkpointAllowance > 0 || assign.pauseEpochs.contains(epoch)
    }

    /// How long to wait for a decision: while the coordinator is away, not at all
    /// (training goes on; a decision or cancel is applied when it comes).
    var decisionDeadline: Double { Date().timeIntervalSince1970 + (connected.isSet ? decisionWait : 0) }

    /// Waits for the decision about `epoch`, handling anything else that arrives meanwhile.
    func waitForDecision(epoch: Int) {
        let deadline = decisionDeadline
        while !shouldEnd && decisions[epoch] == nil {
            let left = deadline - Date().timeIntervalSince1970
            if left <= 0 { return } // no answer in time (or no coordinator): keep going
            _ = poll(fileDescriptors: [], timeoutMilliseconds: max(1, Int(left * 1000)))
        }
    }

    // MARK: Large checkpoints

    /// How a report carries `checkpoint`: attached, or, too large for one message, sent
    /// ahead in parts (`parts`), or not at all (`skipped` says why). Nil when a stop came
    /// while it was sent: the trial is handed back and runs this epoch again from its last
    /// checkpoint, so the epoch is not reported (its report read as a pause the trial went
    /// on past).
    func carry(_ checkpoint: [UInt8]?, epoch: Int) -> (attached: [UInt8]?, parts: Int?, skipped: String?)? {
        guard let c = checkpoint, c.count > CheckpointTransfer.singleFrameBytes else { return (checkpoint, nil, nil) }
        guard let why = upload(c, epoch: epoch) else { return (nil, c.count, nil) }
        if stopRequested { return nil }
        return (nil, nil, "\(why) (\(c.count) bytes)")
    }

    /// Sends `archive`, the checkpoint after `epoch`, to the coordinator in parts
    /// (``CheckpointTransfer``): nil once the coordinator holds all of it, else why not (the
    /// report then goes without it, and says why).
    func upload(_ archive: [UInt8], epoch: Int) -> String? {
        // Not waited for while no coordinator answers (training goes on), nor sent to one
        // that would not take it (an older version).
        guard connected.isSet else { return "the coordinator was away" }
        guard checkpointParts.isSet else { return "the coordinator takes no checkpoint over \(CheckpointTransfer.singleFrameBytes >> 20) MiB (an older version)" }
        let size = CheckpointTransfer.partBytes, window = CheckpointTransfer.window * size
        let rate = Double(CheckpointTransfer.bytesPerSecond)
        var sent = 0, held = 0
        // At most one part's worth saved up: a burst after a stall went over the connection's limit.
        var allowance = Double(size), refilledAt = Date().timeIntervalSince1970
        var answerBy = refilledAt + CheckpointTransfer.answerSeconds
        checkpointReplies.removeAll()
        // Restarts already told (during the epoch, before the worker said hello again) are
        // not this upload's: the coordinator now knows the worker and takes its parts.
        drainLink()
        let restartsBefore = coordinatorRestarts
        while held < archive.count {
            if shouldEnd { return "the trial ended while its checkpoint was sent" }
            // A restarted coordinator knows nothing of this upload and answers none of its
            // parts: waiting out the silence stopped training for 30 s.
            if coordinatorRestarts != restartsBefore { return "the coordinator restarted while the checkpoint was sent" }
            let now = Date().timeIntervalSince1970
            allowance = min(Double(size), allowance + (now - refilledAt) * rate)
            refilledAt = now
            var wait = answerBy - now
            if sent < archive.count && sent - held < window {
                let end = min(archive.count, sent + size)
                if allowance >= Double(end - sent) {
                    let part = CheckpointTransfer.Part(trial: assign.trial, attempt: assign.attempt, epoch: epoch, offset: sent, total: archive.count,
                                                       bytes: Array(archive[sent..<end]))
                    mailbox.send(.forward(.checkpoint(.part(part))), waking: link)
                    allowance -= Double(end - sent)
                    sent = end
                    continue
                }
                wait = min(wait, (Double(end - sent) - allowance) / rate)
            }
            if wait <= 0 && now >= answerBy { return "no answer from the coordinator for \(Int(CheckpointTransfer.answerSeconds)) s while the checkpoint was sent" }
            _ = poll(fileDescriptors: [], timeoutMilliseconds: max(1, Int(wait * 1000)))
            while !checkpointReplies.isEmpty {
                guard case .ack(let a) = checkpointReplies.removeFirst(), a.trial == assign.trial, a.attempt == assign.attempt, a.epoch == epoch else { continue }
                if let why = a.refused { return "the coordinator did not take the checkpoint: \(why)" }
                if a.received > held {
                    held = a.received
                    answerBy = Date().timeIntervalSince1970 + CheckpointTransfer.answerSeconds
                }
            }
        }
        return nil
    }

    /// The checkpoint a resumed attempt starts from: attached to the assignment, or, a large
    /// one, fetched in chunks and checked (nil: the attempt starts afresh).
    func resumeCheckpoint() throws(CheckpointFetchError) -> ArraySlice<UInt8>? {
        guard let resume = assign.resume else { return nil }
        guard let parts = resume.parts else { return resume.checkpoint[...] }
        switch download(bytes: parts) {
        case .failure(let e):
            throw CheckpointFetchError(reason: "the checkpoint to resume from (\(parts) bytes) could not be fetched: \(e.reason)")
        case .success(let file):
            guard let stored = CheckpointKeeper.payload(file), stored.epoch == resume.epoch else {
                throw CheckpointFetchError(reason: "the checkpoint fetched to resume from (\(parts) bytes) is damaged (its checksum or epoch does not match)", damaged: true)
            }
            return stored.bytes
        }
    }

    /// Fetches the stored checkpoint file of `bytes` bytes a resumed attempt continues from
    /// (``CheckpointTransfer``), or says why it could not.
    func download(bytes total: Int) -> Result<[UInt8], CheckpointFetchError> {
        let size = CheckpointTransfer.partBytes
        var file: [UInt8] = []
        file.reserveCapacity(total)
        var requested = 0
        var early: [Int: [UInt8]] = [:]
        // A reconnect drops requests unanswered: after a silence the missing ones are asked
        // again, a few times, before the fetch is given up.
        let silence = CheckpointTransfer.answerSeconds / 3
        var answerBy = Date().timeIntervalSince1970 + silence, asksLeft = 3
        checkpointReplies.removeAll()
        /// Asks again for every chunk requested and not yet here.
        func askAgain() {
            for offset in stride(from: file.count, to: requested, by: size) where early[offset] == nil {
                mailbox.send(.forward(.checkpoint(.fetch(.init(trial: assign.trial, attempt: assign.attempt, offset: offset)))), waking: link)
            }
        }
        drainLink()
        var restartsSeen = coordinatorRestarts
        while file.count < total {
            if shouldEnd { return .failure(.init(reason: "the trial ended while its checkpoint was fetched")) }
            while requested < total && requested - file.count < CheckpointTransfer.window * size {
                mailbox.send(.forward(.checkpoint(.fetch(.init(trial: assign.trial, attempt: assign.attempt, offset: requested)))), waking: link)
                requested += size
            }
            let left = answerBy - Date().timeIntervalSince1970
            if left <= 0 {
                guard asksLeft > 0 else { return .failure(.init(reason: "no answer from the coordinator for \(Int(CheckpointTransfer.answerSeconds)) s while the checkpoint was fetched")) }
                asksLeft -= 1
                askAgain()
                answerBy = Date().timeIntervalSince1970 + silence
                continue
            }
            _ = poll(fileDescriptors: [], timeoutMilliseconds: max(1, Int(left * 1000)))
            // The coordinator restarted: what it was asked went with it. Asked again at once
            // (after the worker's hello, which went first), not after a silence.
            if coordinatorRestarts != restartsSeen {
                restartsSeen = coordinatorRestarts
                askAgain()
                answerBy = Date().timeIntervalSince1970 + silence
            }
            while !checkpointReplies.isEmpty {
                guard case .chunk(let c) = checkpointReplies.removeFirst(), c.trial == assign.trial, c.attempt == assign.attempt else { continue }
                if let why = c.refused { return .failure(.init(reason: why)) }
                if c.offset < file.count { continue } // an answer to a request asked twice
                guard c.total == total, c.offset % size == 0, c.bytes.count == min(size, total - c.offset) else {
                    return .failure(.init(reason: "a chunk at byte \(c.offset) does not fit the checkpoint of \(total) bytes"))
                }
                early[c.offset] = c.bytes
                answerBy = Date().timeIntervalSince1970 + silence
            }
            while let next = early.removeValue(forKey: file.count) { file += next }
        }
        return .success(file)
    }

    /// Asks the coordinator for part of a data set (the answer comes through the link).
    func request(_ r: DataRequest) {
        mailbox.send(.forward(.dataRequest(r)), waking: link)
    }

    /// Waits up to `timeoutSeconds` for the next data-transfer answer (nil: none in time, or
    /// the trial should end).
    func nextDataReply(timeoutSeconds: Double) -> DataReply? {
        let deadline = Date().timeIntervalSince1970 + timeoutSeconds
        while dataReplies.isEmpty && !shouldEnd {
            let left = deadline - Date().timeIntervalSince1970
            if left <= 0 { return nil }
            _ = poll(fileDescriptors: [], timeoutMilliseconds: max(1, Int(left * 1000)))
        }
        return dataReplies.isEmpty ? nil : dataReplies.removeFirst()
    }

    /// Waits up to `timeoutMilliseconds` for the link or one of `fileDescriptors`; handles
    /// what arrived on the link and returns the descriptors that are readable (or closed).
    func poll(fileDescriptors: [Int32], timeoutMilliseconds: Int) -> [Int32] {
        var poller = Poller([link], fileDescriptors: fileDescriptors)
        guard (try? poller.poll(timeoutMilliseconds: timeoutMilliseconds)) ?? 0 > 0 else { return [] }
        if poller.isReadable(0) { drainLink() }
        return fileDescriptors.indices.filter { poller.isReadable($0 + 1) }.map { fileDescriptors[$0] }
    }

    private func drainLink() {
        RunnerLink.readWakeUps(link)
        while let m = mailbox.nextToRunner() {
            switch m {
            case .command(.decision(let d)):
                if d.trial == ref.trial, d.attempt == ref.attempt {
                    decisions[d.epoch] = d.prune
                    decided(d.epoch)
                    if d.prune && !pruned {
                        pruned = true
                        pruneReason = d.reason
                    }
                }
            case .command(.cancel(let r, _)):
                if r == ref { cancelled = true }
            case .command(.stopAfterEpoch):
                flags.stopAfterEpoch = true
            case .command(.stopNow):
                flags.stopAfterEpoch = true
                flags.stopNow = true
            case .quit:
                flags.quit = true
            case .command(.data(let reply)):
                dataReplies.append(reply)
            case .command(.checkpoint(let reply)):
                checkpointReplies.append(reply)
            case .command(.coordinatorRestarted):
                coordinatorRestarts += 1
            case .command(.assign):
                log.warning("ignored an assignment while trial \(ref.trial) runs")
            }
        }
    }
}

/// Why a large checkpoint could not be fetched.
struct CheckpointFetchError: Error, CustomStringConvertible {
    var reason: String
    /// The file came whole but fails its checksum (damaged where it is stored): the trial
    /// starts over rather than failing (it was FAILed for good, as documented not to be).
    var damaged = false
    var description: String { reason }
}

/// The runner's own requests, set from the link (runner thread only).
final class RunnerFlags {
    var stopAfterEpoch = false
    /// Stop at once (a second SIGTERM): no kill grace for a program.
    var stopNow = false
    var quit = false
}
