import SweepSupport

/// The worker's protocol logic without I/O: it is told the time, what arrived from the
/// coordinator and what the trial runner said, and answers with ``WorkerCore/Action``s for
/// the I/O shell (``Worker``) to carry out. Tests drive it on a fake clock.
///
/// It keeps the worker alive towards the coordinator (heartbeats), notices a silent
/// coordinator and reconnects with back-off (Paranoid Pirate), re-sends `hello` naming the
/// trial it still runs, and after re-adoption the reports awaiting a decision and an
/// unacknowledged outcome.
struct WorkerCore {
    /// What the shell must do, in order.
    enum Action: Equatable {
        /// Open a new socket to the coordinator (the `hello` follows as a `send`).
        case connect
        /// Close the socket (the coordinator went silent, or the study is over).
        case disconnect
        case send(WorkerMessage)
        case toRunner(RunnerCommand)
        /// Whether a coordinator currently answers (the runner then waits for decisions).
        case connected(Bool)
        /// Whether the coordinator that welcomed us takes checkpoints in parts.
        case checkpointParts(Bool)
        case log(Log.Level, String)
        /// Close the socket (letting the last messages out) and end the run.
        case exit(WorkerSummary)
    }

    /// What the runner is told.
    enum RunnerCommand: Equatable, Sendable {
        case assign(CoordinatorMessage.Assign)
        case decision(CoordinatorMessage.Decision)
        case cancel(TrialRef, reason: String)
        /// Finish the current epoch, then hand the trial back.
        case stopAfterEpoch
        /// Stop now (a second SIGTERM): a program is killed without waiting for its kill
        /// grace, and the trial is handed back (dying, the worker cost the trial an attempt).
        case stopNow
        /// Part of a data set the running trial asked for.
        case data(DataReply)
        /// The answer to a part of the running trial's large checkpoint, or a chunk of the one
        /// it resumes from.
        case checkpoint(CheckpointTransfer.Reply)
        /// The coordinator asked who this worker is: it restarted (or had let this worker go),
        /// and a checkpoint upload under way went with it (its parts are not answered).
        case coordinatorRestarted
    }

    /// What the runner says.
    enum RunnerEvent: Equatable, Sendable {
        /// A `report`, `result` or `failure` for the coordinator.
        case forward(WorkerMessage)
        /// A trial's last report, its outcome to follow at once: it goes inside that `result`
        /// when the coordinator takes it there (one message less per trial), else on its own.
        case lastReport(WorkerMessage.Report)
        /// The trial was stopped on request before its end; the `bye` that hands it back.
        case returned(WorkerMessage.Bye)
        /// The trial was dropped after a `cancel`.
        case aborted
    }

    /// Who this worker is (for `hello`).
    struct Identity: Equatable {
        var id: String
        var host: String
        var pid: Int
        var cores: Int
        var capabilities: [String]
        /// Sent in `hello`, so a coordinator on the same machine sees this worker exit.
        var process: ProcessIdentity? = nil
    }

    /// The trial this worker holds, until the coordinator has acknowledged its end.
    struct Current: Equatable {
        var trial: Int
        var attempt: Int
        /// The study it is of: a worker serving study after study holds trial numbers that
        /// recur in each (see ``WorkerMessage/Hello/Running/study``).
        var study: String
        var epoch = 0
        /// Reports without an answer yet, by epoch.
        var unanswered: [Int: WorkerMessage] = [:]
        /// The `result`/`failure` sent, kept until the coordinator moves on.
        var outcome: WorkerMessage?
        /// Whether the runner is still working on it.
        var running = true
        /// Its last report, held to go inside its `result` (see ``RunnerEvent/lastReport(_:)``).
        var heldReport: WorkerMessage.Report?
    }

    let options: WorkerOptions
    let identity: Identity

