import ArgumentParser
import Cluster
import Foundation
import Store
import SweepFile
import SweepSupport
import Training

/// Options shared by the commands that start a coordinator.
struct CoordinatorNetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("ZeroMQ endpoint to listen on (tcp://ADDRESS:PORT; a host name is resolved to its address). run/resume: without it, a private Unix socket only this user can reach; coordinator: tcp://127.0.0.1:5555.", valueName: "endpoint")) var bind: String?
    @Option(help: ArgumentHelp("Directory made by `sweep keygen`: enables CURVE (required beyond loopback).", valueName: "dir"), completion: .directory) var keys: String?
    @Flag(help: "Allow listening beyond loopback without CURVE (trusted networks only).") var insecure = false
    @Option(help: "Heartbeat interval in milliseconds.") var heartbeatMs: Int = 1000
    @Option(help: "Missed heartbeats before a worker counts as dead (2-100; 3-5 is usual).") var liveness: Int = 5
    @Option(help: ArgumentHelp("Ship data sets up to this size to workers that lack the files (0: never; larger sets must be on every worker).", valueName: "MiB"))
    var shipDataMaxMib: Int = DataTransfer.defaultMaxShippedBytes >> 20
    @Option(help: ArgumentHelp("MiB the latest checkpoints of running trials may take beside the database (0: keep none; re-queued trials then start over).",
                               valueName: "MiB")) var checkpointLimit: Int = 2048

    func coordinatorOptions(defaultBind: String, database: String) throws -> CoordinatorOptions {
        try validateTiming(heartbeatMs: heartbeatMs, liveness: liveness)
        if let bind, let problem = EndpointOption.problem(bind, option: "--bind", listening: true) { throw UsageError(problem) }
        guard (0...(1 << 20)).contains(shipDataMaxMib) else { throw UsageError("--ship-data-max-mib must be between 0 and 1048576, got \(shipDataMaxMib)") }
        guard (0...(1 << 30)).contains(checkpointLimit) else { throw UsageError("--checkpoint-limit: must be 0 or more MiB, got \(checkpointLimit)") }
        var options = CoordinatorOptions(bind: try EndpointOption.resolvedForListening(bind ?? defaultBind), heartbeatMs: heartbeatMs, liveness: liveness, checkpointBytes: checkpointLimit << 20)
        options.maxShippedDataBytes = shipDataMaxMib << 20
        options.databasePath = database
        return options
    }

    func security() throws -> SecurityOptions {
        guard let keys else { return SecurityOptions(insecure: insecure) }
        return SecurityOptions(curve: try KeyDirectory(path: keys).serverKeys(), insecure: insecure)
    }
}

extension CoordinatorOptions {
    /// These options listening on `endpoint` instead of their `bind`, when one is given.
    func listening(on endpoint: String?) -> CoordinatorOptions {
        var options = self
        if let endpoint { options.bind = endpoint }
        return options
    }
}

