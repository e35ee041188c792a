import Search
import Store
import Testing
@testable import Cluster

/// Leases ahead: a worker whose trials take milliseconds is assigned its next trials while
/// it runs the current one, and everything it holds goes back to the queue, without using
/// up an attempt, when it leaves, dies or reconnects.
@Suite struct LeasesAheadTests {
    static let capable = ["training", "synthetic", Wire.aheadCapability]
    /// The tests below count trials at 5 ms of work ahead, where the numbers stay small
    /// (the default, 20 ms: `theDefaultHoldsTwentyMillisecondsUpToWhatAWorkerAccepts`).
    static let fiveMilliseconds = {
        var o = CoreHarness.defaultOptions
        o.aheadSeconds = 0.005
        return o
    }()

    /// `w` joins and finishes its first trial in `seconds`; returns what it was sent next.
    func joinAndFinishOne(_ h: CoreHarness, _ w: String, seconds: Double, capabilities: [String] = capable) throws -> [CoordinatorMessage.Assign] {
        try h.hello(w, capabilities: capabilities)
        let first = try #require(h.assignment(w))
        h.now += seconds
        try h.finish(w, first, value: 0.5)
        return h.assignments(w)
    }

    @Test func aWorkerWithShortTrialsGetsItsNextTrialsAheadAndEveryTrialRunsOnce() throws {
        let h = try CoreHarness(sweep(trials: 40), options: LeasesAheadTests.fiveMilliseconds)
        // 1 ms per trial: 5 ms of work ahead is the next trial and 5 more.
        var queue = try joinAndFinishOne(h, "w1", seconds: 0.001)
        #expect(queue.map(\.trial) == [1, 2, 3, 4, 5, 6])
        var done = 1
        while let a = queue.first {
            queue.removeFirst()
            h.now += 0.001
            try h.finish("w1", a, value: Double(a.trial))
            done += 1
            let more = h.assignments("w1")
            queue += more
            // One out, one in: the worker holds one trial and 5 ahead until the budget runs out.
            #expect(queue.count == min(6, 40 - done))
        }
        #expect(done == 40 && h.core.finished)
        let trials = try h.trials()
        #expect(trials.count == 40 && trials.allSatisfy { $0.state == .complete && $0.attempt == 1 })
        #expect(trials.map(\.number) == Array(0..<40))
    }

    @Test func theDefaultHoldsTwentyMillisecondsUpToWhatAWorkerAccepts() throws {
        // 1 ms per trial: the next one and 20 more.
        let h = try CoreHarness(sweep(trials: 400))
        #expect(try joinAndFinishOne(h, "w1", seconds: 0.001).map(\.trial) == Array(1...21))
        // 0.01 ms per trial: 2,000 would fill 20 ms; it holds 192 (a worker accepts 256).
        let tiny = try CoreHarness(sweep(trials: 400))
        #expect(try joinAndFinishOne(tiny, "w1", seconds: 0.00001).count == 1 + CoordinatorCore.maxAhead)
        #expect(CoordinatorCore.maxAhead < WorkerCore.maxAhead)
    }

    /// One trial that ends at once among slower ones (a quick failure) lets the trials held
    /// ahead at most double: the trial time at most halves from one outcome to the next.
    @Test func oneQuickTrialDoesNotHandAWorkerManySlowOnes() throws {
        let h = try CoreHarness(sweep(trials: 400))
        // 15 ms per trial: the next one and one more (20 ms of work).
        var queue = try joinAndFinishOne(h, "w1", seconds: 0.015)
        #expect(queue.map(\.trial) == [1, 2])
        // Trial 1 ends after 0.01 ms: 7.5 ms counts, so 2 held ahead (3, 4), not 192.
        h.now += 0.00001
        try h.finish("w1", queue.removeFirst(), value: 0)
        queue += h.assignments("w1")
        #expect(queue.map(\.trial) == [2, 3, 4])
    }