    private(set) var socketOpen = false
    private(set) var welcomed = false
    /// The coordinator's `welcome` said it takes a trial's last report inside its `result`.
    private(set) var lastReportInResult = false
    private(set) var current: Current?
    /// Assignments that arrived while `current` ran (leases ahead), in order: the first is
    /// started the moment `current`'s outcome is sent; all are dropped on a reconnect (the
    /// coordinator takes them back).
    private(set) var ahead: [CoordinatorMessage.Assign] = []
    /// More than this many assignments ahead are refused (the most the coordinator sends).
    static let maxAhead = 256
    private(set) var trialsDone = 0
    private(set) var trialsFailed = 0
    private var reconnectAt = 0.0
    private(set) var backoffMs: Int
    private var lastHeard: Double
    private var lastContact: Double
    private var lastSent = -Double.infinity
    /// When this worker last asked for work (`ready`, `hello` or an outcome with `ready`).
    private var askedForWorkAt = -Double.infinity
    /// When it last said `hello` (answered by a `welcome`).
    private var saidHelloAt = -Double.infinity
    /// The last trial whose outcome the runner gave: a copy of its assignment is not run.
    private var lastFinished: (study: String, ref: TrialRef)?
    /// Receipts of bulk answers read since the last request for more (Receipts.swift).
    private(set) var unsentReceipts: [Int] = []
    private var stopRequested = false
    private var stopForwarded = false
    private var stopNowRequested = false
    /// A coordinator answered this worker once: it does not need keys it was not given.
    private var everWelcomed = false
    /// The last "joined study" line logged, and when (see the welcome).
    private var lastJoinedLine = ""
    private var lastJoinedAt = -Double.infinity
    private var stopNowForwarded = false
    private var leaving: String?
    /// The coordinator said the study is over; leave once the runner is idle.
    private var studyOver: String?
    /// A `--forever` worker whose study ended and that no study has welcomed since.
    private var waitingForNextStudy = false
    /// The attempt whose cancel was last said in the log.
    private var cancelSaid: TrialRef?
    /// A `--forever` worker's wait before it asks for the next study: 1 s (or the back-off
    /// cap, if lower), doubling up to that cap while a finished coordinator still answers
    /// `stop`; back to 1 s once a study hands it work. (It waited the cap, 10 s, every time:
    /// the next study's workers joined up to 10 s late.)
    private var nextStudyWaitMs: Int
    // The coordinator's `welcome` sets the timing both sides use.
    private(set) var heartbeatMs: Int
    private(set) var silence: Double
    /// When a data set's chunks were last asked for or received.
    private var transferActiveAt = -Double.infinity
    /// The silence allowed while a data set comes in: one 1 MiB chunk takes 8 s at 1 Mbit/s,
    /// and heartbeats queue behind it. Within the normal silence, a slow link never got a
    /// chunk through (reconnect, ask again, reconnect: every trial failed); with it, links
    /// down to about 0.45 Mbit/s work (docs/limits.md).
    static let transferSilenceSeconds = 20.0

    /// The silence after which the coordinator is taken for gone, now.
    private func silenceLimit(now: Double) -> Double {
        now - transferActiveAt < Self.transferSilenceSeconds ? max(silence, Self.transferSilenceSeconds) : silence
    }

    init(options: WorkerOptions, identity: Identity, now: Double) {
        self.options = options
        self.identity = identity
        backoffMs = options.reconnectInitialMs
        nextStudyWaitMs = min(Self.firstNextStudyWaitMs, options.reconnectMaxMs)
        heartbeatMs = options.heartbeatMs
        silence = Double(options.heartbeatMs * options.liveness) / 1000
        lastHeard = now
        lastContact = now
    }

    /// When the shell should call ``tick(now:)`` next at the latest (seconds from `now`).
    func nextDeadline(now: Double) -> Double {
        var next = now + 0.1
        if socketOpen {
            next = min(next, lastSent + Double(heartbeatMs) / 1000, lastHeard + silenceLimit(now: now))
        } else {
            next = min(next, reconnectAt)
        }
        return max(now, next)
    }

    // MARK: Events

    /// SIGTERM or the like: finish the current epoch, hand the trial back, leave.
    mutating func requestStop() { stopRequested = true }

    /// This process did not run for `seconds` (SIGSTOP, a suspended VM, starved of CPU): the
    /// coordinator's silence meanwhile is not its own, which it was blamed for ("the
    /// coordinator went silent; reconnecting"). It gets a whole silence window again.
    mutating func wasStalled(for seconds: Double, now: Double) -> [Action] {
        guard socketOpen, seconds > silence else { return [] }
        lastHeard = now
        return [.log(.warning, "this worker did not run for \(String(format: "%.0f", seconds)) s (stopped, or starved of CPU); giving the coordinator \(String(format: "%g", silence)) s to answer again")]
    }

    /// A second SIGTERM: stop the running trial now, hand it back, leave.
    mutating func requestStopNow() {
        stopRequested = true
        stopNowRequested = true
    }

