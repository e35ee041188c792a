/// Start a trial from a stored model (transfer learning, Géron ch. 11): reuse its lower
/// layers, put a new head on top, train the head alone for `freeze_epochs` epochs, then
/// everything with a lower learning rate.
///
/// ```yaml
/// transfer: {from: runs/transfer-a.swm, freeze_epochs: 4, unfreeze_learning_rate: 1.0e-4}
/// ```
/// `from` is opaque to the training core: `Trainer(config:dataset:baseModel:)` uses the
/// model it is given, and reads `from` as a file path only when none is given.
public struct TransferConfig: Codable, Sendable, Hashable {
    /// The base model: a model file path, or a reference the caller resolves.
    public var from: String
    /// Layers of the base model reused from the input on (nil: all but its output layer).
    /// Counted as rows of the model summary (Flatten and pooling layers included).
    public var reuseLayers: Int?
    /// Epochs during which the reused layers are frozen (no updates; their batch norm runs
    /// in inference mode). Default 0.
    public var freezeEpochs: Int
    /// Learning rate of every epoch after the freeze (replaces the schedule's rate).
    public var unfreezeLearningRate: Double?
    /// Factor on the schedule's rate after the freeze (alternative to `unfreeze_learning_rate`).
    public var unfreezeFactor: Double?

    /// A transfer from `from`.
    public init(from: String, reuseLayers: Int? = nil, freezeEpochs: Int = 0, unfreezeLearningRate: Double? = nil, unfreezeFactor: Double? = nil) {
        self.from = from
        self.reuseLayers = reuseLayers
        self.freezeEpochs = freezeEpochs
        self.unfreezeLearningRate = unfreezeLearningRate
        self.unfreezeFactor = unfreezeFactor
    }

    /// The learning rate after the freeze, given the schedule's rate.
    public func rate(afterFreeze scheduled: Double) -> Double {
        unfreezeLearningRate ?? scheduled * (unfreezeFactor ?? 1)
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case from, reuseLayers = "reuse_layers", freezeEpochs = "freeze_epochs"
        case unfreezeLearningRate = "unfreeze_learning_rate", unfreezeFactor = "unfreeze_factor"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard let from = try c.decodeIfPresent(String.self, forKey: .from) else {
            throw DecodingError.keyNotFound(CodingKeys.from, .init(codingPath: c.codingPath, debugDescription: "transfer needs 'from' (a model file or a stored trial)"))
        }
        if from.isEmpty { throw c.invalid(.from, "must not be empty") }
        self.from = from
        reuseLayers = try c.optionalInteger(.reuseLayers, atLeast: 1)
        freezeEpochs = try c.integer(.freezeEpochs, default: 0, atLeast: 0)
        unfreezeLearningRate = try c.optionalNumber(.unfreezeLearningRate, .positive)
        unfreezeFactor = try c.optionalNumber(.unfreezeFactor, .positive)
        if unfreezeLearningRate != nil && unfreezeFactor != nil {
            throw c.invalid(.unfreezeFactor, "give either unfreeze_learning_rate or unfreeze_factor, not both")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(from, forKey: .from)
        try c.encodeUnlessNil(reuseLayers, forKey: .reuseLayers)
        try c.encode(freezeEpochs, forKey: .freezeEpochs)
        try c.encodeUnlessNil(unfreezeLearningRate, forKey: .unfreezeLearningRate)
        try c.encodeUnlessNil(unfreezeFactor, forKey: .unfreezeFactor)
    }
}
