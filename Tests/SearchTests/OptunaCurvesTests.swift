import Foundation
import Testing
@testable import Search

/// Learning curves with NaN values fed to the pruners directly, with the decisions Optuna's
/// pruners take on the same curves; and the pruner rules docs/search.md states, checked
/// against the code. (Tests/ClusterTests/PruningThroughCoreTests feeds the same curves
/// through the coordinator, as workers report them.)
@Suite struct OptunaCurvesTests {
    @Test func medianIgnoresACompletedTrialsNaN() {
        let h = StudyHistory(direction: .minimize)
        h.append(Fixtures.curve(0, [.nan, 1, 1]))
        h.append(Fixtures.curve(1, [1, 1, 1]))
        h.append(Fixtures.curve(2, [2, 2, 2]))
        h.append(Fixtures.curve(3, [5], state: .running))
        let d = MedianPruner(nStartupTrials: 3).decide(trial: 3, step: 1, history: h)
        #expect(d.prune && d.cutoff == 1.5, "\(d.reason)")
    }

    @Test func rungValuesIgnoreNaNAndANaNIsNeverPromoted() {
        let h = StudyHistory(direction: .minimize)
        let asha = SuccessiveHalvingPruner(minResource: 1, reductionFactor: 2, maxSteps: 2)
        h.append(Fixtures.curve(0, [.nan], state: .running))
        let first = asha.decide(trial: 0, step: 1, history: h)
        #expect(first.prune && first.reason.contains("NaN"), "\(first.reason)")
        h.finish(0, state: .pruned, value: nil)
        for (n, v) in [(1, 1.0), (2, 3.0), (3, 2.0)] {
            h.append(Fixtures.curve(n, [v], state: .running))
            let d = asha.decide(trial: n, step: 1, history: h)
            if d.prune { h.finish(n, state: .pruned, value: v) }
        }
        // 1, 3, 2 compete at rung 0 (the NaN does not): 2 is not in the best 1/2 of 3.
        #expect(h.trials.map(\.state) == [.pruned, .running, .pruned, .pruned])
    }

    @Test func thresholdPrunesNaNWithEitherBoundAlone() {
        for (pruner, direction) in [(ThresholdPruner(upper: 5), Direction.maximize), (ThresholdPruner(lower: 0.5), .minimize)] {
            let h = StudyHistory(direction: direction)
            h.append(Fixtures.curve(0, [1, .nan], state: .running))
            #expect(!pruner.decide(trial: 0, step: 1, history: h).prune)
            #expect(pruner.decide(trial: 0, step: 2, history: h).prune)
        }
    }

    @Test func patienceKeepsATrialWithinMinDeltaOfItsBest() {
        // Not better by more than min_delta, but not worse by more either: kept (Optuna).
        let h = StudyHistory(direction: .minimize)
        h.append(Fixtures.curve(0, [1.0, 1.05, 1.05], state: .running))
        let d = PatientPruner(patience: 1, minDelta: 0.1).decide(trial: 0, step: 3, history: h)
        #expect(!d.prune, "\(d.reason)")
        #expect(PatientPruner(patience: 1, minDelta: 0.01).decide(trial: 0, step: 3, history: h).prune)
    }

    static func searchDoc() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/search.md"), encoding: .utf8)
    }

    @Test func docsStateTheRungEpochsTheCodeUses() throws {
        let doc = try Self.searchDoc().replacingOccurrences(of: "\n", with: " ")
        let pattern = #/with `min_resource: (\d+)`, `reduction_factor: (\d+)` and (\d+) epochs, rungs end at epochs ([\d, and]+)\./#
        let match = try #require(doc.firstMatch(of: pattern), "docs/search.md gives no rung example")
        let pruner = SuccessiveHalvingPruner(minResource: Int(match.1)!, reductionFactor: Int(match.2)!, maxSteps: Int(match.3)!)
        let stated = match.4.split(whereSeparator: { !$0.isNumber }).map { Int($0)! }
        #expect(stated == pruner.promotionSteps)
    }

    @Test func docsStatePatienceAsTheCodeDecides() throws {
        let doc = try Self.searchDoc().replacingOccurrences(of: "\n", with: " ")
        #expect(doc.contains("the best of the last `patience + 1` is worse than the best before them by more than `min_delta`"))
        #expect(!doc.contains("not better than the best before them"))
    }

    @Test func docsSayPrunersDecideAtTheLastEpoch() throws {
        let doc = try Self.searchDoc()
        #expect(doc.contains("**Pruners decide at every epoch, the last one included**"))
    }
}
