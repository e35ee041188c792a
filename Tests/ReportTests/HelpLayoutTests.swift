import ArgumentParser
import Testing
@testable import SweepCLI

/// `--help` at 80 columns: the discussion text (with its example commands) is laid out by
/// hand, so the help generator must never have to re-wrap it.
@Suite struct HelpLayoutTests {
    /// Every command, nested ones (`model list`) included.
    static func allCommands(_ root: ParsableCommand.Type = SweepCommand.self) -> [ParsableCommand.Type] {
        [root] + root.configuration.subcommands.flatMap { allCommands($0) }
    }

    @Test func discussionsAndExamplesAreNotRewrappedAt80Columns() {
        let commands = Self.allCommands()
        #expect(commands.count > 20)
        for command in commands {
            let name = command.configuration.commandName ?? "\(command)"
            let help = SweepCommand.helpMessage(for: command, columns: 80)
            let lines = Set(help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            for line in command.configuration.discussion.split(separator: "\n") where !line.isEmpty {
                #expect(lines.contains(String(line)), "sweep \(name) --help re-wraps this line at 80 columns: \(line)")
            }
            // (The USAGE line is the help generator's own and is never wrapped.)
            for line in lines where !line.hasPrefix("USAGE:") { #expect(line.count <= 80, "sweep \(name) --help: \(line)") }
        }
    }
}
