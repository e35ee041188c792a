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
        // A plain open: `createFile` writes a new file and renames it over the path, which
        // replaced a link, a pipe or a device (as root, /dev/full itself) with a regular file.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw UsageError("--metrics-out: cannot write \(path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.handle = handle
        do {
            try handle.write(contentsOf: keptLines)
        } catch {
            throw CommandFailure("--metrics-out: cannot write \(path): \(error.localizedDescription)")
        }
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
