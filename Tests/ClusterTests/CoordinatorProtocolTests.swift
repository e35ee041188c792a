import Foundation
import Search
@testable import Store
import SweepFile
import Testing
@testable import Cluster

private func isCancel(_ m: CoordinatorMessage) -> Bool { if case .cancel = m { return true }; return false }

private func decision(in messages: [CoordinatorMessage]) -> CoordinatorMessage.Decision? {
    for m in messages { if case .decision(let d) = m { return d } }
    return nil
}

/// The median pruner with one finished trial of value 0.1 at every epoch, and a bad trial
/// leased to `w1`.
private func harnessWithABadTrial(epochs: Int = 3) throws -> (CoreHarness, CoordinatorMessage.Assign) {
    let h = try CoreHarness(sweep(trials: 3, epochs: epochs, pruner: "{name: median, n_startup_trials: 1}"))
    try h.hello("w1")
    let a = try #require(h.assignment("w1"))
    for e in 1...epochs { _ = try h.report("w1", a, epoch: e, value: 0.1) }
    try h.finish("w1", a, value: 0.1, epochs: epochs)
    return (h, try #require(h.assignment("w1")))
}

@Suite struct IdempotentReportTests {
    @Test func aResentReportThatWasPrunedGetsThePruneDecisionAgain() throws {
        let (h, bad) = try harnessWithABadTrial()
        let first = try #require(try h.report("w1", bad, epoch: 1, value: 5))
        #expect(first.prune)
        // The worker did not hear the answer (a reconnect) and sends the report again.
        try h.deliver(.report(.init(trial: bad.trial, attempt: bad.attempt, epoch: 1, value: 5, metrics: ["value": 5])), from: "w1")
        let answer = h.take("w1")
        #expect(!answer.contains(where: isCancel), "\(answer)")
        #expect(decision(in: answer) == first)
        #expect(try h.trials()[bad.trial].state == .pruned)
    }

    @Test func reportsOfTrialsThatFinishedBeforeARestartGetTheirRecordedDecisions() throws {
        let (h, bad) = try harnessWithABadTrial()
        let pruned = try #require(try h.report("w1", bad, epoch: 1, value: 5))
        #expect(pruned.prune)
        try h.restart()
        try h.hello("w1", running: .init(trial: bad.trial, attempt: bad.attempt, epoch: 1))
        _ = h.take("w1")
        // Re-sent reports: the pruned trial's, and the last one of the trial that completed.
        try h.deliver(.report(.init(trial: bad.trial, attempt: bad.attempt, epoch: 1, value: 5, metrics: [:])), from: "w1")
        let again = h.take("w1")
        #expect(!again.contains(where: isCancel), "\(again)")
        #expect(decision(in: again)?.action == .prune && decision(in: again)?.reason == pruned.reason)
        try h.deliver(.report(.init(trial: 0, attempt: 1, epoch: 3, value: 0.1, metrics: [:])), from: "w1")
        let done = h.take("w1")
        #expect(!done.contains(where: isCancel), "\(done)")
        #expect(decision(in: done)?.action == .continue)
        // A report never recorded for a finished trial is still refused.
        try h.deliver(.report(.init(trial: bad.trial, attempt: bad.attempt, epoch: 2, value: 5, metrics: [:])), from: "w1")
        #expect(h.take("w1").contains(where: isCancel))
    }
}

@Suite struct RepeatedReadyTests {
    @Test func aRepeatedReadyDuringARunningTrialDoesNotRevokeItsLease() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 3, maxAttempts: 1))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        _ = try h.report("w1", a, epoch: 1, value: 0.5)
        try h.deliver(.ready, from: "w1")
        #expect(h.take("w1").isEmpty, "the lease goes on; nothing new is assigned")
        let d = try #require(try h.report("w1", a, epoch: 2, value: 0.4))
        #expect(!d.prune)
        try h.finish("w1", a, value: 0.4, epochs: 3)
        #expect(try h.attempts(a.trial).map(\.outcome) == [.complete])
        #expect(h.core.counters.repeatedReady == 1)
        #expect(h.core.counters.requeued == 0)
    }
}

@Suite struct InfinityTests {
    private func maximizing() -> String {
        sweep(trials: 3, epochs: 3, pruner: "{name: median, n_startup_trials: 1}") + "\nobjective: {metric: value, direction: maximize}"
    }

    @Test func aMaximizingInfiniteReportIsTheBestValueNotTheWorst() throws {
        let h = try CoreHarness(maximizing())
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        for e in 1...3 { _ = try h.report("w1", a, epoch: e, value: 1) }
        try h.finish("w1", a, value: 1, epochs: 3)
        let b = try #require(h.assignment("w1"))
        let d = try #require(try h.report("w1", b, epoch: 1, value: .infinity))
        #expect(!d.prune, "\(d.reason)")
        let curve = try h.store.read { q in try q.intermediates(trialID: try q.trials(studyID: h.core.study.id)[b.trial].id) }
        #expect(curve.map(\.value) == [.infinity])
    }

    @Test func anInfiniteResultIsAResultNotAFailure() throws {
        let h = try CoreHarness(maximizing())
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.finish("w1", a, value: .infinity, epochs: 3)
        let t = try h.trials()[a.trial]
        #expect(t.state == .complete && t.value == .infinity)
        // NaN is still no value.
        let b = try #require(h.assignment("w1"))
        try h.finish("w1", b, value: .nan, epochs: 3)
        #expect(try h.trials()[b.trial].state == .fail)
    }
}

@Suite struct AttemptEpochTests {
    @Test func aReRunShowsOnlyItsOwnEpochs() throws {
        let h = try CoreHarness(sweep(trials: 1, epochs: 4))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        for e in 1...3 { _ = try h.report("w1", a, epoch: e, value: 0.5) }
        try h.hello("w2")
        h.now += 2; try h.deliver(.heartbeat, from: "w2")
        h.now += 2; try h.deliver(.heartbeat, from: "w2")
        try h.tick() // w1 is declared dead
        let b = try #require(h.assignment("w2"))
        #expect(b.attempt == 2)
        #expect(h.core.history.trial(0)?.intermediate.isEmpty == true, "the pruners see no epoch of the crashed attempt")
        _ = try h.report("w2", b, epoch: 1, value: 0.7)
        let curve = try h.store.read { q in try q.intermediates(trialID: try q.trials(studyID: h.core.study.id)[0].id) }
        #expect(curve.map(\.step) == [1] && curve.map(\.attempt) == [2])
        #expect(try h.trials()[0].epochs == 1)
        #expect(h.core.history.trial(0)?.intermediate == [1: 0.7])
    }
}

@Suite struct WorkerRowTests {
    private func states(_ h: CoreHarness) throws -> [String: WorkerState] {
        Dictionary(uniqueKeysWithValues: try h.store.read { try $0.workers(studyID: h.core.study.id) }.map { ($0.worker, $0.state) })
    }

