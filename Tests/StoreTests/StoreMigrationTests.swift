import Foundation
import GRDB
import Search
import SweepTestSupport
import Testing
@testable import Store

/// The schema's migrations: applied once, in order, to new and old files alike; a file from
/// a newer sweep or another program is refused before anything is written.
@Suite struct StoreMigrationTests {
    private func applied(_ writer: any DatabaseWriter) throws -> [String] {
        try writer.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
    }

    @Test func aNewDatabaseHasEveryMigrationInOrder() throws {
        let store = try SweepStore.inMemory()
        #expect(try applied(store.database) == Schema.migrator.migrations)
        let tables = try store.database.read { db in
            try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        }
        #expect(tables.isSuperset(of: ["studies", "trials", "intermediate_values", "trial_attempts", "workers", "events", "artifacts", "retrains"]))
        #expect(try store.database.read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") } == DatabaseOwnership.applicationID)
    }

    @Test func aFileFromTheFirstVersionIsUpgradedKeepingItsRows() throws {
        let scratch = try scratchFolder("upgrade")
        defer { scratch.cleanUp() }
        let first = try #require(Schema.migrator.migrations.first)
        // A database as the first version left it, with a study in it.
        do {
            let queue = try DatabaseQueue(path: scratch.db)
            try Schema.migrator.migrate(queue, upTo: first)
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO studies (name, direction, metric, sweep_file, space, seed, budget_trials, created_at)
                    VALUES ('old', 'minimize', 'val_loss', 'study: old', ?, 1, 5, 10)
                    """, arguments: [try JSONText.encodeSpace(try sampleSpace())])
            }
        }
        let store = try SweepStore.open(path: scratch.db)
        #expect(try applied(store.database) == Schema.migrator.migrations)
        let old = try #require(try store.read { try $0.study(named: "old") })
        #expect(old.definition.metric == "val_loss" && old.definition.budgetTrials == 5 && old.state == .running)
        // New tables work on the upgraded file.
        try store.write { try $0.upsertArtifact(studyID: old.id, ArtifactRecord(trialNumber: 0, path: "old/trial-0.swm", bytes: 3, value: 1, createdAt: 11)) }
        #expect(try store.read { try $0.artifacts(studyID: old.id) }.map(\.path) == ["old/trial-0.swm"])
    }

    @Test func reopeningAnUpToDateFileWritesNothing() throws {
        let scratch = try scratchFolder("reopen")
        defer { scratch.cleanUp() }
        do {
            let store = try SweepStore.open(path: scratch.db)
            _ = try store.write { try $0.createStudy(try newStudy(), at: 1) }
            // Fold the WAL into the file, so its bytes are all there is.
            try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.db))
        let store = try SweepStore.open(path: scratch.db)
        #expect(try store.read { try $0.studies() }.map(\.name) == ["s"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.db)) == before)
        #expect(try applied(store.database) == Schema.migrator.migrations)
    }

    @Test func aFileFromANewerSweepIsRefused() throws {
        let scratch = try scratchFolder("newer")
        defer { scratch.cleanUp() }
        do {
            let store = try SweepStore.open(path: scratch.db)
            try store.database.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
            try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        // As a later command finds it: no log beside it.
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch.db + suffix) }
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.db))
        #expect {
            _ = try SweepStore.open(path: scratch.db)
        } throws: { error in
            "\(error)".contains("newer version of sweep") && "\(error)".contains("v99: from the future")
        }
        // Refused without a write (opening the pool created and dropped a table first).
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.db)) == before)
        // Readers refuse it too, rather than misreading tables they do not know.
        #expect(throws: StoreError.self) { _ = try SweepStore.openReadOnly(path: scratch.db) }
    }

    @Test func anotherProgramsDatabaseIsLeftUntouched() throws {
        let scratch = try scratchFolder("foreign-tables")
        defer { scratch.cleanUp() }
        do {
            let queue = try DatabaseQueue(path: scratch.db)
            try queue.write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)") }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.db))
        #expect {
            _ = try SweepStore.open(path: scratch.db)
        } throws: { error in
            guard case StoreError.foreign(_, let reason) = error else { return false }
            return reason.contains("invoices")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.db)) == before)
        #expect(!FileManager.default.fileExists(atPath: scratch.db + "-wal"))
    }

    /// What a creation that failed in its first migration leaves (a full disk, `ulimit -f`:
    /// the migration rolled back, GRDB's empty bookkeeping table stayed) is taken up again,
    /// not refused for good as "another program's" (`it holds other tables: grdb_migrations`).
    @Test func aCreationThatFailedInItsFirstMigrationIsTakenUpAgain() throws {
        let scratch = try scratchFolder("half-made")
        defer { scratch.cleanUp() }
        do {
            let queue = try DatabaseQueue(path: scratch.db)
            try queue.write { db in try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)") }
        }
        let store = try SweepStore.open(path: scratch.db)
        #expect(try store.read { try $0.studies() }.isEmpty)
        // With a migration recorded it is not that: refused as before.
        let other = try scratchFolder("half-made-other")
        defer { other.cleanUp() }
        do {
            let queue = try DatabaseQueue(path: other.db)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('someone else')")
            }
        }
        #expect(throws: StoreError.self) { _ = try SweepStore.open(path: other.db) }
    }
}

/// A read-only connection: reads what the writer committed, and cannot write.
@Suite struct StoreReadOnlyTests {
    @Test func readsCommittedRowsAndRefusesWrites() throws {
        let scratch = try scratchFolder("read-only")
        defer { scratch.cleanUp() }
        let store = try SweepStore.open(path: scratch.db)
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let reader = try SweepStore.openReadOnly(path: scratch.db)
        #expect(try reader.read { try $0.study(named: "s") } == study)
        // A later commit is visible to the next read.
        _ = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .waiting, params: [:], seed: 1, at: 2) }
        #expect(try reader.read { try $0.trials(studyID: study.id) }.count == 1)
        #expect(throws: DatabaseError.self) {
            try reader.database.read { db in try db.execute(sql: "DELETE FROM trials") }
        }
        #expect(try store.read { try $0.trials(studyID: study.id) }.count == 1)
        #expect(try reader.integrityCheck() == "ok")
    }

    @Test func aDatabaseMissingTablesReadersNeedIsRefused() throws {
        let scratch = try scratchFolder("half")
        defer { scratch.cleanUp() }
        do {
            let queue = try DatabaseQueue(path: scratch.db)
            try Schema.migrator.migrate(queue, upTo: try #require(Schema.migrator.migrations.first))
        }
        #expect {
            _ = try SweepStore.openReadOnly(path: scratch.db)
        } throws: { error in
            "\(error)".contains("is not a complete Sweep database (its schema lacks")
        }
    }
}

/// Processes opening one database at once: creation is one at a time, and a clean-up never
/// deletes a file another store has open.
@Suite struct DatabaseFileUseTests {
    @Test func aDatabaseInUseIsNotRemoved() throws {
        let scratch = try scratchFolder("in-use")
        defer { scratch.cleanUp() }
        var store: SweepStore? = try SweepStore.open(path: scratch.db)
        // An OFD lock is per open file: this process's own store counts as another user.
        #expect(SweepStore.removeIfUnusedAndEmpty(path: scratch.db) == false)
        #expect(FileManager.default.fileExists(atPath: scratch.db))
        _ = try store!.write { try $0.createStudy(try newStudy(), at: 1) }
        store = nil
        // Unused now, but it holds a study: kept.
        #expect(SweepStore.removeIfUnusedAndEmpty(path: scratch.db) == false)
        #expect(FileManager.default.fileExists(atPath: scratch.db))
        let empty = scratch.directory.appendingPathComponent("empty.db").path
        do { _ = try SweepStore.open(path: empty) }
        #expect(SweepStore.removeIfUnusedAndEmpty(path: empty))
        #expect(!FileManager.default.fileExists(atPath: empty) && !FileManager.default.fileExists(atPath: empty + "-wal"))
    }

    /// A database file with a second name (a hard link) is refused for writing and reading:
    /// SQLite's log lies beside the name, and a log written through one name and replayed
    /// through the other corrupted the shared file. A symbolic link is followed and fine.
    @Test func aDatabaseWithTwoNamesIsRefused() throws {
        let scratch = try scratchFolder("hardlink")
        defer { scratch.cleanUp() }
        do {
            let store = try SweepStore.open(path: scratch.db)
            _ = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        }
        let link = scratch.directory.appendingPathComponent("other.db").path
        try FileManager.default.linkItem(atPath: scratch.db, toPath: link)
        for path in [scratch.db, link] {
            #expect { _ = try SweepStore.open(path: path) } throws: { "\($0)".contains("has 2 names (hard links)") }
            #expect { _ = try SweepStore.openReadOnly(path: path) } throws: { "\($0)".contains("has 2 names (hard links)") }
        }
        #expect(!FileManager.default.fileExists(atPath: link + "-wal"), "a refused open wrote a log")
        try FileManager.default.removeItem(atPath: link)
        let symlink = scratch.directory.appendingPathComponent("symlink.db").path
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: scratch.db)
        #expect(try SweepStore.openReadOnly(path: symlink).read { try $0.studies().count } == 1)
    }

    /// A database that cannot be read may hold results: a clean-up never deletes it.
    @Test func anUnreadableDatabaseIsNeverRemoved() throws {
        let scratch = try scratchFolder("unsure")
        defer { scratch.cleanUp() }
        do {
            let store = try SweepStore.open(path: scratch.db)
            _ = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        }
        // Damage every page after the first: the studies table cannot be read.
        let handle = try #require(FileHandle(forUpdatingAtPath: scratch.db))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0x07, count: Int(size) - 4096))
        try handle.close()
        #expect(SweepStore.removeIfUnusedAndEmpty(path: scratch.db) == false)
        #expect(FileManager.default.fileExists(atPath: scratch.db))
        // Through a symlink, the file itself is what a clean-up looks at (and would remove).
        let link = scratch.directory.appendingPathComponent("link.db").path
        let empty = scratch.directory.appendingPathComponent("empty.db").path
        do { _ = try SweepStore.open(path: empty) }
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: empty)
        #expect(SweepStore.removeIfUnusedAndEmpty(path: link))
        #expect(!FileManager.default.fileExists(atPath: empty) && !FileManager.default.fileExists(atPath: empty + "-wal"))
    }

    @Test func storesOpenedAtOnceAllFindTheSchemaWhole() async throws {
        let scratch = try scratchFolder("at-once")
        defer { scratch.cleanUp() }
        for round in 0..<20 {
            let path = scratch.directory.appendingPathComponent("r\(round).db").path
            // Separate connections and file descriptions, as separate processes have.
            let opened = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        do { _ = try SweepStore.open(path: path); return nil } catch { return "\(error)" }
                    }
                }
                return await group.reduce(into: [String]()) { if let e = $1 { $0.append(e) } }
            }
            #expect(opened.isEmpty, "round \(round): \(opened)")
        }
    }

    @Test func aMissingDirectoryIsNamed() throws {
        #expect {
            _ = try SweepStore.open(path: "/tmp/sweep-no-such-dir-\(getpid())/x.db")
        } throws: { error in
            "\(error)".contains("the directory /tmp/sweep-no-such-dir-\(getpid()) does not exist")
        }
    }
}

/// SQLite failures deep in a query reach users as the database, what happened and what may
/// help: "SQLite error 11: database disk image is malformed - while executing `WITH ...`"
/// named neither the file nor a way out.
@Suite struct DatabaseFailureTests {
    @Test func aFailureNamesTheDatabaseAndAHintWithoutTheSQL() throws {
        let scratch = try scratchFolder("failure")
        defer { scratch.cleanUp() }
        _ = try SweepStore.open(path: scratch.db)
        let corrupt = DatabaseError(resultCode: .SQLITE_CORRUPT, message: "database disk image is malformed", sql: "WITH starts AS (SELECT 1) SELECT * FROM starts")
        let text = try #require(DatabaseFailure.describe(corrupt))
        // (The database named is the one opened last in this process: tests run in parallel.)
        #expect(text.hasPrefix("database /") && text.hasSuffix(".db: database disk image is malformed; the file is damaged (`sqlite3 FILE .recover` may save its rows into a new database)"), "\(text)")
        #expect(!text.contains("WITH starts"))
        #expect(DatabaseFailure.describe(DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full"))?.contains(", then `sweep resume` continues") == true)
        // SQLite says "full" for a write refused otherwise (an immutable file): the disk's
        // free space tells them apart.
        #expect(DatabaseFailure.fullCause(freeBytes: 10 << 20) == ("the disk is full", "free space"))
        #expect(DatabaseFailure.fullCause(freeBytes: 5 << 30).cause == "a write was refused though the disk has 5120 MB free (possibly an immutable or append-only file (chattr), a quota, or a file size limit such as `ulimit -f`)")
        #expect(DatabaseFailure.fullCause(freeBytes: 5 << 30, temporaryFree: 1 << 20).cause.hasPrefix("SQLite's temporary directory ("))
        #expect((DatabaseFailure.freeBytes(near: scratch.db) ?? 0) > 0)
        // A write refused by a quota or `ulimit -f` (an I/O error, not SQLITE_FULL) is not
        // blamed on a removed file alone.
        let write = DatabaseFailure.describe(DatabaseError(resultCode: .SQLITE_IOERR_WRITE, message: "disk I/O error")) ?? ""
        #expect(write.contains("a write failed (a disk quota, a file size limit such as `ulimit -f`") && write.contains("`sweep resume` continues"), "\(write)")
        #expect(DatabaseFailure.describe(DatabaseError(resultCode: .SQLITE_IOERR_READ, message: "disk I/O error"))?.contains("a read or write failed (was the file or its -wal removed") == true)
        #expect(DatabaseFailure.describe(StoreError.notFound("x")) == nil)
    }
}

/// Closing any descriptor of a file drops every classic POSIX lock the process holds on it,
/// SQLite's included: another process closing its last connection then deletes the live WAL
/// (a dashboard in the coordinator's process looked at the study lock; an enqueue closed).
@Suite struct KeptDescriptorTests {
    @Test func lookingAtTheFileKeepsThisProcesssSQLiteLocks() throws {
        let scratch = try scratchFolder("kept-fd")
        defer { scratch.cleanUp() }
        let store = try SweepStore.open(path: scratch.db)
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        _ = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .waiting, params: [:], seed: 1, at: 2) }
        #expect(FileManager.default.fileExists(atPath: scratch.db + "-wal"))
        // What a dashboard, a report and a second store in this process do with the file.
        for _ in 0..<3 {
            _ = StudyLockBytes.isHeld(database: scratch.db, study: "s")
            do { _ = try SweepStore.open(path: scratch.db) }
            _ = SweepStore.removeIfUnusedAndEmpty(path: scratch.db)
        }
        // Another process opens and closes the database: it must see this one still using it.
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('select count(*) from trials').fetchall(); c.close()", scratch.db]
        try python.run()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: scratch.db + "-wal"), "the live WAL was deleted by another process")
        _ = try store.write { try $0.insertTrial(studyID: study.id, number: 1, state: .waiting, params: [:], seed: 2, at: 3) }
        #expect(try SweepStore.openReadOnly(path: scratch.db).read { try $0.trials(studyID: study.id) }.count == 2)
        #expect(try store.integrityCheck() == "ok")
    }
}
