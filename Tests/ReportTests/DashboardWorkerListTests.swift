import Foundation
import Store
import Testing
@testable import SweepDashboard

/// The dashboard's study answer lists the connected workers and the ones gone last, and
/// counts the rest: with workers coming and going under fresh ids, every poll carried all
/// the study ever saw (1.5 KB to 15 KB per answer in half an hour).
@Suite struct DashboardWorkerListTests {
    @Test func goneWorkersBeyondTheLimitAreCountedNotListed() {
        var all: [WorkerRecord] = []
        for i in 0..<200 {
            all.append(WorkerRecord(worker: "gone-\(i)", host: "h", state: i % 2 == 0 ? .left : .dead, firstSeen: 0, lastSeen: Double(i)))
        }
        all.append(WorkerRecord(worker: "alive-1", host: "h", state: .alive, firstSeen: 0, lastSeen: 5))
        let shown = StudyFeed.shownWorkers(all)
        #expect(shown.count == StudyFeed.goneWorkersListed + 1)
        #expect(shown.contains { $0.id == "alive-1" } && shown.contains { $0.id == "gone-199" } && !shown.contains { $0.id == "gone-0" })
    }
}
