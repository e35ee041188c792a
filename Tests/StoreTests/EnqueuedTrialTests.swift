import Foundation
import Search
import Testing
@testable import Store

/// The queue of hand-picked trials, and the study-wide attempts query.
@Suite struct EnqueuedTrialTests {
    func study(_ store: SweepStore) throws -> StudyRecord {
        let space = try SearchSpace([
            Parameter(name: "x", distribution: .uniform(low: -2, high: 2, step: nil)),
            Parameter(name: "z", distribution: .categorical([.double(0.5), .int(1), .int(2)])),
        ])
        return try store.write {
            try $0.createStudy(NewStudy(name: "q", direction: .minimize, metric: "loss", sweepFile: "study: q\n", space: space,
                                        seed: 1, budgetTrials: 10), at: 1)
        }
    }

    @Test func queuedTrialsAreListedUntilTakenAndBadValuesWriteNothing() throws {
        let store = try SweepStore.inMemory()
        let s = try study(store)
        #expect(throws: GivenParamError(field: "x", message: "3 is not in uniform [-2.0, 2.0]")) {
            try store.write { try $0.enqueueTrial(study: s, given: ["x": .string("3"), "z": .int(1)], source: "test", at: 2) }
        }
        #expect(try store.read { try $0.enqueuedTrials(studyID: s.id, all: true) }.isEmpty)
        let a = try store.write { try $0.enqueueTrial(study: s, given: ["x": .string("0.25"), "z": .string("2")], source: "test", at: 3) }
        let b = try store.write { try $0.enqueueTrial(study: s, given: ["x": .int(1), "z": .double(0.5)], source: "dashboard", at: 4) }
        #expect(a.params == ["x": .double(0.25), "z": .int(2)])
        var waiting = try store.read { try $0.enqueuedTrials(studyID: s.id) }
        #expect(waiting.map(\.id) == [a.id, b.id])
        #expect(waiting.map(\.params) == [a.params, ["x": .double(1), "z": .double(0.5)]])
        #expect(waiting.map(\.source) == ["test", "dashboard"])
        try store.write { try $0.takeEnqueuedTrial(id: a.id, trialNumber: 7, at: 5) }
        waiting = try store.read { try $0.enqueuedTrials(studyID: s.id) }
        #expect(waiting.map(\.id) == [b.id])
        let all = try store.read { try $0.enqueuedTrials(studyID: s.id, all: true) }
        #expect(all.map(\.trialNumber) == [7, nil])
    }

    @Test func allAttemptsOfAStudyMatchThePerTrialQuery() throws {
        let store = try SweepStore.inMemory()
        let s = try study(store)
        try store.write { tx in
            for n in 0..<30 {
                let id = try tx.insertTrial(studyID: s.id, number: n, state: .waiting, params: ["x": .double(0), "z": .int(1)], seed: 1, at: 1,
                                            leasedTo: "w\(n % 3)")
                if n % 4 == 0 {
                    try tx.endAttempt(trialID: id, attempt: 1, outcome: .stale, at: 2)
                    try tx.startAttempt(trialID: id, attempt: 2, worker: "w9", at: 3)
                }
                if n % 5 != 0 { try tx.finishTrial(trialID: id, attempt: n % 4 == 0 ? 2 : 1, state: .complete, value: Double(n), metrics: nil, at: 4) }
            }
        }
        let (all, each) = try store.read { q in
            (try q.allAttempts(studyID: s.id), try q.trials(studyID: s.id).map { ($0.number, try q.attempts(trialID: $0.id)) })
        }
        #expect(all.count == 30)
        for (n, attempts) in each { #expect(all[n] == attempts, "trial \(n)") }
        #expect(all[4]?.map(\.outcome) == [.stale, .complete])
        #expect(all[5]?.map(\.outcome) == [nil])
    }
}
