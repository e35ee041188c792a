import Foundation
import GRDB
import Store
import Testing

/// The WAL is copied into the database file by the checkpointer's thread, not by commits.
@Suite struct WALCheckpointerTests {
    func scratchDatabase() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-wal-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory + "/s.db"
    }

    func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    func autocheckpoint(_ store: SweepStore) throws -> Int {
        try store.database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
    }

    /// About 2 MB of rows in small transactions: under the writer's raised threshold, so
    /// only the checkpointer's thread can move them into the database file.
    @Test(.timeLimit(.minutes(1))) func theWALIsCopiedIntoTheDatabaseFileByItsOwnThread() throws {
        let path = try scratchDatabase()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let store = try SweepStore.open(path: path)
        #expect(try autocheckpoint(store) == 1000)
        let checkpoints = try #require(try WALCheckpointer(store: store, interval: 0.01))
        #expect(try autocheckpoint(store) == WALCheckpointer.fallbackPages)
        try store.database.writeWithoutTransaction { db in try db.execute(sql: "CREATE TABLE filler (x BLOB)") }
        let before = fileSize(path)
        for _ in 0..<200 {
            try store.database.write { db in
                for _ in 0..<10 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(1000))") }
            }
        }
        // Copied by the checkpointer meanwhile or shortly after.
        let deadline = Date().addingTimeInterval(20)
        while fileSize(path) < before + 1_500_000 && Date() < deadline { usleep(20_000) }
        #expect(fileSize(path) >= before + 1_500_000, "database file \(fileSize(path)) bytes, WAL \(fileSize(path + "-wal")) bytes")
        checkpoints.stop()
        #expect(try autocheckpoint(store) == 1000)
        #expect(try store.integrityCheck() == "ok")
    }

    /// Some 60 MB of pages written in small transactions (a fast sweep writes ~20,000 pages a
    /// second): the WAL file stays within the writer's fallback threshold and is cut back to
    /// `walBytesKept` when the log restarts (it kept its 64 MB peak, and filled a small disk).
    @Test(.timeLimit(.minutes(2))) func theWALFileStaysSmall() throws {
        let path = try scratchDatabase()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let store = try SweepStore.open(path: path)
        let checkpoints = try #require(try WALCheckpointer(store: store))
        try store.database.writeWithoutTransaction { db in try db.execute(sql: "CREATE TABLE filler (x BLOB)") }
        var largest = 0
        for i in 0..<5_000 {
            try store.database.write { db in
                try db.execute(sql: "INSERT INTO filler VALUES (randomblob(3000))")
                if i % 50 == 0 { try db.execute(sql: "DELETE FROM filler WHERE rowid % 3 = 0") } // pages rewritten, not only appended
            }
            largest = max(largest, fileSize(path + "-wal"))
        }
        checkpoints.stop()
        // The writer's fallback checkpoint cannot restart a log the checkpointer's thread is
        // copying: on a loaded machine the log grows past the threshold by a few MB (18.6 MB
        // seen with 16 MB), far below the 64 MB it kept before.
        let bound = WALCheckpointer.fallbackPages * 4096 + (4 << 20)
        #expect(largest <= bound, "the WAL reached \(largest) bytes (bound \(bound))")
        #expect(largest > WALCheckpointer.walBytesKept / 2, "too little written to test: \(largest)")
        try store.database.write { db in try db.execute(sql: "INSERT INTO filler VALUES (1)") }
        _ = try store.database.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        try store.database.write { db in try db.execute(sql: "INSERT INTO filler VALUES (2)") } // restarts the log
        #expect(fileSize(path + "-wal") <= WALCheckpointer.walBytesKept, "\(fileSize(path + "-wal"))")
    }

    /// A query reading (an open read transaction on an older snapshot) as the coordinator
    /// ends: the last checkpoint waits for it, briefly, and the file alone holds every commit
    /// (without waiting, it kept the last ones in the log: a copy of the file lacked 172
    /// results after a run that exited 0).
    @Test(.timeLimit(.minutes(1))) func theLastCheckpointWaitsForAShortRead() throws {
        let path = try scratchDatabase()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let store = try SweepStore.open(path: path)
        let checkpoints = try #require(try WALCheckpointer(store: store, interval: 3600))
        try store.database.writeWithoutTransaction { db in try db.execute(sql: "CREATE TABLE filler (x INTEGER)") }
        try store.database.write { db in try db.execute(sql: "INSERT INTO filler VALUES (1)") }
        // A reader on this snapshot for 0.3 s, while more is committed after it.
        let reader = try DatabaseQueue(path: path)
        let reading = DispatchSemaphore(value: 0)
        let thread = Thread {
            try? reader.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM filler")
                reading.signal()
                usleep(300_000)
            }
        }
        thread.start()
        reading.wait()
        for i in 2...100 { try store.database.write { db in try db.execute(sql: "INSERT INTO filler VALUES (?)", arguments: [i]) } }
        checkpoints.stop()
        #expect(fileSize(path + "-wal") == 0, "the log still holds \(fileSize(path + "-wal")) bytes")
        // The file alone, copied without its log, holds every row.
        let copy = path + ".copy"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let rows = try DatabaseQueue(path: copy).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM filler") }
        #expect(rows == 100)
    }

    @Test func aDatabaseInMemoryHasNone() throws {
        #expect(try WALCheckpointer(store: SweepStore.inMemory()) == nil)
    }
}
