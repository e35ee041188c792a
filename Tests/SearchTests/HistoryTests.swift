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
}
