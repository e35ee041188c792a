import Foundation
import SweepSupport
import ZeroMQ

/// A ZAP (ZeroMQ Authentication Protocol, RFC 27) handler: libzmq asks it about every
/// CURVE handshake on the coordinator's socket, and it accepts only listed worker keys.
///
/// It lives in the coordinator's poll loop (its REP socket is polled with the ROUTER), so
/// no extra thread is involved. Rejected peers are logged with their address. The list is
/// read again when its file (`authorized_workers`) changes (``reloadIfChanged(now:)``): a
/// key removed there is refused from then on, and the coordinator cuts the connections
/// that still use it (``isAllowed(_:)``); one added is accepted, without a restart.
final class Authenticator {
    let socket: Socket
    private var allowed: Set<String>
    private let file: String?
    private let log: Log
    private(set) var rejected = 0
    private(set) var accepted = 0
    /// What the file looked like when last read (nil: not read yet, or unreadable).
    private var fileStamp: FileStamp?
    private var lastLook = 0.0
    /// How often the file is looked at (one `stat`).
    static let lookSeconds = 1.0

    init(context: Context, allowed: Set<String>, file: String? = nil, log: Log) throws {
        socket = try Socket(context, .rep)
        try socket.bind("inproc://zeromq.zap.01")
        self.allowed = allowed
        self.file = file
        self.log = log
        fileStamp = file.flatMap { FileStamp(path: $0) }
    }

    /// Whether `key` (Z85) is on the list now.
    func isAllowed(_ key: String) -> Bool { allowed.contains(key) }

    /// Reads the list again if its file changed since it was last read; a file that no
    /// longer reads well, or lists no key (one truncated by `>` and read mid-write), keeps
    /// the list in use (and says why). Returns the keys revoked (empty: none, or unchanged).
    @discardableResult
    func reloadIfChanged(now: Double) -> Set<String> {
        guard let file, now - lastLook >= Self.lookSeconds else { return [] }
        lastLook = now
        let stamp = FileStamp(path: file)
        guard stamp != fileStamp else { return [] }
        fileStamp = stamp
        let keys: Set<String>
        do {
            keys = Set(try KeyDirectory.readKeyList(file))
        } catch {
            log.warning("\(file) changed but cannot be read: \(error); the \(allowed.count) key(s) read before stay accepted")
            return []
        }
        guard !keys.isEmpty else {
            log.warning("\(file) changed and lists no key; the \(allowed.count) key(s) read before stay accepted (to refuse every worker, stop the coordinator)")
            return []
        }
        guard keys != allowed else { return [] }
        let revoked = allowed.subtracting(keys), added = keys.subtracting(allowed).count
        allowed = keys
        log.info("\(file) changed: \(keys.count) worker key(s) accepted (\(added) added, \(revoked.count) revoked; connections with a revoked key are closed)")
        return revoked
    }

    /// Answers every waiting ZAP request.
    func handleRequests() {
        while let m = try? socket.receive(dontWait: true) {
            reply(to: m.frames)
        }
    }

    private func reply(to f: [[UInt8]]) {
        // version, request id, domain, address, identity, mechanism, credentials...
        guard f.count >= 6, String(decoding: f[0], as: UTF8.self) == "1.0" else {
            _ = try? socket.send([Array("1.0".utf8), f.count > 1 ? f[1] : [], Array("400".utf8), Array("malformed ZAP request".utf8), [], []])
            return
        }
        let address = String(decoding: f[3], as: UTF8.self)
        let mechanism = String(decoding: f[5], as: UTF8.self)
        var key: String?
        if mechanism == "CURVE", f.count >= 7, f[6].count == 32 {
            key = Z85.encode(f[6])
        }
        if let key, allowed.contains(key) {
            accepted += 1
            _ = try? socket.send([Array("1.0".utf8), f[1], Array("200".utf8), Array("OK".utf8), Array(key.utf8), []])
        } else {
            rejected += 1
            log.limited(.warning, key: "zap-\(address)", "rejected a \(mechanism) connection from \(address): \(key == nil ? "no client key" : "key \(key!) is not allowed")")
            _ = try? socket.send([Array("1.0".utf8), f[1], Array("400".utf8), Array("not allowed".utf8), [], []])
        }
    }
}
