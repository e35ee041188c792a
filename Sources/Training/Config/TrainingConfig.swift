/// How a network is trained: epochs, batches, optimizer, schedule and training control.
public struct TrainingConfig: Codable, Sendable, Hashable {
    /// Number of epochs (>= 1).
    public var epochs: Int

    /// The most epochs a trial may run (training, synthetic, `budget.max_epochs`): each is a
    /// row in the database; 9223372036854775807 epochs of a zero-cost trial wrote 18 MB in
    /// 15 s and went on (docs/limits.md).
    public static let maxEpochs = 1_000_000
    /// Samples per step; the last batch of an epoch may be smaller.
    public var batchSize: Int
    /// Reshuffle the training split every epoch.
    public var shuffle: Bool
    /// The optimizer.
    public var optimizer: OptimizerConfig
    /// The learning-rate schedule.
    public var schedule: ScheduleConfig
    /// Gradient clipping, if any.
    public var clip: ClipConfig?
    /// Early stopping, if any.
    public var earlyStopping: EarlyStoppingConfig?
    /// > 0: validation and test metrics use the mean of this many MC-dropout passes.
    public var mcDropoutSamples: Int

    /// Training settings (Keras-like defaults).
    public init(
        epochs: Int = 10, batchSize: Int = 32, shuffle: Bool = true,
        optimizer: OptimizerConfig = OptimizerConfig(.adam), schedule: ScheduleConfig = .constant,
        clip: ClipConfig? = nil, earlyStopping: EarlyStoppingConfig? = nil, mcDropoutSamples: Int = 0
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.optimizer = optimizer
        self.schedule = schedule
        self.clip = clip
        self.earlyStopping = earlyStopping
        self.mcDropoutSamples = mcDropoutSamples
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, batchSize = "batch_size", shuffle, optimizer, schedule, clip
        case earlyStopping = "early_stopping", mcDropoutSamples = "mc_dropout_samples"
    }

    /// Training settings (Keras-like defaults).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        epochs = try c.integer(.epochs, default: 10, atLeast: 1)
        guard epochs <= Self.maxEpochs else { throw c.invalid(.epochs, "must be at most \(Self.maxEpochs), got \(epochs)") }
        batchSize = try c.integer(.batchSize, default: 32, atLeast: 1)
        shuffle = try c.value(.shuffle, default: true)
        optimizer = try c.value(.optimizer, default: OptimizerConfig(.adam))
        schedule = try c.value(.schedule, default: .constant)
        clip = try c.decodeIfPresent(ClipConfig.self, forKey: .clip)
        earlyStopping = try c.decodeIfPresent(EarlyStoppingConfig.self, forKey: .earlyStopping)
        mcDropoutSamples = try c.integer(.mcDropoutSamples, default: 0, atLeast: 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(shuffle, forKey: .shuffle)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(schedule, forKey: .schedule)
        try c.encodeUnlessNil(clip, forKey: .clip)
        try c.encodeUnlessNil(earlyStopping, forKey: .earlyStopping)
        try c.encode(mcDropoutSamples, forKey: .mcDropoutSamples)
    }
}
