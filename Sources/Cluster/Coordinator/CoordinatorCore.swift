import Foundation
import Search
import Store
import SweepFile

/// The coordinator's decisions, without sockets: leases, pruning, liveness, re-queueing,
/// quarantine, the budget, and what to record. The poll loop (``Coordinator``) feeds it
/// messages and clock ticks inside one store transaction per batch and sends its outbox
/// after commit.
///
/// Everything here is rebuilt from the database on resume (``init(resuming:...)``), which is
/// why a restarted coordinator keeps deciding as the old one would have.
///
/// This file holds the state, setup, the budget, message routing and the tick; each concern
/// has its own extension file: `+Sessions` (hello, bye, idleness), `+Dispatch` (which trial
/// runs next, assignments), `+Ahead` (trials leased ahead), `+Reports` (per-epoch
/// decisions), `+Outcomes` (results and failures), `+Leases` (leases ending), `+Liveness`
/// (silent and exited workers), `+HeldBack` (broken hosts), `+GivingUp` (the early
/// give-up), `+Pausing` (PBT, ASHA promotions), `+Checkpoints`, `+Ending`. The state is
/// internal for them; only the shell (``Coordinator``) and tests use it from outside.
final class CoordinatorCore {
    /// The study's settings (the stored sweep file on resume; see `SweepDefinition+Study.swift`).
    let definition: SweepDefinition
    var study: StudyRecord
    let history: StudyHistory
    let sampler: any Sampler
    let pruner: any Pruner
    /// PBT or ASHA with promotions: trials that pause and continue (see `+Pausing`).
    let pausing: TrialPausing?
    let options: CoordinatorOptions

