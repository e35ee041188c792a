import Foundation
import GRDB
import SweepSupport
import Synchronization

/// Errors of the store, with what to do about them.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case studyExists(String)
    case unreadable(path: String, reason: String)
    case invalid(String)
    /// The file exists but belongs to another program (or is not SQLite): left untouched.
    case foreign(path: String, reason: String)
    /// The file has more than one name (hard links): left untouched (see `refuseHardLinks`).
    case hardLinked(path: String, names: Int)
    /// The directory the database would be in does not exist (a mistyped `--db`).
    case noDirectory(path: String, directory: String)
    /// The file is an empty database (a run stopped as it began, or `touch`ed): no study yet.
    case emptyDatabase(path: String)
    /// Another process held the write lock longer than the coordinator waits.
    case locked(path: String, seconds: Double)

    public var description: String {
        switch self {
        case .notFound(let what): return what
        case .emptyDatabase(let path): return "\(path) holds no study yet (the database is empty)"
        case .studyExists(let name): return "a study named '\(name)' already exists in this database; use `sweep resume \(name)` to continue it, or choose another name"
        case .unreadable(let path, let reason):
            // (SQLite says "unable to open database file" when it cannot create the -wal or -shm.)
            let hint = reason.contains("readonly") ? "; " + ReadOnlyCause.hint(for: path)
                : reason.contains("malformed") || reason.contains("not a database") ? "; the file is damaged (`sqlite3 FILE .recover` may save its rows into a new database)"
                : reason.contains("disk is full") ? "; " + DatabaseFailure.fullCause(near: path).sentence + ", then run the command again"
                : reason.contains("disk I/O error") ? "; a write failed (a full disk, a disk quota, or a file size limit such as `ulimit -f`?): fix it, then run the command again"
                : FileEntries.exhaustedNote(near: path).map { "; " + $0 } ?? ""
            return "cannot open database \(path): \(reason)\(hint)"
        case .invalid(let what): return what
        case .foreign(let path, let reason):
            // Sweep's folders beside it: the study's own database, damaged, not another program's.
            if ["locks", "artifacts", "logs"].contains(where: { FileManager.default.fileExists(atPath: "\(path).\($0)") }) {
                return "\(path) is not a Sweep database (\(reason)), but Sweep's folders beside it (\(path).locks, ...) say it was one: "
                    + "the file is damaged or was overwritten; nothing was written to it. Restore it from a copy (`sweep resume` then continues)"
            }
            return "\(path) is not a Sweep database (\(reason)); nothing was written to it. Pass --db with a new file name"
        case .noDirectory(let path, let directory): return "cannot open database \(path): the directory \(directory) does not exist"
        case .locked(let path, let seconds):
            return "database \(path): another process held a lock on it for \(Int(seconds)) s (a `sqlite3` shell in a transaction, a backup tool): end it and run the command again (`sweep resume` continues a sweep where it stopped)"
        case .hardLinked(let path, let names):
            return "database \(path) has \(names) names (hard links): SQLite keeps its log beside each name, and two logs of one file corrupt it; use one name (`cp` makes a copy, `ln -s` a link that is safe)"
        }
    }
}

/// The SQLite database of one or more studies.
///
/// One process writes (the coordinator, through ``write(_:)``: one `BEGIN IMMEDIATE`
/// transaction per call); any number of readers use their own connections
/// (``read(_:)``, or a read-only store opened with ``openReadOnly(path:)`` from the CLI).
/// File databases run in WAL mode with `synchronous=NORMAL`: a killed process loses no
/// committed transaction, and readers never block the writer. Tests use ``inMemory()``.
public final class SweepStore: Sendable {
    /// The underlying GRDB connection(s): a pool for files, a queue in memory.
    public let database: any DatabaseWriter
    /// The file path, or nil in memory.
    public let path: String?
    /// This process's hold on the file (nil in memory): kept as long as the store lives.
    private let use: DatabaseFileUse?

