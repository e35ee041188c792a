import JSONValue

/// Checkpoints too large for one message (docs/protocol.md, "Large checkpoints"): a command
/// trial's checkpoint directory of a real model holds hundreds of MB, and one message may
/// carry 16 MiB.
///
/// Up: before the report it belongs to, the worker sends the archive as `checkpoint_part`s,
/// each answered by a `checkpoint_ack` saying how many bytes the coordinator holds; at most
/// ``window`` parts are unanswered and they go no faster than ``bytesPerSecond``. The report
/// then says `checkpoint_parts: N`
/// instead of attaching a frame. Down: an assignment resuming from a large checkpoint says
/// `resume_checkpoint_parts: N`; the worker pulls the stored file with `checkpoint_request`s,
/// each answered by one `checkpoint_chunk`, and checks its CRC before restoring it.
public enum CheckpointTransfer {
    /// Bytes per part or chunk.
    public static let partBytes = 4 << 20
    /// Parts or requests a worker keeps unanswered.
    public static let window = 4
    /// How fast a worker sends parts: half of the 64 MiB a second one connection may send
    /// before the coordinator cuts it off, leaving room for everything else.
    public static let bytesPerSecond = 32 << 20
    /// Checkpoints up to this size travel as one frame with their report; larger ones in parts.
    public static let singleFrameBytes = 12 << 20
    /// A checkpoint an attempt resumes from travels inside its assignment up to this size;
    /// a larger one is fetched in chunks, under receipts (Receipts.swift). A peer repeating
    /// `hello` and `ready` gets assignment after assignment: 12 MiB inside each (1 MiB still
    /// made 672 MiB from one connection that read nothing) let it fill the coordinator's send
    /// queue, where 64 KiB each stays small.
    public static let inlineResumeBytes = 64 << 10
    /// Seconds a worker waits for an answer before it asks again (a download) or gives the
    /// transfer up (an upload).
    public static let answerSeconds = 30.0
    /// The largest checkpoint a message may announce (sizes are checked before any
    /// arithmetic: a crafted offset near Int.max overflowed and crashed the coordinator).
    public static let maxTotalBytes = 4 << 30

    /// Worker -> coordinator.
    public enum Request: Sendable, Equatable {
        /// Bytes `offset..<offset+bytes.count` of the checkpoint after `epoch` (`total` bytes in all).
        case part(Part)
        /// Bytes of the stored checkpoint a resumed attempt continues from, from `offset`.
        case fetch(Fetch)
    }

    /// Coordinator -> worker.
    public enum Reply: Sendable, Equatable {
        /// The bytes of an upload the coordinator holds, or why it takes no more of it.
        case ack(Ack)
        /// Part of a stored checkpoint, or why there is none.
        case chunk(Chunk)
    }

    public struct Part: Sendable, Equatable {
        public var trial: Int, attempt: Int, epoch: Int, offset: Int, total: Int
        public var bytes: [UInt8]

        public init(trial: Int, attempt: Int, epoch: Int, offset: Int, total: Int, bytes: [UInt8]) {
            (self.trial, self.attempt, self.epoch, self.offset, self.total, self.bytes) = (trial, attempt, epoch, offset, total, bytes)
        }
    }

    public struct Ack: Sendable, Equatable {
        public var trial: Int, attempt: Int, epoch: Int
        /// Bytes of the upload the coordinator holds.
        public var received: Int
        /// Why the coordinator takes no more of this upload (nil: it goes on).
        public var refused: String?

        public init(trial: Int, attempt: Int, epoch: Int, received: Int, refused: String? = nil) {
            (self.trial, self.attempt, self.epoch, self.received, self.refused) = (trial, attempt, epoch, received, refused)
        }
    }

    public struct Fetch: Sendable, Equatable {
        public var trial: Int, attempt: Int, offset: Int
        /// The receipts of chunks read since the last request (Receipts.swift).
        public var receipts: [Int]

        public init(trial: Int, attempt: Int, offset: Int, receipts: [Int] = []) {
            (self.trial, self.attempt, self.offset, self.receipts) = (trial, attempt, offset, receipts)
        }
    }

    public struct Chunk: Sendable, Equatable {
        public var trial: Int, attempt: Int, offset: Int, total: Int
        public var bytes: [UInt8]
        /// Why there is nothing to send (nil: `bytes` is the chunk).
        public var refused: String?
        /// Returned with the next request once read (Receipts.swift).
        public var receipt: Int?

        public init(trial: Int, attempt: Int, offset: Int, total: Int, bytes: [UInt8], refused: String? = nil, receipt: Int? = nil) {
            (self.trial, self.attempt, self.offset, self.total, self.bytes, self.refused, self.receipt) = (trial, attempt, offset, total, bytes, refused, receipt)
        }
    }
}

