/// The learning-rate schedules.
public enum ScheduleName: String, ConfigChoice {
    case constant, power, exponential, piecewise, plateau
    case oneCycle = "onecycle"
    case linear
    public static let choiceName = "schedule"
}

/// A metric that early stopping or the plateau schedule can watch (its direction and the
/// tasks that report it come from `TrainingMetric`).
public enum MonitoredMetric: String, ConfigChoice {
    case valLoss = "val_loss", valAccuracy = "val_accuracy"
    case loss, accuracy
    case valPrecision = "val_precision", valRecall = "val_recall", valF1 = "val_f1", valAUC = "val_auc"
    case valRMSE = "val_rmse", valMAE = "val_mae", valR2 = "val_r2"
    case rmse, mae, r2
    public static let choiceName = "monitored metric"

    /// The metric it names.
    public var metric: TrainingMetric { TrainingMetric(name: rawValue)! }
    /// Lower is better for losses and errors, higher for the others.
    public var lowerIsBetter: Bool { metric.kind.lowerIsBetter }
    /// Whether `value` beats `best` by more than `minDelta` in this metric's direction
    /// (always true when there is no best yet).
    public func improves(_ value: Double, over best: Double?, minDelta: Double) -> Bool {
        guard let best else { return true }
        return lowerIsBetter ? value < best - minDelta : value > best + minDelta
    }
    /// Whether the metric needs a validation split.
    public var needsValidation: Bool { metric.split == .validation }
    /// The same metric on the training batches (`val_r2` -> `r2`); nil when the training
    /// split does not report it (`val_auc`).
    public var onTrainingSplit: MonitoredMetric? { MonitoredMetric(rawValue: metric.kind.rawValue) }
}

/// A learning-rate schedule and its options (nil options take their defaults).
///
/// - `constant`: the optimizer's learning rate.
/// - `power`: `lr0 / (1 + t/decay_steps)^power` per step (Keras `decay` = 1/decay_steps).
/// - `exponential`: `lr0 * decay_rate^(t/s)`: with `decay_epochs` t counts whole epochs (the
///   rate changes at epoch starts, like Géron's callback); with `decay_steps`, steps.
///   `staircase` floors t/s.
/// - `piecewise`: `values[i]` from epoch `boundaries[i-1]` on (epochs counted from 0).
/// - `plateau`: multiply the rate by `factor` when `monitor` has not improved by `min_delta`
///   for `patience` epochs, never below `min_lr`.
/// - `onecycle`: Smith's 1cycle over the whole run (lr and, for momentum optimizers, momentum).
/// - `linear`: `(1-a)*lr0 + a*final_lr`, `a = min(t/T, 1)`, T from `decay_epochs` or `decay_steps`.
public struct ScheduleConfig: Codable, Sendable, Hashable {
    /// Which schedule.
    public var name: ScheduleName
    /// power (s), exponential and linear: the decay horizon in steps.
    public var decaySteps: Int?
    /// exponential and linear: the decay horizon in epochs.
    public var decayEpochs: Double?
    /// power: the exponent c (default 1).
    public var power: Double?
    /// exponential: the factor per horizon (default 0.1).
    public var decayRate: Double?
    /// exponential: floor t/s (default false).
    public var staircase: Bool?
    /// piecewise: epochs where the next value starts (strictly increasing, >= 1).
    public var boundaries: [Int]?
    /// piecewise: the rates, one more than boundaries.
    public var values: [Double]?
    /// plateau: multiplier applied after patience epochs without improvement (default 0.1).
    public var factor: Double?
    /// plateau: epochs without improvement before reducing (default 10).
    public var patience: Int?
    /// plateau: lower bound of the rate (default 0).
    public var minLR: Double?
    /// plateau: improvement needed to count (default 1e-4).
    public var minDelta: Double?
    /// plateau: the watched metric (default val_loss).
    public var monitor: MonitoredMetric?
    /// onecycle: the peak rate (required).
    public var maxLR: Double?
    /// onecycle: start and end rate of the cycle (default max_lr/10).
    public var initialLR: Double?
    /// onecycle: rate at the very end (default initial_lr/1000); linear: the target rate (required).
    public var finalLR: Double?
    /// onecycle: share of the steps in the final annealing (default 0.1).
    public var annealingFraction: Double?
    /// onecycle: momentum at the start and end of the cycle (default 0.95).
    public var maxMomentum: Double?
    /// onecycle: momentum at the peak rate (default 0.85).
    public var minMomentum: Double?

