import Foundation
import SweepFile
import ZeroMQ

/// Runs trials on its own thread, one ``TrialKind`` per assignment, and turns how each
/// ended into the message for the coordinator.
///
/// It owns its end of the inproc link; nothing else is shared with the network thread.
final class TrialRunner {
    private let link: Socket
    private let codec = WireCodec()
    private let options: WorkerOptions
    private let log: Log
    private let datasets = DatasetCache()
    private let flags = RunnerFlags()
    /// Whether the network thread is connected; while it is not, trials do not wait.
    private let connected: AtomicFlag
    /// Kills what command trials leave behind once this worker is gone (started by the first one).
    private var guardian: ProcessGuardian??

    init(context: Context, endpoint: String, options: WorkerOptions, connected: AtomicFlag, log: Log) throws {
        link = try Socket(context, .pair)
        try link.connect(endpoint)
        self.options = options
        self.connected = connected
        self.log = log
    }

    /// What a worker with these options announces in `hello`.
    static func capabilities(_ options: WorkerOptions) -> [String] {
        ["training", "synthetic"] + (options.allowCommands ? ["command"] : [])
    }

    /// The runner loop: waits for assignments until told to quit.
    func run() {
        defer {
            link.close()
            guardian??.finish()
        }
        while !flags.quit {
            guard let m = try? link.receive(), let (kind, frames) = RunnerLink.parse(m) else { continue }
            switch RunnerLink.ToRunner(rawValue: kind) {
            case .assign:
                guard case .assign(let a)? = try? codec.decodeCoordinatorMessage(frames: frames[...]) else { continue }
                runTrial(a)
            case .stopAfterEpoch:
                flags.stopAfterEpoch = true
            case .quit:
                flags.quit = true
            case .decision, .cancel, nil:
                break // for a trial that is over
            }
        }
    }

    /// The kind of trial an assignment asks for.
    private func kind(for a: CoordinatorMessage.Assign) -> any TrialKind {
        switch a.spec {
        case .synthetic(let task): return SyntheticTrial(task: task)
        case .training(let config): return TrainingTrial(config: config, datasets: datasets, blasThreads: options.threads, log: log)
        case .command(let task):
            if guardian == nil, options.allowCommands { guardian = .some(ProcessGuardian(log: log)) }
            return CommandTrial(task: task, options: options, guardian: guardian ?? nil, log: log)
        }
    }

    private func runTrial(_ a: CoordinatorMessage.Assign) {
        let session = TrialSession(assign: a, link: link, codec: codec, flags: flags, decisionWait: options.decisionWaitSeconds,
                                   connected: connected, log: log)
        let end = kind(for: a).run(session)
        let (kind, message) = Self.outcome(end, session)
        RunnerLink.send(link, kind.rawValue, message.map { codec.frames($0) } ?? [[]])
    }

    /// The message a trial's end becomes.
    static func outcome(_ end: TrialEnd, _ session: TrialSession) -> (kind: RunnerLink.FromRunner, message: WorkerMessage?) {
        let a = session.assign
        if session.cancelled { return (.aborted, nil) }
        if let failure = end.failure {
            return (.forward, .failure(.init(trial: a.trial, attempt: a.attempt, error: failure, ready: true, log: end.logTail)))
        }
        if end.completed || session.pruned {
            let finite = end.lastMetrics.filter { $0.value.isFinite }
            return (.forward, .result(.init(trial: a.trial, attempt: a.attempt, state: end.completed ? .complete : .pruned,
                                            value: end.completed ? end.finalValue : finite[a.metric], metrics: finite, epochs: end.epochsRun,
                                            ready: true, model: end.completed ? end.model : nil, log: end.logTail)))
        }
        return (.returned, .bye(.init(reason: "stopped", trial: a.trial, attempt: a.attempt)))
    }
}
