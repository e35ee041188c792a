import Cluster
import Foundation
import Search
import Store
import SweepDashboard
import SweepSupport
import Synchronization

/// Runs a coordinator in this process (on the calling thread, which owns its sockets),
/// optionally with local worker processes, and shows progress from the database on a
/// second thread. Shared by `sweep run`, `sweep resume` and `sweep coordinator`.
struct SweepSession {
    var databasePath: String
    var workers: Int
    var showProgress: Bool
    var quietWorkers: Bool = true
    var workerArguments: [String] = []
    /// `--dashboard`: serve the dashboard and the coordinator's /metrics from this process.
    var dashboard: DashboardOptions? = nil
    /// Listen on a private Unix socket only (`run`/`resume` without `--bind`): a TCP port,
    /// even on loopback, lets every local user join as a worker, and be sent the command,
    /// its `environment:` values and the data. `makeCoordinator` gets the socket's endpoint
    /// to bind (nil: bind as its options say).
    var listensPrivately = false

    /// Runs until the study ends or Ctrl-C; prints the best trials at the end.
    ///
    /// `makeCoordinator` gets the private endpoint to listen on instead of its `bind`
    /// (``listensPrivately``), or nil.
    func run(_ makeCoordinator: (_ privateEndpoint: String?) throws -> Coordinator) throws {
        installStopSignals(forceOnSecond: true)
        // The dashboard listens first: a busy port must refuse the command before the study
        // exists (a re-run would otherwise be told the study already exists).
        var dashboardServer: (server: DashboardServer, port: Int)?
        if let dashboard {
            let server = DashboardServer(databasePath: databasePath, options: dashboard, withCoordinator: true) { requestStop() }
            do {
                dashboardServer = (server, try server.startInBackground())
            } catch {
                // The machine's state, not the command line (exit 1, as a busy --bind port).
                throw CommandFailure("--dashboard: cannot listen on \(dashboard.host):\(dashboard.port): \(DashboardServer.listenFailure(error))")
            }
        }
        // Stopped while starting (a SIGTERM in the first milliseconds): nothing is created.
        if processStop.isSet { throw StoppedBeforeStart() }
        // Local workers talk over a Unix socket (a quicker round trip than TCP loopback:
        // ~15% more zero-cost trials/s with one worker, bench/README.md), in a directory only
        // this user can enter, removed when this returns. Without one (no writable TMPDIR),
        // they use the TCP endpoint.
        var ipc: LocalEndpoint?
        if workers > 0 || listensPrivately {
            do {
                ipc = try LocalEndpoint()
            } catch {
                StandardStream.error.write("note: no private socket (\(error)): "
                    + (listensPrivately ? "listening on TCP loopback, which every local user can reach\n" : "local workers use the TCP endpoint\n"))
            }
        }
        defer { ipc?.remove() }
        let privateEndpoint = listensPrivately ? ipc?.endpoint : nil
        let coordinator = try makeCoordinator(privateEndpoint)
        let study = coordinator.studyName
        // The file `--db` named at the start, through any symbolic link (removing the link
        // leaves the run alone, as the coordinator's own watch has it; it was called lost).
        let realDatabasePath = RealPath.of(databasePath)
        let fileAtStart = FileStamp(path: realDatabasePath)
        print("study '\(study)' listening on \(coordinator.endpoint); database \(databasePath)")
        // On TCP without keys any process that reaches the port takes trials: on loopback,
        // any user of the host (another user's `sweep worker` ran this study's program).
        if !listensPrivately, coordinator.endpoint.hasPrefix("tcp://"), !coordinator.requiresKeys {
            StandardStream.error.write("note: without --keys, any worker that reaches \(coordinator.endpoint) takes trials (on loopback, any user of this host); see docs/commands.md, \"Security\"\n")
        }
        if let (server, port) = dashboardServer, let dashboard {
            coordinator.metrics = server.recorder
            server.coordinating(study: study)
            print("dashboard on http://\(DashboardFlags.urlHost(dashboard.host)):\(port)/")
        }
        let local = LocalWorkers(logDirectory: nil)
        if workers > 0 {
            var endpoint = coordinator.endpoint
            if let ipc, privateEndpoint == nil {
                do {
                    try coordinator.listenLocally(ipc.endpoint)
                    endpoint = ipc.endpoint
                } catch {
                    StandardStream.error.write("note: local workers use \(endpoint): cannot listen on \(ipc.endpoint): \(error)\n")
                }
            }
            try local.start(count: workers, endpoint: endpoint, extraArguments: (quietWorkers ? ["--quiet"] : []) + workerArguments,
                            joinEndpoint: StudyLock.joinable(coordinator.endpoint))
            local.superviseInBackground { !processStop.isSet }
        }
        let display = ProgressThread(databasePath: databasePath, readingFrom: realDatabasePath, study: study, enabled: showProgress)
        display.start()
        let summary: CoordinatorSummary
        do {
            // Ctrl-C: local workers finish their epoch and hand their trials back before we leave.
            summary = try coordinator.run(stop: processStop, force: processForce, drainSeconds: workers > 0 ? 60 : 0) {
                local.signalAll(SIGTERM)
                // The live block says so itself; without it, one line (the command waits).
                if !showProgress, coordinator.runningTrials > 0 {
                    StandardStream.error.write(StatusView.stoppingNote(running: coordinator.runningTrials) + "\n")
                }
            }
        } catch {
            display.stop()
            local.stop(timeout: 5)
            throw CommandFailure("coordinator failed: \(DatabaseFailure.describe(error) ?? "\(error)")")
        }
        display.stop()
        // A finished study is free at once: its port and lock go (the workers' `stop`s still
        // go out within the socket's linger), so `sweep resume` may take it while this
        // process prints, waits for its workers or lingers with its dashboard.
        // So is one stopped from the dashboard: its page sees it interrupted, not RUNNING
        // (the lock held here), while the dashboard lingers.
        let stoppedFromPage = dashboardServer?.server.wasStoppedFromDashboard == true && !summary.finished
        if summary.finished || stoppedFromPage { coordinator.close() }
        dashboardServer?.server.sweepEnded()
        if summary.finished {
            // The workers it told to stop leave within milliseconds; one that had not yet
            // connected when the study ended (a short study, a busy machine) never hears it,
            // and waited 5 s before. SIGTERM ends an idle worker at once; one still ending a
            // program (a target reached mid-trial) leaves once the program's kill_grace is
            // over, so it gets that long before SIGKILL, which would orphan the program.
            if !local.waitForExit(timeout: 0.25) { local.stop(timeout: 15) }
        } else {
            // Interrupted twice: their trials are already recorded as handed back.
            local.stop(timeout: processForce.isSet ? 1 : 10)
        }
        // Removed or replaced while it ran: the coordinator stopped and saved what it recorded
        // (its models, checkpoints and logs linked under the copy's name).
        if let lost = summary.databaseLost {
            throw CommandFailure("the database \(databasePath) was \(lost.what) while the sweep ran: the run stopped, "
                + (lost.rescuedTo.map { "and what it recorded is saved in \($0): `\(ShellCommand.resume(study, database: $0))` continues it" }
                    ?? "and what it recorded could not be saved: \(summary.reason)"))
        }
        // (Between the coordinator's last look and its end: what it recorded went with the
        // file it was. The summary said "no database at ... (pass --db PATH)", exit 2.)
        if let before = fileAtStart, FileStamp(path: realDatabasePath).map({ $0.isSameFile(as: before) }) != true {
            let now = FileStamp(path: realDatabasePath) == nil ? "removed" : "replaced by another file"
            throw CommandFailure("the database \(databasePath) was \(now) while the sweep ran: what this run recorded went with the \(now == "removed" ? "removed file" : "file it replaced"), which cannot be opened again")
        }
        try printSummary(summary, readingFrom: realDatabasePath)
        // A stop from the dashboard ends the run as the study's end does for its pages and
        // the linger (the page that stopped it froze on "running", the linger was skipped);
        // Ctrl-C here means leave now.
        if summary.finished || stoppedFromPage { dashboardServer?.server.letOpenPagesSeeTheEnd() }
        if summary.finished || stoppedFromPage, let linger = dashboard?.linger, linger > 0 {
            // The coordinator is done; its final numbers stay readable for a while (the study
            // is free meanwhile: the lock held here refused a resume until the dashboard went).
            // (After a stop, processStop is already set: a Ctrl-C then sets processForce.)
            let deadline = Date().addingTimeInterval(linger)
            while Date() < deadline && !(stoppedFromPage ? processForce.isSet : processStop.isSet) { usleep(50_000) }
        }
        // Like a shell's status for a command stopped by Ctrl-C (everything is committed): a
        // script running `sweep run X && next` must not go on as if the study had finished.
        if !summary.finished || processForce.isSet {
            ipc?.remove() // exit() skips the `defer`
            Foundation.exit(130)
        }
    }

