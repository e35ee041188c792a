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
}
