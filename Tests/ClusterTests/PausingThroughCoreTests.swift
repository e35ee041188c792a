import Foundation
import Search
import Store
import SweepFile
import Testing
@testable import Cluster

/// Population Based Training and ASHA with promotions through a `CoordinatorCore` on a fake
/// clock, with a file database (checkpoints are kept beside it). The workers say they take
/// assignments ahead, and trials take no time: a study that pauses trials must still give
/// them one at a time (the expected assignments below would not match otherwise).
@Suite struct PausingThroughCoreTests {
    static func training(_ sections: String, epochs: Int = 4) -> String {
        """
        study: core
        data: {dataset: moons, samples: 100}
        model: {hidden: [4]}
        training:
          epochs: \(epochs)
          optimizer: {name: sgd, learning_rate: {loguniform: [0.001, 0.1]}}
        objective: {metric: val_accuracy, direction: maximize}
        sampler: {name: random, seed: 5}
        \(sections)
        """
    }

    static func harness(_ sweep: String) throws -> CoreHarness {
        let dir = NSTemporaryDirectory() + "pausing-core-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let db = dir + "/sweep.db"
        let options = CoordinatorOptions(heartbeatMs: 1000, liveness: 3, orphanGraceSeconds: 10, artifacts: ArtifactDirectory(database: db))
        return try CoreHarness(sweep, store: try SweepStore.open(path: db), options: options)
    }

    /// Reports one epoch with a checkpoint whose bytes name the trial and epoch.
    static func report(_ h: CoreHarness, _ w: String, _ a: CoordinatorMessage.Assign, epoch: Int, value: Double) throws -> CoordinatorMessage.Decision? {
        try h.deliver(.report(.init(trial: a.trial, attempt: a.attempt, epoch: epoch, value: value, metrics: ["val_accuracy": value],
                                    checkpoint: [UInt8(a.trial), UInt8(epoch)])), from: w)
        h.core.removeDroppedArtifacts()
        for m in h.take(w) { if case .decision(let d) = m { return d } }
        return nil
    }

