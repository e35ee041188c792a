import Foundation
import Search
import Store
import SweepFile
import Testing
@testable import Cluster

/// Drives a `CoordinatorCore` with messages and a fake clock, on an in-memory store.
final class CoreHarness {
    let store: SweepStore
    var core: CoordinatorCore
    var now = 1000.0
    var sent: [(worker: String, message: CoordinatorMessage)] = []
    let options: CoordinatorOptions

    static let defaultOptions = CoordinatorOptions(heartbeatMs: 1000, liveness: 3, orphanGraceSeconds: 10)

    init(_ sweep: String, store: SweepStore? = nil, options: CoordinatorOptions = CoreHarness.defaultOptions) throws {
        self.options = options
        self.store = try store ?? SweepStore.inMemory()
        let definition = try SweepDefinition.parse(text: sweep, file: "test.yaml")
        let (options, now) = (self.options, self.now)
        core = try self.store.write { tx in try CoordinatorCore(creating: definition, options: options, tx: tx, now: now) }
    }

    /// Rebuilds the core from the database, as `sweep resume` does.
    func restart() throws {
        let study = try store.read { try $0.requireStudy(named: core.study.name) }
        let definition = core.definition
        let (options, now) = (self.options, self.now)
        core = try store.write { tx in try CoordinatorCore(resuming: study, definition: definition, options: options, queries: tx.queries, tx: tx, now: now) }
        sent.removeAll()
    }

    func deliver(_ m: WorkerMessage, from w: String) throws {
        var out = Outbox()
        try store.write { tx in
            try core.handle(m, from: w, peerAddress: "127.0.0.1", now: now, tx: tx, out: &out)
            try core.dispatch(now: now, tx: tx, out: &out)
        }
        sent += out.deliverable
    }

    func tick() throws {
        var out = Outbox()
        try store.write { tx in try core.tick(now: now, tx: tx, out: &out) }
        sent += out.deliverable
    }

    /// `w` says hello from host `host` (by default a host of its own: workers on one host
    /// vouch for it, see WorkerHealth).
    func hello(_ w: String, host: String? = nil, running: WorkerMessage.Hello.Running? = nil, capabilities: [String] = ["training", "synthetic"]) throws {
        try deliver(.hello(.init(worker: w, host: host ?? "host-\(w)", pid: 1, version: "t", cores: 2, threads: 1, capabilities: capabilities, running: running)), from: w)
    }

    /// Messages sent to `w` since the last call, oldest first.
    func take(_ w: String) -> [CoordinatorMessage] {
        let mine = sent.filter { $0.worker == w }.map(\.message)
        sent.removeAll { $0.worker == w }
        return mine
    }

    /// Every assignment sent to `w` since the last `take`, oldest first.
    func assignments(_ w: String) -> [CoordinatorMessage.Assign] {
        take(w).compactMap { if case .assign(let a) = $0 { return a } else { return nil } }
    }

    func assignment(_ w: String) -> CoordinatorMessage.Assign? {
        for m in take(w) { if case .assign(let a) = m { return a } }
        return nil
    }

    func report(_ w: String, _ a: CoordinatorMessage.Assign, epoch: Int, value: Double) throws -> CoordinatorMessage.Decision? {
        try deliver(.report(.init(trial: a.trial, attempt: a.attempt, epoch: epoch, value: value, metrics: ["value": value])), from: w)
        for m in take(w) { if case .decision(let d) = m { return d } }
        return nil
    }

    func finish(_ w: String, _ a: CoordinatorMessage.Assign, value: Double, epochs: Int = 1) throws {
        try deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: value, metrics: ["value": value], epochs: epochs, ready: true)), from: w)
    }

    func trials() throws -> [TrialRecord] {
        try store.read { try $0.trials(studyID: core.study.id) }
    }

    func attempts(_ number: Int) throws -> [AttemptRecord] {
        try store.read { q in try q.attempts(trialID: try q.trials(studyID: core.study.id)[number].id) }
    }
}

func sweep(trials: Int, epochs: Int = 1, pruner: String = "{name: none}", maxAttempts: Int = 3, wallTime: String = "") -> String {
    """
    study: core
    synthetic:
      function: sphere
      epochs: \(epochs)
      inputs: {x: {uniform: [-1, 1]}}
    sampler: {name: random, seed: 5}
    pruner: \(pruner)
    budget: {trials: \(trials)\(wallTime)}
    retry: {max_attempts: \(maxAttempts)}
    """
}

