import Foundation
import Testing
@testable import Training

@Suite("Checkpoints")
struct CheckpointTests {
    /// Configurations that exercise every piece of state a checkpoint must carry.
    enum Setup: String, CaseIterable, CustomTestStringConvertible {
        case adamOneCycleDropoutBatchNorm, nadamPlateauEarlyStopping, nesterovExponentialClipped, rmspropMomentumPiecewise, adagradNoShuffleState

        var testDescription: String { rawValue }

        var config: TrialConfig {
            var c: TrialConfig
            switch self {
            case .adamOneCycleDropoutBatchNorm:
                c = smallTrial(samples: 240, hidden: [12, 8], optimizer: OptimizerConfig(.adam, learningRate: 0.01), epochs: 6)
                c.model.dropout = 0.2
                c.model.batchNorm = .after
                c.training.schedule = ScheduleConfig(.oneCycle, maxLR: 0.02)
            case .nadamPlateauEarlyStopping:
                c = smallTrial(samples: 240, hidden: [12], optimizer: OptimizerConfig(.nadam, learningRate: 0.02), epochs: 7)
                c.training.schedule = ScheduleConfig(.plateau, factor: 0.5, patience: 1)
                c.training.earlyStopping = EarlyStoppingConfig(monitor: .valLoss, patience: 5, restoreBest: true)
            case .nesterovExponentialClipped:
                c = smallTrial(samples: 240, hidden: [10, 10], optimizer: OptimizerConfig(.nesterov, learningRate: 0.05), epochs: 6)
                c.training.schedule = ScheduleConfig(.exponential, decayEpochs: 2, decayRate: 0.5)
                c.training.clip = .globalNorm(1)
            case .rmspropMomentumPiecewise:
                var optimizer = OptimizerConfig(.rmsprop, learningRate: 0.005)
                optimizer.momentum = 0.5
                c = smallTrial(samples: 240, hidden: [10], optimizer: optimizer, epochs: 6)
                c.training.schedule = ScheduleConfig(.piecewise, boundaries: [30, 60], values: [0.005, 0.002, 0.001])
            case .adagradNoShuffleState:
                c = smallTrial(samples: 240, hidden: [10], optimizer: OptimizerConfig(.adagrad, learningRate: 0.1), epochs: 6)
            }
            return c
        }
    }

    /// Metrics without the wall-clock fields, which differ between runs.
    static func metrics(_ epochs: [EpochMetrics]) -> [EpochMetrics] {
        epochs.map { var e = $0; e.seconds = 0; e.trainingSeconds = 0; return e }
    }

    /// Trains `config` until epoch `stopAfter`, checkpoints, writes and reads the checkpoint file.
    static func checkpoint(_ config: TrialConfig, dataset: Dataset, after stopAfter: Int) throws -> TrainingCheckpoint {
        let trainer = try Trainer(config: config, dataset: dataset)
        var saved: TrainingCheckpoint?
        _ = try trainer.fit { epoch in
            guard epoch.epoch == stopAfter else { return .proceed }
            saved = trainer.checkpoint()
            return .stop
        }
        let checkpoint = try #require(saved)
        let decoded = try CheckpointFile.decode(try CheckpointFile.encode(checkpoint))
        #expect(decoded == checkpoint)
        return decoded
    }

    @Test(arguments: Setup.allCases, [1, 3])
    func resumedRunIsBitIdenticalToAnUninterruptedOne(_ setup: Setup, stopAfter: Int) throws {
        let config = setup.config
        let dataset = try DatasetLoader.load(config.data)
        let whole = try Trainer(config: config, dataset: dataset)
        let expected = try whole.fit { _ in .proceed }
        #expect(expected.epochs.count > stopAfter, "the reference run must go past the checkpoint")

        let saved = try Self.checkpoint(config, dataset: dataset, after: stopAfter)
        #expect(saved.epoch == stopAfter && saved.epochs.count == stopAfter)
        let resumed = try Trainer(config: config, dataset: dataset)
        var trainedEpochs: [Int] = []
        let result = try resumed.restoreAndFit(saved) { trainedEpochs.append($0.epoch) }

        #expect(trainedEpochs == Array((stopAfter + 1)...expected.epochs.count))
        #expect(Self.metrics(result.epochs) == Self.metrics(expected.epochs))
        #expect(result.stopReason == expected.stopReason && result.bestEpoch == expected.bestEpoch && result.restoredBest == expected.restoredBest)
        #expect(resumed.parameters == whole.parameters)
        #expect(resumed.nonTrainableState == whole.nonTrainableState)
        #expect(resumed.evaluate(.test) == whole.evaluate(.test))
    }

    @Test func resumedTransferRunUnfreezesWhenTheUninterruptedOneDoes() throws {
        let baseConfig = smallTrial(samples: 240, hidden: [10, 6], epochs: 3)
        let dataset = try DatasetLoader.load(baseConfig.data)
        let base = try Trainer(config: baseConfig, dataset: dataset)
        _ = try base.fit { _ in .proceed }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-ckpt-base-\(UUID().uuidString).swm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.write(base, to: path)

        var config = smallTrial(samples: 240, hidden: [10, 6], epochs: 6)
        config.model.transfer = TransferConfig(from: path, reuseLayers: 1, freezeEpochs: 2, unfreezeFactor: 0.5)
        let whole = try Trainer(config: config, dataset: dataset)
        let expected = try whole.fit { _ in .proceed }
        for stopAfter in [1, 2, 4] {
            let saved = try Self.checkpoint(config, dataset: dataset, after: stopAfter)
            let resumed = try Trainer(config: config, dataset: dataset)
            let result = try resumed.restoreAndFit(saved) { _ in }
            #expect(Self.metrics(result.epochs) == Self.metrics(expected.epochs), "resumed after epoch \(stopAfter)")
            #expect(resumed.parameters == whole.parameters, "resumed after epoch \(stopAfter)")
        }
    }

