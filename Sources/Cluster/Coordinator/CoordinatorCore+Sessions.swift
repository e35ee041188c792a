import Store

/// Worker sessions: a worker says hello (a reconnect, a restart, a refusal), leaves, and goes
/// idle; which sessions are connected.
extension CoordinatorCore {
    /// Whether the process behind a session still talks to us: heard within one and a half
    /// heartbeat intervals (a live worker sends at least a heartbeat each interval), and not
    /// a local process that is gone. A worker restarted with the same id after it died
    /// takes the id over; one that duplicates a live worker's does not.
    func isConnected(_ w: WorkerSession, now: Double) -> Bool {
        if w.localProcess?.hasExited == true { return false }
        return now - w.lastSeen - w.deafSeconds < 1.5 * options.heartbeatSeconds
    }

    /// Whether to ask `worker` who it is (`identify`) now, noted when so: at most once a
    /// second. After a restart a worker's queued messages (heartbeats, reports) each met an
    /// `identify`, and each `identify` a hello: five hellos made it a flapping id, held back
    /// from trials for 30 s, said only in the events.
    func shouldAskIdentity(_ worker: String, now: Double) -> Bool {
        if let asked = identityAsked[worker], now - asked < 1 { return false }
        if identityAsked.count > 4096 { identityAsked = identityAsked.filter { now - $0.value < Self.identifyAnswerSeconds } }
        identityAsked[worker] = now
        return true
    }

    /// How long after an `identify` a hello counts as its answer.
    static let identifyAnswerSeconds = 5.0

    func markIdle(_ worker: String) {
        guard var w = workers[worker], w.trial == nil, !w.idle, w.exitedAt == nil, !health.isHeldBack(worker), !hellos.isFlapping(worker) else { return }
        w.idle = true
        workers[worker] = w
        idleQueue.append(worker)
    }