/// `sweep run FILE`: coordinator plus local workers.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a sweep: a coordinator and local workers, with live progress.",
        discussion: """
            Creates the study in the database, starts the coordinator and N local workers,
            and shows progress until the budget is spent. Ctrl-C (SIGTERM, SIGHUP) stops
            it cleanly (built-in trials finish their epoch, command trials' programs get
            SIGTERM, and both are handed back, to continue from their last checkpoint) and
            exits 130; a second one hands them back at once. `sweep resume STUDY`
            continues it. Without --bind it listens on a private Unix socket only (it
            prints `ipc://…`), which only this user can reach: more workers of yours on
            this machine join with `sweep worker --connect` and that endpoint. --bind adds
            a TCP endpoint, for workers on other machines (with --keys beyond loopback).
            With --keys local workers use the first worker key of that directory that
            authorized_workers lists. A local worker killed by a signal is started again
            (at most 3 times a minute). Exits 1 when every trial failed (see `sweep trials
            STUDY --state FAIL`), or when the first 5 trials of the run all failed before
            reporting: it stops then, and `sweep resume STUDY` runs the rest once fixed.

            Examples:
              sweep run sweeps/quickstart.yaml
              sweep run sweeps/schedules.yaml --workers 4 --db runs/schedules.db
            """)

    @Argument(help: "The sweep file (YAML).", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @Option(help: "Local worker processes, one per core by default.") var workers: Int = UsableCores.count
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var network: CoordinatorNetworkOptions
    @Flag(help: "No live progress display.") var noProgress = false
    @OptionGroup var dashboard: DashboardFlags

    func run() throws {
        // From the start: a SIGTERM while the sweep is prepared stops it with 130 before
        // anything is written (it killed the process with 143, leaving an empty database).
        installStopSignals()
        try ResourceLimits.check(.coordinator)
        let dashboardOptions = try dashboard.options() // before anything is written
        guard workers >= 0 && workers <= maxLocalWorkers else { throw UsageError("--workers must be 0 to \(maxLocalWorkers), got \(workers)") }
        let definition = try DataPreflight.sweep(file)
        // A missing script file is refused (every local trial would fail to open it); another
        // name gets a note: it may be a module (`python -m`), found by a runner, or in a container.
        if workers > 0, let (message, refusesRun) = ProgramLocation.problem(for: definition, file: file) {
            if refusesRun { throw UsageError(message) }
            StandardStream.error.write("note: " + message + "\n")
        }
        if let note = definition.rungEpochsNote { StandardStream.error.write("note: \(note)\n") }
        if definition.cappedBudget(definition.budget.trials) == Budget.maxTrials {
            StandardStream.error.write("note: the budget is \(Budget.maxTrials) trials: the sweep runs until stopped (Ctrl-C; `sweep resume` continues it), as a W&B agent without run_cap\n")
        }
        let options = try network.coordinatorOptions(defaultBind: "tcp://127.0.0.1:0", database: database.path)
        let security = try network.security()
        let workerArguments = try localWorkerArguments(database.path, keys: network.keys, workers: workers)
        // A study another coordinator runs is not to be resumed (that is refused too). A W&B
        // file names its study with `name:` (else the file's name: every sweep.yaml is 'sweep').
        let nameKey = definition.convertedFromWandB ? "name:" : "study:"
        let exists = StudyLockBytes.isHeld(database: database.path, study: definition.study)
            ? UsageError("study '\(definition.study)' already exists in \(database.path) and another coordinator is running it: watch it with `sweep status \(definition.study) --db \(database.path)`, add workers with `sweep worker --connect \(ShellCommand.quoted(joinEndpoint(database: database.path, study: definition.study)))`, or change `\(nameKey)` in \(file)")
            : UsageError("study '\(definition.study)' already exists in \(database.path); continue it with `\(ShellCommand.resume(definition.study, database: database.path))`, or change `\(nameKey)` in \(file)")
        // Looked up read-only first: opening the store for writing touches the file.
        if let reader = try? SweepStore.openReadOnly(path: database.path), try reader.read({ try $0.study(named: definition.study) }) != nil {
            throw exists
        }
        try FirstUseCleanup(database: database.path, study: definition.study).run {
            let store = try database.writer()
            if try store.read({ try $0.study(named: definition.study) }) != nil { throw exists }
            try SweepSession(databasePath: database.path, workers: workers, showProgress: !noProgress,
                             workerArguments: workerArguments, dashboard: dashboardOptions, listensPrivately: network.bind == nil).run { privateEndpoint in
                try Coordinator.create(definition, store: store, options: options.listening(on: privateEndpoint), security: security,
                                       log: Log(label: "coordinator", minimum: .warning))
            }
        }
    }
}

/// The endpoint of the coordinator that holds `study`, for `sweep worker --connect`. One
/// that is starting records it once it listens: waited for up to 2 s (two runs started
/// together: the one refused said `ENDPOINT`), then a placeholder that says where to look.
func joinEndpoint(database: String, study: String) -> String {
    let deadline = Date().timeIntervalSince1970 + 2
    repeat {
        if let endpoint = StudyLockHolder.endpoint(database: database, study: study) { return endpoint }
        usleep(100_000)
    } while Date().timeIntervalSince1970 < deadline
    return "ENDPOINT (the one that coordinator prints as it starts)"
}

