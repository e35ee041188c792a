import Foundation
import SweepSupport
import ZeroMQ

/// Who may talk to a coordinator.
///
/// By default a coordinator listens on loopback only. Listening on another address needs
/// CURVE (encryption plus a list of allowed worker keys, checked by a ZAP handler in the
/// coordinator's poll loop) or an explicit `--insecure`.
public struct SecurityOptions: Sendable {
    /// CURVE keys: the coordinator's secret key and the public keys of allowed workers.
    public var curve: CurveServerKeys?
    /// Allow a non-loopback address without CURVE (trusted networks only).
    public var insecure: Bool

    public init(curve: CurveServerKeys? = nil, insecure: Bool = false) {
        self.curve = curve
        self.insecure = insecure
    }

    /// No CURVE; loopback addresses only.
    public static let loopbackOnly = SecurityOptions()

    /// Refuses to listen beyond loopback without CURVE unless `insecure`.
    public func check(bind endpoint: String) throws {
        guard curve == nil, !insecure, !Self.isLocal(endpoint) else { return }
        throw SecurityError.insecureBind(endpoint)
    }

    /// Whether an endpoint is reachable only from this machine.
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        var host = String(endpoint.dropFirst(6))
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return LoopbackHost.contains(host)
    }

    func configureServer(_ socket: Socket) throws {
        guard let curve else { return }
        try socket.setZAPDomain("sweep")
        try socket.setCurveServer(secretKey: curve.secretKey)
    }

    func makeAuthenticator(context: Context, log: Log) throws -> Authenticator? {
        guard let curve else { return nil }
        return try Authenticator(context: context, allowed: Set(curve.allowedWorkerKeys), file: curve.authorizedFile, log: log)
    }
}

/// The coordinator's CURVE secret key and the worker keys it accepts.
public struct CurveServerKeys: Sendable, Hashable {
    public var publicKey: String
    public var secretKey: String
    public var allowedWorkerKeys: [String]
    /// The `authorized_workers` file the keys came from: read again when it changes, so a
    /// key is revoked (or added) without restarting the coordinator.
    public var authorizedFile: String?

    public init(publicKey: String, secretKey: String, allowedWorkerKeys: [String], authorizedFile: String? = nil) {
        self.publicKey = publicKey
        self.secretKey = secretKey
        self.allowedWorkerKeys = allowedWorkerKeys
        self.authorizedFile = authorizedFile
    }
}

public enum SecurityError: Error, CustomStringConvertible, Equatable {
    case insecureBind(String)
    case badKeyFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .insecureBind(let e):
            return "refusing to listen on \(e) without CURVE: anyone who reaches it could join the sweep. Create keys with `sweep keygen --out KEYDIR` and pass --keys KEYDIR, or pass --insecure on a trusted network"
        case .badKeyFile(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
