import Foundation
import JSONValue
import SweepFile
import SweepSupport

/// The user's own program as a trial (docs/commands.md): started as a child process, its
/// reports relayed to the coordinator, the decisions written back to it; its exit (or a
/// prune, a timeout, a stop request) ends the trial.
struct CommandTrial: TrialKind {
    let task: CommandTask
    let options: WorkerOptions
    let guardian: ProcessGuardian?
    let log: Log
    /// The worker's bound on all its command logs (nil: keep all).
    var logRetention: CommandLogRetention?

    /// Characters of stderr kept for the failure message.
    static let stderrTailCharacters = 4000
    /// Variables that set how many threads a program's numeric libraries start.
    static let threadVariables = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"]
    /// The longest report line read (1 MiB); a longer one is one ignored line, however it
    /// arrives (whether it was kept depended on how the pipe split it).
    static let maxReportLineBytes = 1 << 20
    /// The end of a line over the bound kept to find its epoch.
    static let tailKept = 256

    /// The epoch named last in `tail` (`"epoch": 7`), if any.
    static func epochNamed(inTail tail: ArraySlice<UInt8>) -> Int? {
        let key = Array("\"epoch\"".utf8)
        guard let at = tail.lastRange(of: key)?.upperBound else { return nil }
        var i = at
        while i < tail.endIndex, tail[i] == UInt8(ascii: " ") || tail[i] == UInt8(ascii: ":") { i += 1 }
        var n = 0, digits = 0
        while i < tail.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(tail[i]), digits < 9 {
            n = n * 10 + Int(tail[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        return digits > 0 && n >= 1 ? n : nil
    }

    /// Why the worker stopped the program, if it did.
    private enum Stop { case pruned, timedOut, cancelled, handedBack, diverged }

    func run(_ session: TrialSession) -> TrialEnd {
        let a = session.assign
        var end = TrialEnd()
        guard options.allowCommands else {
            end.failure = "this worker does not run commands (start it with --allow-commands); the trial's command: \(task.command.joined(separator: " "))"
            return end
        }
        signal(SIGPIPE, SIG_IGN) // a program that closed its decision channel must not kill the worker

        let logs = CommandLogs(directory: options.logDirectory, study: a.study, trial: a.trial, attempt: a.attempt, maxBytes: options.maxLogBytes, retention: logRetention)
        if !logs.isWritable {
            log.limited(.warning, key: "log-dir", "cannot write command logs under \(options.logDirectory) (--log-dir)\(logs.openFailure.map { ": \($0)" } ?? ""): the programs' output is not kept there, only its last 4,000 characters with the trial")
        }
        var env = ProcessInfo.processInfo.environment
        // The worker's share of the cores for every threading library, as Ray Tune sets
        // OMP_NUM_THREADS: PyTorch, MKL and numexpr took every core each, N trials x N
        // threads. (What the worker was started with, or the sweep file's `environment:`, wins.)
        for variable in Self.threadVariables where env[variable] == nil { env[variable] = String(options.threads) }
        env["OPENBLAS_NUM_THREADS"] = String(options.threads)
        // The temporary folder the worker itself uses: an empty, missing or relative TMPDIR
        // failed the program's own temporary files while Sweep had fallen back to /tmp.
        let temporary = TemporaryFolder.path
        if env["TMPDIR"] != nil || temporary != "/tmp" { env["TMPDIR"] = temporary }
        env.merge(task.environment) { $1 }
        env["SWEEP_REPORT_FD"] = String(ChildProcess.reportFD)
        env["SWEEP_DECISION_FD"] = String(ChildProcess.decisionFD)
        env["SWEEP_PARAMS"] = CommandMacros.json(task.passedArguments)
        // The client nests dotted names into run.config unless they come nested already (a
        // W&B file's flat `model.encoder.depth` stays flat, as in W&B).
        env["SWEEP_ARGUMENT_STYLE"] = task.style.rawValue
        env["SWEEP_STUDY"] = a.study
        env["SWEEP_TRIAL"] = String(a.trial)
        env["SWEEP_ATTEMPT"] = String(a.attempt)
        env["SWEEP_SEED"] = String(CommandMacros.programSeed(a.seed))
        env["SWEEP_METRIC"] = a.metric
        env["SWEEP_MAX_EPOCHS"] = String(session.lastEpoch)
        if let guardian { env[ProcessGuardian.variable] = guardian.token }

        // (After the environment: `${envvar:NAME}` reads the program's, SWEEP_TRIAL and the
        // sweep file's `environment:` included.)
        let argv = CommandMacros.expand(task.command, .init(program: task.program, arguments: task.arguments, trial: a.trial, seed: a.seed,
                                                             argsJSONFile: logs.argsFile, interpreter: CommandMacros.hostInterpreter, style: task.style,
                                                             environment: env))
        // ${args_json_file}: as ${args_json}, written only for a command that names it (a
        // third file per attempt otherwise: 18,000 files for 6,000 trials). A program that
        // reads it fails without it (it read FileNotFoundError on a full disk): the attempt
        // fails saying why.
        if task.command.contains(where: { $0.contains("${args_json_file}") }), let why = logs.writeArgs(CommandMacros.nestedJSON(task.arguments)) {
            end.failure = "the parameters for ${args_json_file}: \(why)"
            logs.finish(note: nil)
            return end
        }
        log.info("trial \(a.trial) attempt \(a.attempt): running \(argv.map(ShellCommand.quoted).joined(separator: " "))\(task.workingDirectory.map { " in \($0)" } ?? "")")

        var isDirectory: ObjCBool = false
        if let d = task.workingDirectory, !(FileManager.default.fileExists(atPath: d, isDirectory: &isDirectory) && isDirectory.boolValue) {
            // Said plainly: starting the program there fails with the program's name instead.
            end.failure = "the working_directory \(d) does not exist on this worker"
            logs.finish(note: nil)
            return end
        }
        let child: ChildProcess
        var oomKillsBefore: Int?
        let checkpoints: CommandCheckpoints
        var resumeEpoch = a.resume?.epoch // the epoch this attempt continues after, if restored
        do {
            // Its files are sent after reports and restored for a later attempt (CommandCheckpoints).
            do {
                // (A Result, not `catch where`: the compiler of Swift 6.3 crashed on that here.)
                let fetched = Result { () throws(CheckpointFetchError) in try session.resumeCheckpoint() }
                if case .failure(let failure) = fetched, failure.damaged { throw CommandCheckpoints.ArchiveError.damagedWhereStored(failure.reason) }
                let restoring = try fetched.get()
                checkpoints = try CommandCheckpoints(study: a.study, trial: a.trial, attempt: a.attempt, restoring: restoring)
            } catch let error as CommandCheckpoints.ArchiveError {
                // A checkpoint this host cannot restore (a full disk here, an archive a peer
                // damaged) is no fault of the trial: it starts over (it was FAILed for good,
                // its epochs lost with it), and its reports replace the earlier epochs.
                log.warning("trial \(a.trial) attempt \(a.attempt): \(error); it starts over from epoch 1")
                checkpoints = try CommandCheckpoints(study: a.study, trial: a.trial, attempt: a.attempt, restoring: nil)
                resumeEpoch = nil
            }
            env["SWEEP_CHECKPOINT_DIR"] = checkpoints.path
            if let resumeEpoch { env["SWEEP_RESUME_EPOCH"] = String(resumeEpoch) }
            end.epochsRun = resumeEpoch ?? 0
            oomKillsBefore = OOMKills.count()
            child = try ChildProcess(argv: argv, environment: env, directory: task.workingDirectory)
        } catch {
            // Stopped or cancelled while its checkpoint was fetched: handed back, not failed
            // (a failure drops the checkpoint and spends a retry).
            if session.shouldEnd {
                logs.finish(note: nil)
                return end
            }
            end.failure = "\(error)"
            logs.finish(note: nil)
            return end
        }
        guardian?.record(group: child.pid)
        defer {
            // A trial's processes end with it: what it left running in its group goes too,
            // and what it started outside the group (setsid, double fork).
            child.signalGroup(SIGKILL)
            guardian?.record(group: 0)
            if let killed = guardian?.killLeftovers(outside: child.pid), killed > 0 {
                // (The guardian counts up to 256 distinct processes; it kills them all.)
                let count = killed >= 256 ? "256 or more" : "\(killed)"
                log.warning("trial \(a.trial): killed \(count) process(es) it left running outside its process group (started with setsid or a double fork); a trial's processes end with it")
            }
        }

        defer { checkpoints.remove() }
        // Timeouts, the kill grace and decision waits on a clock that never jumps: an NTP
        // step of +5 min failed a running trial as timed out, one of -1 h let a program run
        // an hour past its `timeout`.
        let clock = MonotonicClock()
        let started = clock.now
        var open: [Int32] = [child.stdout, child.stderr, child.reports]
        var reportBuffer: [UInt8] = []
        var skippingLongLine = false // dropping the rest of a report line over the bound
        var longLineTail: [UInt8] = [] // its last bytes so far: they name its epoch
        var pending: (epoch: Int, deadline: Double)?
        var objective: [Double] = []
        var summary: [String: Double] = [:] // final values the program set (W&B's run.summary)
        var badLines = 0
        var overlongLines = 0 // of the bad lines: over maxReportLineBytes
        /// What the bad lines were, for the messages: the format, and the bound when a line passed it.
        func badLinesHint(example: String? = nil) -> String {
            "a report is one JSON object of numbers per line\(example.map { ", e.g. \($0)" } ?? "")\(epochBelowOne ? ", and epochs count from 1" : "")"
                + (overlongLines > 0 ? "; \(overlongLines) line(s) were over \(Self.maxReportLineBytes >> 20) MiB, the most a report line may have (docs/limits.md)" : "")
        }
        // The first line that was no report, or whose objective was no number (a string
        // "0.5"), for the messages: the program's author needs to see what it wrote.
        var firstUnreadLine: String?
        var epochBelowOne = false // a line named epoch 0 or less: valid JSON, but no report
        var objectiveNotANumber: String? // the first report line whose objective was no number
        func shown(_ line: ArraySlice<UInt8>) -> String { String(decoding: line.prefix(200), as: UTF8.self) + (line.count > 200 ? "..." : "") }
        func keepUnread(_ line: ArraySlice<UInt8>) {
            if firstUnreadLine == nil { firstUnreadLine = shown(line) }
        }
        var droppedMetrics = 0
        var checkpointNotes = ""
        var pastLastEpoch = 0
        /// Whether the program was told to stop after the study's last epoch (its exit status
        /// then says nothing: it completed every epoch the study counts).
        var toldToStop = false
        // Told to stop, a program has kill_grace to end by itself, as on a prune; then it is
        // stopped (it ran on forever, or FAILed at its timeout with its epochs all reported).
        var stopGraceUntil: Double?
        // Well-formed reports whose epoch is not after the last one reported (a repeated or
        // out-of-order epoch), and the first.
        var repeatedEpochs = 0
        var firstRepeated: String?
        var stop: Stop?
        var stopReason: String? // why the worker stopped the program itself (diverged)
        var signalAt: Double? // when the next escalation (SIGTERM, then SIGKILL) is due
        var killedNow = false // SIGKILL sent on a request to stop at once
        var termSent = false
        var reapedAt: Double?

        /// Answers a report line over the bound (not read): with the epoch its end names
        /// (`..., "epoch": 7}` as the client writes it), else the next one.
        func answerLongLine(tail: ArraySlice<UInt8>) {
            let e = Self.epochNamed(inTail: tail) ?? end.epochsRun + 1
            // A trial the worker is stopping is told so, as for any line.
            child.writeDecision(stop == .pruned || stop == .diverged ? "prune \(e) \(stopReason ?? session.pruneReason)" : "continue \(e)")
        }
        /// Answers a report on the decision channel.
        func answer(_ epoch: Int, prune: Bool) {
            child.writeDecision(prune ? "prune \(epoch) \(session.pruneReason)" : "continue \(epoch)")
            pending = nil
        }
        func handle(line: ArraySlice<UInt8>) {
            // Once the worker is stopping the program (pruned, timed out, ...), its reports no
            // longer count; a program waiting for an answer still gets one.
            // Every line gets an answer: a program waiting for one must never hang.
            let parsed = Self.parseReport(line, after: end.epochsRun)
            guard stop == nil else {
                let e = parsed.epoch ?? end.epochsRun
                child.writeDecision(stop == .pruned || stop == .diverged ? "prune \(e) \(stopReason ?? session.pruneReason)" : "continue \(e)")
                return
            }
            if case .summary(let values, let nonFinite) = parsed {
                if nonFinite.contains(a.metric) {
                    // As a report's: the run diverged (a summary of `inf` is no result).
                    stopReason = "the program's summary gave a non-finite \(a.metric) (NaN or infinity): the training diverged"
                    child.writeDecision("prune 0 \(stopReason!)")
                    beginStop(.diverged, now: clock.now, politely: true)
                    return
                }
                summary.merge(values) { $1 }
                // Every line is answered, with an epoch no report has (reports count from 1).
                child.writeDecision("continue 0")
                return
            }
            guard case .report(let epoch, let reported, let nonFinite) = parsed else {
                // A blank line (spaces, a CR) is no report and no mistake: answered, not counted,
                // with an epoch no report has (as a summary line): "continue N" could pass for
                // the answer to report N, still awaiting its decision.
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    child.writeDecision("continue 0")
                    return
                }
                badLines += 1
                keepUnread(line)
                let belowOne = parsed.epoch.map { $0 < 1 } ?? false
                if belowOne { epochBelowOne = true }
                // An epoch 0 (Optuna's steps count from 0) is a well-formed line: say what is wrong with it.
                log.limited(.warning, key: "bad-report", belowOne
                    ? "trial \(a.trial): ignored a report of epoch \(parsed.epoch!): epochs count from 1"
                    : "trial \(a.trial): ignored a malformed report line (a JSON object with numbers is expected)")
                child.writeDecision("continue \(parsed.epoch ?? end.epochsRun + 1)")
                return
            }
            if nonFinite.contains(a.metric) {
                // As a built-in trial that diverges: the trial fails, the program is told to stop.
                stopReason = "the program reported a non-finite \(a.metric) (NaN or infinity) at epoch \(epoch): the training diverged"
                child.writeDecision("prune \(epoch) \(stopReason!)")
                beginStop(.diverged, now: clock.now, politely: true)
                return
            }
            guard epoch <= session.lastEpoch, epoch > end.epochsRun else {
                if epoch > session.lastEpoch {
                    pastLastEpoch += 1
                    // No epoch past the study's last counts: the program is told to stop, as
                    // Ray Tune's max_t ends a trial (one of 15 epochs, 3 counted, ran all 15);
                    // however it exits, the trial completes. `stop`, not `prune`: the client
                    // still sends its summary (a program that knows neither goes on, as before).
                    // (The last epoch itself is answered `continue`: a program that ends there
                    // finishes as it would.)
                    child.writeDecision("stop \(epoch) the study runs at most \(session.lastEpoch) epoch(s) (budget.max_epochs)")
                    toldToStop = true
                    if stopGraceUntil == nil { stopGraceUntil = clock.now + task.killGrace }
                    return
                } else {
                    repeatedEpochs += 1
                    if firstRepeated == nil { firstRepeated = shown(line) }
                }
                log.limited(.warning, key: "bad-epoch", "trial \(a.trial): ignored a report for epoch \(epoch) (after \(end.epochsRun), at most \(session.lastEpoch))")
                child.writeDecision("continue \(epoch)")
                return
            }
            if reported[a.metric] == nil, objectiveNotANumber == nil, line.firstRange(of: Array("\"\(a.metric)\"".utf8)) != nil { objectiveNotANumber = shown(line) }
            guard !reported.isEmpty else {
                child.writeDecision("continue \(epoch)") // only non-finite values besides the objective
                return
            }
            let (metrics, dropped) = Self.bounded(reported, keeping: a.metric)
            if dropped > 0 {
                droppedMetrics += dropped
                log.limited(.warning, key: "many-metrics", "trial \(a.trial): a report of epoch \(epoch) had \(dropped) metric(s) beyond the limits (at most \(WorkerMessage.Report.maxMetrics) per report, names of 1 to \(WorkerMessage.Report.maxMetricNameBytes) bytes); they were left out")
            }
            end.epochsRun = epoch
            end.lastMetrics = metrics
            if let v = metrics[a.metric], v.isFinite { objective.append(v) }
            let warn = { (why: String) in
                log.warning("trial \(a.trial): \(why)")
                checkpointNotes += "[sweep] \(why)\n" // in the attempt's log too, where `sweep logs` shows it
            }
            let saved = checkpoints.savedSinceLastReport()
            let due = session.checkpointDue(after: epoch)
            if due && !saved { checkpoints.warnStale(epoch: epoch, warn: warn) }
            // A large one goes ahead of the report in parts (the program waits for its decision meanwhile).
            guard let carried = session.carry(due && saved ? checkpoints.changedArchive(warn: warn) : nil, epoch: epoch) else { return }
            let (checkpoint, parts) = (carried.attached, carried.parts)
            // Why a due checkpoint is not sent, for the coordinator's warning.
            var skipped = carried.skipped
            if let why = skipped {
                warn("the checkpoint after epoch \(epoch) was not sent: \(why)")
                checkpoints.notSent()
            }
            if session.checkpointWanted(after: epoch) && checkpoint == nil && parts == nil && skipped == nil {
                skipped = !due ? "skipped to keep checkpoints to \(Int(TrialSession.checkpointBytesPerSecond) >> 20) MiB/s"
                    : !saved ? "the program saved nothing in SWEEP_CHECKPOINT_DIR since its last report" : checkpoints.skipped
            }
            session.send(epoch: epoch, metrics: metrics, seconds: nil, checkpoint: checkpoint, checkpointSkipped: skipped, checkpointParts: parts)
            if let p = pending { answer(p.epoch, prune: false) } // superseded by this one
            if epoch >= session.lastEpoch { answer(epoch, prune: false) } else { pending = (epoch, session.decisionDeadline) }
        }
        /// The last report's metrics with the summary's over them, within a report's limits
        /// (a result with more metrics than the coordinator takes was dropped unanswered,
        /// and the trial stayed RUNNING).
        func withSummary(_ metrics: [String: Double]) -> [String: Double] {
            let (kept, dropped) = Self.bounded(metrics.merging(summary) { $1 }, keeping: a.metric)
            if dropped > 0 { log.warning("trial \(a.trial): \(dropped) summary value(s) left out: a result keeps at most \(WorkerMessage.Report.maxMetrics) metrics (docs/limits.md)") }
            return kept
        }
        /// Starts stopping the program: at once (SIGTERM) or after a grace period to stop by itself.
        func beginStop(_ why: Stop, now: Double, politely: Bool) {
            guard stop == nil else { return }
            stop = why
            if politely { signalAt = now + task.killGrace } else { escalate(now: now) }
        }
        func escalate(now: Double) {
            child.signalGroup(termSent ? SIGKILL : SIGTERM)
            signalAt = termSent ? nil : now + task.killGrace
            termSent = true
        }

        /// Handles the whole report lines buffered, while the trial takes reports (a read of
        /// the pipe holds up to 1 MiB: thousands of lines, more than may be in flight); what is
        /// left moved once (not once per line).
        /// Whether reports are read now: fewer are in flight than allowed, or the trial ends
        /// (pruned, timed out, diverged: its last reports no longer count), or `all` at the end.
        func takesReports() -> Bool { stop != nil || session.takesReports }
        func handleBufferedLines(all: Bool = false) {
            var lineStart = 0
            while all || takesReports(), let nl = reportBuffer[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                if nl - lineStart > Self.maxReportLineBytes { // over the bound, whatever the reads
                    badLines += 1
                    overlongLines += 1
                    keepUnread(reportBuffer[lineStart..<lineStart + 200])
                    answerLongLine(tail: reportBuffer[(nl - Self.tailKept)..<nl])
                } else {
                    handle(line: reportBuffer[lineStart..<nl])
                }
                lineStart = nl + 1
            }
            reportBuffer.removeFirst(lineStart)
            // One bad line, whatever follows of it (whole lines held back are no such line).
            if reportBuffer.count > Self.maxReportLineBytes, !reportBuffer.contains(UInt8(ascii: "\n")) {
                badLines += 1
                overlongLines += 1
                keepUnread(reportBuffer[..<min(reportBuffer.count, 200)])
                longLineTail = Array(reportBuffer.suffix(Self.tailKept))
                reportBuffer.removeAll()
                skippingLongLine = true
            }
        }

        while true {
            let now = clock.now
            handleBufferedLines() // those held back, once decisions let them go
            if child.reap() {
                if reapedAt == nil { reapedAt = now }
                // Descendants that keep the pipes open do not keep the trial alive; reports
                // held back (in the pipe or read) are still the program's, and wait their turn.
                let heldBack = !takesReports() && (open.contains(child.reports) || reportBuffer.contains(UInt8(ascii: "\n")))
                // Nor do reports the program wrote before it exited and that are not read yet
                // (they waited in the pipe for decisions, the coordinator slow: they were
                // dropped 1 s after the exit, and the trial COMPLETEd with fewer epochs).
                let unread = open.contains(child.reports) && ChildProcess.hasInput(child.reports)
                if !heldBack && (open.isEmpty || (now - reapedAt! > 1 && !unread)) { break }
            }
            var wait = 50.0
            if let p = pending { wait = min(wait, (p.deadline - now) * 1000) }
            if let s = signalAt { wait = min(wait, (s - now) * 1000) }
            if let g = stopGraceUntil, g.isFinite { wait = min(wait, (g - now) * 1000) }
            // Its streams closed: the program is exiting; look again soon rather than in 50 ms
            // (at once when the exit descriptor says it has ended).
            // (Not while reports are held back for decisions: one wakes the poll through the link.)
            if (reapedAt != nil || open.isEmpty) && takesReports() { wait = min(wait, child.exited >= 0 && reapedAt == nil ? 50 : 1) }
            // Reports beyond those in flight wait in their pipe (the program blocks writing
            // them) until decisions come back: see TrialSession.maxReportsInFlight.
            let readable = takesReports() ? open : open.filter { $0 != child.reports }
            let watched = reapedAt == nil && child.exited >= 0 ? readable + [child.exited] : readable
            let ready = session.poll(fileDescriptors: watched, timeoutMilliseconds: max(0, Int(wait.rounded(.up))))
            for fd in ready where fd != child.exited {
                var chunk: [UInt8] = []
                let more = ChildProcess.readAvailable(fd, into: &chunk)
                if fd == child.reports {
                    var start = 0
                    if skippingLongLine {
                        let nl = chunk.firstIndex(of: UInt8(ascii: "\n"))
                        start = nl.map { $0 + 1 } ?? chunk.count
                        skippingLongLine = nl == nil
                        longLineTail = Array((longLineTail + chunk[..<(nl ?? chunk.count)]).suffix(Self.tailKept))
                        // Answered at its end, with the epoch its tail names: the program
                        // waits for that epoch's answer (a later one, after the first
                        // oversized line, waited forever for "continue N+1").
                        if nl != nil { answerLongLine(tail: longLineTail[...]) }
                    }
                    reportBuffer += chunk[start...]
                    handleBufferedLines()
                } else {
                    logs.append(chunk, stderr: fd == child.stderr)
                }
                if !more { open.removeAll { $0 == fd } }
            }

            let after = clock.now
            if let p = pending {
                if let prune = session.decisions[p.epoch] { answer(p.epoch, prune: prune) } else if after >= p.deadline { answer(p.epoch, prune: false) }
            }
            if session.cancelled && stop == nil { beginStop(.cancelled, now: after, politely: false) }
            if session.pruned && stop == nil {
                if let p = pending { answer(p.epoch, prune: true) }
                beginStop(.pruned, now: after, politely: true)
            }
            if session.stopRequested && stop == nil { beginStop(.handedBack, now: after, politely: false) }
            // Asked again: no kill grace (the worker went on waiting it out, or died and cost
            // the trial an attempt).
            if session.stopNowRequested, !killedNow, !child.reap() {
                killedNow = true
                child.signalGroup(SIGKILL)
                signalAt = nil
            }
            // (Told to stop, its epochs are all in: no timeout fails it now.)
            if let limit = task.timeout, stop == nil, !toldToStop, after - started > limit { beginStop(.timedOut, now: after, politely: false) }
            if stop == nil, let g = stopGraceUntil, after >= g {
                stopGraceUntil = .infinity // once: the kill grace, then SIGKILL, as escalate goes on
                if !child.reap() {
                    log.warning("trial \(a.trial): the program went on after it was told to stop at the study's last epoch (\(session.lastEpoch)); stopped after \(Self.seconds(task.killGrace))")
                    escalate(now: after)
                }
            }
            if let s = signalAt, after >= s, !child.reap() { escalate(now: after) }
        }
        // Whole lines still held (the patience ran out between two looks), then a last line
        // without its line break.
        handleBufferedLines(all: true)
        if !reportBuffer.isEmpty { handle(line: reportBuffer[...]) }
        if badLines > 0 { log.warning("trial \(a.trial): \(badLines) report line(s) ignored") }
        var notes = badLines > 0 ? "[sweep] \(badLines) report line(s) ignored (\(badLinesHint())); the first: \(firstUnreadLine ?? "")\n" : ""
        notes += checkpointNotes
        if repeatedEpochs > 0 {
            notes += "[sweep] \(repeatedEpochs) report(s) ignored: their epoch was not after the last one reported (epochs must increase: 1, 2, 3, ...); the first: \(firstRepeated ?? "")\n"
        }
        if pastLastEpoch > 0 {
            notes += "[sweep] \(pastLastEpoch) report(s) past epoch \(session.lastEpoch), the study's last (budget.max_epochs), ignored; the program was told to stop\n"
        }
        if droppedMetrics > 0 {
            notes += "[sweep] \(droppedMetrics) metric value(s) left out: a report keeps at most \(WorkerMessage.Report.maxMetrics) metrics, names up to \(WorkerMessage.Report.maxMetricNameBytes) bytes (docs/limits.md)\n"
        }
        logs.finish(note: notes.isEmpty ? nil : notes)
        if let why = logs.writeFailure {
            log.limited(.warning, key: "log-write", "\(why): the rest of the program's output is not kept there, only its last 4,000 characters with the trial")
        }
        end.logTail = logs.outputTail()

        let exit = child.exit ?? (0, SIGKILL)
        switch stop {
        case .pruned, .cancelled, .handedBack:
            return end // the session says which
        case .timedOut:
            end.failure = "timed out after \(Self.seconds(task.timeout ?? 0))" + logs.stderrTail()
        case .diverged:
            end.failure = (stopReason ?? "the training diverged") + logs.stderrTail()
        case nil:
            // (Told to stop after the last epoch, a program may raise as on a prune: completed.)
            if exit.signal != 0 && !toldToStop {
                // SIGKILL from no one here: the kernel's OOM killer, when its count went up meanwhile.
                let outOfMemory = exit.signal == SIGKILL && OOMKills.count().map { $0 > (oomKillsBefore ?? .max) } == true
                end.failure = "the program was killed by signal \(exit.signal) (\(Self.signalName(exit.signal)))"
                    + (outOfMemory ? ": the kernel's OOM killer ended a process meanwhile, so it most likely ran out of memory (see `dmesg`; a container's or cgroup's memory limit counts)" : "")
                    + logs.stderrTail()
            } else if exit.code != 0 && !toldToStop {
                end.failure = "the program exited with status \(exit.code)" + logs.stderrTail()
            } else if let value = summary[a.metric] {
                // The program's own final value wins over the curve's, as W&B ranks runs by
                // their summary: a script that logs every epoch and sets the best at the end.
                end.completed = true
                end.finalValue = value
                end.lastMetrics = withSummary(end.lastMetrics)
            } else if end.epochsRun == 0, let unread = firstUnreadLine {
                end.failure = "the program's reports could not be read (\(badLines) line(s); \(badLinesHint(example: "{\"epoch\": 1, \"\(a.metric)\": 0.25}"))); the first: \(unread)" + logs.stderrTail()
            } else if end.epochsRun == 0, summary.isEmpty, pastLastEpoch > 0 {
                // It reported, past the epochs the study runs ("exited without reporting" misled).
                end.failure = "every report of the program (\(pastLastEpoch)) named an epoch past \(session.lastEpoch), the most this study runs (budget.max_epochs): they were ignored" + logs.stderrTail()
            } else if end.epochsRun == 0, summary.isEmpty {
                end.failure = "the program exited without reporting (report '\(a.metric)' on the channel in SWEEP_REPORT_FD, docs/commands.md)"
                    + (Self.reportLine(in: logs.outputTail(), naming: a.metric).map { "; it printed reports to its output instead (e.g. \($0)): write them to the descriptor in SWEEP_REPORT_FD, or use sweep_client.report" } ?? "")
                    + logs.stderrTail()
            } else if objective.isEmpty, let resumed = resumeEpoch, resumed >= 1, end.epochsRun == resumed, objectiveNotANumber == nil {
                // A resumed attempt with nothing left to train (its worker died after the last
                // epoch, while the program saved its model; a promotion past the program's own
                // epochs): the trial's value is the one its earlier epochs reported, which the
                // coordinator holds (a result without a value takes it from the stored curve).
                end.completed = true
                end.finalValue = nil
                log.info("trial \(a.trial): the program resumed after epoch \(resumed) reported no '\(a.metric)': the trial completes with its value of the earlier epochs")
            } else if objective.isEmpty {
                let unread = (objectiveNotANumber.map { "; '\(a.metric)' was not a number in: \($0)" } ?? "")
                    + (pastLastEpoch > 0 ? "; \(pastLastEpoch) report(s) past epoch \(session.lastEpoch), the most this study runs (budget.max_epochs), were ignored" : "")
                let names = Set(end.lastMetrics.keys).union(summary.keys)
                let meant = likelyMeant(a.metric, among: names).map { "; did you mean '\($0)'? The objective is the sweep file's metric" } ?? ""
                end.objectiveMissing = true
                end.failure = "the program never reported the objective '\(a.metric)' (it reported: \(names.sorted().joined(separator: ", "))\(unread)\(meant))" + logs.stderrTail()
            } else {
                end.completed = true
                end.finalValue = task.summary == .last ? objective.last : (task.direction == .minimize ? objective.min() : objective.max())
                end.lastMetrics = withSummary(end.lastMetrics)
            }
        }
        // Only a diverged run is surely the trial's own fault; a program that exits non-zero
        // may do so on every trial of a broken host (a missing module), which quarantine is for.
        end.failureIsTrials = stop == .diverged
        return end
    }