    @Test func workersAreGoneOnByeStudyEndAndCoordinatorStart() throws {
        let h = try CoreHarness(sweep(trials: 1))
        try h.hello("w1")
        try h.hello("w2")
        try h.hello("w3")
        let a = try #require(h.assignment("w1"))
        try h.deliver(.bye(.init(reason: "done")), from: "w3")
        #expect(try states(h)["w3"] == .left)
        try h.finish("w1", a, value: 0.5)
        #expect(h.core.finished)
        #expect(try states(h) == ["w1": .left, "w2": .left, "w3": .left])
        // A worker reconnecting after the end, or a late message, does not bring it back to life.
        try h.hello("w2")
        try h.deliver(.heartbeat, from: "w1")
        let after = try states(h)
        #expect(after.values.allSatisfy { $0 != .alive }, "\(after)")

        let other = try CoreHarness(sweep(trials: 2))
        try other.hello("x")
        _ = try #require(other.assignment("x"))
        try other.restart()
        #expect(try states(other)["x"] == .dead)
    }
}

@Suite struct RequeueTests {
    @Test func aHandedBackTrialWaitsAndALostOneIsStale() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 2))
        try h.hello("w1")
        try h.hello("w2")
        let a = try #require(h.assignment("w1"))
        let b = try #require(h.assignment("w2"))
        try h.deliver(.bye(.init(reason: "SIGTERM", trial: a.trial, attempt: a.attempt)), from: "w1")
        #expect(try h.trials()[a.trial].state == .waiting)
        h.now += 10
        try h.tick()
        #expect(try h.trials()[b.trial].state == .stale)
        #expect(try h.attempts(b.trial).map(\.outcome) == [.stale])
    }
}

