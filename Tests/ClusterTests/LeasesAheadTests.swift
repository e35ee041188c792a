import Store
import Testing
@testable import Cluster

/// Leases ahead: a worker whose trials take milliseconds is assigned its next trials while
/// it runs the current one, and everything it holds goes back to the queue, without using
/// up an attempt, when it leaves, dies or reconnects.
@Suite struct LeasesAheadTests {
    static let capable = ["synthetic", Wire.aheadCapability]

    /// `w` joins and finishes its first trial in `seconds`; returns what it was sent next.
    func joinAndFinishOne(_ h: CoreHarness, _ w: String, seconds: Double, capabilities: [String] = capable) throws -> [CoordinatorMessage.Assign] {
        try h.hello(w, capabilities: capabilities)
        let first = try #require(h.assignment(w))
        h.now += seconds
        try h.finish(w, first, value: 0.5)
        return h.assignments(w)
    }

    @Test func aWorkerWithShortTrialsGetsItsNextTrialsAheadAndEveryTrialRunsOnce() throws {
        let h = try CoreHarness(sweep(trials: 40))
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

    @Test func onlyShortTrialsOfWorkersThatSayTheyCanAreLeasedAhead() throws {
        let without = try CoreHarness(sweep(trials: 10))
        #expect(try joinAndFinishOne(without, "w1", seconds: 0.001, capabilities: ["synthetic"]).map(\.trial) == [1])
        let long = try CoreHarness(sweep(trials: 10))
        #expect(try joinAndFinishOne(long, "w1", seconds: 0.5).map(\.trial) == [1])
        var off = CoreHarness.defaultOptions
        off.aheadBelowSeconds = 0
        let disabled = try CoreHarness(sweep(trials: 10), options: off)
        #expect(try joinAndFinishOne(disabled, "w1", seconds: 0.001).map(\.trial) == [1])
        // A sampler that learns from results (TPE) gets every result before its next suggestion.
        let tpe = try CoreHarness(sweep(trials: 10).replacingOccurrences(of: "{name: random, seed: 5}", with: "{name: tpe, seed: 5}"))
        #expect(try joinAndFinishOne(tpe, "w1", seconds: 0.001).map(\.trial) == [1])
    }

    @Test func aLostWorkersTrialsAheadGoBackWithoutUsingAnAttempt() throws {
        let h = try CoreHarness(sweep(trials: 10))
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
        let h = try CoreHarness(sweep(trials: 10))
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
        let h = try CoreHarness(sweep(trials: 10))
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
        let h = try CoreHarness(sweepText)
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
        // The running trial ends (pruned at its first report: the budget is spent), and the study with it.
        _ = try h.report("w1", queue[0], epoch: 1, value: 0.5)
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
