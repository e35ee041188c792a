import Foundation
import Testing
@testable import Cluster

/// Key files edited on Windows (CRLF line ends) read as the same lines: the whole file was
/// one line ("expected 'NAME = KEY' ..."), since Swift's "\r\n" is one character.
struct KeyFileLinesTests {
    @Test func crlfKeyFilesHaveTheirLines() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-keylines-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "# workers\r\nalpha = A\r\n\r\nbeta = B\rgamma = C\n".write(toFile: file, atomically: true, encoding: .utf8)
        let lines = try KeyDirectory.lines(file)
        #expect(lines.map(\.0) == [2, 4, 5] && lines.map(\.1) == ["alpha = A", "beta = B", "gamma = C"], "\(lines)")
    }
}

/// A worker key name that is not in the directory names those that are (`sweep keygen
/// --workers 4` makes worker-1 ... worker-4; the default name `worker` was said to be "no
/// such file" alone).
struct WorkerKeyNameTests {
    @Test func aMissingWorkerKeyNamesThePresentOnes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-keyname-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let keys = try KeyDirectory.generate(at: path, workerNames: ["worker-1", "worker-2"])
        #expect(throws: Never.self) { _ = try keys.workerKeys(name: "worker-2") }
        do {
            _ = try keys.workerKeys(name: "worker")
            Issue.record("a missing key was read")
        } catch {
            #expect("\(error)".contains("workers/worker.key: no such file; this directory has the worker key(s) worker-1, worker-2: choose one with --key-name"), "\(error)")
        }
    }
}
