import Foundation
import Synchronization
import ZeroMQ

/// The version string workers announce.
public let sweepVersion = "0.1.0"

/// How a worker run ended.
public struct WorkerSummary: Sendable {
    public var trialsDone: Int
    public var reason: String
    /// Whether the worker ended because something went wrong (exit code 1).
    public var failed: Bool
}

/// A worker process: a network thread (this one, with the DEALER socket and the
/// heartbeats) and a runner thread that trains.
///
/// The network thread keeps talking while training runs: heartbeats go out every second,
/// and when the coordinator goes silent the worker rebuilds its socket and reconnects with
/// back-off (Paranoid Pirate), re-sending `hello` with the trial it is still running and
/// any reports the coordinator has not answered. Training never waits on the network for
/// long: an epoch without an answer is followed by the next one.
public final class Worker {
    public let options: WorkerOptions
    private let log: Log
    private let codec = WireCodec()

    public init(options: WorkerOptions, log: Log = Log(label: "worker")) {
        self.options = options
        self.log = log
    }

    /// The trial this worker holds, until the coordinator has acknowledged its end.
    private struct Current {
        var trial: Int
        var attempt: Int
        var epoch = 0
        /// Reports without an answer yet (their frames), by epoch.
        var unanswered: [Int: [[UInt8]]] = [:]
        /// The `result`/`failure` sent (its frames), kept until the coordinator moves on.
        var outcome: [[UInt8]]?
        /// Whether the runner is still working on it.
        var running = true
    }

