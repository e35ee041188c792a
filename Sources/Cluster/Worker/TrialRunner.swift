import Foundation
import Randomness
import SweepFile
import Training
import ZeroMQ

/// Runs trials on its own thread: training (or a synthetic function), reporting each epoch
/// to the network thread and waiting briefly for the coordinator's answer.
///
/// It owns its end of the inproc link; nothing else is shared with the network thread.
final class TrialRunner {
    private let link: Socket
    private let codec = WireCodec()
    private let decisionWait: Double
    private let blasThreads: Int
    private let log: Log
    /// Data sets of recent trials: sweeps reuse the same data for every trial.
    private var datasets: [(DataConfig, Dataset)] = []
    private var stopAfterEpoch = false
    private var quit = false

    /// Whether the network thread is connected; while it is not, training does not wait.
    private let connected: AtomicFlag

    init(context: Context, endpoint: String, decisionWaitSeconds: Double, blasThreads: Int, connected: AtomicFlag, log: Log) throws {
        link = try Socket(context, .pair)
        try link.connect(endpoint)
        decisionWait = decisionWaitSeconds
        self.blasThreads = blasThreads
        self.connected = connected
        self.log = log
    }

    /// The runner loop: waits for assignments until told to quit.
    func run() {
        defer { link.close() }
        while !quit {
            guard let m = try? link.receive(), let (kind, frames) = RunnerLink.parse(m) else { continue }
            switch RunnerLink.ToRunner(rawValue: kind) {
            case .assign:
                guard case .assign(let a)? = try? codec.decodeCoordinatorMessage(frames: frames[...]) else { continue }
                runTrial(a)
            case .stopAfterEpoch:
                stopAfterEpoch = true
            case .quit:
                quit = true
            case .decision, .cancel, nil:
                break // for a trial that is over
            }
        }
    }

    /// What the coordinator said about the running trial.
    private struct TrialControl {
        var pruned = false
        var cancelled = false
    }

    private func runTrial(_ a: CoordinatorMessage.Assign) {
        var control = TrialControl()
        let ref = TrialRef(trial: a.trial, attempt: a.attempt)
        let lastEpoch = min(a.spec.epochs, a.maxEpochs)

        /// Reports one epoch and waits (bounded) for the answer; true to keep going.
        /// After the last epoch there is nothing to decide, so the result follows at once.
        func report(epoch: Int, metrics: [String: Double], seconds: Double) -> Bool {
            let finite = metrics.filter { $0.value.isFinite }
            let value = finite[a.metric]
            let message = WorkerMessage.report(.init(trial: a.trial, attempt: a.attempt, epoch: epoch, value: value, metrics: finite, seconds: seconds))
            RunnerLink.send(link, RunnerLink.FromRunner.forward.rawValue, codec.frames(message))
            if epoch < lastEpoch { waitForDecision(ref, epoch: epoch, control: &control) }
            return !(control.pruned || control.cancelled || stopAfterEpoch || quit)
        }

        var epochsRun = 0
        var model: [UInt8]?
        var lastMetrics: [String: Double] = [:]
        var finalValue: Double?
        var failure: String?
        var completed = false

        switch a.spec {
        case .synthetic(let task):
            for epoch in 1...min(task.epochs, a.maxEpochs) {
                if task.sleep > 0 { Thread.sleep(forTimeInterval: task.sleep) }
                let v = task.value(atEpoch: epoch)
                lastMetrics = ["value": v]
                epochsRun = epoch
                if epoch == task.epochs || epoch == a.maxEpochs { completed = true }
                if !report(epoch: epoch, metrics: lastMetrics, seconds: task.sleep) {
                    if epoch < lastEpoch { completed = false }
                    break
                }
            }
            if completed {
                if task.failProbability > 0, syntheticFailureDraw(seed: a.seed) < task.failProbability {
                    failure = "synthetic failure (fail_probability \(task.failProbability))"
                    completed = false
                } else {
                    finalValue = task.finalValue
                }
            }
        case .training(let config):
            do {
                let dataset = try loadDataset(config.data)
                // A transfer-learning trial may get its base model with the assignment.
                let base = try a.baseModel.map { try Model(bytes: $0) }
                let trainer = try Trainer(config: config, dataset: dataset, baseModel: base, blasThreads: blasThreads)
                let result = try trainer.fit { epoch in
                    lastMetrics = epoch.metrics
                    epochsRun = epoch.epoch
                    return report(epoch: epoch.epoch, metrics: epoch.metrics, seconds: epoch.seconds) ? .proceed : .stop
                }
                switch result.stopReason {
                case .diverged:
                    failure = "training diverged (loss or metrics not finite) after \(result.epochs.count) epoch(s)"
                case .completed, .earlyStopping:
                    completed = true
                    // The objective of the weights the trial ends with (restored best or last).
                    let final = result.restoredBest ? result.epochs.first { $0.epoch == result.bestEpoch } : result.epochs.last
                    lastMetrics = final?.metrics ?? lastMetrics
                    finalValue = lastMetrics[a.metric]
                case .stoppedByCaller:
                    // Stopped after its last epoch (e.g. SIGTERM then) is still a finished trial.
                    completed = epochsRun >= lastEpoch && !control.pruned && !control.cancelled
                    if completed { finalValue = lastMetrics[a.metric] }
                }
                if completed && a.keepModel {
                    do {
                        model = try ModelFile.encode(trainer)
                    } catch {
                        log.warning("trial \(a.trial): the model could not be encoded and is not sent: \(error)")
                    }
                }
            } catch {
                failure = "\(error)"
            }
        }

        if control.cancelled {
            RunnerLink.send(link, RunnerLink.FromRunner.aborted.rawValue)
        } else if let failure {
            RunnerLink.send(link, RunnerLink.FromRunner.forward.rawValue,
                            codec.frames(.failure(.init(trial: a.trial, attempt: a.attempt, error: failure, ready: true))))
        } else if completed || control.pruned {
            let finite = lastMetrics.filter { $0.value.isFinite }
            let result = WorkerMessage.Result(trial: a.trial, attempt: a.attempt, state: completed ? .complete : .pruned,
                                              value: completed ? finalValue : finite[a.metric], metrics: finite, epochs: epochsRun, ready: true,
                                              model: completed ? model : nil)
            RunnerLink.send(link, RunnerLink.FromRunner.forward.rawValue, codec.frames(.result(result)))
        } else {
            RunnerLink.send(link, RunnerLink.FromRunner.returned.rawValue, codec.frames(.bye(.init(reason: "stopped", trial: a.trial, attempt: a.attempt))))
        }
    }