/// The JSON of the checkpoint-transfer messages (called from ``WireCodec``); the bytes of a
/// part or chunk travel as the second frame.
enum CheckpointTransferCodec {
    static let maxReasonCharacters = 500

    static func encode(_ r: CheckpointTransfer.Request, into w: inout JSONWriter) {
        switch r {
        case .part(let p):
            w.key("type"); w.string("checkpoint_part")
            w.key("trial"); w.int(p.trial); w.key("attempt"); w.int(p.attempt); w.key("epoch"); w.int(p.epoch)
            w.key("offset"); w.int(p.offset); w.key("total"); w.int(p.total)
            w.key("part_bytes"); w.int(p.bytes.count)
        case .fetch(let f):
            w.key("type"); w.string("checkpoint_request")
            w.key("trial"); w.int(f.trial); w.key("attempt"); w.int(f.attempt); w.key("offset"); w.int(f.offset)
            Receipts.encode(f.receipts, into: &w)
        }
    }

    static func encode(_ r: CheckpointTransfer.Reply, into w: inout JSONWriter) {
        switch r {
        case .ack(let a):
            w.key("type"); w.string("checkpoint_ack")
            w.key("trial"); w.int(a.trial); w.key("attempt"); w.int(a.attempt); w.key("epoch"); w.int(a.epoch)
            w.key("received"); w.int(a.received)
            if let why = a.refused { w.key("refused"); w.string(String(why.prefix(maxReasonCharacters))) }
        case .chunk(let c):
            w.key("type"); w.string("checkpoint_chunk")
            w.key("trial"); w.int(c.trial); w.key("attempt"); w.int(c.attempt)
            w.key("offset"); w.int(c.offset); w.key("total"); w.int(c.total)
            if let why = c.refused {
                w.key("refused"); w.string(String(why.prefix(maxReasonCharacters)))
            } else {
                w.key("chunk_bytes"); w.int(c.bytes.count)
                if let r = c.receipt { w.key("receipt"); w.int(r) }
            }
        }
    }

    /// A request without its part's bytes (the frame is attached by the caller).
    static func request(_ type: String, _ o: JSONValue) throws(ProtocolViolation) -> CheckpointTransfer.Request {
        switch type {
        case "checkpoint_part":
            let p = CheckpointTransfer.Part(trial: try count(o, "trial", type), attempt: try positive(o, "attempt", type), epoch: try positive(o, "epoch", type),
                                            offset: try count(o, "offset", type), total: try count(o, "total", type), bytes: [])
            guard p.total <= CheckpointTransfer.maxTotalBytes, p.offset < p.total else {
                throw .invalid(type: type, reason: "'total' must be at most \(CheckpointTransfer.maxTotalBytes) and 'offset' below it")
            }
            return .part(p)
        default:
            let fetch = CheckpointTransfer.Fetch(trial: try count(o, "trial", type), attempt: try positive(o, "attempt", type), offset: try count(o, "offset", type),
                                                 receipts: try Receipts.decode(o, type: type))
            guard fetch.offset < CheckpointTransfer.maxTotalBytes else { throw .invalid(type: type, reason: "'offset' must be below \(CheckpointTransfer.maxTotalBytes)") }
            return .fetch(fetch)
        }
    }

    /// A reply without its chunk's bytes (the frame is attached by the caller).
    static func reply(_ type: String, _ o: JSONValue) throws(ProtocolViolation) -> CheckpointTransfer.Reply {
        let refused = o["refused"]?.string.map { String($0.prefix(maxReasonCharacters)) }
        switch type {
        case "checkpoint_ack":
            return .ack(.init(trial: try count(o, "trial", type), attempt: try positive(o, "attempt", type), epoch: try positive(o, "epoch", type),
                              received: try count(o, "received", type), refused: refused))
        default:
            let chunk = CheckpointTransfer.Chunk(trial: try count(o, "trial", type), attempt: try positive(o, "attempt", type), offset: try count(o, "offset", type),
                                                 total: try count(o, "total", type), bytes: [], refused: refused,
                                                 receipt: try Receipts.decodeReceipt(o, type: type))
            guard chunk.total <= CheckpointTransfer.maxTotalBytes, chunk.offset <= chunk.total else {
                throw .invalid(type: type, reason: "'total' must be at most \(CheckpointTransfer.maxTotalBytes) and 'offset' within it")
            }
            return .chunk(chunk)
        }
    }

    private static func count(_ o: JSONValue, _ key: String, _ type: String) throws(ProtocolViolation) -> Int {
        guard let n = o[key]?.int, n >= 0 else { throw .invalid(type: type, reason: "'\(key)' must be an integer >= 0") }
        return n
    }

    private static func positive(_ o: JSONValue, _ key: String, _ type: String) throws(ProtocolViolation) -> Int {
        guard let n = o[key]?.int, n >= 1 else { throw .invalid(type: type, reason: "'\(key)' must be an integer >= 1") }
        return n
    }
}
