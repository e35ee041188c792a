import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Open-file-description locks (`F_OFD_SETLK`) on single bytes of a database file: the way
/// Sweep's processes agree on who uses a database, beside SQLite's own locks.
///
/// Bytes far past the end of any database (from 2^40 - 2 up) are never touched by SQLite,
/// whose locks sit at 1 GiB. Unlike classic `fcntl` locks, an OFD lock belongs to the open
/// file description: SQLite closing another descriptor of the same file in this process
/// does not drop it, and the kernel releases it when the process dies (even `kill -9`).
public enum FileByteLock {
    /// Linux's `F_OFD_GETLK`, `F_OFD_SETLK` and `F_OFD_SETLKW` (not exported by Glibc's module).
    private static let getLock: Int32 = 36
    private static let setLock: Int32 = 37
    private static let setLockWait: Int32 = 38

    /// The outcome of asking for a lock.
    public enum Outcome: Equatable {
        case taken
        /// Another open file description holds a conflicting lock.
        case held
        /// The file system does not support the lock (errno), e.g. some network file systems.
        case unsupported(Int32)
    }

    /// Takes a shared (`exclusive: false`) or exclusive lock on `byte` of the file open as
    /// `fd`; with `wait`, blocks until it can be taken.
    public static func lock(_ fd: Int32, byte: Int64, exclusive: Bool, wait: Bool = false) -> Outcome {
        var request = range(byte, type: exclusive ? F_WRLCK : F_RDLCK)
        while fcntl(fd, wait ? setLockWait : setLock, &request) != 0 {
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EACCES ? .held : .unsupported(errno)
        }
        return .taken
    }

    /// Releases this file description's lock on `byte`.
    public static func unlock(_ fd: Int32, byte: Int64) {
        var request = range(byte, type: F_UNLCK)
        _ = fcntl(fd, setLock, &request)
    }

    /// Whether another open file description holds a lock on `byte` that an exclusive one
    /// would conflict with (asked without taking anything).
    public static func isHeld(_ fd: Int32, byte: Int64) -> Bool {
        var request = range(byte, type: F_WRLCK)
        guard fcntl(fd, getLock, &request) == 0 else { return false }
        return request.l_type != Int16(F_UNLCK)
    }

    private static func range(_ byte: Int64, type: Int32) -> flock {
        var request = flock()
        request.l_type = Int16(type)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = off_t(byte)
        request.l_len = 1
        return request
    }
}

/// Sweep's own descriptors of database files (for its byte locks and header reads), never
/// closed while the file exists.
///
/// Closing any descriptor of a file drops every classic POSIX lock the process holds on it,
/// SQLite's included: a WAL connection's shared lock vanishes, another process closing its
/// last connection then takes the database for unused, checkpoints it and deletes the live
/// `-wal` and `-shm` under a running coordinator (found with `sweep run --dashboard`, whose
/// dashboard looked at the study lock, and a `sweep enqueue`). A released descriptor goes
/// back here for the next use of the same file; only one of a deleted file is closed.
public enum DatabaseDescriptors {
    private struct Key: Hashable {
        let device: UInt64
        let inode: UInt64
        let writable: Bool
    }
    private static let spare = Mutex<[Key: [Int32]]>([:])

    /// A descriptor of the file at `path` (read-write, else read-only unless `writable` is
    /// required; created when `create`), or the errno of the failed open. Give it back with
    /// ``checkIn(_:writable:)``, never close it.
    public static func checkOut(path: String, writable: Bool, create: Bool = false) -> Result<(fd: Int32, writable: Bool), Errno> {
        var named = stat()
        if stat(path, &named) == 0 {
            for w in writable ? [true] : [true, false] {
                let key = Key(device: UInt64(named.st_dev), inode: UInt64(named.st_ino), writable: w)
                while let fd = spare.withLock({ $0[key]?.popLast() }) {
                    var open = stat()
                    if fstat(fd, &open) == 0, open.st_nlink > 0, open.st_dev == named.st_dev, open.st_ino == named.st_ino { return .success((fd, w)) }
                    close(fd) // a deleted file's: closing drops no lock of a live one
                }
            }
        }
        var fd = Glibc.open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        if fd >= 0 { return .success((fd, true)) }
        let firstError = errno
        guard !writable, firstError == EACCES || firstError == EROFS else { return .failure(Errno(firstError)) }
        fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? .success((fd, false)) : .failure(Errno(errno))
    }