    /// Time passed: connect, heartbeat, notice silence, leave when it is time.
    mutating func tick(now: Double) -> [Action] {
        var out: [Action] = []
        if let reason = studyOver, current?.running != true, !options.forever {
            return [.exit(summary("study over: \(reason)", failed: false))]
        }
        if stopNowRequested && !stopNowForwarded, let c = current, c.running {
            stopNowForwarded = true
            stopForwarded = true
            out.append(.log(.info, "stop requested again: stopping trial \(c.trial) now and handing it back"))
            out.append(.toRunner(.stopNow))
        }
        if stopRequested && !stopForwarded {
            stopForwarded = true
            if let c = current, c.running {
                out.append(.log(.info, "stop requested: trial \(c.trial) ends after its current epoch (a program gets SIGTERM, then SIGKILL after its kill_grace) and is handed back"))
                out.append(.toRunner(.stopAfterEpoch))
            } else {
                leaving = "stopped by signal"
            }
        }
        if let reason = leaving, current?.running != true {
            send(.bye(.init(reason: reason)), now: now, into: &out)
            return out + [.exit(summary(reason, failed: false))]
        }
        if !socketOpen && now >= reconnectAt {
            socketOpen = true
            welcomed = false
            lastHeard = now
            out.append(.connect)
            sayHello(now: now, into: &out)
        }
        if let limit = options.giveUpAfterSeconds, now - lastContact > limit {
            return out + [.exit(summary("no coordinator at \(options.connect) for \(Int(limit)) s\(keyHint)", failed: true))]
        }
        if socketOpen && now - lastHeard > silenceLimit(now: now) {
            dropSocket(welcomed ? "the coordinator went silent for \(String(format: "%g", silenceLimit(now: now))) s" : "no answer from \(options.connect)\(keyHint)", now: now, into: &out)
            return out
        }
        if socketOpen && !welcomed && lastHeard > saidHelloAt && now - saidHelloAt >= silence {
            // The coordinator is there (it sends heartbeats) but never answered our `hello`
            // (lost as it came back from a stall with our old connection): say it again. A
            // worker that heard heartbeats waited for the `welcome` for good, its trial's
            // outcome held back, and the sweep never ended.
            out.append(.log(.warning, "the coordinator did not answer this worker's hello for \(String(format: "%g", silence)) s; saying hello again"))
            sayHello(now: now, into: &out)
        }
        if welcomed && !unsentReceipts.isEmpty {
            // Chunks read that no request confirmed (the last of a download): the coordinator
            // cuts a worker that leaves its chunks unconfirmed, and counts them against all.
            send(.receipts(unsentReceipts), now: now, into: &out)
        }
        if isIdle && now - askedForWorkAt >= silence {
            // Idle this long: ask again. An `assign` can be lost without the connection
            // dropping (the coordinator's queue to this worker full); the coordinator
            // answers a repeated `ready` by sending again a lease nothing was reported for.
            send(.ready, now: now, into: &out)
        } else if socketOpen && now - lastSent >= Double(heartbeatMs) / 1000 {
            send(.heartbeat, now: now, into: &out)
        }
        return out
    }

    /// A CURVE handshake that fails is silent on the worker's side: what to check.
    private var keyHint: String {
        // Without keys a CURVE coordinator drops the handshake silently: say so too.
        options.curve == nil ? (everWelcomed ? " (is it running?)" : " (is it running? if it uses CURVE keys, start the worker with --keys)")
            // (Under CURVE a second connection under a connected worker's id gets no answer at
            // all: the coordinator never sees it, so it cannot refuse it as without keys.)
            : " (is it running, is coordinator.pub its key, is this worker's key in its authorized_workers, and is no other worker connected under this --id?)"
    }

    /// Welcomed, running nothing, holding nothing ahead and not about to leave.
    private var isIdle: Bool {
        welcomed && current?.running != true && ahead.isEmpty && leaving == nil && studyOver == nil && !stopRequested
    }

