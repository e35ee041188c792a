import Foundation
import SweepSupport

/// An `ipc://` endpoint (a Unix socket) for the workers a coordinator starts on its own
/// machine, in a fresh directory only this user can enter.
///
/// A round trip over a Unix socket skips the TCP loopback stack (segments, ACKs, the
/// softirq that delivers them) on both sides. `sweep run` listens on one alone, unless
/// `--bind` gives a TCP endpoint for workers on other machines as well; its local workers
/// use it either way. Trust: the directory is created with mode 0700 (`mkdtemp`), so only this
/// user (and root) can reach the socket, the same people who can read the database; the
/// coordinator's security settings (CURVE, when configured) apply to it as well, since
/// both endpoints belong to the same socket.
///
/// A run killed with SIGKILL cannot remove its directory; each directory holds an `owner`
/// file naming the process that made it (``ProcessIdentity/token``), and the next run on
/// the machine removes those whose process is gone.
public final class LocalEndpoint: Sendable {
    /// `ipc:///…/coordinator.sock`, for `bind` and `connect`.
    public let endpoint: String
    private let directory: String

    /// Why the endpoint could not be made (said when a run falls back to TCP loopback).
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The longest socket path a Unix socket address holds (108 bytes on Linux, with its NUL).
    public static let maxSocketPathBytes = 107

    /// Creates the private directory under `parent` (default: `TMPDIR` or `/tmp`); throws
    /// ``Unavailable`` when that fails or the path would not fit a Unix socket address.
    public init(parent: String? = nil) throws(Unavailable) {
        let base = parent ?? Self.parentDirectory
        let socketBytes = base.utf8.count + "/sweep-XXXXXX/coordinator.sock".utf8.count
        guard socketBytes <= Self.maxSocketPathBytes else {
            throw Unavailable(description: "a socket in \(base) would have a path of \(socketBytes) bytes, more than the \(Self.maxSocketPathBytes) a Unix socket address holds (set TMPDIR to a shorter directory)")
        }
        Self.removeLeftovers(in: base)
        var template = Array("\(base)/sweep-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw Unavailable(description: "cannot make a directory in \(base): \(String(cString: strerror(errno)))")
        }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let socket = directory + "/coordinator.sock"
        endpoint = "ipc://" + socket
        if let me = ProcessIdentity.current {
            _ = FileManager.default.createFile(atPath: directory + "/" + Self.ownerFile, contents: Data(me.token.utf8), attributes: [.posixPermissions: 0o600])
        }
    }

    private static let ownerFile = "owner"

    /// Where the directories are made: `TMPDIR` when usable, else `/tmp` (``TemporaryFolder``).
    public static var parentDirectory: String { TemporaryFolder.path }

    /// Removes the socket file and the directory.
    public func remove() {
        Self.removeContents(of: directory)
    }

    private static func removeContents(of directory: String) {
        unlink(directory + "/coordinator.sock")
        unlink(directory + "/" + ownerFile)
        rmdir(directory)
    }

    /// Removes the directories under `base` that this user's runs on this machine left when
    /// they were killed: only `sweep-XXXXXX` directories owned by this user whose `owner` file
    /// names a process of this machine that has exited (a directory without one, another
    /// user's, or another machine's sharing the folder is left alone).
    static func removeLeftovers(in base: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for name in names where name.hasPrefix("sweep-") && name.utf8.count == "sweep-XXXXXX".utf8.count {
            let directory = base + "/" + name
            var info = stat()
            guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid(),
                  let data = FileManager.default.contents(atPath: directory + "/" + ownerFile),
                  let owner = ProcessIdentity(token: String(decoding: data, as: UTF8.self)),
                  owner.isLocal, owner.hasExited else { continue }
            removeContents(of: directory)
        }
    }

    deinit { remove() }
}