    /// Takes back a descriptor from ``checkOut(path:writable:create:)`` (its locks released).
    public static func checkIn(_ fd: Int32, writable: Bool) {
        var open = stat()
        guard fstat(fd, &open) == 0 else { return }
        guard open.st_nlink > 0 else { close(fd); return }
        let key = Key(device: UInt64(open.st_dev), inode: UInt64(open.st_ino), writable: writable)
        spare.withLock { $0[key, default: []].append(fd) }
    }

    /// An errno, for messages.
    public struct Errno: Error {
        public let code: Int32
        init(_ code: Int32) { self.code = code }
        public var text: String { String(cString: strerror(code)) }
    }
}

/// A writing process's hold on a database file: a shared lock on its "in use" byte for as
/// long as the store is open, and an exclusive "schema" lock while the file is checked,
/// created and migrated.
///
/// Two `sweep run`s starting into one new database at the same instant used to migrate it
/// at the same time ("table studies already exists", "not a Sweep database (it holds other
/// tables: grdb_migrations)"), and the loser's clean-up deleted the file the winner was
/// using. Now creation is one process at a time, and a clean-up deletes a database only
/// when it can lock out every other user (``removeIfUnused(path:)``).
final class DatabaseFileUse: Sendable {
    /// Bytes just below the study locks (`StudyLock`, from 2^40 up).
    static let inUseByte: Int64 = (1 << 40) - 2
    static let schemaByte: Int64 = (1 << 40) - 1

    private let fd: Int32
    /// False where the file system has no OFD locks: nothing is coordinated (and nothing deleted).
    private let locked: Bool

    /// Opens (creating it if missing) the file at `path` and marks it in use.
    init(path: String) throws {
        // A clean-up may delete the file between our open and our lock: then the descriptor
        // names an unlinked file, and we open the path again.
        for _ in 0..<100 {
            let fd: Int32
            switch DatabaseDescriptors.checkOut(path: path, writable: true, create: true) {
            case .success(let d): fd = d.fd
            case .failure(let e):
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
                if e.code == ENOENT && !FileManager.default.fileExists(atPath: directory) { throw StoreError.noDirectory(path: path, directory: directory) }
                throw StoreError.unreadable(path: path, reason: e.text)
            }
            switch FileByteLock.lock(fd, byte: Self.inUseByte, exclusive: false, wait: true) {
            case .taken:
                if Self.isStill(fd, at: path) {
                    self.fd = fd
                    locked = true
                    return
                }
                FileByteLock.unlock(fd, byte: Self.inUseByte)
                DatabaseDescriptors.checkIn(fd, writable: true)
            case .held:
                DatabaseDescriptors.checkIn(fd, writable: true) // not with `wait`; try again
            case .unsupported:
                self.fd = fd
                locked = false
                return
            }
        }
        throw StoreError.unreadable(path: path, reason: "the file kept being replaced while it was opened")
    }

    deinit {
        if locked { FileByteLock.unlock(fd, byte: Self.inUseByte) }
        DatabaseDescriptors.checkIn(fd, writable: true)
    }

    /// Runs `body` (checking, creating, migrating) with every other process's kept out of it.
    func creatingSchema<T>(_ body: () throws -> T) rethrows -> T {
        guard locked, FileByteLock.lock(fd, byte: Self.schemaByte, exclusive: true, wait: true) == .taken else { return try body() }
        defer { FileByteLock.unlock(fd, byte: Self.schemaByte) }
        return try body()
    }

    /// Runs `remove` only while no other process, and no other store of this one, has the
    /// database at `path` open for writing (none can start to meanwhile), and returns what
    /// it returns; false when another does, or when that cannot be told.
    static func removeIfUnused(path: String, _ remove: () -> Bool) -> Bool {
        guard case .success(let d) = DatabaseDescriptors.checkOut(path: path, writable: true) else { return false }
        // Given back after the files are gone: a process waiting to open them reopens the path.
        defer { DatabaseDescriptors.checkIn(d.fd, writable: true) }
        guard FileByteLock.lock(d.fd, byte: inUseByte, exclusive: true) == .taken else { return false }
        defer { FileByteLock.unlock(d.fd, byte: inUseByte) }
        guard isStill(d.fd, at: path) else { return false }
        return remove()
    }

    /// Whether `path` still names the file open as `fd`.
    private static func isStill(_ fd: Int32, at path: String) -> Bool {
        var open = stat(), named = stat()
        guard fstat(fd, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }
}
