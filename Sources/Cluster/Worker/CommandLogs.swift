import Foundation
import SweepSupport

/// One attempt's stdout and stderr on the worker (`DIR/STUDY/trial-N.attempt-M.out|err`),
/// each bounded: past `maxBytes` the middle is dropped and counted, the first and the last
/// `maxBytes / 2` kept (the end, where a program says why it failed, was what got dropped). The last characters of
/// stderr (for the failure message) and of both streams as they came (the tail sent to the
/// coordinator with every attempt) are also kept in memory.
final class CommandLogs {
    let outPath: String
    let errPath: String
    /// `${args_json_file}`: the parameters as JSON.
    let argsFile: String
    private let maxBytes: Int
    private var out: FileHandle?
    private var err: FileHandle?
    private var written = [0, 0]
    private var dropped = [0, 0]
    /// The last bytes of each stream past the first half of `maxBytes` (at most the other
    /// half), written after the count of those dropped when the attempt ends.
    private var ends: [[UInt8]] = [[], []]
    /// Whether the last byte written to each file ended a line (a note starts on its own).
    private var atLineStart = [true, true]
    private var tail: [UInt8] = []
    private var combined: [UInt8] = []

    /// What keeps all attempts' logs under a size, told when this one's are complete.
    private let retention: CommandLogRetention?

    init(directory: String, study: String, trial: Int, attempt: Int, maxBytes: Int, retention: CommandLogRetention? = nil) {
        self.retention = retention
        let dir = URL(fileURLWithPath: directory).appendingPathComponent(study)
        // (Its failure is what to tell: the files' "No such file or directory" after a folder
        // that could not be made hid a full disk or exhausted inodes.)
        let folderProblem = Directories.make(dir.path)
        let base = dir.appendingPathComponent("trial-\(trial).attempt-\(attempt)").path
        (outPath, errPath, argsFile) = (base + ".out", base + ".err", base + ".params.json")
        self.maxBytes = maxBytes
        (out, err) = (Self.create(outPath), Self.create(errPath))
        if out == nil || err == nil { openFailure = folderProblem ?? SystemErrorText.of(errno: errno, at: outPath) }
    }

