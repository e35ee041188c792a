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
        Self.removeStale(in: base)
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

    /// Removes what runs killed before they could clean up (SIGKILL) left in `parent`: a
    /// `sweep-XXXXXX` directory of this user holding only `coordinator.sock`, on which
    /// nobody listens any more (a connection is refused). A live coordinator's is kept.
    static func removeStale(in parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix("sweep-") && name.utf8.count == 12 {
            let directory = "\(parent)/\(name)", socket = "\(parent)/\(name)/coordinator.sock"
            var info = stat()
            guard lstat(directory, &info) == 0, info.st_uid == getuid(), info.st_mode & S_IFMT == S_IFDIR,
                  (try? FileManager.default.contentsOfDirectory(atPath: directory)) == ["coordinator.sock"],
                  lstat(socket, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK, refusesConnections(socket) else { continue }
            unlink(socket)
            rmdir(directory)
        }
    }

    /// Whether a connection to the Unix socket at `path` is refused (nobody listens).
    private static func refusesConnections(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { for (i, b) in bytes.enumerated() { $0[i] = b } }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc != 0 && errno == ECONNREFUSED
    }
}
