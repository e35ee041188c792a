/// Recent hellos by worker id: a worker that says hello again and again (a peer in a loop,
/// or a link that flaps) hands its trial back each time, and each hello wrote a
/// `worker_joined` event (29 MB of database in 30 s). Here: one event per id a minute, and
/// an id that said hello ``flappingHellos`` times within ``windowSeconds`` gets no trial for
/// ``holdSeconds``. Sans-I/O; bounded by the ids heard from in the last minute.
struct HelloRecords {
    static let flappingHellos = 5
    static let windowSeconds = 60.0
    static let holdSeconds = 30.0

    /// What a hello is.
    enum Kind: Equatable {
        /// The first in a minute: an event says the worker joined.
        case joined
        /// Again within a minute.
        case again
        /// The one that makes the id flap: it gets no trial for a while.
        case startedFlapping
    }

    private struct Record {
        var times: [Double] = []
        var lastEvent = -Double.infinity
        var flappingUntil: Double?
    }
    private var records: [String: Record] = [:]

    /// Notes a hello of `worker` at `now`; `counted`: whether it counts toward flapping (a
    /// hello the coordinator asked for, with `identify`, does not).
    mutating func note(_ worker: String, now: Double, counted: Bool = true) -> Kind {
        if records.count > 4096 { forgetOld(now: now) }
        var r = records[worker] ?? Record()
        r.times = r.times.filter { now - $0 < Self.windowSeconds }.suffix(Self.flappingHellos - 1) + (counted ? [now] : [])
        let kind: Kind
        if r.flappingUntil == nil && r.times.count >= Self.flappingHellos {
            r.flappingUntil = now + Self.holdSeconds
            kind = .startedFlapping
        } else if now - r.lastEvent >= Self.windowSeconds {
            r.lastEvent = now
            kind = .joined
        } else {
            kind = .again
        }
        records[worker] = r
        return kind
    }

    /// Whether `worker` gets no trial now.
    func isFlapping(_ worker: String) -> Bool { records[worker]?.flappingUntil != nil }

    /// The ids whose hold ends by `now` (they may take trials again).
    mutating func endFlapping(now: Double) -> [String] {
        var ended: [String] = []
        for (worker, r) in records where (r.flappingUntil ?? .infinity) <= now {
            records[worker]?.flappingUntil = nil
            records[worker]?.times.removeAll()
            ended.append(worker)
        }
        return ended
    }

    private mutating func forgetOld(now: Double) {
        records = records.filter { now - ($0.value.times.last ?? -.infinity) < Self.windowSeconds || $0.value.flappingUntil != nil }
    }
}
