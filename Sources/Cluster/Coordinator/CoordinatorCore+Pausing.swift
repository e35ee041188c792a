import Search
import Store

/// Pausing and continuing trials for Population Based Training and ASHA with promotions
/// (``TrialPausing``): what the coordinator records when a trial pauses, and which paused
/// trial a free worker continues.
extension CoordinatorCore {
    /// What a free worker runs next, as far as the pausing scheduler is concerned.
    enum PausedChoice {
        /// Continue this paused trial from its checkpoint.
        case trial(Int)
        /// Start a new trial (PBT fills its population before anyone continues).
        case newTrial
        /// Nothing special: the queue, then a new trial.
        case queue
    }

    /// Records the pause of `trial` after `epoch` and ends its lease: a PBT member waits in
    /// the queue for its turn (and its exploit/explore decision), an ASHA trial waits as
    /// PRUNED at its rung's value until it is promoted.
    func pause(_ trial: Int, attempt: Int, epoch: Int, value: Double?, metrics: [String: Double], reason: String, worker: String,
               now: Double, tx: StoreTransaction) throws {
        let rowID = trials[trial].rowID
        switch pausing {
        case .population?:
            history.setState(trial, .waiting)
            try tx.setTrialState(trialID: rowID, .waiting)
            try tx.endAttempt(trialID: rowID, attempt: attempt, outcome: .paused, at: now)
            pending.append(trial)
            undecided.insert(trial)
            endLease(trial, worker: worker, completed: false)
        case .promotions?:
            history.finish(trial, state: .pruned, value: value)
            // Attempt 0: the attempt is closed below as PAUSED, not PRUNED.
            try tx.finishTrial(trialID: rowID, attempt: 0, state: .pruned, value: value, metrics: metrics, pruneReason: reason, at: now)
            try tx.endAttempt(trialID: rowID, attempt: attempt, outcome: .paused, at: now)
            endLease(trial, worker: worker, completed: true)
        case nil:
            preconditionFailure("a pause without a pausing scheduler")
        }
        try tx.appendEvent(studyID: study.id, kind: .paused, trialNumber: trial, worker: worker, message: "trial \(trial) \(reason)", at: now)
    }

    /// The paused trial a free worker should continue, if any (decided now: PBT's exploit
    /// and explore happen when a member's turn comes, so that it is ranked against every
    /// member that reached the boundary meanwhile).
    func nextPaused(now: Double, tx: StoreTransaction) throws -> PausedChoice {
        switch pausing {
        case nil:
            return .queue
        case .promotions(let queue)?:
            guard let (trial, rung) = queue.next(in: history) else { return .queue }
            // (Without its checkpoint, none under `--checkpoint-limit 0`, or lost with the files
            // beside the database, it starts over: said so, not claimed to continue.)
            let how = checkpoints.entries[trial] != nil ? "it continues from its checkpoint" : "its checkpoint is gone, so it starts over and runs"
            try tx.appendEvent(studyID: study.id, kind: .promoted, trialNumber: trial,
                               message: "trial \(trial) promoted from rung \(rung) (epoch \(queue.pauseSteps[rung])): \(how) to epoch \(queue.target(promotedFrom: rung))",
                               at: now)
            return .trial(trial)
        case .population(let pbt)?:
            if hasBudgetLeft { return .newTrial }
            // The member furthest behind goes first, so the population advances together.
            // (A member kept for its silent worker waits, unless its time is up.)
            guard let index = pending.indices.filter({ isFree(pending[$0], now: now) }).min(by: { progress(pending[$0]) < progress(pending[$1]) }) else { return .queue }
            let member = pending.remove(at: index)
            releaseHold(member)
            if undecided.remove(member) != nil { try decide(member, pbt: pbt, now: now, tx: tx) }
            return .trial(member)
        }
    }

    /// Whether a paused trial could still continue (the study is not over while one can).
    var pausedWorkLeft: Bool {
        if case .promotions(let queue)? = pausing { return queue.next(in: history) != nil }
        return false
    }

    /// Epochs a trial has behind it: its last report, or the epoch of the checkpoint it last
    /// continued from when that is further (an exploit of a member ahead). (The exploit's
    /// epoch alone, kept after the member went on, made it the one furthest behind for good:
    /// it ran 12 epochs while others waited at 4.)
    private func progress(_ trial: Int) -> Int {
        max(resumeEpochs[trial] ?? 0, history.trial(trial)?.lastStep ?? 0)
    }

    /// PBT's exploit/explore step for a member at its boundary: ranked among the members
    /// still training, a bottom member continues from a top member's checkpoint with that
    /// member's parameters, perturbed or resampled; recorded in the lineage.
    private func decide(_ member: Int, pbt: PopulationBasedTraining, now: Double, tx: StoreTransaction) throws {
        guard let snapshot = history.trial(member), let epoch = snapshot.lastStep else { return }
        let members = history.trials.compactMap { t -> PopulationBasedTraining.Member? in
            guard !t.state.isFinished, let last = t.lastStep, let score = t.intermediate[last] else { return nil }
            return PopulationBasedTraining.Member(trial: t.number, score: score, params: t.params)
        }
        var rng = TrialPausing.generator(seed: definition.seed, member: member, epoch: epoch)
        guard case .exploit(let source, let params, let changes) = pbt.decide(member: member, among: members, space: definition.space, rng: &rng) else {
            return
        }
        // Never back in time: a source ahead in its score but behind in epochs (its latest
        // checkpoint is older than the member's boundary) would send the member back, and two
        // members could send each other back over and over (22 attempts at one boundary).
        if let behind = checkpoints.entries[source]?.epoch, behind < epoch {
            try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: member,
                               message: "trial \(member) (epoch \(epoch)) would exploit trial \(source), whose latest checkpoint is of epoch \(behind), behind it; it keeps its own", at: now)
            return
        }
        guard let sourceEpoch = try copyCheckpoint(from: source, to: member, now: now, tx: tx) else {
            try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: member,
                               message: "trial \(member) would exploit trial \(source), which has no checkpoint; it keeps its own", at: now)
            return
        }
        let step = LineageStep(sequence: 0, member: member, epoch: epoch, source: source, sourceEpoch: sourceEpoch, oldParams: snapshot.params,
                               params: params, changes: Dictionary(uniqueKeysWithValues: changes.map { ($0.parameter, $0.kind.text) }))
        try tx.recordLineage(studyID: study.id, step, at: now)
        history.setParams(member, params)
        try tx.setTrialParams(trialID: trials[member].rowID, params)
        resumeEpochs[member] = sourceEpoch
        let changed = changes.isEmpty ? "its parameters" : TrialPausing.describe(changes)
        // The scores that ranked them (as Ray's "Cloning trial X (score) into Y (score)"):
        // why a member exploited, from the event alone.
        func score(_ t: Int) -> String { members.first { $0.trial == t }.map { " (\(metric) \(String(format: "%.6g", $0.score)))" } ?? "" }
        try tx.appendEvent(studyID: study.id, kind: .exploited, trialNumber: member,
                           message: "trial \(member)\(score(member)) (epoch \(epoch)) continues from trial \(source)\(score(source))'s checkpoint of epoch \(sourceEpoch) with \(changed)",
                           at: now)
    }
}