@Suite struct CoordinatorCoreTests {
    @Test func leasesReportsAndFinishesWithinTheBudget() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 2))
        try h.hello("w1")
        let first = h.take("w1")
        guard first.count == 2, case .welcome(let w) = first[0], case .assign(let a) = first[1] else {
            Issue.record("expected welcome then assign, got \(first)")
            return
        }
        #expect(w.study == "core" && w.adopted == nil)
        #expect(a.trial == 0 && a.attempt == 1 && a.maxEpochs == 2)
        let d = try #require(try h.report("w1", a, epoch: 1, value: 0.5))
        #expect(!d.prune)
        try h.finish("w1", a, value: 0.25, epochs: 2)
        let b = try #require(h.assignment("w1"))
        #expect(b.trial == 1)
        try h.finish("w1", b, value: 0.75, epochs: 2)
        let last = h.take("w1")
        #expect(last.contains { if case .stop = $0 { return true }; return false })
        #expect(h.core.finished)
        let trials = try h.trials()
        #expect(trials.map(\.state) == [.complete, .complete])
        #expect(trials.map(\.value) == [0.25, 0.75])
        let study = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(study.state == .finished)
    }

    @Test func repeatedReportGetsTheSameAnswerAndOneRow() throws {
        let h = try CoreHarness(sweep(trials: 1, epochs: 3))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        let first = try h.report("w1", a, epoch: 1, value: 0.5)
        let again = try h.report("w1", a, epoch: 1, value: 0.9)
        #expect(first == again)
        let curve = try h.store.read { q in try q.intermediates(trialID: try q.trials(studyID: h.core.study.id)[0].id) }
        #expect(curve.map(\.value) == [0.5])
        #expect(h.core.counters.duplicateReports == 1)
    }

    @Test func deadWorkersTrialIsRequeuedToAnotherWorker() throws {
        let h = try CoreHarness(sweep(trials: 1))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.hello("w2")
        #expect(h.take("w2").contains { if case .noWork = $0 { return true }; return false })
        // w2 keeps talking, w1 goes silent past 3 heartbeats.
        h.now += 2
        try h.deliver(.heartbeat, from: "w2")
        h.now += 2
        try h.deliver(.heartbeat, from: "w2")
        try h.tick()
        let b = try #require(h.assignment("w2"))
        #expect(b.trial == a.trial && b.attempt == 2)
        try h.finish("w2", b, value: 0.1)
        #expect(try h.attempts(0).map(\.outcome) == [.stale, .complete])
        #expect(try h.trials()[0].state == .complete)
        // A late result from the dead worker's lease changes nothing.
        try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: 99, metrics: [:], epochs: 1, ready: true)), from: "w1")
        #expect(try h.trials()[0].value == 0.1)
    }

    /// Time the coordinator was not listening does not count as a worker's silence, and the
    /// worker gets its back-off to reconnect; but stall after stall cannot keep a dead
    /// worker alive: the reconnect allowance is spent once per silence.
    @Test func aStalledCoordinatorCreditsItsDeafnessButStillFindsTheDead() throws {
        let h = try CoreHarness(sweep(trials: 1)) // liveness: 3 heartbeats of 1 s
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        // Stopped for 30 s: 29 s credited beyond a heartbeat, plus 10 s to reconnect.
        h.now += 30
        h.core.wasDeaf(for: 29)
        try h.tick()
        h.now += 10
        try h.tick()
        #expect(try h.trials()[0].state == .running, "declared dead within its reconnect allowance")
        try h.deliver(.heartbeat, from: "w1")
        // Heard again: the slate is clean. Then silent for good while the coordinator keeps
        // stalling 2 s of every 3 (1 s credited each time): found dead all the same.
        var rounds = 0
        while try h.trials()[0].state == .running && rounds < 100 {
            h.now += 3
            h.core.wasDeaf(for: 1)
            try h.tick()
            rounds += 1
        }
        #expect(try h.attempts(0).map(\.outcome) == [.stale], "after \(rounds) rounds")
        // Each round credits its 1 s stall and 1 s of back-off: 1 s of silence counts per
        // round, so the 3 s timeout passes in round 4 (round 2 without any credit).
        #expect(rounds == 4, "found dead after \(rounds) rounds")
        #expect(a.attempt == 1)
    }

    @Test func crashingTrialFailsAtTheRetryLimit() throws {
        let h = try CoreHarness(sweep(trials: 1, maxAttempts: 2))
        for round in 1...2 {
            try h.hello("w\(round)")
            let a = try #require(h.assignment("w\(round)"))
            #expect(a.attempt == round)
            h.now += 10
            try h.tick()
        }
        // The last attempt was lost to a silent worker: the trial waits for it a while.
        #expect(try h.trials()[0].state == .stale && !h.core.finished)
        h.now += CoordinatorCore.heldAtMostSeconds
        try h.tick()
        let t = try h.trials()[0]
        #expect(t.state == .fail)
        #expect(t.error?.contains("retry limit") == true)
        #expect(h.core.finished)
    }

    /// A partition of a few seconds took a trial's last allowed attempt (`max_attempts: 1`):
    /// it failed at once, and its worker, back 8 s later with the trial still running, was
    /// told to cancel it. Now the trial waits for its worker, which gets it back.
    @Test func aTrialOutOfAttemptsWaitsForItsSilentWorker() throws {
        let h = try CoreHarness(sweep(trials: 1, maxAttempts: 1))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.hello("w2")
        _ = h.take("w2")
        h.now += 10
        try h.deliver(.heartbeat, from: "w2")
        try h.tick()
        #expect(try h.trials()[0].state == .stale)
        // Nobody else gets it meanwhile.
        try h.deliver(.ready, from: "w2")
        #expect(h.assignment("w2") == nil)
        h.now += 8
        try h.deliver(.hello(.init(worker: "w1", host: "host-w1", pid: 1, version: "t", cores: 2, threads: 1, capabilities: ["training", "synthetic"],
                                   running: .init(trial: a.trial, attempt: a.attempt, epoch: 0))), from: "w1")
        #expect(!h.take("w1").contains { if case .cancel = $0 { return true }; return false })
        try h.finish("w1", a, value: 0.25)
        #expect(try h.trials()[0].state == .complete && (try h.trials()[0].value) == 0.25)
        #expect(h.core.finished)
    }

    /// A run that stops while a trial out of attempts waits for its silent worker leaves it
    /// STALE: a resume fails it (it ran it again, an attempt past `max_attempts`).
    @Test func aResumeFailsATrialThatWasOutOfAttempts() throws {
        let h = try CoreHarness(sweep(trials: 3, maxAttempts: 1))
        try h.hello("w1")
        _ = try #require(h.assignment("w1"))
        try h.hello("w2")
        #expect(h.assignment("w2")?.trial == 1)
        h.now += 10
        try h.deliver(.heartbeat, from: "w2")
        try h.tick()
        #expect(try h.trials()[0].state == .stale)
        try h.restart()
        #expect(try h.trials()[0].state == .fail && (try h.trials()[0].error)?.contains("the retry limit is 1 attempts") == true)
        try h.hello("w3")
        #expect(h.assignment("w3")?.trial == 2, "the trial out of attempts ran again")
    }

    @Test func staleLeaseReportsAreCancelledAndUnknownWorkersAskedToIdentify() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 2))
        try h.deliver(.heartbeat, from: "stranger")
        #expect(h.take("stranger") == [.identify])
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.deliver(.report(.init(trial: a.trial, attempt: a.attempt + 1, epoch: 1, value: 1, metrics: [:])), from: "w1")
        #expect(h.take("w1").contains { if case .cancel = $0 { return true }; return false })
        #expect(h.core.counters.staleReports == 1)
    }

    /// After a restart a worker's queued messages each met an `identify`, and each answering
    /// hello counted toward a flapping id: held back 30 s. Now one `identify` a second, and a
    /// hello that answers one is no reconnect of its own.
    @Test func aBurstFromAnUnknownWorkerIsAskedOnceAndItsAnswersDoNotFlap() throws {
        let h = try CoreHarness(sweep(trials: 20, epochs: 2))
        for _ in 0..<6 { try h.deliver(.heartbeat, from: "w") }
        #expect(h.take("w") == [.identify])
        h.now += 0.5
        try h.hello("w")
        #expect(h.take("w").contains { if case .welcome = $0 { true } else { false } })
        // Four more hellos nobody asked for: five in all, but the first answered `identify`.
        for _ in 0..<HelloRecords.flappingHellos - 1 {
            h.now += 1
            try h.hello("w")
        }
        #expect(!h.core.hellos.isFlapping("w"))
        // Hellos nobody asked for still count.
        h.now += 1
        try h.hello("w")
        #expect(h.core.hellos.isFlapping("w"))
        // Asked again a second later, not at once.
        for _ in 0..<3 { try h.deliver(.heartbeat, from: "y") }
        h.now += 0.5
        try h.deliver(.heartbeat, from: "y")
        #expect(h.take("y") == [.identify])
        h.now += 0.6
        try h.deliver(.heartbeat, from: "y")
        #expect(h.take("y") == [.identify])
    }

    @Test func byeHandsTheTrialBackWithoutCountingACrash() throws {
        let h = try CoreHarness(sweep(trials: 1, maxAttempts: 1))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.deliver(.bye(.init(reason: "SIGTERM", trial: a.trial, attempt: a.attempt)), from: "w1")
        try h.hello("w2")
        let b = try #require(h.assignment("w2"))
        #expect(b.trial == a.trial && b.attempt == 2)
        try h.finish("w2", b, value: 0.3)
        #expect(try h.attempts(0).map(\.outcome) == [.returned, .complete])
        #expect(try h.trials()[0].state == .complete)
    }

    /// A worker declared dead whose id comes back from another process (systemd restarting
    /// a stable --id after the trial killed it) does not have the crash forgiven: the trial
    /// reaches its attempt limit (it was forgiven at each restart, and retried without end).
    /// The same process coming back (the connection failed) is forgiven.
    /// (A restarted container keeps its host name and pid 1: the process identity tells it apart.)
    @Test(arguments: [(false, false), (true, false), (false, true)])
    func aCrashIsForgivenOnlyWhenTheSameProcessComesBack(sameProcess: Bool, container: Bool) throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 3, maxAttempts: 2))
        var starts: UInt64 = 100
        func hello(pid: Int) throws {
            // In a container every start is pid 1 on the same host, at another start time.
            let identity = container ? ProcessIdentity(machine: "boot/4026531836", pid: 1, startTicks: starts) : nil
            if container { starts += 1 }
            try h.deliver(.hello(.init(worker: "w", host: "host-w", pid: container ? 1 : pid, version: "t", cores: 2, threads: 1,
                                       capabilities: ["training", "synthetic"], running: nil, process: identity)), from: "w")
        }
        try h.hello("other") // busy with trial 0 throughout
        #expect(h.assignment("other")?.trial == 0)
        var pid = 1
        try hello(pid: pid)
        for _ in 0..<2 {
            guard let a = h.assignment("w") else { break }
            _ = try h.report("w", a, epoch: 1, value: 0.5)
            // It dies with the trial; the other worker keeps talking.
            for _ in 0..<4 {
                h.now += 1
                try h.deliver(.heartbeat, from: "other")
                try h.tick()
            }
            if !sameProcess { pid += 1 }
            try hello(pid: pid)
        }
        let outcomes = try h.attempts(1).map(\.outcome)
        if sameProcess {
            #expect(try h.trials()[1].state == .running && outcomes == [.returned, .returned, nil], "\(outcomes)")
        } else {
            #expect(try h.trials()[1].state == .fail && outcomes == [.stale, .stale], "\(outcomes)")
        }
    }

    /// Configurations that cannot run, trial after trial (a base model `study:X/best` whose
    /// study does not exist), stop the study after five as failing programs do: the whole
    /// budget failed in one pass, in one transaction (a million trials without a budget).
    @Test func sampledConfigurationsThatCannotRunStopTheStudy() throws {
        let h = try CoreHarness("""
            study: refs
            data: {dataset: moons, samples: 60}
            model:
              hidden: [4]
              transfer: {from: "study:nope/best"}
            training: {epochs: 1, optimizer: {name: sgd, learning_rate: {loguniform: [0.001, 0.1]}}}
            sampler: {name: random}
            budget: {trials: 1000}
            """)
        try h.hello("w")
        h.now += 1
        try h.tick()
        let trials = try h.trials()
        #expect(trials.count == CoordinatorCore.initialFailuresBeforeGivingUp && trials.allSatisfy { $0.state == .fail }, "\(trials.count)")
        #expect(h.core.hasGivenUp && h.core.finished)
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }.map(\.message)
        #expect(warnings.contains { $0.contains("stops: the first 5 trials of this run had configurations that cannot run (the last: ") && $0.contains("nope")
            && $0.contains("fix what the error names, then `sweep resume refs` runs the rest of the budget") }, "\(warnings)")
    }

    @Test func budgetIsExactWithManyWorkers() throws {
        let h = try CoreHarness(sweep(trials: 3))
        for w in ["a", "b", "c", "d", "e"] { try h.hello(w) }
        let assigned = ["a", "b", "c", "d", "e"].compactMap { h.assignment($0) }
        #expect(assigned.count == 3)
        #expect(try h.trials().count == 3)
        for (i, w) in ["a", "b", "c"].enumerated() { try h.finish(w, assigned[i], value: Double(i)) }
        #expect(try h.trials().count == 3)
        #expect(h.core.finished)
    }

    /// Worker ids that each take a trial and vanish (a flood of identities) leave at most a
    /// bounded record behind: lost attempts whose trials ran again are forgotten.
    @Test func vanishedWorkersLeaveABoundedRecord() throws {
        let n = CoordinatorCore.lostWorkersKept + 500
        let h = try CoreHarness(sweep(trials: n, maxAttempts: 1))
        for i in 0..<n {
            try h.hello("w\(i)")
            _ = try #require(h.assignment("w\(i)"))
            h.now += 10
            try h.tick()
        }
        // (The last ones' trials wait for their silent workers that long.)
        h.now += CoordinatorCore.heldAtMostSeconds
        try h.tick()
        #expect(h.core.lostWith.count <= CoordinatorCore.lostWorkersKept, "\(h.core.lostWith.count)")
        #expect(try h.trials().filter { $0.state == .fail }.count >= n - 1)
    }

    /// Every worker silent at once (the coordinator's network): their trials are handed back
    /// without a crash and kept for them; the first one back does not take another's trial,
    /// which its own worker brings back finished a moment later (it was cancelled there, and
    /// with max_attempts 1 the trial FAILed).
    @Test func whenEveryWorkerGoesSilentAtOnceTheirTrialsWaitForThem() throws {
        let h = try CoreHarness(sweep(trials: 2, maxAttempts: 1))
        try h.hello("a")
        try h.hello("b")
        let ta = try #require(h.assignment("a"))
        let tb = try #require(h.assignment("b"))
        // The coordinator's network goes down: b's last heartbeat came 0.6 s after a's, and
        // the coordinator looks four times a second, so a is found silent first, alone.
        h.now += 0.6
        try h.deliver(.heartbeat, from: "b")
        for _ in 0..<40 {
            h.now += 0.25
            try h.tick()
        }
        let outcomes = (try h.attempts(ta.trial).map(\.outcome), try h.attempts(tb.trial).map(\.outcome))
        #expect(outcomes.0 == [.returned] && outcomes.1 == [.returned], "\(outcomes)")
        #expect(h.core.workerIDs.isEmpty)
        // b is back first, re-adopted, finishes and asks for more: a's trial is not given to it,
        // also while a backs off for several seconds more.
        try h.hello("b", running: .init(trial: tb.trial, attempt: tb.attempt, epoch: 0))
        _ = h.take("b")
        try h.finish("b", tb, value: 0.5)
        h.now += 8
        try h.deliver(.heartbeat, from: "b")
        try h.tick()
        #expect(h.assignments("b").isEmpty, "b took a's trial")
        // a comes back with its trial (finished meanwhile): kept, its result recorded.
        try h.hello("a", running: .init(trial: ta.trial, attempt: ta.attempt, epoch: 0))
        guard case .welcome(let w)? = h.take("a").first else { Issue.record("no welcome"); return }
        #expect(w.adopted == TrialRef(trial: ta.trial, attempt: ta.attempt))
        try h.finish("a", ta, value: 0.4)
        try h.tick()
        let trials = try h.trials()
        #expect(trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        #expect(h.core.finished)
    }

    /// A worker that alone goes silent while others talk is lost as before (a crash counts).
    @Test func aWorkerSilentWhileTheOthersTalkIsLost() throws {
        let h = try CoreHarness(sweep(trials: 2, maxAttempts: 2))
        try h.hello("a")
        try h.hello("b")
        let ta = try #require(h.assignment("a"))
        _ = try #require(h.assignment("b"))
        for _ in 0..<30 {
            h.now += 0.25
            try h.deliver(.heartbeat, from: "b")
            try h.tick()
        }
        #expect(try h.attempts(ta.trial).map(\.outcome) == [.stale])
    }

    /// The hold ends: a worker that never comes back has its trial run elsewhere.
    @Test func aTrialKeptForAWorkerThatNeverReturnsRunsElsewhere() throws {
        let h = try CoreHarness(sweep(trials: 2, maxAttempts: 1))
        try h.hello("a")
        try h.hello("b")
        let ta = try #require(h.assignment("a"))
        let tb = try #require(h.assignment("b"))
        h.now += 20
        try h.tick()
        try h.hello("b", running: .init(trial: tb.trial, attempt: tb.attempt, epoch: 0))
        _ = h.take("b")
        try h.finish("b", tb, value: 0.5)
        h.now += h.core.returnGraceSeconds + 0.5
        try h.deliver(.heartbeat, from: "b")
        try h.tick()
        let again = try #require(h.assignment("b"))
        #expect(again.trial == ta.trial && again.attempt == ta.attempt + 1)
    }

    /// A worker that, while this study was down, served another one and holds a trial of
    /// the same number there is not adopted (that study's values were recorded as this
    /// trial's, and one became its best); the trial waits for its own run.
    @Test func aTrialOfAnotherStudyWithTheSameNumberIsNotAdopted() throws {
        let h = try CoreHarness(sweep(trials: 3, epochs: 3))
        try h.hello("w1")
        let a1 = try #require(h.assignment("w1"))
        _ = try h.report("w1", a1, epoch: 1, value: 0.4)
        try h.restart()
        try h.hello("w1", running: .init(trial: a1.trial, attempt: a1.attempt, epoch: 4, study: "another"))
        let other = h.take("w1")
        guard case .welcome(let o)? = other.first else { Issue.record("expected welcome, got \(other)"); return }
        #expect(o.adopted == nil, "\(other)")
        // Its reports of that trial are not this study's.
        let d = try h.report("w1", a1, epoch: 2, value: 0)
        #expect(d == nil)
        let id = try h.trials()[a1.trial].id
        let steps = try h.store.read { q in try q.intermediates(trialID: id) }.map(\.step)
        #expect(!steps.contains(2), "\(steps)")
    }

    @Test func restartReadoptsRunningTrialsAndRequeuesTheUnclaimed() throws {
        let h = try CoreHarness(sweep(trials: 3, epochs: 3))
        try h.hello("w1")
        try h.hello("w2")
        let a1 = try #require(h.assignment("w1"))
        let a2 = try #require(h.assignment("w2"))
        _ = try h.report("w1", a1, epoch: 1, value: 0.4)
        // The coordinator dies; a new one starts from the database.
        try h.restart()
        // Another peer naming w1's trial does not take it over (it once recorded its own result).
        try h.hello("mallory", running: .init(trial: a1.trial, attempt: a1.attempt, epoch: 1))
        let refused = h.take("mallory")
        guard case .welcome(let m)? = refused.first else { Issue.record("expected welcome, got \(refused)"); return }
        #expect(m.adopted == nil)
        #expect(refused.contains { if case .cancel(let ref, _) = $0 { ref.trial == a1.trial } else { false } }, "\(refused)")
        try h.hello("w1", running: .init(trial: a1.trial, attempt: a1.attempt, epoch: 1, study: h.core.study.name))
        let welcome = h.take("w1").first
        guard case .welcome(let w)? = welcome else { Issue.record("expected welcome, got \(String(describing: welcome))"); return }
        #expect(w.adopted == TrialRef(trial: a1.trial, attempt: a1.attempt))
        // w2 never comes back: after the grace period its trial is re-run.
        h.now += 11
        try h.deliver(.heartbeat, from: "w1")
        try h.tick()
        #expect(try h.trials()[a2.trial].state == .stale)
        try h.hello("w3")
        let again = try #require(h.assignment("w3"))
        #expect(again.trial == a2.trial && again.attempt == 2)
        // The adopted lease continues: its next report is accepted.
        let d = try h.report("w1", a1, epoch: 2, value: 0.3)
        #expect(d?.prune == false)
        #expect(try h.trials().count == 2, "no new trial is created while the budget allows only what was re-queued or new")
    }

    /// A worker back after a restart without a trial the coordinator before had leased to
    /// it (held ahead, or a run it lost): the trial runs again at once, not when the orphan
    /// grace ends (20 s idle at the end of each restarted sweep of short trials).
    @Test func aWorkerBackWithoutItsLeasedTrialAfterARestartFreesItAtOnce() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 3))
        try h.hello("w1")
        let a1 = try #require(h.assignment("w1"))
        try h.restart()
        h.now += 1
        try h.hello("w1") // running nothing
        let events = try h.store.read { q in try q.events(studyID: h.core.study.id, trialNumber: a1.trial) }
        #expect(events.contains { $0.message.contains("it was leased to worker w1 when the coordinator stopped, and the worker came back without it") }, "\(events.map(\.message))")
        let again = try #require(h.assignment("w1"), "held for the orphan grace (10 s here) although its worker is back")
        #expect(again.trial == a1.trial && again.attempt == a1.attempt + 1)
        let attempts = try h.store.read { q in try q.attempts(trialID: try q.trials(studyID: h.core.study.id)[a1.trial].id) }
        #expect(attempts.first?.outcome == .returned, "not a crash: \(attempts.map(\.outcome))")
    }

    @Test func medianPrunerDecisionsCarryReasons() throws {
        let h = try CoreHarness(sweep(trials: 4, epochs: 3, pruner: "{name: median, n_startup_trials: 2}"))
        try h.hello("w1")
        for v in [0.1, 0.2] {
            let a = try #require(h.assignment("w1"))
            for e in 1...3 { _ = try h.report("w1", a, epoch: e, value: v) }
            try h.finish("w1", a, value: v, epochs: 3)
        }
        let bad = try #require(h.assignment("w1"))
        let d = try #require(try h.report("w1", bad, epoch: 1, value: 5.0))
        #expect(d.prune)
        #expect(!d.reason.isEmpty)
        let t = try h.trials()[bad.trial]
        #expect(t.state == .pruned && t.pruneReason == d.reason && t.value == 5.0)
        let events = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.pruned]) }
        #expect(events.count == 1)
    }

    @Test func wallTimeEndsTheStudy() throws {
        let h = try CoreHarness(sweep(trials: 100, epochs: 5, wallTime: ", wall_time: 60"))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        h.now += 61
        let d = try #require(try h.report("w1", a, epoch: 1, value: 0.5))
        #expect(d.prune && d.reason.contains("wall-time"))
        try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .pruned, value: 0.5, metrics: [:], epochs: 1, ready: true)), from: "w1")
        #expect(h.core.finished)
        #expect(try h.trials().count == 1)
    }

    /// A trial that reaches its last epoch after the wall time is spent has done its work:
    /// it completes. (It was pruned: a study whose trials all ran to the end finished with
    /// no complete trial, and `sweep best` had none.)
    @Test func aTrialAtItsLastEpochWhenTheWallTimeIsSpentCompletes() throws {
        let h = try CoreHarness(sweep(trials: 100, epochs: 5, wallTime: ", wall_time: 60"))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        for epoch in 1...4 { #expect(try h.report("w1", a, epoch: epoch, value: 1.0 / Double(epoch))?.prune == false) }
        h.now += 61
        let last = try #require(try h.report("w1", a, epoch: 5, value: 0.2))
        #expect(!last.prune, "\(last.reason)")
        try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: 0.2, metrics: [:], epochs: 5, ready: true)), from: "w1")
        let t = try #require(try h.trials().first)
        #expect(t.state == .complete && t.value == 0.2)
        #expect(h.core.finished)
    }

    /// Its own last epoch, not the cap: a 5-epoch trial under `max_epochs: 27` completes at 5,
    /// and one that has not reached it is pruned; a searched `epochs` is each trial's own.
    @Test func aTrialsOwnLastEpochCountsWhenTheWallTimeIsSpent() throws {
        let h = try CoreHarness(sweep(trials: 100, epochs: 5, wallTime: ", max_epochs: 27, wall_time: 60"))
        try h.hello("w1")
        try h.hello("w2")
        let a = try #require(h.assignment("w1")), b = try #require(h.assignment("w2"))
        for epoch in 1...4 { _ = try h.report("w1", a, epoch: epoch, value: 1) }
        _ = try h.report("w2", b, epoch: 1, value: 1)
        h.now += 61
        #expect(try h.report("w1", a, epoch: 5, value: 0.5)?.prune == false)
        #expect(try h.report("w2", b, epoch: 2, value: 0.5)?.prune == true)
        let searched = try CoreHarness(sweep(trials: 100, epochs: 5, wallTime: ", max_epochs: 27, wall_time: 60")
            .replacingOccurrences(of: "epochs: 5", with: "epochs: {int: [3, 4]}"))
        try searched.hello("w1")
        let c = try #require(searched.assignment("w1"))
        let own = try #require(try searched.trials().first?.params.first { $0.key.hasSuffix("epochs") }?.value)
        guard case .int(let last) = own else { Issue.record("epochs: \(own)"); return }
        for epoch in 1..<last { _ = try searched.report("w1", c, epoch: epoch, value: 1) }
        searched.now += 61
        #expect(try searched.report("w1", c, epoch: last, value: 0.5)?.prune == false)
    }

    /// A coordinator killed between two writes of the running time (every 5 s) lost the time
    /// since: resumed after each kill, a study never spent its wall-time budget. A resume
    /// counts what the killed run recorded (its last activity).
    @Test func aKilledRunsTimeCountsAgainstTheWallTimeBudget() throws {
        let h = try CoreHarness(sweep(trials: 100, epochs: 5, wallTime: ", wall_time: 60"))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        h.now += 4
        _ = try h.report("w1", a, epoch: 1, value: 0.5) // the last activity; no write of the time yet
        h.now += 100 // killed: nothing more written; resumed later (the pause is not charged)
        try h.restart()
        let recorded = try h.store.read { q in try q.requireStudy(named: "core").runSeconds }
        #expect(recorded >= 4, "\(recorded)")
        #expect(h.core.runSeconds(now: h.now) >= 4)
        h.now += 57
        #expect(h.core.wallTimeSpent(now: h.now), "4 s before the kill and 57 s after it spend the 60 s")
    }
}

