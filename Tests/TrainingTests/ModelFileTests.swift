import Foundation
import Testing
@testable import Training

/// Model files: round trip of every kind of state, bit-identical predictions, errors for
/// damaged files, MC-dropout spread.
@Suite("Model files")
struct ModelFileTests {
    /// A small trained conv net with batch norm and dropout on a synthetic image-free set is
    /// not possible (conv needs images), so the synthetic trials are dense; the conv case
    /// uses a Fashion-MNIST subset when installed.
    static func trained(_ model: ModelConfig, data: DataConfig = DataConfig(dataset: .spirals, scaling: .standardize, samples: 300, classes: 3),
                        epochs: Int = 3, earlyStopping: EarlyStoppingConfig? = nil) throws -> Trainer {
        let config = TrialConfig(seed: 5, data: data, model: model,
                                 training: TrainingConfig(epochs: epochs, batchSize: 16, optimizer: OptimizerConfig(.adam, learningRate: 0.01), earlyStopping: earlyStopping))
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        _ = try trainer.fit { _ in .proceed }
        return trainer
    }

    /// The raw (unscaled) test features of a synthetic data configuration.
    static func rawTest(_ data: DataConfig) throws -> [Float] {
        var raw = data
        raw.scaling = Scaling.none
        return try DatasetLoader.load(raw).test.features
    }

    @Test func roundTripPredictsBitIdentically() throws {
        let model = ModelConfig(hidden: [12, 8], activation: .prelu(alpha: 0.2), batchNorm: .after, inputBatchNorm: true, dropout: 0.2)
        let trainer = try Self.trained(model)
        let bytes = try ModelFile.encode(trainer)
        let loaded = try Model(bytes: bytes)
        #expect(loaded.summary == trainer.summary)
        #expect(loaded.classCount == 3 && loaded.featureCount == 2 && loaded.inputShape == [2])
        #expect(loaded.network.store.values.array == trainer.parameters)
        #expect(loaded.network.store.state.array == trainer.nonTrainableState)
        #expect(loaded.scaling.mode == .standardize && loaded.scaling.scale.count == 2)
        #expect(loaded.training?.epochs == 3 && loaded.training?.restoredBest == false)
        let expected = trainer.predictProbabilities(trainer.dataset.test.features)
        let raw = try Self.rawTest(trainer.config.data)
        let got = loaded.predict(raw, count: trainer.dataset.test.count)
        #expect(got.mean == expected.mean)
        #expect(got.std.allSatisfy { $0 == 0 })
        // Encoding is deterministic.
        #expect(try ModelFile.encode(trainer) == bytes)
    }

    @Test func earlyStoppingStoresTheRestoredBestWeights() throws {
        // Validation accuracy stalls early on this data, so patience 1 stops the run.
        let stopping = EarlyStoppingConfig(monitor: .valAccuracy, patience: 1, restoreBest: true)
        let trainer = try Self.trained(ModelConfig(hidden: [16]), epochs: 30, earlyStopping: stopping)
        let result = try #require(trainer.result)
        let loaded = try Model(bytes: try ModelFile.encode(trainer))
        #expect(loaded.network.store.values.array == trainer.parameters)
        #expect(loaded.training?.restoredBest == result.restoredBest)
        try #require(result.restoredBest, "early stopping did not stop this run; the test needs one that does")
        #expect(result.epochs.count < 30 && result.bestEpoch != result.epochs.last?.epoch)
        #expect(loaded.training?.metrics["val_loss"] == result.epochs.first { $0.epoch == result.bestEpoch }?.metrics["val_loss"])
    }

    @Test func damagedFilesAreRejectedClearly() throws {
        let trainer = try Self.trained(ModelConfig(hidden: [4]), epochs: 1)
        let bytes = try ModelFile.encode(trainer)
        func error(_ b: [UInt8]) -> ModelFileError? {
            do { _ = try Model(bytes: b); return nil } catch let e as ModelFileError { return e } catch { return nil }
        }
        #expect(error(Array(bytes.prefix(5))) == .truncated("5 bytes, shorter than the magic"))
        #expect(error(Array("PK\u{3}\u{4}whatever, not a model".utf8)) == .badMagic)
        if case .truncated = error(Array(bytes.dropLast(9))) {} else { Issue.record("truncated file: \(String(describing: error(Array(bytes.dropLast(9)))))") }
        var flipped = bytes
        flipped[bytes.count - 40] ^= 0x10  // a weight bit
        if case .checksumMismatch = error(flipped) {} else { Issue.record("flipped bit not detected") }
        var newer = bytes
        newer[8] = UInt8(ModelFile.version + 1)
        #expect(error(newer) == .unsupportedVersion(found: ModelFile.version + 1, supported: ModelFile.version))
        #expect(error(newer)?.description.contains("newer than this build reads") == true)
        #expect(throws: ModelFileError.unreadable(path: "/nonexistent/m.swm", reason: "no such file")) { try Model(path: "/nonexistent/m.swm") }
    }

