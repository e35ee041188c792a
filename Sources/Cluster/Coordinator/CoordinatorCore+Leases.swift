import Search
import Store

/// Leases ending: handed back, lost with a worker, crashed, re-queued; when an attempt started.
extension CoordinatorCore {
    func endLease(_ trial: Int, worker: String, completed: Bool) {
        // The decisions of a finished attempt are read back from the store if asked again.
        trials.update(trial) {
            $0.lease = nil
            $0.decisions = [:]
        }
        checkpoints.abandonUpload(trial) // a part-sent checkpoint of the ended lease
        workers[worker]?.ahead.removeAll { $0 == trial }
        if workers[worker]?.trial == trial {
            workers[worker]?.trial = nil
            if completed {
                workers[worker]?.trialsDone += 1
                dirtyWorkers[worker, default: 0] += 1
            }
            touch(worker)
        }
    }

    /// When `trial`'s attempt started, for the store, as it ends `now` (see ``Lease/start(endingAt:)``).
    func attemptStart(_ trial: Int, now: Double) -> AttemptStart {
        trials[trial].lease?.start(endingAt: now) ?? .asLeased
    }

    /// Puts a trial back in the queue so another worker runs it: STALE after a lost or
    /// failed attempt, WAITING when it was handed back before anything went wrong.
    func requeue(_ trial: Int, as state: TrialState, message: String, worker: String?, now: Double, tx: StoreTransaction) throws {
        history.setState(trial, state)
        try tx.setTrialState(trialID: trials[trial].rowID, state)
        pending.append(trial)
        counters.requeued += 1
        try tx.appendEvent(studyID: study.id, kind: .requeued, trialNumber: trial, worker: worker, message: message, at: now)
    }

    /// A lease the worker gave up without fault (it left, or never started the trial):
    /// back in the queue, no attempt used up.
    func releaseLease(_ trial: Int, worker: String, reason: String, now: Double, tx: StoreTransaction) throws {
        guard let lease = trials[trial].lease else { return }
        trials.update(trial) {
            $0.lease = nil
            $0.decisions = [:]
        }
        checkpoints.abandonUpload(trial) // a part-sent checkpoint of the ended lease
        if workers[worker]?.trial == trial { workers[worker]?.trial = nil }
        workers[worker]?.ahead.removeAll { $0 == trial }
        // An attempt held ahead and never started took no time and did not start the trial.
        try tx.endAttempt(trialID: trials[trial].rowID, attempt: lease.attempt, outcome: .returned, error: reason,
                          start: lease.start(endingAt: now), at: now)
        try requeue(trial, as: .waiting, message: "trial \(trial) re-queued: \(reason)", worker: worker, now: now, tx: tx)
    }

    /// A lease whose worker is gone: STALE, then re-queued or, past the retry limit, FAIL.
    /// `waitForItsWorker`: the worker went silent (it may run on, behind a partition): a
    /// trial out of attempts waits for it a while before it fails (see ``CoordinatorCore/lastChance``).
    func loseLease(trial: Int, reason: String, waitForItsWorker: Bool = false, now: Double, tx: StoreTransaction) throws {
        guard let lease = trials[trial].lease else { return }
        trials.update(trial) {
            $0.lease = nil
            $0.decisions = [:]
        }
        checkpoints.abandonUpload(trial) // a part-sent checkpoint of the ended lease
        if workers[lease.worker]?.trial == trial { workers[lease.worker]?.trial = nil }
        workers[lease.worker]?.ahead.removeAll { $0 == trial }
        try crashed(trial: trial, attempt: lease.attempt, worker: lease.worker, reason: reason, start: lease.start(endingAt: now),
                    waitForItsWorker: waitForItsWorker, now: now, tx: tx)
    }

    /// An attempt that ended without a result: `outcome` STALE counts as a crash against
    /// the retry limit, RETURNED (the coordinator went away) does not.
    func crashed(trial: Int, attempt: Int, worker: String?, reason: String, outcome: AttemptOutcome = .stale, endedAt: Double? = nil,
                         start: AttemptStart = .asLeased, waitForItsWorker: Bool = false, now: Double, tx: StoreTransaction) throws {
        try tx.endAttempt(trialID: trials[trial].rowID, attempt: attempt, outcome: outcome, error: reason, start: start, at: min(endedAt ?? now, now))
        try tx.appendEvent(studyID: study.id, kind: .stale, trialNumber: trial, worker: worker, message: "trial \(trial) (attempt \(attempt)) is stale: \(reason)", at: now)
        notice("trial \(trial) (attempt \(attempt)) is stale: \(reason)")
        if outcome == .stale { trials.update(trial) { $0.crashes += 1 } }
        let crashes = trials[trial].crashes
        let failure = "its worker died \(crashes) time(s) (\(reason)); the retry limit is \(maxAttempts) attempts"
        if crashes >= maxAttempts && waitForItsWorker && outcome == .stale && worker != nil {
            // Re-adopted if its worker comes back with it in time (its crash then forgiven);
            // never handed to another (``isFree``).
            try requeue(trial, as: .stale, message: "trial \(trial) lost its last allowed attempt \(attempt) with its silent worker: kept for it for \(Int(Self.heldAtMostSeconds)) s, then FAIL", worker: worker, now: now, tx: tx)
            lastChance[trial] = (now + Self.heldAtMostSeconds, failure, worker!)
        } else if crashes >= maxAttempts {
            try fail(trial: trial, attempt: 0, worker: nil, error: failure, now: now, tx: tx)
        } else {
            try requeue(trial, as: .stale, message: "trial \(trial) re-queued after attempt \(attempt) was lost", worker: worker, now: now, tx: tx)
        }
    }

    /// A trial kept for the silent worker of its last attempt (``CoordinatorCore/lastChance``)
    /// whose worker did not come back with it: it fails now.
    func endLastChance(_ trial: Int, now: Double, tx: StoreTransaction) throws {
        guard let chance = lastChance.removeValue(forKey: trial), let i = pending.firstIndex(of: trial) else { return }
        pending.remove(at: i)
        try fail(trial: trial, attempt: 0, worker: nil, error: chance.reason, now: now, tx: tx)
    }

    /// Whether `worker` holds the lease of `trial`, whatever its attempt.
    func holdsLease(_ trial: Int, _ worker: String) -> Bool {
        trials.contains(trial) && trials[trial].lease?.worker == worker
    }
}
