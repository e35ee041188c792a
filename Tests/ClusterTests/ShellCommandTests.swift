import Foundation
import SweepSupport
import Testing

/// Commands in messages read back by a shell as meant: a database path with a space was
/// split into two words when the hint was pasted.
struct ShellCommandTests {
    @Test func wordsAreQuotedOnlyWhenAShellWouldChangeThem() {
        #expect(ShellCommand.resume("demo", database: "runs/s.db") == "sweep resume demo --db runs/s.db")
        #expect(ShellCommand.resume("demo", database: "my runs/s.db", "--add-trials", "N") == "sweep resume demo --db 'my runs/s.db' --add-trials N")
        #expect(ShellCommand.resume("demo", database: nil) == "sweep resume demo")
        #expect(ShellCommand.quoted("it's") == #"'it'\''s'"# && ShellCommand.quoted("") == "''" && ShellCommand.quoted("$HOME") == "'$HOME'")
        #expect(ShellCommand.quoted("café") == "'café'", "non-ASCII letters are quoted (a shell's locale may split them)")
    }

    /// What /bin/sh reads back is the words given.
    @Test func aShellReadsTheWordsBack() throws {
        let words = ["trials", "s", "--db", "a b/it's $x;`y`.db"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "printf '%s\\n' " + words.map(ShellCommand.quoted).joined(separator: " ")]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text == words.map { $0 + "\n" }.joined(), "\(text)")
    }

    /// Control characters in `$'...'`, which bash reads back byte for byte (in single quotes
    /// they had been shown escaped, and a pasted `\n` stayed two characters).
    @Test func controlCharactersComeBackAsTheyWere() throws {
        let words = ["line\nbreak", "tab\there", "esc\u{1B}[31mred", "bell\u{07}", "it's \\ \u{85}c1", "cr\r"]
        #expect(ShellCommand.quoted("line\nbreak") == #"$'line\nbreak'"#)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "printf '%s\\0' " + words.map(ShellCommand.quoted).joined(separator: " ")]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let back = data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        #expect(back == words, "\(back)")
    }
}