    private init(database: any DatabaseWriter, path: String?, use: DatabaseFileUse? = nil) {
        self.database = database
        self.path = path
        self.use = use
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// A file that is neither empty nor Sweep's is refused before anything is written.
    ///
    /// Processes opening one file at once take turns to check, create and migrate it
    /// (``DatabaseFileUse``), so concurrent `sweep run`s into a new file all find it whole.
    public static func open(path: String) throws -> SweepStore {
        try refuseNonFiles(path)
        try refuseHardLinks(path)
        DatabaseFailure.lastOpened.withLock { $0 = path }
        let use = try DatabaseFileUse(path: path)
        let pool: DatabasePool = try use.creatingSchema {
            // Checked with creation locked: another process may be creating it right now.
            try DatabaseOwnership.requireSweepOrEmpty(path: path)
            try refuseNewerSchema(path)
            var config = Configuration()
            config.busyMode = .timeout(Double(busyMilliseconds) / 1000)
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // The WAL file keeps its largest size unless told: a fast sweep left 64 MB
                // beside a 4 MB database, and a small disk filled up. Cut back after each reset.
                try db.execute(sql: "PRAGMA journal_size_limit = \(WALCheckpointer.walBytesKept)")
            }
            config.label = "sweep-store"
            let pool: DatabasePool
            do {
                pool = try DatabasePool(path: path, configuration: config)
            } catch let error as DatabaseError {
                throw StoreError.unreadable(path: path, reason: error.message ?? "\(error)")
            }
            try migrate(pool, path: path)
            return pool
        }
        return SweepStore(database: pool, path: path, use: use)
    }

