import Foundation
import SweepSupport
import Store

/// One coordinator per study: an exclusive lock on the database file itself, held for the
/// coordinator's life.
///
/// The lock is an open-file-description lock (`F_OFD_SETLK`) on one byte far past the end
/// of the database file, at an offset derived from the study's name. Locking the file, not
/// its name, makes a symlink or a hard link to the same database meet the same lock (they
/// share the inode); SQLite's own locks use other bytes and other calls, so they never
/// conflict with it, and unlike classic `fcntl` locks an OFD lock is not dropped when SQLite
/// closes another descriptor of the same file in this process. The kernel releases it when
/// the process dies (even `kill -9`), so a crash never leaves a stale lock behind.
///
/// Who holds the lock is written to `REALPATH.locks/STUDY.lock` (the database's resolved
/// path), only for the message another coordinator gets.
public final class StudyLock {
    private let fd: Int32
    private let byte: Int64
    /// The file that names the holder (informational; the lock is on the database).
    public let path: String

    /// Takes the lock, or fails naming the process that holds it; `action` says what the
    /// lock is taken for when it is not to coordinate (`delete`, `rename`).
    public init(database: String, study: String, action: String? = nil) throws {
        let real = RealPath.of(database)
        // Never closed, only given back (`DatabaseDescriptors`): closing would drop SQLite's locks.
        let fd: Int32
        switch DatabaseDescriptors.checkOut(path: real, writable: true) {
        case .success(let d): fd = d.fd
        case .failure(let e): throw StudyLockError.cannotOpen(real, e.text)
        }
        let dir = real + ".locks"
        path = "\(dir)/\(study).lock"
        byte = StudyLockBytes.byte(of: study)
        switch FileByteLock.lock(fd, byte: byte, exclusive: true) {
        case .taken:
            break
        case .held:
            DatabaseDescriptors.checkIn(fd, writable: true)
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw StudyLockError.held(study: study, holder: holder, action: action)
        case .unsupported(let why):
            DatabaseDescriptors.checkIn(fd, writable: true)
            throw StudyLockError.cannotOpen(real, String(cString: strerror(why)))
        }
        self.fd = fd
        // Who holds it, for the message another coordinator gets (best effort).
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // (`sweep delete`/`rename` say so: a resume that lost the race to one was told that
        // "another coordinator" ran the study, naming the delete's pid.)
        holder = (action.map { "`sweep \($0.prefix { $0 != " " })`, " } ?? "") + "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)"
        try? (holder + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Who holds the lock, as written to ``path``.
    private var holder: String

    /// Adds where the coordinator listens to ``path``: a second `sweep run`, `sweep status`
    /// and the refusals say where workers join (a random port was in the first run's start
    /// line only).
    public func noteEndpoint(_ endpoint: String) {
        holder += StudyLockHolder.listeningMark + Self.joinable(endpoint)
        try? (holder + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `endpoint` as a worker elsewhere connects to it: a wildcard address (`tcp://0.0.0.0:5555`,
    /// `tcp://[::]:5555`, which workers cannot connect to) named by this machine's host name.
    public static func joinable(_ endpoint: String, host: String = ProcessInfo.processInfo.hostName) -> String {
        for wildcard in ["tcp://0.0.0.0:", "tcp://[::]:", "tcp://*:"] where endpoint.hasPrefix(wildcard) {
            return "tcp://\(host):" + endpoint.dropFirst(wildcard.count)
        }
        return endpoint
    }

    deinit {
        FileByteLock.unlock(fd, byte: byte)
        DatabaseDescriptors.checkIn(fd, writable: true)
    }
}

public enum StudyLockError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(String, String)
    /// `action`: what the lock was wanted for, when not to coordinate (`delete`, `rename`).
    case held(study: String, holder: String, action: String?)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let why): return "cannot lock the study in \(path): \(why)"
        case .held(let study, let holder, _) where holder.hasPrefix("`sweep "):
            return "study '\(study)' is locked by \(holder) for a moment: try again once that is done"
        case .held(let study, let holder, let action):
            let who = holder.isEmpty ? "" : " (\(holder))"
            if let action { return "study '\(study)' is being run by a coordinator\(who): stop it first to \(action) it" }
            let join = StudyLockHolder.endpoint(in: holder).map { "`sweep worker --connect \(ShellCommand.quoted($0))`" } ?? "`sweep worker --connect ENDPOINT`"
            return "study '\(study)' is already being run by another coordinator\(who); stop it first, or add workers to it with \(join)"
        }
    }
}
