import Search
import Store
import SweepFile

/// Handing out work: which trial an idle worker runs next (paused, re-queued, queued by hand,
/// or newly sampled), and its assignment.
extension CoordinatorCore {
    /// `ready` is sent once per idle spell. A repeated one (re-sent after a reconnect or a
    /// cancel) while the worker holds a lease does not revoke it: the lease goes on, and an
    /// assignment the worker may have lost (no epoch reported yet) is sent again; a worker
    /// already running that trial ignores the copy.
    func handleReady(from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        guard let t = workers[worker]?.trial, let lease = trials[t].lease, lease.worker == worker else {
            markIdle(worker)
            return
        }
        counters.repeatedReady += 1
        // Once per session (a reconnect says `hello` first): each copy may carry a checkpoint
        // or a base model, and a peer repeating `ready` must not fill the send queue with them.
        if lease.epoch == 0, workers[worker]?.assignmentResent == false, let assign = try assignment(t, attempt: lease.attempt, for: worker, tx: tx) {
            workers[worker]?.assignmentResent = true
            out.send(.assign(assign), to: worker)
        }
    }

    /// Hands out work to idle workers, and ends the study when nothing is left.
    func dispatch(now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        guard !finished, !draining else { return }
        // Nothing new is handed out once the wall time is spent, a trial reached the target,
        // or the study gave up early.
        let stopsTaking = wallTimeSpent(now: now) || givenUp != nil || targetReached != nil
        let stopReason = givenUp ?? targetReached ?? "the wall-time budget is spent"
        if stopsTaking { try takeBackAhead(reason: stopReason, now: now, tx: tx, out: &out) }
        var tookBack = false
        while let worker = idleQueue.first {
            // (Nor one whose local process is gone, in the moment before it is declared dead:
            // its lease would be lost, and counted as the trial's crash.)
            guard let w = workers[worker], w.exitedAt == nil else { idleQueue.removeFirst(); continue }
            guard !stopsTaking else { break }
            if holdsOffForALostWorker(newcomer: w, now: now) { break }
            guard let next = try nextTrial(for: worker, now: now, tx: tx) else {
                // Nothing new to run: trials held ahead behind a long one run here instead.
                if !tookBack, try takeBackFromBusyWorkers(now: now, tx: tx, out: &out) { tookBack = true; continue }
                break
            }
            // Stays first in the queue when the trial could not be leased (invalid configuration).
            if try lease(next.number, to: worker, inserted: next.inserted, now: now, tx: tx, out: &out) {
                idleQueue.removeFirst()
            } else if try stopsAfterInvalidConfiguration(now: now, tx: tx) {
                break
            }
        }
        // Then a trial ahead for workers running short ones (idle workers come first).
        while let worker = aheadQueue.first, idleQueue.isEmpty {
            guard let w = workers[worker], w.exitedAt == nil, aheadRoom(w, now: now) > 0 else { aheadQueue.removeFirst(); continue }
            guard !stopsTaking, givenUp == nil, let next = try nextTrial(for: worker, now: now, tx: tx) else { break }
            if try !lease(next.number, to: worker, inserted: next.inserted, ahead: true, now: now, tx: tx, out: &out),
               try stopsAfterInvalidConfiguration(now: now, tx: tx) { break }
        }
        if trials.leased.isEmpty && trials.orphans.isEmpty && (stopsTaking || (!hasBudgetLeft && pending.isEmpty && enqueued.isEmpty && !pausedWorkLeft)) {
            try finish(reason: stopsTaking ? stopReason : (budgetTrials == 1 ? "its 1 trial has ended" : "all \(budgetTrials) trials have ended"), now: now, tx: tx, out: &out)
            return
        }
        for worker in idleQueue where workers[worker]?.toldNoWork == false {
            workers[worker]?.toldNoWork = true
            out.send(.noWork(reason: "all remaining trials are running; waiting for them"), to: worker)
        }
    }

