import Foundation
import Testing
@testable import Cluster

/// The attempt logs of command trials (``CommandLogs``) under faults and hostile files.
@Suite struct CommandLogsTests {
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "command-logs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/s", withIntermediateDirectories: true)
        return dir
    }

    /// A log past its bound keeps its first and its last half, the middle dropped and counted:
    /// the end, where a program says why it failed, was what got dropped.
    @Test func aLongLogKeepsItsBeginningAndItsEnd() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logs = CommandLogs(directory: dir, study: "s", trial: 0, attempt: 1, maxBytes: 10)
        for piece in ["abc", "defgh", "ijklmnop", "qrstuvwxyz"] { logs.append(Array(piece.utf8), stderr: false) }
        logs.append(Array("short".utf8), stderr: true)
        logs.finish(note: nil)
        #expect(try String(contentsOfFile: logs.outPath, encoding: .utf8)
                == "abcde\n[sweep] 16 byte(s) dropped here (the log keeps the first and the last 5 bytes)\nvwxyz")
        #expect(try String(contentsOfFile: logs.errPath, encoding: .utf8) == "short")
    }

    /// A write that fails (a full disk: /dev/full) stops that log and says why; the tails in
    /// memory go on (`FileHandle.write(_:)` trapped and killed the worker).
    @Test func aFullDiskStopsTheLogAndKeepsTheTails() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/s/trial-0.attempt-1.out", withDestinationPath: "/dev/full")
        let logs = CommandLogs(directory: dir, study: "s", trial: 0, attempt: 1, maxBytes: 1 << 20)
        #expect(logs.isWritable)
        logs.append(Array("hello\n".utf8), stderr: false)
        logs.append(Array("more\n".utf8), stderr: false)
        logs.append(Array("oops\n".utf8), stderr: true)
        logs.finish(note: nil)
        #expect(logs.writeFailure == "cannot write \(dir)/s/trial-0.attempt-1.out: No space left on device")
        #expect(logs.outputTail() == "hello\nmore\noops\n")
        #expect(try String(contentsOfFile: dir + "/s/trial-0.attempt-1.err", encoding: .utf8) == "oops\n")
    }

    /// A link another user put where a log goes is not followed (the default log folder is a
    /// predictable path in a shared /tmp): the file it points to stays as it was. (Making a
    /// link of another user takes root, as CI runs.)
    @Test func anotherUsersLinkIsNotFollowed() throws {
        try #require(getuid() == 0, "making a link owned by another user needs root")
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let victim = dir + "/victim"
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        let link = dir + "/s/trial-0.attempt-1.out"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        #expect(lchown(link, 65534, 65534) == 0)
        let logs = CommandLogs(directory: dir, study: "s", trial: 0, attempt: 1, maxBytes: 1 << 20)
        logs.append(Array("program output\n".utf8), stderr: false)
        logs.finish(note: nil)
        #expect(!logs.isWritable)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    }
}

