/// The JSON header of a model file: everything needed to rebuild the network and
/// preprocess raw inputs, plus descriptive metadata. See docs/model-format.md.
struct ModelHeader: Codable, Sendable {
    /// Always "sweep-model".
    var format: String
    /// The trial configuration the model was trained with (its `model` section is the architecture).
    var config: TrialConfig
    /// Shape of one raw sample (e.g. [28, 28]); the network flattens it row-major.
    var sampleShape: [Int]
    /// The shape the first layer sees (e.g. [28, 28, 1] for conv nets).
    var inputShape: [Int]
    /// Number of classes (0 for regression).
    var classCount: Int
    /// Class names in label order (none for regression).
    var classNames: [String]
    /// Width of a prediction row.
    var predictionWidth: Int
    /// Scaling of raw features: mode and number of per-feature (scale, shift) pairs stored.
    var scaling: Scaling
    var scalingFeatures: Int
    /// Trainable values, then non-trainable state values, stored in this order.
    var parameterCount: Int
    var stateCount: Int
    /// The parameter blocks in storage order: name, count and shape.
    var blocks: [Block]
    var stateBlocks: [Block]
    /// Layers, output shapes and parameter counts.
    var summary: NetworkSummary
    /// How training ended (nil when the model was written before `fit`).
    var training: TrainingResultInfo?
    /// Version 2: `regression`, or absent for classification (all version 1 files).
    var task: PredictionTask?
    /// Version 2, regression: the target standardization predictions undo.
    var targetScale: TargetScale?
    /// Raw values that replace missing (NaN) features before scaling, one per feature, for
    /// models trained with `missing: mean | zero`; absent otherwise (and in older files).
    var missingFill: [Float]?
    /// Integer labels named by `data.classes`: each class's label value in the training
    /// file, in class order; absent when the names are the labels (and in older files).
    var classLabels: [String]?
    /// Models trained with `data.transpose`: the sample shape the files store, whose first
    /// two axes training swapped; absent otherwise (and in older files).
    var transposedFrom: [Int]?

    struct Block: Codable, Sendable, Hashable {
        var name: String
        var count: Int
        var shape: [Int]
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, config, sampleShape = "sample_shape", inputShape = "input_shape", classCount = "class_count"
        case classNames = "class_names", predictionWidth = "prediction_width", scaling, scalingFeatures = "scaling_features"
        case parameterCount = "parameter_count", stateCount = "state_count", blocks, stateBlocks = "state_blocks", summary, training
        case task, targetScale = "target_scale", missingFill = "missing_fill", classLabels = "class_labels"
        case transposedFrom = "transposed_from"
    }
}

/// Metadata about the training run that produced a model.
public struct TrainingResultInfo: Codable, Sendable, Hashable {
    /// Epochs trained.
    public var epochs: Int
    /// The best epoch under early stopping.
    public var bestEpoch: Int?
    /// Whether the stored weights are the best epoch's (restored), not the last epoch's.
    public var restoredBest: Bool
    /// Why training ended.
    public var stopReason: StopReason
    /// The metrics of the epoch whose weights are stored.
    public var metrics: [String: Double]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, bestEpoch = "best_epoch", restoredBest = "restored_best", stopReason = "stop_reason", metrics
    }
}
