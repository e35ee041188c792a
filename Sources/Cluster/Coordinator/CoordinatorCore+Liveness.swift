/// Liveness: workers that went silent alone or all at once, local processes that exited, and
/// time the coordinator itself was not listening.
extension CoordinatorCore {
    /// How long the others get once a first worker is back after everyone went silent: a
    /// worker reconnects after its own silence limit and a back-off of up to 10 s.
    var returnGraceSeconds: Double { Self.maxReconnectBackoff + 2 * options.heartbeatSeconds }

    /// Whether a queued trial may go to any worker (it is not kept for its silent worker).
    func isFree(_ trial: Int, now: Double) -> Bool { lastChance[trial] == nil && (heldForItsWorker[trial] ?? -.infinity) <= now }

    /// The trial is taken from the queue: it is kept for nobody now.
    func releaseHold(_ trial: Int) { heldForItsWorker[trial] = nil }

    /// The longest a trial waits for its worker after everyone went silent.
    static let heldAtMostSeconds = 60.0

    /// The attempts a worker's process was running when it was declared dead.
    struct LostAttempts {
        /// Its process (``WorkerSession/process``).
        var process: String
        var attempts: [TrialRef]
    }

    /// Local processes are looked at this often (a read of `/proc` per process).
    static let processCheckSeconds = 0.25

    /// A worker whose process is gone is declared dead this long after it was found gone:
    /// what it sent before it exited (a result, a `bye`) is read first.
    static let exitedConfirmSeconds = 0.5

    /// The coordinator was not listening for `seconds` (the process was stopped or starved
    /// of CPU, or a commit was slow): what its workers sent meanwhile may still sit unread in
    /// a socket buffer, and a worker that took the coordinator for gone is backing off
    /// before it reconnects (its back-off doubles up to 10 s). Neither counts against its
    /// liveness. The stall itself is credited in full (it is less than the time that passed,
    /// so a silent worker is still declared dead in the end); the back-off allowance is
    /// `seconds` again, at most 10 s per silence.
    func wasDeaf(for seconds: Double) {
        guard seconds > 0 else { return }
        for id in workers.keys {
            let grace = min(seconds, max(0, Self.maxReconnectBackoff - (workers[id]?.reconnectGrace ?? 0)))
            workers[id]?.reconnectGrace += grace
            workers[id]?.deafSeconds += seconds + grace
        }
    }

    /// Workers declared dead whose lost attempts are kept for forgiving (see ``lostWith``)
    /// before those whose trials ran again are forgotten: a flood of worker ids that each
    /// took a trial and vanished must not grow the coordinator without bound.
    static let lostWorkersKept = 4096

    /// Drops the lost attempts that can no longer be forgiven (their trial ran again).
    func forgetLostAttemptsRunAgain() {
        let waiting = Set(pending)
        lostWith = lostWith.compactMapValues { lost in
            let open = lost.attempts.filter { waiting.contains($0.trial) && trials[$0.trial].attempt == $0.attempt }
            return open.isEmpty ? nil : LostAttempts(process: lost.process, attempts: open)
        }
    }

    /// The longest back-off of a worker between reconnect attempts (the workers' default).
    static let maxReconnectBackoff = Double(WorkerOptions.defaultReconnectMaxMs) / 1000

    /// Notes which local workers' processes are gone (they are declared dead a moment
    /// later, see ``exitedConfirmSeconds``) and moves the deadline of orphans whose worker's
    /// process is gone to now. At most every ``processCheckSeconds``.
    func lookAtLocalProcesses(now: Double, force: Bool = false) {
        guard force || now - lastProcessCheck >= Self.processCheckSeconds else { return }
        lastProcessCheck = now
        for (id, w) in workers where w.exitedAt == nil {
            if let p = w.localProcess, p.hasExited { workers[id]?.exitedAt = now }
        }
        for (t, p) in orphanProcesses {
            guard trials[t].orphanDeadline != nil else { orphanProcesses[t] = nil; continue } // re-adopted
            if p.hasExited { trials.update(t) { $0.orphanDeadline = now } }
        }
    }
}