@Suite struct QuarantineTests {
    /// At the start of a study a broken host fails trial after trial while the others still
    /// run their first: it is held back as well (its failures used up the budget: 9 of 10
    /// trials FAIL within a second), and its trials run on the others.
    @Test func aWorkerFailingWhileTheOthersRunTheirFirstTrialIsHeldBack() throws {
        let h = try CoreHarness(sweep(trials: 6, maxAttempts: 1))
        try h.hello("good")
        try h.hello("bad")
        var goodQueue = [try #require(h.assignment("good"))] // still running: no outcome yet
        var next = try #require(h.assignment("bad"))
        var badTrials: [Int] = []
        for _ in 1...WorkerHealth.quarantineAfter {
            badTrials.append(next.trial)
            try h.deliver(.failure(.init(trial: next.trial, attempt: next.attempt, error: "data file not found", ready: true)), from: "bad")
            if let n = h.assignment("bad") { next = n }
        }
        try h.deliver(.ready, from: "bad")
        #expect(h.assignment("bad") == nil, "held back")
        while let a = goodQueue.popLast() {
            try h.finish("good", a, value: 0.5)
            if let n = h.assignment("good") { goodQueue.append(n) }
        }
        let trials = try h.trials()
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        for t in badTrials { #expect(try h.attempts(t).map(\.outcome) == [.quarantined, .complete], "trial \(t) ran again on the good worker") }
        #expect(h.core.counters.quarantined == 1, "its first trial got further on the good worker")
    }

    /// A hold is bounded in time: while the only other worker runs an hour-long trial, a
    /// worker held back for three failures gets work again after 30 s (its failures count
    /// again: those trials FAIL, and it takes new ones), and after three more failures in a
    /// row it waits 60 s. It was idle for the whole long trial before.
    @Test func aHoldUndecidedForItsTimeEndsAndTheNextLastsTwiceAsLong() throws {
        let h = try CoreHarness(sweep(trials: 20, maxAttempts: 1))
        try h.hello("slow")
        try h.hello("fast")
        let long = try #require(h.assignment("slow")) // runs all along
        func failThree() throws -> [Int] {
            var failed: [Int] = []
            for _ in 1...WorkerHealth.quarantineAfter {
                let a = try #require(h.assignment("fast"), "fast gets work (failed so far: \(failed))")
                failed.append(a.trial)
                try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "ImportError: no module named torch", ready: true)), from: "fast")
            }
            return failed
        }
        func wait(_ seconds: Double) throws {
            for _ in 0..<Int(seconds) {
                h.now += 1
                try h.deliver(.heartbeat, from: "slow")
                try h.deliver(.heartbeat, from: "fast")
                try h.tick()
            }
        }
        let first = try failThree()
        try wait(WorkerHealth.firstHoldSeconds - 1)
        #expect(h.assignment("fast") == nil, "held back for 30 s")
        #expect(try first.allSatisfy { try h.trials()[$0].state == .stale }, "given back while held")
        try wait(1)
        let second = try failThree()
        #expect(Set(first).isDisjoint(with: second), "new trials after the hold, not the same again: \(first) \(second)")
        let states = try h.trials()
        #expect(first.allSatisfy { states[$0].state == .fail && states[$0].error == "ImportError: no module named torch" }, "the first hold's failures count again")
        for t in first { #expect(try h.attempts(t).map(\.outcome) == [.fail]) }
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }.map(\.message)
        #expect(warnings.contains { $0.hasPrefix("worker fast was held back as long as it may be") }, "\(warnings)")
        #expect(warnings.last?.contains("within 60 s") == true, "the second hold lasts twice as long: \(warnings)")
        try wait(WorkerHealth.firstHoldSeconds)
        #expect(h.assignment("fast") == nil, "still held at 30 s of 60")
        try wait(WorkerHealth.firstHoldSeconds)
        var next = try #require(h.assignment("fast"))
        #expect(h.core.counters.quarantined == 0 && h.core.trials[long.trial].lease?.worker == "slow")
        // Its third run of failures is held; the long trial ends and one of them completes on
        // `slow`: the host is at fault, quarantined, and the trials its first hold let FAIL
        // run again (they were lost to a host judged broken).
        for n in 1...WorkerHealth.quarantineAfter {
            try h.deliver(.failure(.init(trial: next.trial, attempt: next.attempt, error: "ImportError: no module named torch", ready: true)), from: "fast")
            if n < WorkerHealth.quarantineAfter { next = try #require(h.assignment("fast")) }
        }
        try h.finish("slow", long, value: 0.5, epochs: 3)
        let rerun = try #require(h.assignment("slow"))
        try h.finish("slow", rerun, value: 0.5, epochs: 3)
        #expect(h.core.counters.quarantined == 1)
        let after = try h.trials()
        #expect(first.allSatisfy { after[$0].state != .fail }, "given back: \(first.map { after[$0].state })")
        for t in first { #expect(try h.attempts(t).first?.outcome == .quarantined) }
    }

    /// Workers on one host vouch for it: one that fails trials before their first report
    /// while a sibling on its host ends trials well is not held back (a program failing at
    /// random had two of three local workers of `sweep run` quarantined).
    @Test func aWorkerWhoseHostSiblingRunsFineIsNotHeldBack() throws {
        let h = try CoreHarness(sweep(trials: 20, maxAttempts: 1))
        try h.hello("a", host: "box")
        try h.hello("b", host: "box")
        try h.hello("elsewhere")
        let first = try #require(h.assignment("a"))
        try h.finish("a", first, value: 0.5)
        for _ in 1...(WorkerHealth.quarantineAfter + 1) {
            let b = try #require(h.assignment("b"), "b still gets work")
            try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "Segmentation fault", ready: true)), from: "b")
        }
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(!warnings.contains { $0.worker == "b" }, "\(warnings.map(\.message))")
    }

    /// Two machines with one host name (cloned VMs named `ubuntu`) are told apart by their
    /// kernels: the good one does not vouch for the broken one, which failed 16 of 20 trials
    /// and was never held back.
    @Test func aMachineThatSharesAHostNameDoesNotVouchForAnother() throws {
        let h = try CoreHarness(sweep(trials: 20, maxAttempts: 1))
        func hello(_ w: String, boot: String) throws {
            try h.deliver(.hello(.init(worker: w, host: "ubuntu", pid: 7, version: "t", cores: 2, threads: 1, capabilities: ["training", "synthetic"],
                                       running: nil, process: ProcessIdentity(machine: "\(boot)/4026531836", pid: 7, startTicks: 100))), from: w)
        }
        try hello("good", boot: "boot-a")
        try hello("bad", boot: "boot-b")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.5)
        for _ in 1...WorkerHealth.quarantineAfter {
            guard let b = h.assignment("bad") else { break }
            try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "libfoo.so: cannot open shared object file", ready: true)), from: "bad")
        }
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(warnings.contains { $0.worker == "bad" && $0.message.contains("gets no work until") }, "\(warnings.map(\.message))")
        try h.deliver(.ready, from: "bad")
        #expect(h.assignment("bad") == nil)
    }

    /// `good` completes its trials; `bad` fails every one it gets. After three failures in a
    /// row `bad` is held back and its trials run first on `good`; the first of them that
    /// gets further there (here: ends well) has `bad` quarantined.
    @Test func aWorkerFailingWhileOthersSucceedIsQuarantinedAndItsTrialsGoBack() throws {
        let h = try CoreHarness(sweep(trials: 6, maxAttempts: 1))
        try h.hello("good")
        try h.hello("bad")
        let first = try #require(h.assignment("good"))
        var badTrials: [Int] = []
        var next = try #require(h.assignment("bad"))
        try h.finish("good", first, value: 0.5)
        var goodQueue = [try #require(h.assignment("good"))]
        for _ in 1...WorkerHealth.quarantineAfter {
            badTrials.append(next.trial)
            try h.deliver(.failure(.init(trial: next.trial, attempt: next.attempt, error: "CUDA out of memory", ready: true)), from: "bad")
            if let n = h.assignment("bad") { next = n }
        }
        func badRow() throws -> WorkerRecord? { try h.store.read { try $0.workers(studyID: h.core.study.id) }.first { $0.worker == "bad" } }
        #expect(try badRow()?.quarantinedAt == nil, "held back first, not quarantined")
        let held = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(held.contains { $0.worker == "bad" && $0.message.contains("gets no work until trial(s) \(badTrials.map(String.init).joined(separator: ", ")) run on other workers") },
                "\(held.map(\.message))")
        // The bad worker gets nothing more, even when it asks.
        try h.deliver(.ready, from: "bad")
        #expect(h.assignment("bad") == nil)
        // The good worker runs everything, the trials that failed on the bad one first,
        // though max_attempts is 1: failures on a quarantined host use up no attempt.
        var ranOnGood: [Int] = []
        while let a = goodQueue.popLast() {
            ranOnGood.append(a.trial)
            try h.finish("good", a, value: 0.5)
            if let n = h.assignment("good") { goodQueue.append(n) }
        }
        #expect(Array(ranOnGood.dropFirst().prefix(3)) == badTrials, "the held-back worker's trials run first: \(ranOnGood)")
        let row = try #require(try badRow())
        #expect(row.quarantinedAt != nil && row.lastError == "CUDA out of memory")
        let events = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.workerQuarantined]) }
        #expect(events.count == 1 && events[0].message.contains("CUDA out of memory"))
        let trials = try h.trials()
        #expect(trials.count == 6)
        #expect(trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
        for t in badTrials { #expect(try h.attempts(t).map(\.outcome) == [.quarantined, .complete]) }
        #expect(h.core.finished)
    }

    /// A healthy worker that drew three trials from a region of the space where the program
    /// fails: held back, its trials fail on the other worker too, and it gets work again
    /// (no quarantine). A quarantine here would stop a good host for good.
    @Test func aWorkerWhoseTrialsFailElsewhereTooGetsWorkAgain() throws {
        let h = try CoreHarness(sweep(trials: 8, epochs: 3, maxAttempts: 1))
        try h.hello("good")
        try h.hello("unlucky")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.5, epochs: 3)
        _ = h.take("good") // its next trial: not run in this test
        var failed: [Int] = []
        for _ in 1...WorkerHealth.quarantineAfter {
            let a = try #require(h.assignment("unlucky"))
            try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "ValueError: lr too high", ready: true)), from: "unlucky")
            failed.append(a.trial)
        }
        #expect(h.assignment("unlucky") == nil, "held back")
        // `other` joins and gets a held-back trial first; it fails there too, at the same
        // epoch: the trials are at fault.
        try h.hello("other")
        let rerun = try #require(h.assignment("other"))
        #expect(rerun.trial == failed[0] && rerun.attempt == 2)
        try h.deliver(.failure(.init(trial: rerun.trial, attempt: rerun.attempt, error: "ValueError: lr too high", ready: false)), from: "other")
        #expect(h.assignment("unlucky") != nil, "released: it gets work again")
        #expect(h.core.counters.quarantined == 0)
        let row = try #require(try h.store.read { try $0.workers(studyID: h.core.study.id) }.first { $0.worker == "unlucky" })
        #expect(row.quarantinedAt == nil)
        let events = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(events.contains { $0.message == "trial \(failed[0]) failed on worker other too: the trials are at fault, not worker unlucky, which gets work again" },
                "\(events.map(\.message))")
        #expect(try h.trials()[failed[0]].state == .fail, "failed on two workers with max_attempts 1: it stays failed")
        // Its failures were the trials' own: set aside while it was held back, they count again.
        for t in failed {
            let outcomes = try h.attempts(t).map(\.outcome)
            #expect(outcomes.first == .fail, "trial \(t): \(outcomes)")
        }
    }

    /// With `retry_errors`, a trial that failed on the held-back worker may already run or
    /// have ended elsewhere: it is not leased twice; the one running elsewhere decides when
    /// it ends there, and a streak whose trial already ended well elsewhere quarantines at once.
    @Test func aHeldBackWorkersTrialRunningElsewhereIsNotLeasedAgain() throws {
        let h = try CoreHarness("""
            study: core
            synthetic: {function: sphere, epochs: 3, inputs: {x: {uniform: [-1, 1]}}}
            sampler: {name: random, seed: 5}
            pruner: {name: none}
            budget: {trials: 8}
            retry: {max_attempts: 3, retry_errors: true}
            """)
        try h.hello("good")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.5, epochs: 3)
        let goodNext = try #require(h.assignment("good"))
        try h.hello("bad")
        let a = try #require(h.assignment("bad"))
        try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "disk full", ready: false)), from: "bad")
        // `other` takes the re-queued trial and runs it.
        try h.hello("other")
        let rerun = try #require(h.assignment("other"))
        #expect(rerun.trial == a.trial && rerun.attempt == 2)
        _ = try h.report("other", rerun, epoch: 1, value: 0.4)
        try h.deliver(.ready, from: "bad")
        for _ in 1..<WorkerHealth.quarantineAfter {
            let b = try #require(h.assignment("bad"))
            try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "disk full", ready: true)), from: "bad")
        }
        // Held back; `a` stays with `other`, whose next report (past where `a` failed on
        // `bad`: before any epoch) is the verdict.
        #expect(h.assignment("bad") == nil && h.core.counters.quarantined == 0)
        _ = try h.report("other", rerun, epoch: 2, value: 0.3)
        #expect(h.core.counters.quarantined == 1)
        try h.finish("good", goodNext, value: 0.5, epochs: 3)
        var leasedA = 0
        while let n = h.assignment("good") {
            if n.trial == a.trial { leasedA += 1 }
            try h.finish("good", n, value: 0.5, epochs: 3)
        }
        #expect(leasedA == 0, "trial \(a.trial) still runs on `other`: not leased again")
        #expect(try h.trials()[a.trial].state == .running && h.core.trials[a.trial].lease?.worker == "other")
    }

    /// The trials of a held-back worker that end elsewhere without getting further (pruned
    /// at or before the epoch they failed at) decide nothing: it gets work again.
    @Test func aHeldBackWorkerWhoseTrialsEndUndecidedGetsWorkAgain() throws {
        let h = try CoreHarness(sweep(trials: 8, epochs: 3, maxAttempts: 1))
        try h.hello("good")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.9, epochs: 3)
        let goodNext = try #require(h.assignment("good"))
        try h.hello("bad")
        var failed: [Int] = []
        for _ in 1...WorkerHealth.quarantineAfter {
            let b = try #require(h.assignment("bad"))
            try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "oom", ready: true)), from: "bad")
            failed.append(b.trial)
        }
        #expect(h.assignment("bad") == nil, "held back")
        // Each held trial goes to a worker that dies with it before any report: they end
        // (max_attempts 1) without having got further anywhere.
        var taken: [Int] = []
        for n in failed.indices {
            try h.hello("doomed\(n)")
            let r = try #require(h.assignment("doomed\(n)"))
            taken.append(r.trial)
            for _ in 0..<5 {
                h.now += 1
                try h.deliver(.heartbeat, from: "good")
                try h.deliver(.heartbeat, from: "bad")
                try h.tick()
            }
        }
        _ = goodNext
        // (Out of attempts, each waits for its silent worker a while, then fails.)
        h.now += CoordinatorCore.heldAtMostSeconds
        try h.deliver(.heartbeat, from: "good")
        try h.deliver(.heartbeat, from: "bad")
        try h.tick()
        #expect(Set(taken) == Set(failed), "the held trials ran first elsewhere: \(taken) \(failed)")
        #expect(try failed.allSatisfy { try h.trials()[$0].state == .fail }, "lost with their workers")
        #expect(h.core.counters.quarantined == 0)
        #expect(h.assignment("bad") != nil, "released")
        let events = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(events.contains { $0.message.hasPrefix("the trials worker bad failed ended elsewhere without getting further") }, "\(events.map(\.message))")
    }

    /// A quarantine is on the process: the same id from a new process (systemd restarting a
    /// stable --id, a repaired host) gets work again; it was quarantined at every hello, a
    /// restart loop every 5 s.
    @Test func aQuarantinedIdFromANewProcessGetsWorkAgain() throws {
        let h = try CoreHarness(sweep(trials: 12, maxAttempts: 1))
        try h.hello("good")
        try h.hello("bad")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.5)
        var failed: [Int] = []
        for _ in 1...WorkerHealth.quarantineAfter {
            let b = try #require(h.assignment("bad"))
            failed.append(b.trial)
            try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "No module named torch", ready: true)), from: "bad")
        }
        // The good worker finishes what it holds, then a held trial: the verdict.
        for _ in 0..<3 where h.core.counters.quarantined == 0 {
            let next = try #require(h.assignment("good"))
            try h.finish("good", next, value: 0.5)
        }
        #expect(h.core.counters.quarantined == 1)
        func hello(pid: Int) throws -> [CoordinatorMessage] {
            try h.deliver(.bye(.init(reason: "restart")), from: "bad")
            _ = h.take("bad")
            try h.deliver(.hello(.init(worker: "bad", host: "host-bad", pid: pid, version: "t", cores: 2, threads: 1, capabilities: ["synthetic"], running: nil)), from: "bad")
            return h.take("bad")
        }
        let same = try hello(pid: 1)
        #expect(same.contains { if case .quarantine = $0 { return true } else { return false } }, "the same process stays quarantined: \(same)")
        let fresh = try hello(pid: 2)
        let given = fresh.compactMap { if case .assign(let a) = $0 { return a.trial } else { return nil } }
        #expect(given.count == 1, "a new process gets work: \(fresh)")
        #expect(given.allSatisfy { !failed.contains($0) }, "not a trial it failed before (another worker takes those first): \(given) \(failed)")
        let row = try #require(try h.store.read { try $0.workers(studyID: h.core.study.id) }.first { $0.worker == "bad" })
        #expect(row.quarantinedAt == nil)
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }.map(\.message)
        #expect(warnings.contains("worker bad, quarantined before, came back as a new process (pid 2 on host-bad): it gets work again"), "\(warnings)")
    }

    /// A worker held back that is away when the verdict comes is quarantined as the process
    /// that was held back: the same process saying hello again stays quarantined (its
    /// process was not known, and any hello lifted the quarantine as "a new process").
    @Test func aWorkerQuarantinedWhileAwayStaysQuarantinedWhenTheSameProcessReturns() throws {
        let h = try CoreHarness(sweep(trials: 12, maxAttempts: 1))
        try h.hello("good")
        try h.hello("bad")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.5)
        for _ in 1...WorkerHealth.quarantineAfter {
            let b = try #require(h.assignment("bad"))
            try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "No module named torch", ready: true)), from: "bad")
        }
        #expect(h.assignment("bad") == nil, "held back")
        try h.deliver(.bye(.init(reason: "SIGTERM")), from: "bad")
        for _ in 0..<3 where h.core.counters.quarantined == 0 {
            let next = try #require(h.assignment("good"))
            try h.finish("good", next, value: 0.5)
        }
        #expect(h.core.counters.quarantined == 1)
        try h.hello("bad") // the same process (pid 1 on host-bad)
        let back = h.take("bad")
        #expect(back.contains { if case .quarantine = $0 { return true } else { return false } }, "\(back)")
        #expect(!back.contains { if case .assign = $0 { return true } else { return false } }, "\(back)")
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }.map(\.message)
        #expect(!warnings.contains { $0.contains("came back as a new process") }, "\(warnings)")
    }

    /// A hold does not end while one of its trials runs elsewhere (its outcome is the
    /// verdict on its way: a broken host released then was never quarantined); released,
    /// the worker takes new trials, not the ones it failed.
    @Test func aHoldWaitsForAVerdictThatRunsAndTheReleasedWorkerTakesNewTrials() throws {
        let h = try CoreHarness(sweep(trials: 30, epochs: 3, maxAttempts: 1))
        try h.hello("slow")
        try h.hello("fast")
        let long = try #require(h.assignment("slow"))
        var failed: [Int] = []
        for _ in 1...WorkerHealth.quarantineAfter {
            let a = try #require(h.assignment("fast"))
            failed.append(a.trial)
            try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "ImportError", ready: true)), from: "fast")
        }
        #expect(h.assignment("fast") == nil, "held back")
        func wait(_ seconds: Int) throws {
            for _ in 0..<seconds {
                h.now += 1
                try h.deliver(.heartbeat, from: "slow")
                try h.deliver(.heartbeat, from: "fast")
                try h.tick()
            }
        }
        // `slow` ends its long trial and takes a held one: the hold outlasts its 30 s.
        try wait(10)
        try h.finish("slow", long, value: 0.5, epochs: 3)
        let rerun = try #require(h.assignment("slow"))
        #expect(rerun.trial == failed[0])
        try wait(Int(WorkerHealth.firstHoldSeconds) + 5)
        #expect(h.assignment("fast") == nil, "still held: trial \(rerun.trial) runs on slow")
        // It fails there too: released, and what it gets next is new.
        try h.deliver(.failure(.init(trial: rerun.trial, attempt: rerun.attempt, error: "ImportError", ready: false)), from: "slow")
        let next = try #require(h.assignment("fast"))
        #expect(!failed.contains(next.trial), "a new trial, not \(failed): \(next.trial)")
    }

    /// Vouching takes a sibling whose last trial ended well: two workers of a host that
    /// broke after both had succeeded (disk full, GPU lost) no longer vouch for each other
    /// while they drain the queue as FAILs.
    @Test func siblingsThatBothFailDoNotVouchForEachOther() throws {
        let h = try CoreHarness(sweep(trials: 30, maxAttempts: 1))
        try h.hello("a", host: "box")
        try h.hello("b", host: "box")
        try h.hello("elsewhere")
        for w in ["a", "b"] {
            let first = try #require(h.assignment(w))
            try h.finish(w, first, value: 0.5)
        }
        let running = try #require(h.assignment("elsewhere"))
        try h.finish("elsewhere", running, value: 0.5)
        _ = h.take("elsewhere")
        for _ in 1...WorkerHealth.quarantineAfter {
            for w in ["a", "b"] {
                guard let t = h.assignment(w) else { continue }
                try h.deliver(.failure(.init(trial: t.trial, attempt: t.attempt, error: "No space left on device", ready: true)), from: w)
            }
        }
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(warnings.contains { ($0.worker == "a" || $0.worker == "b") && $0.message.contains("gets no work until") }, "\(warnings.map(\.message))")
    }

    /// A study without a budget gives up when every connected worker fails, not while a
    /// healthy one still runs its first trial (one broken host stopped the whole study).
    @Test func aStudyWithoutABudgetGivesUpOnlyWhenEveryWorkerFails() throws {
        let h = try CoreHarness(sweep(trials: 1_000_000, maxAttempts: 1))
        try h.hello("slow")
        try h.hello("broken")
        let long = try #require(h.assignment("slow"))
        // Two holds of `broken` run out undecided (slow still runs its first trial): its
        // failures count again, six FAILs, more than the give-up takes.
        var next = h.assignment("broken")
        for _ in 0..<2 {
            for _ in 1...WorkerHealth.quarantineAfter {
                let t = try #require(next ?? h.assignment("broken"))
                next = nil
                try h.deliver(.failure(.init(trial: t.trial, attempt: t.attempt, error: "ImportError", ready: true)), from: "broken")
            }
            for _ in 0..<Int(WorkerHealth.longestHoldSeconds) where next == nil {
                h.now += 1
                try h.deliver(.heartbeat, from: "slow")
                try h.deliver(.heartbeat, from: "broken")
                try h.tick()
                next = h.assignment("broken")
            }
        }
        #expect(try h.trials().filter { $0.state == .fail }.count >= CoordinatorCore.initialFailuresBeforeGivingUp)
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(!warnings.contains { $0.message.contains("stops: the first") }, "\(warnings.map(\.message))")
        try h.finish("slow", long, value: 0.5, epochs: 1)
        #expect(!h.core.finished)
    }

    /// The give-up stops a run whose program cannot start, not a search whose early trials
    /// fail by themselves: failures after a report of the objective or by the trial's own
    /// verdict (a diverged loss) do not count. Five trials that never reported the objective
    /// do, with a budget too: also when they reported other metrics (kind 3: the program
    /// names the metric otherwise, and all 30 trials of a budget failed). Kind 4: a first
    /// trial its worker stopped early with a value ran (it did not count as one that ran).
    @Test(arguments: [0, 1, 2, 3, 4])
    func theGiveUpCountsOnlyTrialsThatNeverRan(kind: Int) throws {
        let h = try CoreHarness(sweep(trials: 20, epochs: 3, maxAttempts: 1))
        try h.hello("w")
        var failed = 0
        let stops = kind == 0 || kind == 3
        for _ in 0..<6 {
            guard let a = h.assignment("w") else { break }
            failed += 1
            if kind == 4 && failed == 1 {
                try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .pruned, value: 0.5, metrics: ["value": 0.5], epochs: 1, ready: true)), from: "w")
                continue
            }
            if kind == 1 { _ = try h.report("w", a, epoch: 1, value: 0.5) }
            if kind == 3 {
                try h.deliver(.report(.init(trial: a.trial, attempt: a.attempt, epoch: 1, value: nil, metrics: ["val_acc": 0.5])), from: "w")
                _ = h.take("w")
            }
            try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "boom", ready: true, trialFault: kind == 2)), from: "w")
            try h.tick()
        }
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        let stopped = warnings.contains { $0.message.contains("the first 5 trials of this run all failed") }
        #expect(stopped == stops, "\(warnings.map(\.message))")
        // One worker failed them all: named (a broken host that joined first is not a broken program).
        #expect(!stops || warnings.contains { $0.message.contains("all failed, all on worker w on host-w (a study does not wait for workers yet to join") }, "\(warnings.map(\.message))")
        #expect(h.core.hasGivenUp == stops)
        #expect(failed == (stops ? 5 : 6)) // no trial after the give-up
    }

    /// Two workers failing the first trials is a broken program: no worker is named.
    @Test func aGiveUpOnSeveralWorkersNamesNone() throws {
        let h = try CoreHarness(sweep(trials: 20, epochs: 3, maxAttempts: 1))
        try h.hello("a")
        try h.hello("b")
        for _ in 0..<4 {
            for w in ["a", "b"] {
                guard let t = h.assignment(w) else { continue }
                try h.deliver(.failure(.init(trial: t.trial, attempt: t.attempt, error: "SyntaxError", ready: true)), from: w)
            }
        }
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }.map(\.message)
        #expect(h.core.hasGivenUp && warnings.contains { $0.contains("trials of this run all failed (the last: SyntaxError)") }, "\(warnings)")
        #expect(!warnings.contains { $0.contains("all on worker") }, "\(warnings)")
    }

    /// A program that crashes at a random epoch: its re-run elsewhere often gets further,
    /// which had healthy workers quarantined. Failures after a report say nothing against
    /// the host: the worker is not held back.
    @Test func failuresAfterAReportDoNotHoldAWorkerBack() throws {
        let h = try CoreHarness(sweep(trials: 8, epochs: 3, maxAttempts: 1))
        try h.hello("good")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.9, epochs: 3)
        _ = h.take("good")
        try h.hello("flaky")
        for _ in 1...(WorkerHealth.quarantineAfter + 1) {
            let b = try #require(h.assignment("flaky"), "flaky still gets work")
            _ = try h.report("flaky", b, epoch: 1, value: 0.9)
            try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "RuntimeError: CUDA error", ready: true)), from: "flaky")
        }
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(!warnings.contains { $0.worker == "flaky" }, "\(warnings.map(\.message))")
    }

    /// With no other worker left to re-run its trials, a held-back worker gets work again.
    @Test func aHeldBackWorkerWithNobodyToRerunItsTrialsGetsWorkAgain() throws {
        let h = try CoreHarness(sweep(trials: 8, maxAttempts: 1))
        try h.hello("good")
        try h.hello("bad")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.5)
        let goodNext = try #require(h.assignment("good"))
        for _ in 1...WorkerHealth.quarantineAfter {
            let a = try #require(h.assignment("bad"))
            try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "disk full", ready: true)), from: "bad")
        }
        #expect(h.assignment("bad") == nil)
        try h.deliver(.bye(.init(reason: "done", trial: goodNext.trial, attempt: goodNext.attempt)), from: "good")
        try h.tick()
        #expect(h.assignment("bad") != nil, "the only worker left gets work again")
    }

    /// A trial that fails by itself (its training diverged) says
    /// nothing about the worker: no quarantine, however many in a row.
    @Test func trialFaultsDoNotQuarantineTheWorker() throws {
        let h = try CoreHarness(sweep(trials: 8, maxAttempts: 1))
        try h.hello("good")
        try h.hello("unlucky")
        let first = try #require(h.assignment("good"))
        try h.finish("good", first, value: 0.5)
        var failed = 0
        while failed < WorkerHealth.quarantineAfter + 1, let a = h.assignment("unlucky") {
            try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "the program reported a non-finite loss (NaN or infinity) at epoch 2: the training diverged", ready: true, trialFault: true)),
                          from: "unlucky")
            failed += 1
        }
        #expect(failed == WorkerHealth.quarantineAfter + 1)
        let row = try #require(try h.store.read { try $0.workers(studyID: h.core.study.id) }.first { $0.worker == "unlucky" })
        #expect(row.quarantinedAt == nil)
        #expect(h.assignment("unlucky") != nil, "the worker still gets trials")
        // The failed trials stay failed: max_attempts 1 and no forgiveness.
        #expect(try h.trials().filter { $0.state == .fail }.count == failed)
    }

    @Test func theQuarantineMessageNamesTheLastError() throws {
        let h = try CoreHarness(sweep(trials: 8, maxAttempts: 1))
        try h.hello("good")
        let g = try #require(h.assignment("good"))
        try h.finish("good", g, value: 0.5)
        try h.hello("bad")
        var messages: [CoordinatorMessage] = []
        for _ in 1...WorkerHealth.quarantineAfter {
            let m = h.take("bad")
            messages += m
            guard let a = m.compactMap({ if case .assign(let a) = $0 { return a } else { return nil } }).first else { break }
            try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "disk full", ready: true)), from: "bad")
        }
        messages += h.take("bad")
        #expect(!messages.contains { if case .quarantine = $0 { return true }; return false }, "held back first: \(messages)")
        // A trial that failed on it reports an epoch on the good worker: quarantined.
        let current = try #require(h.assignment("good"))
        try h.finish("good", current, value: 0.5)
        let rerun = try #require(h.assignment("good"))
        _ = try h.report("good", rerun, epoch: 1, value: 0.5)
        let reason = h.take("bad").compactMap { if case .quarantine(let r) = $0 { return r } else { return nil } }.first
        #expect(reason?.contains("disk full") == true, "\(String(describing: reason))")
    }

    @Test func whenEveryWorkerFailsNobodyIsQuarantined() throws {
        let h = try CoreHarness(sweep(trials: 8, maxAttempts: 1))
        try h.hello("a")
        try h.hello("b")
        for _ in 1...4 {
            for w in ["a", "b"] {
                guard let t = h.assignment(w) else { continue }
                try h.deliver(.failure(.init(trial: t.trial, attempt: t.attempt, error: "bad trial", ready: true)), from: w)
            }
        }
        #expect(h.core.counters.quarantined == 0)
        #expect(try h.trials().allSatisfy { $0.state == .fail || $0.state == .running })
    }
}

