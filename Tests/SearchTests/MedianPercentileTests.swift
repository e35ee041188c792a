import Testing
@testable import Search

@Suite struct MedianPercentileTests {
    /// Five finished curves whose step-3 values are 1...5: the median at step 3 is 3.
    static func fiveCurves(direction: Direction = .minimize) -> StudyHistory {
        let h = StudyHistory(direction: direction)
        for n in 0..<5 {
            let v = Double(n + 1)
            h.append(Fixtures.curve(n, [v + 2, v + 1, v, v]))
        }
        return h
    }

    @Test func medianWithFiveFinishedCurves() {
        let h = Self.fiveCurves()
        h.append(Fixtures.curve(5, [9, 6, 3.5], state: .running))
        let d = MedianPruner().decide(trial: 5, step: 3, history: h)
        #expect(d.prune)
        #expect(d.cutoff == 3)
        #expect(d.reason.contains("median 3.0"), "\(d.reason)")

        h.append(Fixtures.curve(6, [9, 6, 2.5], state: .running))
        let keep = MedianPruner().decide(trial: 6, step: 3, history: h)
        #expect(!keep.prune)
        #expect(keep.cutoff == 3)
    }

    @Test func comparesTheBestValueSoFar() {
        // A trial that was good earlier is judged by its best value (Optuna's behaviour).
        let h = Self.fiveCurves()
        h.append(Fixtures.curve(5, [1, 1, 3.5], state: .running))
        #expect(!MedianPruner().decide(trial: 5, step: 3, history: h).prune)
    }

    @Test func waitsForFiveCompletedTrials() {
        let h = StudyHistory(direction: .minimize)
        for n in 0..<4 { h.append(Fixtures.curve(n, [1, 1, 1])) }
        h.append(Fixtures.curve(4, [9, 9, 9], state: .pruned))
        h.append(Fixtures.curve(5, [100, 100, 100], state: .running))
        let d = MedianPruner().decide(trial: 5, step: 3, history: h)
        #expect(!d.prune)
        #expect(d.reason.contains("4 trials completed"), "\(d.reason)")
        h.finish(4, state: .complete, value: 9)
        #expect(MedianPruner().decide(trial: 5, step: 3, history: h).prune)
    }

    @Test func maximizeUsesTheUpperPercentile() {
        let h = Self.fiveCurves(direction: .maximize)
        h.append(Fixtures.curve(5, [0, 0, 2.5], state: .running))
        #expect(MedianPruner().decide(trial: 5, step: 3, history: h).prune)
        // The 25th percentile of a maximized objective is taken from the top: 75th = 4.
        let p = PercentilePruner(percentile: 25).decide(trial: 5, step: 3, history: h)
        #expect(p.cutoff == 4)
        #expect(p.prune)
    }

    @Test func percentileInterpolatesLikeNumpy() {
        #expect(linearPercentile([1, 2, 3, 4, 5], 25) == 2)
        #expect(linearPercentile([1, 2, 3, 4], 25) == 1.75)
        #expect(linearPercentile([1, 2, 3, 4], 50) == 2.5)
        #expect(linearPercentile([7], 90) == 7)
        let h = Self.fiveCurves()
        h.append(Fixtures.curve(5, [9, 9, 2.2], state: .running))
        let d = PercentilePruner(percentile: 25).decide(trial: 5, step: 3, history: h)
        #expect(d.cutoff == 2)
        #expect(d.prune)
        #expect(d.reason.contains("25th percentile"), "\(d.reason)")
    }

    @Test func warmupAndIntervalCountEpochsFromOne() {
        let h = Self.fiveCurves()
        h.append(Fixtures.curve(5, [100, 100, 100, 100], state: .running))
        let warm = MedianPruner(nWarmupSteps: 2)
        #expect(!warm.decide(trial: 5, step: 1, history: h).prune)
        #expect(!warm.decide(trial: 5, step: 2, history: h).prune)
        #expect(warm.decide(trial: 5, step: 3, history: h).prune)
        // Every second epoch: epochs 1, 3, ... (Optuna steps 0, 2, ...).
        let every2 = MedianPruner(intervalSteps: 2)
        #expect(every2.decide(trial: 5, step: 1, history: h).prune)
        let skip = every2.decide(trial: 5, step: 2, history: h)
        #expect(!skip.prune && skip.reason.contains("not a pruning step"), "\(skip.reason)")
        #expect(every2.decide(trial: 5, step: 3, history: h).prune)
    }

    @Test func nanAndMissingSteps() {
        let h = Self.fiveCurves()
        h.append(Fixtures.curve(5, [.nan, .nan, .nan], state: .running))
        let nan = MedianPruner().decide(trial: 5, step: 3, history: h)
        #expect(nan.prune && nan.reason.contains("NaN"))
        // Completed trials that did not report step 6: nothing to compare with.
        h.append(Fixtures.curve(6, [9, 9, 9, 9, 9, 9], state: .running))
        let missing = MedianPruner().decide(trial: 6, step: 6, history: h)
        #expect(!missing.prune && missing.reason.contains("0 completed trials reported step 6"), "\(missing.reason)")
        // NaN values of completed trials are ignored.
        h.append(Fixtures.curve(7, [.nan, .nan, .nan]))
        h.append(Fixtures.curve(8, [0, 0, 3.4], state: .running))
        #expect(!MedianPruner().decide(trial: 8, step: 3, history: h).prune)
        #expect(MedianPruner(nMinTrials: 7).decide(trial: 8, step: 3, history: h).reason.contains("need 7"))
    }

    @Test func nopNeverPrunes() {
        let h = Self.fiveCurves()
        h.append(Fixtures.curve(5, [.nan, 1e9], state: .running))
        #expect(!NopPruner().decide(trial: 5, step: 2, history: h).prune)
    }
}
