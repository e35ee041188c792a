import Foundation
import ZeroMQ

/// One trial's conversation with the network thread, as the trial kinds see it: send a
/// report, learn the coordinator's decision, notice a cancel or a stop request.
///
/// It lives on the runner thread with the runner's end of the inproc link.
final class TrialSession {
    let assign: CoordinatorMessage.Assign
    var ref: TrialRef { TrialRef(trial: assign.trial, attempt: assign.attempt) }
    /// The last epoch the trial may report (the spec's epochs, capped by the budget).
    let lastEpoch: Int
    /// The coordinator decided to prune the trial.
    private(set) var pruned = false
    private(set) var pruneReason = ""
    /// The lease was taken away (the trial runs elsewhere now).
    private(set) var cancelled = false
    /// Decisions received, by epoch (true: prune).
    private(set) var decisions: [Int: Bool] = [:]

    private let link: Socket
    private let codec: WireCodec
    private let flags: RunnerFlags
    private let decisionWait: Double
    private let connected: AtomicFlag
    private let log: Log

    init(assign: CoordinatorMessage.Assign, link: Socket, codec: WireCodec, flags: RunnerFlags, decisionWait: Double, connected: AtomicFlag, log: Log) {
        self.assign = assign
        self.lastEpoch = min(assign.spec.epochs, assign.maxEpochs)
        self.link = link
        self.codec = codec
        self.flags = flags
        self.decisionWait = decisionWait
        self.connected = connected
        self.log = log
    }

    /// The worker is stopping (SIGTERM): finish the epoch, then hand the trial back.
    var stopRequested: Bool { flags.stopAfterEpoch || flags.quit }
    /// Whether the trial should end now.
    var shouldEnd: Bool { pruned || cancelled || stopRequested }

    /// Sends one epoch's report to the coordinator (without waiting), with the trial's
    /// checkpoint after that epoch when one is due.
    func send(epoch: Int, metrics: [String: Double], seconds: Double?, checkpoint: [UInt8]? = nil) {
        let finite = metrics.filter { $0.value.isFinite }
        let message = WorkerMessage.report(.init(trial: assign.trial, attempt: assign.attempt, epoch: epoch, value: finite[assign.metric],
                                                 metrics: finite, seconds: seconds, checkpoint: checkpoint))
        RunnerLink.send(link, RunnerLink.FromRunner.forward.rawValue, codec.frames(message))
    }

    /// Reports one epoch and waits (bounded) for the answer; true to keep going.
    /// After the last epoch there is nothing to decide, so the result follows at once.
    func report(epoch: Int, metrics: [String: Double], seconds: Double, checkpoint: [UInt8]? = nil) -> Bool {
        send(epoch: epoch, metrics: metrics, seconds: seconds, checkpoint: checkpoint)
        if epoch < lastEpoch { waitForDecision(epoch: epoch) }
        return !shouldEnd
    }

    /// Whether the coordinator wants a checkpoint after `epoch` (never after the last one:
    /// the trial ends there).
    func checkpointDue(after epoch: Int) -> Bool {
        assign.checkpointEvery > 0 && epoch % assign.checkpointEvery == 0 && epoch < lastEpoch
    }

    /// How long to wait for a decision: while the coordinator is away, not at all
    /// (training goes on; a decision or cancel is applied when it comes).
    var decisionDeadline: Double { Date().timeIntervalSince1970 + (connected.isSet ? decisionWait : 0) }

    /// Waits for the decision about `epoch`, handling anything else that arrives meanwhile.
    func waitForDecision(epoch: Int) {
        let deadline = decisionDeadline
        while !shouldEnd && decisions[epoch] == nil {
            let left = deadline - Date().timeIntervalSince1970
            if left <= 0 { return } // no answer in time (or no coordinator): keep going
            _ = poll(fileDescriptors: [], timeoutMilliseconds: max(1, Int(left * 1000)))
        }
    }

    /// Waits up to `timeoutMilliseconds` for the link or one of `fileDescriptors`; handles
    /// what arrived on the link and returns the descriptors that are readable (or closed).
    func poll(fileDescriptors: [Int32], timeoutMilliseconds: Int) -> [Int32] {
        var poller = Poller([link], fileDescriptors: fileDescriptors)
        guard (try? poller.poll(timeoutMilliseconds: timeoutMilliseconds)) ?? 0 > 0 else { return [] }
        if poller.isReadable(0) { drainLink() }
        return fileDescriptors.indices.filter { poller.isReadable($0 + 1) }.map { fileDescriptors[$0] }
    }

    private func drainLink() {
        while let m = try? link.receive(dontWait: true), let (kind, frames) = RunnerLink.parse(m) {
            switch RunnerLink.ToRunner(rawValue: kind) {
            case .decision:
                if case .decision(let d)? = try? codec.decodeCoordinatorMessage(frames: frames[...]), d.trial == ref.trial, d.attempt == ref.attempt {
                    decisions[d.epoch] = d.prune
                    if d.prune && !pruned {
                        pruned = true
                        pruneReason = d.reason
                    }
                }
            case .cancel:
                if case .cancel(let r, _)? = try? codec.decodeCoordinatorMessage(frames: frames[...]), r == ref { cancelled = true }
            case .stopAfterEpoch:
                flags.stopAfterEpoch = true
            case .quit:
                flags.quit = true
            case .assign, nil:
                log.warning("ignored an assignment while trial \(ref.trial) runs")
            }
        }
    }
}

/// The runner's own requests, set from the link (runner thread only).
final class RunnerFlags {
    var stopAfterEpoch = false
    var quit = false
}
