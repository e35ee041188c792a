import Foundation
import SweepSupport
import ZeroMQ

/// The CURVE keys `sweep keygen` writes, in one directory:
///
/// ```
/// KEYDIR/coordinator.key       the coordinator's key pair (secret; stays on the coordinator)
/// KEYDIR/coordinator.pub       its public key (copied to every worker host)
/// KEYDIR/workers/NAME.key      one key pair per worker name (secret; on that worker's host)
/// KEYDIR/authorized_workers    public keys the coordinator accepts: `NAME = KEY` lines
/// ```
/// Key files are `name = value` lines (`public`, `secret`); lines starting with `#` are
/// comments (Z85 keys may contain `#` and `=`, so nothing follows a key on its line).
public struct KeyDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    var coordinatorKeyFile: String { "\(path)/coordinator.key" }
    var coordinatorPublicFile: String { "\(path)/coordinator.pub" }
    var authorizedFile: String { "\(path)/authorized_workers" }
    func workerKeyFile(_ name: String) -> String { "\(path)/workers/\(name).key" }

    /// Writes a new coordinator key pair and `workers` worker key pairs named `worker-1`...
    /// (or `worker` when there is one). Refuses to overwrite existing keys.
    @discardableResult
    public static func generate(at path: String, workerNames: [String]) throws -> KeyDirectory {
        let dir = KeyDirectory(path: path)
        let fm = FileManager.default
        if fm.fileExists(atPath: dir.coordinatorKeyFile) {
            throw SecurityError.badKeyFile(path: dir.coordinatorKeyFile, reason: "exists already; choose another --out directory (keys are never overwritten)")
        }
        try fm.createDirectory(atPath: "\(path)/workers", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let coordinator = try CurveKeyPair.generate()
        try write(keyPair: coordinator, to: dir.coordinatorKeyFile, comment: "the coordinator's key pair: keep it secret, on the coordinator only")
        try write(text: "# the coordinator's public key: copy to every worker host\npublic = \(coordinator.publicKey)\n", to: dir.coordinatorPublicFile, mode: 0o644)
        var authorized = "# worker public keys the coordinator accepts: NAME = KEY (remove a line to revoke)\n"
        for name in workerNames {
            let pair = try CurveKeyPair.generate()
            try write(keyPair: pair, to: dir.workerKeyFile(name), comment: "worker '\(name)': keep it secret, on that worker's host only")
            authorized += "\(name) = \(pair.publicKey)\n"
        }
        try write(text: authorized, to: dir.authorizedFile, mode: 0o644)
        return dir
    }

    private static func write(keyPair: CurveKeyPair, to file: String, comment: String) throws {
        try write(text: "# \(comment)\npublic = \(keyPair.publicKey)\nsecret = \(keyPair.secretKey)\n", to: file, mode: 0o600)
    }

    private static func write(text: String, to file: String, mode: Int) throws {
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw SecurityError.badKeyFile(path: file, reason: "cannot write the file")
        }
    }

    /// The coordinator's keys and the accepted worker keys.
    public func serverKeys() throws -> CurveServerKeys {
        let pair = try Self.readPair(coordinatorKeyFile)
        let allowed = try Self.readKeyList(authorizedFile)
        return CurveServerKeys(publicKey: pair.publicKey, secretKey: pair.secretKey, allowedWorkerKeys: allowed, authorizedFile: authorizedFile)
    }

    /// A worker's keys and the coordinator's public key.
    public func workerKeys(name: String) throws -> WorkerCurveKeys {
        let file = workerKeyFile(name)
        if !FileManager.default.fileExists(atPath: file) {
            // Name the keys that are there (`sweep keygen --workers N` makes worker-1, ...).
            let present = ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/workers")) ?? [])
                .filter { $0.hasSuffix(".key") }.map { String($0.dropLast(4)) }.sorted()
            if !present.isEmpty {
                throw SecurityError.badKeyFile(path: file, reason: "no such file; this directory has the worker key(s) \(present.prefix(10).joined(separator: ", "))\(present.count > 10 ? ", ..." : ""): choose one with --key-name")
            }
        }
        let pair = try Self.readPair(file)
        let server = try Self.readFields(coordinatorPublicFile)
        guard let serverKey = server["public"]?.value else {
            throw SecurityError.badKeyFile(path: coordinatorPublicFile, reason: "no 'public = ...' line")
        }
        return WorkerCurveKeys(publicKey: pair.publicKey, secretKey: pair.secretKey, serverKey: serverKey)
    }

    /// What a worker host's key directory should not be: holding the coordinator's secret key
    /// (a worker host needs only `coordinator.pub` and its own key), or a secret key others
    /// can read.
    public func workerHostWarnings(name: String) -> [String] {
        var out: [String] = []
        if FileManager.default.fileExists(atPath: coordinatorKeyFile) {
            out.append("\(coordinatorKeyFile) is on this worker host: a worker needs only coordinator.pub and its own key; whoever can read the coordinator's secret key can pose as the coordinator (cluster/README.md, \"Security first\")")
        }
        var info = stat()
        if stat(workerKeyFile(name), &info) == 0, info.st_mode & 0o077 != 0 {
            out.append("\(workerKeyFile(name)) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        return out
    }

    /// The worker key that workers started on this machine (`sweep run --workers N`) use:
    /// the first, by name, of the keys in `workers/` whose public key `authorized_workers`
    /// lists; nil when there is none (keys handed out to other hosts only).
    public func localWorkerKeyName() throws -> String? {
        let allowed = Set(try Self.readKeyList(authorizedFile))
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/workers")) ?? [])
            .filter { $0.hasSuffix(".key") }.map { String($0.dropLast(4)) }.sorted()
        return try names.first { allowed.contains(try Self.readPair(workerKeyFile($0)).publicKey) }
    }

    static func readPair(_ file: String) throws -> CurveKeyPair {
        let fields = try readFields(file)
        guard let pub = fields["public"], let sec = fields["secret"] else {
            throw SecurityError.badKeyFile(path: file, reason: "needs 'public = ...' and 'secret = ...' lines")
        }
        guard (try? CurveKeyPair.publicKey(forSecret: sec.value)) == pub.value else {
            throw SecurityError.badKeyFile(path: "\(file):\(sec.line)", reason: "the secret key does not belong to the public key")
        }
        return CurveKeyPair(publicKey: pub.value, secretKey: sec.value)
    }

    static func readFields(_ file: String) throws -> [String: (value: String, line: Int)] {
        var out: [String: (String, Int)] = [:]
        for (n, raw) in try lines(file) {
            let parts = raw.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, ["public", "secret"].contains(parts[0]) else {
                throw SecurityError.badKeyFile(path: "\(file):\(n)", reason: "expected 'public = KEY' or 'secret = KEY', got '\(raw)'")
            }
            guard CurveKeyPair.isValidKey(parts[1]) else {
                throw SecurityError.badKeyFile(path: "\(file):\(n)", reason: "'\(parts[0])' is not a 40-character Z85 key")
            }
            out[parts[0]] = (parts[1], n)
        }
        return out
    }

    static func readKeyList(_ file: String) throws -> [String] {
        try lines(file).map { n, raw in
            let parts = raw.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, CurveKeyPair.isValidKey(parts[1]) else {
                throw SecurityError.badKeyFile(path: "\(file):\(n)", reason: "expected 'NAME = KEY' with a 40-character Z85 public key, got '\(raw)'")
            }
            return parts[1]
        }
    }

    /// Non-empty lines that are not comments, with 1-based line numbers.
    static func lines(_ file: String) throws -> [(Int, String)] {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw SecurityError.badKeyFile(path: file, reason: FileManager.default.fileExists(atPath: file) ? "cannot read the file" : "no such file (create keys with `sweep keygen`)")
        }
        return text.textLines.enumerated().compactMap { i, line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : (i + 1, trimmed)
        }
    }
}
