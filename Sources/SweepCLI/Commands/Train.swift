import ArgumentParser
import Foundation
import SweepFile
import SweepSupport
import Training

/// `sweep train FILE`: one training run without a cluster.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one configuration and report its test accuracy.",
        discussion: """
            The file has seed, data, model and training sections (docs/training.md); a
            sweep file without search ranges works too. Prints per-epoch metrics with a
            progress bar and ends with the test metrics of the final (or restored best)
            weights.

            With --save-model, the trained network (the final weights, or the best epoch's
            when early stopping restored them) is written as a model file
            (docs/model-format.md) for `sweep predict` and for transfer learning
            (model.transfer.from).

            With --checkpoint, the run saves its whole state (weights, optimizer,
            schedule, random streams; docs/model-format.md) after every --checkpoint-every
            epochs, and a run started with an existing checkpoint continues after its
            epoch, bit-identical to an uninterrupted run. Ctrl-C stops after the current
            epoch, saved, and exits 130 without a model or test metrics. The file is
            removed when training ends, unless --keep-checkpoint.

            Examples:
              sweep train sweeps/reference/adam-relu.yaml
              sweep train sweeps/transfer/a.yaml --save-model runs/transfer-a.swm
              sweep train sweeps/cnn.yaml --checkpoint runs/cnn.swc
            """)

    @Argument(help: "The train file (YAML).", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @Flag(help: "Do not evaluate on the test split at the end.") var noTest = false
    @Option(help: "Also write the epochs to this file: JSON lines, or CSV when it ends in .csv.") var metricsOut: String?
    @Option(help: "Write the trained model to this file (final or restored-best weights).") var saveModel: String?
    @Option(help: "Save the training state to this file; continue from it when it exists.") var checkpoint: String?
    @Option(help: "Epochs between checkpoints.") var checkpointEvery = 1
    @Flag(help: "Keep the checkpoint file when training ends.") var keepCheckpoint = false

    func run() throws {
        let (config, preloaded, baseModel) = try DataPreflight.trainFile(file)
        let dataset: Dataset
        do { dataset = try preloaded ?? DatasetLoader.load(config.data) } catch { throw CommandFailure("\(error)") }
        let trainer: Trainer
        do { trainer = try Trainer(config: config, dataset: dataset, baseModel: baseModel, decoded: true) } catch { throw UsageError("\(file): \(error)") }
        if let saveModel {
            let directory = (saveModel as NSString).deletingLastPathComponent
            if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
                throw UsageError("--save-model: directory \(directory) does not exist")
            }
        }
        if checkpointEvery < 1 { throw UsageError("--checkpoint-every: must be at least 1, got \(checkpointEvery)") }
        // An output over the run's own input (the data file, or the train file) replaced it, exit 0.
        let inputs = [file] + (config.data.files?.allPaths ?? [])
        func same(_ a: String, _ b: String) -> Bool {
            var x = stat(), y = stat()
            return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
        }
        for (option, path) in [("--save-model", saveModel), ("--metrics-out", metricsOut), ("--checkpoint", checkpoint)] {
            if let path, let input = inputs.first(where: { same($0, path) }) {
                throw UsageError("\(option) \(path) is the run's own input (\(input)): name another file")
            }
            // Before training, not after it (`--metrics-out s.db` replaced a study database).
            if let path { do { try OutputFile.refuseDatabase(path) } catch { throw UsageError("\(option): \(error)") } }
        }
        var continuedAfter: Int?
        if let checkpoint, FileManager.default.fileExists(atPath: checkpoint) {
            do {
                let saved = try CheckpointFile.read(checkpoint)
                try trainer.restore(from: saved)
                continuedAfter = saved.epoch
                print("continuing from \(checkpoint) after epoch \(saved.epoch)")
            } catch {
                throw UsageError("--checkpoint \(checkpoint): \(error)")
            }
        }
        let metricsFile = try metricsOut.map { try EpochLogFile(path: $0, keepingEpochsThrough: continuedAfter) }
        let summary = trainer.summary
        // (With --no-test the test split is not used: "10000 test samples" said otherwise.)
        let tested = noTest ? "" : ", \(dataset.test.count) test"
        print("\(config.data.dataset.rawValue): \(dataset.train.count) training, \(dataset.validation.count) validation\(tested) samples")
        print("model: \(summary.totalParameters) parameters (\(summary.trainableParameters) trainable); \(config.training.epochs) epochs, batch \(config.training.batchSize), \(config.training.optimizer.name.rawValue)")
        let display = LiveDisplay()
        let epochs = config.training.epochs
        var writeFailure: String?
        // Ctrl-C (SIGINT, SIGTERM, SIGHUP) stops after the current epoch, saved; a second exits.
        installStopSignals()
        let result = try trainer.fit(progress: { p in
            guard display.isTerminal else { return }
            let line = "epoch \(p.epoch)/\(epochs) \(progressBar(Double(p.batch) / Double(max(1, p.batchesPerEpoch)))) \(p.batch)/\(p.batchesPerEpoch)  loss \(String(format: "%.4f", p.loss))"
            display.show([line])
        }, onEpoch: { e in
            display.show([EpochText.line(epoch: e.epoch, of: epochs, metrics: e.metrics, seconds: e.seconds)])
            display.finish(keep: true)
            if let metricsFile {
                do {
                    if let failure = try metricsFile.append(e) {
                        writeFailure = "cannot write the metrics of epoch \(e.epoch) to \(metricsFile.path): \(failure)"
                        return .stop
                    }
                } catch {
                    writeFailure = "cannot encode the metrics of epoch \(e.epoch): \(error)"
                    return .stop
                }
            }
            if let checkpoint, e.epoch % checkpointEvery == 0 || processStop.isSet {
                do { try CheckpointFile.write(trainer.checkpoint(), to: checkpoint) } catch {
                    writeFailure = "cannot write checkpoint \(checkpoint): \(SystemErrorText.of(error, at: checkpoint))"
                    return .stop
                }
            }
            // (At the last epoch the run is done: it ends as completed, with its model.)
            return processStop.isSet && e.epoch < epochs ? .stop : .proceed
        })
        // Past training, Ctrl-C ends the command at once again (the test evaluation, the model).
        restoreDefaultStopSignals()
        if let writeFailure { throw CommandFailure(writeFailure) }
        if let checkpoint, [.completed, .earlyStopping].contains(result.stopReason), !keepCheckpoint {
            try? FileManager.default.removeItem(atPath: checkpoint)
        }
        switch result.stopReason {
        case .diverged:
            let noMetrics = metricsFile.flatMap { $0.removeIfNothingWritten() ? $0.path : nil }
            throw CommandFailure(Self.divergence(completedEpochs: result.epochs.count, saveModel: saveModel, metricsOut: noMetrics, testing: !noTest && dataset.test.count > 0))
        case .earlyStopping: print("early stopping after epoch \(result.epochs.last?.epoch ?? 0)\(result.restoredBest ? "; restored the weights of epoch \(result.bestEpoch ?? 0)" : "")")
        case .stoppedByCaller:
            // Interrupted: the checkpoint holds the epochs so far; an unfinished run writes no
            // model and measures no test set (as the run would, uninterrupted, at its end).
            let again = checkpoint.map { "; `\(ShellCommand.sweep(["train", file, "--checkpoint", $0]))` continues it" } ?? "; nothing was saved (--checkpoint FILE keeps an interrupted run)"
            print("stopped after epoch \(result.epochs.last?.epoch ?? continuedAfter ?? 0)\(again)")
            throw StoppedBySignal()
        case .completed: break
        }
        if let best = result.bestEpoch, let monitor = config.training.earlyStopping?.monitor.rawValue,
           let m = result.epochs.first(where: { $0.epoch == best })?.metrics[monitor] {
            print("best epoch \(best): \(monitor) \(EpochText.metric(m))")
        }
        if let saveModel {
            do { try ModelFile.write(trainer, to: saveModel) } catch { throw CommandFailure("cannot write \(saveModel): \(SystemErrorText.of(error, at: saveModel))") }
            print("model written to \(saveModel)\(result.restoredBest ? " (weights of epoch \(result.bestEpoch ?? 0))" : "")")
        }
        // Stopped during the last epoch: the run is complete and its model kept, but the test
        // pass (minutes for a large network) is not begun: a SIGTERM then seemed ignored.
        if processStop.isSet {
            print("stopped at the end of training: no test evaluation (run it again, or `sweep predict`, to measure the test set)")
            throw StoppedBySignal()
        }
        if !noTest && dataset.test.count > 0 {
            print(EpochText.test(trainer.evaluate(.test)))
        }
    }
}

extension Train {
    /// Why a diverged run ends with nothing: which epoch, and what was not produced.
    /// `metricsOut`: the metrics file, when no epoch was written to it (it is not left empty).
    static func divergence(completedEpochs: Int, saveModel: String?, metricsOut: String? = nil, testing: Bool) -> String {
        var skipped: [String] = []
        if testing { skipped.append("no test metrics") }
        if let saveModel { skipped.append("no model written to \(saveModel)") }
        let outcome = skipped.isEmpty ? "" : "; \(skipped.joined(separator: " and ")), since the weights are not usable"
        let metrics = metricsOut.map { "; \($0) not written: no epoch ended" } ?? ""
        return "training diverged in epoch \(completedEpochs + 1): the loss or a metric became NaN or infinite (often a learning rate too high)\(outcome)\(metrics)"
    }
}
