import Foundation
import Training

/// `sweep train --metrics-out`: one JSON line per epoch.
///
/// Opened before training starts, so a path that cannot be written is an error before any
/// work; continuing from a checkpoint keeps the lines of the epochs the checkpoint holds
/// (and drops any written after it), so the file ends with every epoch once.
final class EpochLogFile {
    let path: String
    private let handle: FileHandle

    /// Creates (or, continuing after epoch `kept`, trims) the file at `path`.
    init(path: String, keepingEpochsThrough kept: Int?) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            throw UsageError("--metrics-out: directory \(directory) does not exist")
        }
        var keptLines = Data()
        if let kept, let old = FileManager.default.contents(atPath: path) {
            for line in old.split(separator: UInt8(ascii: "\n")) where Self.epoch(of: Data(line)).map({ $0 <= kept }) ?? false {
                keptLines += line + Data("\n".utf8)
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: keptLines), let handle = FileHandle(forWritingAtPath: path) else {
            throw UsageError("--metrics-out: cannot write \(path)")
        }
        self.handle = handle
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Appends one epoch's line; throws when the write fails (a full disk).
    func append(_ epoch: EpochMetrics) throws {
        try handle.write(contentsOf: try JSONEncoder().encode(epoch) + Data("\n".utf8))
    }

    /// The `epoch` of one line, nil when it is not one of ours.
    private static func epoch(of line: Data) -> Int? {
        (try? JSONSerialization.jsonObject(with: line) as? [String: Any])?["epoch"] as? Int
    }
}
