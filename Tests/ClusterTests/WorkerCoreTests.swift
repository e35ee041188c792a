import Search
import SweepFile
import SweepSupport
import Testing
@testable import Cluster

/// Drives a `WorkerCore` on a fake clock: what it sends, tells the runner, and when it leaves.
struct WorkerHarness {
    var core: WorkerCore
    var now = 1000.0

    init(_ configure: (inout WorkerOptions) -> Void = { _ in }) {
        var options = WorkerOptions(connect: "tcp://127.0.0.1:1", id: "w1", heartbeatMs: 1000, liveness: 3, reconnectInitialMs: 250, reconnectMaxMs: 1000)
        configure(&options)
        core = WorkerCore(options: options, identity: .init(id: "w1", host: "h", pid: 7, cores: 2, capabilities: ["synthetic"]), now: now)
    }

    mutating func tick(after seconds: Double = 0) -> [WorkerCore.Action] {
        now += seconds
        return core.tick(now: now)
    }

    mutating func receive(_ m: CoordinatorMessage?) -> [WorkerCore.Action] { core.received(m, now: now) }
    mutating func runner(_ e: WorkerCore.RunnerEvent) -> [WorkerCore.Action] { core.fromRunner(e, now: now) }

    /// Connected, welcomed, and running trial 3 (attempt 1).
    mutating func runningTrial() {
        _ = tick()
        _ = receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil)))
        _ = receive(.assign(assign(trial: 3)))
    }
}

func assign(trial: Int, attempt: Int = 1) -> CoordinatorMessage.Assign {
    .init(study: "s", trial: trial, attempt: attempt, seed: 1, params: [:],
          spec: .synthetic(SyntheticTask(function: .constant, epochs: 5, inputs: [])), maxEpochs: 5, metric: "value")
}

func report(_ trial: Int, epoch: Int) -> WorkerMessage {
    .report(.init(trial: trial, attempt: 1, epoch: epoch, value: Double(epoch), metrics: ["value": Double(epoch)]))
}

func result(_ trial: Int, ready: Bool = true) -> WorkerMessage {
    .result(.init(trial: trial, attempt: 1, state: .complete, value: 1, metrics: ["value": 1], epochs: 5, ready: ready))
}

/// The messages among `actions`.
func sends(_ actions: [WorkerCore.Action]) -> [WorkerMessage] {
    actions.compactMap { if case .send(let m) = $0 { return m } else { return nil } }
}

func exits(_ actions: [WorkerCore.Action]) -> WorkerSummary? {
    actions.lazy.compactMap { if case .exit(let s) = $0 { return s } else { return nil } }.first
}

