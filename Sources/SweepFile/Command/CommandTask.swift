import Foundation
import Search

/// A trial that runs the user's own program (W&B-style `program:` / `command:`): the
/// worker starts the command, the program reports its metrics over a channel the worker
/// sets up (docs/commands.md), and its exit ends the trial.
///
/// The command stays a template: the worker expands its macros (``CommandLine``) with the
/// trial's parameters, so that `${args_json_file}` can name a file on the worker.
public struct CommandTask: Codable, Sendable, Hashable {
    /// Which of the objective's reported values becomes the trial's result.
    public enum Summary: String, Codable, Sendable, CaseIterable {
        /// The value of the last report (W&B's default summary).
        case last
        /// The best value reported (by the objective's direction).
        case best
    }

    /// The program (`${program}`), relative to the working directory; nil when `command`
    /// names everything itself.
    public var program: String?
    /// The command line, each element one argument; macros are expanded per trial.
    public var command: [String]
    /// Extra environment variables for the program.
    public var environment: [String: String]
    /// Where the program runs (nil: the worker's directory).
    public var workingDirectory: String?
    /// Seconds after which a trial is stopped and fails (nil: no limit).
    public var timeout: Double?
    /// Seconds a program gets to stop after a prune or a stop request before SIGTERM, and
    /// after SIGTERM before SIGKILL.
    public var killGrace: Double
    public var summary: Summary
    /// The objective's direction (what `summary: best` means).
    public var direction: Direction
    /// Reports (epochs) a trial makes at most; reports beyond are ignored.
    public var epochs: Int
    /// The trial's parameters, in file order: what `${args}` and friends expand to.
    public var arguments: [Argument]
    /// How `${args}` and friends pass nested parameters (nil: `dotted`).
    public var argumentStyle: ArgumentStyle?

    /// How the list macros (`${args}`, ...) pass a nested parameter (`model: {width: ...}`).
    public enum ArgumentStyle: String, Codable, Sendable, CaseIterable {
        /// One argument per parameter, named by its dotted path: `--model.width=8`.
        case dotted
        /// One argument per top-level key, a nested group as one dict: `--model={'width': 8}`,
        /// as W&B's agent passes nested parameters (what W&B sweep files are read with).
        case nested
    }

    /// `argumentStyle`, `dotted` when the task does not say (as tasks sent before it existed).
    public var style: ArgumentStyle { argumentStyle ?? .dotted }

    /// The arguments the list macros and `SWEEP_PARAMS` pass, in `style`.
    public var passedArguments: [Argument] { CommandMacros.passed(arguments, style: style) }

    /// W&B's default command line.
    public static let defaultCommand = ["${env}", "${interpreter}", "${program}", "${args}"]

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case program, command, environment, timeout, summary, epochs, arguments, direction
        case argumentStyle = "argument_style"
        case workingDirectory = "working_directory"
        case killGrace = "kill_grace"
    }

    public init(program: String?, command: [String] = CommandTask.defaultCommand, environment: [String: String] = [:],
                workingDirectory: String? = nil, timeout: Double? = nil, killGrace: Double = 10, summary: Summary = .last, direction: Direction = .minimize, epochs: Int,
                arguments: [Argument] = [], argumentStyle: ArgumentStyle? = nil) {
        self.program = program
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.killGrace = killGrace
        self.summary = summary
        self.direction = direction
        self.epochs = epochs
        self.arguments = arguments
        self.argumentStyle = argumentStyle
    }
}
