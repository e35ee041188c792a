import ArgumentParser
import Cluster
import Foundation
import Store
import SweepFile
import SweepSupport

/// `sweep convert wandb FILE`: print the Sweep file equivalent to a W&B sweep file.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the Sweep file equivalent to a W&B sweep file.",
        discussion: """
            `sweep run` reads W&B sweep files as they are; this shows what they mean in
            Sweep's own format (docs/commands.md has the mapping). A W&B key Sweep cannot
            honour is an error naming it.

            Examples:
              sweep convert wandb sweeps/commands/wandb/sweep.yaml
              sweep convert wandb sweep.yaml > sweep-native.yaml
              sweep validate sweep-native.yaml
            """)

    enum Format: String, ExpressibleByArgument { case wandb }

    @Argument(help: "The format of the file: wandb.") var format: Format
    @Argument(help: "The W&B sweep file (YAML).", completion: .file(extensions: ["yaml", "yml"])) var file: String

    func run() throws {
        // (As every command reads a sweep file: a directory, a pipe, a file too large or not
        // UTF-8 said "cannot read the file as UTF-8 text".)
        let text = try SweepDefinition.readText(file)
        do throws(ConfigError) {
            let root = try YAMLReader.parse(text, file: file)
            guard WandBSweep.isWandB(root) else {
                throw ConfigError(file: file, mark: root.mark, path: ConfigPath([.key("method")]), message: "not a W&B sweep file (it has no 'method')")
            }
            let converted = try WandBSweep.convert(root, file: file)
            // The result must be a valid Sweep file; check it before printing, as `sweep run`
            // reads the W&B file (its problems located in that file, not in the conversion),
            // then the printed text itself.
            _ = try SweepDefinition.parse(text: text, file: file)
            _ = try SweepDefinition.parse(text: converted.yamlText(), file: file)
            print("# Converted from the W&B sweep file \(file) by `sweep convert wandb`.")
            print(converted.yamlText(), terminator: "")
        } catch {
            throw error.file == nil ? error.inFile(file) : error
        }
    }
}