    /// `file`: the database file, read through its real path (the link `--db` named may be gone).
    private func printSummary(_ summary: CoordinatorSummary, readingFrom file: String) throws {
        let reader = try SweepStore.openReadOnly(path: file)
        let (study, snapshot, best) = try reader.read { q in
            let s = try q.requireStudy(named: summary.study)
            return (s, try StatusSnapshot.load(q, study: s, databasePath: databasePath, now: Date().timeIntervalSince1970,
                                               phase: summary.finished && !summary.gaveUp && !summary.dataChanged ? .finished : .interrupted),
                    try q.best(study: s, top: 5))
        }
        print("")
        for line in StatusView.lines(snapshot).prefix(3) { print(line) }
        let c = summary.counters
        if c.malformed + c.oversized + c.unknownType + c.badVersion + c.rejectedPeers > 0 {
            print("  dropped messages: \(c.malformed) malformed, \(c.oversized) oversized, \(c.unknownType) unknown, \(c.badVersion) bad version; \(c.rejectedPeers) peers rejected")
        }
        if c.pausesWithoutCheckpoint > 0 {
            // Else a PBT study without checkpoints ran as a plain random search, exit 0, unsaid.
            let first = try reader.read { q in try q.events(studyID: study.id, kinds: [.warning]).first { $0.message.contains("where it would pause, without a checkpoint") } }
            print("warning: \(c.pausesWithoutCheckpoint) trial(s) reached a pause of the scheduler without a checkpoint and went on without pausing\(first.map { ", e.g. \($0.message)" } ?? "")")
        }
        // Files that could not be written (a full disk): said here, not only in the events.
        if c.modelsNotKept > 0 {
            let first = try reader.read { q in try q.events(studyID: study.id, kinds: [.warning]).first { $0.message.contains("model of trial") && $0.message.contains("not kept") } }
            print("warning: \(c.modelsNotKept) trained model(s) not kept\(first.map { ", e.g. \($0.message)" } ?? ""); `sweep model` cannot export or use them")
        }
        // Trials that could not continue from a checkpoint after a crash found it out then.
        if c.checkpointsRefused > 0 {
            let first = try reader.read { q in try q.events(studyID: study.id, kinds: [.warning]).first { $0.message.contains("checkpoint of trial") && $0.message.contains("--checkpoint-limit") } }
            print("warning: \(c.checkpointsRefused) checkpoint(s) not kept: the running trials' checkpoints would pass --checkpoint-limit\(first.map { " (e.g. \($0.message))" } ?? ""); a trial whose worker is lost continues from an older checkpoint, or starts over: raise --checkpoint-limit")
        }
        if c.checkpointsUnwritten > 0 {
            let first = try reader.read { q in try q.events(studyID: study.id, kinds: [.warning]).first { $0.message.contains("checkpoint of trial") && $0.message.contains("cannot write") } }
            print("warning: \(c.checkpointsUnwritten) checkpoint(s) could not be written\(first.map { ", e.g. \($0.message)" } ?? ""); their trials went on without pausing there, or continue from an older checkpoint")
        }
        // A program that reports once gains nothing from pruning: its trials below the
        // median ended PRUNED though they had finished, unsaid (Optuna prunes an objective
        // that asks should_prune() after its only report, too).
        let once = try reader.read { q in try q.oneReportTrials(studyID: study.id) }
        // (A trial that completed after one report shows the program reports once: trials a
        // pruner stopped at their first report say nothing of how many they would send.)
        if once.prunedAtIt > 0, once.oneReport == once.ended, once.ended >= 2, once.oneReport > once.prunedAtIt {
            print("note: every trial reported once, and \(once.prunedAtIt) of them were pruned at that report (PRUNED trials are not ranked by `sweep best`); a program that reports once gains nothing from pruning: write `pruner: {name: none}` in its sweep file")
        }
        // A resumed study's block shows the time over all runs: say which this one is.
        let took = Fmt.seconds(summary.seconds) + (snapshot.elapsed.map { $0 > summary.seconds + 1 ? " (this run; \(Fmt.seconds($0)) over all runs)" : "" } ?? "")
        if summary.gaveUp || summary.dataChanged {
            print("study '\(study.name)' stopped after \(took): \(summary.reason)")
        } else if summary.finished {
            print("study '\(study.name)' finished in \(took): \(summary.reason)")
        } else {
            print("study '\(study.name)' interrupted after \(took); continue it with: \(ShellCommand.resume(study.name, database: databasePath))")
        }
        if !best.isEmpty {
            print("best trials:")
            try TrialListing.print(best, study: study, format: .table)
        }
        let p = snapshot.progress
        if summary.finished && p.count(.fail) > 0 && p.count(.complete) + p.count(.pruned) == 0 {
            // Every trial failed: nothing was learned, and a script must notice (exit 1).
            // (After an early give-up the error and its output were just printed: not twice.)
            let error = summary.gaveUp ? nil : try reader.read { q in try q.trials(studyID: study.id, states: [.fail], limit: 1).first?.error }
            throw CommandFailure("\(p.count(.fail) == 1 ? "the 1 trial" : "all \(p.count(.fail)) trials") of study '\(study.name)' failed\(error.map { "; the first error: \($0)" } ?? (summary.gaveUp ? " (above)" : "")); see `sweep trials \(study.name) --state FAIL --db \(databasePath)`")
        }
        if summary.dataChanged {
            // (What changed and what to do were just printed.)
            throw CommandFailure("study '\(study.name)' stopped because its data changed; restore it, then `\(ShellCommand.resume(study.name, database: databasePath))`")
        }
        if summary.gaveUp {
            // Earlier runs' trials ended well, this run's all failed (a resume from a shell
            // without the program's environment was 37 FAIL and exit 0).
            throw CommandFailure("study '\(study.name)' stopped because the trials of this run all failed; see `\(ShellCommand.sweep(["trials", study.name, "--state", "FAIL", "--db", databasePath]))`, and continue with `\(ShellCommand.resume(study.name, database: databasePath))` once it is fixed")
        }
    }
}

