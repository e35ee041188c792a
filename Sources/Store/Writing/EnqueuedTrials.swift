import GRDB
import Search

/// A trial whose parameters a user chose (`sweep enqueue`, the dashboard), waiting for the
/// coordinator: Optuna's `enqueue_trial`. The coordinator takes queued trials before it
/// samples new ones, and each runs on top of the trial budget.
public struct EnqueuedTrialRecord: Sendable, Hashable {
    public var id: Int64
    /// Checked against the study's space when queued (``SearchSpace/check(given:)``).
    public var params: Params
    /// Who queued it, e.g. `sweep enqueue` or `dashboard`.
    public var source: String
    public var createdAt: Double
    /// The trial it became, once the coordinator took it.
    public var trialNumber: Int?
}

extension StoreTransaction {
    /// Queues a trial of `study` with the values a user gave, checked against its search
    /// space first (a ``GivenParamError`` names the parameter; nothing is written then).
    /// Returns the queue id and the values as stored.
    @discardableResult
    public func enqueueTrial(study: StudyRecord, given: Params, source: String, at time: Double) throws -> (id: Int64, params: Params) {
        let space = study.definition.space
        let params = try space.check(given: space.readingDictText(given))
        try db.execute(sql: "INSERT INTO enqueued_trials (study_id, params, source, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [study.id, JSONText.encode(params), source, time])
        return (db.lastInsertedRowID, params)
    }

    /// Records that queued trial `id` became trial `trialNumber`.
    public func takeEnqueuedTrial(id: Int64, trialNumber: Int, at time: Double) throws {
        try db.cachedStatement(sql: "UPDATE enqueued_trials SET trial_number = ?, taken_at = ? WHERE id = ?")
            .execute(arguments: [trialNumber, time, id])
    }
}

extension StoreQueries {
    /// Queued trials of a study, oldest first: only those not yet taken unless `all`.
    /// Empty for a database written before the queue existed (readers do not migrate).
    public func enqueuedTrials(studyID: Int64, all: Bool = false) throws -> [EnqueuedTrialRecord] {
        guard try db.tableExists("enqueued_trials") else { return [] }
        let sql = "SELECT * FROM enqueued_trials WHERE study_id = ?" + (all ? "" : " AND trial_number IS NULL") + " ORDER BY id"
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [studyID]).map { row in
            EnqueuedTrialRecord(id: row["id"], params: JSONText.decodeParams(row["params"]), source: row["source"],
                                createdAt: row["created_at"], trialNumber: row["trial_number"])
        }
    }
}