/// `sweep logs STUDY TRIAL`: a command trial's stdout and stderr, as its worker kept them.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a command trial's output (stdout and stderr).",
        discussion: """
            Workers keep each attempt's output in their log directory (`DB.logs/STUDY/`
            for the local workers of `sweep run`; `--log-dir` of `sweep worker`
            elsewhere). Without those files (a remote worker), the tail of the output that
            the worker sent with the attempt (the last ~4,000 characters of stdout and
            stderr as they came) is shown, and the error of a failed one.

            Examples:
              sweep logs mysweep 3
              sweep logs mysweep 3 --attempt 1 --stream stderr
              sweep logs mysweep 3 --follow
            """)

    enum Stream: String, ExpressibleByArgument, CaseIterable { case stdout, stderr, both }

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    @Argument(help: "The trial: its number, best, last, or -1, -2, ... counted from the end.") var trial: TrialChoice
    @Option(help: "The attempt (default: the last one).") var attempt: Int?
    @Option(help: "stdout, stderr or both.") var stream: Stream = .both
    @Option(help: ArgumentHelp("Where the worker kept the logs (default: DB.logs/STUDY, then this machine's worker default $TMPDIR/sweep-logs-UID, then the output tail stored with every attempt).", valueName: "dir"), completion: .directory) var logDir: String?
    @Flag(help: "Keep printing new output until the trial ends.") var follow = false

    func run() throws {
        let reader = try database.reader()
        let (studyRecord, record, attempts) = try reader.read { q in
            let s = try q.requireStudy(named: study)
            let number = try self.trial.resolve(in: s, q)
            guard let t = try q.trial(studyID: s.id, number: number) else { throw UsageError("study '\(study)' has no trial \(number)") }
            return (s, t, try q.attempts(trialID: t.id))
        }
        let trial = record.number
        if let task = try? SweepDefinition.parseStored(text: studyRecord.definition.sweepFile, file: "\(study) (stored sweep file)").task, task != .command {
            throw UsageError("study '\(study)' runs \(task == .training ? "built-in training" : "synthetic") trials, which have no program output; `sweep show \(study) \(trial)` shows its epochs, attempts and error")
        }
        let chosen = attempt ?? attempts.last?.attempt ?? 1
        if let a = attempt, !attempts.contains(where: { $0.attempt == a }) {
            throw UsageError("trial \(trial) has no attempt \(a) (it has \(attempts.map { String($0.attempt) }.joined(separator: ", ")))")
        }
        let stored = attempts.first { $0.attempt == chosen }
        let relative = "\(study)/trial-\(trial).attempt-\(chosen)"
        var base = "\(logDir ?? commandLogDirectory(database.path))/\(relative)"
        // Not beside the database: maybe a `sweep worker` of this machine without --log-dir
        // kept them, in its default directory. Taken only if written while the attempt ran
        // (another database's study of the same name writes the same names there).
        if logDir == nil, !FileManager.default.fileExists(atPath: base + ".out"), let stored {
            let elsewhere = "\(WorkerOptions.defaultLogDirectory)/\(relative)"
            let modified = (try? FileManager.default.attributesOfItem(atPath: elsewhere + ".out"))?[.modificationDate] as? Date
            if let m = modified?.timeIntervalSince1970, m >= stored.startedAt - 5, m <= (stored.endedAt ?? .infinity) + 60 { base = elsewhere }
        }
        let streams: [(String, String)] = [("stdout", base + ".out"), ("stderr", base + ".err")].filter { stream == .both || $0.0 == stream.rawValue }
        let size = { (path: String) in ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        // Files empty while the worker sent output: they could not be written (a full disk).
        // Both files, whichever --stream asks for: the output sent is both streams' (an
        // empty stderr beside a written stdout printed stdout's text as stderr).
        let present = streams.contains { FileManager.default.fileExists(atPath: $0.1) }
        let emptyButSent = present && !follow && [base + ".out", base + ".err"].allSatisfy { size($0) == 0 } && !(stored?.logTail ?? "").isEmpty
        guard present, !emptyButSent else {
            if let tail = stored?.logTail {
                // (The stored tail is both streams as they came: --stream cannot pick one of it.)
                let both = stream == .both ? "" : ", stdout and stderr together"
                print("(\(emptyButSent ? "the log files at \(base).* are empty" : "no log files at \(base).*"); the last \(tail.count) characters of output the worker sent\(both):)")
                print(tail, terminator: tail.hasSuffix("\n") ? "" : "\n")
                if let e = stored?.error { print("(error: \(e.prefix { $0 != "\n" }))") }
                return
            }
            if let e = stored?.error ?? record.error {
                print("(no log files at \(base).*; the error stored with the trial:)")
                print(e)
                return
            }
            throw UsageError("no logs for trial \(trial) attempt \(chosen) at \(base).out/.err (its worker keeps them; pass --log-dir)")
        }
        var offsets = [Int](repeating: 0, count: streams.count)
        func printNew() {
            for (i, (name, path)) in streams.enumerated() {
                guard let h = FileHandle(forReadingAtPath: path) else { continue }
                defer { try? h.close() }
                try? h.seek(toOffset: UInt64(offsets[i]))
                let data = h.readDataToEndOfFile()
                guard !data.isEmpty else { continue }
                offsets[i] += data.count
                if streams.count > 1 && !follow { print("--- \(name) ---") }
                StandardStream.output.write([UInt8](data))
            }
        }
        defer {
            if offsets.allSatisfy({ $0 == 0 }) {
                // Said on stderr, so `sweep logs ... > out.txt` still gives the (empty) output.
                let which = streams.count > 1 ? "\(base).out and .err are" : "\(streams[0].1) is"
                StandardStream.error.write("(no output: \(which) empty\(stored?.error.map { "; the attempt's error: \($0.prefix { $0 != "\n" })" } ?? ""))\n")
            }
        }
        printNew()
        guard follow else { return }
        // Until the trial ends, or the reader leaves (`--follow | head`: SIGPIPE is ignored).
        while !processStop.isSet && StandardStream.failure == nil {
            usleep(250_000)
            printNew()
            let running = try reader.read { q in
                try q.trial(studyID: q.requireStudy(named: study).id, number: trial)?.state == .running
            }
            if !running {
                printNew()
                return
            }
        }
    }
}
