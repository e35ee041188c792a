import Randomness
import Testing
@testable import Search

@Suite struct HistoryTests {
    @Test func changeStampsListWhatChanged() {
        let h = StudyHistory(direction: .minimize, trials: [Fixtures.curve(0, [1])])
        #expect(h.trialsChanged(since: 0).isEmpty)
        h.append(TrialSnapshot(number: 1, state: .running, params: [:]))
        h.append(TrialSnapshot(number: 2, state: .running, params: [:]))
        let v = h.version
        h.report(1, step: 1, value: 0.5)
        #expect(h.trialsChanged(since: v) == [1])
        h.finish(0, state: .complete, value: 1)
        #expect(h.trialsChanged(since: v) == [0, 1])
        #expect(h.trialsChanged(since: 0) == [0, 1, 2])
        #expect(h.lastChange(of: 0) == h.version)
    }

    @Test func cursorAsksForARebuildOnAnotherHistory() {
        var cursor = HistoryCursor()
        let a = StudyHistory(direction: .minimize)
        #expect(cursor.changes(in: a) == nil)
        a.append(TrialSnapshot(number: 0, state: .running, params: [:]))
        #expect(cursor.changes(in: a) == [0])
        #expect(cursor.changes(in: a) == [])
        #expect(cursor.changes(in: Fixtures.rebuilt(a)) == nil)
    }

    /// The best value so far and the step before, kept as reports come, agree with the
    /// curve's own at every step, whatever order the reports come in: in order, repeated
    /// (overwriting), earlier, NaN, after a cut, and in a history rebuilt with its curves.
    @Test(arguments: [Direction.minimize, .maximize])
    func curveSummariesMatchTheCurves(_ direction: Direction) {
        let h = StudyHistory(direction: direction, trials: [Fixtures.curve(0, [3, 1, .nan, 2])])
        h.append(TrialSnapshot(number: 1, state: .running, params: [:]))
        func check(_ n: Int, _ note: String) {
            let t = h.trials[n]
            for step in 0...(t.intermediate.keys.max() ?? 0) + 2 {
                let upTo = t.intermediate.filter { $0.key <= step }.sorted { $0.key < $1.key }
                let naive = direction.best(of: upTo.map(\.value))
                let kept = h.bestIntermediate(n, upTo: step)
                #expect(naive == kept || (naive.isNaN && kept.isNaN), "\(note): best up to \(step): \(kept), the curve says \(naive)")
                #expect(h.previousStep(n, before: step) == t.intermediate.keys.filter { $0 < step }.max(), "\(note): step before \(step)")
                #expect(h.firstSteps(n, atOrAfter: [step]) == [ t.intermediate.keys.filter { $0 >= step }.min()], "\(note): first step from \(step)")
                let (steps, bestOfFirst) = h.reportedSteps(n, upTo: step)
                #expect(Array(steps) == upTo.map(\.key), "\(note): steps up to \(step)")
                for i in Set([0, 1, steps.count / 2, steps.count]) where i <= steps.count {
                    let first = direction.best(of: upTo.prefix(i).map(\.value)), got = bestOfFirst(i)
                    #expect(first == got || (first.isNaN && got.isNaN), "\(note): best of the first \(i) up to \(step)")
                }
            }
        }
        check(0, "given to init")
        var rng = SeededGenerator(seed: direction == .minimize ? 7 : 8)
        var step = 0
        for i in 0..<240 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: h.report(1, step: max(1, step - Int.random(in: 0...3, using: &rng)), value: Double.random(in: 0...10, using: &rng)) // repeated or earlier
            case 1: step += 1; h.report(1, step: step, value: .nan)
            case 2 where step > 4: step -= 3; h.clearIntermediate(1, after: step)
            default: step += Int.random(in: 1...3, using: &rng); h.report(1, step: step, value: Double.random(in: 0...10, using: &rng))
            }
            if i % 11 == 0 { check(1, "after change \(i)") }
        }
        check(1, "at the end")
    }
}