/// `sweep resume STUDY`: continue an interrupted study.
struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue an interrupted study from its database.",
        discussion: """
            Finished trials are kept; trials that were running are re-adopted when their
            worker reconnects and still has them, otherwise re-run; the sampler and pruner
            continue from the recorded history. The sweep file stored with the study is
            used. Its data files are fingerprinted again: if they changed since the study
            began, resume stops (exit 2, naming both fingerprints and the files) unless
            --force. Local workers run a command study's program from the current
            directory: when a relative program or script is not there, resume stops (exit
            2) before anything runs; resume from where the study began. A study that
            stopped because the trials of its run all failed runs the rest of its budget;
            with --retry-failed, the parameters of its failed trials run again too (each
            as a new trial that adds to the budget; a grid's failed points run no other
            way). As with `sweep run`, without --bind it listens on a private Unix socket
            only, which it prints; --bind adds a TCP endpoint for workers elsewhere.

            Examples:
              sweep resume quickstart
              sweep resume quickstart --workers 0 --bind tcp://0.0.0.0:5555 --keys keys/
              sweep resume quickstart --add-trials 20
              sweep resume grid --retry-failed
            """)

    @Argument(help: "The study's name.") var study: String
    @Option(help: "Local worker processes, one per core by default.") var workers: Int = UsableCores.count
    @Option(help: "Raise the trial budget by this many trials (to at most 1000000 in all).") var addTrials: Int = 0
    @Flag(help: "Run the parameters of the failed trials again, each once, as new trials that add to the budget.") var retryFailed = false
    @Flag(help: "Continue although the data files changed since the study began (their fingerprint differs).") var force = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var network: CoordinatorNetworkOptions
    @Flag(help: "No live progress display.") var noProgress = false
    @OptionGroup var dashboard: DashboardFlags

    func run() throws {
        // From the start: a SIGTERM while the sweep is prepared stops it with 130 before
        // anything is written (it killed the process with 143, leaving an empty database).
        installStopSignals()
        try ResourceLimits.check(.coordinator)
        let dashboardOptions = try dashboard.options() // before anything is written
        guard workers >= 0 && workers <= maxLocalWorkers else { throw UsageError("--workers must be 0 to \(maxLocalWorkers), got \(workers)") }
        guard addTrials >= 0 else { throw UsageError("--add-trials must be >= 0, got \(addTrials)") }
        try StudyName.check(study)
        guard FileManager.default.fileExists(atPath: database.path) else {
            throw UsageError("no database at \(database.path) (pass --db PATH)")
        }
        let options = try network.coordinatorOptions(defaultBind: "tcp://127.0.0.1:0", database: database.path)
        let security = try network.security()
        let workerArguments = try localWorkerArguments(database.path, keys: network.keys, workers: workers)
        // Checked read-only first: opening the store for writing touches the file.
        let stored = try database.reader().read { try $0.requireStudy(named: study) }
        guard Budget.raised(stored.definition.budgetTrials, by: addTrials) != nil else {
            throw UsageError("--add-trials \(addTrials) would raise the budget of '\(study)' from \(stored.definition.budgetTrials) past the limit of \(Budget.maxTrials) trials")
        }
        if let problem = try SweepDefinition.addTrialsProblem(stored, adding: addTrials) { throw UsageError(problem) }
        let retryProblem = try RetryFailed.problem(stored)
        if retryFailed, let retryProblem { throw UsageError(retryProblem) }
        // (Read only when it decides something: a study of 50,000 trials reads them all.)
        let failedToRetry = { try database.reader().read { try RetryFailed.parameters(of: stored, $0).count } }
        let toRetry = retryFailed ? try failedToRetry() : 0
        let queued = try database.reader().read { try $0.enqueuedTrials(studyID: stored.id) }
        // A study that stopped because its trials all failed has budget left: resumed after a fix.
        let wallTimeSpent = stored.definition.wallTime.map { stored.runSeconds >= $0 } ?? false
        let budgetLeft = try database.reader().read { try $0.trialCount(studyID: stored.id) } < stored.definition.budgetTrials && !wallTimeSpent
        // More trials run nothing once the wall time is spent (the budget rose, 4/13, and the
        // run ended at once): what continues such a study is a larger wall_time.
        let raiseWallTime = "raise budget.wall_time in its sweep file, then `sweep coordinator FILE --db \(database.path) --resume --force` (it shows the change) and workers from `sweep worker --connect ENDPOINT`"
        if wallTimeSpent, addTrials > 0 || retryFailed || !queued.isEmpty {
            throw UsageError("study '\(study)' has spent its wall-time budget (\(Fmt.seconds(stored.definition.wallTime))): no trial would run; \(raiseWallTime)")
        }
        // (Said of a finished study too: a raised run_cap in the file was ignored without a word.)
        if let path = stored.definition.sweepPath, path.hasPrefix("/"),
           let onDisk = try? String(contentsOfFile: path, encoding: .utf8), onDisk.textLines != stored.definition.sweepFile.textLines {
            // Its `study:` renamed: the coordinator form would start a new, empty study.
            let coordinatorForm = "`sweep coordinator \(path) --db \(database.path) --resume` (it shows the changes; --force applies them) and workers from `sweep worker --connect ENDPOINT`"
            let named = (try? SweepDefinition.parseStored(text: onDisk, file: path))?.study
            let how = named.map { $0 == study ? coordinatorForm
                : "rename the study first (`sweep rename \(study) \($0) --db \(database.path)`: the file now names study '\($0)', and the coordinator form alone starts it as a new study), then \(coordinatorForm)" } ?? coordinatorForm
            StandardStream.error.write("note: \(path) changed since study '\(study)' began; resume continues with the sweep file stored in the database. To continue with the changed file: \(how)\n")
        }
        if stored.state == .finished && !budgetLeft && addTrials == 0 && queued.isEmpty && toRetry == 0 && !StudyLockBytes.isHeld(database: database.path, study: study) {
            // Nothing to run: no coordinator, no workers (they only said goodbye). (One that
            // holds the study is continuing it: refused below as for any running study.)
            if wallTimeSpent {
                print("study '\(study)' has finished: its wall-time budget (\(Fmt.seconds(stored.definition.wallTime))) is spent; to continue it, \(raiseWallTime)")
                return
            }
            let failed = retryFailed || retryProblem != nil ? 0 : try failedToRetry()
            // (Not offered where it is refused: a grid whose points have all run.)
            let more = try SweepDefinition.addTrialsProblem(stored, adding: 1) == nil
                ? "; `\(ShellCommand.resume(study, database: database.path, "--add-trials", "N"))` runs N more trials" : ""
            print("study '\(study)' has finished: nothing to resume\(more)"
                  + (failed > 0 ? (more.isEmpty ? "; --retry-failed runs" : ", and --retry-failed") + " the parameters of its \(failed) failed trial(s) again" : ""))
            return
        }
        if workers > 0, let definition = try? SweepDefinition.stored(stored),
           let problem = ProgramLocation.resumeProblem(for: definition, study: study, sweepPath: stored.definition.sweepPath) {
            throw UsageError(problem)
        }
        // A study another coordinator runs is refused before its data is hashed (the lock,
        // taken below, says so too; a large data set took its time to say it).
        if StudyLockBytes.isHeld(database: database.path, study: study) {
            throw StudyLockError.held(study: study, holder: StudyLockHolder.text(database: database.path, study: study) ?? "", action: nil)
        }
        let checkData = try DataPreflight.resumeCheck(stored, reader: try database.reader(), force: force)
        try FirstUseCleanup(database: database.path, study: study).run {
            let store = try database.writer()
            let record = try store.read { try $0.requireStudy(named: study) }
            if retryFailed {
                // Looked up again in the transaction that queues them (two resumes started
                // together queued each point twice), as `sweep enqueue` queues: taken first.
                let queuedNow = try store.write { tx in
                    let parameters = try RetryFailed.parameters(of: record, tx.queries)
                    try RetryFailed.enqueue(parameters, study: record, tx: tx, at: Date().timeIntervalSince1970)
                    return parameters.count
                }
                print(queuedNow > 0 ? "queued the parameters of \(queuedNow) failed trial(s) of '\(study)' to run again"
                                    : "no failed trial of '\(study)' to run again (none failed, or their parameters ran or wait to run since)")
            }
            try SweepSession(databasePath: database.path, workers: workers, showProgress: !noProgress,
                             workerArguments: workerArguments, dashboard: dashboardOptions, listensPrivately: network.bind == nil).run { privateEndpoint in
                try Coordinator.resume(study: study, store: store, options: options.listening(on: privateEndpoint), addTrials: addTrials, security: security,
                                       log: Log(label: "coordinator", minimum: .warning), checkData: checkData)
            }
        }
    }
}

