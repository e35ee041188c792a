import Foundation
import Search
import Store

/// Everything a report shows, read from the database in one transaction.
struct ReportData {
    var study: StudyRecord
    /// Every trial, by number.
    var trials: [TrialRecord]
    /// Per-epoch reports by trial number.
    var curves: [Int: [IntermediateRecord]]
    var counts: [TrialState: Int]
    var importance: [ParameterImportance]
    var databasePath: String
    var generatedAt: Double

    /// Reads study `name` from `reader`.
    static func load(_ reader: StoreReader, study name: String, databasePath: String, now: Double) throws -> ReportData {
        try reader.read { q in
            let s = try q.requireStudy(named: name)
            let trials = try q.trials(studyID: s.id)
            let curves = try q.allIntermediates(studyID: s.id)
            let counts = try q.stateCounts(studyID: s.id)
            let observations = trials.compactMap { t -> ImportanceObservation? in
                guard t.state == .complete, let v = t.value, v.isFinite else { return nil }
                return ImportanceObservation(params: t.params, value: v)
            }
            let importance = ImportanceAnalysis.compute(space: s.definition.space, observations: observations)
            return ReportData(study: s, trials: trials, curves: curves, counts: counts, importance: importance,
                              databasePath: databasePath, generatedAt: now)
        }
    }

    var direction: Direction { study.direction }
    var metric: String { study.definition.metric }
    var parameters: [Parameter] { study.definition.space.parameters }

    /// COMPLETE trials with a finite value, by number.
    var complete: [TrialRecord] {
        trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
    }

    /// The best COMPLETE trial (lowest number among equals), as `sweep best` picks it.
    var best: TrialRecord? {
        complete.reduce(nil) { b, t in
            guard let b else { return t }
            return direction.isBetter(t.value!, than: b.value!) ? t : b
        }
    }

    /// The best COMPLETE trials, best first (ties by number).
    func top(_ n: Int) -> [TrialRecord] {
        Array(complete.sorted { a, b in
            a.value! != b.value! ? direction.isBetter(a.value!, than: b.value!) : a.number < b.number
        }.prefix(n))
    }

    /// Trials that ended (COMPLETE, PRUNED, FAIL).
    var finished: Int { count(.complete) + count(.pruned) + count(.fail) }

    func count(_ s: TrialState) -> Int { counts[s] ?? 0 }

    /// From the first trial's start to the last trial's end (or now while running).
    var wallTime: Double? {
        guard let first = trials.compactMap(\.startedAt).min() else { return nil }
        let last = study.state == .finished ? (trials.compactMap(\.finishedAt).max() ?? first) : generatedAt
        return max(0, last - first)
    }

    /// Median duration of finished trials.
    var medianDuration: Double? {
        median(trials.filter { $0.state.isFinished }.compactMap(\.duration))
    }
}

/// The median of `xs`, or nil when empty.
func median(_ xs: [Double]) -> Double? {
    guard !xs.isEmpty else { return nil }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
