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

    /// A population's progress (Population Based Training), whose members all end together
    /// at the last epoch: counted in epochs, "0/8 trials" until the very end said nothing.
    public var population: PopulationProgress?

    /// Epochs per second of a population (see ``throughput`` for the windows).
    public var epochRate: Double? {
        guard let pop = population else { return nil }
        if let run = interruptedRunSeconds { return run > 0 && pop.epochsDone > 0 ? Double(pop.epochsDone) / run : nil }
        if study.state == .finished, let s = firstStart, let e = lastFinish, e > s, pop.epochsDone > 0 {
            return Double(pop.epochsDone) / (study.runSeconds > 0 ? min(e - s, study.runSeconds) : e - s)
        }
        guard windowSeconds > 0, pop.epochsRecently > 0 else { return nil }
        return Double(pop.epochsRecently) / windowSeconds
    }

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
        if let pop = population {
            guard let rate = epochRate, rate > 0 else { return nil }
            return Double(max(0, pop.epochsTotal - pop.epochsDone)) / rate
        }
        guard let rate = throughput, rate > 0, !TrialBudget.isUnbounded(study.definition.budgetTrials) else { return nil }
        return Double(remaining) / rate
    }

    public func count(_ s: TrialState) -> Int { counts[s] ?? 0 }
}

/// How far a population of members training side by side has come, in epochs.
public struct PopulationProgress: Sendable, Hashable {
    /// The members (the study's trials).
    public var members: Int
    /// Epochs each member trains.
    public var epochsPerMember: Int
    /// Epochs trained so far, summed over the members.
    public var epochsDone: Int
    /// Epochs reported within the rate window.
    public var epochsRecently: Int
    /// The member whose latest report is best, while no member has completed.
    public var leader: Leader?

    /// Every member's epochs.
    public var epochsTotal: Int { members * epochsPerMember }

    /// A member's latest reported objective.
    public struct Leader: Sendable, Hashable {
        public var trial: TrialRecord
        public var value: Double
        public var epoch: Int
    }
}

extension StoreQueries {
    /// Progress of a study, with the rate measured over the last `window` seconds before `now`.
    /// `population` gives the members and their epochs of a Population Based Training study
    /// (the store does not read sweep files): its progress is then counted in epochs too.
    public func progress(study: StudyRecord, now: Double, window: Double = 60,
                         population: (members: Int, epochs: Int)? = nil) throws -> StudyProgress {
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
                             quarantined: all.filter { $0.quarantinedAt != nil }, firstStart: firstStart, lastFinish: lastFinish,
                             population: try population.map { try populationProgress(study: study, members: $0.members, epochs: $0.epochs, since: now - window) })
    }

    private func populationProgress(study: StudyRecord, members: Int, epochs: Int, since: Double) throws -> PopulationProgress {
        // (A member's `epochs` is how far it trained, its inherited epochs included after an
        // exploit: it continues from the epoch it copied.)
        let done: Int = try Int.fetchOne(db, sql: "SELECT coalesce(sum(min(epochs, ?)), 0) FROM trials WHERE study_id = ?",
                                         arguments: [epochs, study.id]) ?? 0
        let recent: Int = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM intermediate_values v JOIN trials t ON t.id = v.trial_id
            WHERE t.study_id = ? AND v.recorded_at >= ?
            """, arguments: [study.id, since]) ?? 0
        // Each member's latest report (at its `epochs`), best first in the study's direction.
        let order = study.direction == .maximize ? "DESC" : "ASC"
        var leader: PopulationProgress.Leader?
        if let row = try Row.fetchOne(db, sql: """
            SELECT \(Self.trialColumns), v.value AS latest, v.step AS latest_step
            FROM trials t JOIN intermediate_values v ON v.trial_id = t.id AND v.step = t.epochs
            WHERE t.study_id = ? AND v.value IS NOT NULL AND t.state NOT IN ('FAIL', 'PRUNED')
            ORDER BY v.value \(order), t.number LIMIT 1
            """, arguments: [study.id]) {
            leader = .init(trial: try Self.trial(row), value: row["latest"], epoch: row["latest_step"])
        }
        return PopulationProgress(members: members, epochsPerMember: epochs, epochsDone: done, epochsRecently: recent, leader: leader)
    }
}

extension StoreQueries {
    /// Trials that ended after reporting exactly one epoch, and how many of those were
    /// pruned, against all that ended (COMPLETE or PRUNED): a study whose program reports
    /// once has every trial at one epoch.
    public func oneReportTrials(studyID: Int64) throws -> (ended: Int, oneReport: Int, prunedAtIt: Int) {
        let row = try Row.fetchOne(db, sql: """
            SELECT count(*) AS ended, sum(CASE WHEN epochs = 1 THEN 1 ELSE 0 END) AS one,
                   sum(CASE WHEN epochs = 1 AND state = 'PRUNED' THEN 1 ELSE 0 END) AS pruned
            FROM trials WHERE study_id = ? AND state IN ('COMPLETE', 'PRUNED')
            """, arguments: [studyID])
        return (row?["ended"] ?? 0, row?["one"] ?? 0, row?["pruned"] ?? 0)
    }
}
