import GRDB

/// A digest of the stored values of one or more rows, compared to tell whether they changed
/// since a reader last saw them, without decoding them. Only comparable within one process
/// (the digest is seeded per process); two different contents share a stamp with a
/// probability of about 2^-64.
public struct RowStamp: Hashable, Sendable {
    let digest: Int
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
        var text: [Bool] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM trials WHERE study_id = ? ORDER BY number", arguments: [studyID])
        while let row = try rows.next() {
            if text.isEmpty { text = Self.textColumns(row) }
            let number: Int = row["number"]
            var h = Hasher()
            try Self.digest(row, text, into: &h)
            let stamp = RowStamp(digest: h.finalize())
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
        var groups: [Int: (hasher: Hasher, attempts: [AttemptRecord])] = [:]
        var text: [Bool] = []
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [studyID])
        while let row = try rows.next() {
            if text.isEmpty { text = Self.textColumns(row) }
            let number: Int = row["number"]
            let record = try Self.attempt(row)
            try Self.digest(row, text, into: &groups[number, default: (Hasher(), [])].hasher)
            groups[number]!.attempts.append(record)
        }
        return groups.mapValues { (RowStamp(digest: $0.hasher.finalize()), $0.attempts) }
    }

    /// Which columns hold text that may be long (hashed from SQLite's bytes, without making
    /// a String); numbers and short texts are hashed as values, so no REAL is rounded.
    private static func textColumns(_ row: Row) -> [Bool] {
        row.columnNames.map { ["params", "metrics", "error", "prune_reason"].contains($0) }
    }

    private static func digest(_ row: Row, _ text: [Bool], into h: inout Hasher) throws {
        for i in 0..<row.count {
            if text[i] {
                try row.withUnsafeData(atIndex: i) { data in
                    guard let data else { return h.combine(-1) }
                    h.combine(data.count)
                    data.withUnsafeBytes { h.combine(bytes: $0) }
                }
            } else {
                h.combine(row[i] as DatabaseValue)
            }
        }
    }
}