@Suite struct WorkerCoreTests {
    /// A `hello` that got no `welcome` while the coordinator is plainly there (its heartbeats
    /// come) is said again: a worker waited for the welcome for good, its trial's report
    /// held back, and the sweep never ended. (The coordinator, back from a stall, had cut
    /// its new connection with the hello unread.)
    @Test func aHelloLeftUnansweredIsSaidAgainWhileHeartbeatsCome() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.runner(.forward(report(3, epoch: 1)))
        // The coordinator goes silent: the worker reconnects and says hello naming trial 3.
        _ = h.tick(after: 3.5)
        let reconnect = h.tick(after: 0.3)
        #expect(sends(reconnect).contains { if case .hello = $0 { return true } else { return false } }, "\(reconnect)")
        // Heartbeats come, no welcome: within the silence window nothing is said again...
        var hellos = 0
        for _ in 0..<2 {
            _ = h.receive(.heartbeat)
            hellos += sends(h.tick(after: 1)).filter { if case .hello = $0 { return true } else { return false } }.count
        }
        #expect(hellos == 0)
        // ...after it, the hello is said again (and the report waits for the welcome).
        _ = h.receive(.heartbeat)
        let again = h.tick(after: 1.1)
        #expect(sends(again).contains { if case .hello(let hello) = $0 { return hello.running?.trial == 3 } else { return false } }, "\(again)")
        #expect(!sends(again).contains { if case .report = $0 { return true } else { return false } })
        // The welcome that adopts the trial brings the held report out.
        let welcomed = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: .init(trial: 3, attempt: 1))))
        #expect(sends(welcomed) == [report(3, epoch: 1)], "\(welcomed)")
        _ = h.receive(.heartbeat)
        #expect(!sends(h.tick(after: 4)).contains { if case .hello = $0 { return true } else { return false } })
    }

    @Test func connectsWithHelloAndPassesAssignmentsToTheRunner() {
        var h = WorkerHarness()
        let first = h.tick()
        #expect(first.first == .connect)
        guard case .hello(let hello)? = sends(first).first else { Issue.record("no hello: \(first)"); return }
        #expect(hello.worker == "w1" && hello.running == nil && hello.capabilities == ["synthetic"])
        #expect(h.receive(.welcome(.init(study: "s", heartbeatMs: 500, liveness: 4, adopted: nil))).contains(.connected(true)))
        #expect(h.core.heartbeatMs == 500 && h.core.silence == 2)
        #expect(h.receive(.assign(assign(trial: 3))) == [.toRunner(.assign(assign(trial: 3)))])
        // A second assignment while one runs is held ahead, not passed on.
        #expect(!h.receive(.assign(assign(trial: 4))).contains { if case .toRunner = $0 { return true } else { return false } })
    }

    /// Welcomes repeated while a coordinator restarts (one per hello) log "joined study"
    /// once; a later one, after a silence, again.
    @Test func repeatedWelcomesLogJoiningOnce() {
        var h = WorkerHarness()
        _ = h.tick()
        func joined(_ actions: [WorkerCore.Action]) -> Int {
            actions.filter { if case .log(_, let text) = $0 { return text.hasPrefix("joined study") } else { return false } }.count
        }
        let welcome = CoordinatorMessage.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: TrialRef(trial: 0, attempt: 1)))
        #expect(joined(h.receive(welcome)) == 1)
        #expect(joined(h.receive(welcome)) + joined(h.receive(welcome)) == 0)
        h.now += 10
        #expect(joined(h.receive(welcome)) == 1)
    }

    @Test func heartbeatsOnlyAfterAQuietInterval() {
        var h = WorkerHarness()
        h.runningTrial()
        #expect(sends(h.tick(after: 0.5)).isEmpty)
        #expect(sends(h.runner(.forward(report(3, epoch: 1)))) == [report(3, epoch: 1)])
        #expect(sends(h.tick(after: 0.9)).isEmpty) // 0.9 s since the report
        #expect(sends(h.tick(after: 0.2)) == [.heartbeat])
    }

    /// A worker that did not run for longer than the liveness window (SIGSTOP) does not
    /// blame the coordinator's silence meanwhile: it said "the coordinator went silent" and
    /// reconnected. It waits a whole window again, and only then reconnects.
    @Test func aStalledWorkerGivesTheCoordinatorAWholeWindowAgain() {
        var h = WorkerHarness()
        h.runningTrial()
        h.now += 9
        let noted = h.core.wasStalled(for: 9, now: h.now)
        #expect(noted.contains { if case .log(.warning, let text) = $0 { text.contains("this worker did not run for 9 s") } else { false } }, "\(noted)")
        #expect(!h.tick().contains(.disconnect))
        #expect(!h.tick(after: 2.9).contains(.disconnect))
        #expect(h.tick(after: 0.2).contains(.disconnect))
        #expect(h.core.wasStalled(for: 0.5, now: h.now).isEmpty, "a short gap is no stall")
    }

    @Test func silentCoordinatorMeansReconnectWithBackoffAndHelloNamingTheTrial() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.runner(.forward(report(3, epoch: 1)))
        _ = h.runner(.forward(report(3, epoch: 2)))
        _ = h.receive(.decision(.init(trial: 3, attempt: 1, epoch: 1, action: .continue, reason: "")))
        let dropped = h.tick(after: 3.1)
        #expect(dropped.contains(.disconnect) && dropped.contains(.connected(false)))
        // Reports made while disconnected are kept, not sent.
        #expect(sends(h.runner(.forward(report(3, epoch: 3)))).isEmpty)
        #expect(!h.tick(after: 0.2).contains(.connect)) // back-off: 250 ms
        let again = h.tick(after: 0.1)
        #expect(again.contains(.connect))
        guard case .hello(let hello)? = sends(again).first else { Issue.record("no hello"); return }
        #expect(hello.running == .init(trial: 3, attempt: 1, epoch: 3, study: "s"))
        // Connected but not yet answered: a new report waits too (sent now, it reached a
        // restarted coordinator before the earlier ones, which ASHA then refused).
        #expect(sends(h.runner(.forward(report(3, epoch: 4)))).isEmpty)
        #expect(sends(h.runner(.forward(result(3)))).isEmpty)
        // Re-adopted: the reports without a decision go again, in order, then the outcome.
        let welcome = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: TrialRef(trial: 3, attempt: 1))))
        #expect(sends(welcome) == [report(3, epoch: 2), report(3, epoch: 3), report(3, epoch: 4), result(3)])
    }

    @Test func backoffDoublesUpToItsCapAndResetsWhenHeard() {
        var h = WorkerHarness()
        _ = h.tick()
        var delays: [Int] = []
        for _ in 0..<4 {
            delays.append(h.core.backoffMs)
            _ = h.tick(after: 3.1) // no answer: drop
            _ = h.tick(after: Double(delays.last!) / 1000) // reconnect
        }
        #expect(delays == [250, 500, 1000, 1000])
        _ = h.receive(.heartbeat)
        #expect(h.core.backoffMs == 250)
    }

    @Test func outcomeIsResentAfterReadoptionAndSettledByTheNextMessage() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.tick(after: 3.1) // coordinator gone
        #expect(sends(h.runner(.forward(result(3)))).isEmpty)
        _ = h.tick(after: 0.25)
        let welcome = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: TrialRef(trial: 3, attempt: 1))))
        #expect(sends(welcome) == [result(3)])
        #expect(h.core.current != nil)
        _ = h.receive(.noWork(reason: "busy"))
        #expect(h.core.current == nil)
    }

    @Test func notAdoptedTrialIsNotResent() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.runner(.forward(report(3, epoch: 1)))
        _ = h.tick(after: 3.1)
        _ = h.tick(after: 0.25)
        #expect(sends(h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil)))).isEmpty)
    }

    @Test func decisionsReachTheRunnerOnlyForItsTrial() {
        var h = WorkerHarness()
        h.runningTrial()
        let d = CoordinatorMessage.Decision(trial: 3, attempt: 1, epoch: 1, action: .prune, reason: "median")
        #expect(h.receive(.decision(d)) == [.toRunner(.decision(d))])
        #expect(h.receive(.decision(.init(trial: 9, attempt: 1, epoch: 1, action: .prune, reason: ""))).isEmpty)
    }

    @Test func cancelWhileRunningAbortsThenAsksForWork() {
        var h = WorkerHarness()
        h.runningTrial()
        #expect(h.receive(.cancel(TrialRef(trial: 3, attempt: 1), reason: "re-run")).contains(.toRunner(.cancel(TrialRef(trial: 3, attempt: 1), reason: "re-run"))))
        #expect(sends(h.runner(.aborted)) == [.ready])
        #expect(h.core.current == nil)
    }

    @Test func stopWhileRunningFinishesTheEpochThenHandsTheTrialBack() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.runner(.forward(report(3, epoch: 1)))
        h.core.requestStop()
        #expect(h.tick().contains(.toRunner(.stopAfterEpoch)))
        let out = h.runner(.returned(.init(reason: "stopped", trial: 3, attempt: 1)))
        #expect(sends(out) == [report(3, epoch: 1), .bye(.init(reason: "stopped", trial: 3, attempt: 1))])
        #expect(exits(out)?.reason == "stopped by signal; trial handed back")
    }

    @Test func stopWhenIdleSaysByeAndLeaves() {
        var h = WorkerHarness()
        _ = h.tick()
        h.core.requestStop()
        let out = h.tick()
        #expect(sends(out) == [.bye(.init(reason: "stopped by signal"))])
        #expect(exits(out) == WorkerSummary(trialsDone: 0, reason: "stopped by signal", failed: false))
    }

    @Test func lastOfMaxTrialsIsSentNotReadyThenTheWorkerLeaves() {
        var h = WorkerHarness { $0.maxTrials = 1 }
        h.runningTrial()
        #expect(sends(h.runner(.forward(result(3)))) == [result(3, ready: false)])
        let out = h.tick()
        #expect(exits(out) == WorkerSummary(trialsDone: 1, reason: "done 1 trial(s)", failed: false))
    }

    /// A quarantined worker's exit line said "2 trial(s) done" for two failures.
    @Test func theSummaryCountsFailedTrialsApart() {
        var h = WorkerHarness { $0.maxTrials = 2 }
        h.runningTrial()
        // Its log names each failure with the error's first line (it said only "running").
        let failed = h.runner(.forward(.failure(.init(trial: 3, attempt: 1, error: "exit code 1\nTraceback ...", ready: true))))
        #expect(failed.contains(.log(.warning, "trial 3 attempt 1 failed: exit code 1")), "\(failed)")
        _ = h.receive(.assign(assign(trial: 4)))
        _ = h.runner(.forward(result(4)))
        let out = h.tick()
        #expect(exits(out) == WorkerSummary(trialsDone: 2, trialsFailed: 1, reason: "done 2 trial(s)", failed: false))
    }

    @Test func studyOverWaitsForTheRunningTrial() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.receive(.stop(reason: "budget spent"))
        #expect(exits(h.tick()) == nil)
        _ = h.runner(.forward(result(3)))
        #expect(exits(h.tick())?.reason == "study over: budget spent")
    }

    @Test func foreverWorkerReconnectsForTheNextStudy() {
        var h = WorkerHarness { $0.forever = true }
        _ = h.tick()
        let out = h.receive(.stop(reason: "done"))
        #expect(out.contains(.disconnect) && exits(out) == nil)
        // A study that ended is information, not a warning.
        #expect(out.contains { if case .log(let level, let text) = $0 { level == .info && text.hasPrefix("study over; reconnecting") } else { false } }, "\(out)")
        #expect(!h.tick(after: 0.9).contains(.connect))
        #expect(h.tick(after: 0.2).contains(.connect)) // after 1 s
    }

    /// The next study is asked for after 1 s, then 2, 4, ... up to the back-off cap while the
    /// finished coordinator still answers `stop`; a study that hands out work resets it.
    @Test func foreverWorkerAsksForTheNextStudySoonThenLessOften() {
        var h = WorkerHarness { $0.forever = true; $0.reconnectMaxMs = 10_000 }
        func waitAfterStop() -> Double {
            let start = h.now
            _ = h.receive(.stop(reason: "done"))
            while !h.tick(after: 0.05).contains(.connect) { if h.now - start > 60 { return .infinity } }
            return h.now - start
        }
        _ = h.tick()
        let waits = (0..<5).map { _ in waitAfterStop() }
        for (wait, expected) in zip(waits, [1.0, 2, 4, 8, 10]) {
            #expect(wait >= expected && wait < expected + 0.1, "\(waits)")
        }
        _ = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil)))
        _ = h.receive(.assign(assign(trial: 1)))
        #expect(waitAfterStop() < 1.1)
    }

    /// A worker serving study after study: the next study's trial 0 attempt 1 is run, not
    /// taken for a copy of the last study's (which it had finished): the study hung with the
    /// trial RUNNING at epoch 0. Its hello names the study of the trial it holds.
    @Test func theNextStudysTrialWithTheSameNumberIsRun() {
        var h = WorkerHarness { $0.forever = true }
        _ = h.tick()
        _ = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil)))
        var first = assign(trial: 0)
        first.study = "s"
        #expect(h.receive(.assign(first)).contains(.toRunner(.assign(first))))
        guard case .hello(let hello)? = sends(h.receive(.identify)).first else { Issue.record("no hello"); return }
        #expect(hello.running?.study == "s" && hello.running?.trial == 0)
        _ = h.runner(.forward(.result(.init(trial: 0, attempt: 1, state: .pruned, value: 1, metrics: ["value": 1], epochs: 1, ready: true))))
        _ = h.receive(.stop(reason: "the wall-time budget is spent"))
        var connected = false
        for _ in 0..<40 where !connected { connected = h.tick(after: 0.1).contains(.connect) }
        #expect(connected)
        _ = h.receive(.welcome(.init(study: "t", heartbeatMs: 1000, liveness: 3, adopted: nil)))
        var next = assign(trial: 0)
        next.study = "t"
        #expect(h.receive(.assign(next)).contains(.toRunner(.assign(next))), "the next study's trial 0 was not run")
    }

    /// Welcomed by another study while the last study's trial still runs: that trial is
    /// stopped, and the new study's trial of the same number waits for it and then runs (it
    /// was taken for a copy of the one running, and dropped).
    @Test func aNewStudysTrialWaitsForTheLastStudysToStop() {
        var h = WorkerHarness { $0.forever = true }
        h.runningTrial() // trial 3 of study "s"
        _ = h.receive(.stop(reason: "done"))
        var connected = false
        for _ in 0..<40 where !connected { connected = h.tick(after: 0.1).contains(.connect) }
        let welcomed = h.receive(.welcome(.init(study: "t", heartbeatMs: 1000, liveness: 3, adopted: nil)))
        #expect(welcomed.contains { if case .toRunner(.cancel(let ref, _)) = $0 { ref.trial == 3 } else { false } }, "\(welcomed)")
        var next = assign(trial: 3)
        next.study = "t"
        #expect(!h.receive(.assign(next)).contains(.toRunner(.assign(next))))
        #expect(h.runner(.aborted).contains(.toRunner(.assign(next))), "the new study's trial 3 was dropped")
    }

    /// A `--forever` worker waiting for the next study finds no coordinator, again and again:
    /// information, not a warning each time (108 warnings in 6.5 minutes for 3 workers).
    @Test func aForeverWorkerWaitingForTheNextStudyLogsNoWarnings() {
        var h = WorkerHarness { $0.forever = true }
        h.runningTrial()
        _ = h.runner(.forward(result(3)))
        _ = h.receive(.stop(reason: "done"))
        var levels: [Log.Level] = []
        for _ in 0..<200 {
            for case .log(let level, let text) in h.tick(after: 0.1) where text.contains("no answer") { levels.append(level) }
        }
        #expect(!levels.isEmpty && levels.allSatisfy { $0 == .info }, "\(levels)")
        // A worker that never had a study still warns: it may be pointed at the wrong place.
        var fresh = WorkerHarness { $0.forever = true }
        var warned = false
        for _ in 0..<100 where !warned {
            for case .log(.warning, let text) in fresh.tick(after: 0.1) where text.contains("no answer") { warned = true }
        }
        #expect(warned)
    }

    /// A program that writes on after its trial was pruned gets a cancel per report: the
    /// worker says so once (255 warnings for one prune).
    @Test func aCancelIsLoggedOncePerAttempt() {
        var h = WorkerHarness()
        h.runningTrial()
        func warnings(_ actions: [WorkerCore.Action]) -> Int {
            actions.filter { if case .log(.warning, let text) = $0 { text.contains("cancelled") } else { false } }.count
        }
        let ref = TrialRef(trial: 3, attempt: 1)
        let said = (0..<5).map { _ in warnings(h.receive(.cancel(ref, reason: "no lease for \(ref) on this worker"))) }
        #expect(said == [1, 0, 0, 0, 0], "\(said)")
    }

    @Test func givesUpWithoutACoordinator() {
        var h = WorkerHarness { $0.giveUpAfterSeconds = 5 }
        _ = h.tick()
        var summary: WorkerSummary?
        for _ in 0..<60 where summary == nil { summary = exits(h.tick(after: 0.25)) }
        #expect(summary?.failed == true)
        #expect(h.now - 1000 > 5 && h.now - 1000 < 5.5)
        // A CURVE coordinator drops a worker without keys in silence: the reason says so.
        #expect(summary?.reason.contains("if it uses CURVE keys, start the worker with --keys") == true, "\(summary?.reason ?? "")")
    }

    @Test func unsupportedProtocolVersionEndsTheRun() {
        var h = WorkerHarness()
        _ = h.tick()
        #expect(exits(h.receive(.error("protocol version 2 is not supported")))?.failed == true)
        #expect(exits(h.receive(.error("malformed 'report'"))) == nil)
    }

    @Test func identifyIsAnsweredWithHelloNamingTheRunningTrial() {
        var h = WorkerHarness()
        h.runningTrial()
        let actions = h.receive(.identify)
        guard case .hello(let hello)? = sends(actions).first else { Issue.record("no hello"); return }
        #expect(hello.running?.trial == 3)
        // The runner hears of it: an upload under way ends (the new coordinator answers none
        // of its parts, and training stood still for 30 s).
        #expect(actions.contains(.toRunner(.coordinatorRestarted)), "\(actions)")
        var idle = WorkerHarness()
        _ = idle.tick()
        #expect(!idle.receive(.identify).contains(.toRunner(.coordinatorRestarted)))
    }
}