/// W&B's `metric.target` (`objective.target`): the first trial to reach it stops the study
/// taking trials; the running ones end as they do, and a resume does not start new ones.
@Suite struct ObjectiveTargetTests {
    static let text = sweep(trials: 20).replacingOccurrences(of: "study: core\n", with: "study: core\nobjective: {metric: value, direction: minimize, target: 0.5}\n")

    @Test func theFirstTrialToReachTheTargetEndsTheStudyWhenTheRunningOnesEnd() throws {
        let h = try CoreHarness(Self.text)
        try h.hello("w1")
        try h.hello("w2")
        let a = try #require(h.assignment("w1")), b = try #require(h.assignment("w2"))
        try h.finish("w1", a, value: 0.9) // not yet
        let c = try #require(h.assignment("w1"), "the study goes on below the target")
        try h.finish("w1", c, value: 0.4) // reached
        #expect(h.assignment("w1") == nil, "no new trial once a trial reached the target")
        #expect(!h.core.finished, "the running trial ends as it does")
        try h.finish("w2", b, value: 2)
        #expect(h.core.finished && h.core.finishReason == "trial \(c.trial) reached the target: value 0.4 <= 0.5", "\(h.core.finishReason)")
        #expect(try h.trials().count == 3)
        // A resume (a crash after the trial reached it) starts no new trial.
        try h.restart()
        try h.hello("w1")
        #expect(h.assignment("w1") == nil)
        #expect(h.core.finished)
    }

