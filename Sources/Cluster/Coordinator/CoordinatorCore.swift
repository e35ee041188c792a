import Foundation
import Search
import Store
import SweepFile

/// The coordinator's decisions, without sockets: leases, pruning, liveness, re-queueing,
/// the budget, and what to record. The poll loop (``Coordinator``) feeds it messages and
/// clock ticks inside one store transaction per batch and sends its outbox after commit.
///
/// Everything here is rebuilt from the database on resume (``init(resuming:...)``), which is
/// why a restarted coordinator keeps deciding as the old one would have.
final class CoordinatorCore {
    let definition: SweepDefinition
    private(set) var study: StudyRecord
    let history: StudyHistory
    let sampler: any Sampler
    let pruner: any Pruner
    let options: CoordinatorOptions

    private(set) var workers: [String: WorkerSession] = [:]
    /// Workers waiting for a trial, first come first served.
    private var idleQueue: [String] = []
    private(set) var leases: [Int: Lease] = [:]
    /// Trials to run again (STALE) or not yet run (WAITING), in order.
    private var pending: [Int] = []
    /// RUNNING trials found on resume, waiting for their worker to come back.
    private var orphans: [Int: (attempt: Int, deadline: Double)] = [:]
    private var rowIDs: [Int: Int64] = [:]
    private var attempts: [Int: Int] = [:]
    private var crashes: [Int: Int] = [:]
    /// Decisions already sent for the current attempt, for idempotent replies.
    private var decisions: [Int: [Int: PruneDecision]] = [:]
    private(set) var counters = CoordinatorCounters()
    private(set) var finished = false
    /// Interrupted: serve messages, hand out nothing, do not end the study.
    var draining = false
    private(set) var finishReason = ""
    /// Seconds of running time before this coordinator started (earlier runs).
    private let priorRunSeconds: Double
    let startedAt: Double
    private var lastRunSecondsFlush: Double
    /// Model files no longer recorded, to remove after the batch commits.
    private var droppedArtifacts: [String] = []
    /// Workers whose row (current trial, epoch, trials done) changed in this batch; written
    /// once per batch instead of once per event.
    private var dirtyWorkers: [String: Int] = [:]

    // MARK: Setup

    /// A new study from a sweep file.
    init(creating definition: SweepDefinition, options: CoordinatorOptions, tx: StoreTransaction, now: Double) throws {
        self.definition = definition
        self.options = options
        sampler = definition.sampler.makeSampler(space: definition.space)
        // A grid has only so many points: the budget is at most one trial per point.
        var budget = definition.budget.trials
        if let grid = sampler as? GridSampler { budget = min(budget, grid.gridSize) }
        let new = NewStudy(name: definition.study, direction: definition.objective.direction, metric: definition.objective.metric,
                           sweepFile: definition.text, sweepPath: definition.file, space: definition.space, seed: definition.seed,
                           budgetTrials: budget, maxEpochs: definition.maxEpochs, wallTime: definition.budget.wallTime,
                           maxAttempts: definition.retry.maxAttempts)
        study = try tx.createStudy(new, at: now)
        history = StudyHistory(direction: definition.objective.direction)
        pruner = definition.pruner.makePruner(maxSteps: definition.maxEpochs)
        priorRunSeconds = 0
        startedAt = now
        lastRunSecondsFlush = now
        try tx.appendEvent(studyID: study.id, kind: .studyStarted, message: "study '\(study.name)' started: budget \(study.definition.budgetTrials) trials, sampler \(definition.sampler.name.rawValue), pruner \(definition.pruner.name.rawValue)", at: now)
    }

