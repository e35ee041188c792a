import Foundation
import Randomness
import SweepFile

/// How a trial ended, before it becomes a `result`, `failure` or hand-back.
struct TrialEnd {
    /// Ran to its end (as opposed to pruned, failed, or stopped early).
    var completed = false
    /// The objective of the result (complete trials).
    var finalValue: Double?
    var lastMetrics: [String: Double] = [:]
    var epochsRun = 0
    var model: [UInt8]?
    var failure: String?
    /// The failure is the trial's own (its program failed or its training diverged), not
    /// this worker's: it does not count towards quarantining the worker.
    var failureIsTrials = false
    /// The program ended well and reported, but never the objective (``WorkerMessage/Failure/objectiveMissing``).
    var objectiveMissing = false
    /// A command trial's last output, sent with its result or failure.
    var logTail: String?
}

/// One kind of trial the runner can run: built-in training, a synthetic function, or the
/// user's command. It reports through the session and says how the trial ended.
protocol TrialKind {
    func run(_ session: TrialSession) -> TrialEnd
}

/// A known function instead of training (tests, benchmarks, demos).
struct SyntheticTrial: TrialKind {
    let task: SyntheticTask

    func run(_ session: TrialSession) -> TrialEnd {
        var end = TrialEnd()
        let a = session.assign
        for epoch in 1...min(task.epochs, a.maxEpochs) {
            if task.sleep > 0 { Thread.sleep(forTimeInterval: task.sleep) }
            end.lastMetrics = ["value": task.value(atEpoch: epoch)]
            end.epochsRun = epoch
            if epoch == task.epochs || epoch == a.maxEpochs { end.completed = true }
            if !session.report(epoch: epoch, metrics: end.lastMetrics, seconds: task.sleep) {
                if epoch < session.lastEpoch { end.completed = false }
                break
            }
        }
        if end.completed {
            if task.failProbability > 0, Self.failureDraw(seed: a.seed) < task.failProbability {
                end.failure = "synthetic failure (fail_probability \(task.failProbability))"
                end.completed = false
            } else {
                end.finalValue = task.finalValue
            }
        }
        return end
    }

    /// A draw fixed by the trial seed, so a failing synthetic trial fails on every retry.
    private static func failureDraw(seed: UInt64) -> Double {
        var g = SeededGenerator(seed: seed, stream: 0xFA11)
        return g.nextDouble()
    }
}
