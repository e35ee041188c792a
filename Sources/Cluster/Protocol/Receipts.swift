import JSONValue

/// Receipts for the replies that carry bulk bytes (docs/protocol.md, "Receipts").
///
/// A worker asks for data-set chunks (`data_request`) and checkpoint chunks
/// (`checkpoint_request`), each answered by up to 4 MiB. A peer that asks and never reads
/// would have libzmq queue those answers for it, up to the send queue's 1,000 messages (4
/// GiB), and the coordinator cannot see what a peer has read. So each such answer carries a
/// random `receipt`, and the worker returns the receipts of the answers it has read with its
/// next request (`receipts`), or, when no request follows (the last chunks of a download),
/// in a `receipts` message within a tenth of a second. The coordinator answers a worker only
/// while fewer than ``unconfirmed`` of its answers are unconfirmed (a request beyond that is
/// dropped: an honest worker keeps 4 in flight), and all workers only while fewer than
/// ``unconfirmedOverall`` are (a request beyond that waits its turn, workers holding no
/// chunk long unconfirmed first, then the one served least recently); it cuts the
/// connection of a worker that has confirmed nothing for ``unreadSeconds`` while answers
/// were outstanding, or for ``contendedSeconds`` when others wait for room (libzmq then frees what it queued; a slow link confirms late, but
/// steadily), and the old connection of a worker id that comes back on a new one.
/// The chunks all peers together can make the coordinator hold are so bounded by
/// ``unconfirmedOverall``: at most 32 MiB of data-set chunks or 128 MiB of checkpoint parts.
public enum Receipts {
    /// Answers with bytes a worker may hold unconfirmed: twice the window a worker keeps in
    /// flight, for the answers still on their way when it asks again after a silence.
    public static let unconfirmed = 2 * max(DataTransfer.window, CheckpointTransfer.window)
    /// Answers with bytes all workers together may hold unconfirmed (150 peers asking for
    /// 8 chunks each and reading none held 1.5 GiB): enough in flight for a gigabit link.
    public static let unconfirmedOverall = 4 * unconfirmed
    /// How long a worker with answers outstanding may confirm none.
    public static let unreadSeconds = 60.0
    /// How long a worker may confirm nothing while holding room others wait for.
    public static let contendedSeconds = 10.0
    /// Receipts one request may carry.
    static let maxPerRequest = 64

    /// A fresh receipt: random, and within the integers every JSON reader keeps exactly.
    static func newReceipt() -> Int { Int.random(in: 1 ..< (1 << 53)) }

    /// Writes `receipts` (a request's) unless there are none.
    static func encode(_ receipts: [Int], into w: inout JSONWriter) {
        guard !receipts.isEmpty else { return }
        w.key("receipts"); w.beginArray(); for r in receipts { w.int(r) }; w.endArray()
    }

    /// A request's `receipts` (none when absent); a malformed list is a violation.
    static func decode(_ o: JSONValue, type: String) throws(ProtocolViolation) -> [Int] {
        guard let value = o["receipts"] else { return [] }
        guard let list = value.elements, list.count <= maxPerRequest else {
            throw .invalid(type: type, reason: "'receipts' must be a list of at most \(maxPerRequest) integers")
        }
        var receipts: [Int] = []
        for item in list {
            guard let r = item.int else { throw .invalid(type: type, reason: "'receipts' must hold integers") }
            receipts.append(r)
        }
        return receipts
    }

    /// An answer's `receipt`, if it has one.
    static func decodeReceipt(_ o: JSONValue, type: String) throws(ProtocolViolation) -> Int? {
        guard let value = o["receipt"] else { return nil }
        guard let r = value.int else { throw .invalid(type: type, reason: "'receipt' must be an integer") }
        return r
    }
}

extension WorkerMessage {
    /// The receipts a request for bulk bytes returns (nil: not such a request).
    public var bulkReceipts: [Int]? {
        switch self {
        case .dataRequest(let r) where r.file != nil: return r.receipts
        case .checkpoint(.fetch(let f)): return f.receipts
        default: return nil
        }
    }

    /// Adds `receipts` to a request for bulk bytes; false (and unchanged) for other messages.
    public mutating func attach(receipts: [Int]) -> Bool {
        switch self {
        case .dataRequest(var r) where r.file != nil:
            r.receipts += receipts
            self = .dataRequest(r)
        case .checkpoint(.fetch(var f)):
            f.receipts += receipts
            self = .checkpoint(.fetch(f))
        default:
            return false
        }
        return true
    }
}

extension CoordinatorMessage {
    /// Whether this answer carries bulk bytes (and so a receipt).
    public var carriesBulk: Bool {
        switch self {
        case .data(.chunk(let c)): return !c.bytes.isEmpty
        case .checkpoint(.chunk(let c)): return c.refused == nil && !c.bytes.isEmpty
        default: return false
        }
    }

    /// The receipt of an answer with bulk bytes.
    public var receipt: Int? {
        get {
            switch self {
            case .data(.chunk(let c)): return c.receipt
            case .checkpoint(.chunk(let c)): return c.receipt
            default: return nil
            }
        }
        set {
            switch self {
            case .data(.chunk(var c)): c.receipt = newValue; self = .data(.chunk(c))
            case .checkpoint(.chunk(var c)): c.receipt = newValue; self = .checkpoint(.chunk(c))
            default: break
            }
        }
    }
}