    /// An existing study, rebuilt from the database.
    init(resuming study: StudyRecord, definition: SweepDefinition, options: CoordinatorOptions, queries: StoreQueries,
         tx: StoreTransaction, now: Double) throws {
        self.definition = definition
        self.options = options
        self.study = study
        let snapshots = try queries.history(studyID: study.id)
        history = StudyHistory(direction: study.direction, trials: snapshots)
        sampler = definition.sampler.makeSampler(space: definition.space)
        pruner = definition.pruner.makePruner(maxSteps: definition.maxEpochs)
        priorRunSeconds = study.runSeconds
        startedAt = now
        lastRunSecondsFlush = now
        var requeued = 0, waiting = 0
        for t in try queries.trials(studyID: study.id) {
            rowIDs[t.number] = t.id
            attempts[t.number] = t.attempt
            let crashed = try queries.attempts(trialID: t.id).filter { $0.outcome == "STALE" }.count
            crashes[t.number] = crashed
            switch t.state {
            case .running:
                orphans[t.number] = (t.attempt, now + options.orphanGraceSeconds)
                // Answers already given to this attempt, so re-sent reports get the same ones.
                for r in try queries.intermediates(trialID: t.id) where r.attempt == t.attempt {
                    decisions[t.number, default: [:]][r.step] = PruneDecision(prune: r.pruned, reason: r.reason ?? "recorded before the restart")
                }
            case .stale:
                pending.append(t.number)
                requeued += 1
            case .waiting:
                pending.append(t.number)
                waiting += 1
            default:
                break
            }
        }
        try tx.markWorkersDead(studyID: study.id, except: [])
        if study.state == .finished && !(hasBudgetLeft || !pending.isEmpty || !orphans.isEmpty) {
            finished = true
            finishReason = "the study had already finished"
        } else if study.state == .finished {
            try tx.setStudyState(study.id, .running, at: now)
            self.study.state = .running
        }
        try tx.appendEvent(studyID: study.id, kind: .studyResumed,
                           message: "study resumed: \(history.trials.count) trials exist, \(orphans.count) were running, \(requeued) stale, \(waiting) waiting",
                           at: now)
    }

    // MARK: Budget

    private var createdTrials: Int { history.trials.count }
    private var budgetTrials: Int { study.definition.budgetTrials }
    private var hasBudgetLeft: Bool { createdTrials < budgetTrials }

    /// Seconds of running time, this run included.
    func runSeconds(now: Double) -> Double { priorRunSeconds + (now - startedAt) }

    private func wallTimeSpent(now: Double) -> Bool {
        guard let limit = study.definition.wallTime else { return false }
        return runSeconds(now: now) >= limit
    }

    // MARK: Messages

    /// Handles one message from `worker`.
    func handle(_ message: WorkerMessage, from worker: String, peerAddress: String?, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        counters.messages += 1
        if case .hello(let hello) = message {
            try handleHello(hello, identity: worker, peerAddress: peerAddress, now: now, tx: tx, out: &out)
            return
        }
        guard workers[worker] != nil else {
            // A worker we do not know (we restarted, or declared it dead): it must say hello.
            out.send(.identify, to: worker)
            return
        }
        workers[worker]!.lastSeen = now
        switch message {
        case .hello: break
        case .heartbeat: break
        case .ready:
            if let t = workers[worker]?.trial, let lease = leases[t], lease.worker == worker {
                // Ready while holding a lease: the worker never got (or lost) its assignment.
                try releaseLease(t, worker: worker, reason: "the worker asked for work without running its trial", now: now, tx: tx)
            }
            markIdle(worker)
        case .report(let r):
            try handleReport(r, from: worker, now: now, tx: tx, out: &out)
        case .result(let r):
            try handleResult(r, from: worker, now: now, tx: tx)
            if r.ready { markIdle(worker) }
        case .failure(let f):
            try handleFailure(f, from: worker, now: now, tx: tx)
            if f.ready { markIdle(worker) }
        case .bye(let b):
            try handleBye(b, from: worker, now: now, tx: tx)
        }
    }

    private func markIdle(_ worker: String) {
        guard var w = workers[worker], w.trial == nil, !w.idle else { return }
        w.idle = true
        workers[worker] = w
        idleQueue.append(worker)
    }

