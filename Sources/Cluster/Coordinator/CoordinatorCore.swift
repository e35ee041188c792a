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
final class CoordinatorCore {
    /// The study's settings (the stored sweep file on resume; see `StudyDefinition.swift`).
    let definition: SweepDefinition
    private(set) var study: StudyRecord
    let history: StudyHistory
    let sampler: any Sampler
    let pruner: any Pruner
    /// PBT or ASHA with promotions: trials that pause and continue (see `+Pausing`).
    let pausing: TrialPausing?
    let options: CoordinatorOptions

    private(set) var workers: [String: WorkerSession] = [:]
    /// Workers waiting for a trial, first come first served.
    private var idleQueue: [String] = []
    /// Workers running a short trial that can take their next one ahead (after the idle ones).
    private var aheadQueue: [String] = []
    /// When idle workers last looked for trials held ahead behind a long one (at most every
    /// 50 ms: the look goes over every worker).
    private var lastTakeBackLook = -Double.infinity
    /// Trials that reached a pause (PBT, ASHA promotions) without a checkpoint, warned of once.
    private var unpausedTrials: Set<Int> = []
    /// Trials whose workers all went silent at once (the coordinator's network, not theirs),
    /// kept for their own worker until this time: given to the first worker back, a trial
    /// was cancelled on its own worker when that one came back a second later with the
    /// result, and the attempt counted as a crash (a trial FAIL with max_attempts 1).
    private var heldForItsWorker: [Int: Double] = [:]
    /// Recent hellos by worker id (a loop of them is held back, see ``HelloRecords``).
    private var hellos = HelloRecords()
    /// How long the others get once a first worker is back after everyone went silent: a
    /// worker reconnects after its own silence limit and a back-off of up to 10 s.
    var returnGraceSeconds: Double { Self.maxReconnectBackoff + 2 * Double(options.heartbeatMs) / 1000 }
    /// Failed trials of a run with none ending well after which the study stops.
    static let initialFailuresBeforeGivingUp = 5 // W&B's agent: MAX_INITIAL_FAILURES
    /// Why the study stops before its budget (see ``giveUpIfEveryTrialFails``), if it does.
    private var givenUp: String?
    /// Whether the study stopped before its budget because every trial of this run failed.
    var hasGivenUp: Bool { givenUp != nil }
    /// A trial of this run reported its objective, completed or was pruned: the program
    /// runs, and failures do not stop the study.
    private var runProgramRan = false
    /// Trials of this run that failed for good before reporting their objective, not by
    /// the program's own verdict (see ``giveUpIfEveryTrialFails``). A set, read with the trials'
    /// states: a trial a held-back worker failed is given back to the queue (and may fail
    /// again), and counted as it went the run stopped after 4 trials, or with one waiting.
    private var runEarlyFailures: Set<Int> = []
    /// Trials in a row whose configuration could not run, and the last one's error.
    private var invalid: (inARow: Int, last: String?) = (0, nil)
    /// Invalid configurations failed in one dispatch at most (each is a trial inserted and
    /// failed in the same transaction).
    static let invalidConfigurationsPerDispatch = 100

    /// Whether a queued trial may go to any worker (it is not kept for its silent worker).
    func isFree(_ trial: Int, now: Double) -> Bool { (heldForItsWorker[trial] ?? -.infinity) <= now }

    /// The trial is taken from the queue: it is kept for nobody now.
    func releaseHold(_ trial: Int) { heldForItsWorker[trial] = nil }

    /// When any worker was last heard from (see `tick`'s silence verdict).
    private var lastHeardFromAnyone = -Double.infinity
    /// When a trial was last kept for a worker that went silent with everyone.
    private var lastHoldAt = -Double.infinity
    /// The longest a trial waits for its worker after everyone went silent.
    static let heldAtMostSeconds = 60.0
    /// Every trial: its row, attempts, lease and answers.
    var trials = TrialTable()
    /// Trials to run again (STALE) or not yet run (WAITING), in order.
    var pending: [Int] = []
    /// Trials queued by hand, not yet taken: run before new samples, on top of the budget
    /// (re-read from the store on every tick; written by `sweep enqueue` and the dashboard).
    private var enqueued: [EnqueuedTrialRecord] = []
    /// PBT members paused at a boundary whose exploit/explore step is still to be decided.
    var undecided: Set<Int> = []
    /// PBT members that continued from another member's checkpoint: its epoch (the member's
    /// own curve may end before it until the member reports past it).
    var resumeEpochs: [Int: Int] = [:]
    private var health = WorkerHealth()
    private let models: ModelKeeper
    /// The latest checkpoint of each unfinished trial, to resume it after a re-queue.
    let checkpoints: CheckpointKeeper
    /// Checkpoints that could not be kept, recorded as warnings in the next batch.
    private var checkpointWarnings: [(trial: Int, message: String)] = []
    private(set) var counters = CoordinatorCounters()
    private(set) var finished = false
    /// Interrupted: serve messages, hand out nothing, do not end the study.
    var draining = false
    private(set) var finishReason = ""
    /// Seconds of running time before this coordinator started (earlier runs).
    private let priorRunSeconds: Double
    let startedAt: Double
    private var lastRunSecondsFlush: Double
    /// Workers whose row (current trial, epoch, trials done) changed since the last tick;
    /// written on ticks (at most `heartbeat_ms / 4` apart) instead of in every batch's
    /// commit: the rows are for `sweep status`, not for resuming, and one statement and
    /// one page less per commit is a large part of a zero-cost trial's cost.
    private var dirtyWorkers: [String: Int] = [:]
    /// Attempts counted as crashes because their worker went silent, by worker: forgiven
    /// if that worker's process says `hello` again before they are re-run (it was the
    /// connection). Not when another process takes its id: a trial that killed its worker,
    /// restarted under the same --id by systemd, was forgiven at each restart and retried
    /// without end.
    private(set) var lostWith: [String: LostAttempts] = [:]

    /// The attempts a worker's process was running when it was declared dead.
    struct LostAttempts {
        /// Its process, as `host/pid`.
        var process: String
        var attempts: [TrialRef]
    }
    /// Orphans (RUNNING when this coordinator resumed the study) whose worker ran on this
    /// machine: once its process is gone nobody will come back for them, so they are
    /// re-queued without waiting for their deadline. (Beside the trial table, not in each
    /// entry: a few trials, not every trial of a large study.)
    private var orphanProcesses: [Int: ProcessIdentity] = [:]
    /// Each orphan's attempt as the store has it: when it was last heard of (its last
    /// report, or its start; a lost orphan's attempt ends there, not when the resumed
    /// coordinator gives it up: the time the coordinator was down is no time the trial ran),
    /// and the worker that held it (the only one that may take it back).
    private var orphanAttempts: [Int: (lastSeen: Double, worker: String)] = [:]
    /// Attempts pruned at a report, by trial: the worker's `result` for them still brings
    /// the program's output tail, kept for the attempt (``logTailsAwaitedAtMost`` at most).
    private var prunedAwaitingLog: [Int: (attempt: Int, worker: String)] = [:]
    static let logTailsAwaitedAtMost = 4096
    /// ``summarizedByBest(_:)``'s answer, once known.
    private var summaryIsBest: Bool?
    /// Whether a pruned command trial's output tail is still on its way (a finished study
    /// waits a moment for it: the last trial is often pruned).
    var awaitsLogTails: Bool { prunedAwaitingLog.values.contains { workers[$0.worker] != nil } } // only from workers still there
    /// When local workers' processes (``WorkerSession/localProcess``) and orphans' were
    /// last looked at.
    private var lastProcessCheck = -Double.infinity
    /// Local processes are looked at this often (a read of `/proc` per process).
    static let processCheckSeconds = 0.25
    /// A worker whose process is gone is declared dead this long after it was found gone:
    /// what it sent before it exited (a result, a `bye`) is read first.
    static let exitedConfirmSeconds = 0.5