    /// Tells `identity` to leave for `reason`, and records `event` (the refusal as the event
    /// log says it) once per worker and reason in a run: a `--forever` worker refused asks
    /// again every 10 s, which wrote 8,640 warnings a day.
    func refuse(_ identity: String, reason: String, event: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        if refusalsRecorded.count >= 4096 { refusalsRecorded.removeAll() }
        if refusalsRecorded.insert(identity + "\u{0}" + reason).inserted {
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: identity, message: event, at: now)
        }
        out.send(.refuse(reason: reason), to: identity)
    }

    func handleHello(_ hello: WorkerMessage.Hello, identity: String, peerAddress: String?, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        var h = hello
        // A trial of another study (one this worker served before): never ours, whatever its
        // number (adopted by number, another study's values were recorded as this trial's).
        if let other = h.running?.study, other != study.name { h.running = nil }
        // A worker is back: the others that went silent with it get a moment more.
        for (t, until) in heldForItsWorker where until > now + returnGraceSeconds { heldForItsWorker[t] = now + returnGraceSeconds }
        // Which process it is: trusted only when it names the pid it says it has, and watched
        // only when this machine can see that process now (see `ProcessIdentity.observed`).
        let process = h.process.flatMap { $0.pid == h.pid ? $0 : nil }
        let processKey = WorkerSession.processKey(host: h.host, pid: h.pid, identity: process)
        // (By process, not by host and pid: two containers on one host name are both pid 1.)
        if let old = workers[identity], old.process != processKey, isConnected(old, now: now) {
            // Two workers started with the same --id: each hello would take the id from the
            // other (and its trial with it), over and over. The newcomer is told to leave.
            let elsewhere = old.pid == h.pid && old.host == h.host ? ", in another container or pid namespace" : ""
            let reason = "worker id '\(identity)' is in use by another worker (pid \(old.pid) on \(old.host)\(elsewhere)), which is connected: give each worker its own --id (without --id every worker gets a unique one); if that was this worker before a restart, start it again in \(Int((1.5 * options.heartbeatSeconds).rounded(.up))) s, once the old one counts as gone"
            try refuse(identity, reason: reason, event: "a second worker (pid \(h.pid) on \(h.host)) said hello as \(identity) and was refused: \(reason)", now: now, tx: tx, out: &out)
            return
        }
        // A quarantined id from a new process (a restarted service, a repaired host) is
        // given another chance: its verdict was on the process, and a restart loop of a
        // stable --id (systemd's Restart=always) was quarantined at every hello.
        if health.liftQuarantine(identity, process: processKey) {
            try tx.liftQuarantine(studyID: study.id, worker: identity)
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: identity,
                               message: "worker \(identity), quarantined before, came back as a new process (pid \(h.pid) on \(h.host)): it gets work again", at: now)
        }
        let needed = Wire.capability(for: definition.task)
        guard h.capabilities.contains(needed) else {
            // Refused, not handed trials that would each fail there; no session is kept.
            let reason = definition.task == .command
                ? "study '\(study.name)' runs command trials (your own program), and worker \(identity) was started without --allow-commands: restart it with `sweep worker --allow-commands ...` to run them"
                : "study '\(study.name)' runs \(needed) trials, which worker \(identity) cannot run (it offers: \(h.capabilities.joined(separator: ", ")))"
            try refuse(identity, reason: reason, event: "worker \(identity) on \(h.host) was refused: \(reason)", now: now, tx: tx, out: &out)
            return
        }
        if definition.needsStructuredParams, !h.capabilities.contains(Wire.structuredParamsCapability) {
            let reason = "study '\(study.name)' passes dict parameter values or nested arguments (argument_style: nested, as W&B files do), which worker \(identity) runs an older Sweep to read: update Sweep on \(h.host)"
            try refuse(identity, reason: reason, event: "worker \(identity) on \(h.host) was refused: \(reason)", now: now, tx: tx, out: &out)
            return
        }
        if !h.capabilities.contains(Wire.receiptsCapability), let data = DataShelf.fingerprint(of: definition),
           data.bytes <= options.maxShippedDataBytes {
            // Its requests for the data would be refused (chunks go only to workers that
            // confirm them), and each trial it took FAILed for good: a study of 4 trials ended
            // with all 4 failed while the old worker said "4 trial(s) done". (Only where the
            // data would be shipped at all: otherwise every worker must have the files.)
            let reason = "study '\(study.name)' sends its data files to workers that lack them, and worker \(identity) runs an older Sweep that cannot receive them (no `receipts` capability): update Sweep on \(h.host)"
            try refuse(identity, reason: reason, event: "worker \(identity) on \(h.host) was refused: \(reason)", now: now, tx: tx, out: &out)
            return
        }
        if let old = workers[identity], !old.ahead.isEmpty {
            if let r = h.running, old.ahead.contains(r.trial), trials.lease(r.trial, attempt: r.attempt, worker: identity) != nil {
                // It started a trial held ahead, so it sent the outcomes of those before it,
                // which never arrived: they run again, with no attempt used up, and the one
                // it runs is started (it stayed "held ahead", as if never started).
                try catchUp(identity, to: r.trial, reason: "its outcome was lost when worker \(identity) reconnected", now: now, tx: tx)
            }
            // A worker drops what it holds ahead when it reconnects.
            try releaseAhead(of: identity, reason: "worker \(identity) reconnected before starting it", now: now, tx: tx)
        }
        if let old = workers[identity], let t = old.trial, let lease = trials[t].lease,
           h.running?.trial != t || h.running?.attempt != lease.attempt {
            // The same worker id reconnected without the trial we think it runs: that run is
            // lost (a crash), unless it never reported an epoch (the assignment got lost).
            if lease.epoch == 0 {
                try releaseLease(t, worker: identity, reason: "worker \(identity) reconnected before starting it", now: now, tx: tx)
            } else {
                try loseLease(trial: t, reason: "worker \(identity) reconnected without trial \(t)", now: now, tx: tx)
            }
        }
        var session = WorkerSession(id: identity, host: h.host, pid: h.pid, cores: h.cores, threads: h.threads, capabilities: h.capabilities,
                                    peerAddress: peerAddress, joinedAt: workers[identity]?.joinedAt ?? now, lastSeen: now, process: processKey, trial: nil,
                                    idle: false, toldNoWork: false, trialsDone: workers[identity]?.trialsDone ?? 0)
        session.localProcess = process.flatMap { $0.isLocal && $0.observed == .running ? $0 : nil }
        session.machine = process?.machine
        idleQueue.removeAll { $0 == identity }
        var adopted: TrialRef?
        var cancel: (TrialRef, String)?
        if let r = h.running {
            let ref = TrialRef(trial: r.trial, attempt: r.attempt)
            if trials.lease(r.trial, attempt: r.attempt, worker: identity) != nil {
                adopted = ref // a reconnect: the lease simply continues
            } else if trials.contains(r.trial), trials[r.trial].orphanDeadline != nil, trials[r.trial].attempt == r.attempt,
                      orphanAttempts[r.trial]?.worker == identity {
                // Only the worker that ran it: another peer naming the trial would take over
                // its lease and record its own result.
                try adopt(ref, epoch: r.epoch, worker: identity, now: now, tx: tx, how: "re-adopted after a coordinator restart")
                adopted = ref
            } else if let i = pending.firstIndex(of: r.trial), trials[r.trial].attempt == r.attempt,
                      let last = try tx.queries.attempts(trialID: trials[r.trial].rowID).last(where: { $0.attempt == r.attempt }),
                      last.worker == identity, last.outcome == .stale || last.outcome == .returned {
                // Declared dead (or a trial it held ahead taken back meanwhile), not yet
                // re-run, and back: give it its trial back. A crash counted when it was
                // declared dead was not one.
                pending.remove(at: i)
                if last.outcome == .stale { trials.update(r.trial) { $0.crashes = max(0, $0.crashes - 1) } }
                try adopt(ref, epoch: r.epoch, worker: identity, now: now, tx: tx, how: "re-adopted from its returning worker")
                adopted = ref
            } else {
                cancel = (ref, "the lease of \(ref) is no longer yours")
            }
            if adopted != nil {
                session.trial = r.trial
                counters.adopted += 1
            }
        }
        // Trials the coordinator before a restart had leased to this worker (held ahead, or a
        // run it no longer has): it is back without them, so they run again now, not when the
        // orphan grace ends (20 s idle at the end of every restarted sweep of short trials).
        for t in trials.orphans.sorted() where t != adopted?.trial && trials[t].orphanDeadline != nil && orphanAttempts[t]?.worker == identity {
            trials.update(t) { $0.orphanDeadline = nil }
            orphanProcesses[t] = nil
            try crashed(trial: t, attempt: trials[t].attempt, worker: nil,
                        reason: "it was leased to worker \(identity) when the coordinator stopped, and the worker came back without it",
                        outcome: .returned, endedAt: orphanAttempts.removeValue(forKey: t)?.lastSeen, now: now, tx: tx)
        }
        // The worker is alive: the attempts lost when it went silent were the connection's fault.
        let lostHere = lostWith.removeValue(forKey: identity).flatMap { $0.process == processKey ? $0.attempts : nil } ?? []
        for lost in lostHere where lost != adopted && pending.contains(lost.trial)
            && trials[lost.trial].attempt == lost.attempt && trials[lost.trial].lease == nil {
            try tx.forgiveCrash(trialID: trials[lost.trial].rowID, attempt: lost.attempt)
            trials.update(lost.trial) { $0.crashes = max(0, $0.crashes - 1) }
            lastChance[lost.trial] = nil // (an attempt is left again: it runs)
        }
        // Back without it (another process under its id): the last attempt's loss stands.
        for t in lastChance.keys.sorted() where lastChance[t]?.worker == identity && t != adopted?.trial {
            try endLastChance(t, now: now, tx: tx)
        }
        workers[identity] = session
        let record = WorkerRecord(worker: identity, host: h.host, pid: h.pid, version: h.version, cores: h.cores,
                                  capabilities: h.capabilities.joined(separator: ","), address: peerAddress, state: finished ? .left : .alive,
                                  trialNumber: session.trial, epoch: session.trial.flatMap { trials[$0].lease?.shownEpoch },
                                  firstSeen: session.joinedAt, lastSeen: now, trialsDone: session.trialsDone, process: process?.token)
        try tx.upsertWorker(studyID: study.id, record)
        // A worker that says hello again and again (each time handing its trial back) writes
        // an event per minute, and gets no trial for a while: a loop of hellos wrote an attempt
        // and an event each time (29 MB of database in 30 s).
        // (A hello that answers `identify` is no reconnect of its own.)
        let answersIdentify = identityAsked.removeValue(forKey: identity).map { now - $0 < Self.identifyAnswerSeconds } ?? false
        switch hellos.note(identity, now: now, counted: !answersIdentify) {
        case .joined:
            try tx.appendEvent(studyID: study.id, kind: .workerJoined, worker: identity,
                               message: "worker \(identity) joined from \(h.host)\(peerAddress.map { " (\($0))" } ?? "") with \(h.threads) thread(s)", at: now)
        case .startedFlapping:
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: identity,
                               message: "worker \(identity) on \(h.host) said hello \(HelloRecords.flappingHellos) times within \(Int(HelloRecords.windowSeconds)) s: it gets no trial for \(Int(HelloRecords.holdSeconds)) s (a reconnect hands its trial back)", at: now)
        case .again:
            break
        }
        out.send(.welcome(.init(study: study.name, heartbeatMs: options.heartbeatMs, liveness: options.liveness, adopted: adopted,
                                capabilities: [Wire.lastReportInResultCapability, Wire.checkpointPartsCapability])), to: identity)
        if let (ref, reason) = cancel {
            out.send(.cancel(ref, reason: reason), to: identity)
        }
        if finished {
            out.send(.stop(reason: finishReason), to: identity)
        } else if health.isQuarantined(identity) {
            out.send(.quarantine(reason: "\(health.reason(identity)) (worker id \(identity) was quarantined earlier in this study)"), to: identity)
        } else if h.running == nil {
            markIdle(identity) // hello without a running trial means ready
            // (A worker told to cancel its trial sends `ready` once its runner let it go.)
        }
    }

    func adopt(_ ref: TrialRef, epoch: Int, worker: String, now: Double, tx: StoreTransaction, how: String) throws {
        orphanAttempts[ref.trial] = nil
        heldForItsWorker[ref.trial] = nil
        lastChance[ref.trial] = nil
        trials.update(ref.trial) {
            $0.orphanDeadline = nil
            // (An attempt that had reported counts as one that ran, for the give-up.)
            $0.lease = Lease(worker: worker, attempt: ref.attempt, epoch: epoch, startedAt: now, objectiveReported: epoch > 0)
        }
        history.setState(ref.trial, .running)
        try tx.setTrialState(trialID: trials[ref.trial].rowID, .running)
        try tx.reopenAttempt(trialID: trials[ref.trial].rowID, attempt: ref.attempt, at: now)
        try tx.appendEvent(studyID: study.id, kind: .adopted, trialNumber: ref.trial, worker: worker, message: "\(ref) \(how)", at: now)
    }

    /// Marks a worker's row for the end-of-batch update.
    func touch(_ worker: String) {
        if dirtyWorkers[worker] == nil { dirtyWorkers[worker] = 0 }
    }

    /// Writes the rows of the workers that changed since the last flush.
    func flushWorkers(tx: StoreTransaction) throws {
        for (id, done) in dirtyWorkers {
            guard let w = workers[id] else { continue }
            try tx.updateWorker(studyID: study.id, worker: id, state: finished ? .left : .alive, trialNumber: w.trial,
                                epoch: w.trial.flatMap { trials[$0].lease?.shownEpoch }, lastSeen: w.lastSeen, finishedTrials: done)
        }
        dirtyWorkers.removeAll(keepingCapacity: true)
    }

    /// The process behind a connected worker's session (``WorkerSession/process``; nil when it is away).
    func processKey(_ worker: String) -> String? { workers[worker]?.process }

    func handleBye(_ b: WorkerMessage.Bye, from worker: String, now: Double, tx: StoreTransaction) throws {
        if let t = workers[worker]?.trial, trials[t].lease?.worker == worker {
            try releaseLease(t, worker: worker, reason: "handed back by \(worker) (\(b.reason))", now: now, tx: tx)
        }
        try releaseAhead(of: worker, reason: "held ahead by \(worker), which left before starting it (\(b.reason))", now: now, tx: tx)
        try flushWorkers(tx: tx) // its finished trials first: the row is about to change
        workers[worker] = nil
        health.forget(worker)
        idleQueue.removeAll { $0 == worker }
        try tx.updateWorker(studyID: study.id, worker: worker, state: .left, trialNumber: nil, epoch: nil, lastSeen: now)
        try tx.appendEvent(studyID: study.id, kind: .workerLeft, worker: worker, message: "worker \(worker) left: \(b.reason)", at: now)
    }
}