    var workers: [String: WorkerSession] = [:]
    /// Workers waiting for a trial, first come first served.
    var idleQueue: [String] = []
    /// Workers running a short trial that can take their next one ahead (after the idle ones).
    var aheadQueue: [String] = []
    /// When idle workers last looked for trials held ahead behind a long one (at most every
    /// 50 ms: the look goes over every worker).
    var lastTakeBackLook = -Double.infinity
    /// Trials that reached a pause (PBT, ASHA promotions) without a checkpoint, warned of once.
    var unpausedTrials: Set<Int> = []
    /// Trials whose workers all went silent at once (the coordinator's network, not theirs),
    /// kept for their own worker until this time: given to the first worker back, a trial
    /// was cancelled on its own worker when that one came back a second later with the
    /// result, and the attempt counted as a crash (a trial FAIL with max_attempts 1).
    var heldForItsWorker: [Int: Double] = [:]
    /// Trials whose last allowed attempt was lost to a silent worker: kept for that worker
    /// until this time (a partition heals, and it comes back with the trial), then FAIL with
    /// the reason. Failed at once, a trial its worker still ran was cancelled when the
    /// worker came back 8 s later (`max_attempts: 1`).
    var lastChance: [Int: (until: Double, reason: String, worker: String)] = [:]
    /// Attempts in a row that failed before reporting, per trial with a checkpoint (see
    /// ``handleFailure(_:from:now:tx:out:)``: two drop the checkpoint).
    var failedBeforeReporting: [Int: Int] = [:]
    /// Recent hellos by worker id (a loop of them is held back, see ``HelloRecords``).
    var hellos = HelloRecords()
    /// When each worker was last asked who it is (`identify`), for ``shouldAskIdentity(_:now:)``.
    var identityAsked: [String: Double] = [:]
    /// The refusals recorded as events in this run, as `worker` + reason (see ``refuse``).
    var refusalsRecorded: Set<String> = []
    /// Why the study stops before its budget (see ``giveUpIfEveryTrialFails``), if it does.
    var givenUp: String?
    /// Whether ``givenUp`` is for the data changed under the study (not failing trials).
    var dataChanged = false
    /// Which trial reached the objective's target, and how (W&B's `metric.target`): no new
    /// trial starts, and the study finishes when the running ones end.
    var targetReached: String?
    /// A trial of this run reported its objective, completed or was pruned: the program
    /// runs, and failures do not stop the study.
    var runProgramRan = false
    /// Trials of this run that failed for good before reporting their objective, not by
    /// the program's own verdict (see ``giveUpIfEveryTrialFails``). A set, read with the trials'
    /// states: a trial a held-back worker failed is given back to the queue (and may fail
    /// again), and counted as it went the run stopped after 4 trials, or with one waiting.
    /// Each with the id of the worker that failed it, for the give-up's message.
    var runEarlyFailures: [Int: String] = [:]
    /// Trials in a row whose configuration could not run, and the last one's error.
    var invalid: (inARow: Int, last: String?) = (0, nil)
    /// When any worker was last heard from (see `tick`'s silence verdict).
    private var lastHeardFromAnyone = -Double.infinity
    /// When a trial was last kept for a worker that went silent with everyone.
    private var lastHoldAt = -Double.infinity
    /// Every trial: its row, attempts, lease and answers.
    var trials = TrialTable()
    /// Trials to run again (STALE) or not yet run (WAITING), in order.
    var pending: [Int] = []
    /// Trials queued by hand, not yet taken: run before new samples, on top of the budget
    /// (re-read from the store on every tick; written by `sweep enqueue` and the dashboard).
    var enqueued: [EnqueuedTrialRecord] = []
    /// PBT members paused at a boundary whose exploit/explore step is still to be decided.
    var undecided: Set<Int> = []
    /// PBT members that continued from another member's checkpoint: its epoch (the member's
    /// own curve may end before it until the member reports past it).
    var resumeEpochs: [Int: Int] = [:]
    var health = WorkerHealth()
    let models: ModelKeeper
    /// The latest checkpoint of each unfinished trial, to resume it after a re-queue.
    let checkpoints: CheckpointKeeper
    /// Checkpoints that could not be kept, recorded as warnings in the next batch.
    var checkpointWarnings: [(trial: Int, message: String)] = []
    /// What the coordinator's own log says besides the events (a worker lost, a trial gone
    /// stale): a log collector saw only the start and the end while workers died. Taken by
    /// the I/O loop after each batch (``takeNotices()``).
    private(set) var notices: [String] = []
    /// The notices since the last call, emptied.
    func takeNotices() -> [String] {
        defer { notices.removeAll() }
        return notices
    }
    func notice(_ line: String) {
        if notices.count < 1000 { notices.append(line) } // (bounded: a flood is cut, not kept)
    }
    var counters = CoordinatorCounters()
    var finished = false
    /// Interrupted: serve messages, hand out nothing, do not end the study.
    var draining = false
    var finishReason = ""
    /// Seconds of running time before this coordinator started (earlier runs).
    private let priorRunSeconds: Double
    let startedAt: Double
    var lastRunSecondsFlush: Double
    /// Workers whose row (current trial, epoch, trials done) changed since the last tick;
    /// written on ticks (at most `heartbeat_ms / 4` apart) instead of in every batch's
    /// commit: the rows are for `sweep status`, not for resuming, and one statement and
    /// one page less per commit is a large part of a zero-cost trial's cost.
    var dirtyWorkers: [String: Int] = [:]
    /// Attempts counted as crashes because their worker went silent, by worker: forgiven
    /// if that worker's process says `hello` again before they are re-run (it was the
    /// connection). Not when another process takes its id: a trial that killed its worker,
    /// restarted under the same --id by systemd, was forgiven at each restart and retried
    /// without end.
    var lostWith: [String: LostAttempts] = [:]

