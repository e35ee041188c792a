import Randomness
import Testing
@testable import Search

@Suite struct HistoryChangeLogTests {
    /// The change log must name exactly the trials whose stamps moved past a version,
    /// also after it was shortened.
    @Test func changeLogAgreesWithStampsAcrossTruncation() {
        let history = StudyHistory(direction: .minimize)
        var rng = SeededGenerator(seed: 9)
        var checkpoints: [Int] = [0]
        for step in 0..<20_000 {
            if history.trials.count < 5 || rng.nextInt(below: 10) == 0 {
                history.append(TrialSnapshot(number: history.nextNumber, state: .running, params: [:]))
            } else {
                let n = rng.nextInt(below: history.trials.count)
                switch rng.nextInt(below: 3) {
                case 0: history.report(n, step: step, value: rng.nextDouble())
                case 1: history.setState(n, .running)
                default: history.finish(n, state: .complete, value: rng.nextDouble())
                }
            }
            if step % 997 == 0 { checkpoints.append(history.version) }
        }
        for since in checkpoints + [history.version - 1, history.version - 50, history.version] {
            let expected = history.trials.indices.filter { history.lastChange(of: $0) > since }
            #expect(history.trialsChanged(since: since) == expected, "since \(since)")
        }
    }
}