    private var metric: String { definition.objective.metric }
    /// The definition's epoch cap, read once: it is looked up from the sweep file's template
    /// (a path lookup), and every report and assignment needs it.
    private let maxEpochs: Int
    private var maxAttempts: Int { definition.retry.maxAttempts }

    // MARK: Setup

    /// A new study from a sweep file.
    init(creating definition: SweepDefinition, options: CoordinatorOptions, tx: StoreTransaction, now: Double) throws {
        self.definition = definition
        self.options = options
        sampler = definition.sampler.makeSampler(space: definition.space)
        study = try tx.createStudy(definition.newStudy, at: now)
        history = StudyHistory(direction: definition.objective.direction)
        maxEpochs = definition.maxEpochs
        pruner = definition.pruner.makePruner(maxSteps: maxEpochs)
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
        pruner = definition.pruner.makePruner(maxSteps: maxEpochs)
        pausing = TrialPausing(definition)
        models = ModelKeeper(directory: options.artifacts, definition: definition)
        checkpoints = CheckpointKeeper(directory: options.artifacts, study: study.name, capBytes: options.checkpointBytes)
        priorRunSeconds = study.runSeconds
        startedAt = now
        lastRunSecondsFlush = now
        var requeued = 0, waiting = 0
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
        enqueued = try queries.enqueuedTrials(studyID: study.id)
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
    private var budgetTrials: Int { study.definition.budgetTrials }
    var hasBudgetLeft: Bool { createdTrials < budgetTrials }

    /// Seconds of running time, this run included.
    func runSeconds(now: Double) -> Double { priorRunSeconds + (now - startedAt) }

    private func wallTimeSpent(now: Double) -> Bool {
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
            out.send(.identify, to: worker)
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

    /// `ready` is sent once per idle spell. A repeated one (re-sent after a reconnect or a
    /// cancel) while the worker holds a lease does not revoke it: the lease goes on, and an
    /// assignment the worker may have lost (no epoch reported yet) is sent again; a worker
    /// already running that trial ignores the copy.
    private func handleReady(from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
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

    /// The worker sent an outcome and wants more: it has started the trial it held ahead,
    /// if any (and may take another one ahead), or it is idle.
    private func markReady(_ worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
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

    /// Whether the process behind a session still talks to us: heard within one and a half
    /// heartbeat intervals (a live worker sends at least a heartbeat each interval), and not
    /// a local process that is gone. A worker restarted with the same id after it died
    /// takes the id over; one that duplicates a live worker's does not.
    private func isConnected(_ w: WorkerSession, now: Double) -> Bool {
        if w.localProcess?.hasExited == true { return false }
        return now - w.lastSeen - w.deafSeconds < 1.5 * Double(options.heartbeatMs) / 1000
    }

    /// The worker started the first trial it held ahead (after an outcome, or a cancel).
    private func startAhead(_ worker: String, now: Double) {
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
    private func catchUp(_ worker: String, to trial: Int, reason: String? = nil, now: Double, tx: StoreTransaction) throws {
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
    private func aheadRoom(_ w: WorkerSession, now: Double) -> Int {
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

    private func queueAhead(_ worker: String, now: Double) {
        if let w = workers[worker], aheadRoom(w, now: now) > 0, !aheadQueue.contains(worker) { aheadQueue.append(worker) }
    }

    /// Every worker's trials held ahead go back to the queue, and their workers drop them.
    private func takeBackAhead(reason: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        for (id, w) in workers where !w.ahead.isEmpty {
            try cancelAhead(of: id, reason: reason, handBack: "held ahead by \(id): \(reason)", now: now, tx: tx, out: &out)
        }
    }

    /// Takes back the trials held ahead by workers whose running trial has taken longer than
    /// the short trials that earned them (``CoordinatorOptions/aheadBelowSeconds``), so that
    /// idle workers run them instead of waiting for it (a 20 s trial among 50 ms ones).
    /// True when any went back to the queue.
    private func takeBackFromBusyWorkers(now: Double, tx: StoreTransaction, out: inout Outbox) throws -> Bool {
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
    private func cancelAhead(of worker: String, reason: String, handBack: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        for a in workers[worker]?.ahead ?? [] where holdsLease(a, worker) {
            out.send(.cancel(TrialRef(trial: a, attempt: trials[a].attempt), reason: reason), to: worker)
        }
        try releaseAhead(of: worker, reason: handBack, now: now, tx: tx)
    }

    /// Hands back every trial `worker` holds ahead (it never started them: no attempt used up).
    private func releaseAhead(of worker: String, reason: String, now: Double, tx: StoreTransaction) throws {
        for a in workers[worker]?.ahead ?? [] where holdsLease(a, worker) {
            try releaseLease(a, worker: worker, reason: reason, now: now, tx: tx)
        }
        workers[worker]?.ahead = []
    }

    private func markIdle(_ worker: String) {
        guard var w = workers[worker], w.trial == nil, !w.idle, w.exitedAt == nil, !health.isHeldBack(worker), !hellos.isFlapping(worker) else { return }
        w.idle = true
        workers[worker] = w
        idleQueue.append(worker)
    }

    private func handleHello(_ h: WorkerMessage.Hello, identity: String, peerAddress: String?, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        // A worker is back: the others that went silent with it get a moment more.
        for (t, until) in heldForItsWorker where until > now + returnGraceSeconds { heldForItsWorker[t] = now + returnGraceSeconds }
        if let old = workers[identity], old.pid != h.pid || old.host != h.host, isConnected(old, now: now) {
            // Two workers started with the same --id: each hello would take the id from the
            // other (and its trial with it), over and over. The newcomer is told to leave.
            let reason = "worker id '\(identity)' is in use by another worker (pid \(old.pid) on \(old.host)), which is connected: give each worker its own --id (without --id every worker gets a unique one)"
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: identity, message: "a second worker (pid \(h.pid) on \(h.host)) said hello as \(identity) and was refused: \(reason)", at: now)
            out.send(.refuse(reason: reason), to: identity)
            return
        }
        // A quarantined id from a new process (a restarted service, a repaired host) is
        // given another chance: its verdict was on the process, and a restart loop of a
        // stable --id (systemd's Restart=always) was quarantined at every hello.
        if health.liftQuarantine(identity, process: "\(h.host)/\(h.pid)") { // (the same key as processKey)
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
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: identity, message: "worker \(identity) on \(h.host) was refused: \(reason)", at: now)
            out.send(.refuse(reason: reason), to: identity)
            return
        }
        if definition.needsStructuredParams, !h.capabilities.contains(Wire.structuredParamsCapability) {
            let reason = "study '\(study.name)' passes dict parameter values or nested arguments (argument_style: nested, as W&B files do), which worker \(identity) runs an older Sweep to read: update Sweep on \(h.host)"
            try tx.appendEvent(studyID: study.id, kind: .warning, worker: identity, message: "worker \(identity) on \(h.host) was refused: \(reason)", at: now)
            out.send(.refuse(reason: reason), to: identity)
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
                                    peerAddress: peerAddress, joinedAt: workers[identity]?.joinedAt ?? now, lastSeen: now, trial: nil,
                                    idle: false, toldNoWork: false, trialsDone: workers[identity]?.trialsDone ?? 0)
        // Which process it is: trusted only when it names the pid it says it has, and watched
        // only when this machine can see that process now (see `ProcessIdentity.observed`).
        let process = h.process.flatMap { $0.pid == h.pid ? $0 : nil }
        session.localProcess = process.flatMap { $0.isLocal && $0.observed == .running ? $0 : nil }
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
        // The worker is alive: the attempts lost when it went silent were the connection's fault.
        let lostHere = lostWith.removeValue(forKey: identity).flatMap { $0.process == "\(h.host)/\(h.pid)" ? $0.attempts : nil } ?? []
        for lost in lostHere where lost != adopted && pending.contains(lost.trial)
            && trials[lost.trial].attempt == lost.attempt && trials[lost.trial].lease == nil {
            try tx.forgiveCrash(trialID: trials[lost.trial].rowID, attempt: lost.attempt)
            trials.update(lost.trial) { $0.crashes = max(0, $0.crashes - 1) }
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
        switch hellos.note(identity, now: now) {
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

    private func adopt(_ ref: TrialRef, epoch: Int, worker: String, now: Double, tx: StoreTransaction, how: String) throws {
        orphanAttempts[ref.trial] = nil
        heldForItsWorker[ref.trial] = nil
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

    /// The answer already given to this report, if it is a repeat: from memory while the
    /// attempt runs, from the store once it ended (pruned, finished, or before a restart).
    private func earlierAnswer(_ r: WorkerMessage.Report, tx: StoreTransaction) throws -> PruneDecision? {
        guard trials.contains(r.trial) else { return nil }
        let entry = trials[r.trial]
        guard entry.attempt == r.attempt else { return nil }
        if let earlier = entry.decisions[r.epoch] { return earlier }
        guard entry.lease == nil, entry.orphanDeadline == nil,
              let recorded = try tx.queries.intermediate(trialID: entry.rowID, step: r.epoch, attempt: r.attempt) else { return nil }
        return PruneDecision(prune: recorded.pruned, reason: recorded.reason ?? "answered before")
    }

    private func handleReport(_ r: WorkerMessage.Report, from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        let ref = TrialRef(trial: r.trial, attempt: r.attempt)
        if let earlier = try earlierAnswer(r, tx: tx) {
            // A repeated report (e.g. re-sent after a reconnect): same answer, nothing recorded.
            counters.duplicateReports += 1
            out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: earlier.action, reason: earlier.reason)), to: worker)
            return
        }
        guard trials.lease(r.trial, attempt: r.attempt, worker: worker) != nil else {
            counters.staleReports += 1
            out.send(.cancel(ref, reason: "no lease for \(ref) on this worker"), to: worker)
            return
        }
        // (Before the lease is read: catching up starts it, and a copy read earlier and
        // written back below undid that, so a trial that ran was recorded as never started.)
        try catchUp(worker, to: r.trial, now: now, tx: tx)
        guard var lease = trials[r.trial].lease else { return }
        guard r.epoch <= maxEpochs else {
            counters.malformed += 1
            out.send(.error("epoch \(r.epoch) of \(ref) is beyond its \(maxEpochs) epoch(s); report ignored"), to: worker)
            return
        }
        let value = r.value ?? r.metrics[metric]
        // A report of other metrics without the objective (a program that validates every few
        // epochs) is no step for the pruners, as Optuna's see only the steps reported to them;
        // it was NaN, and every such trial was pruned. A report with nothing finite is NaN to
        // the pruners, which ignore other trials' NaN (as Optuna does); infinities are values.
        let withoutObjective = value == nil && !r.metrics.isEmpty
        if !withoutObjective { history.report(r.trial, step: r.epoch, value: value ?? .nan) }
        let decision: PruneDecision
        let pause = wallTimeSpent(now: now) ? nil : pausing?.pauseReason(epoch: r.epoch, maxEpochs: maxEpochs)
        if wallTimeSpent(now: now) {
            decision = PruneDecision(prune: true, reason: "the wall-time budget of \(Int(study.definition.wallTime ?? 0)) s is spent")
        } else if let pause {
            decision = .keep(pause)
        } else if withoutObjective {
            decision = .keep("no \(metric) reported at epoch \(r.epoch)")
        } else if case .promotions? = pausing {
            // ASHA with promotions never stops a trial: it pauses at the ends of rungs (above)
            // and a promoted trial runs on to its next rung, or to the end, whatever its value.
            decision = .keep("promoted by ASHA: it runs to its next rung")
        } else {
            decision = pruner.decide(trial: r.trial, step: r.epoch, history: history)
        }
        lease.epoch = r.epoch
        if !withoutObjective {
            lease.objectiveReported = true
            runProgramRan = true
        }
        trials.update(r.trial) {
            $0.decisions[r.epoch] = decision
            $0.lease = lease
        }
        let rowID = trials[r.trial].rowID
        try tx.recordReport(trialID: rowID, IntermediateRecord(step: r.epoch, attempt: r.attempt, value: value, metrics: r.metrics,
                                                               pruned: decision.prune, reason: decision.prune ? decision.reason : nil, recordedAt: now))
        touch(worker)
        if let verdict = health.verdict(trial: r.trial, on: worker, reached: r.epoch) {
            try apply(verdict, trial: r.trial, ranOn: worker, now: now, tx: tx, out: &out)
        }
        // Why the coordinator did not keep this report's checkpoint (the pause warning names it).
        var notKept: String?
        if let checkpoint = r.checkpoint, !decision.prune {
            notKept = keepCheckpoint(checkpoint, trial: r.trial, epoch: r.epoch)
        }
        if let total = r.checkpointParts, !decision.prune {
            if let why = checkpoints.completeUpload(trial: r.trial, attempt: r.attempt, epoch: r.epoch, total: total) {
                notKept = why
                checkpointWarnings.append((r.trial, "checkpoint of trial \(r.trial) after epoch \(r.epoch) (\(total) bytes, sent in parts) not kept: \(why)"))
            }
        } else {
            // The worker gave its upload up (or the trial was pruned): its parts go.
            checkpoints.abandonUpload(r.trial, upTo: r.epoch)
        }
        // A trial pauses only with a kept checkpoint of this epoch to continue from.
        if let pause, checkpoints.entries[r.trial]?.epoch == r.epoch {
            try self.pause(r.trial, attempt: r.attempt, epoch: r.epoch, value: value, metrics: r.metrics, reason: pause, worker: worker, now: now, tx: tx)
            out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: .pause, reason: pause)), to: worker)
            return
        }
        if pause != nil, unpausedTrials.insert(r.trial).inserted {
            // Said once per trial: a program that saves nothing makes PBT a plain random search.
            counters.pausesWithoutCheckpoint += 1
            let hint = !checkpoints.enabled
                ? " (this coordinator keeps no checkpoints: \(checkpoints.capBytes == 0 ? "--checkpoint-limit 0" : "it has no folder for them beside the database"))"
                : notKept.map { " (the coordinator did not keep it: \($0))" } ?? r.checkpointSkipped.map { " (\($0); docs/commands.md, \"Checkpoints\")" } ?? (definition.task == .command
                ? " (its program saves nothing in SWEEP_CHECKPOINT_DIR before reporting, or the checkpoint was over 1 GiB, unreadable, or skipped to keep to 16 MiB/s; docs/commands.md, \"Checkpoints\")" : "")
            try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: r.trial, worker: worker,
                               message: "trial \(r.trial) reached epoch \(r.epoch), where it would pause, without a checkpoint of that epoch: it goes on without pausing\(hint)", at: now)
        }
        if decision.prune {
            history.finish(r.trial, state: .pruned, value: value)
            checkpoints.drop(trial: r.trial)
            try tx.finishTrial(trialID: rowID, attempt: r.attempt, state: .pruned, value: value, metrics: r.metrics,
                               pruneReason: decision.reason, start: attemptStart(r.trial, now: now), at: now)
            var detail = "{\"step\":\(r.epoch)"
            if let rung = decision.rung { detail += ",\"rung\":\(rung)" }
            if let cutoff = decision.cutoff, cutoff.isFinite { detail += ",\"cutoff\":\(cutoff)" }
            detail += "}"
            try tx.appendEvent(studyID: study.id, kind: .pruned, trialNumber: r.trial, worker: worker,
                               message: "trial \(r.trial) pruned at epoch \(r.epoch): \(decision.reason)", detail: detail, at: now)
            if definition.task == .command {
                if prunedAwaitingLog.count >= Self.logTailsAwaitedAtMost { prunedAwaitingLog.removeAll() } // results that never came
                prunedAwaitingLog[r.trial] = (r.attempt, worker)
            }
            health.succeeded(worker)
            endLease(r.trial, worker: worker, completed: true)
        }
        out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: decision.action, reason: decision.reason)), to: worker)
    }

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

