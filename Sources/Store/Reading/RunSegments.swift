import GRDB

/// The stretches of time a coordinator ran a study: from each start or resume to the last
/// thing recorded before the next one. The time between them (Ctrl-C, a crash, a
/// weekend) is not the study's: elapsed times and `compare`'s time-to-target leave it out.
public struct RunSegments: Sendable, Hashable {
    /// Start and last recorded activity of each run, oldest first.
    public var segments: [(start: Double, end: Double)]

    public init(_ segments: [(start: Double, end: Double)]) { self.segments = segments }

    public static func == (a: RunSegments, b: RunSegments) -> Bool {
        a.segments.map(\.start) == b.segments.map(\.start) && a.segments.map(\.end) == b.segments.map(\.end)
    }

    public func hash(into h: inout Hasher) {
        for s in segments { h.combine(s.start); h.combine(s.end) }
    }

    /// Seconds of running time between `from` and `to`.
    public func activeSeconds(from: Double, to: Double) -> Double {
        segments.reduce(0) { sum, s in sum + max(0, min(s.end, to) - max(s.start, from)) }
    }

    /// The last run extended to `now` (a coordinator is running it right now).
    public func extendingLast(to now: Double) -> RunSegments {
        guard let last = segments.last, now > last.end else { return self }
        var copy = self
        copy.segments[copy.segments.count - 1].end = now
        return copy
    }

    /// From `firstStart` (the first trial's start) to `lastEnd` (the last one's end),
    /// counting only the time a coordinator ran the study: the time it stood interrupted
    /// waiting for a resume is left out (all of it counts for a study without recorded
    /// runs). What `sweep compare` and `sweep report` call the study's wall time.
    public func trialSpan(firstStart: Double?, lastEnd: Double?) -> Double? {
        guard let firstStart, let lastEnd else { return nil }
        return segments.isEmpty ? max(0, lastEnd - firstStart) : activeSeconds(from: firstStart, to: lastEnd)
    }

    /// All running time.
    public var total: Double { segments.reduce(0) { $0 + max(0, $1.end - $1.start) } }
}

extension StoreQueries {
    /// The runs of a study, from its `study_started` / `study_resumed` events and the
    /// latest time recorded in each (events, trial starts and ends, epoch reports, worker
    /// heartbeats). A run that crashed ends at the last thing it recorded. Only what was
    /// recorded `before` a time counts (a resume asks before it begins).
    public func runSegments(studyID: Int64, before: Double = .greatestFiniteMagnitude) throws -> RunSegments {
        let rows = try Row.fetchAll(db, sql: """
            WITH starts AS (
                SELECT time, lead(time) OVER (ORDER BY time) AS next
                FROM events WHERE study_id = :s AND kind IN ('study_started', 'study_resumed')
            ), activity(t) AS (
                SELECT time FROM events WHERE study_id = :s
                UNION ALL SELECT started_at FROM trials WHERE study_id = :s AND started_at IS NOT NULL
                UNION ALL SELECT finished_at FROM trials WHERE study_id = :s AND finished_at IS NOT NULL
                UNION ALL SELECT i.recorded_at FROM intermediate_values i JOIN trials t ON t.id = i.trial_id WHERE t.study_id = :s
                UNION ALL SELECT last_seen FROM workers WHERE study_id = :s
            )
            SELECT s.time AS start,
                   (SELECT max(t) FROM activity WHERE t >= s.time AND (s.next IS NULL OR t < s.next) AND t < :before) AS last
            FROM starts s WHERE s.time < :before ORDER BY s.time
            """, arguments: ["s": studyID, "before": before])
        return RunSegments(rows.map { row in
            let start: Double = row["start"]
            let last: Double? = row["last"]
            return (start, max(start, last ?? start))
        })
    }
}