    private func handleHello(_ h: WorkerMessage.Hello, identity: String, peerAddress: String?, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        if let old = workers[identity], let t = old.trial, h.running?.trial != t || h.running?.attempt != leases[t]?.attempt {
            // The same worker id reconnected without the trial we think it runs: that run is
            // lost (a crash), unless it never reported an epoch (the assignment got lost).
            if leases[t]?.epoch == 0 {
                try releaseLease(t, worker: identity, reason: "worker \(identity) reconnected before starting it", now: now, tx: tx)
            } else {
                try loseLease(trial: t, reason: "worker \(identity) reconnected without trial \(t)", now: now, tx: tx)
            }
        }
        var session = WorkerSession(id: identity, host: h.host, pid: h.pid, cores: h.cores, threads: h.threads, capabilities: h.capabilities,
                                    peerAddress: peerAddress, joinedAt: workers[identity]?.joinedAt ?? now, lastSeen: now, trial: nil,
                                    idle: false, toldNoWork: false, trialsDone: workers[identity]?.trialsDone ?? 0)
        idleQueue.removeAll { $0 == identity }
        var adopted: TrialRef?
        var cancel: (TrialRef, String)?
        if let r = h.running {
            let ref = TrialRef(trial: r.trial, attempt: r.attempt)
            if let lease = leases[r.trial], lease.worker == identity, lease.attempt == r.attempt {
                adopted = ref // a reconnect: the lease simply continues
            } else if let orphan = orphans[r.trial], orphan.attempt == r.attempt {
                orphans[r.trial] = nil
                try adopt(ref, epoch: r.epoch, worker: identity, now: now, tx: tx, how: "re-adopted after a coordinator restart")
                adopted = ref
            } else if let i = pending.firstIndex(of: r.trial), attempts[r.trial] == r.attempt, history.trial(r.trial)?.state == .stale {
                // Declared dead, not yet re-run, and back: give it its trial back.
                pending.remove(at: i)
                // Its attempt was counted as a crash when it was declared dead; it was not one.
                let last = try tx.queries.attempts(trialID: rowIDs[r.trial]!).last { $0.attempt == r.attempt }
                if last?.outcome == "STALE" { crashes[r.trial, default: 1] -= 1 }
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
        workers[identity] = session
        let record = WorkerRecord(worker: identity, host: h.host, pid: h.pid, version: h.version, cores: h.cores,
                                  capabilities: h.capabilities.joined(separator: ","), address: peerAddress, state: .alive,
                                  trialNumber: session.trial, epoch: session.trial.flatMap { leases[$0]?.epoch },
                                  firstSeen: session.joinedAt, lastSeen: now, trialsDone: session.trialsDone)
        try tx.upsertWorker(studyID: study.id, record)
        try tx.appendEvent(studyID: study.id, kind: .workerJoined, worker: identity,
                           message: "worker \(identity) joined from \(h.host)\(peerAddress.map { " (\($0))" } ?? "") with \(h.threads) thread(s)", at: now)
        out.send(.welcome(.init(study: study.name, heartbeatMs: options.heartbeatMs, liveness: options.liveness, adopted: adopted)), to: identity)
        if let (ref, reason) = cancel {
            out.send(.cancel(ref, reason: reason), to: identity)
        }
        if finished {
            out.send(.stop(reason: finishReason), to: identity)
        } else if h.running == nil {
            markIdle(identity) // hello without a running trial means ready
            // (A worker told to cancel its trial sends `ready` once its runner let it go.)
        }
    }

    private func adopt(_ ref: TrialRef, epoch: Int, worker: String, now: Double, tx: StoreTransaction, how: String) throws {
        leases[ref.trial] = Lease(worker: worker, attempt: ref.attempt, epoch: epoch, startedAt: now)
        history.setState(ref.trial, .running)
        try tx.setTrialState(trialID: rowIDs[ref.trial]!, .running)
        try tx.reopenAttempt(trialID: rowIDs[ref.trial]!, attempt: ref.attempt)
        try tx.appendEvent(studyID: study.id, kind: .adopted, trialNumber: ref.trial, worker: worker, message: "\(ref) \(how)", at: now)
    }

    /// The lease of `trial` if `worker` holds it for `attempt`.
    private func validLease(_ trial: Int, _ attempt: Int, _ worker: String) -> Lease? {
        guard let lease = leases[trial], lease.worker == worker, lease.attempt == attempt else { return nil }
        return lease
    }

    private func handleReport(_ r: WorkerMessage.Report, from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        let ref = TrialRef(trial: r.trial, attempt: r.attempt)
        if let earlier = decisions[r.trial]?[r.epoch], attempts[r.trial] == r.attempt {
            // A repeated report (e.g. resent after a reconnect): same answer, nothing recorded.
            counters.duplicateReports += 1
            out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: earlier.prune ? "prune" : "continue", reason: earlier.reason)), to: worker)
            return
        }
        guard var lease = validLease(r.trial, r.attempt, worker) else {
            counters.staleReports += 1
            out.send(.cancel(ref, reason: "no lease for \(ref) on this worker"), to: worker)
            return
        }
        guard r.epoch <= definition.maxEpochs else {
            counters.malformed += 1
            out.send(.error("epoch \(r.epoch) of \(ref) is beyond its \(definition.maxEpochs) epoch(s); report ignored"), to: worker)
            return
        }
        let value = r.value ?? r.metrics[study.definition.metric]
        let objective = value.flatMap { $0.isFinite ? $0 : nil } ?? history.direction.worst
        history.report(r.trial, step: r.epoch, value: objective)
        var decision: PruneDecision
        if wallTimeSpent(now: now) {
            decision = PruneDecision(prune: true, reason: "the wall-time budget of \(Int(study.definition.wallTime ?? 0)) s is spent")
        } else {
            decision = pruner.decide(trial: r.trial, step: r.epoch, history: history)
        }
        if decision.prune && r.epoch >= (definition.maxEpochs) && !wallTimeSpent(now: now) {
            // The last epoch: the trial is complete; pruning it now would only lose its result.
            decision = .keep("last epoch: \(decision.reason)")
        }
        decisions[r.trial, default: [:]][r.epoch] = decision
        lease.epoch = r.epoch
        leases[r.trial] = lease
        try tx.recordReport(trialID: rowIDs[r.trial]!, IntermediateRecord(step: r.epoch, attempt: r.attempt, value: value, metrics: r.metrics,
                                                                          pruned: decision.prune, reason: decision.prune ? decision.reason : nil, recordedAt: now))
        touch(worker)
        if decision.prune {
            history.finish(r.trial, state: .pruned, value: value)
            try tx.finishTrial(trialID: rowIDs[r.trial]!, attempt: r.attempt, state: .pruned, value: value, metrics: r.metrics,
                               pruneReason: decision.reason, at: now)
            var detail = "{\"step\":\(r.epoch)"
            if let rung = decision.rung { detail += ",\"rung\":\(rung)" }
            if let cutoff = decision.cutoff, cutoff.isFinite { detail += ",\"cutoff\":\(cutoff)" }
            detail += "}"
            try tx.appendEvent(studyID: study.id, kind: .pruned, trialNumber: r.trial, worker: worker,
                               message: "trial \(r.trial) pruned at epoch \(r.epoch): \(decision.reason)", detail: detail, at: now)
            endLease(r.trial, worker: worker, completed: true)
        }
        out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: decision.prune ? "prune" : "continue", reason: decision.reason)), to: worker)
    }

    private func endLease(_ trial: Int, worker: String, completed: Bool) {
        leases[trial] = nil
        decisions[trial] = nil
        if workers[worker]?.trial == trial {
            workers[worker]!.trial = nil
            if completed {
                workers[worker]!.trialsDone += 1
                dirtyWorkers[worker, default: 0] += 1
            }
            touch(worker)
        }
    }

    /// Marks a worker's row for the end-of-batch update.
    private func touch(_ worker: String) {
        if dirtyWorkers[worker] == nil { dirtyWorkers[worker] = 0 }
    }

    /// Writes the rows of the workers that changed in this batch.
    private func flushWorkers(tx: StoreTransaction) throws {
        for (id, done) in dirtyWorkers {
            guard let w = workers[id] else { continue }
            try tx.updateWorker(studyID: study.id, worker: id, state: .alive, trialNumber: w.trial, epoch: w.trial.flatMap { leases[$0]?.epoch },
                                lastSeen: w.lastSeen, finishedTrials: done)
        }
        dirtyWorkers.removeAll(keepingCapacity: true)
    }

    /// Stored models named by `study:NAME/TRIAL` references, read once per coordinator.
    private var baseModels: [String: [UInt8]] = [:]

    /// The model file a `study:NAME/TRIAL|best` reference names, from this database's artifacts.
    private func resolveBaseModel(_ reference: String, tx: StoreTransaction) throws -> [UInt8] {
        if let cached = baseModels[reference] { return cached }
        guard let dir = options.artifacts else {
            throw BaseModelReference.Error.unresolved(reference, "this coordinator keeps no models (an in-memory database)")
        }
        let ref = try BaseModelReference(reference)
        guard let source = try tx.queries.study(named: ref.study) else {
            throw BaseModelReference.Error.unresolved(reference, "no study named '\(ref.study)' in this database")
        }
        let stored = try tx.queries.artifacts(studyID: source.id)
        let pick: ArtifactRecord?
        if let n = ref.trial {
            pick = stored.first { $0.trialNumber == n }
        } else {
            pick = stored.filter { $0.value != nil }.min { a, b in source.direction.isBetter(a.value!, than: b.value!) }
        }
        guard let pick else {
            throw BaseModelReference.Error.unresolved(reference, "study '\(ref.study)' kept no model for \(ref.trial.map { "trial \($0)" } ?? "its best trial") (see `sweep model list \(ref.study)`)")
        }
        let bytes = try dir.read(pick.path)
        baseModels[reference] = bytes
        return bytes
    }

    /// Whether finished trials send their model (training sweeps that keep artifacts).
    private var keepsModels: Bool {
        options.artifacts != nil && definition.task == .training && definition.artifacts.keepsModels
    }

    /// Stores a finished trial's model, then drops the models that fell out of the top K.
    private func keepModel(_ bytes: [UInt8], trial: Int, value: Double, now: Double, tx: StoreTransaction) throws {
        guard keepsModels, let dir = options.artifacts else { return }
        if let k = definition.artifacts.keep, !isAmongBest(k, value: value) { return }
        let path = try dir.save(study: study.name, trial: trial, bytes: bytes)
        try tx.upsertArtifact(studyID: study.id, ArtifactRecord(trialNumber: trial, path: path, bytes: bytes.count, value: value, createdAt: now))
        guard let k = definition.artifacts.keep else { return }
        let kept = try tx.queries.artifacts(studyID: study.id)
        let ranked = kept.sorted { a, b in
            guard let x = a.value, let y = b.value else { return a.value != nil }
            return history.direction.isBetter(x, than: y) || (x == y && a.trialNumber < b.trialNumber)
        }
        for dropped in ranked.dropFirst(k) {
            try tx.deleteArtifact(studyID: study.id, trialNumber: dropped.trialNumber)
            // Removed only once the transaction that forgets them has committed.
            droppedArtifacts.append(dropped.path)
        }
    }

    /// Whether `value` would be among the best `k` complete values so far.
    private func isAmongBest(_ k: Int, value: Double) -> Bool {
        let better = history.trials.lazy.filter { $0.state == .complete }.compactMap(\.value).filter { self.history.direction.isBetter($0, than: value) }.count
        return better < k
    }

    private func handleResult(_ r: WorkerMessage.Result, from worker: String, now: Double, tx: StoreTransaction) throws {
        guard validLease(r.trial, r.attempt, worker) != nil else {
            // Already pruned by us, or no longer this worker's: nothing to record. (A stale
            // attempt number must not detach the worker from a lease it still holds.)
            if workers[worker]?.trial == r.trial, leases[r.trial]?.worker != worker { workers[worker]!.trial = nil }
            return
        }
        let value = r.value ?? r.metrics[study.definition.metric]
        guard let value, value.isFinite else {
            try fail(trial: r.trial, attempt: r.attempt, worker: worker, error: "the trial finished without a finite '\(study.definition.metric)'", now: now, tx: tx)
            return
        }
        if r.state == "pruned" {
            // The worker stopped on its own before the end (we did not prune it).
            let reason = "stopped early by its worker after \(r.epochs) epoch(s)"
            history.finish(r.trial, state: .pruned, value: value)
            try tx.finishTrial(trialID: rowIDs[r.trial]!, attempt: r.attempt, state: .pruned, value: value,
                               metrics: r.metrics.isEmpty ? nil : r.metrics, pruneReason: reason, at: now)
            endLease(r.trial, worker: worker, completed: true)
            return
        }
        history.finish(r.trial, state: .complete, value: value)
        try tx.finishTrial(trialID: rowIDs[r.trial]!, attempt: r.attempt, state: .complete, value: value,
                           metrics: r.metrics.isEmpty ? nil : r.metrics, at: now)
        if let model = r.model {
            do {
                try keepModel(model, trial: r.trial, value: value, now: now, tx: tx)
            } catch let error as ArtifactError {
                // A full disk must not stop the sweep: the trial's result stands without its model.
                try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: r.trial, worker: worker, message: "model of trial \(r.trial) not kept: \(error)", at: now)
            }
        }
        // No event: the trial row and its attempt record the completion (one write less per trial).
        endLease(r.trial, worker: worker, completed: true)
    }

    private func handleFailure(_ f: WorkerMessage.Failure, from worker: String, now: Double, tx: StoreTransaction) throws {
        guard validLease(f.trial, f.attempt, worker) != nil else {
            if workers[worker]?.trial == f.trial, leases[f.trial]?.worker != worker { workers[worker]!.trial = nil }
            return
        }
        if definition.retry.retryErrors, (attempts[f.trial] ?? 1) < definition.retry.maxAttempts {
            try tx.endAttempt(trialID: rowIDs[f.trial]!, attempt: f.attempt, outcome: "FAIL", error: f.error, at: now)
            try requeue(f.trial, outcome: nil, message: "trial \(f.trial) failed on attempt \(f.attempt) and is re-queued: \(f.error)", worker: worker, now: now, tx: tx)
            endLease(f.trial, worker: worker, completed: false)
            return
        }
        try fail(trial: f.trial, attempt: f.attempt, worker: worker, error: f.error, now: now, tx: tx)
    }

    private func fail(trial: Int, attempt: Int, worker: String?, error: String, now: Double, tx: StoreTransaction) throws {
        history.finish(trial, state: .fail, value: nil)
        try tx.finishTrial(trialID: rowIDs[trial]!, attempt: attempt, state: .fail, value: nil, metrics: nil, error: error, at: now)
        try tx.appendEvent(studyID: study.id, kind: .failed, trialNumber: trial, worker: worker, message: "trial \(trial) failed: \(error)", at: now)
        if let worker { endLease(trial, worker: worker, completed: true) } else { leases[trial] = nil; decisions[trial] = nil }
    }

    private func handleBye(_ b: WorkerMessage.Bye, from worker: String, now: Double, tx: StoreTransaction) throws {
        if let t = workers[worker]?.trial, let lease = leases[t], lease.worker == worker {
            try tx.endAttempt(trialID: rowIDs[t]!, attempt: lease.attempt, outcome: "RETURNED", error: b.reason, at: now)
            try requeue(t, outcome: nil, message: "trial \(t) handed back by \(worker) (\(b.reason)) and re-queued", worker: worker, now: now, tx: tx)
            leases[t] = nil
            decisions[t] = nil
        }
        workers[worker] = nil
        idleQueue.removeAll { $0 == worker }
        dirtyWorkers[worker] = nil
        try tx.updateWorker(studyID: study.id, worker: worker, state: .left, trialNumber: nil, epoch: nil, lastSeen: now)
        try tx.appendEvent(studyID: study.id, kind: .workerLeft, worker: worker, message: "worker \(worker) left: \(b.reason)", at: now)
    }

    /// Puts a trial back in the queue (STALE) so another worker runs it.
    private func requeue(_ trial: Int, outcome: String?, message: String, worker: String?, now: Double, tx: StoreTransaction) throws {
        history.setState(trial, .stale)
        try tx.setTrialState(trialID: rowIDs[trial]!, .stale)
        pending.append(trial)
        counters.requeued += 1
        try tx.appendEvent(studyID: study.id, kind: .requeued, trialNumber: trial, worker: worker, message: message, at: now)
    }

    /// A lease the worker gave up without running it: back in the queue, no crash counted.
    private func releaseLease(_ trial: Int, worker: String, reason: String, now: Double, tx: StoreTransaction) throws {
        guard let lease = leases[trial] else { return }
        leases[trial] = nil
        decisions[trial] = nil
        if workers[worker]?.trial == trial { workers[worker]!.trial = nil }
        try tx.endAttempt(trialID: rowIDs[trial]!, attempt: lease.attempt, outcome: "RETURNED", error: reason, at: now)
        try requeue(trial, outcome: nil, message: "trial \(trial) re-queued: \(reason)", worker: worker, now: now, tx: tx)
    }

    /// A lease whose worker is gone: STALE, then re-queued or, past the retry limit, FAIL.
    private func loseLease(trial: Int, reason: String, now: Double, tx: StoreTransaction) throws {
        guard let lease = leases[trial] else { return }
        leases[trial] = nil
        decisions[trial] = nil
        if workers[lease.worker]?.trial == trial { workers[lease.worker]!.trial = nil }
        try crashed(trial: trial, attempt: lease.attempt, worker: lease.worker, reason: reason, now: now, tx: tx)
    }

    private func crashed(trial: Int, attempt: Int, worker: String?, reason: String, countsAsCrash: Bool = true, now: Double, tx: StoreTransaction) throws {
        let id = rowIDs[trial]!
        try tx.endAttempt(trialID: id, attempt: attempt, outcome: countsAsCrash ? "STALE" : "RETURNED", error: reason, at: now)
        try tx.appendEvent(studyID: study.id, kind: .stale, trialNumber: trial, worker: worker, message: "trial \(trial) (attempt \(attempt)) is stale: \(reason)", at: now)
        if countsAsCrash { crashes[trial, default: 0] += 1 }
        if crashes[trial]! >= definition.retry.maxAttempts {
            try fail(trial: trial, attempt: 0, worker: nil, error: "its worker died \(crashes[trial]!) time(s) (\(reason)); the retry limit is \(definition.retry.maxAttempts) attempts", now: now, tx: tx)
        } else {
            try requeue(trial, outcome: "STALE", message: "trial \(trial) re-queued after attempt \(attempt) was lost", worker: worker, now: now, tx: tx)
        }
    }

    // MARK: Time

    /// Liveness, orphan deadlines, the wall-time budget, dispatch and completion.
    func tick(now: Double, judgeLiveness: Bool = true, tx: StoreTransaction, out: inout Outbox) throws {
        let timeout = Double(options.heartbeatMs * options.liveness) / 1000
        for (id, w) in workers where judgeLiveness && now - w.lastSeen > timeout {
            workers[id] = nil
            idleQueue.removeAll { $0 == id }
            counters.workersLost += 1
            dirtyWorkers[id] = nil
            try tx.updateWorker(studyID: study.id, worker: id, state: .dead, trialNumber: nil, epoch: nil, lastSeen: w.lastSeen)
            try tx.appendEvent(studyID: study.id, kind: .workerLost, worker: id,
                               message: "worker \(id) on \(w.host) sent nothing for \(String(format: "%.1f", now - w.lastSeen)) s and is considered dead", at: now)
            if let t = w.trial, leases[t]?.worker == id {
                try loseLease(trial: t, reason: "worker \(id) stopped responding", now: now, tx: tx)
            }
        }
        for (t, orphan) in orphans where judgeLiveness && now >= orphan.deadline {
            orphans[t] = nil
            // Not the trial's fault: the coordinator went away. Re-run it without counting a crash.
            try crashed(trial: t, attempt: orphan.attempt, worker: nil, reason: "it was running when the coordinator stopped and its worker did not come back",
                        countsAsCrash: false, now: now, tx: tx)
        }
        if now - lastRunSecondsFlush >= 5 {
            try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
            lastRunSecondsFlush = now
        }
        try dispatch(now: now, tx: tx, out: &out)
    }

    /// Hands out work to idle workers, and ends the study when nothing is left.
    func dispatch(now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        defer { if !dirtyWorkers.isEmpty { try? flushWorkers(tx: tx) } }
        guard !finished, !draining else { return }
        let wallSpent = wallTimeSpent(now: now)
        while let worker = idleQueue.first {
            guard workers[worker] != nil else { idleQueue.removeFirst(); continue }
            guard !wallSpent, let next = try nextTrial(for: worker, now: now, tx: tx) else { break }
            // Stays first in the queue when the trial could not be leased (invalid configuration).
            if try lease(next.number, to: worker, inserted: next.inserted, now: now, tx: tx, out: &out) {
                idleQueue.removeFirst()
            }
        }
        if leases.isEmpty && orphans.isEmpty && (wallSpent || (!hasBudgetLeft && pending.isEmpty)) {
            try finish(reason: wallSpent ? "the wall-time budget is spent" : "all \(budgetTrials) trials are done", now: now, tx: tx, out: &out)
            return
        }
        for worker in idleQueue where workers[worker]?.toldNoWork == false {
            workers[worker]!.toldNoWork = true
            out.send(.noWork(reason: "all remaining trials are running; waiting for them"), to: worker)
        }
    }

    /// The next trial to run: a re-queued one first, else a new one from the sampler
    /// (inserted directly as this worker's lease: one statement instead of two).
    private func nextTrial(for worker: String, now: Double, tx: StoreTransaction) throws -> (number: Int, inserted: Bool)? {
        if !pending.isEmpty { return (pending.removeFirst(), false) }
        guard hasBudgetLeft else { return nil }
        let number = history.nextNumber
        let params = sampler.suggest(for: number, in: definition.space, history: history)
        let seed = definition.trialSeed(number: number)
        rowIDs[number] = try tx.insertTrial(studyID: study.id, number: number, state: .waiting, params: params, seed: seed, at: now,
                                            leasedTo: worker)
        attempts[number] = 0
        history.append(TrialSnapshot(number: number, state: .waiting, params: params))
        return (number, true)
    }

    /// Leases `trial` to `worker` and queues its assignment; false when the trial's
    /// configuration turned out invalid (it is recorded as FAIL and the worker stays idle).
    @discardableResult
    private func lease(_ trial: Int, to worker: String, inserted: Bool, now: Double, tx: StoreTransaction, out: inout Outbox) throws -> Bool {
        let snapshot = history.trial(trial)!
        let seed = definition.trialSeed(number: trial)
        let spec: TrialSpec
        do {
            spec = try definition.spec(for: snapshot.params, trialSeed: seed)
        } catch {
            // Validation probes bounds; a rare combination can still be invalid. Record it.
            try fail(trial: trial, attempt: inserted ? 1 : 0, worker: nil, error: "invalid configuration: \(error)", now: now, tx: tx)
            return false
        }
        var baseModel: [UInt8]?
        if case .training(let config) = spec, let from = config.model.transfer?.from, from.hasPrefix(BaseModelReference.prefix) {
            do {
                baseModel = try resolveBaseModel(from, tx: tx)
            } catch {
                try fail(trial: trial, attempt: inserted ? 1 : 0, worker: nil, error: "\(error)", now: now, tx: tx)
                return false
            }
        }
        let attempt = (attempts[trial] ?? 0) + 1
        attempts[trial] = attempt
        leases[trial] = Lease(worker: worker, attempt: attempt, epoch: 0, startedAt: now)
        decisions[trial] = nil
        workers[worker]!.trial = trial
        workers[worker]!.idle = false
        workers[worker]!.toldNoWork = false
        history.setState(trial, .running)
        if !inserted {
            try tx.startAttempt(trialID: rowIDs[trial]!, attempt: attempt, worker: worker, at: now)
        }
        touch(worker)
        out.send(.assign(.init(study: study.name, trial: trial, attempt: attempt, seed: seed, params: snapshot.params, spec: spec,
                               maxEpochs: definition.maxEpochs, metric: study.definition.metric, keepModel: keepsModels,
                               baseModel: baseModel)), to: worker)
        return true
    }

    private func finish(reason: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        finished = true
        finishReason = reason
        try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
        lastRunSecondsFlush = now
        try tx.setStudyState(study.id, .finished, at: now)
        study.state = .finished
        let best = history.best.map { "; best trial \($0.number) with \(study.definition.metric) = \($0.value!)" } ?? ""
        try tx.appendEvent(studyID: study.id, kind: .studyFinished, message: "study finished: \(reason)\(best)", at: now)
        try flushWorkers(tx: tx)
        for id in workers.keys.sorted() {
            out.send(.stop(reason: reason), to: id)
            try tx.updateWorker(studyID: study.id, worker: id, state: .left, trialNumber: nil, epoch: nil, lastSeen: workers[id]!.lastSeen)
        }
    }

    /// Stops handing out work (Ctrl-C): running trials stay RUNNING for a later resume.
    func interrupt(now: Double, tx: StoreTransaction) throws {
        try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
        lastRunSecondsFlush = now
    }

    /// A second Ctrl-C: every trial still held (leased, or waiting for its worker after a
    /// restart) is recorded as handed back and re-queued, so a resume starts it at once.
    func handBackAll(reason: String, now: Double, tx: StoreTransaction) throws {
        for (t, lease) in leases { try releaseLease(t, worker: lease.worker, reason: reason, now: now, tx: tx) }
        for (t, orphan) in orphans { try crashed(trial: t, attempt: orphan.attempt, worker: nil, reason: reason, countsAsCrash: false, now: now, tx: tx) }
        orphans.removeAll()
    }

    // MARK: Status

    /// Ids of the connected workers (no order; for heartbeats).
    var workerIDs: Dictionary<String, WorkerSession>.Keys { workers.keys }

    /// Trials currently leased to workers.
    var leaseCount: Int { leases.count }

    func countersMutate(_ body: (inout CoordinatorCounters) -> Void) { body(&counters) }

    /// Removes model files the last committed batch stopped recording.
    func removeDroppedArtifacts() {
        guard let dir = options.artifacts, !droppedArtifacts.isEmpty else { return }
        for path in droppedArtifacts { dir.delete(path) }
        droppedArtifacts.removeAll()
    }
}
