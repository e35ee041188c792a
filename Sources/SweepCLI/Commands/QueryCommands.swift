import ArgumentParser
import Cluster
import Foundation
import SweepSupport
import Search
import Store
import SweepFile
import Training

/// `sweep studies`: every study in the database.
struct Studies: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the studies in a database.",
        discussion: "Example:\n  sweep studies --db runs/sweep.db")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

    func run() throws {
        let rows: [(StudyRecord, [TrialState: Int], TrialRecord?)]
        do {
            rows = try database.reader().read { q in
                try q.studies().map { s in (s, try q.stateCounts(studyID: s.id), try q.best(study: s, top: 1).first) }
            }
        } catch StoreError.emptyDatabase {
            rows = [] // as a database whose studies were all deleted: a listing with nothing in it
        }
        let phases = rows.map { StudyPhase.of($0.0, databasePath: database.path) }
        switch format {
        case .json:
            print(try JSONOutput.render(zip(rows, phases).map { row, phase in
                var study = JSONOutput.Study(row.0, phase: phase, counts: row.1)
                study.best = row.2.map { JSONOutput.Trial($0) }
                return study
            }))
        case .csv:
            // Values as data (a full-precision best, empty when none, the budget in its own
            // column, epoch seconds), not the table's text ("0.4699", "-", "30/30").
            let headers = ["study", "state", "metric", "direction", "trials", "budget", "complete", "pruned", "failed", "running", "best", "created"]
            let data = zip(rows, phases).map { row, phase -> [String] in
                let (s, c, best) = row
                let ended = TrialState.allCases.filter(\.isFinished).reduce(0) { $0 + (c[$1] ?? 0) }
                return [s.name, phase.rawValue, s.definition.metric, s.direction.rawValue, "\(ended)", "\(s.definition.budgetTrials)",
                        "\(c[.complete] ?? 0)", "\(c[.pruned] ?? 0)", "\(c[.fail] ?? 0)", "\(c[.running] ?? 0)",
                        best?.value.map { "\($0)" } ?? "", "\(s.createdAt)"]
            }
            print(CSV.render(headers, data), terminator: "")
        case .table:
            let headers = ["study", "state", "metric", "direction", "trials", "complete", "pruned", "failed", "running", "best", "created"]
            let data = zip(rows, phases).map { row, phase in
                let (s, c, best) = row
                return [s.name, phase.rawValue, s.definition.metric, s.direction.rawValue, Fmt.trials(TrialState.allCases.filter(\.isFinished).reduce(0) { $0 + (c[$1] ?? 0) }, budget: s.definition.budgetTrials),
                 "\(c[.complete] ?? 0)", "\(c[.pruned] ?? 0)", "\(c[.fail] ?? 0)", "\(c[.running] ?? 0)", Fmt.value(best?.value), Fmt.time(s.createdAt)]
            }
            do {
                if data.isEmpty { print("no studies in \(database.path)"); return }
                var t = TextTable(headers)
                data.forEach { t.add($0) }
                print(t.render())
                // RUNNING is what the database says; nobody runs them while a study is interrupted.
                for (row, phase) in zip(rows, phases) where phase == .interrupted && (row.1[.running] ?? 0) > 0 {
                    print("study '\(row.0.name)' is interrupted: its \(row.1[.running] ?? 0) RUNNING trial(s) wait for `\(ShellCommand.resume(row.0.name, database: database.path))`")
                }
            }
        }
    }
}

