import Foundation
import Testing
@testable import Cluster

/// Where a run whose database vanished saves what it recorded: beside the file, else in a
/// new private folder of the temporary directory (a predictable, world-readable
/// `/tmp/sweep-rescued-STUDY.db` let another user read the study, block its resume, or plant
/// a `-wal` that ran their program under the owner's account at the resume).
@Suite struct RescuePathTests {
    @Test func theTemporaryCopyGoesIntoAFreshPrivateFolder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rescue-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/s.db"
        FileManager.default.createFile(atPath: db, contents: Data("x".utf8))
        let watch = try #require(DatabaseFileWatch(path: db))
        let candidates = watch.rescuePaths(study: "shared")
        #expect(candidates.count == 2 && candidates[0]() == db + ".rescued")
        let first = try #require(candidates[1]()), second = try #require(candidates[1]())
        let folder = (first as NSString).deletingLastPathComponent
        defer { for f in [first, second] { try? FileManager.default.removeItem(atPath: (f as NSString).deletingLastPathComponent) } }
        #expect(first != second && first.hasSuffix("/shared.db") && (folder as NSString).lastPathComponent.hasPrefix("sweep-rescued-"))
        var info = stat()
        #expect(stat(folder, &info) == 0 && info.st_mode & 0o777 == 0o700 && info.st_uid == getuid())
    }
}
