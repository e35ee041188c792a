import JSONValue

/// Shipping a data set from the coordinator to a worker (docs/protocol.md, "Data sets").
///
/// A worker whose files for an assignment's `data.fingerprint` are missing asks for the
/// set's manifest (the digest and size of each file, in `DataFiles.allPaths` order), then
/// pulls each file it does not hold in its content-addressed cache, chunk by chunk: each
/// `data_request` names a file and an offset and is answered by one `data_chunk` with the
/// bytes as a second frame. The worker keeps a few requests in flight, so no message is
/// large, the coordinator's per-connection limits hold, and heartbeats flow between chunks.
public enum DataTransfer {
    /// Bytes per `data_chunk` (well below `Wire.defaultMaxMessageBytes`).
    public static let chunkBytes = 1 << 20
    /// Requests a worker keeps in flight.
    public static let window = 4
    /// Default largest data set the coordinator ships (`--ship-data-max-mib`).
    public static let defaultMaxShippedBytes = 256 << 20
}

/// Worker -> coordinator: the manifest of a data set (`file` nil) or one chunk of one file.
public struct DataRequest: Sendable, Equatable {
    /// The data set's fingerprint, `sha256:HEX/BYTES` as the assignment carries it.
    public var fingerprint: String
    /// Index of the file in the manifest; nil asks for the manifest.
    public var file: Int?
    public var offset: Int
    /// The receipts of chunks read since the last request (Receipts.swift).
    public var receipts: [Int]

    public init(fingerprint: String, file: Int? = nil, offset: Int = 0, receipts: [Int] = []) {
        self.fingerprint = fingerprint
        self.file = file
        self.offset = offset
        self.receipts = receipts
    }
}

/// Coordinator -> worker: the answer to a ``DataRequest``.
public enum DataReply: Sendable, Equatable {
    /// The files of the data set, in `DataFiles.allPaths` order.
    case manifest(fingerprint: String, files: [DataFileEntry])
    /// Bytes `offset..<offset+bytes.count` of file `file` (a second frame).
    case chunk(DataChunk)
    /// The coordinator does not ship this data set; says why.
    case refused(fingerprint: String, reason: String)

    /// The fingerprint the reply is about.
    public var fingerprint: String {
        switch self {
        case .manifest(let f, _), .refused(let f, _): return f
        case .chunk(let c): return c.fingerprint
        }
    }
}

/// One file of a shipped data set: its SHA-256 (hex) and size.
public struct DataFileEntry: Sendable, Equatable {
    public var sha256: String
    public var bytes: Int

    public init(sha256: String, bytes: Int) {
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// Part of one file of a shipped data set.
public struct DataChunk: Sendable, Equatable {
    public var fingerprint: String
    public var file: Int
    public var offset: Int
    public var bytes: [UInt8]
    /// Returned with the next request once read (Receipts.swift).
    public var receipt: Int?

    public init(fingerprint: String, file: Int, offset: Int, bytes: [UInt8], receipt: Int? = nil) {
        self.fingerprint = fingerprint
        self.file = file
        self.offset = offset
        self.bytes = bytes
        self.receipt = receipt
    }
}

/// The JSON of the data-transfer messages (called from ``WireCodec``).
enum DataTransferCodec {
    static func encode(_ r: DataRequest, into w: inout JSONWriter) {
        w.key("type"); w.string("data_request")
        w.key("fingerprint"); w.string(r.fingerprint)
        if let file = r.file { w.key("file"); w.int(file); w.key("offset"); w.int(r.offset) }
        Receipts.encode(r.receipts, into: &w)
    }

    static func encode(_ d: DataReply, into w: inout JSONWriter) {
        switch d {
        case .manifest(let fingerprint, let files):
            w.key("type"); w.string("data_manifest")
            w.key("fingerprint"); w.string(fingerprint)
            w.key("files"); w.beginArray()
            for f in files { w.beginObject(); w.key("sha256"); w.string(f.sha256); w.key("bytes"); w.int(f.bytes); w.endObject() }
            w.endArray()
        case .chunk(let c):
            w.key("type"); w.string("data_chunk")
            w.key("fingerprint"); w.string(c.fingerprint)
            w.key("file"); w.int(c.file)
            w.key("offset"); w.int(c.offset)
            w.key("chunk_bytes"); w.int(c.bytes.count)
            if let r = c.receipt { w.key("receipt"); w.int(r) }
        case .refused(let fingerprint, let reason):
            w.key("type"); w.string("data_refused")
            w.key("fingerprint"); w.string(fingerprint)
            w.key("reason"); w.string(reason)
        }
    }

    static func request(_ o: JSONValue) throws(ProtocolViolation) -> DataRequest {
        let type = "data_request"
        let fingerprint = try text(o, "fingerprint", type)
        guard o["file"] != nil else { return DataRequest(fingerprint: fingerprint) }
        return DataRequest(fingerprint: fingerprint, file: try count(o, "file", type), offset: try count(o, "offset", type),
                           receipts: try Receipts.decode(o, type: type))
    }

    /// A reply without its chunk bytes (the frame is attached by the caller).
    static func reply(_ type: String, _ o: JSONValue) throws(ProtocolViolation) -> DataReply {
        let fingerprint = try text(o, "fingerprint", type)
        switch type {
        case "data_manifest":
            guard let list = o["files"]?.elements, list.count <= 6 else { throw .invalid(type: type, reason: "'files' must be a list of at most 6 files") }
            var files: [DataFileEntry] = []
            for f in list {
                let sha = try text(f, "sha256", type)
                guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw .invalid(type: type, reason: "'sha256' must be 64 lowercase hex digits") }
                files.append(DataFileEntry(sha256: sha, bytes: try count(f, "bytes", type)))
            }
            return .manifest(fingerprint: fingerprint, files: files)
        case "data_chunk":
            return .chunk(DataChunk(fingerprint: fingerprint, file: try count(o, "file", type), offset: try count(o, "offset", type), bytes: [],
                                    receipt: try Receipts.decodeReceipt(o, type: type)))
        default:
            return .refused(fingerprint: fingerprint, reason: String(try text(o, "reason", type).prefix(2000)))
        }
    }

    private static func text(_ o: JSONValue, _ key: String, _ type: String) throws(ProtocolViolation) -> String {
        guard let s = o[key]?.string else { throw .invalid(type: type, reason: "'\(key)' must be text") }
        guard s.utf8.count <= 256 || key == "reason" else { throw .invalid(type: type, reason: "'\(key)' is too long") }
        return s
    }

    private static func count(_ o: JSONValue, _ key: String, _ type: String) throws(ProtocolViolation) -> Int {
        guard let n = o[key]?.int, n >= 0 else { throw .invalid(type: type, reason: "'\(key)' must be an integer >= 0") }
        return n
    }
}
