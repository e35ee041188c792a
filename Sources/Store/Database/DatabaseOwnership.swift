import Foundation
import GRDB

/// Whose a database file is: Sweep's, nobody's yet (empty), or another program's.
///
/// Sweep stamps its files with `PRAGMA application_id` (migration "v3-files: application
/// id"); files made before that are recognised by their tables. Anything else is refused
/// before a connection that could write (or switch the file to WAL) is opened.
enum DatabaseOwnership {
    /// "SWEP" in ASCII, in the header of every Sweep database.
    static let applicationID: Int32 = 0x5357_4550

    /// Tables every Sweep database has had since its first version.
    private static let sweepTables: Set<String> = ["grdb_migrations", "studies", "trials"]

    /// The 16 bytes every SQLite database file begins with.
    static let sqliteMagic = Data("SQLite format 3\0".utf8)

    /// The first 16 bytes of `path` (fewer for a shorter file), nil when it cannot be read.
    static func firstBytes(path: String) -> Data? {
        // Through a kept descriptor (closing one would drop this process's SQLite locks).
        guard case .success(let d) = DatabaseDescriptors.checkOut(path: path, writable: false) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = pread(d.fd, &bytes, 16, 0)
        DatabaseDescriptors.checkIn(d.fd, writable: d.writable)
        return Data(bytes.prefix(max(0, count)))
    }

    /// Throws ``StoreError/foreign(path:reason:)`` unless `path` is missing, empty, or Sweep's.
    static func requireSweepOrEmpty(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue { throw StoreError.foreign(path: path, reason: "it is a directory") }
        guard let header = firstBytes(path: path) else { return } // SQLite reports it
        if header.isEmpty { return }
        guard header == sqliteMagic else {
            throw StoreError.foreign(path: path, reason: "it is not an SQLite database")
        }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        let facts: (applicationID: Int32, userVersion: Int32, tables: [String], migrations: Int)
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            facts = try queue.read { db in
                (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                 try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                 try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"),
                 try db.tableExists("grdb_migrations") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") ?? 0 : 0)
            }
        } catch let error as DatabaseError {
            throw StoreError.unreadable(path: path, reason: error.message ?? "\(error)")
        }
        if facts.applicationID == applicationID { return }
        if facts.applicationID != 0 {
            throw StoreError.foreign(path: path, reason: String(format: "its application_id is 0x%08x, another program's", facts.applicationID))
        }
        if facts.tables.isEmpty && facts.userVersion == 0 { return }
        // Sweep's creation that failed in its first migration (a full disk, `ulimit -f`): the
        // migration rolled back, GRDB's empty bookkeeping table stayed, and every later run
        // refused the file as another program's.
        if facts.tables == ["grdb_migrations"] && facts.migrations == 0 && facts.userVersion == 0 { return }
        if sweepTables.isSubset(of: facts.tables) && facts.userVersion == 0 { return } // made before the stamp
        if facts.tables.isEmpty {
            throw StoreError.foreign(path: path, reason: "its user_version is \(facts.userVersion)")
        }
        let shown = facts.tables.prefix(5).joined(separator: ", ") + (facts.tables.count > 5 ? ", ..." : "")
        throw StoreError.foreign(path: path, reason: "it holds other tables: \(shown)")
    }
}

extension SweepStore {
    /// Whether the file at `path` starts as an SQLite database does (nil: it cannot be read
    /// now, which says nothing). Read through a kept descriptor: opening and closing one would
    /// drop the SQLite locks this process holds on the file (see `DatabaseDescriptors`).
    public static func holdsSQLiteHeader(path: String) -> Bool? {
        DatabaseOwnership.firstBytes(path: path).map { $0 == DatabaseOwnership.sqliteMagic }
    }
}