@Suite struct StudyDefinitionTests {
    @Test func aStoredStudyWhoseColumnsDisagreeWithItsFileIsRefused() throws {
        let h = try CoreHarness(sweep(trials: 2))
        let record = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(try SweepDefinition.stored(record).space == h.core.definition.space)
        try h.store.database.write { db in try db.execute(sql: "UPDATE studies SET metric = 'loss', max_attempts = 7") }
        let edited = try h.store.read { try $0.requireStudy(named: "core") }
        #expect {
            _ = try SweepDefinition.stored(edited)
        } throws: { error in
            "\(error)".contains("disagree") && "\(error)".contains("retry.max_attempts 3 against 7")
        }
    }

    /// A study begun when an objective's direction was guessed otherwise from its name
    /// (`perplexity` was maximized) resumes with the direction it began with, not the
    /// guess of today (it was refused: "stored settings disagree (objective ...)").
    @Test func aStoredStudyKeepsTheDirectionItBeganWithWhenItsFileStatesNone() throws {
        let h = try CoreHarness("""
            study: core
            objective: {metric: perplexity, direction: maximize}
            command: [sh, t.sh]
            parameters:
              lr: {uniform: [0, 1]}
            budget: {trials: 2, max_epochs: 1}
            """)
        try h.store.database.write { db in
            try db.execute(sql: "UPDATE studies SET sweep_file = replace(sweep_file, '{metric: perplexity, direction: maximize}', 'perplexity')")
        }
        let record = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(record.definition.sweepFile.contains("objective: perplexity\n"))
        let stored = try SweepDefinition.stored(record)
        #expect(stored.objective.direction == .maximize && !stored.objective.directionStated)
    }

    /// A study begun before plain values were read as both YAML versions agree (`tRuE` in a
    /// choice was a flag then, text now) resumes with the reading it began with (it was
    /// refused: "stored settings disagree (search space)"); one begun now keeps today's.
    @Test func aStudyBegunWithTheOldScalarReadingResumesWithIt() throws {
        let text = """
            study: core
            objective: {metric: loss, direction: minimize}
            command: [sh, t.sh]
            parameters:
              d: {choice: [tRuE, x]}
            budget: {trials: 2, max_epochs: 1}
            """
        let h = try CoreHarness(text)
        let now = try SweepDefinition.stored(try h.store.read { try $0.requireStudy(named: "core") })
        #expect(now.space.parameter(named: "d")?.distribution == .categorical([.string("tRuE"), .string("x")]))
        let old = try SweepDefinition.parseStored(text: text, file: nil, scalars: .yams)
        try h.store.database.write { db in try db.execute(sql: "UPDATE studies SET space = ?", arguments: [try JSONText.encodeSpace(old.space)]) }
        let resumed = try SweepDefinition.stored(try h.store.read { try $0.requireStudy(named: "core") })
        #expect(resumed.space.parameter(named: "d")?.distribution == .categorical([.bool(true), .string("x")]))
    }

    /// A whole float choice (`subsample: [0.5, 1.0]`) is stored as a float and the study
    /// resumes; a database that stored it as an int (before 2026-12-05) resumes too, with the
    /// sweep file's floats (it was refused: "stored settings disagree (search space)").
    @Test func aStudyWithWholeFloatChoicesResumesFromNewAndOldDatabases() throws {
        let h = try CoreHarness("""
            study: core
            objective: {metric: loss, direction: minimize}
            command: [sh, t.sh]
            parameters:
              subsample: {choice: [0.5, 1.0, [2.0, 3]]}
              tail: {uniform: [0, 1], when: {subsample: [1.0]}}
            budget: {trials: 2, max_epochs: 1}
            """)
        let record = try h.store.read { try $0.requireStudy(named: "core") }
        let subsample = try #require(record.definition.space.parameter(named: "subsample"))
        #expect(subsample.distribution == .categorical([.double(0.5), .double(1.0), .list([.double(2.0), .int(3)])]))
        #expect(record.definition.space.parameter(named: "tail")?.condition?.values == [.double(1.0)])
        #expect(try SweepDefinition.stored(record).space == h.core.definition.space)
        let text = try h.store.database.read { db in try String.fetchOne(db, sql: "SELECT space FROM studies") } ?? ""
        #expect(text.contains("[0.5,1.0,[2.0,3]]") && text.contains("\"values\":[1.0]"), "\(text)")
        // As Foundation's encoder wrote it before.
        let old = text.replacingOccurrences(of: "[0.5,1.0,[2.0,3]]", with: "[0.5,1,[2,3]]").replacingOccurrences(of: "\"values\":[1.0]", with: "\"values\":[1]")
        try h.store.database.write { db in try db.execute(sql: "UPDATE studies SET space = ?", arguments: [old]) }
        let older = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(try SweepDefinition.stored(older).space == h.core.definition.space)
    }

    /// A condition written as an int on a float parent (`when: {rate: 1}` on a stepped range)
    /// is read as the float the parent draws; a database that stored it as written (before
    /// 2026-12-07) resumes, also beside whole float choices stored as floats.
    @Test func aStudyWhoseConditionsWereStoredAsWrittenResumes() throws {
        let h = try CoreHarness("""
            study: core
            objective: {metric: loss, direction: minimize}
            command: [sh, t.sh]
            parameters:
              rate: {uniform: [0, 2], step: 0.5}
              decay: {choice: [0.0, 1.0]}
              tail: {uniform: [0, 1], when: {rate: [1]}}
            budget: {trials: 2, max_epochs: 1}
            """)
        let record = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(record.definition.space.parameter(named: "tail")?.condition?.values == [.double(1.0)])
        let text = try h.store.database.read { db in try String.fetchOne(db, sql: "SELECT space FROM studies") } ?? ""
        #expect(text.contains("\"values\":[1.0]") && text.contains("[0.0,1.0]"), "\(text)")
        // As the condition was stored before: the int as written.
        let old = text.replacingOccurrences(of: "\"values\":[1.0]", with: "\"values\":[1]")
        try h.store.database.write { db in try db.execute(sql: "UPDATE studies SET space = ?", arguments: [old]) }
        let older = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(try SweepDefinition.stored(older).space == h.core.definition.space)
    }

    /// A W&B study keeps the epoch cap it began with (100 before W&B files became uncapped),
    /// so a study created by an earlier version resumes; other disagreements still refuse.
    @Test func aStoredWandBStudyKeepsItsRecordedEpochCap() throws {
        let h = try CoreHarness("""
            program: train.py
            method: random
            metric: {name: loss}
            run_cap: 3
            parameters:
              lr: {min: 0.1, max: 1.0}
            """)
        let record = try h.store.read { try $0.requireStudy(named: h.core.study.name) }
        #expect(try SweepDefinition.stored(record).maxEpochs == WandBSweep.uncappedEpochs)
        try h.store.database.write { db in try db.execute(sql: "UPDATE studies SET max_epochs = 100") }
        let older = try h.store.read { try $0.requireStudy(named: h.core.study.name) }
        #expect(try SweepDefinition.stored(older).maxEpochs == 100)
        try h.store.database.write { db in try db.execute(sql: "UPDATE studies SET max_attempts = 7") }
        let edited = try h.store.read { try $0.requireStudy(named: h.core.study.name) }
        #expect {
            _ = try SweepDefinition.stored(edited)
        } throws: { error in
            "\(error)".contains("retry.max_attempts 3 against 7") && "\(error)".contains("reads its W&B sweep file differently")
        }
    }

    /// A W&B study an earlier Sweep started with a constant dict (read as dotted leaves, not
    /// recorded) or a grid over q_uniform (a rounded range) resumes, read as it was then,
    /// dotted arguments included (it was refused: "stored settings disagree (search space)").
    @Test func aWandBStudyStartedBeforeTheNewReadingResumesAsItWasRead() throws {
        let text = """
            program: train.py
            method: grid
            metric: {name: loss}
            parameters:
              n: {distribution: q_uniform, min: 1, max: 30, q: 8}
              opt: {value: {name: adam, beta: 0.9}}
              model: {parameters: {width: {values: [16, 32]}}}
            """
        let h = try CoreHarness(text)
        let current = try h.store.read { try $0.requireStudy(named: h.core.study.name) }
        #expect(try SweepDefinition.stored(current).space.parameters.map(\.name) == ["n", "opt", "model.width"])
        // The space an earlier version stored.
        let older = try SweepDefinition.parseStored(text: text, file: nil, reading: .before20261206)
        #expect(older.space.parameters.map(\.name) == ["n", "model.width"] && older.space.parameter(named: "n")?.distribution == .int(low: 0, high: 32, step: 8))
        try h.store.database.write { db in try db.execute(sql: "UPDATE studies SET space = ?", arguments: [try JSONText.encodeSpace(older.space)]) }
        let record = try h.store.read { try $0.requireStudy(named: h.core.study.name) }
        let resumed = try SweepDefinition.stored(record)
        #expect(resumed.space == older.space)
        guard case .command(let task) = try resumed.spec(for: ["n": .int(8), "model.width": .int(16)], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.argumentStyle == nil && task.passedArguments.map(\.name) == ["n", "opt.name", "opt.beta", "model.width"])
    }

    @Test func theGridCapIsComputedOnceForCreateAndAddTrials() throws {
        let text = """
        study: grid
        synthetic:
          function: sphere
          inputs: {x: {choice: [1, 2, 3]}}
        sampler: {name: grid}
        pruner: {name: none}
        budget: {trials: 10}
        """
        let d = try SweepDefinition.parse(text: text, file: "g.yaml")
        #expect(d.newStudy.budgetTrials == 3)
        #expect(d.cappedBudget(100) == 3)
        #expect(try SweepDefinition.parse(text: sweep(trials: 10), file: "s.yaml").cappedBudget(100) == 100)
    }
}

