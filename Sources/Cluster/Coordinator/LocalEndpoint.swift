import Foundation

/// An `ipc://` endpoint (a Unix socket) for the workers a coordinator starts on its own
/// machine, in a fresh directory only this user can enter.
///
/// A round trip over a Unix socket skips the TCP loopback stack (segments, ACKs, the
/// softirq that delivers them) on both sides; `sweep run` binds one beside its TCP
/// endpoint and points its local workers at it, while workers on other machines keep
/// using TCP. Trust: the directory is created with mode 0700 (`mkdtemp`), so only this
/// user (and root) can reach the socket, the same people who can read the database; the
/// coordinator's security settings (CURVE, when configured) apply to it as well, since
/// both endpoints belong to the same socket.
public final class LocalEndpoint: Sendable {
    /// `ipc:///…/coordinator.sock`, for `bind` and `connect`.
    public let endpoint: String
    private let directory: String

    /// Creates the private directory under `parent` (default: `TMPDIR` or `/tmp`); nil when
    /// that fails or the path would not fit a Unix socket address (108 bytes on Linux).
    public init?(parent: String? = nil) {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/sweep-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return nil }
        directory = String(cString: template)
        let socket = directory + "/coordinator.sock"
        guard socket.utf8.count < 100 else {
            rmdir(directory)
            return nil
        }
        endpoint = "ipc://" + socket
    }

    /// Removes the socket file and the directory.
    public func remove() {
        unlink(directory + "/coordinator.sock")
        rmdir(directory)
    }

    deinit { remove() }
}
