import Foundation
import Testing
@testable import Cluster

/// Reading a program's pipes takes a bounded amount at a time: a program writing without
/// pause (no newline, a full pipe each time) made the worker hold over a gigabyte.
@Suite struct ChildProcessReadTests {
    @Test func oneReadTakesAtMostItsBoundAndTheRestStaysInThePipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        // A pipe of 1 MiB (what Linux allows without privileges) read 256 KiB at a time.
        let limit = 256 << 10
        _ = fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, 1 << 20)
        let capacity = Int(fcntl(fds[1], 1032 /* F_GETPIPE_SZ */))
        try #require(capacity >= 1 << 20, "this kernel's pipes hold \(capacity) bytes")
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        let written = [UInt8](repeating: 0x78, count: capacity)
        let n = written.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        #expect(n == capacity)
        var buffer: [UInt8] = []
        #expect(ChildProcess.readAvailable(fds[0], into: &buffer, limit: limit))
        #expect(buffer.count >= limit && buffer.count < limit + 65536, "\(buffer.count)")
        // The rest comes with the next reads.
        var total = buffer.count
        while total < capacity {
            var more: [UInt8] = []
            #expect(ChildProcess.readAvailable(fds[0], into: &more, limit: limit))
            #expect(more.count < limit + 65536)
            #expect(!more.isEmpty)
            total += more.count
        }
        #expect(total == capacity)
    }
}

/// Checkpoint directories a killed worker left behind are removed by the next worker on the
/// machine; a live worker's are kept.
@Suite struct CheckpointLeftoverTests {
    @Test func theDirectoriesOfWorkersThatAreGoneAreRemoved() throws {
        let base = NSTemporaryDirectory() + "ckpt-leftovers-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let me = try #require(ProcessIdentity.current)
        let own = CommandCheckpoints.ownName // w<machine>-<pid>-<start>
        let tag = own.dropLast("-\(me.pid)-\(me.startTicks)".count)
        let gone = "\(base)/\(tag)-\(me.pid)-\(me.startTicks + 1)/s-trial-0-attempt-1" // this pid, another start: gone
        let live = "\(base)/\(own)/s-trial-1-attempt-1"
        let elsewhere = "\(base)/w0123abcd-\(me.pid)-\(me.startTicks + 1)/s-trial-2-attempt-1" // another machine's
        let other = "\(base)/not-a-worker"
        for dir in [gone, live, elsewhere, other] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        CommandCheckpoints.removeLeftovers(in: base)
        #expect(!FileManager.default.fileExists(atPath: (gone as NSString).deletingLastPathComponent))
        #expect([live, elsewhere, other].allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(CommandCheckpoints.root.hasSuffix("/sweep-checkpoints-\(getuid())/\(own)"), "\(CommandCheckpoints.root)")
    }
}

/// A program that cannot start says what to do: `noexec.sh` in the working directory, not
/// executable and named without a slash, failed with "No such file or directory" although
/// it was there.
@Suite struct ChildProcessStartTests {
    @Test func aProgramThatCannotStartSaysWhy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("child-start-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/train.sh", contents: Data("echo hi\n".utf8), attributes: [.posixPermissions: 0o644])
        func failure(_ argv: [String]) -> String {
            do {
                _ = try ChildProcess(argv: argv, environment: ["PATH": "/usr/bin:/bin"], directory: dir)
                return "started"
            } catch {
                return "\(error)"
            }
        }
        let bare = failure(["train.sh"])
        #expect(bare.hasPrefix("could not start 'train.sh': No such file or directory in PATH") && bare.contains("it is in \(dir): write ./train.sh"), "\(bare)")
        let dotted = failure(["./train.sh"])
        #expect(dotted.contains("Permission denied (it is not executable: chmod +x ./train.sh"), "\(dotted)")
        let absent = failure(["no-such-program"])
        #expect(absent == "could not start 'no-such-program': No such file or directory", "\(absent)")
        // There, but "No such file or directory": its #! line (Windows line endings, or an
        // interpreter that is not installed); a directory is "Permission denied".
        FileManager.default.createFile(atPath: dir + "/crlf.sh", contents: Data("#!/bin/sh\r\necho hi\r\n".utf8), attributes: [.posixPermissions: 0o755])
        let crlf = failure(["./crlf.sh"])
        #expect(crlf.contains("No such file or directory (its #! line ends with a carriage return: the file has Windows line endings"), "\(crlf)")
        FileManager.default.createFile(atPath: dir + "/interp.sh", contents: Data("#!/usr/bin/no-such-interpreter -u\nprint(1)\n".utf8), attributes: [.posixPermissions: 0o755])
        let interp = failure(["./interp.sh"])
        #expect(interp.contains("(the interpreter its #! line names, /usr/bin/no-such-interpreter, does not exist here"), "\(interp)")
        try FileManager.default.createDirectory(atPath: dir + "/adir", withIntermediateDirectories: true)
        let directory = failure(["./adir"])
        #expect(directory.contains("Permission denied (it is a directory)"), "\(directory)")
    }
}