    @Test func aMaximizedObjectiveReachesItFromBelow() throws {
        let h = try CoreHarness(Self.text.replacingOccurrences(of: "direction: minimize, target: 0.5", with: "direction: maximize, target: 0.5"))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.finish("w1", a, value: 0.4)
        let b = try #require(h.assignment("w1"), "0.4 is below a maximized target")
        try h.finish("w1", b, value: 0.5)
        #expect(h.core.finished && h.core.finishReason.hasSuffix("value 0.5 >= 0.5"), "\(h.core.finishReason)")
    }
}

@Suite struct GridBudgetTests {
    @Test func gridCapsTheBudgetAtItsSize() throws {
        let text = """
        study: grid
        synthetic:
          function: sphere
          inputs:
            x: {choice: [-1, 0, 1]}
            y: {choice: [2, 3]}
        sampler: {name: grid}
        pruner: {name: none}
        budget: {trials: 50}
        """
        let h = try CoreHarness(text)
        #expect(h.core.study.definition.budgetTrials == 6)
        try h.hello("w")
        var seen = Set<String>()
        while let a = h.assignment("w") {
            seen.insert(a.params.keys.sorted().map { "\($0)=\(a.params[$0]!)" }.joined(separator: ","))
            try h.finish("w", a, value: 1)
        }
        #expect(seen.count == 6, "every grid point once: \(seen)")
        #expect(h.core.finished)
    }

