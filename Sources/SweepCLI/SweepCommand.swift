import ArgumentParser
import CSupport
import Cluster
import Foundation
import Store
import SweepFile
import SweepSupport
import Training

/// The `sweep` command line.
public struct SweepCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Fast, fault-tolerant hyperparameter sweeps on your own machines.",
        discussion: """
            Write a sweep file (see sweeps/ and docs/sweep-format.md), start it with
            `sweep run`, watch it with `sweep status`, query it with `sweep best` / `sweep
            trials` / `sweep show`, and continue an interrupted one with `sweep resume`.

            Exit codes: 0 success, 1 failure (also output that could not be written),
            2 bad usage or bad input, 130 a sweep stopped before it finished (Ctrl-C,
            SIGTERM, SIGHUP), 141 the reader of the output left (`sweep trials ... | head`).
            """,
        // The BLAS kernels in use, for reports of slow training (see `BLASKernels`).
        version: "\(sweepVersion) (\(BLASKernels.configuration.split(separator: " ").prefix(2).joined(separator: " ")), \(BLASKernels.coreName) kernels)",
        subcommands: [
            Train.self, Run.self, Resume.self, CoordinatorCommand.self, WorkerCommand.self, Keygen.self,
            Status.self, Studies.self, Trials.self, Best.self, Show.self, Export.self, ExportSchedule.self, Validate.self,
            ReportCommand.self, DashboardCommand.self, Enqueue.self, Compare.self, Delete.self, Rename.self, Retrain.self, ModelCommand.self, Predict.self,
            LRFind.self, Convert.self, Logs.self,
        ]
    )

    public init() {}

    /// Runs the command line and exits with Sweep's exit codes (0 ok, 1 failure, 2 bad input).
    public static func runMain(_ arguments: [String]? = nil) -> Never {
        // First, before any thread: as a container's process 1, an init forwards signals and
        // reaps orphans while a child runs the command (see pid_one.c).
        sweep_run_as_init_if_pid_one()
        // Before any file is opened: a closed stdout must not be the database's descriptor.
        StandardStream.reserveClosedDescriptors()
        // Before anything else: it may start the process again (an OpenBLAS older than the CPU).
        BLASKernels.restartWithFittingKernelsIfNeeded()
        // Line-buffered stdout, so printed lines and the live display keep their order.
        sweep_line_buffer_stdout()
        sweep_die_on_sent_fault_signals()
        // A closed pipe (`sweep export ... | head`) must not kill a running study: SIGPIPE is
        // ignored, and the command ends quietly with 141 when it is done (below), as one
        // killed by SIGPIPE would; programs started for trials get the default back.
        signal(SIGPIPE, SIG_IGN)
        // A write past the file size limit (`ulimit -f`) fails with EFBIG and is said, with
        // what to do, instead of killing the process without a word (and trial programs get
        // the default back, as for SIGPIPE).
        signal(SIGXFSZ, SIG_IGN)
        raiseDescriptorLimit()
        if arguments == nil, let problem = ArgumentFixes.nonUTF8Argument(ArgumentFixes.rawArguments) ?? ArgumentFixes.nonUTF8Variable()
            ?? ArgumentFixes.unusableCurrentDirectory(CommandLine.arguments.dropFirst()) {
            printError(problem)
            Foundation.exit(2)
        }
        do {
            try checkHelpTopic(arguments ?? Array(CommandLine.arguments.dropFirst()))
            try checkCommandName(arguments ?? Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(DashboardFlags.normalize(ArgumentFixes.trialsFromTheEnd(
                ArgumentFixes.joinDashedValues(ArgumentFixes.joinNegativeNumbers(arguments ?? Array(CommandLine.arguments.dropFirst()))))))
            try command.run()
            // A reader that left (`| head`) took what it wanted: no message, the status of a
            // process killed by SIGPIPE. Output to a full disk is incomplete: an error.
            if StandardStream.readerLeft { Foundation.exit(141) }
            if let failure = StandardStream.failure {
                printError("cannot write the output (\(failure)): what was written is incomplete")
                Foundation.exit(1)
            }
            Foundation.exit(0)
        } catch let error as ConfigError {
            for problem in error.all { printError(problem.line) }
            Foundation.exit(2)
        } catch let error as ConfigErrors {
            printError(error.description)
            Foundation.exit(2)
        } catch let error as UsageError {
            printError(error.message)
            Foundation.exit(2)
        } catch let error as StoreError {
            printError(error.description)
            Foundation.exit(error.isUsage ? 2 : 1)
        } catch let error as StudyLockError {
            printError(error.description)
            Foundation.exit(2)
        } catch let error as StudyNameError {
            printError(error.description)
            Foundation.exit(2)
        } catch let error as SecurityError {
            printError(error.description)
            Foundation.exit(2)
        } catch is StoppedBeforeStart {
            printError("stopped before the study started; nothing was written")
            Foundation.exit(130)
        } catch is StoppedBySignal {
            Foundation.exit(130) // (what was done and kept is said already)
        } catch let error as CommandFailure {
            if !error.message.isEmpty { printError(error.message) }
            Foundation.exit(1)
        } catch let error where DatabaseFailure.describe(error) != nil {
            printError(DatabaseFailure.describe(error)!)
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version (`sweep --help | head`: the reader left, as above)
                print(fullMessage(for: error))
                if StandardStream.readerLeft { Foundation.exit(141) }
                if let failure = StandardStream.failure {
                    printError("cannot write the output (\(failure))")
                    Foundation.exit(1)
                }
                Foundation.exit(0)
            }
            // ArgumentParser's messages start with "Error: "; ours say "error: " already.
            // (An `ExitCode` has none: the command said what it had to.)
            let message = fullMessage(for: error)
            if !message.isEmpty { printError(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message) }
            // ArgumentParser reports bad usage as 64 (EX_USAGE); Sweep's contract is 2.
            Foundation.exit(code.rawValue == 64 ? 2 : (code.rawValue == 0 ? 0 : 1))
        }
    }

    /// `sweep help NAME ...` for a subcommand that does not exist: ArgumentParser prints the
    /// overview and exits 0, which a script (or a typo) takes for help that was found.
    static func checkHelpTopic(_ arguments: [String]) throws {
        guard arguments.first == "help" else { return }
        var command: any ParsableCommand.Type = SweepCommand.self
        var path = "sweep"
        for name in arguments.dropFirst() where !name.hasPrefix("-") && name != "help" {
            guard let sub = command.configuration.subcommands.first(where: { $0._commandName == name || $0.configuration.aliases.contains(name) }) else {
                let known = command.configuration.subcommands.map { $0._commandName }
                throw UsageError("'\(path)' has no subcommand '\(name)'\(known.isEmpty ? "" : "; it has: " + known.joined(separator: ", "))")
            }
            command = sub
            path += " " + name
        }
    }

    /// A first word that names no command: ArgumentParser took it for an argument of the
    /// root and said "Unknown option '--db'" or "2 unexpected arguments" (for `sweep bestt`).
    static func checkCommandName(_ arguments: [String]) throws {
        guard let name = arguments.first, !name.hasPrefix("-"), name != "help" else { return }
        let commands = SweepCommand.configuration.subcommands
        guard !commands.contains(where: { $0._commandName == name || $0.configuration.aliases.contains(name) }) else { return }
        // Where what other tools have as a command of its own is here.
        let elsewhere = ["importance": "parameter importance is in `sweep report STUDY` (its Numbers table and figures)"]
        let meant = closestName(to: name, in: commands.map { $0._commandName } + elsewhere.keys)
        let hint = meant.map { elsewhere[$0].map { "; " + $0 } ?? " (did you mean '\($0)'?)" } ?? ""
        throw UsageError("unknown command '\(name)'\(hint); `sweep --help` lists the commands")
    }

    /// Raises the soft limit on open descriptors to the hard one (at most 65,536), as servers
    /// do: a coordinator with its workers' connections, the dashboard's clients, checkpoints
    /// and logs ran out at the common default of 1,024 (restarts of local workers and
    /// checkpoints failed with "Too many open files"). Programs started for trials inherit it.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, 65_536)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Writes `error: MESSAGE`; control characters a file or value brought into the message
    /// (an escape sequence would recolour or clear the terminal) are shown escaped.
    static func printError(_ message: String) {
        var shown = ""
        for u in message.unicodeScalars {
            if (u.value < 0x20 && u != "\n" && u != "\t") || u.value == 0x7F || (0x80..<0xA0).contains(u.value) {
                shown += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
            } else {
                shown.unicodeScalars.append(u)
            }
        }
        StandardStream.error.write("error: \(shown)\n")
    }
}

/// Bad input that is not a file error (a missing study, a bad option combination): exit 2.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A run that failed after starting: exit 1.
struct CommandFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A sweep stopped by a signal before its study was created: nothing was written (exit 130).
struct StoppedBeforeStart: Error {}

/// A command stopped by Ctrl-C (or SIGTERM) after saying what it kept: exit 130, as a shell
/// reports an interrupted command (`sweep train X && next` does not go on).
struct StoppedBySignal: Error {}

extension StoreError {
    /// Whether the user named something that does not exist (exit 2) rather than a failure.
    var isUsage: Bool {
        switch self {
        case .notFound, .emptyDatabase, .studyExists, .foreign, .hardLinked, .noDirectory: return true
        case .unreadable, .invalid, .locked: return false
        }
    }
}