    /// Removes the database at `path` (with its `-wal` and `-shm`) if it holds no study and
    /// no other process has it open for writing; returns whether it did. For commands that
    /// created the file and then failed before their study was written.
    public static func removeIfUnusedAndEmpty(path: String) -> Bool {
        // The file itself, not a symlink to it (SQLite names -wal and -shm after the file).
        let real = RealPath.of(path)
        // Never a device or a FIFO (it removed /dev/null), whatever it held.
        guard isRegularFile(real) else { return false }
        return DatabaseFileUse.removeIfUnused(path: real) {
            // Unsure is not empty: a database that cannot be read (damaged, an I/O error) may
            // hold results, and is never deleted.
            let studies: Int
            do {
                studies = try openReadOnly(path: real).read { try $0.studies().count }
            } catch StoreError.emptyDatabase, StoreError.notFound {
                studies = 0 // no tables at all: created, never migrated
            } catch {
                return false
            }
            guard studies == 0 else { return false }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: real + suffix) }
            return true
        }
    }

    /// A private database in memory (tests).
    /// A database file with two names (hard links) is refused. SQLite keeps the log beside
    /// the name it was opened by (`a/d.db-wal`, `b/d.db-wal`): a process writing through one
    /// name never sees what another wrote through the other, and a stale log replayed into
    /// the shared file corrupted it ("database disk image is malformed"). A symbolic link is
    /// fine: SQLite follows it to the one real name.
    static func refuseHardLinks(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink > 1 else { return }
        throw StoreError.hardLinked(path: path, names: Int(info.st_nlink))
    }

    /// A database path that names anything but a regular file is refused: `--db /dev/null`
    /// looked empty, was taken as a new database, and the cleanup after the refusal removed
    /// the machine's /dev/null; a directory read as "disk I/O error".
    static func refuseNonFiles(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw StoreError.foreign(path: path, reason: "it is a directory") }
        let kind = switch info.st_mode & S_IFMT {
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
        throw StoreError.foreign(path: path, reason: "it is \(kind), not a file")
    }

    /// Whether `path` is a regular file (symbolic links followed).
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    public static func inMemory() throws -> SweepStore {
        let queue = try DatabaseQueue()
        try migrate(queue, path: nil)
        return SweepStore(database: queue, path: nil)
    }

    /// Opens an existing database for queries only. Works while a coordinator writes, and
    /// on a read-only directory or mount (then with `immutable=1`, since nobody can write
    /// there and SQLite cannot create the WAL index beside the file).
    public static func openReadOnly(path: String) throws -> StoreReader {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.notFound("no database at \(path) (pass --db PATH, or run a sweep first)")
        }
        try refuseNonFiles(path)
        try refuseHardLinks(path)
        DatabaseFailure.lastOpened.withLock { $0 = path }
        do {
            return try readOnlyReader(location: path, path: path)
        } catch let error as DatabaseError where !directoryIsWritable(of: path) {
            // SQLite needs `-shm` beside a WAL database unless told the file cannot change.
            guard error.resultCode == .SQLITE_CANTOPEN || error.resultCode == .SQLITE_READONLY else {
                throw StoreError.unreadable(path: path, reason: error.message ?? "\(error)")
            }
            do {
                return try readOnlyReader(location: immutableURI(path), path: path)
            } catch let error as DatabaseError {
                throw StoreError.unreadable(path: path, reason: error.message ?? "\(error)")
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            // An SQLite file whose header is damaged (its page size, say) is a damaged
            // database, not another program's file: `.recover` may save it.
            if DatabaseOwnership.firstBytes(path: path) == DatabaseOwnership.sqliteMagic {
                throw StoreError.unreadable(path: path, reason: "its SQLite header is damaged (file is not a database)")
            }
            throw StoreError.foreign(path: path, reason: "it is not an SQLite database")
        } catch let error as DatabaseError {
            throw StoreError.unreadable(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// A read-only queue on `location` (a path or a `file:` URI), checked to hold Sweep's schema.
    private static func readOnlyReader(location: String, path: String) throws -> StoreReader {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: location, configuration: config)
        let (applied, tables) = try queue.read { db in
            (try Schema.migrator.appliedIdentifiers(db),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0)
        }
        if Schema.neededByReaders.isSubset(of: applied), applied.isSubset(of: Set(Schema.migrator.migrations)) {
            return StoreReader(database: queue)
        }
        // Why not: empty (a run stopped as it began), another program's, or a newer Sweep's.
        if tables == 0 { throw StoreError.emptyDatabase(path: path) }
        try DatabaseOwnership.requireSweepOrEmpty(path: path) // throws for another program's file
        if let newer = newerVersion(path: path, applied: applied) { throw newer }
        throw StoreError.invalid("\(path) is not a complete Sweep database (its schema lacks \(Schema.neededByReaders.subtracting(applied).sorted().joined(separator: ", ")))")
    }

    private static func directoryIsWritable(of path: String) -> Bool {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return access(directory, W_OK) == 0 && access(path, W_OK) == 0
    }

    /// `file:/abs/path?immutable=1`, with the characters a URI reserves escaped.
    private static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        let escaped = absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute
        return "file:\(escaped)?immutable=1"
    }

    /// A database a newer Sweep wrote is refused before the pool opens it: opening one
    /// writes (GRDB creates and drops a table so that the WAL file exists), and a refused
    /// command must leave the file's bytes as they were. (`migrate` checks again, for a
    /// file that changed meanwhile.)
    private static func refuseNewerSchema(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0, info.st_size > 0 else { return }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(Double(busyMilliseconds) / 1000)
        // (A file this cannot read is left to the pool, whose errors say why.)
        guard let queue = try? DatabaseQueue(path: path, configuration: config),
              let applied = try? queue.read({ db in try Schema.migrator.appliedIdentifiers(db) }) else { return }
        try? queue.close()
        if let newer = newerVersion(path: path, applied: applied) { throw newer }
    }

    /// The error for a database whose applied migrations include one this build does not
    /// know (a newer Sweep wrote it), naming the first; nil when it knows them all.
    private static func newerVersion(path: String?, applied: Set<String>) -> StoreError? {
        let known = Set(Schema.migrator.migrations)
        return applied.sorted().first { !known.contains($0) }.map {
            StoreError.invalid("\(path ?? "the database") was written by a newer version of sweep (migration '\($0)'); upgrade sweep")
        }
    }

    private static func migrate(_ writer: any DatabaseWriter, path: String?) throws {
        do {
            let migrator = Schema.migrator
            let known = Set(migrator.migrations)
            let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
            if let newer = newerVersion(path: path, applied: applied) { throw newer }
            // Nothing to do is done without a write transaction: a refused command that
            // opened the store must leave the file's bytes as they were.
            if !known.isSubset(of: applied) { try migrator.migrate(writer) }
        } catch let error as DatabaseError {
            throw StoreError.unreadable(path: path ?? ":memory:", reason: error.message ?? "\(error)")
        }
    }

    /// Copies the database as this process sees it to a new file at `path`, through the
    /// writing connection: it holds the file open, so what a run recorded into a file that
    /// was removed or replaced meanwhile is saved (a new connection would open whatever the
    /// path names now).
    public func saveCopy(to path: String) throws {
        let target = try DatabaseQueue(path: path)
        try database.writeWithoutTransaction { db in
            try target.writeWithoutTransaction { destination in try db.backup(to: destination) }
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it is committed, or none.
    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in
            try waitForLocks(milliseconds: Self.busyMilliseconds, db)
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(StoreTransaction(db: db))
                return .commit
            }
            return result!
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, as ``write(_:)``, unless another
    /// process holds the database's write lock for longer than `seconds`: then it returns
    /// false without running `body` (nothing changed). The coordinator keeps its batch and
    /// tries again while it answers its workers: a `sqlite3` shell left in a transaction for
    /// 15 s ended the run (10 s of waiting inside one call, deaf to every worker).
    public func writeUnlessLocked(waitingAtMost seconds: Double, _ body: (StoreTransaction) throws -> Void) throws -> Bool {
        try database.writeWithoutTransaction { db in
            try waitForLocks(milliseconds: Int((seconds * 1000).rounded()), db)
            var began = false
            do {
                try db.inTransaction(.immediate) {
                    began = true
                    try body(StoreTransaction(db: db))
                    return .commit
                }
            } catch let error as DatabaseError where !began && (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) {
                return false
            }
            return true
        }
    }

    /// How long a write waits for another process's lock (GRDB's `busyMode`, in ms).
    static let busyMilliseconds = 10_000

    /// The writing connection's busy timeout, as last set (the coordinator's loop writes
    /// every batch with a short one: set once, not twice per batch).
    private let busyTimeout = Mutex(busyMilliseconds)

    /// Sets the writing connection's busy timeout to `milliseconds`, unless it is already.
    private func waitForLocks(milliseconds: Int, _ db: Database) throws {
        guard busyTimeout.withLock({ $0 }) != milliseconds else { return }
        try db.execute(sql: "PRAGMA busy_timeout = \(milliseconds)")
        busyTimeout.withLock { $0 = milliseconds }
    }

    /// Runs read-only queries on a consistent snapshot.
    public func read<T>(_ body: (StoreQueries) throws -> T) throws -> T {
        try database.read { db in try body(StoreQueries(db: db)) }
    }

    /// A reader over the same connections.
    public var reader: StoreReader { StoreReader(database: database) }

    /// `PRAGMA integrity_check`: "ok" for a healthy file.
    public func integrityCheck() throws -> String {
        try reader.integrityCheck()
    }
}

/// Read-only access: the CLI's query commands, reports, and the coordinator on resume.
public struct StoreReader: Sendable {
    let database: any DatabaseReader

    public init(database: any DatabaseReader) {
        self.database = database
    }

    /// Runs read-only queries on a consistent snapshot.
    public func read<T>(_ body: (StoreQueries) throws -> T) throws -> T {
        try database.read { db in try body(StoreQueries(db: db)) }
    }

    /// `PRAGMA integrity_check`: "ok" for a healthy file.
    public func integrityCheck() throws -> String {
        try database.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }
}

/// SQLite failures as users read them: which database, what happened, and what may help,
/// without the SQL statement GRDB appends (a screen of `WITH starts AS (...)`).
public enum DatabaseFailure {
    /// The database the process opened last (for messages about a failure deep in a query).
    static let lastOpened = Mutex<String?>(nil)

    /// The message for `error` when it is an SQLite error; nil for any other error.
    /// Why SQLite said "full", by the space left on the database's disk (nil: unknown).
    /// `temporaryFree`: the space left where SQLite keeps its temporary files (TMPDIR, a
    /// small tmpfs at times), which fill with a large transaction's sorting.
    static func fullCause(freeBytes free: Int?, temporaryFree: Int? = nil, inodes: (cause: String, fix: String)? = nil) -> (cause: String, fix: String) {
        guard let free, free > 64 << 20 else { return ("the disk is full", "free space") }
        if let inodes { return inodes }
        if let temporaryFree, temporaryFree < 64 << 20 {
            return ("SQLite's temporary directory (\(temporaryDirectory)) has \(temporaryFree >> 20) MB left", "free space there, or point TMPDIR elsewhere")
        }
        return ("a write was refused though the disk has \(free >> 20) MB free (possibly an immutable or append-only file (chattr), a quota, or a file size limit such as `ulimit -f`)", "fix it")
    }

    /// ``fullCause(freeBytes:temporaryFree:inodes:)`` for the database at `path` (nil: the
    /// last one opened), as the file systems holding it and SQLite's temporary files stand.
    static func fullCause(near path: String?) -> (cause: String, fix: String, sentence: String) {
        let (cause, fix) = fullCause(freeBytes: path.flatMap(freeBytes(near:)), temporaryFree: freeBytes(near: temporaryDirectory),
                                     inodes: path.flatMap(FileEntries.exhausted(near:)))
        return (cause, fix, "\(cause): \(fix)")
    }

    /// Where SQLite puts its temporary files (its own order of choices on Unix).
    static var temporaryDirectory: String {
        let env = ProcessInfo.processInfo.environment
        return env["SQLITE_TMPDIR"] ?? env["TMPDIR"] ?? "/var/tmp"
    }

    /// The bytes free to this user on the file system holding `path` (or its directory).
    static func freeBytes(near path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 || statvfs(URL(fileURLWithPath: path).deletingLastPathComponent().path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// `databaseRemoved`: the command removed the database it had just created, so there is
    /// nothing to resume.
    public static func describe(_ error: any Error, databaseRemoved: Bool = false) -> String? {
        let file = lastOpened.withLock { $0 }.map { "database \($0): " } ?? "database: "
        // A value no Sweep writes (a damaged page): GRDB's message quoted its SQL.
        if error is RowDecodingError {
            let detail = "\(error)".split(separator: " - ").first.map(String.init) ?? "a value could not be read"
            return file + detail + "; the file is damaged (`sqlite3 FILE .recover` may save its rows into a new database)"
        }
        guard let error = error as? DatabaseError else { return nil }
        var text = file + (error.message ?? "SQLite error \(error.resultCode.rawValue)")
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            text += "; the file is damaged (`sqlite3 FILE .recover` may save its rows into a new database)"
        case .SQLITE_FULL:
            // SQLite says "full" for any refused write it cannot tell apart (an immutable file
            // refused with EPERM on a disk 1% used was "the disk is full").
            let (cause, fix, _) = fullCause(near: lastOpened.withLock { $0 })
            text += databaseRemoved ? "; \(cause): nothing was kept (the new database was removed); \(fix), then run the command again"
                : "; \(cause): \(fix), then `sweep resume` continues where it stopped"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            text += "; another process held a lock on it for too long (a `sqlite3` shell in a transaction, a backup tool): end it and run the command again (`sweep resume` continues a sweep where it stopped)"
        case .SQLITE_IOERR:
            // (A write refused by a quota or `ulimit -f` is an I/O error, not SQLITE_FULL.)
            switch error.extendedResultCode {
            case .SQLITE_IOERR_WRITE, .SQLITE_IOERR_FSYNC, .SQLITE_IOERR_TRUNCATE:
                text += "; a write failed (a disk quota, a file size limit such as `ulimit -f`, a failing disk, or the file or its -wal removed or moved while in use?): fix it, then `sweep resume` continues where it stopped"
            default:
                text += "; a read or write failed (was the file or its -wal removed or moved while in use?)"
            }
        case .SQLITE_READONLY:
            text += "; " + (lastOpened.withLock { $0 }.map(ReadOnlyCause.hint(for:)) ?? "the file or its directory is read-only")
        default:
            break
        }
        return text
    }
}
