import SweepSupport
import ArgumentParser
import Foundation
import Store
import SweepFile

/// `sweep status STUDY`: progress from the database, once or refreshing.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a study's progress: trials by state, workers per host, best so far, throughput, ETA.",
        discussion: """
            Reads the database (safe while the sweep runs). With --watch it refreshes in
            place on a terminal (plain blocks every --interval seconds otherwise) until
            the study finishes, or until it is interrupted (exit 1). A study that no
            coordinator runs (stopped by Ctrl-C or a crash) shows as INTERRUPTED, with
            its elapsed time standing still, until `sweep resume` continues it. A
            coordinator that holds the study but has recorded no running time for
            --stalled-after seconds (stopped by SIGSTOP or a suspended terminal, or
            stuck) is said to be so under the block; one on this machine that is
            stopped is said so at once, without --watch too.

            Examples:
              sweep status quickstart
              sweep status quickstart --watch --db runs/quickstart.db
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    @Flag(help: "Keep refreshing until the study finishes (Ctrl-C to leave).") var watch = false
    @Option(help: "Seconds between refreshes with --watch.") var interval: Double = 1
    @Option(help: ArgumentHelp("With --watch: say when the coordinator has recorded no running time for this long (it records every second while it runs).", valueName: "seconds"))
    var stalledAfter: Double = 30
    @Option(help: "Output format: table or json (json prints once).") var format: TableOrJSON = .table

    struct StatusJSON: Encodable {
        var study: JSONOutput.Study
        var finished: Int
        var remaining: Int
        /// Seconds a coordinator ran the study, interruptions left out.
        var elapsed_s: Double?
        var throughput_per_s: Double?
        var eta_s: Double?
        var best: JSONOutput.Trial?
        var workers: [WorkerJSON]
        /// Workers quarantined in this study, with their last error.
        var quarantined: [QuarantinedJSON]
        /// Where more workers join the running study (`sweep worker --connect`).
        var endpoint: String?
        /// A Population Based Training study's progress in epochs.
        var population: PopulationJSON?
    }

    struct PopulationJSON: Encodable {
        var members: Int
        var epochs_per_member: Int
        var epochs_done: Int
        var epochs_total: Int
        var epochs_per_s: Double?
        /// The member whose latest report is best, while none has completed.
        var leading: LeaderJSON?

        init(_ p: PopulationProgress, rate: Double?) {
            members = p.members
            epochs_per_member = p.epochsPerMember
            epochs_done = p.epochsDone
            epochs_total = p.epochsTotal
            epochs_per_s = rate
            leading = p.leader.map { LeaderJSON(trial: JSONOutput.Trial($0.trial), value: $0.value, epoch: $0.epoch) }
        }
    }

    struct LeaderJSON: Encodable {
        var trial: JSONOutput.Trial
        var value: Double
        var epoch: Int
    }

    struct QuarantinedJSON: Encodable {
        var worker: String
        var host: String
        var last_error: String?
        var quarantined_at: Double?
    }

    struct WorkerJSON: Encodable {
        var worker: String
        var host: String
        var trial: Int?
        var epoch: Int?
        var trials_done: Int
        var last_seen: Double
    }

    func run() throws {
        guard interval > 0 else { throw UsageError("--interval must be > 0") }
        guard stalledAfter > 0 else { throw UsageError("--stalled-after must be > 0, got \(stalledAfter)") }
        try StudyName.check(study)
        let reader = try database.reader()
        _ = try reader.read { try $0.requireStudy(named: study) }
        if format == .json {
            let snapshot = try self.snapshot(reader)
            let p = snapshot.progress
            let studyJSON = JSONOutput.Study(p.study, phase: snapshot.phase, counts: p.counts)
            let json = StatusJSON(study: studyJSON, finished: p.finished, remaining: p.remaining, elapsed_s: snapshot.elapsed,
                                  throughput_per_s: p.throughput, eta_s: snapshot.phase == .running ? p.eta : nil, best: p.best.map { JSONOutput.Trial($0) },
                                  // Only while it runs: an interrupted study's rows name workers that are gone.
                                  workers: (snapshot.phase == .running ? p.workers : []).map { WorkerJSON(worker: $0.worker, host: $0.host, trial: $0.trialNumber, epoch: $0.epoch, trials_done: $0.trialsDone, last_seen: $0.lastSeen) },
                                  quarantined: p.quarantined.map { QuarantinedJSON(worker: $0.worker, host: $0.host, last_error: $0.lastError, quarantined_at: $0.quarantinedAt) },
                                  endpoint: snapshot.joinEndpoint, population: p.population.map { PopulationJSON($0, rate: p.epochRate) })
            print(try JSONOutput.render(json))
            return
        }
        guard watch else {
            let snapshot = try self.snapshot(reader)
            print((StatusView.lines(snapshot) + [StallWatch.stoppedNote(snapshot)].compactMap { $0 }).joined(separator: "\n"))
            return
        }
        installStopSignals()
        let display = LiveDisplay()
        var sawItRun = false
        var stall = StallWatch(after: stalledAfter)
        while !processStop.isSet {
            let snapshot = try self.snapshot(reader)
            var lines = StatusView.lines(snapshot)
            if let note = stall.note(snapshot, now: Date().timeIntervalSince1970) { lines.append(note) }
            display.show(lines)
            if snapshot.phase == .finished { break }
            // Its coordinator stopped (Ctrl-C, a crash): it finishes only after a resume, and
            // a script waiting on --watch waited for good.
            if snapshot.phase == .interrupted && sawItRun {
                display.finish(keep: true)
                throw CommandFailure("study '\(study)' was interrupted while watched: no coordinator runs it; `\(ShellCommand.resume(study, database: database.path))` continues it")
            }
            sawItRun = sawItRun || snapshot.phase == .running
            if !display.isTerminal { print("") }
            // Its reader is gone (`--watch | head -2`): it went on until the study finished,
            // hours later, each write failing. Ends as a pipeline's writer does (141), and
            // on any other failed write (a full disk, a closed stdout) with exit 1.
            if StandardStream.readerLeft || StandardStream.failure != nil { return }
            var waited = 0.0
            while waited < interval && !processStop.isSet { usleep(50_000); waited += 0.05 }
        }
        display.finish(keep: true)
    }

    private func snapshot(_ reader: StoreReader) throws -> StatusSnapshot {
        try StatusSnapshot.load(reader, study: study, databasePath: database.path, now: Date().timeIntervalSince1970)
    }
}

/// Whether the coordinator running a study goes on recording its running time (every second
/// while its loop runs): one stopped with SIGSTOP, or stuck, holds the study's lock and
/// showed as RUNNING with the numbers standing still, unsaid.
struct StallWatch {
    let after: Double
    /// The running time last read, and when it was first read so.
    private var last: (seconds: Double, since: Double)?

    init(after: Double) { self.after = after }

    /// A line for the status block when the running time has stood still for ``after``
    /// seconds of a running study, else nil.
    mutating func note(_ snapshot: StatusSnapshot, now: Double) -> String? {
        guard snapshot.phase == .running else {
            last = nil
            return nil
        }
        if let stopped = Self.stoppedNote(snapshot) { return stopped }
        let recorded = snapshot.progress.study.runSeconds
        guard let seen = last, seen.seconds == recorded else {
            last = (recorded, now)
            return nil
        }
        guard now - seen.since >= after else { return nil }
        let holder = StudyLockHolder.text(database: snapshot.databasePath, study: snapshot.progress.study.name)
            .map { $0.components(separatedBy: StudyLockHolder.listeningMark)[0] }
        return "  the coordinator\(holder.map { " (\($0))" } ?? "") has recorded no running time for \(Int(now - seen.since)) s: "
            + "it is stopped (SIGSTOP, a suspended terminal: `kill -CONT PID` resumes it) or stuck"
    }

    /// A line for a running study whose coordinator runs on this machine and is stopped
    /// (state T in /proc: SIGSTOP, a suspended terminal), else nil. Needs no history, so
    /// a one-shot `status` says it too.
    static func stoppedNote(_ snapshot: StatusSnapshot) -> String? {
        guard snapshot.phase == .running,
              let text = StudyLockHolder.text(database: snapshot.databasePath, study: snapshot.progress.study.name),
              let (pid, host) = StudyLockHolder.process(in: text), host == ProcessInfo.processInfo.hostName,
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let state = stat[stat.index(after: close)...].first(where: { $0 != " " }), state == "T" || state == "t" else { return nil }
        // (`t`: stopped by a debugger or tracer, which resumes it; SIGCONT does not.)
        return state == "t" ? "  the coordinator (pid \(pid) on \(host)) is stopped by a debugger or tracer (gdb, strace): resume it there"
            : "  the coordinator (pid \(pid) on \(host)) is stopped (SIGSTOP, a suspended terminal): `kill -CONT \(pid)` resumes it"
    }
}
