import Randomness

/// Everything a trainer needs to continue after a finished epoch exactly as if it had never
/// stopped: weights, batch-norm statistics, optimizer slots and step count, schedule state,
/// the random streams and the shuffled order, early-stopping state and the epochs so far.
///
/// ```swift
/// var saved: TrainingCheckpoint?
/// _ = try trainer.fit { epoch in
///     saved = trainer.checkpoint()           // after epoch `epoch.epoch`
///     return .proceed
/// }
/// // later, on any machine with the same data:
/// let resumed = try Trainer(config: config, dataset: dataset)
/// try resumed.restore(from: saved!)
/// _ = try resumed.fit { _ in .proceed }     // epochs saved.epoch + 1 ... n, bit-identical
/// ```
///
/// Stored with `CheckpointFile` (docs/model-format.md). A checkpoint can continue under a
/// changed configuration (Population Based Training's explore step) as long as the network
/// has the same parameter blocks: the rate, momentum, dropout, weight decay and batch size
/// may change; a different optimizer starts with fresh slots.
public struct TrainingCheckpoint: Sendable, Equatable {
    /// A parameter block's name and size, to refuse a checkpoint of another architecture.
    public struct Block: Codable, Sendable, Equatable {
        public var name: String
        public var count: Int
    }

    /// Early-stopping bookkeeping: best value, its epoch, patience used, best weights.
    public struct EarlyStopping: Sendable, Equatable {
        public var best: Double?
        public var bestEpoch: Int?
        public var wait: Int
        /// The best epoch's parameters and state (with `restore_best`).
        public var bestParameters: [Float]?
        public var bestState: [Float]?
    }

    /// Epochs finished; training continues with epoch `epoch + 1`.
    public var epoch: Int
    /// Training steps taken.
    public var step: Int
    /// The trainable parameter blocks, in order.
    public var blocks: [Block]
    /// Trainable parameters, in block order.
    public var parameters: [Float]
    /// Non-trainable state (batch-norm moving statistics).
    public var state: [Float]
    /// The optimizer the slots belong to.
    public var optimizer: OptimizerName
    /// The optimizer's step scalars (see `Optimizer.scalars`).
    public var optimizerScalars: [Double]
    /// The optimizer's per-parameter vectors (see `Optimizer.slots`).
    public var optimizerSlots: [[Float]]
    /// The learning-rate schedule's state (plateau).
    public var schedule: LearningRateSchedule.State
    /// The shuffle, dropout and evaluation streams, in that order.
    public var generators: [SeededGenerator]
    /// The training order after the last shuffle (shuffles permute it in place).
    public var order: [Int32]
    /// Early-stopping state, when the run uses it.
    public var earlyStopping: EarlyStopping?
    /// The metrics of every finished epoch.
    public var epochs: [EpochMetrics]
    /// The training split's ``DataSplit/digest``: a checkpoint continues only the data it was
    /// trained on (nil in files written before it was recorded: not checked).
    public var dataDigest: UInt32? = nil
}
