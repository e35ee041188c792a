import GRDB
import Search

/// What a resumed coordinator keeps of one trial besides its search snapshot.
public struct ResumeTrial: Sendable, Hashable {
    public var rowID: Int64
    public var number: Int
    public var state: TrialState
    /// The current or last attempt's number (0 before the first lease).
    public var attempt: Int
    /// Attempts that ended STALE (lost to a dead worker).
    public var crashes: Int
    /// Attempts that ended FAIL on their worker.
    public var failures: Int
    /// For a RUNNING trial: which process its worker was (`ProcessIdentity`'s wire form),
    /// if that worker said.
    public var workerProcess: String? = nil
}

extension StoreQueries {
    /// Every trial of a study with its attempt counts, by number, in one streamed query:
    /// only the columns a resumed coordinator keeps (not the metrics, errors or times of
    /// every trial), so resuming a large study costs what its coordinator holds anyway.
    public func resumeTrials(studyID: Int64) throws -> [ResumeTrial] {
        var out: [ResumeTrial] = []
        out.reserveCapacity(try trialCount(studyID: studyID))
        let rows = try Row.fetchCursor(db, sql: """
            SELECT t.id, t.number, t.state, t.attempt,
                   (SELECT count(*) FROM trial_attempts a WHERE a.trial_id = t.id AND a.outcome = 'STALE') AS crashes,
                   (SELECT count(*) FROM trial_attempts a WHERE a.trial_id = t.id AND a.outcome = 'FAIL') AS failures,
                   CASE WHEN t.state = 'RUNNING' THEN
                       (SELECT w.process FROM trial_attempts a JOIN workers w ON w.study_id = t.study_id AND w.worker = a.worker
                        WHERE a.trial_id = t.id AND a.attempt = t.attempt) END AS process
            FROM trials t WHERE t.study_id = ? ORDER BY t.number
            """, arguments: [studyID])
        while let row = try rows.next() {
            out.append(ResumeTrial(rowID: row[0], number: row[1], state: try row.decode(TrialState.self, atIndex: 2), attempt: row[3],
                                   crashes: row[4], failures: row[5], workerProcess: row[6]))
        }
        return out
    }

    /// A study's trials (also to size the arrays above once: no doubling, the old and new
    /// buffers would both count at the resume's peak memory).
    public func trialCount(studyID: Int64) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM trials WHERE study_id = ?", arguments: [studyID]) ?? 0
    }

    /// Everything the sampler and pruner need, rebuilt from the database (on resume):
    /// parameters, state and value of every trial and the objective of every epoch,
    /// streamed, without the per-epoch metrics.
    public func history(studyID: Int64) throws -> [TrialSnapshot] {
        var out: [TrialSnapshot] = []
        out.reserveCapacity(try trialCount(studyID: studyID))
        let trials = try Row.fetchCursor(db, sql: "SELECT number, state, params, value FROM trials WHERE study_id = ? ORDER BY number",
                                         arguments: [studyID])
        while let row = try trials.next() {
            out.append(TrialSnapshot(number: row[0], state: try row.decode(TrialState.self, atIndex: 1),
                                     params: JSONText.decodeParams(row[2]), value: row[3]))
        }
        // Both in trial-number order: the curves are merged in one pass, without an index.
        let curves = try Row.fetchCursor(db, sql: """
            SELECT t.number, iv.step, iv.value, iv.metrics FROM intermediate_values iv JOIN trials t ON t.id = iv.trial_id
            WHERE t.study_id = ? ORDER BY t.number, iv.step
            """, arguments: [studyID])
        var i = 0
        while let row = try curves.next() {
            let number: Int = row[0]
            while i < out.count, out[i].number < number { i += 1 }
            guard i < out.count, out[i].number == number else { continue }
            let value: Double? = row[2]
            if value == nil, let metrics: String = row[3], !JSONText.decodeMetrics(metrics).isEmpty {
                continue // other metrics without the objective: no step for the pruners (as while running)
            }
            // NULL: reported, not finite.
            out[i].intermediate[row[1]] = value ?? .nan
        }
        return out
    }
}