    /// Something arrived from the coordinator; nil when it could not be decoded (it still
    /// proves the coordinator is alive).
    mutating func received(_ message: CoordinatorMessage?, now: Double) -> [Action] {
        guard socketOpen else { return [] }
        lastHeard = now
        lastContact = now
        backoffMs = options.reconnectInitialMs
        var out: [Action] = []
        switch message {
        case nil:
            break
        case .welcome(let w)?:
            welcomed = true
            waitingForNextStudy = false
            everWelcomed = true
            lastReportInResult = w.capabilities.contains(Wire.lastReportInResultCapability)
            out.append(.connected(true))
            out.append(.checkpointParts(w.capabilities.contains(Wire.checkpointPartsCapability)))
            if w.heartbeatMs >= 10 && w.liveness >= 2 {
                heartbeatMs = w.heartbeatMs
                silence = Double(w.heartbeatMs * w.liveness) / 1000
            }
            // Said once per connection: hellos repeated while a coordinator restarts are each
            // welcomed (the line came four times after one restart).
            let joined = "joined study '\(w.study)'\(w.adopted.map { "; the coordinator kept \($0)" } ?? "")"
            if joined != lastJoinedLine || now - lastJoinedAt > silence {
                out.append(.log(.info, joined))
                (lastJoinedLine, lastJoinedAt) = (joined, now)
            }
            // A trial of another study (the one before, for a worker serving study after study)
            // is over for this worker: its runner stops it, and its outcome is not sent.
            if let c = current, c.study != w.study {
                if c.running {
                    out.append(.toRunner(.cancel(TrialRef(trial: c.trial, attempt: c.attempt), reason: "study '\(c.study)' is no longer served here; now study '\(w.study)'")))
                } else {
                    current = nil
                }
            }
            if let c = current, c.study == w.study, let a = w.adopted, a.trial == c.trial, a.attempt == c.attempt {
                for (_, r) in c.unanswered.sorted(by: { $0.key < $1.key }) { send(r, now: now, into: &out) }
                if case .result(var r)? = c.outcome, let last = r.lastReport, !lastReportInResult {
                    // This coordinator takes the last report only on its own.
                    r.lastReport = nil
                    send(.report(last), now: now, into: &out)
                    send(.result(r), now: now, into: &out)
                } else if let outcome = c.outcome {
                    send(outcome, now: now, into: &out)
                }
            }
        case .assign(let a)?:
            settle()
            nextStudyWaitMs = min(Self.firstNextStudyWaitMs, options.reconnectMaxMs)
            // Leaving (its last trial done, or a stop requested): the `bye` hands it back. (An
            // assignment ahead may arrive after the outcome that said `ready: false`.)
            if leaving != nil || stopRequested { return out }
            // (Of this study: the next study's trial 0 attempt 1 was taken for a copy of the last
            // one's, and never run; its study hung with the trial RUNNING at epoch 0.)
            if let done = lastFinished, done.study == a.study, done.ref.trial == a.trial, done.ref.attempt == a.attempt, current?.running != true {
                break // a copy of one already run (sent again after a repeated `ready`)
            }
            if let c = current, c.running {
                // (Of this study: the last study's trial, still stopping, may have the number.)
                if (a.trial == c.trial && a.study == c.study) || ahead.contains(where: { $0.trial == a.trial && $0.study == a.study }) {
                    break // a copy of one we hold (re-sent after a repeated `ready`)
                } else if ahead.count < Self.maxAhead {
                    ahead.append(a)
                } else {
                    out.append(.log(.warning, "assignment of trial \(a.trial) while trial \(c.trial) runs and \(ahead.count) wait; refusing it"))
                }
                return out
            }
            current = Current(trial: a.trial, attempt: a.attempt, study: a.study)
            out.append(.toRunner(.assign(a)))
        case .decision(let d)?:
            if current?.trial == d.trial && current?.attempt == d.attempt {
                current?.unanswered[d.epoch] = nil
                if current?.running == true { out.append(.toRunner(.decision(d))) }
            }
        case .cancel(let ref, let reason)?:
            if let i = ahead.firstIndex(where: { $0.trial == ref.trial && $0.attempt == ref.attempt }) {
                ahead.remove(at: i)
            } else if let c = current, c.trial == ref.trial, c.attempt == ref.attempt {
                // Once per attempt: a program that writes on after its trial ended (it reads no
                // decisions) is answered a cancel per report, 255 warnings for one prune.
                if cancelSaid != ref {
                    cancelSaid = ref
                    out.append(.log(.warning, "trial \(ref.trial) cancelled: \(reason)"))
                }
                if c.running {
                    out.append(.toRunner(.cancel(ref, reason: reason)))
                } else {
                    current = nil
                    if leaving == nil { send(.ready, now: now, into: &out) }
                }
            }
        case .noWork?:
            settle()
        case .stop(let reason)?:
            settle()
            if options.forever {
                out.append(.log(.info, "study over (\(reason)); waiting for the next one"))
                waitingForNextStudy = true
                dropSocket("study over", waitMs: nextStudyWaitMs, now: now, into: &out)
                nextStudyWaitMs = min(nextStudyWaitMs * 2, options.reconnectMaxMs)
            } else {
                // A trial still winding down (e.g. just pruned) finishes first.
                studyOver = reason
            }
        case .quarantine(let reason)?:
            // This host fails what others run: exit non-zero so a scheduler replaces it.
            out.append(.log(.error, "the coordinator quarantined this worker: \(reason)"))
            out.append(.exit(summary("quarantined: \(reason)", failed: true)))
        case .refuse(let reason)?:
            // This worker cannot serve this study (started without --allow-commands, or
            // another worker has its id): say so and leave non-zero, or wait for the next
            // study when serving one after another.
            out.append(.log(.error, "the coordinator refuses this worker: \(reason)"))
            if options.forever {
                dropSocket("refused", now: now, into: &out)
                reconnectAt = now + Double(options.reconnectMaxMs) / 1000
            } else {
                out.append(.exit(summary("refused: \(reason)", failed: true)))
            }
        case .identify?:
            sayHello(now: now, into: &out)
            if current?.running == true { out.append(.toRunner(.coordinatorRestarted)) }
        case .heartbeat?:
            break
        case .data(let reply)?:
            transferActiveAt = now
            keepReceipt(of: message)
            if current?.running == true { out.append(.toRunner(.data(reply))) }
        case .checkpoint(let reply)?:
            keepReceipt(of: message)
            if current?.running == true { out.append(.toRunner(.checkpoint(reply))) }
        case .error(let text)?:
            out.append(.log(.error, "the coordinator refused a message: \(text)"))
            if text.contains("protocol version") {
                out.append(.exit(summary(text, failed: true)))
            }
        }
        return out
    }

