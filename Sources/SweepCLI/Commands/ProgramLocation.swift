import Foundation
import SweepFile
import SweepSupport

/// Where a command sweep's `program` will be looked for, and a note when it is not there.
///
/// Without `working_directory`, a worker runs the program from its own directory: a local
/// worker of `sweep run` from the directory `sweep run` was started in. A relative `program`
/// that is not there fails every trial with "can't open file"; the note says so before the
/// run instead (remote workers may have it, so it is no error).
enum ProgramLocation {
    /// A `program` not where local workers run it: this directory, or the file's
    /// `working_directory` (relative to the sweep file at `file`), nil when it is there.
    static func missing(in definition: SweepDefinition, file: String? = nil) -> (program: String, here: String)? {
        guard let here = localDirectory(of: definition, file: file) else { return nil }
        // A command that starts with a relative path (`./train.sh`, `bin/train`) runs that file
        // from there, whatever `program` says (not judged without a '/': PATH finds it).
        if let first = commandWords(definition).first, first.contains("/"), !first.hasPrefix("/"), !first.contains("$"),
           !FileManager.default.fileExists(atPath: here + "/" + first) {
            return (first, here)
        }
        guard case .string(let program)? = definition.template["program"]?.value else { return missingScript(in: definition, here: here) }
        // A command that does not run ${program} does not look for it; one that starts with
        // it runs a bare name from PATH.
        if definition.template["command"]?.elements != nil {
            let words = commandWords(definition)
            guard words.contains(where: { $0.contains("${program}") }) else { return nil }
            if words.first == "${program}", !program.contains("/"), inPath(program) { return nil }
        }
        // An absolute path is looked for as it is (local workers run it on this machine).
        if program.hasPrefix("/") {
            guard !program.contains("$"), !FileManager.default.fileExists(atPath: program) else { return nil }
            return (program, here)
        }
        guard !FileManager.default.fileExists(atPath: here + "/" + program) else { return nil }
        return (program, here)
    }

    /// A `program` in another language that the command (or the default one) hands to
    /// `${interpreter}`, which is Python as in W&B (a shell script failed every trial with
    /// Python's "SyntaxError"), and the runner to name instead.
    private static func scriptThroughPython(in definition: SweepDefinition, file: String) -> (program: String, runner: String)? {
        guard case .string(let program)? = definition.template["program"]?.value,
              let runner = otherRunners.first(where: { program.hasSuffix($0.key) })?.value ?? shebangRunner(of: program, in: definition, file: file) else { return nil }
        let words = definition.template["command"] == nil ? CommandTask.defaultCommand : commandWords(definition)
        guard let i = words.firstIndex(of: "${interpreter}"), words.index(after: i) < words.endIndex, words[words.index(after: i)] == "${program}" else { return nil }
        return (program, runner)
    }

    /// For a program without a known extension: the interpreter its `#!` line names, when
    /// that is not Python (`#!/bin/sh` gives `sh`, `#!/usr/bin/env Rscript` gives `Rscript`).
    private static func shebangRunner(of program: String, in definition: SweepDefinition, file: String) -> String? {
        guard !program.contains("$"), !program.hasSuffix(".py"), let here = localDirectory(of: definition, file: file) else { return nil }
        guard let runner = Shebang(file: program.hasPrefix("/") ? program : here + "/" + program)?.runner, !runner.hasPrefix("python") else { return nil }
        return runner
    }

    /// Script files of other languages, and what runs them.
    private static let otherRunners = [".sh": "bash", ".bash": "bash", ".R": "Rscript", ".jl": "julia", ".rb": "ruby", ".pl": "perl", ".js": "node"]

