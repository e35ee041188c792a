import CZlib
import HTTPTypes
import Hummingbird

/// Refuses requests that name another host when the dashboard listens on loopback only.
///
/// A page on any web site can make the browser resolve its own name to 127.0.0.1 (DNS
/// rebinding) and then read the dashboard as if it were that site: the browser sends the
/// site's name as `Host`. A dashboard on loopback therefore answers only requests for
/// `localhost`, `*.localhost`, `127.x.x.x` or `[::1]` (any port; an `ssh -L` tunnel sends
/// `localhost:PORT`). One bound beyond loopback is meant to be reached by other names.
struct LoopbackHostCheck: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Names answered besides loopback's (`--allow-host`: a reverse proxy's), lowercased.
    var allowed: Set<String> = []

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // HTTP/1.0 clients may send no Host; browsers always do.
        guard let authority = request.head.authority, !Self.namesLoopback(authority),
              Self.hostName(authority).map({ !allowed.contains($0) }) ?? true else {
            return try await next(request, context)
        }
        return DashboardServer.respond("""
            this dashboard listens on loopback and answers requests for localhost\(allowed.isEmpty ? " only" : " and \(allowed.sorted().joined(separator: ", "))"), not for '\(authority)' \
            (another site's page may be trying to read it); to reach it under another name, allow that name \
            (sweep dashboard --allow-host NAME, for a reverse proxy) or bind it beyond loopback: \
            sweep dashboard --bind 0.0.0.0:PORT --token TOKEN\n
            """, type: "text/plain; charset=utf-8", status: .misdirectedRequest)
    }

    /// The host of a `Host` value (`name[:port]`, `[v6]:port`), lowercased, without the
    /// port and a final dot (`localhost.` is the same name); nil when malformed.
    static func hostName(_ authority: String) -> String? {
        var host = authority.lowercased()
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }

    /// Whether the `Host` value (`name[:port]`, `[v6]:port`) names this machine's loopback.
    static func namesLoopback(_ authority: String) -> Bool {
        guard let host = hostName(authority) else { return false }
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" { return true }
        // 127.0.0.0/8 written out in full (not a name such as `127.evil.com`).
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// Sends text answers of 1 KiB or more gzip-compressed to clients that accept it: a study's
/// JSON of 4,000 trials is 2.1 MB as text and a tenth of that compressed (a page over an
/// ssh tunnel or a slow link waited seconds for each first poll).
struct GzipResponses: RouterMiddleware {
    typealias Context = BasicRequestContext
    static var threshold: Int { 1024 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard request.method != .head, Self.acceptsGzip(request.headers[.acceptEncoding]),
              response.headers[.contentEncoding] == nil,
              let length = response.body.contentLength, length >= Self.threshold else { return response }
        let collected = CollectedBody()
        try await response.body.write(CollectingWriter(into: collected))
        guard let compressed = Gzip.compress(collected.buffer) else { return response }
        response.headers[.contentEncoding] = "gzip"
        response.headers[.vary] = "Accept-Encoding"
        response.body = ResponseBody(byteBuffer: compressed)
        return response
    }

    /// Whether an `Accept-Encoding` value allows gzip (`gzip`, `x-gzip` or `*`, unless `q=0`).
    static func acceptsGzip(_ value: String?) -> Bool {
        guard let value else { return false }
        for item in value.lowercased().split(separator: ",") {
            let fields = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let coding = fields.first, ["gzip", "x-gzip", "*"].contains(coding) else { continue }
            let q = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return q > 0
        }
        return false
    }

    /// The body written by a handler, gathered in one buffer (all of ours are one buffer).
    final class CollectedBody {
        var buffer = ByteBuffer()
    }

    struct CollectingWriter: ResponseBodyWriter {
        let collected: CollectedBody
        init(into collected: CollectedBody) { self.collected = collected }
        mutating func write(_ buffer: ByteBuffer) async throws {
            var b = buffer
            collected.buffer.writeBuffer(&b)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

/// gzip (RFC 1952) through zlib.
enum Gzip {
    /// The bytes of `input` as one gzip member; nil if zlib fails (the caller sends them as they are).
    static func compress(_ input: ByteBuffer, level: Int32 = 5) -> ByteBuffer? {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bytes = Array(input.readableBytesView)
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let status = bytes.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return ByteBuffer(bytes: output[..<Int(stream.total_out)])
    }
}