    /// A worker held back while it holds trials ahead is told to cancel them (they were only
    /// handed back, and it ran each of them while they ran again elsewhere).
    @Test func aWorkerHeldBackCancelsTheTrialsItHoldsAhead() throws {
        let h = try CoreHarness(sweep(trials: 40, maxAttempts: 1), options: LeasesAheadTests.fiveMilliseconds)
        try h.hello("good")
        let g = try #require(h.assignment("good"))
        try h.finish("good", g, value: 0.5)
        var held = try joinAndFinishOne(h, "bad", seconds: 0.001)
        try #require(held.count >= WorkerHealth.quarantineAfter + 1, "\(held.map(\.trial))")
        var messages: [CoordinatorMessage] = []
        for _ in 1...WorkerHealth.quarantineAfter {
            let a = held.removeFirst()
            try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "No module named torch", ready: true)), from: "bad")
            messages = h.take("bad")
            held += messages.compactMap { if case .assign(let x) = $0 { return x } else { return nil } }
        }
        let cancelled = Set(messages.compactMap { if case .cancel(let ref, _) = $0 { return ref.trial } else { return nil } })
        #expect(!held.isEmpty && cancelled == Set(held.map(\.trial)), "held \(held.map(\.trial)), cancelled \(cancelled)")
        let trials = try h.trials()
        #expect(held.allSatisfy { a in trials.first { $0.number == a.trial }?.state != .running || trials.first { $0.number == a.trial }?.worker != "bad" })
    }

    @Test func onlyShortTrialsOfWorkersThatSayTheyCanAreLeasedAhead() throws {
        let without = try CoreHarness(sweep(trials: 10), options: LeasesAheadTests.fiveMilliseconds)
        #expect(try joinAndFinishOne(without, "w1", seconds: 0.001, capabilities: ["synthetic"]).map(\.trial) == [1])
        let long = try CoreHarness(sweep(trials: 10), options: LeasesAheadTests.fiveMilliseconds)
        #expect(try joinAndFinishOne(long, "w1", seconds: 0.5).map(\.trial) == [1])
        var off = Self.fiveMilliseconds
        off.aheadBelowSeconds = 0
        let disabled = try CoreHarness(sweep(trials: 10), options: off)
        #expect(try joinAndFinishOne(disabled, "w1", seconds: 0.001).map(\.trial) == [1])
        // A sampler that learns from results (TPE) gets every result before its next suggestion.
        let tpe = try CoreHarness(sweep(trials: 10).replacingOccurrences(of: "{name: random, seed: 5}", with: "{name: tpe, seed: 5}"), options: LeasesAheadTests.fiveMilliseconds)
        #expect(try joinAndFinishOne(tpe, "w1", seconds: 0.001).map(\.trial) == [1])
    }

    @Test func aLostWorkersTrialsAheadGoBackWithoutUsingAnAttempt() throws {
        let h = try CoreHarness(sweep(trials: 10), options: LeasesAheadTests.fiveMilliseconds)
        let queue = try joinAndFinishOne(h, "w1", seconds: 0.002)
        #expect(queue.map(\.trial) == [1, 2, 3])
        h.now += 10 // w1 says nothing for longer than 3 heartbeats
        try h.tick()
        let trials = try h.trials()
        #expect(trials[1].state == .stale) // the one it ran: lost, an attempt used up
        #expect(try h.attempts(1).map(\.outcome) == [.stale])
        for t in 2...3 {
            #expect(trials[t].state == .waiting)
            #expect(try h.attempts(t).map(\.outcome) == [.returned])
        }
        // Another worker runs all of them, the lost one first.
        try h.hello("w2")
        var order: [Int] = []
        while let a = h.assignment("w2") {
            order.append(a.trial)
            h.now += 1
            try h.finish("w2", a, value: 0.5)
        }
        #expect(order == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(try h.trials().allSatisfy { $0.state == .complete })
        #expect(try h.attempts(2).map(\.outcome) == [.returned, .complete])
    }

    @Test func aReconnectKeepsTheTrialTheWorkerRunsAndTakesBackTheRest() throws {
        let h = try CoreHarness(sweep(trials: 10), options: LeasesAheadTests.fiveMilliseconds)
        let queue = try joinAndFinishOne(h, "w1", seconds: 0.002)
        #expect(queue.map(\.trial) == [1, 2, 3])
        // It finished trial 1 and started trial 2, but trial 1's result was lost on the way.
        try h.hello("w1", running: .init(trial: 2, attempt: 1, epoch: 0), capabilities: Self.capable)
        let welcome = h.take("w1").compactMap { if case .welcome(let w) = $0 { return w } else { return nil } }.first
        #expect(welcome?.adopted == TrialRef(trial: 2, attempt: 1))
        let trials = try h.trials()
        #expect(trials[1].state == .waiting && trials[3].state == .waiting && trials[2].state == .running)
        #expect(try h.attempts(1).map(\.outcome) == [.returned])
        #expect(try h.attempts(3).map(\.outcome) == [.returned])
        // A reconnect that names the trial it ran: only what it held ahead goes back.
        h.now += 0.002
        try h.finish("w1", queue[1], value: 0.5)
        let next = h.assignments("w1")
        #expect(next.first?.trial == 1 && next.count >= 2)
        try h.hello("w1", running: .init(trial: 1, attempt: 2, epoch: 0), capabilities: Self.capable)
        let back = try h.trials()
        #expect(back[1].state == .running)
        #expect(next.dropFirst().allSatisfy { back[$0.trial].state == .waiting })
    }

    @Test func aWorkerThatLeavesHandsBackItsTrialsAhead() throws {
        let h = try CoreHarness(sweep(trials: 10), options: LeasesAheadTests.fiveMilliseconds)
        let queue = try joinAndFinishOne(h, "w1", seconds: 0.002)
        #expect(queue.count == 3)
        // Its last trial: the result says it wants no more, then it leaves.
        h.now += 0.002
        try h.deliver(.result(.init(trial: queue[0].trial, attempt: 1, state: .complete, value: 1, metrics: [:], epochs: 1, ready: false)), from: "w1")
        try h.deliver(.bye(.init(reason: "done 2 trial(s)")), from: "w1")
        let trials = try h.trials()
        #expect(trials[1].state == .complete)
        for a in queue.dropFirst() {
            #expect(trials[a.trial].state == .waiting)
            #expect(try h.attempts(a.trial).map(\.outcome) == [.returned])
        }
        #expect(h.core.leaseCount == 0)
    }

    /// What the poll loop may hold back to commit with later messages: only what the worker
    /// does not wait for, and never the outcome after which it runs out of trials ahead.
    @Test func onlyMessagesNobodyWaitsForMayWaitToBeCommittedTogether() throws {
        let h = try CoreHarness(sweep(trials: 40), options: LeasesAheadTests.fiveMilliseconds)
        let queue = try joinAndFinishOne(h, "w1", seconds: 0.001) // runs 1, holds 2 to 6 ahead
        #expect(queue.map(\.trial) == [1, 2, 3, 4, 5, 6])
        let a = queue[0]
        let result = WorkerMessage.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: 1, metrics: [:], epochs: 1, ready: true))
        let lastReport = WorkerMessage.report(.init(trial: a.trial, attempt: a.attempt, epoch: 1, value: 1, metrics: [:]))
        // Five trials ahead: two outcomes may wait; with a third the worker would have used
        // up more than half of what it holds, and must get more before it runs dry.
        #expect(h.core.mayWait(result, from: "w1", outcomesBefore: 0))
        #expect(h.core.mayWait(lastReport, from: "w1", outcomesBefore: 0))
        #expect(h.core.mayWait(result, from: "w1", outcomesBefore: 1))
        #expect(!h.core.mayWait(result, from: "w1", outcomesBefore: 2))
        // One trial ahead (trials of 2 ms or more): nothing waits.
        let slower = try CoreHarness(sweep(trials: 40), options: LeasesAheadTests.fiveMilliseconds)
        #expect(try joinAndFinishOne(slower, "w1", seconds: 0.004).map(\.trial) == [1, 2])
        #expect(!slower.core.mayWait(result, from: "w1", outcomesBefore: 0))
        #expect(!h.core.mayWait(.heartbeat, from: "w1", outcomesBefore: 0))
        #expect(!h.core.mayWait(.ready, from: "w1", outcomesBefore: 0))
        // Workers holding nothing ahead, and unknown ones, are answered at once.
        let plain = try CoreHarness(sweep(trials: 10), options: LeasesAheadTests.fiveMilliseconds)
        _ = try joinAndFinishOne(plain, "w2", seconds: 0.002, capabilities: ["synthetic"])
        #expect(!plain.core.mayWait(result, from: "w2", outcomesBefore: 0))
        #expect(!h.core.mayWait(result, from: "stranger", outcomesBefore: 0))
    }

    /// Outcomes handled in one batch (gathered) time the worker's trials by their number
    /// over the time since the first of them started: trials held ahead started, as far as
    /// the coordinator knows, in the same batch, and would look instant.
    @Test func outcomesHandledTogetherKeepAboutFiveMillisecondsAhead() throws {
        let h = try CoreHarness(sweep(trials: 200), options: LeasesAheadTests.fiveMilliseconds)
        var queue = try joinAndFinishOne(h, "w1", seconds: 0.001) // runs 1, holds 2 to 6
        #expect(queue.map(\.trial) == [1, 2, 3, 4, 5, 6])
        // Four trials of 1 ms each, their outcomes handled at one time.
        h.now += 0.004
        for a in queue.prefix(4) { try h.finish("w1", a, value: 0.5) }
        queue.removeFirst(4)
        queue += h.assignments("w1")
        // 1 ms per trial: the running one and about 5 ahead (4.99 or 5.01 ms by rounding),
        // not the 256 that "instant" trials get.
        #expect((5...6).contains(queue.count), "\(queue.map(\.trial))")
    }

    /// A last report inside a result is recorded and decided as if it had come on its own:
    /// the same curves and the same outcome (here a prune at the last epoch) either way.
    @Test func aLastReportInsideTheResultIsHandledAsIfItCameOnItsOwn() throws {
        func run(inside: Bool) throws -> (states: [TrialState], steps: [[Int]]) {
            let h = try CoreHarness(PruningThroughCoreTests.sweep(trials: 2, epochs: 2, pruner: "{name: threshold, upper: 3}"), options: LeasesAheadTests.fiveMilliseconds)
            try h.hello("w1")
            let first = h.take("w1")
            guard first.count == 2, case .welcome(let w) = first[0], case .assign(let a0) = first[1] else {
                Issue.record("\(first)")
                return ([], [])
            }
            #expect(w.capabilities.contains(Wire.lastReportInResultCapability))
            var next: CoordinatorMessage.Assign? = a0
            for lastValue in [1.0, 5.0] { // the second trial leaves the threshold at epoch 2
                let a = try #require(next)
                #expect(try h.report("w1", a, epoch: 1, value: 1)?.prune == false)
                let last = WorkerMessage.Report(trial: a.trial, attempt: a.attempt, epoch: 2, value: lastValue, metrics: ["value": lastValue])
                var result = WorkerMessage.Result(trial: a.trial, attempt: a.attempt, state: .complete, value: lastValue,
                                                  metrics: ["value": lastValue], epochs: 2, ready: true)
                if inside {
                    result.lastReport = last
                } else {
                    try h.deliver(.report(last), from: "w1")
                }
                try h.deliver(.result(result), from: "w1")
                next = h.assignment("w1")
            }
            let trials = try h.trials()
            let steps = try trials.map { t in try h.store.read { q in try q.intermediates(trialID: t.id) }.map(\.step) }
            return (trials.map(\.state), steps)
        }
        let separate = try run(inside: false)
        let inside = try run(inside: true)
        #expect(separate.states == [.complete, .pruned])
        #expect(inside.states == separate.states)
        #expect(inside.steps == [[1, 2], [1, 2]] && inside.steps == separate.steps)
    }

    /// A report before a trial's last epoch waits for its decision: it is never held back.
    @Test func aReportBeforeTheLastEpochIsAnsweredAtOnce() throws {
        let h = try CoreHarness(sweep(trials: 40, epochs: 3), options: LeasesAheadTests.fiveMilliseconds)
        try h.hello("w1", capabilities: Self.capable)
        let first = try #require(h.assignment("w1"))
        h.now += 0.002
        try h.finish("w1", first, value: 0.5, epochs: 3)
        let queue = h.assignments("w1")
        #expect(queue.count > 1, "short trials are leased ahead: \(queue.map(\.trial))")
        let a = queue[0]
        for epoch in 1...3 {
            let report = WorkerMessage.report(.init(trial: a.trial, attempt: a.attempt, epoch: epoch, value: 1, metrics: [:]))
            #expect(h.core.mayWait(report, from: "w1", outcomesBefore: 0) == (epoch == 3), "epoch \(epoch)")
        }
    }

    @Test func aDecisionIsNotSentForATrialWhoseResultCameInTheSameBatch() throws {
        var out = Outbox()
        out.send(.decision(.init(trial: 4, attempt: 1, epoch: 1, action: .continue, reason: "")), to: "w1")
        out.send(.decision(.init(trial: 5, attempt: 1, epoch: 1, action: .continue, reason: "")), to: "w1")
        out.send(.assign(assign(trial: 6)), to: "w1")
        out.ended(TrialRef(trial: 4, attempt: 1))
        let kinds = out.deliverable.map { m -> String in
            switch m.message {
            case .decision(let d): return "decision \(d.trial)"
            case .assign(let a): return "assign \(a.trial)"
            default: return "other"
            }
        }
        #expect(kinds == ["decision 5", "assign 6"])
    }
}