    /// Orphans (RUNNING when this coordinator resumed the study) whose worker ran on this
    /// machine: once its process is gone nobody will come back for them, so they are
    /// re-queued without waiting for their deadline. (Beside the trial table, not in each
    /// entry: a few trials, not every trial of a large study.)
    var orphanProcesses: [Int: ProcessIdentity] = [:]
    /// Each orphan's attempt as the store has it: when it was last heard of (its last
    /// report, or its start; a lost orphan's attempt ends there, not when the resumed
    /// coordinator gives it up: the time the coordinator was down is no time the trial ran),
    /// and the worker that held it (the only one that may take it back).
    var orphanAttempts: [Int: (lastSeen: Double, worker: String)] = [:]
    /// Attempts pruned at a report, by trial: the worker's `result` for them still brings
    /// the program's output tail, kept for the attempt (``logTailsAwaitedAtMost`` at most).
    var prunedAwaitingLog: [Int: (attempt: Int, worker: String)] = [:]
    /// ``summarizedByBest(_:)``'s answer, once known.
    var summaryIsBest: Bool?
    /// When local workers' processes (``WorkerSession/localProcess``) and orphans' were
    /// last looked at.
    var lastProcessCheck = -Double.infinity
    var metric: String { definition.objective.metric }
    /// The definition's epoch cap, read once: it is looked up from the sweep file's template
    /// (a path lookup), and every report and assignment needs it.
    let maxEpochs: Int
    var maxAttempts: Int { definition.retry.maxAttempts }

    // MARK: Setup

    /// A new study from a sweep file.
    init(creating definition: SweepDefinition, options: CoordinatorOptions, tx: StoreTransaction, now: Double) throws {
        self.definition = definition
        self.options = options
        sampler = definition.sampler.makeSampler(space: definition.space)
        study = try tx.createStudy(definition.newStudy, at: now)
        history = StudyHistory(direction: definition.objective.direction)
        maxEpochs = definition.maxEpochs
        pruner = definition.pruner.makePruner(maxSteps: definition.prunerEpochs)
        pausing = TrialPausing(definition)
        models = ModelKeeper(directory: options.artifacts, definition: definition)
        checkpoints = CheckpointKeeper(directory: options.artifacts, study: study.name, capBytes: options.checkpointBytes)
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
        maxEpochs = definition.maxEpochs
        pruner = definition.pruner.makePruner(maxSteps: definition.prunerEpochs)
        pausing = TrialPausing(definition)
        models = ModelKeeper(directory: options.artifacts, definition: definition)
        checkpoints = CheckpointKeeper(directory: options.artifacts, study: study.name, capBytes: options.checkpointBytes)
        // The running time is written every 5 s: a coordinator killed lost the time since
        // (all of a run shorter than that), and a study resumed after each kill never spent
        // its wall-time budget. What the runs recorded (their last activity) counts too.
        // (Before `now`: what this resume wrote already, a warning at `now`, would stretch
        // the last run to now and charge the whole time the study lay idle.)
        let recorded = try queries.runSegments(studyID: study.id, before: now).total
        if recorded > study.runSeconds {
            try tx.addRunSeconds(study.id, recorded - study.runSeconds)
        }
        priorRunSeconds = max(study.runSeconds, recorded)
        startedAt = now
        lastRunSecondsFlush = now
        var requeued = 0, waiting = 0
        var outOfAttempts: [(trial: Int, crashes: Int)] = []
        // PBT: the epoch each member last continued from another's checkpoint (its progress
        // until it reports past it), and which boundaries were decided.
        var lineage: [LineageStep] = []
        if case .population? = pausing { lineage = try queries.lineage(studyID: study.id) }
        for step in lineage { resumeEpochs[step.member] = step.sourceEpoch }
        // Only what the coordinator keeps (one streamed query, not every trial's record and
        // attempts): a resumed study takes no more memory than the run that wrote it.
        for t in try queries.resumeTrials(studyID: study.id) {
            trials.append(TrialEntry(rowID: t.rowID, attempt: t.attempt, crashes: t.crashes, failures: t.failures))
            switch t.state {
            case .running:
                // Answers already given to this attempt, so re-sent reports get the same ones.
                var answers: [Int: PruneDecision] = [:]
                let attempt = try queries.attempts(trialID: t.rowID).first { $0.attempt == t.attempt }
                var lastSeen = attempt?.startedAt ?? now
                for r in try queries.intermediates(trialID: t.rowID) where r.attempt == t.attempt {
                    answers[r.step] = PruneDecision(prune: r.pruned, reason: r.reason ?? "recorded before the restart")
                    lastSeen = max(lastSeen, r.recordedAt)
                }
                orphanAttempts[t.number] = (lastSeen, attempt?.worker ?? "")
                trials.update(t.number) {
                    $0.orphanDeadline = now + options.orphanGraceSeconds
                    $0.decisions = answers
                }
                if let p = t.workerProcess.flatMap(ProcessIdentity.init(token:)), p.isLocal {
                    orphanProcesses[t.number] = p
                }
            case .stale where t.crashes >= maxAttempts:
                // Out of attempts, kept for its silent worker (``lastChance``) when the last
                // run stopped: it fails now rather than run an attempt more.
                outOfAttempts.append((t.number, t.crashes))
            case .stale:
                pending.append(t.number)
                requeued += 1
            case .waiting:
                pending.append(t.number)
                waiting += 1
                if case .population(let pbt)? = pausing, let last = history.trial(t.number)?.lastStep, pbt.isBoundary(epoch: last),
                   !lineage.contains(where: { $0.member == t.number && $0.epoch == last }) {
                    undecided.insert(t.number) // paused before the restart, not yet decided
                }
            default:
                break
            }
        }
        // Checkpoints of trials that ended after their last checkpoint are not needed.
        checkpoints.load { [history, pausing] t in history.trial(t).map { !$0.state.isFinished || pausing?.isPaused($0) == true } ?? false }
        for (t, crashes) in outOfAttempts {
            try fail(trial: t, attempt: 0, worker: nil, error: "its worker died \(crashes) time(s), the last when the run before stopped; the retry limit is \(maxAttempts) attempts", now: now, tx: tx)
        }
        enqueued = try queries.enqueuedTrials(studyID: study.id)
        // A trial of an earlier run reached the target (that run stopped before its end).
        for t in history.trials where targetReached == nil && (t.state == .complete || t.state == .pruned) {
            if let v = t.value { noteTarget(trial: t.number, value: v) }
        }
        // Nobody tracks the workers of an earlier run any more: they say hello again.
        try tx.markWorkersGone(studyID: study.id, as: .dead)
        if study.state == .finished && !(hasBudgetLeft || !pending.isEmpty || !enqueued.isEmpty || !trials.orphans.isEmpty) {
            finished = true
            finishReason = "the study had already finished"
        } else if study.state == .finished {
            try tx.setStudyState(study.id, .running, at: now)
            self.study.state = .running
        }
        try tx.appendEvent(studyID: study.id, kind: .studyResumed,
                           message: "study resumed: \(history.trials.count) trials exist, \(trials.orphans.count) were running, \(requeued) stale, \(waiting) waiting",
                           at: now)
    }

