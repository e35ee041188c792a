import Store

/// Workers that fail trial after trial while others succeed: held back while their trials run
/// elsewhere, then quarantined or released (see ``WorkerHealth``).
extension CoordinatorCore {
    /// Whether another worker on `worker`'s host ends trials well: the host runs the program,
    /// so its failures say nothing against the host (a program failing at random had two of
    /// three local workers of `sweep run` quarantined). On this machine, only a worker started
    /// by the same parent vouches (local workers of `sweep run`, or of one `--workers-per-host`):
    /// a `sweep worker` started from another shell has its own environment, and one without
    /// the program's failed 14 of 16 trials in 54 ms beside a good one.
    /// Machines are told apart by their kernels (boot id and pid namespace) where the workers
    /// said them, not by host name alone: a broken clone named like a good machine failed 16
    /// of 20 trials, never held back.
    func siblingRunsFine(_ worker: String) -> Bool {
        guard let w = workers[worker] else { return false }
        let parent = w.localProcess?.parentPid
        return workers.contains { other in
            other.key != worker && other.value.host == w.host && other.value.exitedAt == nil && health.runsFine(other.key)
                && (w.machine == nil || other.value.machine == nil || w.machine == other.value.machine)
                && (parent == nil || other.value.localProcess?.parentPid == parent)
        }
    }

    /// A worker that failed trial after trial while others succeed gets no work while the
    /// trials that failed only there are re-run elsewhere (first in the queue, their
    /// attempts given back): if one gets further elsewhere, the host is broken and the
    /// worker is quarantined; if it fails there too, the trials are (see `WorkerHealth`).
    /// When every trial of the run also failed elsewhere already, the trials are at fault
    /// and nothing is held back.
    func holdBack(_ worker: String, streak: [WorkerHealth.FailedTrial], now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        var returned: [WorkerHealth.FailedTrial] = []
        var gotFurtherElsewhere = false
        var moved = 0
        for failed in streak where !returned.contains(where: { $0.trial == failed.trial }) {
            let t = failed.trial
            // A trial that also failed elsewhere is at fault itself: it stays as it is.
            guard try !failedElsewhere(t, besides: worker, tx: tx) else { continue }
            let entry = history.trial(t)
            switch entry?.state {
            case .complete?:
                // Re-run elsewhere already (retry_errors) and ended there: evidence now.
                gotFurtherElsewhere = true
                continue
            case .pruned?:
                if (entry?.lastStep ?? 0) > failed.epoch { gotFurtherElsewhere = true }
                continue
            case .fail?:
                requeueFailed(t, at: moved) // first: the sooner one runs elsewhere, the sooner this is decided
                moved += 1
            default:
                // Waiting to run again (retry_errors): moves up. Running elsewhere or paused:
                // left where it is; its outcome decides.
                if let i = pending.firstIndex(of: t) {
                    pending.remove(at: i)
                    pending.insert(t, at: moved)
                    moved += 1
                }
            }
            try forgiveFailures(of: t, on: worker, tx: tx)
            returned.append(failed)
        }
        if gotFurtherElsewhere {
            health.holdBack(worker, process: processKey(worker), for: returned, now: now)
            try apply(health.verdictNow(worker), trial: streak.last?.trial ?? 0, ranOn: worker, now: now, tx: tx, out: &out)
            return
        }
        guard !returned.isEmpty else {
            health.release(worker)
            return
        }
        let seconds = health.holdBack(worker, process: processKey(worker), for: returned, now: now)
        idleQueue.removeAll { $0 == worker }
        aheadQueue.removeAll { $0 == worker }
        try cancelAhead(of: worker, reason: "worker \(worker) is held back", handBack: "worker \(worker) is held back", now: now, tx: tx, out: &out)
        workers[worker]?.idle = false
        let list = returned.map { String($0.trial) }.joined(separator: ", ")
        try tx.appendEvent(studyID: study.id, kind: .warning, worker: worker,
                           message: "worker \(worker) failed \(streak.count) trials in a row while other workers do not (last error: \(health.lastError(worker))); it gets no work until trial(s) \(list) run on other workers, without using up attempts: if one gets further there, the worker is quarantined; if it fails there too, the trials are at fault and the worker gets work again (as it does, its failures counting again, when none has run elsewhere within \(Int(seconds)) s)",
                           at: now)
    }

    /// Whether `trial` also failed on another worker than `worker` (then it is at fault itself).
    func failedElsewhere(_ trial: Int, besides worker: String, tx: StoreTransaction) throws -> Bool {
        try tx.queries.attempts(trialID: trials[trial].rowID).contains { $0.outcome == .fail && $0.worker != worker }
    }

    /// `trial`'s failed attempts on `worker` no longer count (QUARANTINED; see ``restoreFailures``).
    func forgiveFailures(of trial: Int, on worker: String, tx: StoreTransaction) throws {
        let forgiven = try tx.forgiveFailures(trialID: trials[trial].rowID, worker: worker)
        trials.update(trial) { $0.failures = max(0, $0.failures - forgiven) }
    }

    /// A FAILed trial whose failures were forgiven runs again, at `index` in the queue.
    func requeueFailed(_ trial: Int, at index: Int) {
        history.setState(trial, .stale)
        counters.requeued += 1
        pending.insert(trial, at: index)
    }