    /// The first line of `output` that would have been a report of `metric` on the report
    /// channel (a program that printed its reports to stdout), shortened for a message.
    static func reportLine(in output: String?, naming metric: String) -> String? {
        guard let output else { return nil }
        for line in output.split(whereSeparator: \.isNewline) where line.contains("\"\(metric)\"") {
            let bytes = Array(line.utf8)
            if case .report(_, let metrics, let nonFinite) = parseReport(bytes[...], after: 0),
               metrics[metric] != nil || nonFinite.contains(metric) {
                return String(line.prefix(200)) + (line.count > 200 ? "..." : "")
            }
        }
        return nil
    }

    /// A report line as read: the epoch and its metrics (finite numbers; the names of
    /// non-finite ones apart), or a line that is not a report (with the epoch it names, if
    /// any, so that the answer reaches a program waiting for that epoch).
    enum ReportLine: Equatable {
        case report(epoch: Int, metrics: [String: Double], nonFinite: Set<String>)
        /// `{"summary": {...}}` and nothing else: the run's final values, as W&B's
        /// `run.summary` (its objective, when there, is the trial's value), and the names of
        /// its non-finite ones.
        case summary(metrics: [String: Double], nonFinite: Set<String>)
        case malformed(epoch: Int?)

        var epoch: Int? {
            switch self {
            case .report(let e, _, _): e
            case .summary: nil
            case .malformed(let e): e
            }
        }
    }

