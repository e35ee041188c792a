import SweepSupport
import ZeroMQ

/// A ZAP (ZeroMQ Authentication Protocol, RFC 27) handler: libzmq asks it about every
/// CURVE handshake on the coordinator's socket, and it accepts only listed worker keys.
///
/// It lives in the coordinator's poll loop (its REP socket is polled with the ROUTER), so
/// no extra thread is involved. Rejected peers are logged with their address.
final class Authenticator {
    let socket: Socket
    private let allowed: Set<String>
    private let log: Log
    private(set) var rejected = 0
    private(set) var accepted = 0

    init(context: Context, allowed: Set<String>, log: Log) throws {
        socket = try Socket(context, .rep)
        try socket.bind("inproc://zeromq.zap.01")
        self.allowed = allowed
        self.log = log
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