    /// The runner said something.
    mutating func fromRunner(_ event: RunnerEvent, now: Double) -> [Action] {
        var out: [Action] = []
        // A held last report goes inside the result that follows it, else first on its own.
        if let held = current?.heldReport {
            current?.heldReport = nil
            if case .forward(.result(var r)) = event, r.trial == held.trial, r.attempt == held.attempt {
                r.lastReport = held
                return fromRunner(.forward(.result(r)), now: now)
            }
            switch event {
            case .aborted: break // cancelled: nothing to report
            case .returned: current?.unanswered[held.epoch] = .report(held) // sent with the `bye`, below
            default: out += fromRunner(.forward(.report(held)), now: now)
            }
        }
        switch event {
        case .lastReport(let r):
            if lastReportInResult, let c = current, c.trial == r.trial, c.attempt == r.attempt {
                current?.epoch = r.epoch
                current?.heldReport = r
            } else {
                out += fromRunner(.forward(.report(r)), now: now)
            }
        case .forward(var message):
            switch message {
            case .report(let r):
                current?.epoch = r.epoch
                current?.unanswered[r.epoch] = message
            case .result, .failure:
                current?.running = false
                if let c = current { lastFinished = (c.study, TrialRef(trial: c.trial, attempt: c.attempt)) }
                trialsDone += 1
                if case .failure(let f) = message {
                    trialsFailed += 1
                    // Said in the worker's own log too (a log collector saw only "running"
                    // lines, then "4 trial(s) done (4 failed)"): the error's first line.
                    let first = f.error.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? f.error
                    out.append(.log(.warning, "trial \(f.trial) attempt \(f.attempt) failed: \(first.count > 300 ? String(first.prefix(300)) + "..." : first)"))
                }
                if let max = options.maxTrials, trialsDone >= max {
                    // The last trial: do not ask for more.
                    message = Self.notReady(message)
                    leaving = "done \(max) trial(s)"
                } else if stopRequested {
                    message = Self.notReady(message)
                    leaving = "stopped by signal"
                }
                current?.outcome = message
            default:
                break
            }
            send(message, now: now, into: &out)
            if case .forward(let m) = event, m.isOutcome, leaving == nil, !ahead.isEmpty {
                // The outcome said `ready`: the coordinator counts the first trial held
                // ahead as started from here on. (The outcome is not kept for a re-send: if
                // it is lost on a connection that died unnoticed, the coordinator runs that
                // trial again. Without a connection nothing is held: `dropSocket` and
                // `sayHello` drop it, so the outcome stays in `current` for the re-adoption.)
                startAhead(into: &out)
            }
        case .returned(let bye):
            // Stopped mid-trial on request: hand the trial back and leave.
            for (_, r) in (current?.unanswered ?? [:]).sorted(by: { $0.key < $1.key }) { send(r, now: now, into: &out) }
            send(.bye(bye), now: now, into: &out)
            current = nil
            out.append(.exit(summary("stopped by signal; trial handed back", failed: false)))
        case .aborted:
            current = nil
            if leaving == nil, !ahead.isEmpty {
                startAhead(into: &out)
            } else if leaving == nil {
                send(.ready, now: now, into: &out)
            }
        }
        return out
    }

