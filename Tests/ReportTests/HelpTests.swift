import Foundation
import Testing
@testable import SweepCLI

/// `--help` of every command, and shell completions.
@Suite struct HelpTests {
    static let commands = SweepCommand.configuration.subcommands.map { $0.configuration.commandName ?? String(describing: $0).lowercased() }

    @Test func everyCommandsHelpHasAnExample() throws {
        let s = try Scratch("help")
        defer { s.cleanUp() }
        #expect(Self.commands.contains("report") && Self.commands.contains("compare"))
        for name in Self.commands {
            let r = try s.sweep([name, "--help"])
            #expect(r.status == 0, "\(name): \(r.output)")
            #expect(r.output.contains("USAGE: sweep \(name)"), "\(name): \(r.output)")
            #expect(r.output.contains("Example"), "sweep \(name) --help has no example")
            #expect(r.output.contains("sweep \(name) "), "the example does not run sweep \(name)")
        }
    }

    /// `sweep help NAME` finds nested commands and refuses a name that is none (it printed
    /// the overview and exited 0).
    @Test func helpForACommandThatDoesNotExistIsAnError() throws {
        let s = try Scratch("help-topic")
        defer { s.cleanUp() }
        let nested = try s.sweep(["help", "model", "export"])
        #expect(nested.status == 0 && nested.output.contains("USAGE: sweep model export"), "\(nested.output)")
        let missing = try s.sweep(["help", "nosuch"])
        #expect(missing.status == 2 && missing.output.contains("'sweep' has no subcommand 'nosuch'") && missing.output.contains("retrain"), "\(missing.output)")
        let missingNested = try s.sweep(["help", "model", "import"])
        #expect(missingNested.status == 2 && missingNested.output.contains("'sweep model' has no subcommand 'import'; it has: list, export"), "\(missingNested.output)")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsKnowTheNewCommands(shell: String) throws {
        let s = try Scratch("completion-\(shell)")
        defer { s.cleanUp() }
        let r = try s.sweep(["--generate-completion-script", shell])
        #expect(r.status == 0, "\(r.output)")
        for word in ["report", "compare", "status", "db-b", "target"] {
            #expect(r.output.contains(word), "\(shell) completion lacks \(word)")
        }
    }

    /// Bash completes file names where a command takes one: a sweep file for `validate`
    /// (YAML files only), any file for `--db` (nothing was completed: `cmd.y<TAB>` beeped).
    @Test func bashCompletesFileNames() throws {
        let s = try Scratch("completion-files")
        defer { s.cleanUp() }
        for name in ["cmd.yaml", "cmd.txt", "runs.db"] { _ = try s.write(name, "") }
        let script = try s.write("complete.sh", """
            source <("$1" --generate-completion-script bash)
            COMP_WORDS=(sweep validate cmd.); COMP_CWORD=2; COMP_LINE="sweep validate cmd."; COMP_POINT=${#COMP_LINE}
            _sweep sweep cmd. validate; printf 'validate:%s\n' "${COMPREPLY[@]}"
            COMP_WORDS=(sweep status --db r); COMP_CWORD=3; COMP_LINE="sweep status --db r"; COMP_POINT=${#COMP_LINE}
            _sweep sweep r --db; printf 'db:%s\n' "${COMPREPLY[@]}"
            """)
        let r = try s.run("/bin/bash", ["-c", "cd \"$1\" && bash \"$2\" \"$3\"", "bash", s.path("."), script, Scratch.sweep])
        #expect(r.status == 0, "\(r.output)")
        let lines = Set(r.output.split(separator: "\n").map(String.init))
        #expect(lines.contains("validate:cmd.yaml") && !lines.contains("validate:cmd.txt"), "\(r.output)")
        #expect(lines.contains("db:runs.db"), "\(r.output)")
    }
}