    /// A point queued by hand (`sweep enqueue`) takes a grid point: the grid then ends with
    /// its every point held once, not repeating one for the budget the queued trial added.
    @Test func aQueuedGridPointIsNotRunAgainByTheGrid() throws {
        let text = "study: grid\nsynthetic:\n  function: sphere\n  inputs:\n    x: {choice: [-1, 0, 1]}\n    y: {choice: [2, 3]}\nsampler: {name: grid}\npruner: {name: none}\nbudget: {trials: 6}\n"
        let h = try CoreHarness(text)
        try h.hello("w")
        let first = try #require(h.assignment("w"))
        // A point no trial holds yet (one may be leased ahead already).
        let held = try h.trials().map { $0.params }
        let other = try #require([-1, 0, 1].flatMap { x in [2, 3].map { y -> Params in ["x": .int(x), "y": .int(y)] } }.first { !held.contains($0) })
        let study = try h.store.read { try $0.requireStudy(named: "grid") }
        try h.store.write { tx in _ = try tx.enqueueTrial(study: study, given: other, source: "test", at: h.now) }
        try h.finish("w", first, value: 1)
        try h.tick()
        var points: [String] = [first.params.keys.sorted().map { "\($0)=\(first.params[$0]!)" }.joined(separator: ",")]
        while let a = h.assignment("w") {
            points.append(a.params.keys.sorted().map { "\($0)=\(a.params[$0]!)" }.joined(separator: ","))
            try h.finish("w", a, value: 1)
            try h.tick()
        }
        #expect(points.count == 6 && Set(points).count == 6, "each point once: \(points)")
        #expect(h.core.finished)
    }
}

