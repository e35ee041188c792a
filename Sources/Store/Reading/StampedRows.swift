import GRDB

/// The stored values of one or more rows, compared to tell whether they changed since a
/// reader last saw them (without decoding their JSON columns).
public struct RowStamp: Hashable, Sendable {
    var values: [DatabaseValue]
}

/// A trial read with the stamp of its row; `record` is nil when the caller already knew
/// that stamp (the row was not decoded).
public struct StampedTrial: Sendable {
    public let number: Int
    public let stamp: RowStamp
    public let record: TrialRecord?
}

extension StoreQueries {
    /// Every trial of a study by number. `known(number, stamp)` says whether the caller
    /// already holds that version of the trial: those are not decoded, so rereading a study
    /// whose trials mostly did not change costs the scan, not the JSON decoding.
    public func stampedTrials(studyID: Int64, known: (Int, RowStamp) -> Bool) throws -> [StampedTrial] {
        var out: [StampedTrial] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM trials WHERE study_id = ? ORDER BY number", arguments: [studyID])
        while let row = try rows.next() {
            let number: Int = row["number"]
            let stamp = RowStamp(values: Array(row.databaseValues))
            out.append(StampedTrial(number: number, stamp: stamp, record: known(number, stamp) ? nil : try Self.trial(row)))
        }
        return out
    }

    /// Every lease of every trial of a study, keyed by trial number, in one query (a page
    /// of thousands of trials must not cost one query per trial). The output tails
    /// (`log_tail`, up to 4 KB each) are not read: they belong to the trial page.
    public func allAttempts(studyID: Int64) throws -> [Int: [AttemptRecord]] {
        try stampedAttempts(studyID: studyID).mapValues(\.attempts)
    }

    /// ``allAttempts(studyID:)`` with the stamp of each trial's attempt rows.
    public func stampedAttempts(studyID: Int64) throws -> [Int: (stamp: RowStamp, attempts: [AttemptRecord])] {
        let columns = try db.columns(in: "trial_attempts").map(\.name).filter { $0 != "log_tail" }
        let sql = "SELECT t.number, " + columns.map { "a." + $0 }.joined(separator: ", ") + """
             FROM trial_attempts a JOIN trials t ON t.id = a.trial_id
            WHERE t.study_id = ? ORDER BY t.number, a.attempt
            """
        var out: [Int: (stamp: RowStamp, attempts: [AttemptRecord])] = [:]
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [studyID])
        while let row = try rows.next() {
            let number: Int = row["number"]
            let record = try Self.attempt(row)
            out[number, default: (RowStamp(values: []), [])].stamp.values.append(contentsOf: row.databaseValues)
            out[number]!.attempts.append(record)
        }
        return out
    }
}
