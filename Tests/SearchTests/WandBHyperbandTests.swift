import Testing
@testable import Search

@Suite struct WandBHyperbandTests {
    /// W&B's own example (hyperband_stopping.py's docstring): max_iter 5, eta 2, s 2 gives
    /// bands [1, 2]; b (10, 10) stops at band 1, c (10, 8, 8) passes band 1 and stops at
    /// band 2, d (10, 7, 7) goes on.
    @Test func decidesAsWandBsControllerOnItsOwnExample() {
        let bands = WandBHyperbandPruner.Config.bands(maxIter: 5, s: 2, eta: 2)
        #expect(bands == [1, 2])
        let pruner = WandBHyperbandPruner(bands: bands, eta: 2)
        let h = StudyHistory(direction: .minimize)
        h.append(Fixtures.curve(0, [10, 9]))
        h.append(Fixtures.curve(1, [10, 10], state: .running))
        h.append(Fixtures.curve(2, [10, 8, 8], state: .running))
        h.append(Fixtures.curve(3, [10, 7, 7], state: .running))
        h.append(Fixtures.curve(4, [10, 6, 6]))
        let b = pruner.decide(trial: 1, step: 2, history: h)
        #expect(b.prune && b.cutoff == 8, "\(b.reason)")
        let cEarlier = pruner.decide(trial: 2, step: 2, history: h)
        #expect(!cEarlier.prune, "within band 1's threshold 8: \(cEarlier.reason)")
        let c = pruner.decide(trial: 2, step: 3, history: h)
        #expect(c.prune && c.cutoff == 7 && c.rung == 1, "\(c.reason)")
        #expect(c.reason == "the best value so far, 8.0, is worse than the threshold 7.0 at band 2 (step 3, 3 trials, eta 2)", "\(c.reason)")
        #expect(!pruner.decide(trial: 3, step: 3, history: h).prune)
        #expect(!pruner.decide(trial: 3, step: 1, history: h).prune, "no band passed at the first value")
    }

    /// Maximized objectives are negated, as W&B does; a trial is judged by its best so far.
    @Test func aMaximizedObjectiveKeepsTheBestAndJudgesTheBestSoFar() {
        let pruner = WandBHyperbandPruner(bands: [0], eta: 3)
        let h = StudyHistory(direction: .maximize)
        for (n, v) in [0.9, 0.8, 0.7, 0.6, 0.5, 0.4].enumerated() { h.append(Fixtures.curve(n, [v], state: .running)) }
        // Threshold: sorted negated values [-0.9 ... -0.4], index int(6 / 3) = 2: 0.7.
        #expect(!pruner.decide(trial: 2, step: 1, history: h).prune)
        let d = pruner.decide(trial: 3, step: 1, history: h)
        #expect(d.prune && d.cutoff == 0.7, "\(d.reason)")
        // A later value does not rescue it unless its best so far clears the threshold.
        h.report(3, step: 2, value: 0.65)
        #expect(pruner.decide(trial: 3, step: 2, history: h).prune)
        h.report(3, step: 3, value: 0.75)
        #expect(!pruner.decide(trial: 3, step: 3, history: h).prune)
    }

    @Test func bandsFollowWandBsArithmetic() {
        #expect(WandBHyperbandPruner.Config.bands(maxIter: 50, s: 2, eta: 3) == [5, 16])
        #expect(WandBHyperbandPruner.Config.bands(maxIter: 100, s: 3, eta: 3) == [3, 11, 33])
        #expect(WandBHyperbandPruner.Config.bands(maxIter: 2, s: 3, eta: 3).isEmpty)
        #expect(WandBHyperbandPruner.Config.bands(minIter: 2, eta: 3, upTo: 100) == [2, 6, 18, 54])
        #expect(WandBHyperbandPruner.Config.bands(minIter: 3, eta: 1.5, upTo: 12) == [3, 4, 6, 10])
    }
}