@Suite struct ReconnectRaceTests {
    @Test func returningWorkerWhoseTrialMovedOnIsCancelledThenServed() throws {
        let h = try CoreHarness(sweep(trials: 3, epochs: 3))
        try h.hello("a")
        let first = try #require(h.assignment("a"))
        _ = try h.report("a", first, epoch: 1, value: 0.5)
        try h.hello("b")
        let other = try #require(h.assignment("b"))
        // a goes silent and is declared dead while b works.
        h.now += 2; try h.deliver(.heartbeat, from: "b")
        h.now += 2; try h.deliver(.heartbeat, from: "b")
        try h.tick()
        // b finishes and takes a's trial over.
        try h.finish("b", other, value: 0.3, epochs: 3)
        let moved = try #require(h.assignment("b"))
        #expect(moved.trial == first.trial && moved.attempt == 2)
        // a comes back, still running its old attempt: cancel, and no assignment yet.
        try h.hello("a", running: .init(trial: first.trial, attempt: first.attempt, epoch: 1))
        let answer = h.take("a")
        #expect(answer.contains { if case .cancel(let r, _) = $0 { return r == TrialRef(trial: first.trial, attempt: first.attempt) }; return false })
        #expect(!answer.contains { if case .assign = $0 { return true }; return false }, "an assignment sent to a busy worker would be refused")
        // Once its runner let the old trial go, it asks for work and gets some.
        try h.deliver(.ready, from: "a")
        let next = try #require(h.assignment("a"))
        #expect(next.trial == 2)
    }

