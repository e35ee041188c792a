import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks the shape of a ZeroMQ endpoint given on the command line, so that a typo is a
/// usage error (exit 2) instead of a failure from deep inside ZeroMQ.
enum EndpointOption {
    /// nil when `endpoint` looks like `tcp://HOST:PORT`, `ipc://PATH` or `inproc://NAME`;
    /// else the message. `listening` also allows `*` and port 0 (any free port).
    static func problem(_ endpoint: String, option: String, listening: Bool) -> String? {
        let example = listening ? "tcp://127.0.0.1:5555 (or tcp://0.0.0.0:5555)" : "tcp://HOST:5555"
        let bad = "\(option) must be a ZeroMQ endpoint such as \(example), got '\(endpoint)'"
        guard let range = endpoint.range(of: "://") else { return bad }
        let scheme = endpoint[..<range.lowerBound]
        let rest = endpoint[range.upperBound...]
        switch scheme {
        case "ipc", "inproc":
            guard !rest.isEmpty else { return bad }
            // (A socket in a missing directory failed with "No such file or directory", exit 1.)
            if scheme == "ipc", listening, case let directory = (String(rest) as NSString).deletingLastPathComponent, !directory.isEmpty {
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                    return "\(option) '\(endpoint)': the directory \(directory) does not exist"
                }
            }
            return nil
        case "tcp":
            // An IPv6 address goes in brackets: `tcp://::1:5555` read as host `::1`, port 5555
            // failed deep in ZeroMQ ("No such device"), and `tcp://[::1]` had port "1]".
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"), rest[close...].hasPrefix("]:") else {
                    return "\(option) '\(endpoint)': an IPv6 address needs its port after the bracket, e.g. tcp://[::1]:5555"
                }
            } else if rest.filter({ $0 == ":" }).count > 1 {
                return "\(option) '\(endpoint)': write an IPv6 address in brackets, e.g. tcp://[::1]:5555"
            }
            guard let colon = rest.lastIndex(of: ":") else { return bad }
            let host = rest[..<colon]
            let port = rest[rest.index(after: colon)...]
            guard !host.isEmpty else { return bad }
            if !listening && host == "*" {
                return "\(option) '\(endpoint)': '*' (every interface) is for --bind; a worker connects to the coordinator's address, e.g. tcp://HOST:\(port)"
            }
            if listening && port == "*" { return nil }
            guard let p = Int(port), (listening ? 0 : 1)...65535 ~= p else {
                return "\(option): the port must be a number from \(listening ? 0 : 1) to 65535, got '\(port)' in '\(endpoint)'"
            }
            return nil
        default:
            return bad
        }
    }

    /// For `--connect`: a warning when its host name does not resolve here (yet: a worker
    /// started before the network keeps trying), nil otherwise. It only ever said "no
    /// coordinator at ... is it running?" of a typo such as `tcp://localhst:5555`.
    static func unresolvedHostWarning(_ endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return nil }
        let host = String(endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon])
        var v4 = in_addr(), v6 = in6_addr()
        if host.hasPrefix("[") || inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 { return nil }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &found)
        if let found { freeaddrinfo(found) }
        guard status != 0 else { return nil }
        return "warning: the host name '\(host)' of --connect \(endpoint) does not resolve here (\(String(cString: gai_strerror(status)))); the worker keeps trying"
    }

    /// `endpoint` with a host name resolved to its address, for listening: ZeroMQ binds to an
    /// address, `*` or an interface name only (`--bind tcp://head:5555`, as for workers'
    /// `--connect`, failed with "No such device"). Anything else is returned as given.
    static func resolvedForListening(_ endpoint: String) throws -> String {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return endpoint }
        var host = String(endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { return endpoint } // an IPv6 address
        var v4 = in_addr(), v6 = in6_addr()
        if host == "*" || inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 || if_nametoindex(host) != 0 { return endpoint }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &found) == 0, let first = found else {
            throw UsageError("--bind \(endpoint): '\(host)' is no address, interface or host name of this machine (use its IP address, or * for all)")
        }
        defer { freeaddrinfo(found) }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
            var address = a.pointee.sin_addr
            _ = inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
        }
        let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Debian's /etc/hosts names the machine 127.0.1.1: listening there, no other host
        // reaches it (and loopback needs no keys), while workers resolve the name elsewhere.
        if address.hasPrefix("127."), host != "localhost" {
            throw UsageError("--bind \(endpoint): '\(host)' is \(address) here (loopback, /etc/hosts?): other machines cannot reach it; bind this machine's network address (e.g. tcp://10.0.0.5:5555) or tcp://*:5555")
        }
        host = address
        return "tcp://\(host)" + endpoint[colon...]
    }
}