/// All of a worker's command logs are kept under `--keep-logs` (``CommandLogRetention``):
/// the oldest attempts' files go first, never the attempt that just ended, nor one another
/// worker wrote to in the last 10 minutes (a sibling's running attempt), and nothing but the
/// log files is touched.
@Suite struct CommandLogRetentionTests {
    @Test func theOldestAttemptsLogsGoFirst() throws {
        let dir = NSTemporaryDirectory() + "log-retention-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manager = FileManager.default
        try manager.createDirectory(atPath: dir + "/old", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: dir + "/new", withIntermediateDirectories: true)
        // Three old attempts of 300 bytes each (ages 3000, 2000, 1000 s), a sibling's running
        // one (written 10 s ago) and a file of the user's.
        for (i, age) in [3000.0, 2000, 1000, 10].enumerated() {
            let path = dir + "/old/trial-\(i).attempt-1.out"
            #expect(manager.createFile(atPath: path, contents: Data(repeating: 65, count: 300)))
            try manager.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
        }
        #expect(manager.createFile(atPath: dir + "/old/notes.txt", contents: Data(repeating: 66, count: 5000)))
        let retention = CommandLogRetention(directory: dir, maxBytes: 1000)
        // A new attempt of 400 bytes: 1,600 in all, the two oldest go.
        let fresh = [dir + "/new/trial-0.attempt-1.out", dir + "/new/trial-0.attempt-1.err", dir + "/new/trial-0.attempt-1.params.json"]
        #expect(manager.createFile(atPath: fresh[0], contents: Data(repeating: 67, count: 400)))
        #expect(manager.createFile(atPath: fresh[1], contents: Data()))
        retention.attemptEnded(fresh) // (the .params.json was never written)
        #expect(!manager.fileExists(atPath: dir + "/old/trial-0.attempt-1.out") && !manager.fileExists(atPath: dir + "/old/trial-1.attempt-1.out"))
        #expect(manager.fileExists(atPath: dir + "/old/trial-2.attempt-1.out") && manager.fileExists(atPath: fresh[0]))
        // One bigger than the bound on its own: everything older goes but the sibling's; it stays.
        let big = [dir + "/new/trial-1.attempt-1.out"]
        #expect(manager.createFile(atPath: big[0], contents: Data(repeating: 68, count: 2000)))
        retention.attemptEnded(big)
        let left = try manager.contentsOfDirectory(atPath: dir + "/old").sorted() + manager.contentsOfDirectory(atPath: dir + "/new").sorted()
        #expect(left == ["notes.txt", "trial-3.attempt-1.out", "trial-1.attempt-1.out"], "\(left)")
        #expect(retention.removed == 5)
    }

    /// A relative `--log-dir`: the worker's own first attempt goes like any other (the scan
    /// named it `logs/...`, the attempt `/abs/logs/...`, and it was kept as a sibling's).
    @Test func aRelativeLogFolderLetsTheFirstAttemptGo() throws {
        let dir = NSTemporaryDirectory() + "log-retention-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // The folder relative to the current directory (tests run side by side: no chdir).
        let up = FileManager.default.currentDirectoryPath.split(separator: "/").map { _ in ".." }.joined(separator: "/")
        let relative = up + dir + "/logs"
        #expect(!relative.hasPrefix("/"))
        let retention = CommandLogRetention(directory: relative, maxBytes: 1 << 30, maxAttempts: 2)
        for trial in 0..<4 {
            let logs = CommandLogs(directory: relative, study: "s", trial: trial, attempt: 1, maxBytes: 1 << 20, retention: retention)
            logs.finish(note: "trial \(trial)\n")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir + "/logs/s").sorted()
        #expect(left == ["trial-2.attempt-1.err", "trial-2.attempt-1.out", "trial-3.attempt-1.err", "trial-3.attempt-1.out"], "\(left)")
    }

    /// Many small attempts: their number is bounded too (22,700 files of short trials were
    /// kept under the size bound, and the worker's list of them grew with each).
    @Test func theNumberOfAttemptsKeptIsBounded() throws {
        let dir = NSTemporaryDirectory() + "log-retention-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manager = FileManager.default
        try manager.createDirectory(atPath: dir + "/s", withIntermediateDirectories: true)
        let retention = CommandLogRetention(directory: dir, maxBytes: 1 << 30, maxAttempts: 5)
        for trial in 0..<12 {
            let paths = [".out", ".err"].map { dir + "/s/trial-\(trial).attempt-1" + $0 }
            for path in paths { #expect(manager.createFile(atPath: path, contents: Data("trial \(trial)\n".utf8))) }
            retention.attemptEnded(paths)
        }
        let left = try manager.contentsOfDirectory(atPath: dir + "/s").sorted()
        #expect(left == (7..<12).flatMap { ["trial-\($0).attempt-1.err", "trial-\($0).attempt-1.out"] }.sorted(), "\(left)")
        #expect(retention.removed == 14)
    }
}