/// Leases ahead when messages are lost, the connection fails, or the wall time runs out.
@Suite struct LeasesAheadFaultTests {
    let capable = LeasesAheadTests.capable

    /// w1 ran trial 0 in 2 ms and now runs trial 1 with trials 2 and 3 held ahead.
    func harness(_ sweepText: String = sweep(trials: 10)) throws -> (CoreHarness, [CoordinatorMessage.Assign]) {
        let h = try CoreHarness(sweepText, options: LeasesAheadTests.fiveMilliseconds)
        let queue = try LeasesAheadTests().joinAndFinishOne(h, "w1", seconds: 0.002)
        #expect(queue.map(\.trial) == [1, 2, 3])
        return (h, queue)
    }

    @Test func aResultForATrialHeldAheadReleasesTheOnesItsOutcomesSkipped() throws {
        let (h, queue) = try harness()
        // The outcomes of trials 1 and 2 were lost; trial 3's arrives.
        h.now += 0.006
        try h.finish("w1", queue[2], value: 0.5)
        let trials = try h.trials()
        #expect(trials[3].state == .complete)
        for t in [1, 2] {
            // Handed back (no attempt used up), and leased again at once.
            #expect(try h.attempts(t).first?.outcome == .returned)
            #expect(trials[t].attempt == 2 && trials[t].state == .running)
        }
        // It goes on with what it is sent next; every trial still completes once.
        var next = h.assignments("w1")
        var done: Set<Int> = [0, 3]
        while let a = next.first {
            next.removeFirst()
            h.now += 0.002
            try h.finish("w1", a, value: 0.5)
            done.insert(a.trial)
            next += h.assignments("w1")
        }
        #expect(done == Set(0..<10) && h.core.finished)
        #expect(try h.trials().allSatisfy { $0.state == .complete })
    }