    @Test func repeatedReadyKeepsAnUnstartedLeaseAndResendsItsAssignment() throws {
        let h = try CoreHarness(sweep(trials: 1, maxAttempts: 1))
        try h.hello("a")
        let a = try #require(h.assignment("a"))
        // The assignment may have got lost: the worker says it is idle. The lease stays,
        // and the same assignment (same attempt) is sent again.
        try h.deliver(.ready, from: "a")
        let again = try #require(h.assignment("a"))
        #expect(again == a)
        try h.finish("a", again, value: 1)
        #expect(try h.trials()[0].state == .complete)
        #expect(try h.attempts(0).map(\.outcome) == [.complete], "a repeated ready uses up no attempt")
    }

    @Test func invalidConfigurationFailsTheTrialAndTheWorkerGoesOn() throws {
        // Each value is valid alone (validation probes them one by one), but binary
        // cross-entropy on the three-class blobs data set is not: the grid reaches it.
        let text = """
        study: combo
        data:
          dataset: {choice: [moons, blobs]}
          samples: 60
        model:
          hidden: [4]
          loss: {choice: [cross_entropy, binary_cross_entropy]}
        training: {epochs: 1}
        sampler: {name: grid}
        pruner: {name: none}
        budget: {trials: 4}
        """
        let h = try CoreHarness(text)
        try h.hello("w")
        var served = 0
        while let a = h.assignment("w") {
            served += 1
            try h.finish("w", a, value: 0.5)
        }
        let trials = try h.trials()
        #expect(trials.count == 4)
        #expect(trials.filter { $0.state == .fail }.count == 1)
        #expect(trials.first { $0.state == .fail }?.error?.contains("invalid configuration") == true)
        #expect(served == 3)
        #expect(h.core.finished)
    }
}