    /// Whether to give a worker that just joined nothing yet: a local worker whose process is
    /// gone holds a trial that is re-queued in a moment (``exitedConfirmSeconds``). `sweep
    /// run` starts a replacement at once, which was handed a new trial first: the lost one ran
    /// after trials sampled later, and a one-worker study diverged from the same study run
    /// without the crash (TPE and the pruners saw another history). Checked for newcomers
    /// only: a look at the processes for every assignment costs what short trials cannot pay.
    private func holdsOffForALostWorker(newcomer w: WorkerSession, now: Double) -> Bool {
        guard w.trialsDone == 0, now - w.joinedAt < 2 else { return false }
        lookAtLocalProcesses(now: now, force: true)
        return workers.values.contains { $0.exitedAt != nil && $0.trial != nil }
    }

    /// After a trial whose configuration could not run: whether this dispatch hands out no
    /// more. Configurations that cannot run, trial after trial (a base model `study:X/best`
    /// whose study has none), failed the whole budget in one pass (a budget of a million
    /// trials in one transaction) and the give-up was never asked: the study gives up as on
    /// failing programs, and at most ``invalidConfigurationsPerDispatch`` fail in one pass.
    private func stopsAfterInvalidConfiguration(now: Double, tx: StoreTransaction) throws -> Bool {
        if let why = invalid.last, invalid.inARow >= Self.initialFailuresBeforeGivingUp, !runProgramRan, hasBudgetLeft, givenUp == nil {
            try giveUp(failed: invalid.inARow, lastError: why, fix: .configuration, now: now, tx: tx)
            return true
        }
        return invalid.inARow % Self.invalidConfigurationsPerDispatch == 0 // the rest at the next tick
    }

    /// The next trial to run: a re-queued one first, else a new one from the sampler
    /// (inserted directly as this worker's lease: one statement instead of two).
    func nextTrial(for worker: String, now: Double, tx: StoreTransaction) throws -> (number: Int, inserted: Bool)? {
        switch try nextPaused(now: now, tx: tx) {
        case .trial(let number): return (number, false)
        case .newTrial: break
        case .queue:
            // (A trial kept for its silent worker waits, unless its time is up.)
            // (A trial this worker id failed before its quarantine goes to another first.)
            // Only while a new trial can take their place: else the worker would get nothing
            // and the dispatch, which stops at the first worker that gets nothing, would hang.
            // (The workers are scanned only for such an id, not for every lease.)
            let avoiding = health.avoidsAny(worker) && hasBudgetLeft && workers.keys.contains { $0 != worker && !health.isHeldBack($0) }
            if let i = pending.firstIndex(where: { isFree($0, now: now) && !(avoiding && health.avoids(worker, $0)) }) {
                releaseHold(pending[i])
                return (pending.remove(at: i), false)
            }
        }
        let number = history.nextNumber
        let params: Params
        if !enqueued.isEmpty {
            params = try takeEnqueued(as: number, now: now, tx: tx)
        } else {
            guard hasBudgetLeft else { return nil }
            params = sampler.suggest(for: number, in: definition.space, history: history)
        }
        let seed = definition.trialSeed(number: number)
        let rowID = try tx.insertTrial(studyID: study.id, number: number, state: .waiting, params: params, seed: seed, at: now, leasedTo: worker)
        trials.append(TrialEntry(rowID: rowID, attempt: 0))
        history.append(TrialSnapshot(number: number, state: .waiting, params: params))
        return (number, true)
    }

    /// The first queued trial's parameters for trial `number`; the budget grows by one, so
    /// a trial queued by hand never takes the place of a sampled one.
    func takeEnqueued(as number: Int, now: Double, tx: StoreTransaction) throws -> Params {
        let given = enqueued.removeFirst()
        study.definition.budgetTrials += 1
        try tx.setBudget(study.id, trials: study.definition.budgetTrials)
        try tx.takeEnqueuedTrial(id: given.id, trialNumber: number, at: now)
        try tx.appendEvent(studyID: study.id, kind: .enqueued, trialNumber: number,
                           message: "trial \(number) runs the parameters queued by \(given.source)", at: now)
        return given.params
    }

    /// What a worker needs to run `trial`: its assignment, or why its configuration cannot run.
    enum Prepared {
        case ready(CoordinatorMessage.Assign)
        case invalid(String)
    }

