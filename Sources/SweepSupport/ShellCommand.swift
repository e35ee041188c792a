/// Commands a message tells the user to run, written so that a copy into a POSIX shell
/// runs them as meant: a database path with a space (`my runs/s.db`) split into two words.
///
/// ```swift
/// ShellCommand.resume("demo", database: "my runs/s.db")  // sweep resume demo --db 'my runs/s.db'
/// ShellCommand.sweep(["trials", "demo", "--state", "FAIL"])
/// ```
public enum ShellCommand {
    /// `word` as a shell reads it back: unchanged when it holds only characters a shell takes
    /// literally, else in single quotes (a quote inside as `'\''`); with control characters
    /// (a line break, an escape) in `$'...'`, which bash and zsh read back byte for byte
    /// (inside single quotes they were shown escaped, and a pasted `\n` stayed two characters).
    public static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }
        if plain { return word }
        guard word.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        var out = "$'"
        for u in word.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where u.properties.generalCategory == .control:
                // Each UTF-8 byte (a C1 control is two), as \xHH.
                for byte in String(u).utf8 { out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) }
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "'"
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