/// The worker's side of leases ahead (docs/protocol.md).
@Suite struct WorkerAheadTests {
    func isRunnerAssign(_ a: WorkerCore.Action) -> Int? {
        if case .toRunner(.assign(let x)) = a { return x.trial }
        return nil
    }

    @Test func assignmentsWhileATrialRunsWaitAndStartInOrderWithEachOutcome() {
        var h = WorkerHarness()
        h.runningTrial()
        #expect(h.receive(.assign(assign(trial: 4))).compactMap(isRunnerAssign).isEmpty)
        #expect(h.receive(.assign(assign(trial: 5))).compactMap(isRunnerAssign).isEmpty)
        #expect(h.receive(.assign(assign(trial: 4))).isEmpty) // a copy of one it holds
        #expect(h.core.ahead.map(\.trial) == [4, 5])
        let first = h.runner(.forward(result(3)))
        #expect(sends(first) == [result(3)])
        #expect(first.compactMap(isRunnerAssign) == [4])
        #expect(h.core.current?.trial == 4)
        #expect(h.runner(.forward(result(4))).compactMap(isRunnerAssign) == [5])
        // Nothing ahead any more: it waits for the coordinator.
        #expect(h.runner(.forward(result(5))).compactMap(isRunnerAssign).isEmpty)
    }

