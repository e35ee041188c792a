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

    @Test func aDatabaseInMemoryHasNone() throws {
        #expect(try WALCheckpointer(store: SweepStore.inMemory()) == nil)
    }
}