/// Renders trials as a table, CSV or JSON, with one column per parameter.
enum TrialListing {
    /// `metric`: a metric to show in a column of its own (the one `sweep trials --sort` orders
    /// by: the order was not to be seen), besides the objective.
    static func print(_ trials: [TrialRecord], study: StudyRecord, format: OutputFormat, metric: String? = nil) throws {
        let paramNames = study.definition.space.parameters.map(\.name)
        let objective = study.definition.metric
        let extra = metric.flatMap { $0 == objective ? nil : $0 }
        switch format {
        case .json:
            Swift.print(try JSONOutput.render(trials.map { JSONOutput.Trial($0) }))
        case .csv:
            let fixed = ["number", "state", "value", "epochs", "duration", "attempt", "worker"] + (extra.map { [$0] } ?? [])
            // (A parameter named like the objective is param_NAME here too, as in the table.)
            let headers = fixed + paramHeaders(paramNames, besides: fixed + [objective])
            let rows = trials.map { t -> [String] in
                var row: [String] = ["\(t.number)", t.state.rawValue, t.value.map { "\($0)" } ?? "", "\(t.epochs)", t.duration.map { "\($0)" } ?? "",
                                     "\(t.attempt)", t.worker ?? ""]
                if let extra { row.append(t.metrics[extra].map { "\($0)" } ?? "") }
                return row + paramNames.map { t.params[$0]?.description ?? "" }
            }
            Swift.print(CSV.render(headers, rows), terminator: "")
        case .table:
            if trials.isEmpty { Swift.print("no trials"); return }
            let fixed = ["#", "state", objective] + (extra.map { [$0] } ?? []) + ["epochs", "time"]
            var table = TextTable(fixed + paramHeaders(paramNames, besides: fixed))
            for t in trials {
                var row: [String] = ["\(t.number)", t.state.rawValue, Fmt.value(t.value)]
                if let extra { row.append(Fmt.value(t.metrics[extra])) }
                row += ["\(t.epochs)", Fmt.seconds(t.duration)]
                table.add(row + paramNames.map { name in t.params[name].map(display) ?? "-" })
            }
            Swift.print(table.render())
        }
    }

    static func display(_ v: ParamValue) -> String { Fmt.param(v) }

    /// The headers of the parameter columns: a parameter named like a fixed column (`epochs`
    /// is searched in many sweep files) is `param_NAME` (`param_param_NAME` if a parameter
    /// has that name: two `param_value` columns, and a CSV reader dropped one), so no two
    /// columns share a header.
    static func paramHeaders(_ names: [String], besides fixed: [String]) -> [String] {
        let fixedSet = Set(fixed)
        var taken = fixedSet.union(names.filter { !fixedSet.contains($0) })
        return names.map { name in
            guard fixedSet.contains(name) else { return name }
            var header = "param_" + name
            while taken.contains(header) { header = "param_" + header }
            taken.insert(header)
            return header
        }
    }
}