    @Test func aReconnectDropsWhatIsHeldAheadAndACancelDropsOne() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.receive(.assign(assign(trial: 4)))
        _ = h.receive(.assign(assign(trial: 5)))
        _ = h.receive(.cancel(TrialRef(trial: 4, attempt: 1), reason: "taken back"))
        #expect(h.core.ahead.map(\.trial) == [5])
        // The coordinator does not know us any more: hello again, naming the running trial only.
        let hello = sends(h.receive(.identify))
        guard case .hello(let hi)? = hello.first else { Issue.record("no hello: \(hello)"); return }
        #expect(hi.running?.trial == 3)
        #expect(h.core.ahead.isEmpty)
        #expect(h.runner(.forward(result(3))).compactMap(isRunnerAssign).isEmpty)
    }

    @Test func aWorkerOnItsLastTrialDoesNotStartWhatItHoldsAhead() {
        var h = WorkerHarness { $0.maxTrials = 1 }
        h.runningTrial()
        _ = h.receive(.assign(assign(trial: 4)))
        let end = h.runner(.forward(result(3)))
        #expect(sends(end) == [result(3, ready: false)])
        #expect(end.compactMap(isRunnerAssign).isEmpty)
        // It leaves with a `bye`; the coordinator takes back what it held.
        let leave = h.tick()
        #expect(sends(leave).contains { if case .bye = $0 { return true } else { return false } })
        #expect(exits(leave) != nil)
    }

    @Test func theBuiltInWorkerSaysItTakesAssignmentsAhead() {
        #expect(TrialRunner.capabilities(WorkerOptions(connect: "tcp://127.0.0.1:1")).contains(Wire.aheadCapability))
    }
}

