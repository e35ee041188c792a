import GRDB
import Search

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

/// Which trials of a study a stamped read covers.
public enum TrialScope: Sendable, Equatable {
    /// Every trial.
    case all
    /// The trials numbered above `above`, and those of `numbers` (a reread of what may
    /// have changed: new trials and the ones a reader knows to be unsettled).
    case some(above: Int, numbers: [Int])

    /// The SQL condition on `trials` aliased `t`, and its arguments (besides the study).
    var condition: (sql: String, arguments: StatementArguments) {
        switch self {
        case .all: return ("", [])
        case .some(let above, let numbers):
            // Integers only, so they can be spelled out; one index range plus point lookups.
            let listed = numbers.isEmpty ? "" : " OR t.number IN (" + numbers.map(String.init).joined(separator: ",") + ")"
            return (" AND (t.number > ?" + listed + ")", [above])
        }
    }
}

extension StoreQueries {
    /// Every trial of a study (or of `scope`) by number. `known(number, stamp)` says whether
    /// the caller already holds that version of the trial: those are not decoded, so
    /// rereading a study whose trials mostly did not change costs the scan, not the JSON decoding.
    public func stampedTrials(studyID: Int64, scope: TrialScope = .all, known: (Int, RowStamp) -> Bool) throws -> [StampedTrial] {
        var out: [StampedTrial] = []
        var text: [Bool] = []
        let (condition, arguments) = scope.condition
        let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.trialColumns) FROM trials t WHERE t.study_id = ?\(condition) ORDER BY t.number",
                                       arguments: [studyID] + arguments)
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

    /// ``allAttempts(studyID:)`` with the stamp of each trial's attempt rows (of the trials
    /// of `scope`).
    public func stampedAttempts(studyID: Int64, scope: TrialScope = .all) throws -> [Int: (stamp: RowStamp, attempts: [AttemptRecord])] {
        let columns = try db.columns(in: "trial_attempts").map(\.name).filter { $0 != "log_tail" }
        let (condition, arguments) = scope.condition
        let sql = "SELECT t.number, " + columns.map { "a." + $0 }.joined(separator: ", ") + """
             FROM trial_attempts a JOIN trials t ON t.id = a.trial_id
            WHERE t.study_id = ?\(condition) ORDER BY t.number, a.attempt
            """
        var groups: [Int: (hasher: Hasher, attempts: [AttemptRecord])] = [:]
        var text: [Bool] = []
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [studyID] + arguments)
        while let row = try rows.next() {
            if text.isEmpty { text = Self.textColumns(row) }
            let number: Int = row["number"]
            let record = try Self.attempt(row)
            try Self.digest(row, text, into: &groups[number, default: (Hasher(), [])].hasher)
            groups[number]!.attempts.append(record)
        }
        return groups.mapValues { (RowStamp(digest: $0.hasher.finalize()), $0.attempts) }
    }

    /// The numbers of the study's trials that are not finished (index `trials_by_state`).
    public func unfinishedTrialNumbers(studyID: Int64) throws -> [Int] {
        let states = TrialState.allCases.filter { !$0.isFinished }
        return try Int.fetchAll(db, sql: "SELECT number FROM trials WHERE study_id = ? AND state IN (" + states.map { _ in "?" }.joined(separator: ",") + ")",
                                arguments: StatementArguments([studyID.databaseValue] + states.map(\.databaseValue)))
    }

    /// The id of the newest event of any study (0 when none).
    public func lastEventID() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
    }

    /// The trials of the study that an event newer than event `id` names (a promotion, a
    /// re-queue, a pause...).
    public func trialNumbersWithEvents(studyID: Int64, after id: Int64) throws -> [Int] {
        try Int.fetchAll(db, sql: "SELECT DISTINCT trial_number FROM events WHERE id > ? AND study_id = ? AND trial_number IS NOT NULL",
                         arguments: [id, studyID])
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