    // MARK: Helpers

    func hello() -> WorkerMessage {
        .hello(.init(worker: identity.id, host: identity.host, pid: identity.pid, version: sweepVersion,
                     cores: identity.cores, threads: options.threads, capabilities: identity.capabilities,
                     running: current.map { .init(trial: $0.trial, attempt: $0.attempt, epoch: $0.epoch, study: $0.study) }, process: identity.process))
    }

    /// Starts the first trial held ahead.
    private mutating func startAhead(into out: inout [Action]) {
        let next = ahead.removeFirst()
        current = Current(trial: next.trial, attempt: next.attempt, study: next.study)
        out.append(.toRunner(.assign(next)))
    }

    /// `hello` after a (re)connect or when asked: a trial held ahead is dropped, as the
    /// coordinator takes it back on every `hello` that does not name it as running.
    private mutating func sayHello(now: Double, into out: inout [Action]) {
        saidHelloAt = now
        ahead.removeAll()
        send(hello(), now: now, into: &out)
    }

    /// Read is read, whether or not a trial still wants it: the coordinator's count of
    /// unconfirmed answers must go down.
    private mutating func keepReceipt(of message: CoordinatorMessage?) {
        guard let receipt = message?.receipt, unsentReceipts.count < Receipts.maxPerRequest else { return }
        unsentReceipts.append(receipt)
    }

    private mutating func send(_ m: WorkerMessage, now: Double, into out: inout [Action]) {
        guard socketOpen else { return } // kept in `current` for a re-send after re-adoption
        var m = m
        // Until the coordinator has answered `hello`, a trial's messages wait (kept in
        // `current`, re-sent in order on re-adoption): sent at once, a report made during a
        // coordinator's restart reached it before the re-sent earlier ones, and ASHA judged
        // epoch 3 first and cancelled epochs 1 and 2, which were lost.
        switch m {
        case .report, .result, .failure, .ready, .dataRequest, .checkpoint, .receipts: guard welcomed else { return }
        case .hello, .heartbeat, .bye: break
        }
        if case .dataRequest = m { transferActiveAt = now }
        if case .receipts = m {
            unsentReceipts.removeAll()
        } else if !unsentReceipts.isEmpty, m.attach(receipts: unsentReceipts) {
            unsentReceipts.removeAll()
        }
        lastSent = now
        switch m {
        case .ready, .hello: askedForWorkAt = now
        case .result(let r) where r.ready: askedForWorkAt = now
        case .failure(let f) where f.ready: askedForWorkAt = now
        default: break
        }
        out.append(.send(m))
    }

    /// `waitMs`: how long until the next connection (by default the back-off, which doubles).
    private mutating func dropSocket(_ why: String, waitMs: Int? = nil, now: Double, into out: inout [Action]) {
        socketOpen = false
        welcomed = false
        ahead.removeAll() // the coordinator takes these back (its `hello` will not name them)
        let wait = waitMs ?? backoffMs
        reconnectAt = now + Double(wait) / 1000
        out.append(.disconnect)
        out.append(.connected(false))
        // (A study that ended, for a --forever worker, is no trouble, nor is no coordinator
        // while it waits for the next: said as information, not a warning every 15 s.)
        out.append(.log(why == "study over" || waitingForNextStudy ? .info : .warning, "\(why); reconnecting to \(options.connect) in \(wait) ms"))
        if waitMs == nil { backoffMs = min(backoffMs * 2, options.reconnectMaxMs) }
    }

    static let firstNextStudyWaitMs = 1_000

    /// The coordinator moved on after our outcome: the trial is settled.
    private mutating func settle() {
        if let c = current, !c.running, c.outcome != nil { current = nil }
    }

    private func summary(_ reason: String, failed: Bool) -> WorkerSummary {
        WorkerSummary(trialsDone: trialsDone, trialsFailed: trialsFailed, reason: reason, failed: failed)
    }

    /// The same `result`/`failure` with `ready: false` (the worker is about to leave).
    static func notReady(_ m: WorkerMessage) -> WorkerMessage {
        switch m {
        case .result(var r):
            r.ready = false
            return .result(r)
        case .failure(var f):
            f.ready = false
            return .failure(f)
        default:
            return m
        }
    }
}
