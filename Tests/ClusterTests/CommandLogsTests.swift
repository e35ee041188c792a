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