    /// One report line: a JSON object of numbers, with an optional whole-number `epoch` >= 1
    /// (else the next one; `2.0`, from a float counter, is 2), a UTF-8 byte-order mark
    /// before it ignored (some writers put one at the start of what they write). Nested
    /// objects are flattened (`{"val": {"loss": 1}}` is `val.loss`), except `metrics`,
    /// whose numbers count as top-level ones. `NaN`,
    /// `Infinity` and `-Infinity` (Python's json.dumps writes them) are read as non-finite.
    static func parseReport(_ line: ArraySlice<UInt8>, after previous: Int) -> ReportLine {
        var trimmed = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }
        if trimmed.starts(with: [0xEF, 0xBB, 0xBF]) { trimmed = trimmed.dropFirst(3) }
        guard !trimmed.isEmpty, let value = try? JSONParser().parse(withNonFiniteNumbers(trimmed)), case .object(let o) = value else {
            return .malformed(epoch: nil)
        }
        var epoch = previous + 1
        if var e = o.first(where: { $0.0 == "epoch" })?.1 {
            if case .double(let d) = e, d == d.rounded(), abs(d) < 1e15 { e = .int(Int(d)) }
            guard case .int(let i) = e, i >= 1 else {
                if case .int(let i) = e { return .malformed(epoch: i) }
                return .malformed(epoch: nil)
            }
            epoch = i
        }
        var metrics: [String: Double] = [:]
        var nonFinite: Set<String> = []
        func take(_ fields: [(String, JSONValue)], prefix: String) {
            for (k, v) in fields {
                let name = prefix + k
                switch v {
                case .int(let i): metrics[name] = Double(i)
                case .double(let d) where d.isFinite: metrics[name] = d
                case .double: nonFinite.insert(name)
                case .object(let inner): take(inner, prefix: prefix.isEmpty && k == "metrics" ? "" : name + ".")
                default: break
                }
            }
        }
        if o.count == 1, o[0].0 == "summary", case .object(let fields) = o[0].1 {
            take(fields, prefix: "")
            return metrics.isEmpty && nonFinite.isEmpty ? .malformed(epoch: nil) : .summary(metrics: metrics, nonFinite: nonFinite)
        }
        take(o.filter { $0.0 != "epoch" }, prefix: "")
        return metrics.isEmpty && nonFinite.isEmpty ? .malformed(epoch: epoch) : .report(epoch: epoch, metrics: metrics, nonFinite: nonFinite)
    }

    /// `metrics` within a report's limits: names empty or longer than the limit are left out, then, past
    /// the count limit, all but the objective and the first names, top-level ones first
    /// (`train_loss` before `layer3.grad_norm`); with how many were left out. (A program logging per-layer statistics may report hundreds; the
    /// coordinator would refuse the whole report, and the trial would wait for an answer.)
    static func bounded(_ metrics: [String: Double], keeping objective: String) -> (metrics: [String: Double], dropped: Int) {
        let limit = WorkerMessage.Report.maxMetrics, nameLimit = WorkerMessage.Report.maxMetricNameBytes
        var kept = metrics.filter { !$0.key.isEmpty && $0.key.utf8.count <= nameLimit }
        if kept.count > limit {
            func depth(_ name: String) -> Int { name.utf8.count { $0 == UInt8(ascii: ".") } }
            var names = kept.keys.filter { $0 != objective }.sorted { (depth($0), $0) < (depth($1), $1) }
            names.removeFirst(limit - (kept[objective] == nil ? 0 : 1))
            for name in names { kept[name] = nil }
        }
        return (kept, metrics.count - kept.count)
    }

    /// `bytes` with the tokens `NaN`, `Infinity` and `-Infinity` outside strings written as
    /// numbers that overflow to infinity (JSON has no non-finite numbers; Python writes them).
    static func withNonFiniteNumbers(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        var inString = false, escaped = false
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if inString {
                if escaped { escaped = false } else if b == backslash { escaped = true } else if b == quote { inString = false }
            } else if b == quote {
                inString = true
            } else if let token = ["NaN", "Infinity"].first(where: { bytes[i...].starts(with: $0.utf8) }) {
                out += "1e999".utf8 // `-Infinity` keeps its sign
                i += token.utf8.count
                continue
            }
            out.append(b)
            i += 1
        }
        return out
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }

    static func signalName(_ s: Int32) -> String {
        [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGINT: "SIGINT", SIGBUS: "SIGBUS",
         SIGFPE: "SIGFPE", SIGILL: "SIGILL", SIGPIPE: "SIGPIPE", SIGHUP: "SIGHUP"][s] ?? "signal \(s)"
    }
}
