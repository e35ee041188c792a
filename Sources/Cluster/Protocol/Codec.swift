import Foundation

/// Why an incoming message was dropped.
public enum ProtocolViolation: Error, Equatable, CustomStringConvertible {
    case oversized(bytes: Int, limit: Int)
    case notJSON
    case missingType
    case unsupportedVersion(Int)
    case unknownType(String)
    case invalid(type: String, reason: String)

    public var description: String {
        switch self {
        case .oversized(let b, let l): return "message of \(b) bytes exceeds the limit of \(l)"
        case .notJSON: return "not a JSON object"
        case .missingType: return "no 'type' field"
        case .unsupportedVersion(let v): return "protocol version \(v) is not supported (this coordinator speaks \(Wire.version))"
        case .unknownType(let t): return "unknown message type '\(t)'"
        case .invalid(let t, let r): return "malformed '\(t)': \(r)"
        }
    }
}

/// Encodes and decodes protocol messages (one JSON object per frame).
///
/// Decoding checks size, version, type and field ranges; anything else is a
/// ``ProtocolViolation`` the caller counts and drops. Unknown extra fields are ignored so
/// that newer workers can add information.
public struct WireCodec {
    public var maxMessageBytes: Int
    private let decoder: JSONDecoder
    private let encoder: JSONEncoder

    public init(maxMessageBytes: Int = Wire.defaultMaxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder = e
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder = d
    }

    private struct Header: Decodable {
        var v: Int?
        var type: String?
    }

    private struct Envelope<Body: Encodable>: Encodable {
        var type: String
        var body: Body?

        enum Keys: String, CodingKey { case v, type }

        func encode(to encoder: any Encoder) throws {
            try body?.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(Wire.version, forKey: .v)
            try c.encode(type, forKey: .type)
        }
    }

    private struct Empty: Encodable {
        func encode(to encoder: any Encoder) throws { _ = encoder.container(keyedBy: WireCodec.Envelope<Empty>.Keys.self) }
    }

    private struct Reason: Codable { var reason: String }
    private struct Text: Codable { var message: String }
    private struct Cancel: Codable { var trial: Int; var attempt: Int; var reason: String }

    private func encode<B: Encodable>(_ type: String, _ body: B) -> [UInt8] {
        // Encoding our own well-formed values cannot fail except for non-finite floats, which
        // the strategy above turns into strings.
        Array((try? encoder.encode(Envelope(type: type, body: body))) ?? Data())
    }

    // MARK: Worker -> coordinator

    public func encode(_ m: WorkerMessage) -> [UInt8] {
        switch m {
        case .hello(let h): return encode("hello", h)
        case .ready: return encode("ready", Empty())
        case .report(let r): return encode("report", r)
        case .result(let r): return encode("result", r)
        case .failure(let f): return encode("failure", f)
        case .heartbeat: return encode("heartbeat", Empty())
        case .bye(let b): return encode("bye", b)
        }
    }

    public func decodeWorkerMessage(_ bytes: [UInt8]) throws(ProtocolViolation) -> WorkerMessage {
        let (type, data) = try header(bytes)
        func body<T: Decodable>(_ t: T.Type) throws(ProtocolViolation) -> T {
            do { return try decoder.decode(T.self, from: data) } catch { throw .invalid(type: type, reason: Self.reason(error)) }
        }
        switch type {
        case "hello":
            let h = try body(WorkerMessage.Hello.self)
            guard !h.worker.isEmpty, h.worker.utf8.count <= 256 else { throw .invalid(type: type, reason: "worker id must have 1-256 bytes") }
            guard h.host.utf8.count <= 256 else { throw .invalid(type: type, reason: "host name too long") }
            if let r = h.running { try checkRef(type, r.trial, r.attempt); guard r.epoch >= 0 else { throw .invalid(type: type, reason: "epoch must be >= 0") } }
            return .hello(h)
        case "ready": return .ready
        case "heartbeat": return .heartbeat
        case "report":
            let r = try body(WorkerMessage.Report.self)
            try checkRef(type, r.trial, r.attempt)
            guard r.epoch >= 1 else { throw .invalid(type: type, reason: "epoch must be >= 1, got \(r.epoch)") }
            guard r.metrics.count <= 256 else { throw .invalid(type: type, reason: "too many metrics (\(r.metrics.count))") }
            return .report(r)
        case "result":
            let r = try body(WorkerMessage.Result.self)
            try checkRef(type, r.trial, r.attempt)
            guard r.state == "complete" || r.state == "pruned" else { throw .invalid(type: type, reason: "state must be complete or pruned, got '\(r.state)'") }
            guard r.epochs >= 0 else { throw .invalid(type: type, reason: "epochs must be >= 0") }
            return .result(r)
        case "failure":
            let f = try body(WorkerMessage.Failure.self)
            try checkRef(type, f.trial, f.attempt)
            return .failure(WorkerMessage.Failure(trial: f.trial, attempt: f.attempt, error: String(f.error.prefix(4000)), ready: f.ready))
        case "bye":
            let b = try body(WorkerMessage.Bye.self)
            if let t = b.trial { try checkRef(type, t, b.attempt ?? 1) }
            return .bye(b)
        default:
            throw .unknownType(String(type.prefix(64)))
        }
    }

