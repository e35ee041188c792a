import ArgumentParser
import Foundation
import Training
import SweepFile

/// Training throughput of the 784-300-100-10 MLP (or, with `--cnn`, the CNN of
/// sweeps/cnn.yaml), and a runner for train files.
///
/// Without `--config`: Fashion-MNIST, first 55,000 training images, last 5,000 for
/// validation, ReLU/he_normal, Adam 1e-3, one BLAS thread; reports samples/s over epochs
/// 2..N (training steps only), epoch time, final validation accuracy and the sgemm share.
/// With `--config FILE`: trains the run a YAML/JSON train file describes and prints its curve.
struct TrainingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Train the benchmark MLP (or a train file) and report speed and accuracy.")

    @Option(help: "Batch size of the benchmark net.")
    var batchSize = 32

    @Option(help: "Epochs (the benchmark measures epochs 2..N).")
    var epochs = 5

    @Option(help: "A train file (YAML or JSON) to run instead of the benchmark net.")
    var config: String?

    @Flag(help: "Benchmark the CNN of sweeps/cnn.yaml (conv 32, pool, conv 64, pool, dense 128, dropout 0.3) instead of the MLP.")
    var cnn = false

    @Option(help: "Override the seed.")
    var seed: UInt64?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Also evaluate the test split at the end (train files).")
    var test = false

    @Option(help: "Also report test metrics with this many MC-dropout passes.")
    var mcSamples: Int?

    @Option(help: "Write a checkpoint to this file after every epoch and report its cost.")
    var checkpoint: String?

    @Flag(help: "Take a checkpoint after every epoch and ship it as a sweep does (report frame over TCP loopback, stored by the coordinator's checkpoint keeper); report its cost.")
    var shipCheckpoint = false

    func run() throws {
        var trial: TrialConfig
        if let config {
            trial = try Self.loadTrainFile(config)
        } else if cnn {
            trial = TrialConfig(
                seed: 42,
                data: DataConfig(dataset: .fashionMNIST, validation: 5000),
                model: ModelConfig(
                    hidden: [128], activation: .relu, initializer: .heNormal, dropout: 0.3,
                    conv: ConvBlocksConfig(blocks: 2, filters: 32, filterGrowth: 2, kernelSize: WindowSize(3), padding: .same, pooling: .max)),
                training: TrainingConfig(epochs: epochs, batchSize: batchSize, optimizer: OptimizerConfig(.adam, learningRate: 1e-3)))
        } else {
            trial = TrialConfig(
                seed: 42,
                data: DataConfig(dataset: .fashionMNIST, validation: 5000),
                model: ModelConfig(hidden: [300, 100], activation: .relu, initializer: .heNormal),
                training: TrainingConfig(epochs: epochs, batchSize: batchSize, optimizer: OptimizerConfig(.adam, learningRate: 1e-3)))
        }
        if let seed { trial.seed = seed }
        let loadStart = Date()
        let dataset = try DatasetLoader.load(trial.data)
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let trainer = try Trainer(config: trial, dataset: dataset)
        trainer.profiling = config == nil
        if !json {
            print("data: \(trial.data.dataset.rawValue) train \(dataset.train.count) / validation \(dataset.validation.count) / test \(dataset.test.count) (loaded in \(String(format: "%.2f", loadSeconds)) s)")
            if config != nil { print(trainer.summary) }
        }
        var profileAfterFirstEpoch = TrainingProfile()
        var checkpointSeconds: [Double] = [], checkpointBytes = 0
        var shipSeconds: [Double] = []
        let shipper = shipCheckpoint ? try CheckpointShipper() : nil
        let result = try trainer.fit { epoch in
            if epoch.epoch == 1 { profileAfterFirstEpoch = trainer.profile }
            if let checkpoint {
                // Taking the state, encoding it and writing it atomically, as `sweep train --checkpoint` does.
                let start = Date()
                let bytes = try! CheckpointFile.encode(trainer.checkpoint())
                try! Data(bytes).write(to: URL(fileURLWithPath: checkpoint), options: .atomic)
                checkpointSeconds.append(Date().timeIntervalSince(start))
                checkpointBytes = bytes.count
            }
            if let shipper {
                // Taking the state and encoding it (the worker's runner thread), then the trip to
                // the coordinator's disk, all counted as if nothing ran concurrently.
                let start = Date()
                let bytes = try! CheckpointFile.encode(trainer.checkpoint())
                try! shipper.ship(bytes, epoch: epoch.epoch)
                shipSeconds.append(Date().timeIntervalSince(start))
                checkpointBytes = bytes.count
            }
            if !json {
                let m = epoch.metrics
                let keys = m.keys.sorted().map { "\($0) \(String(format: $0 == "lr" ? "%.3g" : "%.4f", m[$0]!))" }
                print("epoch \(epoch.epoch): \(keys.joined(separator: "  "))  [\(String(format: "%.2f", epoch.seconds)) s]")
            }
            return .proceed
        }
        let measured = result.epochs.dropFirst()
        let trainSeconds = measured.reduce(0.0) { $0 + $1.trainingSeconds }
        let samples = Double(measured.count * dataset.train.count)
        var profile = trainer.profile
        profile.steps -= profileAfterFirstEpoch.steps
        profile.samples -= profileAfterFirstEpoch.samples
        profile.gather -= profileAfterFirstEpoch.gather
        profile.forward -= profileAfterFirstEpoch.forward
        profile.loss -= profileAfterFirstEpoch.loss
        profile.backward -= profileAfterFirstEpoch.backward
        profile.update -= profileAfterFirstEpoch.update
        profile.gemm -= profileAfterFirstEpoch.gemm
        var report: [String: Double] = [
            "samples_per_second": trainSeconds > 0 ? samples / trainSeconds : 0,
            "epoch_seconds": measured.isEmpty ? 0 : trainSeconds / Double(measured.count),
            "val_accuracy": result.epochs.last?.metrics["val_accuracy"] ?? 0,
            "val_loss": result.epochs.last?.metrics["val_loss"] ?? 0,
            "epochs": Double(result.epochs.count),
            "batch_size": Double(trial.training.batchSize),
        ]
        if config == nil && !cnn {
            report["sgemm_ceiling_samples_per_second"] = GemmCeiling.samplesPerSecond(
                widths: [dataset.featureCount] + trial.model.hidden + [dataset.classCount],
                batchSize: trial.training.batchSize, samples: 2 * dataset.train.count)
        }
        if config == nil {
            report["sgemm_share"] = profile.gemmShare
            for (name, value) in [("gather", profile.gather), ("forward", profile.forward), ("loss", profile.loss),
                                  ("backward", profile.backward), ("update", profile.update), ("sgemm", profile.gemm)] {
                report["share_" + name] = profile.total > 0 ? value / profile.total : 0
            }
        }
        if checkpoint != nil, checkpointSeconds.count > 1 {
            let perEpoch = checkpointSeconds.dropFirst().reduce(0, +) / Double(checkpointSeconds.count - 1)
            let epochSeconds = measured.reduce(0.0) { $0 + $1.seconds } / Double(max(1, measured.count))
            report["checkpoint_seconds"] = perEpoch
            report["checkpoint_bytes"] = Double(checkpointBytes)
            report["checkpoint_fraction_of_epoch"] = perEpoch / epochSeconds
        }
        if shipCheckpoint, shipSeconds.count > 1 {
            let perEpoch = shipSeconds.dropFirst().reduce(0, +) / Double(shipSeconds.count - 1)
            let epochSeconds = measured.reduce(0.0) { $0 + $1.seconds } / Double(max(1, measured.count))
            report["ship_checkpoint_seconds"] = perEpoch
            report["checkpoint_bytes"] = Double(checkpointBytes)
            report["ship_checkpoint_fraction_of_epoch"] = perEpoch / epochSeconds
        }
        if let best = result.bestEpoch { report["best_epoch"] = Double(best) }
        if test || trial.training.mcDropoutSamples > 0 {
            for (key, value) in trainer.evaluate(.test) { report["test_" + key] = value }
        }
        if let mcSamples {
            for (key, value) in trainer.evaluate(.test, mcSamples: mcSamples) { report["mc_test_" + key] = value }
            for (key, value) in trainer.evaluate(.validation, mcSamples: mcSamples) { report["mc_val_" + key] = value }
        }
        if json {
            var object: [String: Any] = report
            object["stop_reason"] = result.stopReason.rawValue
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for key in report.keys.sorted() { print("\(key): \(String(format: "%.4f", report[key]!))") }
            print("stop_reason: \(result.stopReason.rawValue)")
        }
    }

    /// Decodes a train file (YAML, or JSON by extension) rejecting unknown fields.
    /// Reads a train file with the same loader (and located errors) as `sweep train`.
    static func loadTrainFile(_ path: String) throws -> TrialConfig {
        do {
            return try TrainFile.load(path: path)
        } catch {
            throw TrainFileError(message: error.description)
        }
    }
}

/// A train file that does not decode (printed without the usage text).
struct TrainFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
