import Foundation
import SweepSupport
import Training

/// `sweep train --metrics-out`: one JSON line per epoch.
///
/// Opened before training starts, so a path that cannot be written is an error before any
/// work; continuing from a checkpoint keeps the lines of the epochs the checkpoint holds
/// (and drops any written after it), so the file ends with every epoch once.
final class EpochLogFile {
    let path: String
    private let fd: Int32
    /// A regular file this run created: removed again when not one line could be written.
    private let created: Bool
    private var written = 0

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
        let existed = FileManager.default.fileExists(atPath: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw UsageError("--metrics-out: cannot write \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        var status = stat()
        created = !existed && fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        if let failure = write(keptLines) {
            throw CommandFailure("--metrics-out: cannot write \(path): \(failure)")
        }
    }

    deinit { close(fd) }

    /// Appends one epoch's line; nil, or the system's reason it could not (a full disk).
    /// A first line that cannot be written leaves no empty file behind.
    func append(_ epoch: EpochMetrics) throws -> String? {
        write(try JSONEncoder().encode(epoch) + Data("\n".utf8))
    }

    private func write(_ bytes: Data) -> String? {
        if bytes.isEmpty || DescriptorWriting.writeAll(fd, ArraySlice(bytes)) {
            written += bytes.count
            return nil
        }
        let reason = String(cString: strerror(errno))
        if created && written == 0 { unlink(path) }
        return reason
    }

    /// The `epoch` of one line, nil when it is not one of ours.
    private static func epoch(of line: Data) -> Int? {
        (try? JSONSerialization.jsonObject(with: line) as? [String: Any])?["epoch"] as? Int
    }
}