    /// A trial held ahead starts when the worker starts it, not when it was leased: its
    /// recorded time is how long it ran.
    @Test func aTrialHeldAheadIsTimedFromWhenItsWorkerStartedIt() throws {
        let (h, queue) = try harness()
        h.now += 0.5 // trial 1 takes 0.5 s; trial 2 waited behind it
        try h.finish("w1", queue[0], value: 0.5)
        let startOf2 = h.now
        h.now += 0.002
        try h.finish("w1", queue[1], value: 0.5)
        let trial2 = try #require(try h.trials().first { $0.number == 2 })
        #expect(trial2.startedAt == startOf2 && abs((trial2.duration ?? 0) - 0.002) < 1e-9, "\(String(describing: trial2.duration))")
        #expect(try h.attempts(2).first?.startedAt == startOf2)
    }

    /// A report is the first word of a trial held ahead (the outcomes before it were lost):
    /// it starts then, and its time is recorded (the lease copied before catching up was
    /// written back over it, and the trial was recorded as never started).
    @Test func aReportAboutATrialHeldAheadStartsIt() throws {
        let (h, queue) = try harness(sweep(trials: 10, epochs: 2))
        h.now += 0.006
        let reportedAt = h.now
        _ = try h.report("w1", queue[1], epoch: 1, value: 0.5)
        h.now += 0.003
        try h.finish("w1", queue[1], value: 0.5, epochs: 2)
        let trial = try #require(try h.trials().first { $0.number == queue[1].trial })
        #expect(trial.state == .complete && trial.startedAt == reportedAt, "\(String(describing: trial.startedAt))")
        #expect(try h.attempts(queue[1].trial).first?.startedAt == reportedAt)
    }