@Suite struct SweepFileChangeTests {
    @Test func lineDiffNamesChangedLinesInFileOrder() {
        let old = "a\nb\nc\nd"
        let new = "a\nB\nc\nd\ne"
        #expect(LineDiff.changes(from: old, to: new) == ["-2: b", "+2: B", "+5: e"])
        #expect(LineDiff.changes(from: old, to: old).isEmpty)
    }

    @Test func aChangedBudgetCanBeForcedAChangedSpaceCannot() throws {
        let h = try CoreHarness(sweep(trials: 2))
        let record = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(try SweepDefinition.parse(text: sweep(trials: 2), file: "s.yaml").change(from: record) == nil)
        // The same file saved with CRLF line ends is no change (it was one whose diff listed no line).
        #expect(try SweepDefinition.parse(text: sweep(trials: 2).replacingOccurrences(of: "\n", with: "\r\n"), file: "s.yaml").change(from: record) == nil)
        let more = try SweepDefinition.parse(text: sweep(trials: 5), file: "s.yaml")
        let change = try #require(try more.change(from: record))
        #expect(change.unforceable == nil)
        #expect(change.lines == ["-8: budget: {trials: 2}", "+8: budget: {trials: 5}"], "\(change.lines)")
        #expect(change.description.contains("--force"))
        try more.replaceStored(record, in: h.store, changedLines: change.lines, at: 1)
        let updated = try h.store.read { try $0.requireStudy(named: "core") }
        #expect(updated.definition.budgetTrials == 5 && updated.definition.sweepFile == more.text)
        #expect(try SweepDefinition.stored(updated).budget.trials == 5)
        let wider = try SweepDefinition.parse(text: sweep(trials: 5).replacingOccurrences(of: "[-1, 1]", with: "[-3, 3]"), file: "s.yaml")
        #expect(try wider.change(from: updated)?.unforceable == "the search space")
    }
}