/// The worker's side of leases ahead when the connection fails or it is leaving.
@Suite struct WorkerAheadFaultTests {
    func runnerAssigns(_ actions: [WorkerCore.Action]) -> [Int] {
        actions.compactMap { if case .toRunner(.assign(let x)) = $0 { return x.trial } else { return nil } }
    }

    @Test func withoutAConnectionItKeepsTheOutcomeAndDropsWhatIsHeld() {
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.receive(.assign(assign(trial: 4)))
        // The coordinator goes silent: the socket is dropped, trial 4 with it.
        _ = h.tick(after: 3.5)
        #expect(h.core.ahead.isEmpty && !h.core.socketOpen)
        let end = h.runner(.forward(result(3)))
        #expect(runnerAssigns(end).isEmpty)
        #expect(h.core.current?.trial == 3 && h.core.current?.outcome == result(3))
        // Reconnected and adopted: the outcome goes out.
        let hello = sends(h.tick(after: 1))
        guard case .hello(let hi)? = hello.first else { Issue.record("no hello: \(hello)"); return }
        #expect(hi.running?.trial == 3)
        #expect(sends(h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: TrialRef(trial: 3, attempt: 1))))) == [result(3)])
    }

    /// An `assign` lost on the way (the coordinator's queue to this worker full) would leave
    /// it waiting for good while its heartbeats keep the lease alive: an idle worker asks
    /// again once it has been idle as long as the coordinator's silence limit (3 s here).
    @Test func anIdleWorkerAsksForWorkAgainAfterTheSilenceLimit() {
        var h = WorkerHarness()
        /// `seconds` later, with the coordinator's heartbeat heard just before.
        func later(_ seconds: Double) -> [WorkerMessage] {
            h.now += seconds
            _ = h.receive(.heartbeat)
            return sends(h.tick())
        }
        _ = h.tick()
        _ = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil)))
        // hello asked for work at the start: heartbeats until 3 s have passed, then `ready`.
        #expect(later(1.0) == [.heartbeat])
        #expect(later(1.0) == [.heartbeat])
        #expect(later(1.0) == [.ready])
        #expect(later(1.0) == [.heartbeat])
        #expect(later(2.0) == [.ready])
        // Running a trial it does not ask; after its outcome (which asks) it waits 3 s again.
        _ = h.receive(.assign(assign(trial: 3)))
        #expect(later(3.5) == [.heartbeat])
        #expect(sends(h.runner(.forward(result(3)))) == [result(3)])
        #expect(later(2.5) == [.heartbeat])
        #expect(later(0.5) == [.ready])
        // A worker asked to stop does not ask for work: it leaves.
        h.core.requestStop()
        #expect(!later(5).contains(.ready))
    }

    /// The assignment sent again for a repeated `ready` may cross the first copy's outcome:
    /// a trial already run is not run again.
    @Test func aCopyOfAnAssignmentAlreadyRunIsNotRunAgain() {
        var h = WorkerHarness()
        h.runningTrial()
        #expect(sends(h.runner(.forward(result(3)))) == [result(3)])
        #expect(runnerAssigns(h.receive(.assign(assign(trial: 3)))).isEmpty)
        // Another attempt of it is a new lease, and runs.
        let again = h.receive(.assign(assign(trial: 3, attempt: 2)))
        #expect(again.contains { if case .toRunner(.assign(let a)) = $0 { return a.trial == 3 && a.attempt == 2 } else { return false } })
    }

    @Test func anAssignmentAfterItsLastOutcomeIsNotRun() {
        var h = WorkerHarness { $0.maxTrials = 1 }
        h.runningTrial()
        #expect(sends(h.runner(.forward(result(3)))) == [result(3, ready: false)])
        // An assignment ahead, sent for an earlier outcome, arrives now.
        #expect(runnerAssigns(h.receive(.assign(assign(trial: 4)))).isEmpty)
        let leave = h.tick()
        #expect(sends(leave).contains { if case .bye = $0 { return true } else { return false } })
        #expect(exits(leave) != nil)
    }

    @Test func afterAStopRequestAnAssignmentIsNotRun() {
        var h = WorkerHarness()
        _ = h.tick()
        _ = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil)))
        h.core.requestStop()
        #expect(runnerAssigns(h.receive(.assign(assign(trial: 4)))).isEmpty)
        #expect(exits(h.tick()) != nil)
    }
}