    /// A worker reconnecting while it runs a trial it held ahead: that trial is started
    /// (it stayed "held ahead", and was recorded as never started when it ended).
    @Test func aReconnectWhileRunningATrialHeldAheadStartsIt() throws {
        let (h, queue) = try harness()
        h.now += 0.004
        let helloAt = h.now
        try h.hello("w1", running: .init(trial: queue[1].trial, attempt: 1, epoch: 0), capabilities: capable)
        h.now += 0.002
        try h.finish("w1", queue[1], value: 0.5)
        let trial = try #require(try h.trials().first { $0.number == queue[1].trial })
        #expect(trial.state == .complete && trial.startedAt == helloAt, "\(String(describing: trial.startedAt))")
        let skipped = try h.attempts(queue[0].trial).map(\.outcome)
        #expect(skipped.first == .returned, "its outcome was lost: \(skipped)")
    }

    /// An idle worker with nothing new to run takes the trials held ahead by a worker whose
    /// trial turned out long (a 20 s trial among 50 ms ones), instead of idling while they wait.
    @Test func anIdleWorkerTakesTheTrialsHeldBehindALongOne() throws {
        let (h, queue) = try harness(sweep(trials: 5))
        // w2 joins and runs the last trial of the budget; w1 still runs trial 1 (2, 3 held).
        try h.hello("w2", capabilities: capable)
        let last = try #require(h.assignment("w2"))
        #expect(last.trial == 4)
        h.now += 0.05
        try h.finish("w2", last, value: 0.5)
        try h.tick()
        // 50 ms into trial 1: it may still be short; the held trials stay with w1.
        #expect(h.take("w1").isEmpty && h.assignments("w2").isEmpty)
        h.now += 0.1
        try h.tick()
        let cancels = h.take("w1").compactMap { m -> Int? in if case .cancel(let ref, _) = m { return ref.trial } else { return nil } }
        #expect(cancels == [2, 3])
        var moved = h.assignments("w2")
        #expect(moved.first?.trial == 2 && moved.first?.attempt == 2)
        while let a = moved.first {
            moved.removeFirst()
            h.now += 0.01
            try h.finish("w2", a, value: 0.5)
            moved += h.assignments("w2")
        }
        h.now += 1
        try h.finish("w1", queue[0], value: 0.5)
        try h.tick()
        #expect(h.core.finished)
        let trials = try h.trials()
        #expect(trials.count == 5 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        // The attempt held by w1 took no time, used no attempt up; the trial's time is w2's run.
        let attempts = try h.attempts(2)
        #expect(attempts.map(\.outcome) == [.returned, .complete])
        #expect(attempts.first.map { $0.endedAt == $0.startedAt } == true)
        #expect(abs((trials[2].duration ?? 0) - 0.01) < 1e-9, "\(String(describing: trials[2].duration))")
    }