/// `sweep trials STUDY`: the trials of a study.
struct Trials: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the trials of a study.",
        discussion: """
            Examples:
              sweep trials quickstart --state COMPLETE --sort value --limit 10
              sweep trials quickstart --sort val_loss --format csv > trials.csv
            --sort takes number (default), value (best first), duration, or any reported
            metric (val_loss, accuracy, val_rmse, ...; the objective in the study's
            direction, losses and errors (rmse, mae) ascending, others descending); a
            metric a program named number, value or duration is metric:NAME.
            A leading '-' turns the order round:
              sweep trials quickstart --sort -value      (worst first)
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    @Option(help: "Only trials in this state (WAITING, RUNNING, COMPLETE, PRUNED, FAIL, STALE); repeatable.") var state: [String] = []
    @Option(help: "Sort by number, value, duration, or a metric name (metric:NAME for one named like those); '-' first for the reverse order.") var sort: String = "number"
    @Option(help: "Show at most this many trials.") var limit: Int?
    @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

    /// The trial's own columns `--sort` names; a metric named like one is `metric:NAME`.
    static let columnOrders: [String: TrialOrder] = ["number": .number, "value": .value, "duration": .duration]
    static let metricPrefix = "metric:"

    func run() throws {
        var states: Set<TrialState> = []
        for s in state {
            guard let st = TrialState(rawValue: s.uppercased()) else {
                throw UsageError("unknown state '\(s)'; expected one of: \(TrialState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states.insert(st)
        }
        if let limit, limit < 1 { throw UsageError("--limit must be >= 1, got \(limit)") }
        let reversed = sort.hasPrefix("-")
        let key = reversed ? String(sort.dropFirst()) : sort
        // `metric:value`: a metric a program named `value`, `number` or `duration` (the bare
        // words are the trial's own columns, and such a metric could not be sorted by).
        let order: TrialOrder
        if !key.hasPrefix(Self.metricPrefix), let column = Self.columnOrders[key] {
            order = column
        } else {
            let metric = key.hasPrefix(Self.metricPrefix) ? String(key.dropFirst(Self.metricPrefix.count)) : key
            // Any metric name (`acc top-1 (%)`), but one SQLite's JSON path can name: no `"`.
            guard !metric.isEmpty, !metric.contains("\"") else {
                throw UsageError("cannot sort by '\(sort)'; sort by number, value, duration or a metric name (without '\"'; metric:NAME for one named like those), with '-' first for the reverse order")
            }
            order = .metric(metric, ascending: MonitoredMetric.lowerIsBetter(named: metric))
        }
        let reader = try database.reader()
        let (s, trials) = try reader.read { q in
            let s = try q.requireStudy(named: study)
            var order = order
            if case .metric(let name, _) = order {
                try Self.requireKnownMetric(name, study: s, reported: try q.trials(studyID: s.id))
                // The objective is best first in the study's direction, whatever its name says.
                if name == s.definition.metric { order = .metric(name, ascending: s.direction == .minimize) }
            }
            return (s, try q.trials(studyID: s.id, states: states.isEmpty ? nil : states, order: order, reversed: reversed, direction: s.direction, limit: limit))
        }
        let sortedBy: String? = if case .metric(let name, _) = order { name } else { nil }
        try TrialListing.print(trials, study: s, format: format, metric: sortedBy)
        // RUNNING is what the database says; nobody runs them while the study is interrupted.
        let running = trials.filter { $0.state == .running }.count
        if format == .table, running > 0, StudyPhase.of(s, databasePath: database.path) == .interrupted {
            print("\nstudy '\(s.name)' is interrupted: its \(running) RUNNING trial(s) wait for `\(ShellCommand.resume(s.name, database: database.path))`")
        }
    }

    /// A metric the study's trials reported (or, before any did, one trials can report).
    static func requireKnownMetric(_ name: String, study: StudyRecord, reported trials: [TrialRecord]) throws {
        var known = Set(trials.flatMap { $0.metrics.keys })
        known.insert(study.definition.metric)
        // Before any trial reported, the metrics a trial can report; after, those they did.
        // (A command's metrics are its program's: only the objective is known before.)
        if trials.allSatisfy({ $0.metrics.isEmpty }) {
            switch (try? SweepDefinition.stored(study))?.task {
            case .training?: known.formUnion(SweepDefinition.trainingMetrics)
            case .synthetic?: known.insert("value")
            case .command?: break
            case nil: known.formUnion(SweepDefinition.trainingMetrics + ["value"])
            }
        }
        guard known.contains(name) else {
            throw UsageError("cannot sort by '\(name)': not a metric of study '\(study.name)'; sort by number, value, duration, or one of: \(known.sorted().map { columnOrders[$0] != nil && $0 != study.definition.metric ? metricPrefix + $0 : $0 }.joined(separator: ", "))")
        }
    }
}

/// `sweep best STUDY`: the best finished trials.
struct Best: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the best trials of a study.",
        discussion: "Example:\n  sweep best quickstart --top 5")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    @Option(help: "How many trials.") var top: Int = 1
    @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

    func run() throws {
        guard top >= 1 else { throw UsageError("--top must be >= 1, got \(top)") }
        let reader = try database.reader()
        let (s, trials, counts) = try reader.read { q in
            let s = try q.requireStudy(named: study)
            return (s, try q.best(study: s, top: top), try q.stateCounts(studyID: s.id))
        }
        if trials.isEmpty {
            // (Trials a wall-time budget cut, or paused ones, are PRUNED: say where they are.)
            let pruned = counts[.pruned] ?? 0, failed = counts[.fail] ?? 0
            let listing = ShellCommand.sweep(["trials", s.name, "--db", database.path])
            var notes: [String] = []
            if pruned > 0 { notes.append("\(pruned) pruned: `\(listing) --state PRUNED --sort value` ranks them by their last value") }
            if failed > 0 { notes.append("\(failed) failed: `\(listing) --state FAIL` lists them") }
            let note = notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"
            // A finished study will have none: a script asking for its best trial gets a failure
            // (it said "yet" and exit 0, as for a study still running), in every format (json
            // and csv gave their empty list with exit 0).
            if s.state == .finished {
                if format != .table { try TrialListing.print(trials, study: s, format: format) }
                FileHandle.standardError.write(Data("study '\(s.name)' finished without a complete trial\(note)\n".utf8))
                throw CommandFailure("")
            }
            if format == .table {
                print("study '\(s.name)' has no complete trial yet\(note)")
                return
            }
        }
        try TrialListing.print(trials, study: s, format: format)
    }
}

/// `sweep show STUDY TRIAL`: one trial in full.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one trial: parameters, per-epoch curve, prune reason and attempts.",
        discussion: """
            Examples:
              sweep show quickstart 12
              sweep show quickstart best
              sweep show quickstart -1      # the last trial (-2 the one before)
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    @Argument(help: "The trial: its number, best, last, or -1, -2, ... counted from the end.") var trial: TrialChoice
    @Option(help: "Output format: table or json.") var format: TableOrJSON = .table

    /// A command trial's command line, shell-quoted, as a worker on this host builds it
    /// (`${args_json_file}` named by what it holds), after the trial's SWEEP_SEED (and
    /// SWEEP_TRIAL) and the
    /// sweep file's `environment:` (run as printed, a program that reads SWEEP_SEED failed
    /// or took another seed); nil for other studies.
    static func commandLine(of trial: TrialRecord, in definition: SweepDefinition?, study: String) -> String? {
        guard let definition, definition.task == .command,
              case .command(let task)? = try? definition.spec(for: trial.params, trialSeed: trial.seed) else { return nil }
        // What the worker sets over the file's `environment:` (as it ran: its last attempt).
        let ours = [("SWEEP_STUDY", study), ("SWEEP_TRIAL", "\(trial.number)"), ("SWEEP_ATTEMPT", "\(trial.attempt)"),
                    ("SWEEP_SEED", "\(CommandMacros.programSeed(trial.seed))")]
        let environment = task.environment.merging(ours) { $1 }
        let argv = CommandMacros.expand(task.command, .init(program: task.program, arguments: task.arguments, trial: trial.number, seed: trial.seed,
                                                            argsJSONFile: "PARAMS.json", interpreter: CommandMacros.hostInterpreter, style: task.style,
                                                            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }))
        let settings = task.environment.filter { e in !ours.contains { $0.0 == e.key } }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(ShellCommand.quoted($0.value))" } + ours.map { "\($0.0)=\(ShellCommand.quoted($0.1))" }
        let place = task.workingDirectory.map { "cd \(ShellCommand.quoted($0)) && " } ?? ""
        return place + (settings + argv.map(ShellCommand.quoted)).joined(separator: " ")
    }

    func run() throws {
        let reader = try database.reader()
        let (s, t, curve, attempts, events, definitions) = try reader.read { q in
            let s = try q.requireStudy(named: study)
            let number = try trial.resolve(in: s, q)
            guard let t = try q.trial(studyID: s.id, number: number) else { throw UsageError("study '\(study)' has no trial \(number)") }
            return (s, t, try q.intermediates(trialID: t.id), try q.attempts(trialID: t.id), try q.events(studyID: s.id, trialNumber: number),
                    try TrialDefinitions(study: s, reading: q))
        }
        let definition = definitions.definition(ofTrial: t.number)
        // Every member's parameters only for a study with exploit steps (PBT).
        let (steps, members) = try reader.read { q in
            let steps = try q.lineage(studyID: s.id)
            return (steps, steps.isEmpty ? [] : try q.trials(studyID: s.id))
        }
        let params = Dictionary(uniqueKeysWithValues: members.map { ($0.number, $0.params) })
        if format == .json {
            var detail = JSONOutput.Trial(t, curve: curve, attempts: attempts)
            let command = definition?.task == .command
            if definitions.currentVersion > 1 { detail.sweep_file_version = definitions.earlierVersion(ofTrial: t.number) ?? definitions.currentVersion }
            if command { detail.program_seed = CommandMacros.programSeed(t.seed) }
            detail.population = JSONOutput.Member(member: t, steps: steps, params: params,
                                                  programSeeds: command ? JSONOutput.Member.programSeeds(of: members) : [:])
            detail.events = events.map { JSONOutput.Event(time: $0.time, kind: $0.kind, message: $0.message) }
            print(try JSONOutput.render(detail))
            return
        }
        // RUNNING is what the database says; nobody runs it while the study is interrupted.
        let interrupted = t.state == .running && StudyPhase.of(s, databasePath: database.path) == .interrupted
            ? " (the study is interrupted: the trial waits for `\(ShellCommand.resume(s.name, database: database.path))`)" : ""
        print("trial \(t.number) of '\(s.name)': \(t.state.rawValue)\(interrupted)")
        // A program's seed is the trial's in 32 bits (SWEEP_SEED): the number to reproduce it.
        let programSeed = definition?.task == .command ? " (SWEEP_SEED \(CommandMacros.programSeed(t.seed)))" : ""
        print("  \(s.definition.metric): \(Fmt.value(t.value))  epochs: \(t.epochs)  seed: \(t.seed)\(programSeed)  time: \(Fmt.seconds(t.duration))")
        if let r = t.pruneReason {
            // Paused at a rung of a study that has finished: only a resume promotes it now.
            let later = r.hasSuffix(PauseReason.promotable) && s.state == .finished
                ? " (the study has finished: `\(ShellCommand.resume(s.name, database: database.path, "--add-trials", "N"))` runs N more trials and may promote it)" : ""
            print("  pruned: \(r)\(later)")
        }
        // Its fixed values, command and epochs were those of a file replaced since.
        if let version = definitions.earlierVersion(ofTrial: t.number) {
            print("  ran version \(version) of the sweep file (the study's is version \(definitions.currentVersion) since `--resume --force`); shown as it ran")
        }
        // A command trial's error ends with its stderr tail, over several lines; when the
        // attempt's output is shown below, the message alone.
        let outputShown = attempts.contains { $0.logTail != nil }
        if let e = t.error, let text = outputShown ? AttemptLog.split(e).message : e {
            print("  error: " + Self.terminalSafe(text).replacingOccurrences(of: "\n", with: "\n    "))
        }
        print("parameters:")
        for p in s.definition.space.parameters {
            print("  \(p.name) = \(t.params[p.name].map { TextTable.oneLine(TrialListing.display($0)) } ?? "(inactive)")")
        }
        for line in LineageText.lines(member: t, steps: steps, params: params, names: s.definition.space.parameters.map(\.name)) { print(TextTable.oneLine(line)) }
        // A command trial: the command line its program got, values exact and fixed ones
        // included, to run it again by hand (the parameters above are rounded).
        if let line = Self.commandLine(of: t, in: definition, study: s.name) {
            print("command (as a worker here runs it):")
            print("  " + TextTable.oneLine(line))
        }
        if !curve.isEmpty {
            // The objective's column is named after it; its copy among the metrics is left out
            // (a metric named `value` showed two `value` columns).
            let objective = s.definition.metric
            let metricNames = Array(Set(curve.flatMap { $0.metrics.keys })).filter { $0 != objective }.sorted()
            var table = TextTable(["epoch", objective] + metricNames + ["decision"])
            // The epoch a paused attempt ended at reads `pause` (the store keeps the answer as
            // `continue`: the trial goes on from there when promoted or its turn comes).
            let pausedAt = Set(attempts.filter { $0.outcome == .paused }.compactMap { a in curve.filter { $0.attempt == a.attempt }.map(\.step).max() })
            for p in curve {
                let decision = pausedAt.contains(p.step) && p.decision == .continue ? "pause" : p.decision.rawValue
                table.add(["\(p.step)", Fmt.value(p.value)] + metricNames.map { Fmt.value(p.metrics[$0]) } + [decision])
            }
            print("per-epoch curve:")
            print(table.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        if !attempts.isEmpty {
            var table = TextTable(["attempt", "worker", "started", "ended", "outcome", "resumed", "error"])
            for a in attempts {
                table.add(["\(a.attempt)", a.worker, Fmt.time(a.startedAt), Fmt.time(a.endedAt), a.outcome?.rawValue ?? "running",
                           a.resumedFromEpoch.map { "after epoch \($0)" } ?? "", a.error.map { String($0.prefix { $0 != "\n" }) } ?? ""])
            }
            print("attempts:")
            print(table.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        if let last = attempts.last(where: { $0.logTail != nil }), let tail = last.logTail {
            // The worker's own files have all of it; the stored tail stands in when they are out of reach.
            let base = "\(commandLogDirectory(database.path))/\(study)/trial-\(t.number).attempt-\(last.attempt)"
            if FileManager.default.fileExists(atPath: base + ".out") || FileManager.default.fileExists(atPath: base + ".err") {
                print("output: sweep logs \(study) \(t.number) --attempt \(last.attempt)")
            } else {
                print("output of attempt \(last.attempt) (its last \(tail.count) characters, as its worker sent them):")
                let lines = Self.terminalSafe(tail).split(separator: "\n", omittingEmptySubsequences: false)
                print(lines.dropLast(tail.last?.isNewline == true ? 1 : 0).map { "  " + $0 }.joined(separator: "\n"))
            }
        }
        if !events.isEmpty {
            print("events:")
            for e in events { print("  \(Fmt.time(e.time))  \(Self.terminalSafe(e.message).replacingOccurrences(of: "\n", with: "\n    "))") }
        }
    }

    /// Text from programs and peers (errors, their output, events) as lines for a terminal:
    /// control characters other than the line breaks shown escaped, so an ESC sequence in a
    /// program's stderr cannot clear or recolour the screen of whoever runs `show`.
    static func terminalSafe(_ text: String) -> String {
        // By line breaks of any kind: "\r\n" is one Character, which a split on "\n" misses.
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { TextTable.oneLine(String($0)) }.joined(separator: "\n")
    }
}

/// `sweep export STUDY --format csv|json`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export every trial of a study with its parameters and curve.",
        discussion: "Examples:\n  sweep export quickstart --format csv --out trials.csv\n  sweep export quickstart --format json | jq '.trials[0]'")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    /// What `export` writes (a table would lose the curves).
    enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }

    @Option(help: "csv (one row per trial) or json (trials with curves); default json, or csv for an --out file named *.csv.") var format: ExportFormat?
    @Option(help: "Write to this file instead of standard output ('-': standard output).", completion: .file()) var out: String?

    /// The format asked for, else the one `--out`'s name says (`t.csv` got JSON).
    var resolvedFormat: ExportFormat { format ?? (out?.lowercased().hasSuffix(".csv") == true ? .csv : .json) }

    /// Epochs whose reports are read in one go (each read its own, short; one trial at least).
    static let epochsPerRead = 2_000

    /// The JSON document, as `Document` encodes it, written one trial at a time as it is
    /// made: rendered whole, it held 2.2 GB for 533 MB of output (20 trials of 2,000 epochs
    /// of 256 metrics). The study, its trials and counts are read at one moment; their
    /// curves ``epochsPerRead`` epochs at a time, each read short: one read held for the
    /// whole export kept a running sweep's WAL from being checkpointed (it grew 40 MiB/s
    /// meanwhile). A trial still running then has its curve cut to the epochs it had then,
    /// so that each trial agrees with itself.
    func exportJSON(_ reader: StoreReader) throws {
        let (s, trials, counts, steps, definitions) = try reader.read { q in
            let s = try q.requireStudy(named: study)
            return (s, try q.trials(studyID: s.id), try q.stateCounts(studyID: s.id), try q.lineage(studyID: s.id), try TrialDefinitions(study: s, reading: q))
        }
        let names = s.definition.space.parameters.map(\.name)
        // (As a resume reads it: a W&B study an earlier Sweep started, as that Sweep read it.)
        let definition = definitions.current
        let head = try JSONOutput.render(Document(study: JSONOutput.Study(s, phase: StudyPhase.of(s, databasePath: database.path), counts: counts), parameters: names, trials: []))
        guard head.hasSuffix("\"trials\" : [\n\n  ]\n}") else { throw CommandFailure("internal: unexpected JSON layout") }
        let file = try out.flatMap { $0 == "-" ? nil : $0 }.map { name in
            do { return try OutputFile.Stream(named: name) } catch { throw OutputFailure.of(error, writing: name) }
        }
        func emit(_ bytes: [UInt8]) throws {
            guard let file else { return StandardStream.output.write(bytes) }
            do { try file.write(bytes) } catch { throw CommandFailure("cannot write \(out ?? ""): \(SystemErrorText.of(error))") }
        }
        try emit(Array(String(head.dropLast("[\n\n  ]\n}".count)).utf8) + Array((trials.isEmpty ? "[\n\n  ]\n}\n" : "[\n").utf8))
        let encoder = JSONOutput.encoder()
        // A PBT member's lineage and a command trial's SWEEP_SEED, as `show` gives them
        // (the export had only each member's final parameters).
        let params = steps.isEmpty ? [:] : Dictionary(uniqueKeysWithValues: trials.map { ($0.number, $0.params) })
        let seeds = definition?.task == .command ? JSONOutput.Member.programSeeds(of: trials) : [:]
        var written = 0
        var start = 0
        while start < trials.count {
            var end = start + 1, epochs = max(1, trials[start].epochs)
            while end < trials.count, epochs + max(1, trials[end].epochs) <= Self.epochsPerRead {
                epochs += max(1, trials[end].epochs)
                end += 1
            }
            let chunk = trials[start..<end]
            start = end
            let numbers = chunk.map(\.number)
            let curves = try reader.read { q in try q.intermediates(studyID: s.id, numbers: numbers.min()!...numbers.max()!) }
            for t in chunk {
                var curve = curves[t.number] ?? []
                if t.state == .running { curve = curve.filter { $0.step <= t.epochs } }
                var trial = JSONOutput.Trial(t, curve: curve)
                trial.arguments = Self.arguments(of: t, in: definitions.definition(ofTrial: t.number)).map { JSONOutput.ParameterValues(Dictionary($0.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })) }
                trial.program_seed = seeds[t.number]
                if definitions.currentVersion > 1 { trial.sweep_file_version = definitions.earlierVersion(ofTrial: t.number) ?? definitions.currentVersion }
                trial.population = JSONOutput.Member(member: t, steps: steps, params: params, programSeeds: seeds)
                var text: [UInt8] = []
                try JSONOutput.appendIndented(trial, with: encoder, to: &text)
                written += 1
                text += Array((written == trials.count ? "\n  ]\n}\n" : ",\n").utf8)
                try emit(text)
            }
            if file == nil, StandardStream.outputFailed { return } // its reader left (`| head`): stop
        }
        do { try file?.finish() } catch { throw CommandFailure("cannot write \(out ?? ""): \(SystemErrorText.of(error))") }
    }

    static func text(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }

    struct Document: Encodable {
        var study: JSONOutput.Study
        var parameters: [String]
        var trials: [JSONOutput.Trial]
    }

    /// A command trial's arguments: what its program got, plain values as well as searched
    /// ones (nil for other kinds of studies, or a stored file that no longer parses).
    static func arguments(of trial: TrialRecord, in definition: SweepDefinition?) -> [CommandTask.Argument]? {
        guard let definition, definition.task == .command,
              case .command(let task)? = try? definition.spec(for: trial.params, trialSeed: trial.seed) else { return nil }
        return task.arguments
    }

    func run() throws {
        let reader = try database.reader()
        if resolvedFormat == .json { return try exportJSON(reader) }
        let text: String = try reader.read { q in
            let s = try q.requireStudy(named: study)
            let trials = try q.trials(studyID: s.id)
            let names = s.definition.space.parameters.map(\.name)
            // Each trial's as it ran: a file replaced since (`--resume --force`) gave its own.
            let definitions = try TrialDefinitions(study: s, reading: q)
            let arguments = trials.map { Self.arguments(of: $0, in: definitions.definition(ofTrial: $0.number)) }
            // The plain values a command's program got, after the searched ones (W&B's config has both).
            var plain: [String] = []
            for a in arguments.compactMap({ $0 }) {
                for name in a.map(\.name) where !names.contains(name) && !plain.contains(name) { plain.append(name) }
            }
            let metricNames = Array(Set(trials.flatMap { $0.metrics.keys })).sorted()
            // A command study's program got SWEEP_SEED, the seed's low 32 bits (as JSON's
            // `program_seed`): the CSV had only the 63-bit seed, which numpy refuses.
            let command = definitions.current?.task == .command
            let headers = ["number", "state", "value", "epochs", "seed"] + (command ? ["program_seed"] : []) + ["attempt", "worker", "started_at", "finished_at", "duration", "prune_reason", "error"]
                + (names + plain).map { "param_\($0)" } + metricNames.map { "metric_\($0)" }
            let rows = zip(trials, arguments).map { t, a -> [String] in
                let fixed: [String] = ["\(t.number)", t.state.rawValue, Self.text(t.value), "\(t.epochs)", "\(t.seed)"]
                    + (command ? ["\(CommandMacros.programSeed(t.seed))"] : [])
                    + ["\(t.attempt)", t.worker ?? "", Self.text(t.startedAt), Self.text(t.finishedAt), Self.text(t.duration),
                       t.pruneReason ?? "", t.error ?? ""]
                let given = Dictionary((a ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                let params: [String] = names.map { t.params[$0]?.description ?? "" } + plain.map { given[$0]?.description ?? "" }
                let metrics: [String] = metricNames.map { Self.text(t.metrics[$0]) }
                return fixed + params + metrics
            }
            return CSV.render(headers, rows)
        }
        if let out, out != "-" { // (`-` wrote a file named "-")
            do { try OutputFile.write(text, to: out) } catch { throw OutputFailure.of(error, writing: out) }
        } else {
            print(text, terminator: "")
        }
    }
}