/// Refreshes the status block from the database twice a second on its own thread.
final class ProgressThread: Sendable {
    private let databasePath: String
    private let file: String
    private let study: String
    private let enabled: Bool
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    /// `file`: the path to open (the real one, when `databasePath` is a symbolic link).
    init(databasePath: String, readingFrom file: String, study: String, enabled: Bool) {
        self.databasePath = databasePath
        self.file = file
        self.study = study
        self.enabled = enabled
    }

    func start() {
        guard enabled else { done.signal(); return }
        // (Without a thread to be had, no live display: stop() must not wait for one.)
        let started = StartedThread.start(name: "sweep-progress") { [self] in
            loop()
            done.signal()
        }
        if !started { done.signal() }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        done.wait()
    }

    private func loop() {
        let display = LiveDisplay()
        // Without a terminal, a plain status block every 10 s is enough.
        let interval = display.isTerminal ? 0.5 : 10.0
        var reader: StoreReader?
        var next = Date().timeIntervalSince1970 + (display.isTerminal ? 0.5 : interval)
        var sawStop = false
        while !stopping.load(ordering: .relaxed) {
            usleep(50_000)
            let now = Date().timeIntervalSince1970
            // A stop is shown at once, not at the next refresh (10 s without a terminal).
            if processStop.isSet && !sawStop { sawStop = true; next = now }
            guard now >= next else { continue }
            next = now + interval
            if reader == nil { reader = try? SweepStore.openReadOnly(path: file) }
            guard let reader, var snapshot = try? reader.read({ q -> StatusSnapshot? in
                guard let s = try q.study(named: study) else { return nil }
                return try StatusSnapshot.load(q, study: s, databasePath: databasePath, now: now, phase: .running)
            }) else { continue }
            snapshot.stopping = processStop.isSet
            display.show(StatusView.lines(snapshot))
        }
        // The summary that follows repeats the block's first lines: show them once.
        display.finish(keep: false)
    }
}