    /// Taken back at the end of a study, where the busy worker still has room ahead: the
    /// trials go to the idle worker, not back ahead to the busy one (they went back and
    /// forth, a new attempt each time).
    @Test func trialsTakenBackAreNotLeasedAheadToTheBusyWorkerAgain() throws {
        let h = try CoreHarness(sweep(trials: 3), options: LeasesAheadTests.fiveMilliseconds)
        let queue = try LeasesAheadTests().joinAndFinishOne(h, "w1", seconds: 0.002)
        #expect(queue.map(\.trial) == [1, 2]) // the budget ends with room left ahead
        try h.hello("w2", capabilities: capable)
        #expect(h.assignments("w2").isEmpty)
        h.now += 0.2
        try h.deliver(.heartbeat, from: "w1")
        try h.tick()
        let toW1 = h.take("w1")
        #expect(toW1.allSatisfy { if case .cancel = $0 { true } else { false } } && toW1.count == 1, "\(toW1)")
        let moved = try #require(h.assignment("w2"))
        #expect(moved.trial == 2 && moved.attempt == 2)
        h.now += 0.002
        try h.finish("w2", moved, value: 0.5)
        h.now += 0.05
        try h.tick()
        #expect(h.take("w1").isEmpty, "nothing more for the busy worker")
        try h.finish("w1", queue[0], value: 0.5)
        try h.tick()
        #expect(h.core.finished)
        #expect(try h.attempts(2).map(\.outcome) == [.returned, .complete])
    }