    @Test func mcDropoutGivesASpreadOnlyWithDropout() throws {
        let data = DataConfig(dataset: .blobs, samples: 200, classes: 3)
        let raw = try Self.rawTest(data)
        let count = raw.count / 2
        let with = try Model(bytes: try ModelFile.encode(try Self.trained(ModelConfig(hidden: [16], dropout: 0.3), data: data)))
        let p = with.predict(raw, count: count, mcSamples: 20)
        #expect(p.std.contains { $0 > 0.01 })
        #expect(with.hasDropout)
        let without = try Model(bytes: try ModelFile.encode(try Self.trained(ModelConfig(hidden: [16]), data: data)))
        let q = without.predict(raw, count: count, mcSamples: 20)
        #expect(q.std.allSatisfy { $0 < 1e-6 })
        #expect(q.mean.count == count * 3)
    }

    @Test
    func convModelOnAFashionSubsetRoundTrips() throws {
        let data = DataConfig(dataset: .fashionMNIST, validation: 200, trainLimit: 300, testLimit: 150, classSubset: [0, 1, 7])
        let model = ModelConfig(hidden: [16], conv: ConvBlocksConfig(blocks: 1, filters: 4, batchNorm: .after, dropout: 0.2))
        let trainer = try Self.trained(model, data: data, epochs: 1)
        let loaded = try Model(bytes: try ModelFile.encode(trainer))
        #expect(loaded.inputShape == [28, 28, 1] && loaded.classNames == ["T-shirt/top", "Trouser", "Sneaker"])
        let images = try IDXData.readSamples(DatasetLoader.fashionMNISTFile(DataConfig.defaultFashionMNISTPath, "t10k-images-idx3"))
        // The first 150 test images of the three classes, raw.
        let labels = try IDXData.readLabels(DatasetLoader.fashionMNISTFile(DataConfig.defaultFashionMNISTPath, "t10k-labels-idx1"))
        let kept = labels.indices.filter { [0, 1, 7].contains(labels[$0]) }.prefix(150)
        let raw = kept.flatMap { images.values[($0 * 784)..<(($0 + 1) * 784)] }
        let got = loaded.predict(Array(raw), count: kept.count)
        #expect(got.mean == trainer.predictProbabilities(trainer.dataset.test.features).mean)
    }
}

extension ModelFileTests {
    /// A model trained on images `data.transpose` swapped (EMNIST) predicts files stored as
    /// the training files are: prediction swaps them too (it did not: chance accuracy).
    @Test func aModelTrainedOnTransposedImagesTransposesWhatItPredicts() throws {
        let dir = try DataDirectory()
        let n = 60
        // 4 x 3 images (not square: a missing swap cannot go unnoticed), class from one corner.
        let pixels = (0..<(n * 12)).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 13) }
        let labels = (0..<n).map { UInt8(pixels[$0 * 12 + 2] > 127 ? 1 : 0) }
        let images = try dir.idx("img", type: 0x08, dims: [n, 4, 3], payload: pixels)
        let labelFile = try dir.idx("lab", type: 0x08, dims: [n], payload: labels)
        var data = try JSONDecoder().decode(DataConfig.self, from: Data(#"{"dataset": "idx", "train_file": "\#(images)", "train_labels": "\#(labelFile)", "validation": 0, "test": 20, "transpose": true}"#.utf8))
        data.scaling = Scaling.standardize
        let trainer = try Self.trained(ModelConfig(hidden: [8]), data: data)
        #expect(trainer.dataset.sampleShape == [3, 4] && trainer.dataset.transposedFrom == [4, 3])
        let loaded = try Model(bytes: try ModelFile.encode(trainer))
        #expect(loaded.transposedFrom == [4, 3] && loaded.sampleShape == [3, 4])
        // The same test rows (same split: same seed and labels), as the file stores them.
        let expected = trainer.predictProbabilities(trainer.dataset.test.features)
        var raw = data
        raw.scaling = Scaling.none
        raw.files?.transpose = false
        let stored = try DatasetLoader.load(raw).test.features
        let got = loaded.predict(stored, count: 20)
        #expect(got.mean == expected.mean)
    }
}
