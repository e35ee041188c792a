import Randomness

extension Trainer {
    /// The state after the last finished epoch; call it from `fit`'s `onEpoch` (or after `fit`).
    public func checkpoint() -> TrainingCheckpoint {
        let store = network.store
        return TrainingCheckpoint(
            epoch: history.last?.epoch ?? 0, step: step,
            blocks: store.blocks.map { .init(name: $0.name, count: $0.count) },
            parameters: store.values.array, state: store.state.array,
            optimizer: config.training.optimizer.name, optimizerScalars: optimizer.scalars,
            optimizerSlots: optimizer.slots.map(\.array), schedule: scheduleState,
            generators: [shuffleRNG, dropoutRNG, evaluationRNG], order: order,
            earlyStopping: stopping.map {
                .init(best: $0.best, bestEpoch: $0.bestEpoch, wait: $0.wait,
                      bestParameters: $0.snapshot?.values, bestState: $0.snapshot?.state)
            },
            epochs: history, dataDigest: trainDigest)
    }

    /// Continues from `checkpoint` instead of from the initial weights: the next `fit` trains
    /// epochs `checkpoint.epoch + 1` through `training.epochs`. Call before `fit`.
    ///
    /// Throws `TrainingError.dataMismatch` when the checkpoint belongs to another network
    /// (different parameter blocks) or another training split, and `invalidConfig` when it
    /// already covers every epoch of this configuration.
    public func restore(from checkpoint: TrainingCheckpoint) throws {
        guard !fitted else { throw TrainingError.alreadyTrained }
        let store = network.store
        let blocks = store.blocks.map { TrainingCheckpoint.Block(name: $0.name, count: $0.count) }
        guard checkpoint.blocks == blocks, checkpoint.parameters.count == store.count, checkpoint.state.count == store.state.count else {
            throw TrainingError.dataMismatch(
                "the checkpoint has \(checkpoint.blocks.count) parameter blocks (\(checkpoint.parameters.count) values), this network \(blocks.count) (\(store.count)): a checkpoint continues only the same architecture")
        }
        guard checkpoint.order.count == dataset.train.count else {
            throw TrainingError.dataMismatch("the checkpoint was trained on \(checkpoint.order.count) samples, this training split has \(dataset.train.count)")
        }
        // The same size is not the same data (a changed feature column continued silently).
        if let digest = checkpoint.dataDigest, digest != trainDigest {
            throw TrainingError.dataMismatch("the checkpoint was trained on other data: this training split has the same \(dataset.train.count) samples but other values (the data files or the split changed)")
        }
        guard checkpoint.epoch < config.training.epochs else {
            throw TrainingError.invalidConfig("training.epochs: the checkpoint already finished epoch \(checkpoint.epoch) of \(config.training.epochs)")
        }
        guard checkpoint.generators.count == 3 else {
            throw TrainingError.dataMismatch("the checkpoint has \(checkpoint.generators.count) random streams, 3 expected")
        }
        if checkpoint.optimizer == config.training.optimizer.name {
            let slots = optimizer.slots
            guard checkpoint.optimizerSlots.count == slots.count,
                  zip(checkpoint.optimizerSlots, slots).allSatisfy({ $0.count == $1.count }),
                  checkpoint.optimizerScalars.count == optimizer.scalars.count else {
                throw TrainingError.dataMismatch("the checkpoint's \(checkpoint.optimizer.rawValue) state does not fit this optimizer (a momentum optimizer needs a momentum in both)")
            }
            for (saved, slot) in zip(checkpoint.optimizerSlots, slots) { Self.copy(saved, into: slot.pointer) }
            optimizer.scalars = checkpoint.optimizerScalars
        }
        // Another optimizer keeps its fresh state (Population Based Training may switch).
        Self.copy(checkpoint.parameters, into: store.values.pointer)
        Self.copy(checkpoint.state, into: store.state.pointer)
        step = checkpoint.step
        scheduleState = checkpoint.schedule
        shuffleRNG = checkpoint.generators[0]
        dropoutRNG = checkpoint.generators[1]
        evaluationRNG = checkpoint.generators[2]
        order = checkpoint.order
        history = checkpoint.epochs
        // Transfer learning: frozen as at the end of the checkpoint's epoch, so the next epoch
        // unfreezes (with a fresh optimizer) exactly when an uninterrupted run would.
        updateFreeze(epoch: checkpoint.epoch)
        if let config = config.training.earlyStopping, let saved = checkpoint.earlyStopping {
            let snapshot = saved.bestParameters.flatMap { values in
                saved.bestState.map { ParameterStore.Snapshot(values: values, state: $0) }
            }
            stopping = EarlyStoppingState(config: config, best: saved.best, bestEpoch: saved.bestEpoch, wait: saved.wait, snapshot: snapshot)
        }
    }

    private static func copy(_ values: [Float], into pointer: UnsafeMutablePointer<Float>) {
        guard !values.isEmpty else { return }
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: $0.count) }
    }
}
