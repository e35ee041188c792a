import Foundation
import SweepSupport
import Synchronization
import ZeroMQ

/// How a worker run ended.
public struct WorkerSummary: Sendable, Equatable {
    /// Trials this worker ended (failed ones included).
    public var trialsDone: Int
    /// Of those, the ones that failed.
    public var trialsFailed: Int = 0
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

    /// Runs until the study ends, `maxTrials` are done, or `stop` is requested (then the
    /// current epoch is finished and the trial handed back).
    ///
    /// This is the I/O shell around ``WorkerCore``: it polls the socket and the runner
    /// link, feeds what arrives to the core, and carries out the core's actions.
    /// Runs until the study ends or `stop` is set (finish the epoch, hand the trial back);
    /// `stopNow` (a second SIGTERM) hands it back at once, a program killed without its grace.
    public func run(stop: AtomicFlag = AtomicFlag(), stopNow: AtomicFlag = AtomicFlag()) throws -> WorkerSummary {
        let context = try Context()
        let link = try Socket(context, .pair)
        let linkEndpoint = "inproc://sweep-runner-\(UUID().uuidString)"
        try link.bind(linkEndpoint)
        let runnerDone = DispatchSemaphore(value: 0)
        let connected = AtomicFlag() // set while welcomed by a coordinator
        let checkpointParts = AtomicFlag() // set while that coordinator takes checkpoints in parts
        let mailbox = RunnerLink()
        let (options, log) = (self.options, self.log)
        // The runner and its end of the link are created on the runner's own thread.
        let started = StartedThread.start(name: "sweep-runner") {
            do {
                try TrialRunner(context: context, endpoint: linkEndpoint, mailbox: mailbox, options: options, connected: connected,
                                checkpointParts: checkpointParts, log: log).run()
            } catch {
                log.error("the runner thread could not start: \(error)")
            }
            runnerDone.signal()
        }
        guard started else {
            link.close()
            throw WorkerStartError.noThread
        }
        var socket: Socket?
        defer {
            mailbox.send(.quit, waking: link)
            runnerDone.wait()
            // Every socket is closed now (the runner closed its end): wait for the last
            // messages (a result, a `bye`) to go out, up to the linger time set at exit.
            link.close()
            socket?.close()
            context.terminate()
        }

        let clock = MonotonicClock()
        let identity = WorkerCore.Identity(id: options.id, host: options.host, pid: Int(getpid()),
                                           cores: UsableCores.count,
                                           capabilities: TrialRunner.capabilities(options), process: ProcessIdentity.current)
        var core = WorkerCore(options: options, identity: identity, now: clock.now)

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
        }
        // Messages libzmq had no room for (its queue to the coordinator full, the coordinator
        // busy or stalled), in order: sent as room frees instead of dropped (a dropped last
        // report or result left its trial RUNNING for good). A new connection starts without
        // them: the core sends what is still unanswered again once welcomed.
        var unsent: [[[UInt8]]] = []
        var unsentStart = 0
        func flushUnsent() {
            guard let s = socket else { return }
            while unsentStart < unsent.count {
                do {
                    guard try s.send(unsent[unsentStart], dontWait: true) else { break }
                } catch {
                    log.limited(.debug, key: "send", "send failed: \(error)")
                }
                unsentStart += 1
            }
            if unsentStart == unsent.count { unsent.removeAll(keepingCapacity: true); unsentStart = 0 }
        }
        /// Carries out the core's actions; returns the summary when the run ends.
        func perform(_ actions: [WorkerCore.Action]) throws -> WorkerSummary? {
            for action in actions {
                switch action {
                case .connect:
                    try openSocket()
                    unsent.removeAll()
                    unsentStart = 0
                case .disconnect:
                    socket?.close()
                    socket = nil
                    unsent.removeAll()
                    unsentStart = 0
                case .send(let m):
                    guard socket != nil else { continue }
                    unsent.append(codec.frames(m))
                    flushUnsent()
                case .toRunner(let command):
                    mailbox.send(.command(command), waking: link)
                case .connected(let yes):
                    if yes { connected.set() } else { connected.clear() }
                case .checkpointParts(let yes):
                    if yes { checkpointParts.set() } else { checkpointParts.clear() }
                case .log(let level, let text):
                    log.log(level, text)
                case .exit(let summary):
                    // Give the last messages (a result, a `bye`) up to 2 s to go out; with no
                    // coordinator to take them (--give-up-after), leave at once.
                    if core.welcomed {
                        let until = clock.now + 2
                        while unsentStart < unsent.count, clock.now < until { flushUnsent(); if unsentStart < unsent.count { usleep(10_000) } }
                    }
                    try? socket?.setLinger(milliseconds: core.welcomed ? 2000 : 0)
                    socket?.close()
                    CommandCheckpoints.removeRoot()
                    return summary
                }
            }
            return nil
        }

        log.info("worker \(options.id) connecting to \(options.connect)")
        // The loop wakes at least every 0.1 s: a longer gap is this process not running.
        var lastAwake = clock.now
        while true {
            let awake = clock.now
            if let done = try perform(core.wasStalled(for: awake - lastAwake, now: awake)) { return done }
            lastAwake = awake
            if stopNow.isSet { core.requestStopNow() } else if stop.isSet { core.requestStop() }
            if let done = try perform(core.tick(now: clock.now)) { return done }

            flushUnsent()
            var poller = Poller(socket.map { [link, $0] } ?? [link])
            // With messages waiting for room: wake when the socket takes one again.
            if socket != nil, unsentStart < unsent.count { poller.watchWritable(1) }
            let wait = core.nextDeadline(now: clock.now) - clock.now
            _ = try poller.poll(timeoutMilliseconds: max(1, Int(wait * 1000)))

            // From the runner: typed values, encoded only when they go out.
            for event in mailbox.takeFromRunner(link) {
                if let done = try perform(core.fromRunner(event, now: clock.now)) { return done }
            }

            // From the coordinator.
            if let s = socket, poller.isReadable(1) {
                while socket === s, let m = try s.receive(dontWait: true) {
                    guard !m.frames.isEmpty else { continue }
                    var message: CoordinatorMessage?
                    do { message = try codec.decodeCoordinatorMessage(frames: m.frames[...]) } catch {
                        log.limited(.warning, key: "bad", "dropped a bad message from the coordinator: \(error)")
                    }
                    if let done = try perform(core.received(message, now: clock.now)) { return done }
                }
            }
        }
    }
}

/// Why a worker could not start.
public enum WorkerStartError: Error, CustomStringConvertible {
    /// No thread for its trial runner could be made.
    case noThread

    public var description: String {
        switch self {
        case .noThread:
            return "cannot start the worker's training thread: the system refused a new thread (a process limit, `ulimit -u`, or an address-space limit, `ulimit -v`); raise the limit"
        }
    }
}
