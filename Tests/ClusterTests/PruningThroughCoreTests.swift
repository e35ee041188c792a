import Foundation
import Search
import Store
import Testing
@testable import Cluster

/// The curves of issue #15 (pruners), fed through the coordinator as workers report them,
/// with the decisions Optuna's pruners take on the same curves (steps: epoch - 1).
@Suite struct PruningThroughCoreTests {
    /// A sweep of `trials` synthetic trials of `epochs` epochs with `pruner`.
    static func sweep(trials: Int, epochs: Int, pruner: String, direction: String = "minimize") -> String {
        """
        study: pruning
        synthetic:
          function: sphere
          epochs: \(epochs)
          inputs: {x: {uniform: [-1, 1]}}
        objective: {metric: value, direction: \(direction)}
        sampler: {name: random, seed: 5}
        pruner: \(pruner)
        budget: {trials: \(trials)}
        """
    }

    /// Runs the next trial on worker `w` the way a worker does: reports `curve` epoch by epoch
    /// (nil is a non-finite value, which a worker sends as no value), stops at a prune, and
    /// finishes after the last epoch. Returns each epoch's decision.
    @discardableResult
    static func run(_ h: CoreHarness, _ w: String, _ curve: [Double?]) throws -> [CoordinatorMessage.Decision] {
        let a = try #require(h.assignment(w), "no trial assigned to \(w)")
        var decisions: [CoordinatorMessage.Decision] = []
        var last: Double?
        for (i, v) in curve.enumerated() {
            last = v ?? last
            try h.deliver(.report(.init(trial: a.trial, attempt: a.attempt, epoch: i + 1, value: v, metrics: v.map { ["value": $0] } ?? [:])), from: w)
            let d = try #require(h.take(w).compactMap { m -> CoordinatorMessage.Decision? in
                if case .decision(let d) = m { return d }
                return nil
            }.first, "no decision for epoch \(i + 1)")
            decisions.append(d)
            if d.prune { break }
        }
        // After its last epoch a worker sends its result without waiting for the decision.
        let pruned = decisions.last?.prune == true && decisions.count < curve.count
        try h.deliver(.result(.init(trial: a.trial, attempt: a.attempt, state: pruned ? .pruned : .complete, value: last ?? 0,
                                    metrics: ["value": last ?? 0], epochs: decisions.count, ready: true)), from: w)
        return decisions
    }

    static func start(_ sweep: String) throws -> CoreHarness {
        let h = try CoreHarness(sweep)
        try h.hello("w1")
        return h
    }

    // Issue #15 item 1: other trials' NaN values are ignored, not counted as the worst.

    @Test func medianIgnoresOtherTrialsNaN() throws {
        let h = try Self.start(Self.sweep(trials: 4, epochs: 3, pruner: "{name: median, n_startup_trials: 3}"))
        try Self.run(h, "w1", [nil, 1, 1])
        try Self.run(h, "w1", [1, 1, 1])
        try Self.run(h, "w1", [2, 2, 2])
        let d = try Self.run(h, "w1", [5, 5, 5])
        // Optuna: nanpercentile([1, 2], 50) = 1.5 at step 0, and 5 > 1.5.
        #expect(d.count == 1 && d[0].prune, "\(d)")
        #expect(d.first?.reason.contains("median 1.5 of 3 completed trials at step 1") == true, "\(d)")
    }

    @Test func percentileCutoffIgnoresOtherTrialsNaN() throws {
        let h = try Self.start(Self.sweep(trials: 4, epochs: 2, pruner: "{name: percentile, percentile: 25, n_startup_trials: 3}"))
        try Self.run(h, "w1", [nil, 1])
        try Self.run(h, "w1", [1, 1])
        try Self.run(h, "w1", [3, 3])
        // nanpercentile([1, 3], 25) = 1.5 (with the NaN as +inf it was 2).
        let d = try Self.run(h, "w1", [1.8, 1.8])
        #expect(d.first?.prune == true, "\(d)")
        #expect(d.first?.reason.contains("25th percentile 1.5") == true, "\(d)")
    }

    @Test(arguments: ["{name: asha, min_resource: 1, reduction_factor: 2}",
                      "{name: hyperband, min_resource: 1, max_resource: 1, reduction_factor: 2}"])
    func rungCutoffIgnoresOtherTrialsNaN(pruner: String) throws {
        let h = try Self.start(Self.sweep(trials: 4, epochs: 2, pruner: pruner))
        try Self.run(h, "w1", [nil, 1])
        try Self.run(h, "w1", [1, 1])
        try Self.run(h, "w1", [3, 3])
        // At rung 0 (epoch 1) compete 1, 3 and 2: the best 1/2 of 3 is the best one, 1.
        // A NaN counted as +inf made 4 values, the best 2 of them, and promoted 2.
        let d = try Self.run(h, "w1", [2, 2])
        #expect(d.first?.prune == true, "\(d)")
        #expect(d.first?.reason.contains("of the 3 trials at rung 0 (cut-off 1.0)") == true, "\(d)")
    }

    // Issue #15 item 2: a NaN at a rung is pruned, even as the first trial there.

    @Test(arguments: ["{name: asha, min_resource: 1, reduction_factor: 3}",
                      "{name: hyperband, min_resource: 1, max_resource: 1}"])
    func nanAtARungIsPrunedEvenWhenFirst(pruner: String) throws {
        let h = try Self.start(Self.sweep(trials: 1, epochs: 3, pruner: pruner))
        let d = try Self.run(h, "w1", [nil, 1, 1])
        #expect(d.count == 1 && d[0].prune, "\(d)")
        #expect(d.first?.reason.contains("is NaN") == true, "\(d)")
        #expect(try h.trials().map(\.state) == [.pruned])
    }

    // Issue #15 item 3: threshold prunes NaN with only the good-side bound set.

    @Test(arguments: [("{name: threshold, upper: 5.0}", "maximize"), ("{name: threshold, lower: 0.5}", "minimize")])
    func thresholdPrunesNaNWithOnlyTheGoodSideBound(pruner: String, direction: String) throws {
        let h = try Self.start(Self.sweep(trials: 1, epochs: 3, pruner: pruner, direction: direction))
        let d = try Self.run(h, "w1", [1, nil, 1])
        #expect(d.count == 2 && !d[0].prune && d[1].prune, "\(d)")
        #expect(d.last?.reason == "the value at step 2 is NaN")
    }

    // Issue #15 item 4: pruners prune at the last epoch too, as Optuna's do.

    @Test func prunesAtTheLastEpochLikeOptuna() throws {
        let h = try Self.start(Self.sweep(trials: 3, epochs: 3, pruner: "{name: median, n_startup_trials: 1}"))
        try Self.run(h, "w1", [3, 2, 1])
        // Not worse than the median until the last epoch: 1.5 > 1 there.
        let d = try Self.run(h, "w1", [3, 2, 1.5])
        #expect(d.map(\.prune) == [false, false, true], "\(d)")
        #expect(try h.trials().prefix(2).map(\.state) == [.complete, .pruned])
        // The pruned trial is not a completed one: the median at epoch 3 stays 1 (with it
        // COMPLETE, it would be 1.25 and 1.2 would not be pruned).
        let e = try Self.run(h, "w1", [3, 2, 1.2])
        #expect(e.map(\.prune) == [false, false, true], "\(e)")
        #expect(try h.trials().map(\.state) == [.complete, .pruned, .pruned])
        #expect(h.core.finished)
    }

    @Test func aResumedStudyKeepsNaNReportsAsNaN() throws {
        // A NaN is stored as no value; rebuilt from the store it must still count as a NaN
        // report (for n_min_trials and for the trial's own all-NaN check), not vanish.
        let h = try Self.start(Self.sweep(trials: 3, epochs: 2, pruner: "{name: median, n_startup_trials: 1, n_min_trials: 2}"))
        try Self.run(h, "w1", [nil, 1])
        try Self.run(h, "w1", [2, 2])
        try h.restart()
        // Trial 2 was leased before the restart: once its grace period is over it is re-queued.
        h.now += 60
        try h.tick()
        try h.hello("w1")
        // Two completed trials reported epoch 1 (one of them NaN): n_min_trials holds, and
        // 3 is worse than the median of the non-NaN values, 2.
        let d = try Self.run(h, "w1", [3, 3])
        #expect(d.first?.prune == true, "\(d)")
    }
}