    /// Runs until the study ends, `maxTrials` are done, or `stop` is requested (then the
    /// current epoch is finished and the trial handed back).
    public func run(stop: AtomicFlag = AtomicFlag()) throws -> WorkerSummary {
        let context = try Context()
        let link = try Socket(context, .pair)
        let linkEndpoint = "inproc://sweep-runner-\(UUID().uuidString)"
        try link.bind(linkEndpoint)
        let runnerDone = DispatchSemaphore(value: 0)
        let connected = AtomicFlag() // set while welcomed by a coordinator
        let (wait, threads, log) = (options.decisionWaitSeconds, options.threads, self.log)
        // The runner and its end of the link are created on the runner's own thread.
        let thread = Thread {
            do {
                try TrialRunner(context: context, endpoint: linkEndpoint, decisionWaitSeconds: wait, blasThreads: threads, connected: connected, log: log).run()
            } catch {
                log.error("the runner thread could not start: \(error)")
            }
            runnerDone.signal()
        }
        thread.name = "sweep-runner"
        thread.start()
        defer {
            RunnerLink.send(link, RunnerLink.ToRunner.quit.rawValue)
            runnerDone.wait()
        }

        let clock = MonotonicClock()
        var socket: Socket?
        var reconnectAt = 0.0
        var backoffMs = options.reconnectInitialMs
        var lastHeard = clock.now
        var lastContact = lastHeard
        var lastSent = 0.0
        var welcomed = false
        var current: Current?
        var trialsDone = 0
        var stopForwarded = false
        var leaving: String?
        /// The coordinator said the study is over; leave once the runner is idle.
        var studyOver: String?
        // The coordinator's `welcome` sets the timing both sides use.
        var heartbeatMs = options.heartbeatMs
        var silence = Double(options.heartbeatMs * options.liveness) / 1000

        func send(_ m: WorkerMessage) {
            guard let s = socket else { return }
            sendFrames(s, codec.frames(m))
        }
        func sendFrames(_ s: Socket, _ frames: [[UInt8]]) {
            do {
                if try s.send(frames, dontWait: true) { lastSent = clock.now }
            } catch {
                log.limited(.debug, key: "send", "send failed: \(error)")
            }
        }
        func hello() -> WorkerMessage {
            .hello(.init(worker: options.id, host: options.host, pid: Int(getpid()), version: sweepVersion,
                         cores: ProcessInfo.processInfo.activeProcessorCount, threads: options.threads,
                         capabilities: ["training", "synthetic"],
                         running: current.map { .init(trial: $0.trial, attempt: $0.attempt, epoch: $0.epoch) }))
        }
        func openSocket() throws {
            let s = try Socket(context, .dealer)
            try s.setRoutingID(options.id)
            try s.setReceiveHighWaterMark(10_000)
            try s.setSendHighWaterMark(10_000)
            try s.setMaxMessageSize(Int64(Wire.defaultMaxMessageBytes))
            if let curve = options.curve {
                try s.setCurveClient(publicKey: curve.publicKey, secretKey: curve.secretKey, serverKey: curve.serverKey)
            }
            try s.connect(options.connect)
            socket = s
            welcomed = false
            lastHeard = clock.now
            sendFrames(s, codec.frames(hello()))
        }
        /// Leaving: give the last messages (a result, a `bye`) up to 2 s to go out.
        func closeForExit() {
            try? socket?.setLinger(milliseconds: 2000)
            socket?.close()
        }
        func dropSocket(_ why: String) {
            socket?.close()
            socket = nil
            welcomed = false
            connected.clear()
            reconnectAt = clock.now + Double(backoffMs) / 1000
            log.warning("\(why); reconnecting to \(options.connect) in \(backoffMs) ms")
            backoffMs = min(backoffMs * 2, options.reconnectMaxMs)
        }
        /// The coordinator moved on after our result: the trial is settled.
        func settle() {
            if let c = current, !c.running, c.outcome != nil { current = nil }
        }

        log.info("worker \(options.id) connecting to \(options.connect)")
        while true {
            var now = clock.now
            if let reason = studyOver, current?.running != true, !options.forever {
                closeForExit()
                return WorkerSummary(trialsDone: trialsDone, reason: "study over: \(reason)", failed: false)
            }
            if let reason = leaving, current?.running != true {
                send(.bye(.init(reason: reason)))
                closeForExit()
                return WorkerSummary(trialsDone: trialsDone, reason: reason, failed: false)
            }
            if stop.isSet && !stopForwarded {
                stopForwarded = true
                if current?.running == true {
                    log.info("stop requested: finishing the current epoch of trial \(current!.trial)")
                    RunnerLink.send(link, RunnerLink.ToRunner.stopAfterEpoch.rawValue)
                } else {
                    leaving = "stopped by signal"
                    continue
                }
            }
            if socket == nil && now >= reconnectAt {
                try openSocket()
            }
            if let limit = options.giveUpAfterSeconds, now - lastContact > limit {
                closeForExit()
                return WorkerSummary(trialsDone: trialsDone, reason: "no coordinator at \(options.connect) for \(Int(limit)) s", failed: true)
            }

            var poller = Poller(socket.map { [link, $0] } ?? [link])
            _ = try poller.poll(timeoutMilliseconds: 100)
            now = clock.now

            // From the runner: forward to the coordinator, keeping what must survive a reconnect.
            while let m = try link.receive(dontWait: true), let (kind, frames) = RunnerLink.parse(m) {
                switch RunnerLink.FromRunner(rawValue: kind) {
                case .forward:
                    switch try? codec.decodeWorkerMessage(frames: frames[...]) {
                    case .report(let r)?:
                        current?.epoch = r.epoch
                        current?.unanswered[r.epoch] = frames
                    case .result?, .failure?:
                        current?.running = false
                        current?.outcome = frames
                        trialsDone += 1
                    default: break
                    }
                    var out = frames
                    if let max = options.maxTrials, trialsDone >= max, current?.running == false {
                        // The last trial: do not ask for more.
                        out = Self.markNotReady(frames, codec: codec)
                        current?.outcome = out
                        leaving = "done \(max) trial(s)"
                    } else if stop.isSet, current?.running == false {
                        out = Self.markNotReady(frames, codec: codec)
                        current?.outcome = out
                        leaving = "stopped by signal"
                    }
                    if let s = socket { sendFrames(s, out) }
                case .returned:
                    // Stopped mid-trial on request: hand the trial back and leave.
                    if let s = socket {
                        for (_, r) in (current?.unanswered ?? [:]).sorted(by: { $0.key < $1.key }) { sendFrames(s, r) }
                        sendFrames(s, frames)
                    }
                    current = nil
                    closeForExit()
                    return WorkerSummary(trialsDone: trialsDone, reason: "stopped by signal; trial handed back", failed: false)
                case .aborted:
                    current = nil
                    if leaving == nil { send(.ready) }
                case nil:
                    break
                }
            }

            // From the coordinator.
            if let s = socket, poller.isReadable(1) {
                receiving: while let m = try s.receive(dontWait: true) {
                    lastHeard = now
                    lastContact = now
                    backoffMs = options.reconnectInitialMs
                    guard !m.frames.isEmpty else { continue }
                    let message: CoordinatorMessage
                    do { message = try codec.decodeCoordinatorMessage(frames: m.frames[...]) } catch {
                        log.limited(.warning, key: "bad", "dropped a bad message from the coordinator: \(error)")
                        continue
                    }
                    switch message {
                    case .welcome(let w):
                        welcomed = true
                        connected.set()
                        if w.heartbeatMs >= 10 && w.liveness >= 2 {
                            heartbeatMs = w.heartbeatMs
                            silence = Double(w.heartbeatMs * w.liveness) / 1000
                        }
                        log.info("joined study '\(w.study)'\(w.adopted.map { "; the coordinator kept \($0)" } ?? "")")
                        if let c = current, let a = w.adopted, a.trial == c.trial, a.attempt == c.attempt {
                            for (_, r) in c.unanswered.sorted(by: { $0.key < $1.key }) { sendFrames(s, r) }
                            if let outcome = c.outcome { sendFrames(s, outcome) }
                        }
                    case .assign(let a):
                        settle()
                        if let c = current, c.running {
                            log.warning("assignment of trial \(a.trial) while trial \(c.trial) runs; refusing it")
                            continue
                        }
                        current = Current(trial: a.trial, attempt: a.attempt)
                        RunnerLink.send(link, RunnerLink.ToRunner.assign.rawValue, m.frames)
                    case .decision(let d):
                        if current?.trial == d.trial && current?.attempt == d.attempt {
                            current?.unanswered[d.epoch] = nil
                            if current?.running == true { RunnerLink.send(link, RunnerLink.ToRunner.decision.rawValue, m.frames) }
                        }
                    case .cancel(let ref, let reason):
                        if let c = current, c.trial == ref.trial, c.attempt == ref.attempt {
                            log.warning("trial \(ref.trial) cancelled: \(reason)")
                            if c.running {
                                RunnerLink.send(link, RunnerLink.ToRunner.cancel.rawValue, m.frames)
                            } else {
                                current = nil
                                if leaving == nil { sendFrames(s, codec.frames(WorkerMessage.ready)) }
                            }
                        }
                    case .noWork:
                        settle()
                    case .stop(let reason):
                        settle()
                        if options.forever {
                            log.info("study over (\(reason)); waiting for the next one")
                            dropSocket("study over")
                            reconnectAt = now + Double(options.reconnectMaxMs) / 1000
                            break receiving // the socket is closed
                        } else {
                            // A trial still winding down (e.g. just pruned) finishes first.
                            studyOver = reason
                        }
                    case .identify:
                        sendFrames(s, codec.frames(hello()))
                    case .heartbeat:
                        break
                    case .quarantine(let reason):
                        // This host fails what others run: exit non-zero so a scheduler replaces it.
                        log.error("the coordinator quarantined this worker: \(reason)")
                        closeForExit()
                        return WorkerSummary(trialsDone: trialsDone, reason: "quarantined: \(reason)", failed: true)
                    case .error(let text):
                        log.error("the coordinator refused a message: \(text)")
                        if text.contains("protocol version") {
                            closeForExit()
                            return WorkerSummary(trialsDone: trialsDone, reason: text, failed: true)
                        }
                    }
                }
            }

            if socket != nil && now - lastHeard > silence {
                dropSocket(welcomed ? "the coordinator went silent for \(Int(silence)) s" : "no answer from \(options.connect)")
                continue
            }
            if let s = socket, now - lastSent >= Double(heartbeatMs) / 1000 {
                sendFrames(s, codec.frames(WorkerMessage.heartbeat))
            }
        }
    }

    /// The same `result`/`failure` with `ready: false` (the worker is about to leave).
    static func markNotReady(_ frames: [[UInt8]], codec: WireCodec) -> [[UInt8]] {
        switch try? codec.decodeWorkerMessage(frames: frames[...]) {
        case .result(var r)?:
            r.ready = false
            return codec.frames(.result(r))
        case .failure(var f)?:
            f.ready = false
            return codec.frames(.failure(f))
        default:
            return frames
        }
    }
}