    // MARK: Budget

    private var createdTrials: Int { history.trials.count }
    var budgetTrials: Int { study.definition.budgetTrials }
    /// Trials left to sample: none once a grid's every point is held (trials queued by hand,
    /// `sweep enqueue`, raise the budget, and took grid points: the grid then repeated points
    /// it had run, `n mod gridSize`).
    var hasBudgetLeft: Bool { createdTrials < budgetTrials && !((sampler as? GridSampler)?.isExhausted(history) ?? false) }

    /// Seconds of running time, this run included.
    func runSeconds(now: Double) -> Double { priorRunSeconds + (now - startedAt) }

    func wallTimeSpent(now: Double) -> Bool {
        guard let limit = study.definition.wallTime else { return false }
        return runSeconds(now: now) >= limit
    }

    // MARK: Messages

    /// Whether `message` may wait a moment to be handled and committed together with the
    /// messages that follow it (see ``CoordinatorOptions/gatherSeconds``): nobody waits for
    /// its answer. That is a trial's last report (the worker does not wait for the decision
    /// on it) and an outcome from a worker that, with the `outcomesBefore` outcomes of it
    /// already waiting, has used up less than half of the trials it held ahead (it starts
    /// the next one the moment it sends an outcome). The other half keeps it busy while the
    /// batch is committed and its next trials are sent. Anything else is handled at once.
    func mayWait(_ message: WorkerMessage, from worker: String, outcomesBefore: Int) -> Bool {
        let halfHeldLeft = outcomesBefore < (workers[worker]?.ahead.count ?? 0) / 2
        switch message {
        case .report(let r): return r.epoch >= maxEpochs && halfHeldLeft
        case .result, .failure: return halfHeldLeft
        default: return false
        }
    }