    /// The worker stops after a pause decision: its `result` (pruned, ready) is not recorded.
    static func stopped(_ h: CoreHarness, _ w: String, _ a: CoordinatorMessage.Assign, epochs: Int, value: Double) throws {
        try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .pruned, value: value, metrics: ["val_accuracy": value],
                                    epochs: epochs, ready: true)), from: w)
    }

    /// A new trial's first epoch on w1 under ASHA with promotions: it pauses at the rung's end.
    static func firstRung(_ h: CoreHarness, _ expected: Int, value: Double) throws {
        let a = try #require(h.assignment("w1"))
        #expect(a.trial == expected && a.resume == nil)
        #expect(try report(h, "w1", a, epoch: 1, value: value)?.action == .pause)
        try stopped(h, "w1", a, epochs: 1, value: value)
    }

    @Test func pbtPausesEveryMemberAndTheBottomOneContinuesFromATopMembersCheckpoint() throws {
        let h = try Self.harness(Self.training("""
            scheduler: {name: pbt, population: 4, perturbation_interval: 2, mutations: [optimizer.learning_rate], resample_probability: 0}
            budget: {trials: 4}
            """))
        try h.hello("w1", capabilities: LeasesAheadTests.capable)
        try h.hello("w2", capabilities: LeasesAheadTests.capable)
        // Scores after epoch 2: member 0 worst, member 1 best.
        let scores = [0: 0.1, 1: 0.9, 2: 0.5, 3: 0.6]
        var first: [Int: CoordinatorMessage.Assign] = [:]
        for round in 0..<2 {
            let a = try #require(h.assignment("w1")), b = try #require(h.assignment("w2"))
            let expected: [Int] = [2 * round, 2 * round + 1]
            #expect([a.trial, b.trial] == expected, "the population fills before anyone continues")
            for (w, x) in [("w1", a), ("w2", b)] {
                first[x.trial] = x
                #expect(x.resume == nil)
                #expect(try Self.report(h, w, x, epoch: 1, value: 0.0)?.action == .continue)
                let d = try #require(try Self.report(h, w, x, epoch: 2, value: scores[x.trial]!))
                #expect(d.action == .pause)
                try Self.stopped(h, w, x, epochs: 2, value: scores[x.trial]!)
            }
        }
        #expect(try h.trials().map(\.state) == [.running, .running, .waiting, .waiting])
        // Member 0 (bottom quarter) is next: it takes member 1's checkpoint and explores its rate.
        let a = try #require(h.assignment("w1"))
        #expect(a.trial == 0 && a.attempt == 2)
        #expect(a.resume == .init(epoch: 2, checkpoint: [1, 2]))
        let rate = try #require(first[1]?.params["optimizer.learning_rate"]?.number)
        let explored = try #require(a.params["optimizer.learning_rate"]?.number)
        #expect([rate * 0.8, rate * 1.2].contains { abs($0 - explored) < 1e-12 })
        let lineage = try h.store.read { try $0.lineage(studyID: h.core.study.id) }
        #expect(lineage.count == 1)
        #expect(lineage.first.map { [$0.member, $0.epoch, $0.source, $0.sourceEpoch] } == [0, 2, 1, 2])
        #expect(lineage.first?.oldParams == first[0]?.params && lineage.first?.params == a.params)
        #expect(try h.trials()[0].params == a.params)
        // The event names the scores that ranked them (as Ray's "Cloning trial 1 (0.9) into 0 (0.1)").
        let exploited = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.exploited]) }.map(\.message)
        #expect(exploited.count == 1 && exploited[0].hasPrefix("trial 0 (\(h.core.metric) 0.1) (epoch 2) continues from trial 1 (\(h.core.metric) 0.9)'s checkpoint of epoch 2"), "\(exploited)")
        // The others continue from their own checkpoints with their own parameters.
        let b = try #require(h.assignment("w2"))
        #expect(b.trial == 1 && b.resume == .init(epoch: 2, checkpoint: [1, 2]) && b.params == first[1]?.params)
        // Epochs 3 and 4 only; the last epoch does not pause; the study ends with 4 members.
        var next: [(String, CoordinatorMessage.Assign)] = [("w1", a), ("w2", b)]
        var done = 0
        while !next.isEmpty {
            let (w, x) = next.removeFirst()
            #expect(x.resume?.epoch == 2)
            #expect(try Self.report(h, w, x, epoch: 3, value: 0.7)?.action == .continue)
            try h.deliver(.result(.init(trial: x.trial, attempt: x.attempt, state: .complete, value: 0.8, metrics: ["val_accuracy": 0.8],
                                        epochs: 4, ready: true)), from: w)
            done += 1
            if let y = h.assignment(w) { next.append((w, y)) }
        }
        #expect(done == 4)
        #expect(h.core.finished)
        #expect(try h.trials().map(\.state) == [.complete, .complete, .complete, .complete])
        // Member 0's curve: its own epochs 1-2, then 3 after continuing from member 1's checkpoint.
        #expect(try h.store.read { q in try q.intermediates(trialID: try q.trials(studyID: h.core.study.id)[0].id) }.map(\.step) == [1, 2, 3])
    }

    /// The member furthest behind continues first, also after it exploited: the exploit's
    /// epoch was kept as its progress for good, so a member that exploited early was always
    /// "furthest behind" and ran to the end while the others waited (12 epochs against 4).
    @Test func pbtContinuesTheMemberFurthestBehindAlsoAfterAnExploit() throws {
        let h = try Self.harness(Self.training("""
            scheduler: {name: pbt, population: 3, perturbation_interval: 1, quantile: 0.34, mutations: [optimizer.learning_rate], resample_probability: 0}
            budget: {trials: 3}
            """, epochs: 6))
        try h.hello("w1", capabilities: LeasesAheadTests.capable)
        var ownLast: [Int: Int] = [:], exploits = 0, finished = 0
        while let a = h.assignment("w1") {
            if let resume = a.resume {
                let waiting = ownLast.filter { $0.key != a.trial && $0.value < 6 }.map(\.value)
                #expect(ownLast[a.trial]! <= waiting.min() ?? .max, "trial \(a.trial) continued at epoch \(ownLast[a.trial]!) while others wait at \(waiting)")
                if resume.epoch != ownLast[a.trial] || resume.checkpoint.first != UInt8(a.trial) { exploits += 1 }
                // The worker is shown at the checkpoint's epoch, not at "ep 0", before it reports.
                try h.tick()
                let row = try h.store.read { try $0.workers(studyID: h.core.study.id) }.first { $0.worker == "w1" }
                #expect(row?.trialNumber == a.trial && row?.epoch == resume.epoch, "\(String(describing: row))")
            }
            let epoch = (a.resume?.epoch ?? 0) + 1
            // Member 0 is the worst after epoch 1 (it exploits there), the best afterwards.
            let value = a.trial == 0 ? (epoch == 1 ? 0 : 0.9) + Double(epoch) * 0.01 : Double(a.trial) * 0.1 + Double(epoch) * 0.01
            let action = try Self.report(h, "w1", a, epoch: epoch, value: value)?.action
            ownLast[a.trial] = epoch
            if epoch == 6 {
                try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: value, metrics: ["val_accuracy": value],
                                            epochs: 6, ready: true)), from: "w1")
                finished += 1
            } else {
                #expect(action == .pause)
                try Self.stopped(h, "w1", a, epochs: epoch, value: value)
            }
        }
        #expect(finished == 3 && exploits >= 2, "\(finished) finished, \(exploits) exploits")
    }

    @Test func pbtDecisionsAreReplayedAfterARestartFromTheSameDatabase() throws {
        func run(restartAfterPauses: Bool) throws -> (Params, [LineageStep]) {
            let h = try Self.harness(Self.training("""
                scheduler: {name: pbt, population: 2, perturbation_interval: 1, quantile: 0.5, mutations: [optimizer.learning_rate]}
                budget: {trials: 2}
                """, epochs: 3))
            try h.hello("w1", capabilities: LeasesAheadTests.capable)
            for (trial, score) in [(0, 0.2), (1, 0.8)] {
                let a = try #require(h.assignment("w1"))
                #expect(a.trial == trial)
                #expect(try Self.report(h, "w1", a, epoch: 1, value: score)?.action == .pause)
                if trial == 1 && restartAfterPauses {
                    // Both members paused, neither decided: the restarted coordinator decides.
                    try h.restart()
                    try h.hello("w1", capabilities: LeasesAheadTests.capable)
                } else {
                    try Self.stopped(h, "w1", a, epochs: 1, value: score)
                }
            }
            let a = try #require(h.assignment("w1"))
            #expect(a.trial == 0 && a.resume == .init(epoch: 1, checkpoint: [1, 1]))
            return (a.params, try h.store.read { try $0.lineage(studyID: h.core.study.id) })
        }
        let (straight, lineage) = try run(restartAfterPauses: false)
        let (resumed, again) = try run(restartAfterPauses: true)
        #expect(straight == resumed)
        #expect(lineage.map(\.params) == again.map(\.params) && lineage.count == 1)
    }

    /// A member that fails after an exploit is retried (`retry_errors`) from the checkpoint
    /// it continued from, with the parameters it explored: starting over, it re-ran epochs
    /// 1-2 with them and overwrote the curve its lineage describes.
    @Test func aMemberRetriedAfterAnErrorContinuesFromItsCheckpoint() throws {
        let h = try Self.harness(Self.training("""
            scheduler: {name: pbt, population: 2, perturbation_interval: 2, mutations: [optimizer.learning_rate], resample_probability: 0, quantile: 0.5}
            budget: {trials: 2}
            retry: {retry_errors: true, max_attempts: 3}
            """))
        try h.hello("w1", capabilities: LeasesAheadTests.capable)
        for (trial, score) in [(0, 0.1), (1, 0.9)] {
            let a = try #require(h.assignment("w1"))
            #expect(a.trial == trial)
            #expect(try Self.report(h, "w1", a, epoch: 1, value: 0)?.action == .continue)
            #expect(try Self.report(h, "w1", a, epoch: 2, value: score)?.action == .pause)
            try Self.stopped(h, "w1", a, epochs: 2, value: score)
        }
        // Member 0 (bottom half) continues from member 1's checkpoint, then fails.
        let a = try #require(h.assignment("w1"))
        #expect(a.trial == 0 && a.resume == .init(epoch: 2, checkpoint: [1, 2]))
        try h.deliver(.failure(.init(trial: 0, attempt: a.attempt, error: "boom", ready: true)), from: "w1")
        h.core.removeDroppedArtifacts()
        var retry = try #require(h.assignment("w1"))
        if retry.trial == 1 {
            // (Member 1 may go first; it continues from its own checkpoint.)
            #expect(retry.resume == .init(epoch: 2, checkpoint: [1, 2]))
            try h.deliver(.result(.init(trial: 1, attempt: retry.attempt, state: .complete, value: 0.9, metrics: ["val_accuracy": 0.9], epochs: 4, ready: true)), from: "w1")
            retry = try #require(h.assignment("w1"))
        }
        #expect(retry.trial == 0 && retry.attempt == a.attempt + 1)
        #expect(retry.resume == .init(epoch: 2, checkpoint: [1, 2]) && retry.params == a.params)
        _ = try Self.report(h, "w1", retry, epoch: 3, value: 0.5)
        // Its curve keeps epochs 1-2 of its first attempt, then 3 of the retry.
        let curve = try h.store.read { q in try q.intermediates(trialID: try q.trials(studyID: h.core.study.id)[0].id) }
        #expect(curve.map(\.step) == [1, 2, 3] && curve.map(\.attempt) == [1, 1, retry.attempt])
    }

    /// A retry after an error continues from the trial's last checkpoint (as Ray Tune
    /// restores a failed trial; it started over from epoch 1), unless two attempts in a row
    /// failed without reporting: the checkpoint they resumed from may be what fails, and the
    /// next retry leaves it out. A rung end's checkpoint (the state the trial paused at) is kept
    /// either way.
    @Test func aRetryContinuesFromTheLastCheckpointUnlessTheAttemptReportedNothing() throws {
        let h = try Self.harness(Self.training("""
            pruner: {name: asha, mode: promotion, min_resource: 2, reduction_factor: 2}
            budget: {trials: 4}
            retry: {retry_errors: true, max_attempts: 5}
            """))
        try h.hello("w1", capabilities: LeasesAheadTests.capable)
        let a = try #require(h.assignment("w1"))
        #expect(try Self.report(h, "w1", a, epoch: 1, value: 0.5)?.action == .continue)
        #expect(h.core.checkpoints.latest(trial: a.trial)?.bytes == [UInt8(a.trial), 1])
        try h.deliver(.failure(.init(trial: a.trial, attempt: a.attempt, error: "killed by signal 9", ready: true)), from: "w1")
        h.core.removeDroppedArtifacts()
        let retry = try #require(h.assignment("w1"))
        #expect(retry.trial == a.trial && retry.resume == .init(epoch: 1, checkpoint: [UInt8(a.trial), 1]), "\(String(describing: retry.resume))")
        // It fails before a report: once is no evidence (a broken host does so too); twice
        // in a row, the checkpoint it resumed from goes.
        try h.deliver(.failure(.init(trial: a.trial, attempt: retry.attempt, error: "boom on load", ready: true)), from: "w1")
        h.core.removeDroppedArtifacts()
        let again = try #require(h.assignment("w1"))
        #expect(again.trial == a.trial && again.resume?.epoch == 1)
        try h.deliver(.failure(.init(trial: a.trial, attempt: again.attempt, error: "boom on load", ready: true)), from: "w1")
        h.core.removeDroppedArtifacts()
        #expect(h.core.checkpoints.latest(trial: a.trial) == nil, "the checkpoint two failed resumes started from was kept")
        let fresh = try #require(h.assignment("w1"))
        #expect(fresh.trial == a.trial && fresh.resume == nil)
        // At the rung's end (epoch 2) it pauses; a failure after that keeps the rung end's.
        #expect(try Self.report(h, "w1", fresh, epoch: 1, value: 0.5)?.action == .continue)
        #expect(try Self.report(h, "w1", fresh, epoch: 2, value: 0.6)?.action == .pause)
        try h.deliver(.failure(.init(trial: fresh.trial, attempt: fresh.attempt, error: "boom after the pause", ready: true)), from: "w1")
        h.core.removeDroppedArtifacts()
        #expect(h.core.checkpoints.latest(trial: a.trial)?.bytes == [UInt8(a.trial), 2])
    }

    @Test func ashaPromotionPausesAtEachRungAndPromotesTheBestFromItsCheckpoint() throws {
        // Rungs end at epochs 1 and 2 (eta 2); trials run to 4.
        let h = try Self.harness(Self.training("""
            pruner: {name: asha, mode: promotion, min_resource: 1, reduction_factor: 2}
            budget: {trials: 4}
            """))
        try h.hello("w1", capabilities: LeasesAheadTests.capable)
        func firstRung(_ expected: Int, value: Double) throws { try Self.firstRung(h, expected, value: value) }
        // One trial at rung 0: nothing to promote (top 1/2 of 1 is nobody), so a new trial.
        try firstRung(0, value: 0.3)
        try firstRung(1, value: 0.6)
        // Two at rung 0: the better (1) is promoted and continues from epoch 1's checkpoint.
        var a = try #require(h.assignment("w1"))
        #expect(a.trial == 1 && a.attempt == 2 && a.resume == .init(epoch: 1, checkpoint: [1, 1]))
        // The rung ends' checkpoints are asked for by name (never skipped for the rate), the
        // others every retry.checkpoint_every (1 by default).
        #expect(a.pauseEpochs == [1, 2] && a.checkpointEvery == 1, "\(a.pauseEpochs) every \(a.checkpointEvery)")
        #expect(try Self.report(h, "w1", a, epoch: 2, value: 0.7)?.action == .pause)
        try Self.stopped(h, "w1", a, epochs: 2, value: 0.7)
        #expect(try h.trials()[1].state == .pruned)
        // Rung 0 now has 3 trials: the top one (2) is paused there and goes up first.
        try firstRung(2, value: 0.9)
        a = try #require(h.assignment("w1"))
        #expect(a.trial == 2 && a.resume?.epoch == 1)
        #expect(try Self.report(h, "w1", a, epoch: 2, value: 0.95)?.action == .pause)
        try Self.stopped(h, "w1", a, epochs: 2, value: 0.95)
        // Rung 1 has 2 trials: the better (2) is promoted to the last epoch.
        a = try #require(h.assignment("w1"))
        #expect(a.trial == 2 && a.resume?.epoch == 2)
        #expect(try Self.report(h, "w1", a, epoch: 3, value: 0.96)?.action == .continue)
        try h.deliver(.result(.init(trial: 2, attempt: a.attempt, state: .complete, value: 0.97, metrics: ["val_accuracy": 0.97], epochs: 4, ready: true)), from: "w1")
        // Trial 0 is not in the top half of rung 0 (1 and 2 are, and went up): the last new trial.
        #expect(!h.core.finished)
        try firstRung(3, value: 0.1)
        // Nothing is promotable any more and the budget is spent: the study ends.
        #expect(h.core.finished)
        #expect(try h.trials().map(\.state) == [.pruned, .pruned, .complete, .pruned])
        let promoted = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.promoted]) }
        #expect(promoted.map(\.trialNumber) == [1, 2, 2])
        #expect(try h.attempts(2).map(\.resumedFromEpoch) == [nil, 1, 2])
        #expect(try h.attempts(2).map(\.outcome) == [.paused, .paused, .complete])
        #expect(try h.attempts(0).map(\.outcome) == [.paused])
        // The paused trials keep their checkpoints after the study ends: a resume with more
        // trials may promote them (they started over, said to continue from them).
        h.core.removeDroppedArtifacts()
        #expect(h.core.checkpoints.latest(trial: 0)?.bytes == [0, 1] && h.core.checkpoints.latest(trial: 3)?.bytes == [3, 1])
    }

    @Test func aTrialPromotedToTheLastEpochIsNeverPrunedThereByTheStoppingRule() throws {
        // Two epochs: the rung ends at epoch 1, promoted trials run to epoch 2, where stopping
        // ASHA would prune the second of two trials. With promotions it completes.
        let h = try Self.harness(Self.training("""
            pruner: {name: asha, mode: promotion, min_resource: 1, reduction_factor: 2}
            budget: {trials: 4}
            """, epochs: 2))
        try h.hello("w1", capabilities: LeasesAheadTests.capable)
        func firstRung(_ expected: Int, value: Double) throws { try Self.firstRung(h, expected, value: value) }
        func lastEpoch(_ expected: Int, value: Double) throws {
            let a = try #require(h.assignment("w1"))
            #expect(a.trial == expected && a.resume?.epoch == 1)
            #expect(try Self.report(h, "w1", a, epoch: 2, value: value)?.action == .continue)
            try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: value,
                                        metrics: ["val_accuracy": value], epochs: 2, ready: true)), from: "w1")
        }
        try firstRung(0, value: 0.3)
        try firstRung(1, value: 0.6)
        try lastEpoch(1, value: 0.9)          // top 1 of 2 at the rung
        try firstRung(2, value: 0.8)
        try lastEpoch(2, value: 0.1)          // top 1 of 3 now; worse at epoch 2 than trial 1
        try firstRung(3, value: 0.5)          // not in the top 2 of 4: nothing left to promote
        #expect(h.core.finished)
        #expect(try h.trials().map(\.state) == [.pruned, .complete, .complete, .pruned])
    }
}