/// `sweep coordinator FILE`: only the coordinator; workers join from anywhere.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run only the coordinator of a sweep; workers connect to it.",
        discussion: """
            Listens on tcp://127.0.0.1:5555 unless --bind says otherwise. Exits 1 when
            every trial of the study failed, or when the first 5 trials of the run all
            failed before reporting (it stops then).

            Examples:
              sweep coordinator sweeps/quickstart.yaml --bind tcp://127.0.0.1:5555
              sweep coordinator sweeps/schedules.yaml \\
                  --bind tcp://0.0.0.0:5555 --keys keys/ --db runs/schedules.db

            With --resume, an existing study of the same name is continued instead of
            refused; if FILE changed since the study began, the changes are shown and the
            command stops, unless --force continues with the new file (a changed objective
            or search space, a switch to a grid sampler, or a max_epochs below an epoch
            a running trial reached is refused). The replaced file is kept: `show`,
            `export` and `retrain` give each trial with the file it ran. Data files
            whose fingerprint changed since the study began stop it the same way (exit 2,
            naming both fingerprints); --force continues with the new data.
            """)

    @Argument(help: "The sweep file (YAML).", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var network: CoordinatorNetworkOptions
    @Flag(help: "Continue the study if it already exists.") var resume = false
    @Flag(help: "With --resume: continue with FILE although it changed since the study began.") var force = false
    @Flag(help: "No live progress display.") var noProgress = false
    @OptionGroup var dashboard: DashboardFlags

    func run() throws {
        // From the start: a SIGTERM while the sweep is prepared stops it with 130 before
        // anything is written (it killed the process with 143, leaving an empty database).
        installStopSignals()
        try ResourceLimits.check(.coordinator)
        let dashboardOptions = try dashboard.options() // before anything is written
        let definition = try resume ? definitionToResume() : DataPreflight.sweep(file)
        if !resume, let note = definition.rungEpochsNote { StandardStream.error.write("note: \(note)\n") }
        let options = try network.coordinatorOptions(defaultBind: "tcp://127.0.0.1:5555", database: database.path)
        let security = try network.security()
        /// Refuses an existing study unless --resume, and a changed file unless --force.
        func refuse(existing record: StudyRecord) throws {
            if !resume {
                // (--resume would then say that another coordinator runs it: say so now.)
                if StudyLockBytes.isHeld(database: database.path, study: definition.study) {
                    let join = joinEndpoint(database: database.path, study: definition.study)
                    throw UsageError("study '\(definition.study)' in \(database.path) is being run by another coordinator; add workers to it with `sweep worker --connect \(ShellCommand.quoted(join))`, or stop that one first")
                }
                throw UsageError("study '\(definition.study)' already exists in \(database.path); pass --resume to continue it")
            }
            // A changed file is not silently ignored: say what changed; continue with it only when forced.
            if var change = try definition.change(from: record), !force || change.unforceable != nil {
                change.database = database.path
                let recorded = (try? database.reader().read { try $0.dataFingerprint(studyID: record.id) }) ?? nil
                let data = change.unforceable == nil ? DataPreflight.dataChange(definition, recorded: recorded).map { "\nand \($0) (--force continues with the new data too)" } ?? "" : ""
                throw UsageError(change.description + data)
            }
            // A lower epoch cap than a trial left running has reached: continued, that trial
            // had its later reports refused as "malformed" and ended with a value its curve
            // lacks. Said before anything changes.
            let cap = definition.maxEpochs
            if cap < (record.definition.maxEpochs ?? Int.max) {
                let running = try database.reader().read { try $0.trials(studyID: record.id, states: [.running]) }
                if let past = running.filter({ $0.epochs > cap }).max(by: { $0.epochs < $1.epochs }) {
                    throw UsageError("the new max_epochs (\(cap)) is below epoch \(past.epochs), which trial \(past.number) of study '\(record.name)' reached before it was interrupted: resume with the stored file until the running trials end (`\(ShellCommand.resume(record.name, database: database.path))`), then lower it")
                }
            }
        }
        // Checked read-only first: opening the store for writing touches the file, and a
        // refusal leaves its bytes as they were.
        var checkData: (SweepDefinition, String?) throws -> SweepDefinition = { stored, recorded in
            try DataPreflight.resumed(stored, recorded: recorded, force: force)
        }
        if FileManager.default.fileExists(atPath: database.path), let reader = try? database.reader(),
           let record = try reader.read({ try $0.study(named: definition.study) }) {
            try refuse(existing: record)
            if try definition.change(from: record) == nil { checkData = try DataPreflight.resumeCheck(record, reader: reader, force: force) }
        }
        try FirstUseCleanup(database: database.path, study: definition.study).run {
            let store = try database.writer()
            let existing = try store.read { try $0.study(named: definition.study) }
            // --resume of a file that names no study here (its `study:` renamed, another
            // database): it starts one, said so, with the studies that are there.
            if resume, existing == nil {
                let others = try store.read { try $0.studies() }.map(\.name)
                let there = others.isEmpty ? "" : "; \(database.path) has \(others.map { "'\($0)'" }.joined(separator: ", ")) (renamed in the file? stop this and `sweep rename OLD \(definition.study) --db \(database.path)` first)"
                StandardStream.error.write("note: no study '\(definition.study)' in \(database.path) to resume: it starts as a new study\(there)\n")
            }
            if let record = existing {
                try refuse(existing: record)
                if let change = try definition.change(from: record) {
                    try definition.replaceStored(record, in: store, changedLines: change.lines, at: Date().timeIntervalSince1970)
                    // A budget cut below what the study has: it starts no trial and ends with
                    // those it has ("4/3 trials"): said, not left to be puzzled over.
                    let existing = try store.read { try $0.trialCount(studyID: record.id) }
                    if definition.budget.trials < existing {
                        StandardStream.error.write("note: the new budget (\(definition.budget.trials) trials) is below the \(existing) trials study '\(record.name)' has: it starts no new trial and ends when those end\n")
                    }
                }
            }
            try SweepSession(databasePath: database.path, workers: 0, showProgress: !noProgress, dashboard: dashboardOptions).run { _ in
                existing != nil
                    ? try Coordinator.resume(study: definition.study, store: store, options: options, security: security, checkData: checkData)
                    : try Coordinator.create(definition, store: store, options: options, security: security)
            }
        }
    }
}