    func prepare(_ trial: Int, attempt: Int, for worker: String, tx: StoreTransaction) throws -> Prepared {
        guard let snapshot = history.trial(trial) else { return .invalid("trial \(trial) does not exist") }
        let seed = definition.trialSeed(number: trial)
        let spec: TrialSpec
        do {
            spec = try definition.spec(for: snapshot.params, trialSeed: seed)
        } catch {
            // Validation probes bounds; a rare combination can still be invalid.
            return .invalid("invalid configuration: \(error)")
        }
        var baseModel: [UInt8]?
        if case .training(let config) = spec, let from = config.model.transfer?.from, from.hasPrefix(BaseModelReference.prefix) {
            do {
                baseModel = try models.baseModel(from, tx: tx)
            } catch let error as BaseModelReference.Error {
                return .invalid("\(error)")
            } catch let error as ArtifactError {
                return .invalid("\(error)")
            }
        }
        // A large checkpoint is fetched by the worker in chunks (CheckpointTransfer), not read
        // here; a worker of an older version cannot (or would not return their receipts), and
        // starts the trial over.
        let fetches = workers[worker].map { $0.capabilities.contains(Wire.checkpointPartsCapability) && $0.capabilities.contains(Wire.receiptsCapability) } ?? false
        let resume = !checkpoints.isLarge(trial: trial)
            ? checkpoints.latest(trial: trial).map { CoordinatorMessage.Assign.Resume(epoch: $0.epoch, checkpoint: $0.bytes) }
            : !fetches ? nil
            : checkpoints.entries[trial].map { CoordinatorMessage.Assign.Resume(epoch: $0.epoch, checkpoint: [], parts: $0.bytes) }
        return .ready(.init(study: study.name, trial: trial, attempt: attempt, seed: seed, params: snapshot.params, spec: spec,
                            maxEpochs: maxEpochs, metric: metric, keepModel: models.keepsModels, baseModel: baseModel,
                            checkpointEvery: checkpointEvery, resume: resume,
                            pauseEpochs: pauseEpochs))
    }

    /// The assignment of a lease already given (re-sent when the worker may have lost it).
    func assignment(_ trial: Int, attempt: Int, for worker: String, tx: StoreTransaction) throws -> CoordinatorMessage.Assign? {
        if case .ready(let assign) = try prepare(trial, attempt: attempt, for: worker, tx: tx) { return assign }
        return nil
    }

    /// Leases `trial` to `worker` and queues its assignment; false when the trial's
    /// configuration turned out invalid (it is recorded as FAIL and the worker stays idle).
    @discardableResult
    func lease(_ trial: Int, to worker: String, inserted: Bool, ahead: Bool = false, now: Double, tx: StoreTransaction, out: inout Outbox) throws -> Bool {
        let attempt = trials[trial].attempt + 1
        let assign: CoordinatorMessage.Assign
        switch try prepare(trial, attempt: attempt, for: worker, tx: tx) {
        case .ready(let a):
            assign = a
        case .invalid(let why):
            try fail(trial: trial, attempt: inserted ? 1 : 0, worker: nil, error: why, now: now, tx: tx)
            invalid.inARow += 1
            invalid.last = why
            return false
        }
        invalid.inARow = 0
        trials.update(trial) {
            $0.attempt = attempt
            $0.lease = Lease(worker: worker, attempt: attempt, epoch: 0, startedAt: now, heldAhead: ahead, started: !ahead,
                             resumedFrom: assign.resume?.epoch ?? 0)
            $0.decisions = [:]
        }
        if ahead {
            workers[worker]?.ahead.append(trial)
        } else {
            workers[worker]?.trial = trial
            workers[worker]?.idle = false
            workers[worker]?.toldNoWork = false
        }
        history.setState(trial, .running)
        if !inserted {
            // A new attempt starts its curve afresh (the store drops the old epochs too), or
            // after the epochs its checkpoint covers.
            let resumed = assign.resume?.epoch
            history.clearIntermediate(trial, after: resumed ?? 0)
            try tx.startAttempt(trialID: trials[trial].rowID, attempt: attempt, worker: worker, resumedFrom: resumed, at: now)
            if let resumed {
                counters.resumed += 1
                try tx.appendEvent(studyID: study.id, kind: .resumed, trialNumber: trial, worker: worker,
                                   message: "trial \(trial) (attempt \(attempt)) resumes from its checkpoint after epoch \(resumed)", at: now)
            }
        }
        touch(worker)
        out.send(.assign(assign), to: worker)
        if !ahead { queueAhead(worker, now: now) }
        return true
    }
}
