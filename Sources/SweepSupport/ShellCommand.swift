/// Commands a message tells the user to run, written so that a copy into a POSIX shell
/// runs them as meant: a database path with a space (`my runs/s.db`) split into two words.
///
/// ```swift
/// ShellCommand.resume("demo", database: "my runs/s.db")  // sweep resume demo --db 'my runs/s.db'
/// ShellCommand.sweep(["trials", "demo", "--state", "FAIL"])
/// ```
public enum ShellCommand {
    /// `word` as a shell reads it back: unchanged when it holds only characters a shell takes
    /// literally, else in single quotes (a quote inside as `'\''`).
    public static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `sweep` and `words`, each quoted as needed.
    public static func sweep(_ words: [String]) -> String {
        (["sweep"] + words.map(quoted)).joined(separator: " ")
    }

    /// `sweep resume STUDY [--db PATH]`, then `extra` words (`--add-trials N`).
    public static func resume(_ study: String, database: String?, _ extra: String...) -> String {
        sweep(["resume", study] + (database.map { ["--db", $0] } ?? []) + extra)
    }
}