extension CoordinatorCommand {
    /// FILE for --resume. Unchanged since its study began, it is read as `sweep resume` reads
    /// the stored copy: without the rules this version checks that the study's did not (a W&B
    /// key its distribution lacks, PBT without max_epochs), which refused the very file the
    /// study runs. A changed file, or one of a new study, must pass them.
    func definitionToResume() throws -> SweepDefinition {
        do {
            return try DataPreflight.sweep(file)
        } catch let refusal as ConfigError {
            // (Only a refusal of the file itself: its data is checked as a resume checks it.)
            guard let text = try? SweepDefinition.readText(file), (try? SweepDefinition.parse(text: text, file: file)) == nil,
                  let lenient = try? SweepDefinition.parseStored(text: text, file: file),
                  FileManager.default.fileExists(atPath: database.path),
                  let record = try? database.reader().read({ try $0.study(named: lenient.study) }),
                  record.definition.sweepFile.textLines == text.textLines
            else { throw refusal }
            StandardStream.error.write("note: study '\(record.name)' began with \(file) as it is, and resumes with it, although this version of Sweep refuses it for a new study: \(refusal)\n")
            return try SweepDefinition.stored(record)
        }
    }
}

/// `sweep worker --connect ENDPOINT`.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker that trains the trials a coordinator hands out.",
        discussion: """
            The worker trains with one BLAS thread (--threads for more), reports every
            epoch, stops when the pruner says so, and reconnects with back-off if the
            coordinator goes away (training goes on meanwhile). SIGTERM finishes the
            current epoch, hands the trial back and exits; a second one stops a program at
            once and hands its trial back. A worker whose host cannot start
            the program (3 failures in a row before a first report while others succeed)
            is held back, and quarantined (exit 1) when its trials get further elsewhere;
            --workers-per-host starts its workers again when they are killed.

            Examples:
              sweep worker --connect tcp://127.0.0.1:5555
              sweep worker --connect tcp://10.0.0.5:5555 \\
                  --keys keys/ --key-name worker-3 --forever
            """)

    @Option(help: ArgumentHelp("The coordinator's endpoint.", valueName: "endpoint")) var connect: String
    @Option(help: "Stable worker id (default HOST-PID-RANDOM).") var id: String?
    @Option(help: "Leave after this many trials.") var maxTrials: Int?
    @Option(help: ArgumentHelp("Directory made by `sweep keygen` (CURVE).", valueName: "dir"), completion: .directory) var keys: String?
    @Option(help: "Which worker key of the key directory to use.") var keyName: String = "worker"
    @Flag(help: "Stay after a study ends and wait for the next one (long-lived workers).") var forever = false
    @Option(help: "Exit when no coordinator answered for this many seconds.") var giveUpAfter: Double?
    @Option(help: "Heartbeat interval in milliseconds.") var heartbeatMs: Int = 1000
    @Option(help: "Missed heartbeats before the coordinator counts as gone.") var liveness: Int = 5
    @Option(help: .hidden) var parentPid: Int32?
    @Option(help: "Host name to announce (default: this machine's name; useful in containers).") var host: String?
    @Option(help: "Start this many worker processes on this host (usually one per core).") var workersPerHost: Int = 1
    @Option(help: "BLAS threads per trial (1 when each core runs its own worker; e.g. 4 with --workers-per-host 4 on 16 cores).") var threads: Int = 1
    @Flag(help: "Log only warnings and errors.") var quiet = false
    @Flag(help: "Run command trials (the sweep's own programs, docs/commands.md); without it they fail.") var allowCommands = false
    @Option(help: ArgumentHelp("Where command trials' stdout/stderr are kept (default: $TMPDIR/sweep-logs-UID, UID your user id).", valueName: "dir"), completion: .directory) var logDir: String?
    @Option(help: ArgumentHelp("Where data sets shipped by the coordinator are cached by content (default: $XDG_CACHE_HOME/sweep/data, else ~/.cache/sweep/data; without a home this user can write in, $TMPDIR/sweep-data-UID).", valueName: "dir"), completion: .directory) var dataCache: String?
    @Option(help: ArgumentHelp("MiB all command logs in the log directory may take; the oldest attempts' logs are removed past it or past 10,000 attempts (0: keep all; the coordinator keeps each attempt's last 4,000 characters).", valueName: "MiB"))
    var keepLogs: Int = 1024

    func run() throws {
        try ResourceLimits.check(.worker)
        if let m = maxTrials, m < 1 { throw UsageError("--max-trials must be >= 1, got \(m)") }
        // (With --workers-per-host each process's id is this one with "-N" added.)
        if let id, let problem = Wire.workerIDProblem(workersPerHost > 1 ? "\(id)-\(workersPerHost)" : id) {
            throw UsageError("--id \(TextTable.oneLine(id)): \(problem)\(id.utf8.count > 250 ? " (\(id.utf8.count) bytes)" : "")")
        }
        if let problem = EndpointOption.problem(connect, option: "--connect", listening: false) { throw UsageError(problem) }
        if let warning = EndpointOption.unresolvedHostWarning(connect) { StandardStream.error.write(warning + "\n") }
        try validateTiming(heartbeatMs: heartbeatMs, liveness: liveness)
        if let g = giveUpAfter, !(g > 0) { throw UsageError("--give-up-after must be > 0, got \(g)") }
        guard workersPerHost >= 1 && workersPerHost <= maxLocalWorkers else { throw UsageError("--workers-per-host must be 1 to \(maxLocalWorkers), got \(workersPerHost)") }
        guard (1...256).contains(threads) else { throw UsageError("--threads must be between 1 and 256, got \(threads)") }
        guard (0...(1 << 30)).contains(keepLogs) else { throw UsageError("--keep-logs must be between 0 (keep all) and \(1 << 30) MiB, got \(keepLogs)") }
        if workersPerHost > 1 { return try superviseWorkers() }
        // A second signal hands the running trial back at once (a third exits at once).
        installStopSignals(forceOnSecond: true)
        if let parentPid {
            // A local worker of `sweep run`: the parent decides when it stops (it forwards
            // SIGTERM), so a Ctrl-C or a dropped session's SIGHUP must not reach it twice.
            signal(SIGINT, SIG_IGN)
            signal(SIGHUP, SIG_IGN)
            dieWithParent(parentPid)
        }
        setenv("OPENBLAS_NUM_THREADS", "\(threads)", 1)
        var curve: WorkerCurveKeys?
        if let keys {
            let directory = KeyDirectory(path: keys)
            curve = try directory.workerKeys(name: keyName)
            // Not for local workers of `sweep run`, which share the coordinator's directory.
            if parentPid == nil {
                for warning in directory.workerHostWarnings(name: keyName) { StandardStream.error.write("warning: \(warning)\n") }
            }
        } else if keyName != "worker" {
            throw UsageError("--key-name \(keyName) needs --keys DIR (without it the worker connects without CURVE)")
        }
        var options = WorkerOptions(connect: connect, id: id, maxTrials: maxTrials, heartbeatMs: heartbeatMs, liveness: liveness,
                                    forever: forever, giveUpAfterSeconds: giveUpAfter, threads: threads, curve: curve)
        if let host { options.host = host }
        options.allowCommands = allowCommands
        if let logDir { options.logDirectory = logDir }
        options.keptLogBytes = keepLogs == 0 ? nil : keepLogs << 20
        if let dataCache { options.dataCache = dataCache } else if !quiet, let note = DataContentCache.fallbackNote { StandardStream.error.write("note: \(note)\n") }
        let worker = Worker(options: options, log: Log(label: "worker \(options.id)", minimum: quiet ? .warning : .info))
        // (One process per worker; `--workers-per-host` starts several of these.)
        let summary = try worker.run(stop: processStop, stopNow: processForce)
        if !quiet || summary.failed {
            let failed = summary.trialsFailed > 0 ? " (\(summary.trialsFailed) failed)" : ""
            StandardStream.error.write("worker \(options.id): \(summary.reason); \(summary.trialsDone) trial(s) done\(failed)\n")
        }
        if summary.failed { throw CommandFailure("") }
    }

    /// `HOST-PID-XXXX`, to which each worker's number is added: with a random part, as a
    /// single worker's id has (two containers on one host name both run as pid 1, and their
    /// workers took each other's trials, over and over).
    static func defaultIDPrefix() -> String {
        "\(hostShortName())-\(getpid())-\(String(UInt32.random(in: 0..<UInt32.max), radix: 36))"
    }

    /// `--workers-per-host N`: N worker processes of this command, stopped together.
    private func superviseWorkers() throws {
        installStopSignals()
        var arguments: [String] = []
        if let maxTrials { arguments += ["--max-trials", "\(maxTrials)"] }
        if let keys { arguments += ["--keys", keys, "--key-name", keyName] }
        if forever { arguments.append("--forever") }
        if let giveUpAfter { arguments += ["--give-up-after", "\(giveUpAfter)"] }
        arguments += ["--heartbeat-ms", "\(heartbeatMs)", "--liveness", "\(liveness)"]
        if let host { arguments += ["--host", host] }
        arguments += ["--threads", "\(threads)"]
        if allowCommands { arguments.append("--allow-commands") }
        if let logDir { arguments += ["--log-dir", logDir] }
        arguments += ["--keep-logs", "\(keepLogs)"]
        if let dataCache { arguments += ["--data-cache", dataCache] }
        if quiet { arguments.append("--quiet") }
        let workers = LocalWorkers(logDirectory: nil)
        try workers.start(count: workersPerHost, endpoint: connect, idPrefix: id ?? Self.defaultIDPrefix(), extraArguments: arguments)
        workers.superviseInBackground { !processStop.isSet }
        StandardStream.error.write("started \(workersPerHost) workers connecting to \(connect)\n")
        while workers.running > 0 {
            if processStop.isSet {
                workers.stop(timeout: 900) // each finishes its epoch and hands its trial back
                break
            }
            usleep(100_000)
        }
        if !workers.allSucceeded { throw CommandFailure("a worker process failed") }
    }
}

