import Foundation
import SweepSupport

/// Where the dashboard listens and who may change things through it.
public struct DashboardOptions: Sendable, Equatable {
    /// Host name or address to bind (`127.0.0.1` unless asked otherwise).
    public var host: String
    /// TCP port (0 picks a free one; the chosen port is printed).
    public var port: Int
    /// Required (as `Authorization: Bearer TOKEN`) by every request that changes state.
    public var token: String?
    /// Seconds the dashboard and /metrics stay up after the study ends (with a coordinator),
    /// so that a scraper such as Prometheus sees the final numbers.
    public var linger: Double = 0
    /// Host names answered on loopback besides localhost's (a reverse proxy that passes its
    /// own `Host`), lowercased; see ``allowing(hosts:option:)``.
    public var allowedHosts: Set<String> = []

    public static let defaultBind = "127.0.0.1:8080"

    /// Parses `HOST:PORT`, `:PORT` or `PORT`; beyond loopback it needs a token or `insecure`.
    /// Errors name the option and the bad value.
    public init(bind: String, token: String?, insecure: Bool, option: String = "--bind") throws {
        // A ZeroMQ endpoint (`tcp://...`, what `--bind` of a coordinator takes) is no HTTP
        // address: it read as the host "tcp" (not loopback) and asked for a token.
        if bind.contains("://") {
            let bare = bind.split(separator: "/").last.map(String.init) ?? bind
            throw DashboardError.badOption("\(option) '\(bind)': the dashboard listens on HOST:PORT (HTTP), not a ZeroMQ endpoint; e.g. \(bare)")
        }
        var host = "127.0.0.1"
        var portText = bind
        if let colon = bind.lastIndex(of: ":") {
            let h = String(bind[..<colon])
            if !h.isEmpty { host = h.hasPrefix("[") && h.hasSuffix("]") ? String(h.dropFirst().dropLast()) : h }
            portText = String(bind[bind.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw DashboardError.badOption("\(option) '\(bind)': expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8080")
        }
        // `sweep dashboard --bind` takes --token and --insecure; `--dashboard` their
        // --dashboard- forms.
        let (tokenOption, insecureOption) = option == "--bind" ? ("--token", "--insecure") : (option + "-token", option + "-insecure")
        if let token, token.count < 16 {
            throw DashboardError.badOption("\(tokenOption) (or $SWEEP_DASHBOARD_TOKEN): at least 16 characters, got \(token.count)")
        }
        if !Self.isLoopback(host) && token == nil && !insecure {
            throw DashboardError.badOption("\(option) '\(bind)' is beyond loopback: pass \(tokenOption) TOKEN (state changes need it) or \(insecureOption) (trusted networks only)")
        }
        self.host = host
        self.port = port
        self.token = token
    }

    /// These options answering `hosts` too (`--allow-host`): each a host name or address
    /// without a port, such as `sweep.example.com`. Errors name the option and the value.
    public func allowing(hosts: [String], option: String = "--allow-host") throws -> DashboardOptions {
        var options = self
        for name in hosts {
            // An IPv6 address may come bracketed or bare; one colon is a port.
            var host = name.lowercased()
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.hasSuffix(".") { host.removeLast() }
            let colons = host.filter { $0 == ":" }.count
            guard !host.isEmpty, colons != 1, !host.contains(where: { "/*@[]".contains($0) || $0.isWhitespace }) else {
                throw DashboardError.badOption("\(option) '\(name)': expected a host name or address without a port or scheme, e.g. sweep.example.com")
            }
            options.allowedHosts.insert(host)
        }
        return options
    }

    /// `127.x.x.x`, `::1` and `localhost` (not `127.evil.com`: ``LoopbackHost``).
    public static func isLoopback(_ host: String) -> Bool {
        LoopbackHost.contains(host)
    }
}

/// What the dashboard refuses, with the option or request it is about.
public enum DashboardError: Error, CustomStringConvertible, Equatable {
    case badOption(String)

    public var description: String {
        switch self {
        case .badOption(let s): return s
        }
    }
}