    // MARK: Coordinator -> worker

    public func encode(_ m: CoordinatorMessage) -> [UInt8] {
        switch m {
        case .welcome(let w): return encode("welcome", w)
        case .assign(let a): return encode("assign", a)
        case .decision(let d): return encode("decision", d)
        case .noWork(let r): return encode("no_work", Reason(reason: r))
        case .stop(let r): return encode("stop", Reason(reason: r))
        case .cancel(let ref, let r): return encode("cancel", Cancel(trial: ref.trial, attempt: ref.attempt, reason: r))
        case .identify: return encode("identify", Empty())
        case .heartbeat: return encode("heartbeat", Empty())
        case .error(let message): return encode("error", Text(message: message))
        }
    }

    public func decodeCoordinatorMessage(_ bytes: [UInt8]) throws(ProtocolViolation) -> CoordinatorMessage {
        let (type, data) = try header(bytes)
        func body<T: Decodable>(_ t: T.Type) throws(ProtocolViolation) -> T {
            do { return try decoder.decode(T.self, from: data) } catch { throw .invalid(type: type, reason: Self.reason(error)) }
        }
        switch type {
        case "welcome": return .welcome(try body(CoordinatorMessage.Welcome.self))
        case "assign": return .assign(try body(CoordinatorMessage.Assign.self))
        case "decision": return .decision(try body(CoordinatorMessage.Decision.self))
        case "no_work": return .noWork(reason: try body(Reason.self).reason)
        case "stop": return .stop(reason: try body(Reason.self).reason)
        case "cancel":
            let c = try body(Cancel.self)
            return .cancel(TrialRef(trial: c.trial, attempt: c.attempt), reason: c.reason)
        case "identify": return .identify
        case "heartbeat": return .heartbeat
        case "error": return .error(try body(Text.self).message)
        default: throw .unknownType(String(type.prefix(64)))
        }
    }

    // MARK: Shared

    private func header(_ bytes: [UInt8]) throws(ProtocolViolation) -> (String, Data) {
        guard bytes.count <= maxMessageBytes else { throw .oversized(bytes: bytes.count, limit: maxMessageBytes) }
        guard bytes.first == UInt8(ascii: "{") else { throw .notJSON }
        let data = Data(bytes)
        let header: Header
        do { header = try decoder.decode(Header.self, from: data) } catch { throw .notJSON }
        guard let type = header.type else { throw .missingType }
        guard header.v == Wire.version else { throw .unsupportedVersion(header.v ?? 0) }
        return (type, data)
    }

    private func checkRef(_ type: String, _ trial: Int, _ attempt: Int) throws(ProtocolViolation) {
        guard trial >= 0 else { throw .invalid(type: type, reason: "trial must be >= 0, got \(trial)") }
        guard attempt >= 1 else { throw .invalid(type: type, reason: "attempt must be >= 1, got \(attempt)") }
    }

    /// A one-line reason from a `DecodingError`.
    static func reason(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch e {
        case .keyNotFound(let k, _): return "missing field '\(k.stringValue)'"
        case .typeMismatch(_, let c): return "wrong type for '\(path(c))'"
        case .valueNotFound(_, let c): return "null for '\(path(c))'"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? c.debugDescription : "'\(path(c))': \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