/// The most worker processes one command starts on its machine: `--workers` of a huge
/// number was a fork bomb (600 processes in seconds, surviving their parent).
let maxLocalWorkers = 1024

/// Local workers of `sweep run`/`sweep resume` run the user's own sweep file, so they run
/// its commands, keeping their logs beside the database (`DB.logs/STUDY/...`), all of them:
/// they are the study's.
func localCommandArguments(_ databasePath: String) -> [String] {
    ["--allow-commands", "--log-dir", commandLogDirectory(databasePath), "--keep-logs", "0"]
}

/// What `sweep run`/`resume` pass their local workers: the command-trial settings and,
/// with `--keys`, a worker key of that directory (CURVE guards every endpoint of the
/// coordinator, the local one included, so local workers need an authorized key too).
func localWorkerArguments(_ databasePath: String, keys: String?, workers: Int) throws -> [String] {
    var arguments = localCommandArguments(databasePath)
    guard let keys, workers > 0 else { return arguments }
    guard let name = try KeyDirectory(path: keys).localWorkerKeyName() else {
        throw UsageError("--keys \(keys): the local workers need a worker key in \(keys)/workers/ that \(keys)/authorized_workers lists (`sweep keygen` writes them); or start no local workers (--workers 0)")
    }
    arguments += ["--keys", keys, "--key-name", name]
    return arguments
}

/// Where local workers keep command trials' stdout/stderr.
func commandLogDirectory(_ databasePath: String) -> String { DatabaseSidecar.path(of: databasePath, ".logs") }

/// Heartbeat settings both sides accept: from 10 ms to a minute, 2 to 100 missed beats.
func validateTiming(heartbeatMs: Int, liveness: Int) throws {
    guard (10...60_000).contains(heartbeatMs) else { throw UsageError("--heartbeat-ms must be between 10 and 60000, got \(heartbeatMs)") }
    guard (2...100).contains(liveness) else { throw UsageError("--liveness must be between 2 and 100, got \(liveness)") }
}
