import Foundation
import Search
import Testing
@testable import Store

/// The lean queries a resumed coordinator rebuilds its state from.
@Suite struct ResumeQueryTests {
    private func study(_ store: SweepStore) throws -> StudyRecord {
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil))])
        let new = NewStudy(name: "r", direction: .minimize, metric: "loss", sweepFile: "study: r\n", space: space,
                           seed: 1, budgetTrials: 10, maxEpochs: 3, wallTime: nil, maxAttempts: 3)
        return try store.write { try $0.createStudy(new, at: 1) }
    }

    @Test func resumeTrialsCountCrashesAndFailuresPerTrial() throws {
        let store = try SweepStore.inMemory()
        let s = try study(store)
        let (a, b) = try store.write { tx in
            let a = try tx.insertTrial(studyID: s.id, number: 0, state: .running, params: ["x": .double(0.5)], seed: 1, at: 1)
            try tx.startAttempt(trialID: a, attempt: 1, worker: "w1", at: 2)
            try tx.endAttempt(trialID: a, attempt: 1, outcome: .stale, at: 3)
            try tx.startAttempt(trialID: a, attempt: 2, worker: "w2", at: 4)
            try tx.endAttempt(trialID: a, attempt: 2, outcome: .fail, error: "boom", at: 5)
            try tx.startAttempt(trialID: a, attempt: 3, worker: "w1", at: 6)
            try tx.endAttempt(trialID: a, attempt: 3, outcome: .stale, at: 7)
            try tx.startAttempt(trialID: a, attempt: 4, worker: "w3", at: 8)
            try tx.endAttempt(trialID: a, attempt: 4, outcome: .returned, at: 9)
            try tx.setTrialState(trialID: a, .stale)
            let b = try tx.insertTrial(studyID: s.id, number: 1, state: .waiting, params: ["x": .double(0.25)], seed: 2, at: 10)
            return (a, b)
        }
        let rows = try store.read { try $0.resumeTrials(studyID: s.id) }
        #expect(rows == [
            ResumeTrial(rowID: a, number: 0, state: .stale, attempt: 4, crashes: 2, failures: 1),
            ResumeTrial(rowID: b, number: 1, state: .waiting, attempt: 0, crashes: 0, failures: 0),
        ])
    }

    @Test func historyKeepsParamsValuesAndEveryReportedStepButNoMetrics() throws {
        let store = try SweepStore.inMemory()
        let s = try study(store)
        try store.write { tx in
            let a = try tx.insertTrial(studyID: s.id, number: 0, state: .running, params: ["x": .double(0.5)], seed: 1, at: 1)
            try tx.startAttempt(trialID: a, attempt: 1, worker: "w", at: 1)
            try tx.recordReport(trialID: a, IntermediateRecord(step: 1, attempt: 1, value: 0.9, metrics: ["loss": 0.9, "acc": 0.1], pruned: false, reason: nil, recordedAt: 2))
            try tx.recordReport(trialID: a, IntermediateRecord(step: 2, attempt: 1, value: nil, metrics: [:], pruned: false, reason: nil, recordedAt: 3))
            try tx.finishTrial(trialID: a, attempt: 1, state: .complete, value: 0.7, metrics: ["loss": 0.7], at: 4)
            _ = try tx.insertTrial(studyID: s.id, number: 1, state: .waiting, params: ["x": .double(0.25)], seed: 2, at: 5)
        }
        let history = try store.read { try $0.history(studyID: s.id) }
        #expect(history.map(\.number) == [0, 1])
        #expect(history.map(\.state) == [.complete, .waiting])
        #expect(history.map(\.params) == [["x": .double(0.5)], ["x": .double(0.25)]])
        #expect(history[0].value == 0.7 && history[1].value == nil)
        #expect(history[0].intermediate[1] == 0.9)
        // A step reported without a finite value is NaN to the pruners.
        #expect(history[0].intermediate[2]?.isNaN == true)
        #expect(history[1].intermediate.isEmpty)
    }

    /// Curves are merged into the trials in number order: trials without reports between
    /// trials with them, and numbers inserted out of order, keep their own curves.
    @Test func historyMergesEachCurveIntoItsOwnTrial() throws {
        let store = try SweepStore.inMemory()
        let s = try study(store)
        try store.write { tx in
            for number in [4, 0, 2, 1, 3] {
                let id = try tx.insertTrial(studyID: s.id, number: number, state: .running, params: ["x": .double(Double(number))], seed: 1, at: 1)
                guard number.isMultiple(of: 2) else { continue }
                try tx.startAttempt(trialID: id, attempt: 1, worker: "w", at: 1)
                for step in 1...number + 1 {
                    try tx.recordReport(trialID: id, IntermediateRecord(step: step, attempt: 1, value: Double(10 * number + step), metrics: [:],
                                                                      pruned: false, reason: nil, recordedAt: 2))
                }
            }
        }
        let history = try store.read { try $0.history(studyID: s.id) }
        #expect(history.map(\.number) == [0, 1, 2, 3, 4])
        for t in history {
            let expected = t.number.isMultiple(of: 2) ? Dictionary(uniqueKeysWithValues: (1...t.number + 1).map { ($0, Double(10 * t.number + $0)) }) : [:]
            #expect(t.intermediate == expected, "trial \(t.number)")
        }
    }

    /// A report without the objective is no step for the pruners after a resume either (it was
    /// read back as NaN, the worst value to a patient pruner); one with nothing finite is NaN.
    @Test func reportsWithoutTheObjectiveAreNoStepsOnResume() throws {
        let store = try SweepStore.inMemory()
        let s = try study(store)
        try store.write { tx in
            let id = try tx.insertTrial(studyID: s.id, number: 0, state: .running, params: ["x": .double(1)], seed: 1, at: 1)
            try tx.startAttempt(trialID: id, attempt: 1, worker: "w", at: 1)
            let reports: [(Int, Double?, [String: Double])] = [(1, nil, ["train_loss": 2]), (2, 1.0, ["train_loss": 1.5, "loss": 1.0]), (3, nil, [:])]
            for (step, value, metrics) in reports {
                try tx.recordReport(trialID: id, IntermediateRecord(step: step, attempt: 1, value: value, metrics: metrics, pruned: false, reason: nil, recordedAt: 2))
            }
        }
        let history = try store.read { try $0.history(studyID: s.id) }
        #expect(history.first?.intermediate.keys.sorted() == [2, 3])
        #expect(history.first?.intermediate[2] == 1.0 && history.first?.intermediate[3]?.isNaN == true)
    }
}
