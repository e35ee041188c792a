import Store

/// Trials leased ahead to workers whose trials take milliseconds: queued, started when the
/// worker moves on, caught up when outcomes were lost, taken back for idle workers.
extension CoordinatorCore {
    /// The worker sent an outcome and wants more: it has started the trial it held ahead,
    /// if any (and may take another one ahead), or it is idle.
    func markReady(_ worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        guard let w = workers[worker], w.trial == nil, !w.ahead.isEmpty else {
            markIdle(worker)
            return
        }
        if health.isHeldBack(worker) {
            // Cancelled, not only handed back: it has started the first already, and would
            // run them all while they run again elsewhere.
            try cancelAhead(of: worker, reason: "worker \(worker) is held back", handBack: "worker \(worker) is held back", now: now, tx: tx, out: &out)
            return
        }
        startAhead(worker, now: now)
    }

    /// The worker started the first trial it held ahead (after an outcome, or a cancel).
    func startAhead(_ worker: String, now: Double) {
        guard let next = workers[worker]?.ahead.first else { return }
        workers[worker]?.ahead.removeFirst()
        workers[worker]?.trial = next
        trials.update(next) {
            $0.lease?.startedAt = now
            $0.lease?.started = true
        }
        touch(worker)
        queueAhead(worker, now: now)
    }

    /// A message about `trial`, which `worker` holds ahead, proves it ran past the trials
    /// before it (messages from one worker arrive in order): their outcomes, or the cancel
    /// that dropped one, were lost. They go back to the queue without using up an attempt.
    /// (A trial in `ahead` is always leased to that worker: releasing takes it out.)
    /// `reason`: why the outcomes are missing (by default they were lost on the way).
    func catchUp(_ worker: String, to trial: Int, reason: String? = nil, now: Double, tx: StoreTransaction) throws {
        guard let w = workers[worker], let i = w.ahead.firstIndex(of: trial) else { return }
        for skipped in ([w.trial].compactMap { $0 } + w.ahead[..<i]) where holdsLease(skipped, worker) {
            trials.update(skipped) { $0.lease?.started = true } // it ran, when is not known
            try releaseLease(skipped, worker: worker, reason: reason ?? "worker \(worker) went on to trial \(trial) without its outcome", now: now, tx: tx)
        }
        // (Releasing took the skipped ones out of `ahead`; `trial` is first now.)
        workers[worker]?.trial = nil
        if let j = workers[worker]?.ahead.firstIndex(of: trial) { workers[worker]?.ahead.removeFirst(j) }
        startAhead(worker, now: now)
    }

    /// Trials a worker should be leased beyond the one it runs: as many as fill
    /// ``CoordinatorOptions/aheadSeconds`` of its time, 1 to ``maxAhead``, for workers whose
    /// trials are short. (How fast one quick trial can raise it: ``WorkerSession/lastTrialSeconds``.)
    /// None while its running trial has taken longer than short trials do: it would hold
    /// them behind that one (and they were just taken back from it for idle workers).
    func aheadRoom(_ w: WorkerSession, now: Double) -> Int {
        guard pausing == nil, !sampler.learnsFromResults, let running = w.trial, let last = w.lastTrialSeconds, last < options.aheadBelowSeconds,
              now - (trials[running].lease?.startedAt ?? now) <= options.aheadBelowSeconds,
              w.capabilities.contains(Wire.aheadCapability), !health.isHeldBack(w.id) else { return 0 }
        let depth = min(Self.maxAhead, max(1, Int(options.aheadSeconds / max(last, 1e-6))))
        return max(0, depth - w.ahead.count)
    }

    /// The most trials a worker holds ahead, so that ``CoordinatorOptions/aheadSeconds``
    /// decides down to trials of ~0.1 ms; kept below what a worker accepts
    /// (``WorkerCore/maxAhead``, 256) so that a cancel lost on the way (the worker then holds
    /// one more than counted here) never makes it refuse a lease.
    static let maxAhead = 192

    func queueAhead(_ worker: String, now: Double) {
        if let w = workers[worker], aheadRoom(w, now: now) > 0, !aheadQueue.contains(worker) { aheadQueue.append(worker) }
    }

    /// Every worker's trials held ahead go back to the queue, and their workers drop them.
    func takeBackAhead(reason: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        for (id, w) in workers where !w.ahead.isEmpty {
            try cancelAhead(of: id, reason: reason, handBack: "held ahead by \(id): \(reason)", now: now, tx: tx, out: &out)
        }
    }

    /// Takes back the trials held ahead by workers whose running trial has taken longer than
    /// the short trials that earned them (``CoordinatorOptions/aheadBelowSeconds``), so that
    /// idle workers run them instead of waiting for it (a 20 s trial among 50 ms ones).
    /// True when any went back to the queue.
    func takeBackFromBusyWorkers(now: Double, tx: StoreTransaction, out: inout Outbox) throws -> Bool {
        guard now - lastTakeBackLook >= 0.05 else { return false }
        lastTakeBackLook = now
        var took = false
        for (id, w) in workers where !w.ahead.isEmpty {
            guard let running = w.trial, let started = trials[running].lease?.startedAt, now - started > options.aheadBelowSeconds else { continue }
            let reason = "held ahead by \(id), whose trial \(running) runs long; an idle worker takes it"
            try cancelAhead(of: id, reason: reason, handBack: reason, now: now, tx: tx, out: &out)
            took = true
        }
        return took
    }

    /// Tells `worker` to drop what it holds ahead (`cancel` for each) and hands those trials back.
    func cancelAhead(of worker: String, reason: String, handBack: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        for a in workers[worker]?.ahead ?? [] where holdsLease(a, worker) {
            out.send(.cancel(TrialRef(trial: a, attempt: trials[a].attempt), reason: reason), to: worker)
        }
        try releaseAhead(of: worker, reason: handBack, now: now, tx: tx)
    }

    /// Hands back every trial `worker` holds ahead (it never started them: no attempt used up).
    func releaseAhead(of worker: String, reason: String, now: Double, tx: StoreTransaction) throws {
        for a in workers[worker]?.ahead ?? [] where holdsLease(a, worker) {
            try releaseLease(a, worker: worker, reason: reason, now: now, tx: tx)
        }
        workers[worker]?.ahead = []
    }
}
