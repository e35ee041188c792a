import Foundation
import Testing
@testable import Training

/// Transfer learning: reused layers copied, frozen for `freeze_epochs` (no updates, batch
/// norm in inference mode), then trained with the lower rate; the head is new.
@Suite("Transfer learning")
struct TransferTests {
    static let baseData = DataConfig(dataset: .blobs, samples: 300, classes: 4)
    static let taskData = DataConfig(dataset: .blobs, samples: 120, noise: 1.5, classes: 3, seed: 9)

    static func base(_ model: ModelConfig = ModelConfig(hidden: [10, 6], batchNorm: .after)) throws -> Model {
        let config = TrialConfig(seed: 1, data: baseData, model: model, training: TrainingConfig(epochs: 2, batchSize: 16))
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        _ = try trainer.fit { _ in .proceed }
        return try Model(bytes: try ModelFile.encode(trainer))
    }

    static func config(_ transfer: TransferConfig, model: ModelConfig = ModelConfig(hidden: [10, 6], batchNorm: .after), epochs: Int = 4) -> TrialConfig {
        var m = model
        m.transfer = transfer
        return TrialConfig(seed: 2, data: taskData, model: m, training: TrainingConfig(epochs: epochs, batchSize: 16, optimizer: OptimizerConfig(.adam, learningRate: 0.01)))
    }

    @Test func frozenLayersStayUnchangedThenTrain() throws {
        let base = try Self.base()
        let config = Self.config(TransferConfig(from: "memory", freezeEpochs: 2, unfreezeFactor: 0.1))
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data), baseModel: base)
        // Reused: dense, BN, dense, BN (4 layers); the output layer (3 classes instead of 4) is new.
        #expect(trainer.reusedLayerCount == 4)
        let reused = trainer.network.layerBlocks[0..<4].flatMap { $0 }, stateBlocks = trainer.network.layerStateBlocks[0..<4].flatMap { $0 }
        func values(_ store: ParameterStore, _ blocks: [Int]) -> [Float] { blocks.flatMap { Array(UnsafeBufferPointer(start: store.value($0), count: store.blocks[$0].count)) } }
        func state(_ store: ParameterStore, _ blocks: [Int]) -> [Float] { blocks.flatMap { Array(UnsafeBufferPointer(start: store.stateValue($0), count: store.stateBlocks[$0].count)) } }
        let initial = values(trainer.network.store, reused), initialState = state(trainer.network.store, stateBlocks)
        #expect(initial == values(base.network.store, reused))
        #expect(initialState == state(base.network.store, stateBlocks))
        let head = trainer.network.layerBlocks[4].compactMap { $0 }
        #expect(trainer.network.store.blocks[head[0]].count == 6 * 3)
        let headBefore = values(trainer.network.store, head)

        var seen: [(epoch: Int, frozen: Bool, reused: [Float], state: [Float], lr: Double)] = []
        _ = try trainer.fit { e in
            seen.append((e.epoch, trainer.reusedLayersFrozen, values(trainer.network.store, reused), state(trainer.network.store, stateBlocks), e.metrics["lr"]!))
            return .proceed
        }
        #expect(seen.map(\.frozen) == [true, true, false, false])
        // Frozen: weights and BN moving statistics untouched (BN in inference mode).
        #expect(seen[0].reused == initial && seen[1].reused == initial)
        #expect(seen[0].state == initialState && seen[1].state == initialState)
        #expect(values(trainer.network.store, head) != headBefore)
        // Unfrozen: they change, at a tenth of the rate.
        #expect(seen[2].reused != initial && seen[2].state != initialState)
        #expect(seen[1].lr == 0.01 && abs(seen[2].lr - 0.001) < 1e-12)
    }

    @Test func freezeAlsoHoldsWithGlobalNormClipping() throws {
        var config = Self.config(TransferConfig(from: "memory", reuseLayers: 2, freezeEpochs: 1, unfreezeLearningRate: 1e-3), epochs: 2)
        config.training.clip = .globalNorm(0.5)
        let base = try Self.base()
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data), baseModel: base)
        #expect(trainer.reusedLayerCount == 2)
        let first = trainer.network.layerBlocks[0].compactMap { $0 }
        let before = first.flatMap { Array(UnsafeBufferPointer(start: trainer.network.store.value($0), count: trainer.network.store.blocks[$0].count)) }
        var afterFirst: [Float] = []
        _ = try trainer.fit { e in
            if e.epoch == 1 { afterFirst = first.flatMap { Array(UnsafeBufferPointer(start: trainer.network.store.value($0), count: trainer.network.store.blocks[$0].count)) } }
            return .proceed
        }
        #expect(afterFirst == before)
        #expect(trainer.parameters[0..<before.count].elementsEqual(before) == false)
    }

    @Test func mismatchedShapesAndMissingFilesAreReported() throws {
        let base = try Self.base()
        let wider = Self.config(TransferConfig(from: "memory"), model: ModelConfig(hidden: [12, 6], batchNorm: .after))
        #expect(throws: TrainingError.self) { try Trainer(config: wider, dataset: try DatasetLoader.load(wider.data), baseModel: base) }
        do {
            _ = try Trainer(config: wider, dataset: try DatasetLoader.load(wider.data), baseModel: base)
        } catch let error as TrainingError {
            #expect(error.description.contains("model.transfer.reuse_layers: layer 1 does not match"))
            #expect(error.description.contains("(Dense, output (10), 30 parameters)") && error.description.contains("(Dense, output (12), 36 parameters)"))
        }
        let tooMany = Self.config(TransferConfig(from: "memory", reuseLayers: 5))
        #expect(throws: TrainingError.invalidConfig("model.transfer.reuse_layers: this network has 5 layers; the output layer is always new, so at most 4 can be reused, got 5")) {
            try Trainer(config: tooMany, dataset: try DatasetLoader.load(tooMany.data), baseModel: base)
        }
        let missing = Self.config(TransferConfig(from: "study:other/best"))
        do {
            _ = try Trainer(config: missing, dataset: try DatasetLoader.load(missing.data))
            Issue.record("expected an error")
        } catch let error as TrainingError {
            #expect(error.description.contains("model.transfer.from: 'study:other/best' is not a readable model file"))
        }
    }

    @Test func baseModelIsReadFromTheFileWhenNotGiven() throws {
        let base = try Self.base()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-transfer-\(UUID().uuidString).swm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config0 = TrialConfig(seed: 1, data: Self.baseData, model: ModelConfig(hidden: [10, 6], batchNorm: .after), training: TrainingConfig(epochs: 2, batchSize: 16))
        let trainer0 = try Trainer(config: config0, dataset: try DatasetLoader.load(config0.data))
        _ = try trainer0.fit { _ in .proceed }
        try ModelFile.write(trainer0, to: path)
        let config = Self.config(TransferConfig(from: path, freezeEpochs: 1))
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        #expect(trainer.reusedLayerCount == 4)
        #expect(Array(trainer.parameters.prefix(20)) == Array(base.network.store.values.array.prefix(20)))
    }
}
