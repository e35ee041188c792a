import Foundation
import SweepSupport
import Training

/// `sweep train --metrics-out`: one JSON line per epoch, or a CSV table (a header, then a
/// row per epoch) when the path ends in `.csv`.
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
    private let format: Format
    /// CSV: the metric columns, from the header (written with the first epoch, or kept).
    private var csvMetrics: [String]?

    /// How the epochs are written, from the file's extension.
    enum Format {
        case jsonLines
        case csv

        init(path: String) {
            self = (path as NSString).pathExtension.lowercased() == "csv" ? .csv : .jsonLines
        }
    }

    /// Creates (or, continuing after epoch `kept`, trims) the file at `path`.
    init(path: String, keepingEpochsThrough kept: Int?) throws {
        self.path = path
        format = Format(path: path)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            throw UsageError("--metrics-out: directory \(directory) does not exist")
        }
        var keptLines = Data()
        if let kept, let old = FileManager.default.contents(atPath: path) {
            let lines = old.split(separator: UInt8(ascii: "\n")).map { line in
                line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            }
            switch format {
            case .jsonLines:
                for line in lines where Self.epoch(of: Data(line)).map({ $0 <= kept }) ?? false {
                    keptLines += line + Data("\n".utf8)
                }
            case .csv:
                if let header = lines.first.flatMap({ Self.csvHeader(String(decoding: $0, as: UTF8.self)) }) {
                    let rows = lines.dropFirst().filter { Int(String(decoding: $0.prefix { $0 != UInt8(ascii: ",") }, as: UTF8.self)).map { $0 <= kept } ?? false }
                    if !rows.isEmpty {
                        csvMetrics = header
                        keptLines = Data(Self.csvHeaderLine(header).utf8) + rows.reduce(Data()) { $0 + $1 + Data("\n".utf8) }
                    }
                } else {
                    // JSON lines, as Sweep wrote to any path before it wrote CSV: kept as rows.
                    let epochs = lines.compactMap { try? JSONDecoder().decode(EpochMetrics.self, from: Data($0)) }.filter { $0.epoch <= kept }
                    if let first = epochs.first {
                        let header = first.metrics.keys.sorted()
                        csvMetrics = header
                        keptLines = Data((Self.csvHeaderLine(header) + epochs.map { Self.csvRow($0, metrics: header) }.joined()).utf8)
                    }
                }
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
        switch format {
        case .jsonLines:
            return write(try JSONEncoder().encode(epoch) + Data("\n".utf8))
        case .csv:
            var text = ""
            let columns = csvMetrics ?? epoch.metrics.keys.sorted()
            if csvMetrics == nil {
                csvMetrics = columns
                text = Self.csvHeaderLine(columns)
            }
            return write(Data((text + Self.csvRow(epoch, metrics: columns)).utf8))
        }
    }

    /// One epoch as a CSV row of `metrics`' columns; a metric the epoch lacks is an empty
    /// cell (validation only every few epochs).
    private static func csvRow(_ epoch: EpochMetrics, metrics: [String]) -> String {
        let cells = [String(epoch.epoch)] + metrics.map { epoch.metrics[$0].map { "\($0)" } ?? "" }
            + ["\(epoch.seconds)", "\(epoch.trainingSeconds)"]
        return cells.joined(separator: ",") + "\n"
    }

    /// `epoch,<metrics>,seconds,training_seconds` (metric names are plain words: no quoting).
    private static func csvHeaderLine(_ metrics: [String]) -> String {
        (["epoch"] + metrics + ["seconds", "training_seconds"]).joined(separator: ",") + "\n"
    }

    /// The metric columns of a header line this type wrote, nil for any other line.
    private static func csvHeader(_ line: String) -> [String]? {
        let columns = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard columns.count >= 3, columns.first == "epoch", columns.suffix(2) == ["seconds", "training_seconds"] else { return nil }
        return Array(columns.dropFirst().dropLast(2))
    }

    /// Removes the file when this run created it and wrote nothing to it (training diverged
    /// in its first epoch: an empty CSV without even a header was left behind); whether it did.
    func removeIfNothingWritten() -> Bool {
        guard created && written == 0 else { return false }
        return unlink(path) == 0
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