    /// Handles one message from `worker`.
    func handle(_ message: WorkerMessage, from worker: String, peerAddress: String?, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        counters.messages += 1
        if case .hello(let hello) = message {
            try handleHello(hello, identity: worker, peerAddress: peerAddress, now: now, tx: tx, out: &out)
            return
        }
        guard workers[worker] != nil else {
            // A worker we do not know (we restarted, or declared it dead): it must say hello.
            if shouldAskIdentity(worker, now: now) { out.send(.identify, to: worker) }
            return
        }
        workers[worker]?.lastSeen = now
        lastHeardFromAnyone = now
        workers[worker]?.deafSeconds = 0
        workers[worker]?.reconnectGrace = 0
        switch message {
        case .hello, .heartbeat, .receipts, .dataRequest:
            break // (a data request is answered by the poll loop's DataShelf, receipts taken there)
        case .checkpoint(let request):
            out.send(.checkpoint(answer(request, from: worker, now: now)), to: worker)
        case .ready:
            try handleReady(from: worker, now: now, tx: tx, out: &out)
        case .report(let r):
            try handleReport(r, from: worker, now: now, tx: tx, out: &out)
        case .result(let r):
            // A last report inside the result is handled as if it had come just before it.
            if let last = r.lastReport { try handleReport(last, from: worker, now: now, tx: tx, out: &out) }
            out.ended(TrialRef(trial: r.trial, attempt: r.attempt))
            try handleResult(r, from: worker, now: now, tx: tx, out: &out)
            if r.ready { try markReady(worker, now: now, tx: tx, out: &out) }
        case .failure(let f):
            out.ended(TrialRef(trial: f.trial, attempt: f.attempt))
            try handleFailure(f, from: worker, now: now, tx: tx, out: &out)
            if f.ready { try markReady(worker, now: now, tx: tx, out: &out) }
        case .bye(let b):
            try handleBye(b, from: worker, now: now, tx: tx)
        }
    }