    /// A worker that dies holding trials ahead: they never ran there, took no time, and their
    /// time is the run on the worker that takes them (they were recorded as running until the
    /// death was noticed, 10 s).
    @Test func trialsHeldByAWorkerThatDiesTookNoTimeThere() throws {
        let (h, _) = try harness()
        h.now += 10
        try h.tick() // w1 (running 1, holding 2 and 3) is declared dead
        try h.hello("w2", capabilities: capable)
        var next = h.assignments("w2")
        while let a = next.first {
            next.removeFirst()
            h.now += 0.01
            try h.finish("w2", a, value: 0.5)
            next += h.assignments("w2")
        }
        let trials = try h.trials()
        for t in [2, 3] {
            let attempts = try h.attempts(t)
            #expect(attempts.first.map { $0.outcome == .returned && $0.endedAt == $0.startedAt } == true, "\(attempts)")
            #expect(abs((trials[t].duration ?? 0) - 0.01) < 1e-6, "trial \(t): \(String(describing: trials[t].duration))")
        }
    }

    @Test func whenTheWallTimeIsSpentTrialsHeldAheadAreCancelledAndWait() throws {
        let (h, queue) = try harness(sweep(trials: 10, wallTime: ", wall_time: 60"))
        h.now += 61
        try h.deliver(.heartbeat, from: "w1") // alive, still running trial 1
        try h.tick()
        let cancels = h.take("w1").compactMap { m -> Int? in if case .cancel(let ref, _) = m { return ref.trial } else { return nil } }
        #expect(cancels == [2, 3])
        let trials = try h.trials()
        #expect(trials[2].state == .waiting && trials[3].state == .waiting)
        #expect(try h.attempts(2).map(\.outcome) == [.returned])
        // The running trial ends at its only epoch (it completes: it has done its work), and
        // the study with it.
        #expect(try h.report("w1", queue[0], epoch: 1, value: 0.5)?.prune == false)
        try h.deliver(.result(.init(trial: queue[0].trial, attempt: queue[0].attempt, state: .complete, value: 0.5, metrics: [:], epochs: 1, ready: true)), from: "w1")
        try h.tick()
        #expect(h.core.finished)
        #expect(try h.trials().count == 4) // nothing new was created
    }

    @Test func aWorkerDeclaredDeadThatComesBackGetsItsTrialBackAndNoCrashIsCounted() throws {
        let (h, queue) = try harness()
        // The connection fails: w1 ran trial 1, sent its result into the dead connection and
        // went on to trial 2. The coordinator declares it dead.
        h.now += 10
        try h.tick()
        #expect(try h.attempts(1).map(\.outcome) == [.stale])
        // It reconnects, still running trial 2.
        try h.hello("w1", running: .init(trial: 2, attempt: 1, epoch: 0), capabilities: capable)
        let welcome = h.take("w1").compactMap { if case .welcome(let w) = $0 { return w } else { return nil } }.first
        #expect(welcome?.adopted == TrialRef(trial: 2, attempt: 1))
        let trials = try h.trials()
        #expect(trials[2].state == .running && trials[1].state == .stale && trials[3].state == .waiting)
        // Trial 1's lost attempt was the connection's fault: handed back, not a crash.
        #expect(try h.attempts(1).map(\.outcome) == [.returned])
        h.now += 0.002
        try h.finish("w1", queue[1], value: 0.5)
        var next = h.assignments("w1")
        while let a = next.first {
            next.removeFirst()
            h.now += 0.002
            try h.finish("w1", a, value: 0.5)
            next += h.assignments("w1")
        }
        #expect(h.core.finished)
        let all = try h.trials()
        #expect(all.allSatisfy { $0.state == .complete })
        #expect(try h.attempts(1).map(\.outcome) == [.returned, .complete])
    }
}