    /// Where local workers run the program: this directory, or the file's `working_directory`
    /// (relative to the sweep file at `file`); nil when that cannot be judged (a directory
    /// named by a variable, or relative to an unknown file).
    static func localDirectory(of definition: SweepDefinition, file: String?) -> String? {
        guard case .string(let directory)? = definition.template["working_directory"]?.value else { return FileManager.default.currentDirectoryPath }
        guard !directory.contains("$"), directory.hasPrefix("/") || file != nil else { return nil }
        return directory.hasPrefix("/") ? directory
            : URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: file!).deletingLastPathComponent()).standardizedFileURL.path
    }

    /// The command's words as a worker gets them, `${env}` left out (it runs what follows);
    /// none when the command cannot be read (its problems are the file's errors).
    private static func commandWords(_ definition: SweepDefinition) -> [String] {
        guard let node = definition.template["command"], let words = try? CommandTask.commandWords(node) else { return [] }
        return words.filter { $0 != "${env}" }
    }

    /// Without `program`: a relative script the command names (`[sh, train.sh, ...]`,
    /// `[python3, src/train.py]`) that is not in this directory.
    private static func missingScript(in definition: SweepDefinition, here: String) -> (program: String, here: String)? {
        guard let command = definition.template["command"]?.elements else { return nil }
        for node in command.dropFirst() {
            // Script files only: `google/flan-t5-base` or `s3://bucket/x` are no local paths.
            guard case .string(let word) = node.value, !word.contains("$"), !word.hasPrefix("-"),
                  !word.contains("://"), !word.contains("="), scriptExtensions.contains(where: { word.hasSuffix($0) }) else { continue }
            if !FileManager.default.fileExists(atPath: word.hasPrefix("/") ? word : here + "/" + word) { return (word, here) }
        }
        return nil
    }

    /// Whether a missing `program` fails every trial of a local worker: a script file, or a
    /// path the command runs itself (whatever its name).
    static func isScript(_ program: String, in definition: SweepDefinition) -> Bool {
        scriptExtensions.contains { program.hasSuffix($0) } || commandWords(definition).first == program
    }

    /// Script files: a missing one fails every trial of a local worker (a bare name may be a
    /// module, `python -m pkg.train`, or found by a runner).
    static let scriptExtensions = [".py", ".sh", ".R", ".jl", ".rb", ".pl", ".js"]

    /// What `sweep run` (with local workers) and `sweep validate` say about a missing program,
    /// and whether `run` refuses it: a script file, which every local trial would fail to open
    /// (a run from another directory failed 6 trials and kept them FAIL, while `resume`
    /// refused); another name only gets a note. Nil when it is there.
    static func problem(for definition: SweepDefinition, file: String) -> (message: String, refusesRun: Bool)? {
        /// `FILE:LINE:COLUMN: ` of the key the message is about, as the file's errors start.
        func at(_ key: String) -> String {
            definition.template[key]?.mark.map { "\(file):\($0): " } ?? ""
        }
        // A working_directory that is not there: every trial of a local worker fails to start
        // (it was "program is not in DIR", as if the directory were).
        if definition.template["working_directory"] != nil, let here = localDirectory(of: definition, file: file) {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: here, isDirectory: &isDirectory) || !isDirectory.boolValue {
                return (at("working_directory") + "working_directory \(here) does not exist (a relative one is relative to the sweep file)", true)
            }
        }
        if let program = bareNameOutsidePath(in: definition) {
            return (at("program") + "command starts with ${program} = '\(program)', a name without a '/', which is looked up in PATH, where it is not (a file of that name in the working directory is not run): write program: ./\(program), or put an interpreter first (command: [\"${env}\", \"${interpreter}\", \"${program}\", \"${args}\"])", true)
        }
        if let runner = missingRunner(in: definition) {
            let instead = runner == "python" ? " (${interpreter} runs python3 where python is missing)" : ""
            let given = definition.template["command"] != nil
            return (at(given ? "command" : "program") + "\(given ? "command" : "the default command ([${env}, ${interpreter}, ${program}, ${args}])") runs '\(runner)', which is not \(runner.contains("/") ? "an executable file here" : "in PATH here"): every trial of a local worker would fail to start; install it, name one that is\(instead), or pass --workers 0 and start workers where it is", true)
        }
        // A missing program is said as such before what would run it (a missing `x.sh` was
        // said to be "not a Python file").
        if let (program, here) = missing(in: definition, file: file) {
            let isScript = isScript(program, in: definition)
            let remote = isScript ? "; or pass --workers 0 and start workers where the program is" : ""
            let key = definition.template["program"].map { if case .string(program) = $0.value { "program" } else { "command" } } ?? "command"
            if program.hasPrefix("/") {
                return (at(key) + "program '\(program)' does not exist on this machine, where local workers run it\(remote)", isScript)
            }
            guard definition.template["working_directory"] == nil else {
                return (at(key) + "program '\(program)' is not in \(here), the working_directory local workers run it in\(remote)", isScript)
            }
            let beside = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(program).path
            let hint = FileManager.default.fileExists(atPath: beside)
                ? "; it is beside \(file): add `working_directory: .` to run it there (a path in the file is relative to the file)"
                : ""
            return (at(key) + "program '\(program)' is not in \(here), where local workers run it (no working_directory)\(hint)\(remote)", isScript)
        }
        if let (program, runner) = scriptThroughPython(in: definition, file: file) {
            return (at("program") + "program '\(program)' is not a Python file, but the command runs it through ${interpreter} (Python\(definition.template["command"] == nil ? ": the default command, ${env} ${interpreter} ${program} ${args}" : "")): every trial would fail; write command: [\(runner), \"${program}\", \"${args}\"]", true)
        }
        return nil
    }

    /// Why `sweep resume` with local workers must not start here: every remaining trial
    /// would fail at once and use up the budget (a resume from another directory FAILed 37
    /// trials in half a second and reported the study finished).
    static func resumeProblem(for definition: SweepDefinition, study: String, sweepPath: String?) -> String? {
        // (Only without working_directory: local workers run from this directory then.)
        guard let (program, here) = missing(in: definition) else { return nil }
        if program.hasPrefix("/") {
            // As `sweep run` judges it: a script file or the command's own first word is
            // refused (every trial would fail to start), another name is not judged.
            guard isScript(program, in: definition) else { return nil }
            return "program '\(program)' of study '\(study)' does not exist on this machine, where the local workers would run it: restore it, or pass --workers 0 and start workers where it is"
        }
        guard definition.template["working_directory"] == nil else { return nil }
        let began = sweepPath.map { $0.hasPrefix("/") ? " (its sweep file was \($0))" : "" } ?? ""
        return "program '\(program)' of study '\(study)' is not in \(here), where the local workers would run it (the file has no working_directory): resume from the directory the study began in\(began), or pass --workers 0 and start workers where the program is"
    }

    /// A `program` run as the command's first word by a bare name that PATH does not have
    /// (`command: ["${program}"]`, `program: train.py`): every trial failed to start ("could
    /// not start 'train.py': No such file or directory in PATH") while validate passed it.
    private static func bareNameOutsidePath(in definition: SweepDefinition) -> String? {
        guard case .string(let program)? = definition.template["program"]?.value, !program.contains("/"), !program.contains("$"),
              let command = definition.template["command"]?.elements,
              definition.template["environment"]?["PATH"] == nil else { return nil } // (its own PATH: not judged here)
        let words = command.compactMap { if case .string(let w) = $0.value { return w } else { return nil } }.filter { $0 != "${env}" }
        guard words.first == "${program}", !inPath(program) else { return nil }
        return program
    }

    /// The program a command starts (its first word, or the one after `${env}` and its
    /// `NAME=value` words) when it is written out and this machine does not have it
    /// (`[${env}, python, ...]` on a system with python3 only: every trial failed with
    /// "env: 'python': No such file or directory" until five failures stopped the run).
    private static func missingRunner(in definition: SweepDefinition) -> String? {
        guard definition.task == .command, definition.template["environment"]?["PATH"] == nil else { return nil }
        var words: ArraySlice<String>
        if let command = definition.template["command"]?.elements {
            words = command.compactMap { if case .string(let w) = $0.value { return w } else { return nil } }[...]
            guard words.count == command.count else { return nil }
        } else {
            // The default command (`${env} ${interpreter} ${program} ${args}`): the most
            // common case, whose missing python3 failed every trial unsaid.
            words = CommandTask.defaultCommand[...]
        }
        if words.first == "${env}" || words.first == "env" || words.first == "/usr/bin/env" {
            words = words.dropFirst().drop { $0.contains("=") && !$0.hasPrefix("-") }
        }
        if words.first == "${interpreter}" { words = [CommandMacros.hostInterpreter] + words.dropFirst() }
        guard let runner = words.first, !runner.contains("$"), !runner.hasPrefix("-") else { return nil }
        if runner.contains("/") { return runner.hasPrefix("/") && !FileManager.default.isExecutableFile(atPath: runner) ? runner : nil }
        return inPath(runner) ? nil : runner
    }

    private static func inPath(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}