@Suite struct BaseModelTests {
    @Test func studyBestMeansTheBestTrialAsModelExportDoes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-best-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let artifacts = ArtifactDirectory(database: dir.appendingPathComponent("x.db").path)
        let store = try SweepStore.inMemory()
        let h = try CoreHarness(sweep(trials: 2), store: store)
        let id = h.core.study.id
        try store.write { tx in
            // Trial 0 kept its model; trial 1 is better (minimize) but kept none.
            let path = try artifacts.save(study: "core", trial: 0, bytes: [7])
            for (n, v) in [(0, 0.5), (1, 0.1)] {
                let row = try tx.insertTrial(studyID: id, number: n, state: .waiting, params: [:], seed: 1, at: 1, leasedTo: "w")
                try tx.finishTrial(trialID: row, attempt: 1, state: .complete, value: v, metrics: nil, at: 2)
            }
            try tx.upsertArtifact(studyID: id, ArtifactRecord(trialNumber: 0, path: path, bytes: 1, value: 0.5, createdAt: 2))
        }
        let keeper = ModelKeeper(directory: artifacts, definition: h.core.definition)
        #expect(try store.write { tx in try keeper.baseModel("study:core/0", tx: tx) } == [7])
        #expect {
            _ = try store.write { tx in try keeper.baseModel("study:core/best", tx: tx) }
        } throws: { error in
            "\(error)".contains("kept no model for trial 1 (its best trial)")
        }
    }
}

