import Foundation
import SweepFile
import SweepSupport
import Training

/// Sweep's built-in training: the fast path.
struct TrainingTrial: TrialKind {
    let config: TrialConfig
    let datasets: DatasetCache
    let blasThreads: Int
    let log: Log
    /// Where data sets shipped by the coordinator are kept.
    let dataCache: DataContentCache

    func run(_ session: TrialSession) -> TrialEnd {
        var end = TrialEnd()
        let a = session.assign
        do {
            // Files missing here come from the coordinator (once per worker: they are cached).
            let data = try DataFetcher(cache: dataCache, log: log).localize(config.data, over: session)
            let dataset = try datasets.load(data)
            // A transfer-learning trial may get its base model with the assignment.
            let base = try a.baseModel.map { try Model(bytes: $0) }
            // Decoded (and so checked) once, from the assignment on the wire.
            let trainer = try Trainer(config: config, dataset: dataset, baseModel: base, blasThreads: blasThreads, decoded: true)
            if let resume = a.resume {
                // A re-queued trial continues where its last attempt's checkpoint left off;
                // one damaged where it is stored (a machine crash) is no fault of the trial:
                // it starts over (it was FAILed for good).
                let stored: ArraySlice<UInt8>?
                switch Result(catching: { () throws(CheckpointFetchError) in try session.resumeCheckpoint() }) {
                case .success(let bytes):
                    stored = bytes
                case .failure(let failure) where failure.damaged:
                    log.warning("trial \(a.trial) attempt \(a.attempt): \(failure); it starts over from epoch 1")
                    stored = nil
                case .failure(let failure):
                    throw ResumeError(epoch: resume.epoch, cause: "\(failure)")
                }
                if let stored {
                    do {
                        try trainer.restore(from: try CheckpointFile.decode(Array(stored)))
                    } catch {
                        throw ResumeError(epoch: resume.epoch, cause: "\(error)")
                    }
                    end.epochsRun = resume.epoch
                    log.info("trial \(a.trial) (attempt \(a.attempt)) continues from its checkpoint after epoch \(resume.epoch)")
                }
            }
            let result = try trainer.fit { epoch in
                end.lastMetrics = epoch.metrics
                end.epochsRun = epoch.epoch
                let checkpoint = session.checkpointDue(after: epoch.epoch) ? encode(trainer, epoch: epoch.epoch) : nil
                return session.report(epoch: epoch.epoch, metrics: epoch.metrics, seconds: epoch.seconds, checkpoint: checkpoint) ? .proceed : .stop
            }
            switch result.stopReason {
            case .diverged:
                end.failure = "training diverged (loss or metrics not finite) after \(result.epochs.count) epoch(s)"
                end.failureIsTrials = true
            case .completed, .earlyStopping:
                end.completed = true
                // The objective of the weights the trial ends with (restored best or last).
                let final = result.restoredBest ? result.epochs.first { $0.epoch == result.bestEpoch } : result.epochs.last
                end.lastMetrics = final?.metrics ?? end.lastMetrics
                end.finalValue = end.lastMetrics[a.metric]
            case .stoppedByCaller:
                // Stopped after its last epoch (e.g. SIGTERM then) is still a finished trial.
                end.completed = end.epochsRun >= session.lastEpoch && !session.pruned && !session.cancelled
                if end.completed { end.finalValue = end.lastMetrics[a.metric] }
            }
            if end.completed && a.keepModel {
                do {
                    end.model = try ModelFile.encode(trainer)
                } catch {
                    log.warning("trial \(a.trial): the model could not be encoded and is not sent: \(error)")
                }
            }
        } catch {
            // Stopped while fetching data (SIGTERM, cancel): handed back, not failed.
            if !(session.stopRequested || session.cancelled) { end.failure = "\(error)" }
        }
        return end
    }

    /// The trainer's state after `epoch` as a checkpoint file (nil, and a warning, if it
    /// cannot be encoded: the trial goes on without one).
    private func encode(_ trainer: Trainer, epoch: Int) -> [UInt8]? {
        do {
            return try CheckpointFile.encode(trainer.checkpoint())
        } catch {
            log.warning("trial checkpoint after epoch \(epoch) could not be encoded and is not sent: \(error)")
            return nil
        }
    }

    /// A resume checkpoint that does not fit this trial.
    struct ResumeError: Error, CustomStringConvertible {
        var epoch: Int
        var cause: String
        var description: String { "cannot resume from the checkpoint after epoch \(epoch): \(cause)" }
    }
}

/// Data sets of recent trials: sweeps reuse the same data for every trial.
final class DatasetCache {
    private var entries: [(DataConfig, Dataset)] = []

    func load(_ config: DataConfig) throws -> Dataset {
        if let hit = entries.first(where: { $0.0 == config }) { return hit.1 }
        let d = try DatasetLoader.load(config)
        entries.insert((config, d), at: 0)
        if entries.count > 2 { entries.removeLast() }
        return d
    }
}
