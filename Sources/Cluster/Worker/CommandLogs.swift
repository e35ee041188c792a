import Foundation

/// One attempt's stdout and stderr on the worker (`DIR/STUDY/trial-N.attempt-M.out|err`),
/// each bounded: past `maxBytes` the rest is dropped and counted. The last characters of
/// stderr are also kept in memory for the failure message.
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
    private var tail: [UInt8] = []

    init(directory: String, study: String, trial: Int, attempt: Int, maxBytes: Int) {
        let dir = URL(fileURLWithPath: directory).appendingPathComponent(study)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let base = dir.appendingPathComponent("trial-\(trial).attempt-\(attempt)").path
        (outPath, errPath, argsFile) = (base + ".out", base + ".err", base + ".params.json")
        self.maxBytes = maxBytes
        for path in [outPath, errPath] { FileManager.default.createFile(atPath: path, contents: nil) }
        out = FileHandle(forWritingAtPath: outPath)
        err = FileHandle(forWritingAtPath: errPath)
    }

    func writeArgs(_ json: String) {
        FileManager.default.createFile(atPath: argsFile, contents: Data((json + "\n").utf8))
    }

    func append(_ bytes: [UInt8], stderr: Bool) {
        let i = stderr ? 1 : 0
        if stderr {
            tail += bytes
            if tail.count > 2 * CommandTrial.stderrTailCharacters { tail.removeFirst(tail.count - CommandTrial.stderrTailCharacters) }
        }
        let room = max(0, maxBytes - written[i])
        let kept = bytes.prefix(room)
        if !kept.isEmpty { (stderr ? err : out)?.write(Data(kept)) }
        written[i] += kept.count
        dropped[i] += bytes.count - kept.count
    }

    /// Closes the files, noting what was dropped.
    func finish(note: String?) {
        for (i, handle) in [out, err].enumerated() where dropped[i] > 0 {
            handle?.write(Data("\n[sweep] \(dropped[i]) more byte(s) dropped (the log keeps \(maxBytes))\n".utf8))
        }
        if let note { err?.write(Data(note.utf8)) }
        try? out?.close()
        try? err?.close()
        out = nil
        err = nil
    }

    /// The end of stderr, as appended to a failure message ("" when it was empty).
    func stderrTail() -> String {
        let text = String(decoding: tail.suffix(CommandTrial.stderrTailCharacters), as: UTF8.self)
        return text.isEmpty ? "" : "\n--- stderr (last \(text.count) characters) ---\n" + text
    }
}