    /// Liveness, orphan deadlines, the wall-time budget, dispatch and completion.
    func tick(now: Double, judgeLiveness: Bool = true, tx: StoreTransaction, out: inout Outbox) throws {
        for worker in hellos.endFlapping(now: now) { markIdle(worker) }
        for t in checkpoints.abandonStalledUploads(olderThan: 2 * CheckpointTransfer.answerSeconds, now: now) {
            checkpointWarnings.append((t, "the checkpoint upload of trial \(t) stopped coming for \(Int(2 * CheckpointTransfer.answerSeconds)) s: dropped, and its room under --checkpoint-limit given back"))
        }
        try recordCheckpointWarnings(now: now, tx: tx)
        let timeout = options.livenessTimeoutSeconds
        if judgeLiveness { lookAtLocalProcesses(now: now) }
        let connectedBefore = workers.count
        for (id, w) in workers where judgeLiveness {
            let exited = w.exitedAt.map { now - $0 >= Self.exitedConfirmSeconds } ?? false
            guard exited || w.silence(now: now) > timeout else { continue }
            try flushWorkers(tx: tx) // its finished trials first: the row is about to change
            workers[id] = nil
            health.forget(id)
            idleQueue.removeAll { $0 == id }
            counters.workersLost += 1
            try tx.updateWorker(studyID: study.id, worker: id, state: .dead, trialNumber: nil, epoch: nil, lastSeen: w.lastSeen)
            let what = exited ? "exited (its process, pid \(w.pid) on this machine, is gone)"
                : "sent nothing for \(String(format: "%.1f", now - w.lastSeen)) s and is considered dead"
            try tx.appendEvent(studyID: study.id, kind: .workerLost, worker: id, message: "worker \(id) on \(w.host) \(what)", at: now)
            notice("worker \(id) on \(w.host) \(what)")
            let how = exited ? "exited" : "stopped responding"
            // Nobody was heard from since shortly after this worker's last message: everyone
            // went silent together (heartbeats are spread over an interval), the coordinator's
            // side of the network is the likelier cause. Its trial is handed back (no crash)
            // and kept for it. A worker that alone went silent while others talk is lost.
            let hb = options.heartbeatSeconds
            // (One worker alone is no evidence: a lone worker that dies keeps counting crashes.)
            let silentWithEveryone = !exited && lastHeardFromAnyone - w.lastSeen < 1.5 * hb && (connectedBefore > 1 || now - lastHoldAt < timeout)
            if silentWithEveryone, let t = w.trial, holdsLease(t, id) {
                try releaseLease(t, worker: id, reason: "worker \(id) stopped responding as every worker did at once; kept for it", now: now, tx: tx)
                heldForItsWorker[t] = now + Self.heldAtMostSeconds
                lastHoldAt = now
            } else if let t = w.trial, let lease = trials[t].lease, lease.worker == id {
                try loseLease(trial: t, reason: "worker \(id) \(how)", waitForItsWorker: !exited, now: now, tx: tx)
                lostWith[id, default: LostAttempts(process: w.process, attempts: [])].attempts.append(TrialRef(trial: t, attempt: lease.attempt))
                if lostWith.count > Self.lostWorkersKept { forgetLostAttemptsRunAgain() }
            }
            // Never started: not the trials' fault, no attempt used up.
            for a in w.ahead where holdsLease(a, id) {
                try releaseLease(a, worker: id, reason: "held ahead by worker \(id), which \(how) before starting it", now: now, tx: tx)
            }
        }
        // A last attempt's worker that did not come back in time: the trial fails now.
        for (t, chance) in lastChance.sorted(by: { $0.key < $1.key }) where now >= chance.until {
            try endLastChance(t, now: now, tx: tx)
        }
        for t in trials.orphans.sorted() where judgeLiveness && now >= trials[t].orphanDeadline ?? .infinity {
            trials.update(t) { $0.orphanDeadline = nil }
            // Said only when the process is gone, not when the deadline passed while it runs.
            let gone = orphanProcesses.removeValue(forKey: t).flatMap { $0.hasExited ? "its worker's process (pid \($0.pid) on this machine) is gone" : nil }
            // Not the trial's fault: the coordinator went away. Re-run it without counting a crash.
            try crashed(trial: t, attempt: trials[t].attempt, worker: nil,
                        reason: "it was running when the coordinator stopped and \(gone ?? "its worker did not come back")",
                        outcome: .returned, endedAt: orphanAttempts.removeValue(forKey: t)?.lastSeen, now: now, tx: tx)
        }
        // Every second: a coordinator killed outright loses at most that much of the study's
        // running time (elapsed, and the wall-time budget summed over its runs; it lost 5 s).
        if now - lastRunSecondsFlush >= 1 {
            try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
            lastRunSecondsFlush = now
        }
        enqueued = try tx.queries.enqueuedTrials(studyID: study.id)
        try releaseStrandedHeldBack(now: now, tx: tx)
        try dispatch(now: now, tx: tx, out: &out)
        try flushWorkers(tx: tx)
    }

    // MARK: Status

    /// Ids of the connected workers (no order; for heartbeats).
    var workerIDs: Dictionary<String, WorkerSession>.Keys { workers.keys }

    /// Trials currently leased to workers.
    var leaseCount: Int { trials.leased.count }
    /// Leased trials their workers have started (not those held ahead).
    var startedLeaseCount: Int { trials.leased.filter { trials[$0].lease?.started == true }.count }

    /// Counts a message dropped before it reached ``handle(_:from:peerAddress:now:tx:out:)``.
    func countViolation(_ v: ProtocolViolation) {
        switch v {
        case .oversized: counters.oversized += 1
        case .unknownType: counters.unknownType += 1
        case .unsupportedVersion, .invalidVersion: counters.badVersion += 1
        case .notJSON, .missingType, .invalid: counters.malformed += 1
        }
    }

}

extension PruneDecision {
    /// The wire's and the store's form of the decision.
    var action: PruneAction { prune ? .prune : .continue }
}