/// A coordinator that finds a study locked by `sweep delete` or `rename` says so (it named
/// the delete's pid as "another coordinator" running the study).
@Suite struct StudyLockMessageTests {
    @Test func aLockHeldByDeleteIsNamedAsSuch() {
        let byDelete = StudyLockError.held(study: "s", holder: "`sweep delete`, pid 7 on vm", action: nil).description
        #expect(byDelete == "study 's' is locked by `sweep delete`, pid 7 on vm for a moment: try again once that is done", "\(byDelete)")
        let byCoordinator = StudyLockError.held(study: "s", holder: "pid 7 on vm", action: nil).description
        #expect(byCoordinator.contains("already being run by another coordinator (pid 7 on vm)"), "\(byCoordinator)")
    }
}

/// Report lines as programs write them: `"epoch": 2.0` from a float counter, and a UTF-8
/// byte-order mark first, were ignored lines (the trial FAILed "could not be read").
@Suite struct ReportLineTests {
    @Test func wholeFloatEpochsAndAByteOrderMarkAreRead() {
        #expect(CommandTrial.parseReport(ArraySlice(Array(#"{"epoch": 2.0, "loss": 0.5}"#.utf8)), after: 1) == .report(epoch: 2, metrics: ["loss": 0.5], nonFinite: []))
        #expect(CommandTrial.parseReport(ArraySlice([0xEF, 0xBB, 0xBF] + Array(#"{"epoch": 1, "loss": 0.5}"#.utf8)), after: 0) == .report(epoch: 1, metrics: ["loss": 0.5], nonFinite: []))
        #expect(CommandTrial.parseReport(ArraySlice(Array(#"{"epoch": 2.5, "loss": 0.5}"#.utf8)), after: 1) == .malformed(epoch: nil))
    }
}