/// A worker that says hello again and again hands its trial back each time: it writes one
/// `worker_joined` event a minute (a loop of hellos wrote 29 MB of database in 30 s), and
/// after 5 hellos within a minute it gets no trial for 30 s; then it works again.
@Suite struct HelloChurnTests {
    @Test func aWorkerInAHelloLoopIsHeldBackAndLogsLittle() throws {
        let h = try CoreHarness(sweep(trials: 50, epochs: 2))
        var assigned = 0
        for _ in 0..<12 {
            try h.hello("loop")
            if h.assignment("loop") != nil { assigned += 1 }
            h.now += 0.5
        }
        #expect(assigned == HelloRecords.flappingHellos - 1, "\(assigned)") // the 5th hello starts the hold
        let events = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.workerJoined, .warning]) }
        #expect(events.filter { $0.kind == "worker_joined" }.count == 1, "\(events.map(\.message))")
        #expect(events.filter { $0.message.contains("said hello 5 times within 60 s: it gets no trial for 30 s") }.count == 1, "\(events.map(\.message))")
        let attemptsBefore = try h.trials().reduce(0) { $0 + (try h.attempts($1.number).count) }
        #expect(attemptsBefore <= HelloRecords.flappingHellos, "\(attemptsBefore)")
        // It heartbeats through the hold and gets nothing; after it, a tick lets it work again.
        var heldFor = 0.0
        while h.assignment("loop") == nil && heldFor < 60 {
            h.now += 1
            heldFor += 1
            try h.deliver(.heartbeat, from: "loop")
            try h.tick()
            try h.deliver(.ready, from: "loop")
        }
        #expect(heldFor >= HelloRecords.holdSeconds - 6 && heldFor <= HelloRecords.holdSeconds + 1, "\(heldFor)")
    }
}