    /// What a re-run trial showed about the worker held back for it.
    func apply(_ verdict: WorkerHealth.Verdict, trial: Int, ranOn other: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        switch verdict {
        case .quarantine(let worker):
            try quarantine(worker, now: now, tx: tx, out: &out)
        case .release(let worker, let held):
            try restoreFailures(of: worker, on: held.map(\.trial), tx: tx)
            try failAgainUnlessRetried(held, on: worker, now: now, tx: tx)
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: worker,
                               message: "trial \(trial) failed on worker \(other) too: the trials are at fault, not worker \(worker), which gets work again", at: now)
            markIdle(worker)
        }
    }

    /// A released worker's failures were the trials' own after all: the attempts set aside
    /// when it was held back count again (FAIL, towards `retry.max_attempts`).
    func restoreFailures(of worker: String, on held: [Int], tx: StoreTransaction) throws {
        for t in held {
            let restored = try tx.restoreFailures(trialID: trials[t].rowID, worker: worker)
            trials.update(t) { $0.failures += restored }
        }
    }

    /// Stops assigning to a worker whose failed trials got further on other workers: the
    /// host is broken, not the trials (which were given back when it was held back).
    func quarantine(_ worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        let reason = health.reason(worker)
        counters.quarantined += 1
        try flushWorkers(tx: tx) // its finished trials first: the row is about to change
        try tx.quarantineWorker(studyID: study.id, worker: worker, lastError: health.lastError(worker), at: now)
        health.noteQuarantined(worker, process: processKey(worker))
        // Trials that FAILed when an earlier hold of it ended undecided: its host was at
        // fault after all, so they run again elsewhere without using up attempts.
        var moved = 0
        for failed in health.takeCountedAgain(worker) where history.trial(failed.trial)?.state == .fail {
            let t = failed.trial
            guard try !failedElsewhere(t, besides: worker, tx: tx) else { continue }
            try forgiveFailures(of: t, on: worker, tx: tx)
            requeueFailed(t, at: moved)
            moved += 1
            try tx.appendEvent(studyID: study.id, kind: .requeued, trialNumber: t, worker: worker,
                               message: "trial \(t) re-queued: it failed only on worker \(worker), now quarantined", at: now)
        }
        try tx.appendEvent(studyID: study.id, kind: .workerQuarantined, worker: worker, message: "worker \(worker) \(reason)", at: now)
        out.send(.quarantine(reason: reason), to: worker)
    }

    /// Workers held back whose trials will not decide get work again: a study must not wait
    /// on a verdict forever. So when nobody else can re-run them (every connected worker is
    /// held back, or none is left), when every one of them ended elsewhere without getting
    /// further (pruned at or before that epoch, or failed by lost workers), and when the
    /// hold has lasted as long as it may (see ``WorkerHealth``). Their failures count again.
    func releaseStrandedHeldBack(now: Double, tx: StoreTransaction) throws {
        let held = health.heldBack // every tick: the workers are not scanned when none is held back
        guard !held.isEmpty else { return }
        let nobodyElse = !workers.keys.contains(where: { !health.isHeldBack($0) })
        for worker in held {
            let undecided = health.heldTrials(worker).contains { !(history.trial($0)?.state.isFinished ?? true) }
            // Not while one of them runs elsewhere: its outcome is the verdict on its way.
            let timedOut = health.holdEnded(worker, now: now) && !health.heldTrials(worker).contains { trials[$0].lease != nil }
            guard nobodyElse || !undecided || timedOut else { continue }
            let failures = health.heldFailures(worker)
            try restoreFailures(of: worker, on: failures.map(\.trial), tx: tx)
            try failAgainUnlessRetried(failures, on: worker, now: now, tx: tx)
            if timedOut && undecided { health.noteCountedAgain(worker, failures) }
            health.release(worker)
            let why = !undecided ? "the trials worker \(worker) failed ended elsewhere without getting further, which says nothing against its host"
                : nobodyElse ? "no other worker is connected to re-run the trials worker \(worker) failed"
                : "worker \(worker) was held back as long as it may be and the trials it failed did not run elsewhere meanwhile; their failures count again (if it fails \(WorkerHealth.quarantineAfter) more in a row, it is held back twice as long)"
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: worker, message: "\(why): it gets work again", at: now)
            markIdle(worker)
        }
    }

    /// Trials a released worker failed that still wait in the queue, given back when it was
    /// held back (first in the queue): FAIL again unless `retry` would have re-run them
    /// anyway (as when no worker was held back), and then last in the queue, so a released
    /// worker takes new trials before the same ones again.
    func failAgainUnlessRetried(_ failures: [WorkerHealth.FailedTrial], on worker: String, now: Double, tx: StoreTransaction) throws {
        for failed in failures {
            let t = failed.trial
            guard trials[t].lease == nil, let i = pending.firstIndex(of: t) else { continue }
            pending.remove(at: i)
            if retriesAfterError(t) {
                pending.append(t) // behind the others: the released worker takes new trials first
            } else {
                try fail(trial: t, attempt: 0, worker: nil, error: failed.error, now: now, tx: tx)
            }
        }
    }
}