    /// A schedule with the given options (nil: default); validated when decoded or by `TrialConfig.validated()`.
    public init(
        _ name: ScheduleName, decaySteps: Int? = nil, decayEpochs: Double? = nil, power: Double? = nil,
        decayRate: Double? = nil, staircase: Bool? = nil, boundaries: [Int]? = nil, values: [Double]? = nil,
        factor: Double? = nil, patience: Int? = nil, minLR: Double? = nil, minDelta: Double? = nil,
        monitor: MonitoredMetric? = nil, maxLR: Double? = nil, initialLR: Double? = nil, finalLR: Double? = nil,
        annealingFraction: Double? = nil, maxMomentum: Double? = nil, minMomentum: Double? = nil
    ) {
        self.name = name
        self.decaySteps = decaySteps
        self.decayEpochs = decayEpochs
        self.power = power
        self.decayRate = decayRate
        self.staircase = staircase
        self.boundaries = boundaries
        self.values = values
        self.factor = factor
        self.patience = patience
        self.minLR = minLR
        self.minDelta = minDelta
        self.monitor = monitor
        self.maxLR = maxLR
        self.initialLR = initialLR
        self.finalLR = finalLR
        self.annealingFraction = annealingFraction
        self.maxMomentum = maxMomentum
        self.minMomentum = minMomentum
    }

