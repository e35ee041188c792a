import Search
import Store
import SweepFile

/// `sweep resume STUDY --retry-failed`: the parameters of failed trials, queued to run
/// again. A grid runs each point once, so a point whose trial failed (a broken program, a
/// missing package) stayed unevaluated for good: `--add-trials` adds no point, and the
/// message of a study that gave up promised the rest of the budget, which was none.
enum RetryFailed {
    /// The distinct parameters of `study`'s FAIL trials that no other trial has run or
    /// runs (COMPLETE, PRUNED, RUNNING, WAITING, STALE) and that are not queued already,
    /// in trial order.
    static func parameters(of study: StudyRecord, _ q: StoreQueries) throws -> [Params] {
        let trials = try q.trials(studyID: study.id)
        var covered = Set(trials.filter { $0.state != .fail }.map(\.params))
        covered.formUnion(try q.enqueuedTrials(studyID: study.id).map(\.params))
        var out: [Params] = []
        for t in trials where t.state == .fail && !covered.contains(t.params) {
            covered.insert(t.params)
            out.append(t.params)
        }
        return out
    }

    /// Why the failed trials of `study` cannot be queued again, or nil: Population Based
    /// Training's members train side by side, generation by generation (as for `--add-trials`).
    static func problem(_ study: StudyRecord) throws -> String? {
        guard case .pbt? = try SweepDefinition.stored(study).scheduler else { return nil }
        return "--retry-failed: study '\(study.name)' is Population Based Training, whose members train side by side; a member run again now would join generations behind. Start a new study instead"
    }

    /// Queues `parameters` (each becomes a new trial, and the budget grows by one for each,
    /// as for `sweep enqueue`).
    static func enqueue(_ parameters: [Params], study: StudyRecord, tx: StoreTransaction, at time: Double) throws {
        for params in parameters {
            _ = try tx.enqueueTrial(study: study, given: params, source: "sweep resume --retry-failed", at: time)
        }
    }
}
