import Foundation
import SweepFile
import SweepSupport
import Training
import ZeroMQ

/// Runs trials on its own thread, one ``TrialKind`` per assignment, and turns how each
/// ended into the message for the coordinator.
///
/// It owns its end of the inproc link; nothing else is shared with the network thread.
final class TrialRunner {
    private let link: Socket
    private let mailbox: RunnerLink
    private let options: WorkerOptions
    private let log: Log
    private let datasets = DatasetCache()
    private let flags = RunnerFlags()
    /// Whether the network thread is connected; while it is not, trials do not wait.
    private let connected: AtomicFlag
    /// Kills what command trials leave behind once this worker is gone (started by the first one).
    private var guardian: ProcessGuardian??
    /// Keeps the command logs under `--keep-logs` (made by the first command trial).
    private var logRetention: CommandLogRetention?

    /// Whether the coordinator takes checkpoints in parts (an older one does not).
    private let checkpointParts: AtomicFlag

    init(context: Context, endpoint: String, mailbox: RunnerLink, options: WorkerOptions, connected: AtomicFlag,
         checkpointParts: AtomicFlag = AtomicFlag(), log: Log) throws {
        self.checkpointParts = checkpointParts
        link = try Socket(context, .pair)
        try link.connect(endpoint)
        self.mailbox = mailbox
        self.options = options
        self.connected = connected
        self.log = log
    }

    /// What a worker with these options announces in `hello`.
    static func capabilities(_ options: WorkerOptions) -> [String] {
        [Wire.capability(for: .training), Wire.capability(for: .synthetic), Wire.aheadCapability, Wire.checkpointPartsCapability, Wire.receiptsCapability,
         Wire.structuredParamsCapability]
            + (options.allowCommands ? [Wire.capability(for: .command)] : [])
    }

    /// The runner loop: waits for assignments until told to quit.
    func run() {
        defer {
            link.close()
            guardian??.finish()
        }
        while !flags.quit {
            // One message at a time: what follows an assignment is the trial's to read.
            guard let m = mailbox.nextToRunner() else {
                _ = try? link.receive() // wait for a wake-up
                continue
            }
            switch m {
            case .command(.assign(let a)):
                runTrial(a)
            case .command(.stopAfterEpoch):
                flags.stopAfterEpoch = true
            case .command(.stopNow):
                flags.stopAfterEpoch = true
                flags.stopNow = true
            case .quit:
                flags.quit = true
            case .command(.decision), .command(.cancel), .command(.data), .command(.checkpoint), .command(.coordinatorRestarted):
                break // for a trial that is over
            }
        }
    }

    /// The kind of trial an assignment asks for.
    private func kind(for a: CoordinatorMessage.Assign) -> any TrialKind {
        switch a.spec {
        case .synthetic(let task): return SyntheticTrial(task: task)
        case .training(let config): return TrainingTrial(config: config, datasets: datasets, blasThreads: options.threads, log: log,
                                                               dataCache: DataContentCache(directory: options.dataCache))
        case .command(let task):
            if guardian == nil, options.allowCommands { guardian = .some(ProcessGuardian(log: log)) }
            if logRetention == nil, let bytes = options.keptLogBytes {
                logRetention = CommandLogRetention(directory: options.logDirectory, maxBytes: bytes)
            }
            return CommandTrial(task: task, options: options, guardian: guardian ?? nil, log: log, logRetention: logRetention)
        }
    }

    private func runTrial(_ a: CoordinatorMessage.Assign) {
        let session = TrialSession(assign: a, link: link, mailbox: mailbox, flags: flags, decisionWait: options.decisionWaitSeconds,
                                   connected: connected, checkpointParts: checkpointParts, log: log)
        let end = kind(for: a).run(session)
        mailbox.send(Self.outcome(end, session), waking: link)
    }

    /// What a trial's end tells the network thread.
    static func outcome(_ end: TrialEnd, _ session: TrialSession) -> RunnerLink.FromRunner {
        let a = session.assign
        if session.cancelled { return .aborted }
        if let failure = end.failure {
            return .forward(.failure(.init(trial: a.trial, attempt: a.attempt, error: failure, ready: true, log: end.logTail, trialFault: end.failureIsTrials, objectiveMissing: end.objectiveMissing)))
        }
        if end.completed || session.pruned {
            let finite = end.lastMetrics.filter { $0.value.isFinite }
            return .forward(.result(.init(trial: a.trial, attempt: a.attempt, state: end.completed ? .complete : .pruned,
                                          value: end.completed ? end.finalValue : finite[a.metric], metrics: finite, epochs: end.epochsRun,
                                          ready: true, model: end.completed ? end.model : nil, log: end.logTail)))
        }
        return .returned(.init(reason: "stopped", trial: a.trial, attempt: a.attempt))
    }
}