    /// The constant schedule (the default).
    public static let constant = ScheduleConfig(.constant)

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case decaySteps = "decay_steps", decayEpochs = "decay_epochs", power
        case decayRate = "decay_rate", staircase, boundaries, values
        case factor, patience, minLR = "min_lr", minDelta = "min_delta", monitor
        case maxLR = "max_lr", initialLR = "initial_lr", finalLR = "final_lr"
        case annealingFraction = "annealing_fraction", maxMomentum = "max_momentum", minMomentum = "min_momentum"
    }

    static func options(of name: ScheduleName) -> [CodingKeys] {
        switch name {
        case .constant: [.name]
        case .power: [.name, .decaySteps, .power]
        case .exponential: [.name, .decayEpochs, .decaySteps, .decayRate, .staircase]
        case .piecewise: [.name, .boundaries, .values]
        case .plateau: [.name, .factor, .patience, .minLR, .minDelta, .monitor]
        case .oneCycle: [.name, .maxLR, .initialLR, .finalLR, .annealingFraction, .maxMomentum, .minMomentum]
        case .linear: [.name, .finalLR, .decayEpochs, .decaySteps]
        }
    }

    /// A schedule with the given options (nil: default); validated when decoded or by `TrialConfig.validated()`.
    public init(from decoder: any Decoder) throws {
        if let text = decoder.shorthandString() {
            let single = try decoder.singleValueContainer()
            guard let name = ScheduleName(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: "unknown schedule '\(text)'; expected one of: \(ScheduleName.expectedList)")
            }
            guard [.constant, .plateau].contains(name) else {
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: "schedule '\(text)' needs options; write it as a mapping {name: \(text), ...}")
            }
            self.init(name)
            return
        }
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard let name = try c.choice(ScheduleName.self, .name) else {
            throw DecodingError.keyNotFound(
                CodingKeys.name, .init(codingPath: c.codingPath, debugDescription: "schedule mapping needs 'name'"))
        }
        try c.rejectFields(except: Self.options(of: name), context: "schedule '\(name.rawValue)'")
        self.init(name)
        decaySteps = try c.optionalInteger(.decaySteps, atLeast: 1)
        decayEpochs = try c.optionalNumber(.decayEpochs, .positive)
        power = try c.optionalNumber(.power, .positive)
        decayRate = try c.optionalNumber(.decayRate, .openUnit)
        staircase = try c.decodeIfPresent(Bool.self, forKey: .staircase)
        boundaries = try c.decodeIfPresent([Int].self, forKey: .boundaries)
        values = try c.decodeIfPresent([Double].self, forKey: .values)
        factor = try c.optionalNumber(.factor, .openUnit)
        patience = try c.optionalInteger(.patience, atLeast: 0)
        minLR = try c.optionalNumber(.minLR, .nonNegative)
        minDelta = try c.optionalNumber(.minDelta, .nonNegative)
        monitor = try c.choice(MonitoredMetric.self, .monitor)
        maxLR = try c.optionalNumber(.maxLR, .positive)
        initialLR = try c.optionalNumber(.initialLR, .positive)
        finalLR = try c.optionalNumber(.finalLR, .nonNegative)
        annealingFraction = try c.optionalNumber(.annealingFraction, .fraction)
        maxMomentum = try c.optionalNumber(.maxMomentum, .fraction)
        minMomentum = try c.optionalNumber(.minMomentum, .fraction)
        try validate(c)
    }

    /// Cross-field rules of each schedule.
    private func validate(_ c: KeyedDecodingContainer<CodingKeys>) throws {
        switch name {
        case .power:
            guard decaySteps != nil else { throw c.invalid(.name, "schedule 'power' needs decay_steps") }
        case .exponential, .linear:
            if decaySteps != nil && decayEpochs != nil {
                throw c.invalid(.decaySteps, "give either decay_steps or decay_epochs, not both")
            }
            guard decaySteps != nil || decayEpochs != nil else {
                throw c.invalid(.name, "schedule '\(name.rawValue)' needs decay_epochs or decay_steps")
            }
            if name == .linear, finalLR == nil { throw c.invalid(.name, "schedule 'linear' needs final_lr") }
        case .piecewise:
            guard let boundaries else { throw c.invalid(.name, "schedule 'piecewise' needs boundaries (epochs)") }
            guard let values else { throw c.invalid(.name, "schedule 'piecewise' needs values") }
            guard !boundaries.isEmpty else { throw c.invalid(.boundaries, "must not be empty") }
            guard values.count == boundaries.count + 1 else {
                throw c.invalid(.values, "needs one value more than boundaries (\(boundaries.count + 1)), got \(values.count)")
            }
            guard boundaries.first! >= 1, zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw c.invalid(.boundaries, "must be strictly increasing epochs >= 1, got \(boundaries)")
            }
            if let bad = values.first(where: { !($0 > 0) || !$0.isFinite }) {
                throw c.invalid(.values, "learning rates must be > 0, got \(bad)")
            }
        case .oneCycle:
            guard let maxLR else { throw c.invalid(.name, "schedule 'onecycle' needs max_lr") }
            if let initialLR, initialLR > maxLR {
                throw c.invalid(.initialLR, "must be <= max_lr (\(maxLR)), got \(initialLR)")
            }
            if resolvedMinMomentum > resolvedMaxMomentum {
                throw c.invalid(.minMomentum, "must be <= max_momentum (\(resolvedMaxMomentum)), got \(resolvedMinMomentum)")
            }
        case .constant, .plateau:
            break
        }
    }

    // MARK: Resolved values

    /// The value used: the option, or its default.
    public var resolvedPower: Double { power ?? 1 }
    /// The value used: the option, or its default.
    public var resolvedDecayRate: Double { decayRate ?? 0.1 }
    /// The value used: the option, or its default.
    public var resolvedStaircase: Bool { staircase ?? false }
    /// Keras ReduceLROnPlateau defaults: factor 0.1, patience 10, min_delta 1e-4, min_lr 0.
    public var resolvedFactor: Double { factor ?? 0.1 }
    /// The value used: the option, or its default.
    public var resolvedPatience: Int { patience ?? 10 }
    /// The value used: the option, or its default.
    public var resolvedMinLR: Double { minLR ?? 0 }
    /// The value used: the option, or its default.
    public var resolvedMinDelta: Double { minDelta ?? 1e-4 }
    /// The value used: the option, or its default.
    public var resolvedMonitor: MonitoredMetric { monitor ?? .valLoss }
    /// The value used: the option, or its default.
    public var resolvedMaxLR: Double { maxLR ?? 0.1 }
    /// The value used: the option, or its default.
    public var resolvedInitialLR: Double { initialLR ?? resolvedMaxLR / 10 }
    /// 1cycle: default initial_lr/1000.
    public var resolvedFinalLR: Double { finalLR ?? resolvedInitialLR / 1000 }
    /// The value used: the option, or its default.
    public var resolvedAnnealingFraction: Double { annealingFraction ?? 0.1 }
    /// The value used: the option, or its default.
    public var resolvedMaxMomentum: Double { maxMomentum ?? 0.95 }
    /// The value used: the option, or its default.
    public var resolvedMinMomentum: Double { minMomentum ?? 0.85 }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeUnlessNil(decaySteps, forKey: .decaySteps)
        try c.encodeUnlessNil(decayEpochs, forKey: .decayEpochs)
        try c.encodeUnlessNil(power, forKey: .power)
        try c.encodeUnlessNil(decayRate, forKey: .decayRate)
        try c.encodeUnlessNil(staircase, forKey: .staircase)
        try c.encodeUnlessNil(boundaries, forKey: .boundaries)
        try c.encodeUnlessNil(values, forKey: .values)
        try c.encodeUnlessNil(factor, forKey: .factor)
        try c.encodeUnlessNil(patience, forKey: .patience)
        try c.encodeUnlessNil(minLR, forKey: .minLR)
        try c.encodeUnlessNil(minDelta, forKey: .minDelta)
        try c.encodeUnlessNil(monitor, forKey: .monitor)
        try c.encodeUnlessNil(maxLR, forKey: .maxLR)
        try c.encodeUnlessNil(initialLR, forKey: .initialLR)
        try c.encodeUnlessNil(finalLR, forKey: .finalLR)
        try c.encodeUnlessNil(annealingFraction, forKey: .annealingFraction)
        try c.encodeUnlessNil(maxMomentum, forKey: .maxMomentum)
        try c.encodeUnlessNil(minMomentum, forKey: .minMomentum)
    }
}
