import GRDB
import Search

/// A study's progress at a glance: what `sweep status` and the live display of `sweep run` show.
public struct StudyProgress: Sendable, Hashable {
    public var study: StudyRecord
    public var counts: [TrialState: Int]
    /// Trials that ended (COMPLETE, PRUNED, FAIL).
    public var finished: Int
    /// Trials that ended within the rate window.
    public var finishedRecently: Int
    public var windowSeconds: Double
    public var best: TrialRecord?
    /// Workers connected now.
    public var workers: [WorkerRecord]
    /// Workers that get no more work after repeated failures (connected or not), with their last error.
    public var quarantined: [WorkerRecord] = []
    /// When the first trial started and the last one ended.
    public var firstStart: Double?
    public var lastFinish: Double?

    /// The running time of an interrupted study (no coordinator runs it now), set by who
    /// knows that: its rate is measured over it, and stands still as its elapsed time does
    /// (over the recent window it fell each time it was read).
    public var interruptedRunSeconds: Double?

    /// Trials per second: over the recent window while running, over the whole run once
    /// finished or interrupted (its running time: a study interrupted and resumed did not
    /// run in between).
    public var throughput: Double? {
        if let run = interruptedRunSeconds {
            return run > 0 && finished > 0 ? Double(finished) / run : nil
        }
        if study.state == .finished, let s = firstStart, let e = lastFinish, e > s, finished > 0 {
            return Double(finished) / (study.runSeconds > 0 ? min(e - s, study.runSeconds) : e - s)
        }
        guard windowSeconds > 0, finishedRecently > 0 else { return nil }
        return Double(finishedRecently) / windowSeconds
    }

    /// Trials not yet ended, up to the budget.
    public var remaining: Int { max(0, study.definition.budgetTrials - finished) }

    /// Seconds to the end at the current rate (none for a sweep without a budget, which
    /// runs until stopped: "ETA 16666h" was the time to its cap of a million trials).
    public var eta: Double? {
        guard let rate = throughput, rate > 0, !TrialBudget.isUnbounded(study.definition.budgetTrials) else { return nil }
        return Double(remaining) / rate
    }

    public func count(_ s: TrialState) -> Int { counts[s] ?? 0 }
}

extension StoreQueries {
    /// Progress of a study, with the rate measured over the last `window` seconds before `now`.
    public func progress(study: StudyRecord, now: Double, window: Double = 60) throws -> StudyProgress {
        let counts = try stateCounts(studyID: study.id)
        let finished = (counts[.complete] ?? 0) + (counts[.pruned] ?? 0) + (counts[.fail] ?? 0)
        let row = try Row.fetchOne(db, sql: """
            SELECT min(started_at) AS first_start, max(finished_at) AS last_finish,
                   sum(CASE WHEN finished_at >= ? THEN 1 ELSE 0 END) AS recent
            FROM trials WHERE study_id = ?
            """, arguments: [now - window, study.id])
        let firstStart: Double? = row?["first_start"]
        let lastFinish: Double? = row?["last_finish"]
        // A study younger than the window: measure since its first start.
        let effectiveWindow = min(window, max(1e-3, now - (firstStart ?? now)))
        let all = try self.workers(studyID: study.id)
        return StudyProgress(study: study, counts: counts, finished: finished, finishedRecently: row?["recent"] ?? 0,
                             windowSeconds: effectiveWindow, best: try best(study: study, top: 1).first,
                             workers: all.filter { $0.state == .alive && $0.quarantinedAt == nil },
                             quarantined: all.filter { $0.quarantinedAt != nil }, firstStart: firstStart, lastFinish: lastFinish)
    }
}
