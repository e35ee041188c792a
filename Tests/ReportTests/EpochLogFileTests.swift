import Foundation
import Testing
import Training
@testable import SweepCLI

/// `sweep train --metrics-out FILE.csv` continuing after a checkpoint keeps the epochs it
/// holds, whatever wrote the file: its own CSV (with CRLF lines too) or the JSON lines an
/// older Sweep wrote to any path (they were dropped, and the file began at the next epoch).
@Suite(.serialized) struct EpochLogFileTests {
    static func epoch(_ n: Int) -> EpochMetrics {
        EpochMetrics(epoch: n, metrics: ["loss": 1 / Double(n), "val_loss": 2 / Double(n)], seconds: 0.5, trainingSeconds: 0.25)
    }

    static func scratch(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-epochlog-\(UUID().uuidString)-\(name)").path
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    /// Epochs 1 to 3 written to `path` in `text`, then a continuation after epoch 2 that
    /// adds epoch 3 again: the file's rows.
    static func continued(_ path: String, from text: String) throws -> [String] {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let file = try EpochLogFile(path: path, keepingEpochsThrough: 2)
        #expect(try file.append(epoch(3)) == nil)
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aCSVFileKeepsItsHeaderAndTheEpochsOfTheCheckpoint() throws {
        let path = Self.scratch("m.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try EpochLogFile(path: path, keepingEpochsThrough: nil)
        for n in 1...3 { #expect(try first.append(Self.epoch(n)) == nil) }
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.hasPrefix("epoch,loss,val_loss,seconds,training_seconds\n1,1.0,2.0,0.5,0.25\n2,0.5,1.0,0.5,0.25\n"), "\(written)")
        let rows = try Self.continued(path, from: written)
        #expect(rows.count == 4 && rows[0].hasPrefix("epoch,") && rows.dropFirst().map { $0.prefix(2) } == ["1,", "2,", "3,"], "\(rows)")
        // The same file with CRLF line ends (edited on Windows).
        let crlf = try Self.continued(path, from: written.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(crlf.count == 4 && crlf[0] == "epoch,loss,val_loss,seconds,training_seconds" && crlf.filter { $0.hasPrefix("epoch,") }.count == 1, "\(crlf)")
    }

    @Test func jsonLinesAtACSVPathBecomeRows() throws {
        let path = Self.scratch("old.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let json = try (1...3).map { String(decoding: try JSONEncoder().encode(Self.epoch($0)), as: UTF8.self) }.joined(separator: "\n") + "\n"
        let rows = try Self.continued(path, from: json)
        #expect(rows == ["epoch,loss,val_loss,seconds,training_seconds", "1,1.0,2.0,0.5,0.25", "2,0.5,1.0,0.5,0.25", "3,0.3333333333333333,0.6666666666666666,0.5,0.25"], "\(rows)")
    }

    @Test func aFileOfOtherLinesIsWrittenAnew() throws {
        let path = Self.scratch("other.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let rows = try Self.continued(path, from: "a,b\n1,2\n2,3\n")
        #expect(rows == ["epoch,loss,val_loss,seconds,training_seconds", "3,0.3333333333333333,0.6666666666666666,0.5,0.25"], "\(rows)")
    }
}