    /// A new empty log at `path` (a plain open: Foundation's `createFile` writes a temporary
    /// file and renames it, which replaced a link the path is). A link is followed only when
    /// this user made it: the default log folder is a predictable path in a shared /tmp, and
    /// another user's link there would have the worker empty and write a file of its user's.
    private static func create(_ path: String) -> FileHandle? {
        var info = stat()
        let foreignLink = lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK && info.st_uid != getuid()
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (foreignLink ? O_NOFOLLOW : 0), 0o644)
        return fd >= 0 ? FileHandle(fileDescriptor: fd, closeOnDealloc: true) : nil
    }

    /// Whether the log files could be made (a directory the worker cannot write keeps none).
    var isWritable: Bool { out != nil && err != nil }
    /// Why writing a log stopped part way (a full disk), once; the tails in memory go on.
    private(set) var writeFailure: String?

    /// Writes to a log, or stops writing it on the first error: `FileHandle.write(_:)`
    /// traps on one (a full log directory crashed every worker at its program's first line).
    private func write(_ bytes: some DataProtocol, to i: Int) {
        guard let handle = i == 0 ? out : err else { return }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            if writeFailure == nil { writeFailure = "cannot write \(i == 0 ? outPath : errPath): \(SystemErrorText.of(error, at: i == 0 ? outPath : errPath))" }
            try? handle.close()
            if i == 0 { out = nil } else { err = nil }
        }
    }


    /// Writes `${args_json_file}`; nil, or why it could not (a full disk).
    func writeArgs(_ json: String) -> String? {
        guard let handle = Self.create(argsFile) else { return "cannot write \(argsFile): \(String(cString: strerror(errno)))" }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data((json + "\n").utf8))
            return nil
        } catch {
            return "cannot write \(argsFile): \(SystemErrorText.of(error, at: argsFile))"
        }
    }

    /// Why the log files could not be made (nil when they were).
    private(set) var openFailure: String?

    func append(_ bytes: [UInt8], stderr: Bool) {
        let i = stderr ? 1 : 0
        if stderr { Self.keepTail(&tail, bytes) }
        Self.keepTail(&combined, bytes)
        let head = maxBytes - maxBytes / 2
        let room = max(0, head - written[i])
        let kept = bytes.prefix(room)
        if let last = kept.last {
            write(kept, to: i)
            atLineStart[i] = last == UInt8(ascii: "\n")
        }
        written[i] += kept.count
        // Past the head: the last `maxBytes / 2` bytes are kept for the end (amortized trim).
        let rest = bytes.dropFirst(kept.count)
        guard !rest.isEmpty else { return }
        let endBytes = maxBytes / 2
        ends[i] += rest.suffix(endBytes)
        dropped[i] += rest.count - min(rest.count, endBytes)
        if ends[i].count > 2 * endBytes || (ends[i].count > endBytes && rest.count >= endBytes) {
            dropped[i] += ends[i].count - endBytes
            ends[i].removeFirst(ends[i].count - endBytes)
        }
    }

    /// Closes the files, noting what was dropped.
    func finish(note: String?) {
        for i in 0..<2 where !ends[i].isEmpty || dropped[i] > 0 {
            let end = maxBytes / 2
            if ends[i].count > end {
                dropped[i] += ends[i].count - end
                ends[i].removeFirst(ends[i].count - end)
            }
            if dropped[i] > 0 {
                write(Data("\n[sweep] \(dropped[i]) byte(s) dropped here (the log keeps the first and the last \(end) bytes)\n".utf8), to: i)
            }
            if let last = ends[i].last {
                write(ends[i], to: i)
                atLineStart[i] = last == UInt8(ascii: "\n")
            }
            ends[i] = []
        }
        if let note { write(Data(((atLineStart[1] ? "" : "\n") + note).utf8), to: 1) }
        try? out?.close()
        try? err?.close()
        out = nil
        err = nil
        retention?.attemptEnded([outPath, errPath, argsFile])
    }

    /// Appends to a tail buffer that is trimmed (amortized) to the last characters kept.
    /// Lines a progress bar rewrote with `\r` (tqdm, Keras) keep their last frame, as a
    /// terminal shows them: the frames filled the tail (one 4,000-character line of
    /// `216/300\r217/300...`) and crowded out the traceback.
    private static func keepTail(_ buffer: inout [UInt8], _ bytes: [UInt8]) {
        buffer += bytes.suffix(2 * CommandTrial.stderrTailCharacters)
        if bytes.contains(carriageReturn) || buffer.count > 2 * CommandTrial.stderrTailCharacters {
            buffer = OverwrittenLines.collapsed(buffer, final: false)
        }
        if buffer.count > 2 * CommandTrial.stderrTailCharacters { buffer.removeFirst(buffer.count - CommandTrial.stderrTailCharacters) }
    }

    private static let carriageReturn = UInt8(ascii: "\r")

    /// The last characters of stdout and stderr as they came, nil when both were empty.
    func outputTail() -> String? {
        combined.isEmpty ? nil : String(decoding: Self.lastCharacters(OverwrittenLines.collapsed(combined, final: true)), as: UTF8.self)
    }

    /// The last `stderrTailCharacters` bytes, not starting inside a UTF-8 sequence.
    private static func lastCharacters(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var s = bytes.suffix(CommandTrial.stderrTailCharacters)
        while let b = s.first, b & 0xC0 == 0x80 { s = s.dropFirst() }
        return s
    }

    /// The end of stderr, as appended to a failure message ("" when it was empty).
    /// A hint comes first when the stderr shows a Python program that cannot meet Sweep
    /// (``ProgramFailureHint``).
    func stderrTail() -> String {
        let text = String(decoding: Self.lastCharacters(OverwrittenLines.collapsed(tail, final: true)), as: UTF8.self)
        guard !text.isEmpty else { return "" }
        return (ProgramFailureHint.hint(stderr: text).map { "; " + $0 } ?? "") + "\n--- stderr (last \(text.count) characters) ---\n" + text
    }
}

/// Output with each line rewritten by carriage returns (a progress bar's frames) cut to
/// the frame a terminal shows last.
enum OverwrittenLines {
    /// `bytes` with every `\n`-ended line cut to its last non-empty `\r` segment (`a\r\n`
    /// stays `a\r\n`). The line still being written keeps its last frame with the `\r` before it
    /// (and, when it ends in `\r`, the frame before that), unless `final`: then it too is cut.
    static func collapsed(_ bytes: [UInt8], final: Bool) -> [UInt8] {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        guard bytes.contains(cr) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var lineStart = 0
        // (A line's own `\r` before its `\n`, Windows' line end, is kept.)
        func lastFrame(_ line: ArraySlice<UInt8>) -> [UInt8] {
            Array(line.split(separator: cr, omittingEmptySubsequences: true).last ?? []) + (line.last == cr ? [cr] : [])
        }
        for (i, b) in bytes.enumerated() where b == lf {
            out += lastFrame(bytes[lineStart..<i])
            out.append(lf)
            lineStart = i + 1
        }
        let open = bytes[lineStart...]
        if final || !open.contains(cr) {
            out += final ? lastFrame(open) : Array(open)
        } else {
            // Kept from the `\r` before its last frame: more of the line may follow.
            let body = open.last == cr ? open.dropLast() : open
            let from = body.lastIndex(of: cr) ?? body.startIndex
            out += open[from...]
        }
        return out
    }
}
