import Foundation
import Store

/// What the dashboard last read of one study, kept so that a page already showing the study
/// is sent only the trials that changed since its last answer: the full JSON of a
/// 20,000-trial study is ~10 MB, a poll's answer during a sweep a few KB.
///
/// Every trial's JSON (and its attempts') is encoded once per change and stamped with a
/// sequence number. A page sends back the cursor of its last answer (`TOKEN.SEQUENCE`) and
/// gets the trials stamped after it; a cursor of another log (the dashboard restarted, the
/// study was recreated) gets the full answer.
struct StudyLog: Sendable {
    struct Entry: Sendable {
        var stamp: RowStamp
        var attemptStamp: RowStamp?
        var sequence: Int
        var trial: Data
        var attempts: [Data]
        /// Whether the trial's state is a finished one.
        var finished: Bool
    }

    let token: String
    let studyID: Int64
    private(set) var sequence = 0
    private var entries: [Int: Entry] = [:]
    /// Trial numbers, ascending.
    private var numbers: [Int] = []
    /// The trials that were not settled at the last reread: an incremental reread reads them again.
    private var unsettled: Set<Int> = []
    /// The newest event at the last reread: a later event naming a trial makes it reread.
    private var lastEvent: Int64 = 0
    /// Everything but the trials and attempts (summary, parameters, workers, queue, time):
    /// one encoded JSON object, always sent whole (it is small).
    var rest = Data("{}".utf8)

    /// When the study was created: SQLite gives a study created after the deletion of the
    /// newest one the same id, and its log must not carry on the deleted one's trials.
    let studyCreatedAt: Double

    init(studyID: Int64, createdAt: Double) {
        token = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        self.studyID = studyID
        studyCreatedAt = createdAt
    }

    /// Whether this is the log of `study` (not of a deleted study whose id it got).
    func isLog(of study: StudyRecord) -> Bool { studyID == study.id && studyCreatedAt == study.createdAt }

    /// Rereads the study's trials and attempts and re-encodes those whose rows changed (the
    /// others are not even decoded). False when a trial disappeared: start a new log then.
    ///
    /// `full` false rereads only what can have changed, at a cost that does not grow with
    /// the study: the trials numbered above the highest known, those unsettled at the last
    /// reread, those unfinished now (a finished trial can be promoted, or a failed one
    /// forgiven), and those named by an event since (a promotion that ran and finished between
    /// two rereads). A change outside those (say a finished trial's row edited by hand) waits
    /// for the next full reread.
    mutating func update(_ q: StoreQueries, encoder: JSONEncoder, full: Bool) throws -> Bool {
        let scope: TrialScope
        let events = try q.lastEventID()
        if full {
            scope = .all
        } else {
            let above = numbers.last ?? -1
            let again = unsettled.union(try q.unfinishedTrialNumbers(studyID: studyID)).union(try q.trialNumbersWithEvents(studyID: studyID, after: lastEvent))
            scope = .some(above: above, numbers: again.filter { $0 <= above }.sorted())
        }
        lastEvent = events
        // How many known trials the reread must find again.
        let expected: Int
        switch scope {
        case .all: expected = 0
        case .some(_, let asked): expected = asked.filter { entries[$0] != nil }.count
        }
        let attempts = try q.stampedAttempts(studyID: studyID, scope: scope)
        let trials = try q.stampedTrials(studyID: studyID, scope: scope) { n, stamp in entries[n]?.stamp == stamp }
        var added = false, known = 0
        for t in trials {
            let a = attempts[t.number]
            var e = entries[t.number]
            if e != nil { known += 1 }
            if let e, e.stamp == t.stamp, e.attemptStamp == a?.stamp { continue }
            if e == nil {
                e = Entry(stamp: t.stamp, attemptStamp: nil, sequence: 0, trial: Data(), attempts: [], finished: false)
                added = true
                numbers.append(t.number)
            }
            if let record = t.record {
                e!.trial = try encoder.encode(StudyFeed.Trial(record))
                e!.stamp = t.stamp
                e!.finished = record.state.isFinished
            }
            if e!.attemptStamp != a?.stamp {
                e!.attempts = try (a?.attempts ?? []).map { try encoder.encode(StudyFeed.Attempt(trial: t.number, $0, withLog: false)) }
                e!.attemptStamp = a?.stamp
            }
            // Settled: finished, and no attempt left open (closing it may come in a later commit).
            let settled = e!.finished && (a?.attempts ?? []).allSatisfy { $0.endedAt != nil }
            if settled { unsettled.remove(t.number) } else { unsettled.insert(t.number) }
            sequence += 1
            e!.sequence = sequence
            entries[t.number] = e
        }
        if added { numbers.sort() }
        // Every known trial came back (one deleted outside an incremental reread's scope
        // shows at the next full reread).
        return scope == .all ? trials.count == entries.count : known == expected
    }

    /// The sequence a cursor of this log stands for; nil for a missing or foreign cursor.
    func position(_ cursor: String?) -> Int? {
        guard let cursor, let dot = cursor.lastIndex(of: "."), cursor[..<dot] == token,
              let n = Int(cursor[cursor.index(after: dot)...]), n >= 0, n <= sequence else { return nil }
        return n
    }

    /// The study JSON for a page whose last cursor is `since`: the trials (with all their
    /// attempts) stamped after it and `"full": false`, or everything and `"full": true`.
    func answer(since: String?) -> Data {
        let from = position(since)
        var trials = Data(), attempts = Data()
        for n in numbers {
            let e = entries[n]!
            if let from, e.sequence <= from { continue }
            if !trials.isEmpty { trials.append(UInt8(ascii: ",")) }
            trials.append(e.trial)
            for a in e.attempts {
                if !attempts.isEmpty { attempts.append(UInt8(ascii: ",")) }
                attempts.append(a)
            }
        }
        // The cursor first: a client can read it without parsing the rest.
        var out = Data(#"{"cursor":"\#(token).\#(sequence)","full":\#(from == nil),"trials":["#.utf8)
        out.append(trials)
        out.append(Data(#"],"attempts":["#.utf8))
        out.append(attempts)
        out.append(Data("],".utf8))
        out.append(rest.dropFirst())
        return out
    }
}
