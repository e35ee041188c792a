import Testing
@testable import Search

@Suite struct WandBHyperbandTests {
    /// W&B's own example (hyperband_stopping.py's docstring) under its current rules: max_iter
    /// 5, eta 2, s 2 gives bands [1, 2]; the threshold at band 2 is 8 (the 2nd values 9, 10,
    /// 8, 7, 6); b (10, 10) stops, c (10, 8, 8) and d (10, 7, 7) go on.
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
        #expect(b.prune && b.cutoff == 8 && b.rung == 1, "\(b.reason)")
        #expect(b.reason == "its value at band 2, 10.0, is worse than the threshold 8.0 at band 2 (5 trials, eta 2)", "\(b.reason)")
        #expect(!pruner.decide(trial: 2, step: 3, history: h).prune, "8 is not worse than 8")
        #expect(!pruner.decide(trial: 3, step: 3, history: h).prune)
        let first = pruner.decide(trial: 3, step: 1, history: h)
        #expect(!first.prune && first.cutoff == 10, "band 1 applies at the first value: \(first.reason)")
    }

    /// strict (W&B's default) judges the value at the band; without it, the best so far.
    @Test func strictJudgesTheValueAtTheBandAndLenientTheBestSoFar() {
        let h = StudyHistory(direction: .minimize)
        h.append(Fixtures.curve(0, [1, 1, 1]))
        h.append(Fixtures.curve(1, [1, 1, 5], state: .running))
        // Threshold at band 3: the 3rd values [1, 5], index int(2 / 2) = 1: 5 (eta 2).
        // With eta 3: index int(2 / 3) = 0: 1.
        let strict = WandBHyperbandPruner(bands: [3], eta: 3)
        #expect(strict.decide(trial: 1, step: 3, history: h).prune, "5 at band 3 is worse than 1")
        let lenient = WandBHyperbandPruner(bands: [3], eta: 3, strict: false)
        #expect(!lenient.decide(trial: 1, step: 3, history: h).prune, "its best so far, 1, is not")
    }

    /// Maximized objectives are negated, as W&B does.
    @Test func aMaximizedObjectiveKeepsTheBest() {
        let pruner = WandBHyperbandPruner(bands: [1], eta: 3)
        let h = StudyHistory(direction: .maximize)
        for (n, v) in [0.9, 0.8, 0.7, 0.6, 0.5, 0.4].enumerated() { h.append(Fixtures.curve(n, [v], state: .running)) }
        // Threshold: sorted negated values [-0.9 ... -0.4], index int(6 / 3) = 2: 0.7.
        #expect(!pruner.decide(trial: 2, step: 1, history: h).prune)
        let d = pruner.decide(trial: 3, step: 1, history: h)
        #expect(d.prune && d.cutoff == 0.7, "\(d.reason)")
    }

    @Test func bandsFollowWandBsArithmetic() {
        #expect(WandBHyperbandPruner.Config.bands(maxIter: 50, s: 2, eta: 3) == [5, 16])
        #expect(WandBHyperbandPruner.Config.bands(maxIter: 100, s: 3, eta: 3) == [3, 11, 33])
        #expect(WandBHyperbandPruner.Config.bands(maxIter: 2, s: 3, eta: 3).isEmpty)
        #expect(WandBHyperbandPruner.Config.bands(minIter: 2, eta: 3, upTo: 100) == [2, 6, 18, 54])
        #expect(WandBHyperbandPruner.Config.bands(minIter: 3, eta: 1.5, upTo: 12) == [3, 4, 6, 10])
    }
}
