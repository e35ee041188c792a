import Foundation
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

    /// Takes the lock, or fails naming the process that holds it.
    public init(database: String, study: String) throws {
        let real = URL(fileURLWithPath: database).resolvingSymlinksInPath().path
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
            throw StudyLockError.held(study: study, holder: holder)
        case .unsupported(let why):
            DatabaseDescriptors.checkIn(fd, writable: true)
            throw StudyLockError.cannotOpen(real, String(cString: strerror(why)))
        }
        self.fd = fd
        // Who holds it, for the message another coordinator gets (best effort).
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n".write(toFile: path, atomically: true, encoding: .utf8)
    }

    deinit {
        FileByteLock.unlock(fd, byte: byte)
        DatabaseDescriptors.checkIn(fd, writable: true)
    }
}

public enum StudyLockError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(String, String)
    case held(study: String, holder: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let why): return "cannot lock the study in \(path): \(why)"
        case .held(let study, let holder):
            return "study '\(study)' is already being run by another coordinator\(holder.isEmpty ? "" : " (\(holder))"); stop it first, or add workers to it with `sweep worker --connect`"
        }
    }
}
