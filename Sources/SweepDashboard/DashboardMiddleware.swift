import CZlib
import Foundation
import HTTPTypes
import Hummingbird
import SweepSupport

/// Refuses requests that name a host the dashboard does not go by (DNS rebinding).
///
/// A page on any web site can make the browser resolve its own name to 127.0.0.1, or to a
/// machine on the user's network (DNS rebinding), and then read the dashboard as if it were
/// that site: the browser sends the site's name as `Host`. A dashboard on loopback therefore
/// answers only requests for `localhost`, `*.localhost`, `127.x.x.x` or `[::1]` (any port;
/// an `ssh -L` tunnel sends `localhost:PORT`); one bound beyond loopback also those for an
/// IP address and this machine's name (it answered every name, so a site could read a
/// dashboard on the user's network that the site itself could not reach). Other names are
/// answered when allowed (`--allow-host`: a reverse proxy's, a DNS alias).
struct LoopbackHostCheck: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Names answered besides loopback's (`--allow-host`: a reverse proxy's), lowercased.
    var allowed: Set<String> = []
    /// Whether the dashboard listens beyond loopback: addresses and this machine's names
    /// (``machineNames``) are answered too.
    var beyondLoopback = false
    /// `Host` as a field (HTTP types keep the first as the request's authority).
    static let hostField = HTTPField.Name("Host")!
    /// This machine's names, lowercased (its host name, and its first label).
    var machineNames: Set<String> = LoopbackHostCheck.thisMachine()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A second Host (the first becomes the authority; the others stay fields): which one
        // a proxy in front went by is unknown, and RFC 9112 says to refuse the request.
        if request.headers[values: Self.hostField].count + (request.head.authority == nil ? 0 : 1) > 1 {
            return DashboardServer.respond("more than one Host header\n", type: "text/plain; charset=utf-8", status: .badRequest)
        }
        // HTTP/1.0 clients may send no Host; browsers always do.
        guard let authority = request.head.authority, !answers(authority) else {
            return try await next(request, context)
        }
        let also = allowed.isEmpty ? "" : " and \(allowed.sorted().joined(separator: ", "))"
        let message = beyondLoopback
            ? "this dashboard answers requests for its addresses, localhost and this machine's name (\(machineNames.sorted().joined(separator: ", ")))\(also), not for '\(authority)' (another site's page may be trying to read it); to reach it under another name (a DNS alias, a reverse proxy), allow that name: sweep dashboard --allow-host NAME\n"
            : """
            this dashboard listens on loopback and answers requests for localhost\(allowed.isEmpty ? " only" : also), not for '\(authority)' \
            (another site's page may be trying to read it); to reach it under another name, allow that name \
            (sweep dashboard --allow-host NAME, for a reverse proxy) or bind it beyond loopback: \
            sweep dashboard --bind 0.0.0.0:PORT --token TOKEN\n
            """
        return DashboardServer.respond(message, type: "text/plain; charset=utf-8", status: .misdirectedRequest)
    }

    /// Whether a request for `authority` is answered.
    func answers(_ authority: String) -> Bool {
        if Self.namesLoopback(authority) { return true }
        guard let host = Self.hostName(authority) else { return false }
        if allowed.contains(host) { return true }
        return beyondLoopback && (Self.isAddress(host) || machineNames.contains(host))
    }

    /// Whether `host` (as ``hostName(_:)`` gives it) is an IP address written out: four
    /// decimal numbers to 255, or an IPv6 address (hex digits, colons, at most one `::`).
    static func isAddress(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, !host.contains(":") { return parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && UInt8($0) != nil } }
        return host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
            && host.components(separatedBy: "::").count <= 2
    }

    /// This machine's host name and its first label, lowercased.
    static func thisMachine() -> Set<String> {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return [] }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
        guard !name.isEmpty else { return [] }
        return [name, String(name.split(separator: ".").first ?? Substring(name))]
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
        // (`*.localhost` as well: browsers resolve those to loopback themselves, RFC 6761.)
        return host.hasSuffix(".localhost") || LoopbackHost.contains(host)
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
