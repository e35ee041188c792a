import Foundation
import GRDB
import SweepSupport
import Synchronization

/// Checkpoints a WAL database on its own thread and connection, so that the writer's
/// commits neither copy pages into the database file nor wait for its `fsync`.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold (1,000
/// pages): for the coordinator that is a stall of milliseconds in its poll loop every second
/// or so under load, the tail of the report round trip, and CPU taken from the loop. Here a
/// passive checkpoint runs every ``interval`` on another connection (sooner while the log is
/// long: a sweep of zero-cost trials writes some 20,000 pages a second); in WAL mode it runs
/// beside the writer and its readers and never blocks them. The writer's own automatic
/// checkpoint stays on at ``fallbackPages``, which bounds the WAL should this thread fall
/// behind, and every connection cuts the file back to ``walBytesKept`` when the log restarts.
///
/// ```swift
/// let checkpoints = try WALCheckpointer(store: store)
/// defer { checkpoints.stop() }
/// ```
public final class WALCheckpointer: Sendable {
    /// How often the thread checkpoints.
    public let interval: Double
    /// The writer's automatic-checkpoint threshold while this runs (SQLite's default: 1,000):
    /// 16 MB of 4 KiB pages.
    public static let fallbackPages = 4_096
    /// The WAL file's size kept after the log restarts (`journal_size_limit`).
    public static let walBytesKept = 4 << 20
    /// A log this long (pages) after a checkpoint brings the next one forward.
    static let longLogPages = 1_000

    private let store: SweepStore
    /// The writer's threshold before, given back by ``stop()``.
    private let writerPages: Int
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    /// Signalled by ``stop()``: the thread does not sleep out its interval.
    private let wake = DispatchSemaphore(value: 0)
    /// The file, when no thread could be started: ``stop()`` then checkpoints it itself.
    private let threadless = Mutex<(path: String, identity: [UInt64]?)?>(nil)

    /// Starts checkpointing `store`'s file on a new thread; nil for a database in memory.
    public init?(store: SweepStore, interval: Double = 0.2) throws {
        guard let path = store.path else { return nil }
        self.store = store
        self.interval = interval
        writerPages = try store.database.writeWithoutTransaction { db in
            let before = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 1000
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.fallbackPages)")
            return before
        }
        // The file the store opened, through any symbolic link, and which file it is: the
        // last checkpoint opens a new connection, and a link removed meanwhile left a new
        // empty database at its name (a file removed or replaced, likewise).
        let real = RealPath.of(path)
        let identity = Self.identity(of: real)
        let started = StartedThread.start(name: "sweep-checkpoint") { [self] in
            run(path: real, identity: identity)
            done.signal()
        }
        // No thread to be had (a process limit): the writer checkpoints by itself, at
        // SQLite's threshold, and ``stop()`` makes the last checkpoint itself.
        if !started { threadless.withLock { $0 = (path: real, identity: identity) } }
    }

    /// Stops the thread after a last checkpoint that copies the whole log into the database
    /// file and empties it, and gives the writer back its own automatic checkpoint.
    ///
    /// The last checkpoint is why the file alone holds every commit once the coordinator
    /// ends: SQLite does so itself only when its last connection closes, and a dashboard
    /// (in this process or another) keeps one open, so a copy of the file made after the
    /// run lacked its last trials while the log beside it held them.
    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        if let file = threadless.withLock({ $0 }) {
            Self.finalCheckpoint(path: file.path, identity: file.identity, fallback: nil)
        } else {
            wake.signal()
            done.wait()
        }
        try? store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(writerPages)") }
    }

    /// The device and inode of the file at `path`, or nil.
    private static func identity(of path: String) -> [UInt64]? {
        var info = stat()
        return stat(path, &info) == 0 ? [UInt64(info.st_dev), UInt64(info.st_ino)] : nil
    }

    private func run(path: String, identity: [UInt64]?) {
        var config = Configuration()
        // A checkpoint that meets the writer's lock gives up at once and tries next time.
        config.busyMode = .immediateError
        config.label = "sweep-checkpoint"
        guard let connection = try? DatabaseQueue(path: path, configuration: config) else { return }
        var wait = interval
        while !stopping.load(ordering: .relaxed) {
            _ = wake.wait(timeout: .now() + wait)
            if stopping.load(ordering: .relaxed) { break }
            // `PASSIVE` copies what no reader still needs and returns (nothing to copy costs
            // nearly nothing); the writer restarts the WAL once all of it is copied. Its row:
            // busy, pages in the log, pages copied.
            let row = try? connection.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            let logPages: Int = (row ?? nil).flatMap { $0[1] } ?? 0
            wait = logPages > Self.longLogPages ? interval / 10 : interval
        }
        Self.finalCheckpoint(path: path, identity: identity, fallback: connection)
    }

    /// The last checkpoint: all of the log copied and emptied (on `fallback` when the file
    /// cannot be opened again by its name).
    private static func finalCheckpoint(path: String, identity: [UInt64]?, fallback: DatabaseQueue?) {
        // The last one copies all of the log and empties it. It waits for readers, briefly:
        // without waiting, a `sweep trials` reading at that moment kept the last commits in
        // the log (172 results and 2 trials RUNNING missing from the file alone, after a run
        // that exited 0); waiting as long as a writer may (10 s) held the coordinator's exit,
        // and every other writer, behind a long read (a `sqlite3` shell). A query's read is
        // over in milliseconds: 2 s at most, then what no reader needs is copied.
        var last = Configuration()
        last.busyMode = .timeout(finalCheckpointWait)
        last.label = "sweep-checkpoint"
        // (Only while the name still holds the file: opening creates a database where none is.)
        if identity != nil, Self.identity(of: path) == identity,
           let waiting = try? DatabaseQueue(path: path, configuration: last),
           (try? waiting.writeWithoutTransaction({ db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") })) != nil {
            return
        }
        _ = try? fallback?.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// How long the last checkpoint waits for readers (seconds).
    static let finalCheckpointWait: Double = 2
}
