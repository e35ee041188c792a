import Foundation

/// The reused layers of a transfer-learning trial and whether they are frozen.
struct TransferState {
    let config: TransferConfig
    /// Layers copied from the base model (from the input on).
    let reusedLayers: Int
    /// Whether the reused layers are frozen now.
    var frozen = false
    /// The L1/L2 penalty of the frozen kernels (constant while they are frozen), added to the
    /// training loss as Keras does.
    var frozenPenalty = 0.0

    /// Copies the first `reuse_layers` layers of `base` into `network` after checking that
    /// they match layer by layer.
    init(config: TransferConfig, base: Model, into network: Network) throws {
        self.config = config
        let source = base.network
        let count = config.reuseLayers ?? source.layers.count - 1
        let field = "model.transfer.reuse_layers"
        guard count <= source.layers.count else {
            throw TrainingError.invalidConfig("\(field): the base model has \(source.layers.count) layers, cannot reuse \(count)")
        }
        guard count < network.layers.count else {
            throw TrainingError.invalidConfig("\(field): this network has \(network.layers.count) layers; the output layer is always new, so at most \(network.layers.count - 1) can be reused, got \(count)")
        }
        guard source.inputWidth == network.inputWidth else {
            throw TrainingError.invalidConfig("model.transfer.from: the base model takes \(source.inputWidth) features per sample, this data set has \(network.inputWidth)")
        }
        let summaryA = source.summary.layers, summaryB = network.summary.layers
        for i in 0..<count {
            let a = summaryA[i], b = summaryB[i]
            let blocksA = source.layerBlocks[i].map { source.store.blocks[$0].count }
            let blocksB = network.layerBlocks[i].map { network.store.blocks[$0].count }
            let stateA = source.layerStateBlocks[i].map { source.store.stateBlocks[$0].count }
            let stateB = network.layerStateBlocks[i].map { network.store.stateBlocks[$0].count }
            guard a.kind == b.kind, a.outputShape == b.outputShape, blocksA == blocksB, stateA == stateB,
                  source.layers[i].inputWidth == network.layers[i].inputWidth else {
                throw TrainingError.invalidConfig(
                    "\(field): layer \(i + 1) does not match: the base model has \(a.name) (\(a.kind), output \(ArchitecturePlan.shapeText(a.outputShape)), \(a.parameters) parameters), this network has \(b.name) (\(b.kind), output \(ArchitecturePlan.shapeText(b.outputShape)), \(b.parameters) parameters)")
            }
            for (from, to) in zip(source.layerBlocks[i], network.layerBlocks[i]) {
                network.store.value(to).update(from: source.store.value(from), count: source.store.blocks[from].count)
            }
            for (from, to) in zip(source.layerStateBlocks[i], network.layerStateBlocks[i]) {
                network.store.stateValue(to).update(from: source.store.stateValue(from), count: source.store.stateBlocks[from].count)
            }
        }
        reusedLayers = count
    }
}

extension Trainer {
    /// Reads the base model of `transfer.from` as a file.
    static func loadBaseModel(_ from: String) throws -> Model {
        guard FileManager.default.isReadableFile(atPath: from) else {
            throw TrainingError.invalidConfig(
                "model.transfer.from: '\(from)' is not a readable model file (references to stored trials are resolved by the coordinator; pass the model to Trainer(config:dataset:baseModel:))")
        }
        do {
            return try Model(path: from)
        } catch {
            throw TrainingError.invalidConfig("model.transfer.from: \(error)")
        }
    }

    /// Freezes the reused layers for the first `freeze_epochs` epochs and unfreezes them
    /// after, with a fresh optimizer (Keras recompiles) and the lower rate.
    func updateFreeze(epoch: Int) {
        guard var state = transfer else { return }
        let shouldFreeze = epoch <= state.config.freezeEpochs
        if shouldFreeze && !state.frozen {
            network.frozenPrefix = state.reusedLayers
            let blocks = 0..<network.updatedBlocks.lowerBound
            state.frozenPenalty = Regularization.penalty(l1: config.model.l1, l2: config.model.l2, of: network.store, blocks: blocks)
            state.frozen = true
        } else if !shouldFreeze && state.frozen {
            network.frozenPrefix = 0
            state.frozen = false
            state.frozenPenalty = 0
            optimizer = OptimizerFactory.make(config.training.optimizer, parameterCount: network.store.count)
        }
        transfer = state
    }

    /// The rate of the next step: the schedule's, or after a freeze the transfer's lower rate.
    func transferRate(_ scheduled: Double) -> Double {
        guard let state = transfer, !state.frozen else { return scheduled }
        return state.config.rate(afterFreeze: scheduled)
    }

    /// Whether the reused layers are frozen now.
    public var reusedLayersFrozen: Bool { transfer?.frozen ?? false }

    /// Number of layers taken from the base model (0 without transfer).
    public var reusedLayerCount: Int { transfer?.reusedLayers ?? 0 }
}