    @Test func aChangedRateContinuesTheSameWeights() throws {
        // Population Based Training's explore step: same network, another rate and dropout.
        var config = Setup.adamOneCycleDropoutBatchNorm.config
        config.training.schedule = .constant
        let dataset = try DatasetLoader.load(config.data)
        let saved = try Self.checkpoint(config, dataset: dataset, after: 2)
        var explored = config
        explored.training.optimizer.learningRate = 0.002
        explored.model.dropout = 0.1
        let resumed = try Trainer(config: explored, dataset: dataset)
        let result = try resumed.restoreAndFit(saved) { _ in }
        #expect(result.epochs.map(\.epoch) == Array(1...6))
        #expect(Self.metrics(Array(result.epochs.prefix(2))) == Self.metrics(saved.epochs))
        #expect(result.epochs[2].metrics["lr"] == 0.002)
    }

    @Test func aCheckpointOfAnotherNetworkOrSplitIsRefused() throws {
        let config = Setup.adagradNoShuffleState.config
        let dataset = try DatasetLoader.load(config.data)
        let saved = try Self.checkpoint(config, dataset: dataset, after: 1)

        var wider = config
        wider.model.hidden = [11]
        let other = try Trainer(config: wider, dataset: try DatasetLoader.load(wider.data))
        #expect(throws: TrainingError.self) { try other.restore(from: saved) }

        var moreData = config
        moreData.data.samples = 300
        let bigger = try Trainer(config: moreData, dataset: try DatasetLoader.load(moreData.data))
        do {
            try bigger.restore(from: saved)
            Issue.record("a checkpoint of another training split was accepted")
        } catch let error as TrainingError {
            #expect(error.description.contains("samples"))
        }

        // The same size with other values (a file whose feature column changed continued
        // silently): refused; a checkpoint from before the digest was recorded is taken.
        var noisier = config
        noisier.data.noise = 0.37
        let changed = try DatasetLoader.load(noisier.data)
        #expect(changed.train.count == dataset.train.count && changed.train.digest != dataset.train.digest)
        do {
            try Trainer(config: noisier, dataset: changed).restore(from: saved)
            Issue.record("a checkpoint of other data of the same size was accepted")
        } catch let error as TrainingError {
            #expect(error.description.contains("trained on other data"), "\(error)")
        }
        var older = saved
        older.dataDigest = nil
        try Trainer(config: noisier, dataset: changed).restore(from: older)
        let reloaded = try DatasetLoader.load(config.data)
        #expect(saved.dataDigest == dataset.train.digest && reloaded.train.digest == dataset.train.digest)

        var shorter = config
        shorter.training.epochs = 1
        let done = try Trainer(config: shorter, dataset: dataset)
        #expect(throws: TrainingError.invalidConfig("training.epochs: the checkpoint already finished epoch 1 of 1")) {
            try done.restore(from: saved)
        }
    }

    @Test func damagedFilesAreRefusedWithAReason() throws {
        let config = Setup.adagradNoShuffleState.config
        let saved = try Self.checkpoint(config, dataset: try DatasetLoader.load(config.data), after: 1)
        let bytes = try CheckpointFile.encode(saved)
        #expect(throws: CheckpointFileError.badMagic) { try CheckpointFile.decode(Array("SWEEPMDL".utf8) + bytes.dropFirst(8)) }
        #expect(throws: CheckpointFileError.self) { try CheckpointFile.decode(Array(bytes.dropLast(9))) }
        // Cut anywhere (24-43 bytes crashed the process: a peer's cut checkpoint crashed
        // every worker that resumed from it), the file is refused.
        for length in Array(0..<200) + [bytes.count / 2, bytes.count - 1] {
            #expect(throws: CheckpointFileError.self, "cut to \(length) bytes") { try CheckpointFile.decode(Array(bytes.prefix(length))) }
        }
        // A header length as long as the whole file says how much room there was.
        var long = bytes
        for i in 0..<8 { long[16 + i] = UInt8(truncatingIfNeeded: UInt64(bytes.count) >> (8 * UInt64(i))) }
        #expect(throws: CheckpointFileError.truncated("the header declares \(bytes.count) bytes, and the file's \(bytes.count) bytes leave at most \(bytes.count - 44) for it")) {
            try CheckpointFile.decode(long)
        }
        // Block sizes whose sum passes Int.max (the checksum is no signature): refused, not a trap.
        var crafted = saved
        crafted.blocks = [.init(name: "a", count: Int.max), .init(name: "b", count: 2)]
        #expect(throws: CheckpointFileError.invalidHeader("a block's size is negative or too large")) { try CheckpointFile.decode(try CheckpointFile.encode(crafted)) }
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x40
        do {
            _ = try CheckpointFile.decode(flipped)
            Issue.record("a corrupted checkpoint was accepted")
        } catch let error as CheckpointFileError {
            guard case .checksumMismatch = error else {
                Issue.record("expected a checksum mismatch, got \(error)")
                return
            }
        }
    }
}

extension Trainer {
    /// `restore(from:)` then `fit`, collecting the epochs trained.
    func restoreAndFit(_ checkpoint: TrainingCheckpoint, onEpoch: (EpochMetrics) -> Void) throws -> TrainingResult {
        try restore(from: checkpoint)
        return try fit { epoch in
            onEpoch(epoch)
            return .proceed
        }
    }
}