/// A trial's last report goes inside its `result` when the coordinator takes it there.
@Suite struct LastReportInResultTests {
    static let taking = CoordinatorMessage.Welcome(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil,
                                                   capabilities: [Wire.lastReportInResultCapability])
    static let last = WorkerMessage.Report(trial: 3, attempt: 1, epoch: 5, value: 5, metrics: ["value": 5])

    /// Connected with `welcome`, running trial 3.
    func running(_ welcome: CoordinatorMessage.Welcome) -> WorkerHarness {
        var h = WorkerHarness()
        _ = h.tick()
        _ = h.receive(.welcome(welcome))
        _ = h.receive(.assign(assign(trial: 3)))
        return h
    }

    func withLastReport(_ m: WorkerMessage) -> WorkerMessage {
        guard case .result(var r) = m else { return m }
        r.lastReport = Self.last
        return .result(r)
    }

    @Test func aCoordinatorThatTakesItGetsOneMessage() {
        var h = running(Self.taking)
        #expect(sends(h.runner(.lastReport(Self.last))).isEmpty)
        #expect(sends(h.runner(.forward(result(3)))) == [withLastReport(result(3))])
    }

    @Test func aCoordinatorThatDoesNotGetsTheReportThenTheResult() {
        var h = running(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: nil))
        #expect(sends(h.runner(.lastReport(Self.last))) == [.report(Self.last)])
        #expect(sends(h.runner(.forward(result(3)))) == [result(3)])
    }

    /// While a data set comes in, a chunk may take longer than the silence window (8 s for
    /// 1 MiB at 1 Mbit/s, heartbeats queued behind it): the worker reconnected mid-chunk, again
    /// and again, and every trial failed. It allows 20 s then, and the usual window after.
    @Test func aSlowChunkIsWaitedForBeyondTheSilenceWindow() {
        func dropped(_ actions: [WorkerCore.Action]) -> Bool {
            actions.contains { if case .log(_, let text) = $0 { return text.contains("went silent") } else { return false } }
        }
        var h = WorkerHarness()
        h.runningTrial()
        _ = h.runner(.forward(.dataRequest(DataRequest(fingerprint: "f", file: 0, offset: 0))))
        #expect(!dropped(h.tick(after: 8)), "dropped within the transfer's allowance")
        _ = h.receive(.data(.chunk(DataChunk(fingerprint: "f", file: 0, offset: 0, bytes: [1]))))
        #expect(!dropped(h.tick(after: 15)))
        #expect(dropped(h.tick(after: 6)), "a coordinator silent past the allowance is still taken for gone")
        // Without a transfer, the usual window (3 s here).
        var g = WorkerHarness()
        g.runningTrial()
        #expect(dropped(g.tick(after: 3.5)))
    }

    @Test func aFailureOrAHandBackAfterTheLastReportSendsItOnItsOwnFirst() {
        var h = running(Self.taking)
        _ = h.runner(.lastReport(Self.last))
        let failure = WorkerMessage.failure(.init(trial: 3, attempt: 1, error: "saving the model failed", ready: true))
        #expect(sends(h.runner(.forward(failure))) == [.report(Self.last), failure])
        var g = running(Self.taking)
        _ = g.runner(.lastReport(Self.last))
        let bye = WorkerMessage.Bye(reason: "stopped", trial: 3, attempt: 1)
        #expect(sends(g.runner(.returned(bye))) == [.report(Self.last), .bye(bye)])
    }

    /// Re-sent after re-adoption to a coordinator that does not take it inside: split.
    @Test func aKeptOutcomeIsSplitForACoordinatorThatDoesNotTakeIt() {
        var h = running(Self.taking)
        _ = h.tick(after: 3.1) // the coordinator went silent: the socket is closed
        _ = h.runner(.lastReport(Self.last))
        #expect(sends(h.runner(.forward(result(3)))).isEmpty)
        _ = h.tick(after: 0.25)
        let plain = h.receive(.welcome(.init(study: "s", heartbeatMs: 1000, liveness: 3, adopted: TrialRef(trial: 3, attempt: 1))))
        #expect(sends(plain) == [.report(Self.last), result(3)])
    }
}