    /// Marks a worker's row for the end-of-batch update.
    private func touch(_ worker: String) {
        if dirtyWorkers[worker] == nil { dirtyWorkers[worker] = 0 }
    }

    /// Writes the rows of the workers that changed since the last flush.
    private func flushWorkers(tx: StoreTransaction) throws {
        for (id, done) in dirtyWorkers {
            guard let w = workers[id] else { continue }
            try tx.updateWorker(studyID: study.id, worker: id, state: finished ? .left : .alive, trialNumber: w.trial,
                                epoch: w.trial.flatMap { trials[$0].lease?.shownEpoch }, lastSeen: w.lastSeen, finishedTrials: done)
        }
        dirtyWorkers.removeAll(keepingCapacity: true)
    }

    private func handleResult(_ r: WorkerMessage.Result, from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        try catchUp(worker, to: r.trial, now: now, tx: tx)
        if let awaited = prunedAwaitingLog[r.trial], awaited.attempt == r.attempt, awaited.worker == worker {
            // Pruned by us at a report: only the output tail is left to keep.
            prunedAwaitingLog[r.trial] = nil
            if let tail = r.log { try tx.setAttemptLogTail(trialID: trials[r.trial].rowID, attempt: r.attempt, tail) }
        }
        guard trials.lease(r.trial, attempt: r.attempt, worker: worker) != nil else {
            // Already pruned by us, or no longer this worker's: nothing more to record. (A stale
            // attempt number must not detach the worker from a lease it still holds.)
            if workers[worker]?.trial == r.trial, !holdsLease(r.trial, worker) { workers[worker]?.trial = nil }
            return
        }
        let rowID = trials[r.trial].rowID
        if let started = trials[r.trial].lease?.startedAt { workers[worker]?.timeOutcome(now: now, started: started) }
        if let tail = r.log { try tx.setAttemptLogTail(trialID: rowID, attempt: r.attempt, tail) }
        let value = bestOfWholeCurve(r.value ?? r.metrics[metric], trial: r.trial, epochs: r.epochs)
        // An infinite result is a result (the worst or the best there is); NaN or none is not.
        guard let value, !value.isNaN else {
            try fail(trial: r.trial, attempt: r.attempt, worker: worker, error: "the trial finished without a value of '\(metric)' (none, or NaN)", now: now, tx: tx)
            return
        }
        // A `summary: best` trial's objective among its final metrics is the value it is
        // ranked by (as W&B's summary of a metric defined with summary="min"), not the last
        // epoch's: exports showed the best in `value` and the last epoch's in its column.
        var metrics = r.metrics
        if metrics[metric] != nil, summarizedByBest(r.trial) { metrics[metric] = value }
        health.succeeded(worker)
        if let verdict = health.verdict(trial: r.trial, on: worker, reached: .max) {
            try apply(verdict, trial: r.trial, ranOn: worker, now: now, tx: tx, out: &out)
        }
        // (It ran and ended with a value, whoever stopped it: failures now do not stop the study.)
        runProgramRan = true
        if r.state == .pruned {
            // The worker stopped on its own before the end (we did not prune it).
            let reason = "stopped early by its worker after \(r.epochs) epoch(s)"
            history.finish(r.trial, state: .pruned, value: value)
            checkpoints.drop(trial: r.trial)
            try tx.finishTrial(trialID: rowID, attempt: r.attempt, state: .pruned, value: value,
                               metrics: metrics.isEmpty ? nil : metrics, pruneReason: reason, start: attemptStart(r.trial, now: now), at: now)
            endLease(r.trial, worker: worker, completed: true)
            return
        }
        history.finish(r.trial, state: .complete, value: value)
        checkpoints.drop(trial: r.trial)
        try tx.finishTrial(trialID: rowID, attempt: r.attempt, state: .complete, value: value,
                           metrics: metrics.isEmpty ? nil : metrics, start: attemptStart(r.trial, now: now), at: now)
        if let model = r.model {
            do {
                try models.keepModel(model, trial: r.trial, value: value, study: study, history: history, now: now, tx: tx)
            } catch let error as ArtifactError {
                // A full disk must not stop the sweep: the trial's result stands without its model.
                counters.modelsNotKept += 1
                try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: r.trial, worker: worker, message: "model of trial \(r.trial) not kept: \(error)", at: now)
            }
        }
        // No event: the trial row and its attempt record the completion (one write less per trial).
        endLease(r.trial, worker: worker, completed: true)
    }

    /// When `trial`'s attempt started, for the store, as it ends `now` (see ``Lease/start(endingAt:)``).
    private func attemptStart(_ trial: Int, now: Double) -> AttemptStart {
        trials[trial].lease?.start(endingAt: now) ?? .asLeased
    }

    /// A command trial summarized by its best epoch (`summary: best`) is valued over its whole
    /// curve: an attempt resumed from a checkpoint only saw its own epochs, so the same run
    /// was valued differently when the coordinator had restarted.
    private func bestOfWholeCurve(_ value: Double?, trial: Int, epochs: Int) -> Double? {
        guard let value, !value.isNaN, summarizedByBest(trial),
              let earlier = history.trial(trial)?.intermediate.filter({ $0.key <= epochs && !$0.value.isNaN }).values else { return value }
        return study.direction == .minimize ? min(value, earlier.min() ?? value) : max(value, earlier.max() ?? value)
    }

    /// Whether the trial is a command trial with `summary: best`. `summary` is a setting of the
    /// file, not a search range, so the study's first answer holds for every trial: the
    /// trial document is built once, not for every result in the poll loop.
    private func summarizedByBest(_ trial: Int) -> Bool {
        if let known = summaryIsBest { return known }
        guard definition.task == .command else { summaryIsBest = false; return false }
        guard let params = history.trial(trial)?.params,
              case .command(let task)? = try? definition.spec(for: params, trialSeed: 0) else { return false }
        summaryIsBest = task.summary == .best
        return task.summary == .best
    }

    private func handleFailure(_ f: WorkerMessage.Failure, from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        try catchUp(worker, to: f.trial, now: now, tx: tx)
        guard trials.lease(f.trial, attempt: f.attempt, worker: worker) != nil else {
            if workers[worker]?.trial == f.trial, !holdsLease(f.trial, worker) { workers[worker]?.trial = nil }
            return
        }
        // How far it got here (a resumed attempt starts past its checkpoint's epoch), for a
        // worker held back if it fails on another one (see WorkerHealth).
        let reached = max(trials[f.trial].lease?.epoch ?? 0, history.trial(f.trial)?.lastStep ?? 0)
        // (Reports without the objective do not count: a metric named otherwise in the
        // program failed all 30 trials of a budget, each with "never reported the objective".)
        let reportedThisAttempt = trials[f.trial].lease?.objectiveReported ?? false
        trials.update(f.trial) { $0.failures += 1 }
        if let tail = f.log { try tx.setAttemptLogTail(trialID: trials[f.trial].rowID, attempt: f.attempt, tail) }
        // An attempt that raised an error may have checkpointed what caused it: a retry starts
        // over. Not from a checkpoint of a pause (PBT's boundary, a rung's end) that the trial
        // paused, was promoted or exploited at (its curve and lineage up to it are recorded):
        // a retry continues from that, as Ray Tune restores a failed trial. (A checkpoint the
        // failing attempt wrote between pauses is dropped as before.)
        let atPause = checkpoints.entries[f.trial].map { pausing?.pauseReason(epoch: $0.epoch, maxEpochs: maxEpochs) != nil } ?? false
        if !atPause { checkpoints.drop(trial: f.trial) }
        if retriesAfterError(f.trial) {
            try tx.endAttempt(trialID: trials[f.trial].rowID, attempt: f.attempt, outcome: .fail, error: f.error, start: attemptStart(f.trial, now: now), at: now)
            try requeue(f.trial, as: .stale, message: "trial \(f.trial) failed on attempt \(f.attempt) and is re-queued: \(f.error)", worker: worker, now: now, tx: tx)
            endLease(f.trial, worker: worker, completed: false)
        } else {
            try fail(trial: f.trial, attempt: f.attempt, worker: worker, error: f.error, now: now, tx: tx)
            if !reportedThisAttempt && !f.trialFault { runEarlyFailures.insert(f.trial) }
        }
        if reportedThisAttempt { runProgramRan = true }
        // Another worker held back for this trial: it failed here too, so the trials are at fault.
        if let verdict = health.verdict(trial: f.trial, on: worker, failed: true) {
            try apply(verdict, trial: f.trial, ranOn: worker, now: now, tx: tx, out: &out)
        }
        // A program that failed by itself says nothing about the worker that ran it, nor one
        // that ran there for an epoch or more: a broken host (a missing package, no GPU, a bad
        // data copy) fails before the first report.
        if reached > 0 || siblingRunsFine(worker) {
            health.failedMidRun(worker)
        } else if !f.trialFault, let streak = health.failed(worker, trial: f.trial, epoch: reached, error: f.error, connected: workers.compactMap { $0.value.exitedAt == nil ? $0.key : nil }) {
            try holdBack(worker, streak: streak, now: now, tx: tx, out: &out)
        }
        try giveUpIfEveryTrialFails(lastError: f.error, reportedOtherMetrics: f.objectiveMissing, now: now, tx: tx)
    }

    /// Whether another worker on `worker`'s host ends trials well: the host runs the program,
    /// so its failures say nothing against the host (a program failing at random had two of
    /// three local workers of `sweep run` quarantined).
    private func siblingRunsFine(_ worker: String) -> Bool {
        guard let host = workers[worker]?.host else { return false }
        return workers.contains { $0.key != worker && $0.value.host == host && $0.value.exitedAt == nil && health.runsFine($0.key) }
    }

    /// A worker that failed trial after trial while others succeed gets no work while the
    /// trials that failed only there are re-run elsewhere (first in the queue, their
    /// attempts given back): if one gets further elsewhere, the host is broken and the
    /// worker is quarantined; if it fails there too, the trials are (see `WorkerHealth`).
    /// When every trial of the run also failed elsewhere already, the trials are at fault
    /// and nothing is held back.
    private func holdBack(_ worker: String, streak: [WorkerHealth.FailedTrial], now: Double, tx: StoreTransaction, out: inout Outbox) throws {
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
    private func failedElsewhere(_ trial: Int, besides worker: String, tx: StoreTransaction) throws -> Bool {
        try tx.queries.attempts(trialID: trials[trial].rowID).contains { $0.outcome == .fail && $0.worker != worker }
    }

    /// `trial`'s failed attempts on `worker` no longer count (QUARANTINED; see ``restoreFailures``).
    private func forgiveFailures(of trial: Int, on worker: String, tx: StoreTransaction) throws {
        let forgiven = try tx.forgiveFailures(trialID: trials[trial].rowID, worker: worker)
        trials.update(trial) { $0.failures = max(0, $0.failures - forgiven) }
    }

    /// A FAILed trial whose failures were forgiven runs again, at `index` in the queue.
    private func requeueFailed(_ trial: Int, at index: Int) {
        history.setState(trial, .stale)
        counters.requeued += 1
        pending.insert(trial, at: index)
    }

    /// What a re-run trial showed about the worker held back for it.
    private func apply(_ verdict: WorkerHealth.Verdict, trial: Int, ranOn other: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
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
    private func restoreFailures(of worker: String, on held: [Int], tx: StoreTransaction) throws {
        for t in held {
            let restored = try tx.restoreFailures(trialID: trials[t].rowID, worker: worker)
            trials.update(t) { $0.failures += restored }
        }
    }

    /// Stops assigning to a worker whose failed trials got further on other workers: the
    /// host is broken, not the trials (which were given back when it was held back).
    private func quarantine(_ worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
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

    /// The process behind a connected worker's session, as `host/pid` (nil when it is away).
    private func processKey(_ worker: String) -> String? { workers[worker].map { "\($0.host)/\($0.pid)" } }

    /// Workers held back whose trials will not decide get work again: a study must not wait
    /// on a verdict forever. So when nobody else can re-run them (every connected worker is
    /// held back, or none is left), when every one of them ended elsewhere without getting
    /// further (pruned at or before that epoch, or failed by lost workers), and when the
    /// hold has lasted as long as it may (see ``WorkerHealth``). Their failures count again.
    private func releaseStrandedHeldBack(now: Double, tx: StoreTransaction) throws {
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

    /// A study whose first ``initialFailuresBeforeGivingUp`` trials of this run all failed
    /// before reporting their objective (not by the program's own verdict, such as a diverged
    /// loss), with every connected worker's last trial failed, stops taking new trials, as
    /// W&B's agent stops after failing runs and Optuna at a trial's exception: a broken
    /// program, a typo in `program` or a resume from a shell without the program's
    /// environment failed the whole budget in seconds (37 of 40 trials, and exit 0 for the 3
    /// of an earlier run). A budgeted study keeps the rest of its budget for `sweep resume`;
    /// a search whose early trials diverge goes on.
    private func giveUpIfEveryTrialFails(lastError: String, reportedOtherMetrics: Bool = false, now: Double, tx: StoreTransaction) throws {
        // Every connected worker fails (a broken host among good ones is held back instead).
        // (With the budget spent the study ends anyway, and says all its trials failed.)
        guard givenUp == nil, !runProgramRan, hasBudgetLeft, runEarlyFailures.count >= Self.initialFailuresBeforeGivingUp,
              !workers.keys.contains(where: { health.runsFine($0) || !health.hasFailed($0) }) else { return }
        let failed = runEarlyFailures.filter { history.trial($0)?.state == .fail }.count
        guard failed >= Self.initialFailuresBeforeGivingUp else { return }
        // A program that runs and reports, but not the objective: the name is wrong in the
        // program or in the sweep file, and a study's objective cannot change.
        try giveUp(failed: failed, lastError: lastError, fix: reportedOtherMetrics ? .reportTheObjective : .program, now: now, tx: tx)
    }

    /// What a study that gave up early tells its user to fix.
    private enum EarlyFailureFix {
        /// The program (or the environment it runs in) fails.
        case program
        /// The program reports other metrics, not the objective.
        case reportTheObjective
        /// Sampled configurations cannot run (a base model that does not resolve).
        case configuration
    }

    /// Stops the study before its budget: its first `failed` trials of this run all failed.
    private func giveUp(failed: Int, lastError: String, fix kind: EarlyFailureFix, now: Double, tx: StoreTransaction) throws {
        // (With --retry-failed the failed trials' parameters run again too: a grid has no
        // other way back to the points that failed.)
        let rest = budgetTrials >= Budget.maxTrials ? "continues it" : "runs the rest of the budget"
        // (Population Based Training refuses it: its members train side by side.)
        let pbt: Bool = if case .pbt? = definition.scheduler { true } else { false }
        let retry = pbt ? "" : " (with --retry-failed, the failed trials' parameters again too)"
        let fix = switch kind {
        case .reportTheObjective:
            "make the program report '\(definition.objective.metric)', then `sweep resume \(study.name)` \(rest)\(retry); or, if the sweep file names the wrong metric, fix its objective and start a new study (a study's objective cannot change)"
        case .program:
            "fix the program (or the environment it runs in), then `sweep resume \(study.name)` \(rest)\(retry)"
        case .configuration:
            "fix what the error names, then `sweep resume \(study.name)` \(rest)\(retry)"
        }
        // The error's first line in the sentence, its output (a stderr tail) after it: spliced
        // in, the tail ran into the fix ("...df93d): make the program report ...").
        let lines = lastError.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let output = lines.count > 1 ? "\n" + lines[1].prefix(1200) : ""
        let what = kind == .configuration ? "had configurations that cannot run" : "all failed"
        let reason = budgetTrials >= Budget.maxTrials
            ? "the first \(failed) trials of this run \(what) (the last: \(lines[0].prefix(300))) and it has no trial budget to end it: \(fix)\(output)"
            : "the first \(failed) trials of this run \(what) (the last: \(lines[0].prefix(300))): \(fix)\(output)"
        givenUp = reason
        try tx.appendEvent(studyID: study.id, kind: .warning, message: "study '\(study.name)' stops: \(reason)", at: now)
    }

    /// Whether a trial that raised an error runs again (`retry.retry_errors` and attempts left).
    private func retriesAfterError(_ trial: Int) -> Bool {
        definition.retry.retryErrors && trials[trial].spentAttempts < maxAttempts
    }

    /// Trials a released worker failed that still wait in the queue, given back when it was
    /// held back (first in the queue): FAIL again unless `retry` would have re-run them
    /// anyway (as when no worker was held back), and then last in the queue, so a released
    /// worker takes new trials before the same ones again.
    private func failAgainUnlessRetried(_ failures: [WorkerHealth.FailedTrial], on worker: String, now: Double, tx: StoreTransaction) throws {
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

    private func fail(trial: Int, attempt: Int, worker: String?, error: String, now: Double, tx: StoreTransaction) throws {
        history.finish(trial, state: .fail, value: nil)
        checkpoints.drop(trial: trial)
        try tx.finishTrial(trialID: trials[trial].rowID, attempt: attempt, state: .fail, value: nil, metrics: nil, error: error, start: attemptStart(trial, now: now), at: now)
        try tx.appendEvent(studyID: study.id, kind: .failed, trialNumber: trial, worker: worker, message: "trial \(trial) failed: \(error)", at: now)
        if let worker {
            endLease(trial, worker: worker, completed: true)
        } else {
            trials.update(trial) {
                $0.lease = nil
                $0.decisions = [:]
            }
            checkpoints.abandonUpload(trial)
        }
    }

    private func handleBye(_ b: WorkerMessage.Bye, from worker: String, now: Double, tx: StoreTransaction) throws {
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

    /// Puts a trial back in the queue so another worker runs it: STALE after a lost or
    /// failed attempt, WAITING when it was handed back before anything went wrong.
    private func requeue(_ trial: Int, as state: TrialState, message: String, worker: String?, now: Double, tx: StoreTransaction) throws {
        history.setState(trial, state)
        try tx.setTrialState(trialID: trials[trial].rowID, state)
        pending.append(trial)
        counters.requeued += 1
        try tx.appendEvent(studyID: study.id, kind: .requeued, trialNumber: trial, worker: worker, message: message, at: now)
    }

    /// A lease the worker gave up without fault (it left, or never started the trial):
    /// back in the queue, no attempt used up.
    private func releaseLease(_ trial: Int, worker: String, reason: String, now: Double, tx: StoreTransaction) throws {
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
    private func loseLease(trial: Int, reason: String, now: Double, tx: StoreTransaction) throws {
        guard let lease = trials[trial].lease else { return }
        trials.update(trial) {
            $0.lease = nil
            $0.decisions = [:]
        }
        checkpoints.abandonUpload(trial) // a part-sent checkpoint of the ended lease
        if workers[lease.worker]?.trial == trial { workers[lease.worker]?.trial = nil }
        workers[lease.worker]?.ahead.removeAll { $0 == trial }
        try crashed(trial: trial, attempt: lease.attempt, worker: lease.worker, reason: reason, start: lease.start(endingAt: now), now: now, tx: tx)
    }

    /// An attempt that ended without a result: `outcome` STALE counts as a crash against
    /// the retry limit, RETURNED (the coordinator went away) does not.
    private func crashed(trial: Int, attempt: Int, worker: String?, reason: String, outcome: AttemptOutcome = .stale, endedAt: Double? = nil,
                         start: AttemptStart = .asLeased, now: Double, tx: StoreTransaction) throws {
        try tx.endAttempt(trialID: trials[trial].rowID, attempt: attempt, outcome: outcome, error: reason, start: start, at: min(endedAt ?? now, now))
        try tx.appendEvent(studyID: study.id, kind: .stale, trialNumber: trial, worker: worker, message: "trial \(trial) (attempt \(attempt)) is stale: \(reason)", at: now)
        if outcome == .stale { trials.update(trial) { $0.crashes += 1 } }
        let crashes = trials[trial].crashes
        if crashes >= maxAttempts {
            try fail(trial: trial, attempt: 0, worker: nil, error: "its worker died \(crashes) time(s) (\(reason)); the retry limit is \(maxAttempts) attempts", now: now, tx: tx)
        } else {
            try requeue(trial, as: .stale, message: "trial \(trial) re-queued after attempt \(attempt) was lost", worker: worker, now: now, tx: tx)
        }
    }

    // MARK: Time

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
    private func forgetLostAttemptsRunAgain() {
        let waiting = Set(pending)
        lostWith = lostWith.compactMapValues { lost in
            let open = lost.attempts.filter { waiting.contains($0.trial) && trials[$0.trial].attempt == $0.attempt }
            return open.isEmpty ? nil : LostAttempts(process: lost.process, attempts: open)
        }
    }

    /// The longest back-off of a worker between reconnect attempts (the workers' default).
    static let maxReconnectBackoff = Double(WorkerOptions.defaultReconnectMaxMs) / 1000

    /// Liveness, orphan deadlines, the wall-time budget, dispatch and completion.
    func tick(now: Double, judgeLiveness: Bool = true, tx: StoreTransaction, out: inout Outbox) throws {
        for worker in hellos.endFlapping(now: now) { markIdle(worker) }
        for t in checkpoints.abandonStalledUploads(olderThan: 2 * CheckpointTransfer.answerSeconds, now: now) {
            checkpointWarnings.append((t, "the checkpoint upload of trial \(t) stopped coming for \(Int(2 * CheckpointTransfer.answerSeconds)) s: dropped, and its room under --checkpoint-limit given back"))
        }
        try recordCheckpointWarnings(now: now, tx: tx)
        let timeout = Double(options.heartbeatMs * options.liveness) / 1000
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
            let how = exited ? "exited" : "stopped responding"
            // Nobody was heard from since shortly after this worker's last message: everyone
            // went silent together (heartbeats are spread over an interval), the coordinator's
            // side of the network is the likelier cause. Its trial is handed back (no crash)
            // and kept for it. A worker that alone went silent while others talk is lost.
            let hb = Double(options.heartbeatMs) / 1000
            // (One worker alone is no evidence: a lone worker that dies keeps counting crashes.)
            let silentWithEveryone = !exited && lastHeardFromAnyone - w.lastSeen < 1.5 * hb && (connectedBefore > 1 || now - lastHoldAt < timeout)
            if silentWithEveryone, let t = w.trial, holdsLease(t, id) {
                try releaseLease(t, worker: id, reason: "worker \(id) stopped responding as every worker did at once; kept for it", now: now, tx: tx)
                heldForItsWorker[t] = now + Self.heldAtMostSeconds
                lastHoldAt = now
            } else if let t = w.trial, let lease = trials[t].lease, lease.worker == id {
                try loseLease(trial: t, reason: "worker \(id) \(how)", now: now, tx: tx)
                lostWith[id, default: LostAttempts(process: "\(w.host)/\(w.pid)", attempts: [])].attempts.append(TrialRef(trial: t, attempt: lease.attempt))
                if lostWith.count > Self.lostWorkersKept { forgetLostAttemptsRunAgain() }
            }
            // Never started: not the trials' fault, no attempt used up.
            for a in w.ahead where holdsLease(a, id) {
                try releaseLease(a, worker: id, reason: "held ahead by worker \(id), which \(how) before starting it", now: now, tx: tx)
            }
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
        if now - lastRunSecondsFlush >= 5 {
            try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
            lastRunSecondsFlush = now
        }
        enqueued = try tx.queries.enqueuedTrials(studyID: study.id)
        try releaseStrandedHeldBack(now: now, tx: tx)
        try dispatch(now: now, tx: tx, out: &out)
        try flushWorkers(tx: tx)
    }

    /// Notes which local workers' processes are gone (they are declared dead a moment
    /// later, see ``exitedConfirmSeconds``) and moves the deadline of orphans whose worker's
    /// process is gone to now. At most every ``processCheckSeconds``.
    private func lookAtLocalProcesses(now: Double) {
        guard now - lastProcessCheck >= Self.processCheckSeconds else { return }
        lastProcessCheck = now
        for (id, w) in workers where w.exitedAt == nil {
            if let p = w.localProcess, p.hasExited { workers[id]?.exitedAt = now }
        }
        for (t, p) in orphanProcesses {
            guard trials[t].orphanDeadline != nil else { orphanProcesses[t] = nil; continue } // re-adopted
            if p.hasExited { trials.update(t) { $0.orphanDeadline = now } }
        }
    }

    /// Hands out work to idle workers, and ends the study when nothing is left.
    func dispatch(now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        guard !finished, !draining else { return }
        let wallSpent = wallTimeSpent(now: now) || givenUp != nil
        if wallSpent { try takeBackAhead(reason: givenUp ?? "the wall-time budget is spent", now: now, tx: tx, out: &out) }
        var tookBack = false
        while let worker = idleQueue.first {
            // (Nor one whose local process is gone, in the moment before it is declared dead:
            // its lease would be lost, and counted as the trial's crash.)
            guard let w = workers[worker], w.exitedAt == nil else { idleQueue.removeFirst(); continue }
            guard !wallSpent else { break }
            guard let next = try nextTrial(for: worker, now: now, tx: tx) else {
                // Nothing new to run: trials held ahead behind a long one run here instead.
                if !tookBack, try takeBackFromBusyWorkers(now: now, tx: tx, out: &out) { tookBack = true; continue }
                break
            }
            // Stays first in the queue when the trial could not be leased (invalid configuration).
            if try lease(next.number, to: worker, inserted: next.inserted, now: now, tx: tx, out: &out) {
                idleQueue.removeFirst()
            } else if let why = invalid.last, invalid.inARow >= Self.initialFailuresBeforeGivingUp, !runProgramRan, hasBudgetLeft, givenUp == nil {
                // Configurations that cannot run, trial after trial (a base model `study:X/best`
                // whose study has none): the whole budget failed in one pass, a budget of a
                // million trials in one transaction, and the give-up was never asked.
                try giveUp(failed: invalid.inARow, lastError: why, fix: .configuration, now: now, tx: tx)
                break
            } else if invalid.inARow % Self.invalidConfigurationsPerDispatch == 0 {
                break // the rest at the next tick, in another transaction
            }
        }
        // Then a trial ahead for workers running short ones (idle workers come first).
        while let worker = aheadQueue.first, idleQueue.isEmpty {
            guard let w = workers[worker], w.exitedAt == nil, aheadRoom(w, now: now) > 0 else { aheadQueue.removeFirst(); continue }
            guard !wallSpent, let next = try nextTrial(for: worker, now: now, tx: tx) else { break }
            try lease(next.number, to: worker, inserted: next.inserted, ahead: true, now: now, tx: tx, out: &out)
        }
        if trials.leased.isEmpty && trials.orphans.isEmpty && (wallSpent || (!hasBudgetLeft && pending.isEmpty && enqueued.isEmpty && !pausedWorkLeft)) {
            try finish(reason: givenUp ?? (wallSpent ? "the wall-time budget is spent" : "all \(budgetTrials) trials have ended"), now: now, tx: tx, out: &out)
            return
        }
        for worker in idleQueue where workers[worker]?.toldNoWork == false {
            workers[worker]?.toldNoWork = true
            out.send(.noWork(reason: "all remaining trials are running; waiting for them"), to: worker)
        }
    }

    /// The next trial to run: a re-queued one first, else a new one from the sampler
    /// (inserted directly as this worker's lease: one statement instead of two).
    private func nextTrial(for worker: String, now: Double, tx: StoreTransaction) throws -> (number: Int, inserted: Bool)? {
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
    private func takeEnqueued(as number: Int, now: Double, tx: StoreTransaction) throws -> Params {
        let given = enqueued.removeFirst()
        study.definition.budgetTrials += 1
        try tx.setBudget(study.id, trials: study.definition.budgetTrials)
        try tx.takeEnqueuedTrial(id: given.id, trialNumber: number, at: now)
        try tx.appendEvent(studyID: study.id, kind: .enqueued, trialNumber: number,
                           message: "trial \(number) runs the parameters queued by \(given.source)", at: now)
        return given.params
    }

    /// What a worker needs to run `trial`: its assignment, or why its configuration cannot run.
    private enum Prepared {
        case ready(CoordinatorMessage.Assign)
        case invalid(String)
    }

    private func prepare(_ trial: Int, attempt: Int, for worker: String, tx: StoreTransaction) throws -> Prepared {
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
    private func assignment(_ trial: Int, attempt: Int, for worker: String, tx: StoreTransaction) throws -> CoordinatorMessage.Assign? {
        if case .ready(let assign) = try prepare(trial, attempt: attempt, for: worker, tx: tx) { return assign }
        return nil
    }

    /// Leases `trial` to `worker` and queues its assignment; false when the trial's
    /// configuration turned out invalid (it is recorded as FAIL and the worker stays idle).
    @discardableResult
    private func lease(_ trial: Int, to worker: String, inserted: Bool, ahead: Bool = false, now: Double, tx: StoreTransaction, out: inout Outbox) throws -> Bool {
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

    private func finish(reason: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        finished = true
        // (Paused trials keep their checkpoints: `sweep resume --add-trials` may promote them.)
        finishReason = reason
        try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
        lastRunSecondsFlush = now
        // A study that gave up with budget left is not finished: it waits for `sweep resume`
        // once its program is fixed, and reads as interrupted (it read FINISHED, as one whose
        // budget was spent).
        if givenUp == nil || !hasBudgetLeft {
            try tx.setStudyState(study.id, .finished, at: now)
            study.state = .finished
            let best = history.best.map { "; best trial \($0.number) with \(metric) = \($0.value.map { "\($0)" } ?? "?")" } ?? ""
            try tx.appendEvent(studyID: study.id, kind: .studyFinished, message: "study finished: \(reason)\(best)", at: now)
        }
        try flushWorkers(tx: tx)
        for id in workers.keys.sorted() {
            out.send(.stop(reason: reason), to: id)
        }
        // Every worker of the study is gone now, connected or not.
        try tx.markWorkersGone(studyID: study.id, as: .left)
    }

    /// Stops handing out work (Ctrl-C): running trials stay RUNNING for a later resume;
    /// workers are no longer tracked (a resumed coordinator re-adopts them).
    func interrupt(now: Double, tx: StoreTransaction) throws {
        try flushWorkers(tx: tx)
        try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
        lastRunSecondsFlush = now
        try tx.markWorkersGone(studyID: study.id, as: .left)
    }

    /// Whether `worker` holds the lease of `trial`, whatever its attempt.
    private func holdsLease(_ trial: Int, _ worker: String) -> Bool {
        trials.contains(trial) && trials[trial].lease?.worker == worker
    }

    /// A second Ctrl-C: every trial still held (leased, or waiting for its worker after a
    /// restart) is recorded as handed back and re-queued, so a resume starts it at once.
    func handBackAll(reason: String, now: Double, tx: StoreTransaction) throws {
        for t in trials.leased.sorted() {
            if let worker = trials[t].lease?.worker { try releaseLease(t, worker: worker, reason: reason, now: now, tx: tx) }
        }
        for t in trials.orphans.sorted() {
            trials.update(t) { $0.orphanDeadline = nil }
            try crashed(trial: t, attempt: trials[t].attempt, worker: nil, reason: reason, outcome: .returned,
                        endedAt: orphanAttempts.removeValue(forKey: t)?.lastSeen, now: now, tx: tx)
        }
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

    /// Removes model files the last committed batch stopped recording, and writes (or
    /// removes) the checkpoints it accepted (or dropped).
    func removeDroppedArtifacts() {
        models.removeDropped()
        for (t, error) in checkpoints.flush() {
            counters.checkpointsUnwritten += 1
            checkpointWarnings.append((t, "checkpoint of trial \(t) not kept: \(error)"))
        }
    }

    // MARK: Checkpoints

    /// Epochs between checkpoints that workers are asked for (0 when none can be kept).
    private var checkpointEvery: Int {
        guard checkpoints.enabled && definition.task != .synthetic else { return 0 }
        return pausing?.checkpointEvery(definition.retry.checkpointEvery) ?? definition.retry.checkpointEvery
    }

    /// Epochs whose checkpoints workers always send: where trials pause.
    private var pauseEpochs: [Int] {
        guard checkpoints.enabled && definition.task != .synthetic else { return [] }
        return pausing?.pauseEpochs(below: maxEpochs) ?? []
    }

    /// Answers a part of a large checkpoint (kept as it comes) or a request for a chunk of
    /// the one an attempt resumes from; only for the worker that holds the trial's lease.
    private func answer(_ request: CheckpointTransfer.Request, from worker: String, now: Double) -> CheckpointTransfer.Reply {
        switch request {
        case .part(let p):
            guard trials.lease(p.trial, attempt: p.attempt, worker: worker) != nil else {
                return .ack(.init(trial: p.trial, attempt: p.attempt, epoch: p.epoch, received: 0, refused: "trial \(p.trial) (attempt \(p.attempt)) is not leased to this worker"))
            }
            // No report past the study's epochs is taken, nor its checkpoint.
            guard p.epoch <= maxEpochs else {
                return .ack(.init(trial: p.trial, attempt: p.attempt, epoch: p.epoch, received: 0, refused: "epoch \(p.epoch) is past the study's \(maxEpochs)"))
            }
            return .ack(checkpoints.receive(p, now: now))
        case .fetch(let f):
            let size = checkpoints.entries[f.trial]?.bytes ?? 0
            guard trials.lease(f.trial, attempt: f.attempt, worker: worker) != nil else {
                // (Not the size of a checkpoint that is not this worker's.)
                return .chunk(.init(trial: f.trial, attempt: f.attempt, offset: f.offset, total: 0, bytes: [], refused: "trial \(f.trial) (attempt \(f.attempt)) is not leased to this worker"))
            }
            guard let bytes = checkpoints.chunk(trial: f.trial, offset: f.offset, count: CheckpointTransfer.partBytes) else {
                return .chunk(.init(trial: f.trial, attempt: f.attempt, offset: f.offset, total: size, bytes: [], refused: "no checkpoint of trial \(f.trial) has byte \(f.offset)"))
            }
            return .chunk(.init(trial: f.trial, attempt: f.attempt, offset: f.offset, total: size, bytes: bytes))
        }
    }

    /// Offers a checkpoint (a report's, or a PBT member's copy); nil, or why it is not kept
    /// (said in the events and counted).
    func keepCheckpoint(_ bytes: [UInt8], trial: Int, epoch: Int) -> String? {
        switch checkpoints.offer(trial: trial, epoch: epoch, bytes: bytes) {
        case nil, .disabled?:
            return nil
        case .overCap?:
            counters.checkpointsRefused += 1
            let why = "the checkpoints of running trials would take more than \(checkpoints.capBytes) bytes (--checkpoint-limit)"
            // Said once per run: the cap stays full until trials end.
            if counters.checkpointsRefused == 1 {
                checkpointWarnings.append((trial, "checkpoint of trial \(trial) after epoch \(epoch) (\(bytes.count) bytes) not kept: \(why); trials keep their older checkpoints"))
            }
            return why
        case .cannotWrite(let why)?:
            counters.checkpointsUnwritten += 1
            checkpointWarnings.append((trial, "checkpoint of trial \(trial) after epoch \(epoch) (\(bytes.count) bytes) not kept: \(why); the trial keeps its older checkpoint"))
            return why
        }
    }

    /// Records the warnings about checkpoints not kept since the last batch.
    private func recordCheckpointWarnings(now: Double, tx: StoreTransaction) throws {
        for (t, message) in checkpointWarnings {
            try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: t, message: message, at: now)
        }
        checkpointWarnings.removeAll()
    }
}

extension PruneDecision {
    /// The wire's and the store's form of the decision.
    var action: PruneAction { prune ? .prune : .continue }
}