    /// Waits for the decision about `epoch`, handling anything else that arrives meanwhile.
    /// While the coordinator is away, it only takes what already arrived: training goes on,
    /// and the decision (or a cancel) is applied when it comes.
    private func waitForDecision(_ ref: TrialRef, epoch: Int, control: inout TrialControl) {
        let deadline = Date().timeIntervalSince1970 + (connected.isSet ? decisionWait : 0)
        var poller = Poller([link])
        while !quit && !control.cancelled {
            let left = deadline - Date().timeIntervalSince1970
            guard (try? poller.poll(timeoutMilliseconds: max(0, Int(left * 1000)))) ?? 0 > 0 else {
                if left <= 0 { return } // no answer in time (or no coordinator): keep training
                continue
            }
            while let m = try? link.receive(dontWait: true), let (kind, frames) = RunnerLink.parse(m) {
                switch RunnerLink.ToRunner(rawValue: kind) {
                case .decision:
                    if case .decision(let d)? = try? codec.decodeCoordinatorMessage(frames: frames[...]), d.trial == ref.trial, d.attempt == ref.attempt {
                        if d.prune { control.pruned = true }
                        if d.epoch >= epoch { return }
                    }
                case .cancel:
                    if case .cancel(let r, _)? = try? codec.decodeCoordinatorMessage(frames: frames[...]), r == ref { control.cancelled = true }
                case .stopAfterEpoch:
                    stopAfterEpoch = true
                case .quit:
                    quit = true
                case .assign, nil:
                    log.warning("ignored an assignment while trial \(ref.trial) runs")
                }
            }
        }
    }

    private func loadDataset(_ config: DataConfig) throws -> Dataset {
        if let hit = datasets.first(where: { $0.0 == config }) { return hit.1 }
        let d = try DatasetLoader.load(config)
        datasets.insert((config, d), at: 0)
        if datasets.count > 2 { datasets.removeLast() }
        return d
    }

    /// A draw fixed by the trial seed, so a failing synthetic trial fails on every retry.
    private func syntheticFailureDraw(seed: UInt64) -> Double {
        var g = SeededGenerator(seed: seed, stream: 0xFA11)
        return g.nextDouble()
    }
}
