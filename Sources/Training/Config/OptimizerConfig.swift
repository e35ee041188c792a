/// The optimizers of the course text (formulas 11-4 .. 11-8) plus AdamW.
public enum OptimizerName: String, ConfigChoice {
    case sgd, momentum, nesterov, adagrad, rmsprop, adam, adamax, nadam, adamw
    public static let choiceName = "optimizer"
}

/// An optimizer and the options it was given.
///
/// Options that are nil take the optimizer's default (`resolved...` give the values used).
/// Options that do not apply to the optimizer are rejected when decoding
/// (`momentum` for `adam`, `beta1` for `sgd`, ...). Written as a name (`adam`) or a mapping
/// (`{name: adam, learning_rate: 0.001}`).
public struct OptimizerConfig: Codable, Sendable, Hashable {
    /// Which optimizer.
    public var name: OptimizerName
    /// The (base) learning rate; default 0.01 for the SGD family, 0.001 otherwise.
    public var learningRate: Double?
    /// momentum, nesterov (default 0.9), rmsprop (default 0: none).
    public var momentum: Double?
    /// Adam family (default 0.9).
    public var beta1: Double?
    /// Adam family (default 0.999).
    public var beta2: Double?
    /// adagrad, rmsprop, Adam family (default 1e-7).
    public var epsilon: Double?
    /// rmsprop (default 0.9).
    public var rho: Double?
    /// adamw: decoupled decay of the kernels (default 0.004, as Keras).
    public var weightDecay: Double?
    /// adagrad: starting value of the accumulator (default 0.1, as Keras).
    public var initialAccumulator: Double?
    /// nadam: the d of the momentum schedule `mu_t = beta1 * (1 - 0.5 * 0.96^(d*t))`; default
    /// 0.004 (Keras 2, the spec's formulation); 1 gives Keras 3's schedule.
    public var scheduleDecay: Double?

    /// An optimizer with the given options (nil: the optimizer's default).
    public init(
        _ name: OptimizerName, learningRate: Double? = nil, momentum: Double? = nil,
        beta1: Double? = nil, beta2: Double? = nil, epsilon: Double? = nil, rho: Double? = nil,
        weightDecay: Double? = nil, initialAccumulator: Double? = nil, scheduleDecay: Double? = nil
    ) {
        self.name = name
        self.learningRate = learningRate
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.rho = rho
        self.weightDecay = weightDecay
        self.initialAccumulator = initialAccumulator
        self.scheduleDecay = scheduleDecay
    }

    // MARK: Resolved values

    /// Keras defaults: 0.01 for the SGD family, 0.001 otherwise.
    public var resolvedLearningRate: Double {
        learningRate ?? ([.sgd, .momentum, .nesterov].contains(name) ? 0.01 : 0.001)
    }
    /// Momentum used (0.9; rmsprop 0).
    public var resolvedMomentum: Double { momentum ?? (name == .rmsprop ? 0 : 0.9) }
    /// beta1 used.
    public var resolvedBeta1: Double { beta1 ?? 0.9 }
    /// beta2 used.
    public var resolvedBeta2: Double { beta2 ?? 0.999 }
    /// epsilon used.
    public var resolvedEpsilon: Double { epsilon ?? 1e-7 }
    /// rho used.
    public var resolvedRho: Double { rho ?? 0.9 }
    /// AdamW decay used.
    public var resolvedWeightDecay: Double { weightDecay ?? 0.004 }
    /// AdaGrad accumulator start used.
    public var resolvedInitialAccumulator: Double { initialAccumulator ?? 0.1 }
    /// Nadam schedule decay used.
    public var resolvedScheduleDecay: Double { scheduleDecay ?? 0.004 }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name, learningRate = "learning_rate", momentum, beta1, beta2, epsilon, rho
        case weightDecay = "weight_decay", initialAccumulator = "initial_accumulator"
        case scheduleDecay = "schedule_decay"
    }

    /// The options each optimizer accepts.
    static func options(of name: OptimizerName) -> [CodingKeys] {
        switch name {
        case .sgd: [.name, .learningRate]
        case .momentum, .nesterov: [.name, .learningRate, .momentum]
        case .adagrad: [.name, .learningRate, .epsilon, .initialAccumulator]
        case .rmsprop: [.name, .learningRate, .rho, .momentum, .epsilon]
        case .adam, .adamax: [.name, .learningRate, .beta1, .beta2, .epsilon]
        case .nadam: [.name, .learningRate, .beta1, .beta2, .epsilon, .scheduleDecay]
        case .adamw: [.name, .learningRate, .beta1, .beta2, .epsilon, .weightDecay]
        }
    }

    /// An optimizer with the given options (nil: the optimizer's default).
    public init(from decoder: any Decoder) throws {
        if let text = decoder.shorthandString() {
            guard let name = OptimizerName(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    in: try decoder.singleValueContainer(),
                    debugDescription: "unknown optimizer '\(text)'; expected one of: \(OptimizerName.expectedList)")
            }
            self.init(name)
            return
        }
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard let name = try c.choice(OptimizerName.self, .name) else {
            throw DecodingError.keyNotFound(
                CodingKeys.name, .init(codingPath: c.codingPath, debugDescription: "optimizer mapping needs 'name'"))
        }
        try c.rejectFields(except: Self.options(of: name), context: "optimizer '\(name.rawValue)'")
        self.init(
            name,
            learningRate: try c.optionalNumber(.learningRate, .positive),
            momentum: try c.optionalNumber(.momentum, .fraction),
            beta1: try c.optionalNumber(.beta1, .fraction),
            beta2: try c.optionalNumber(.beta2, .fraction),
            epsilon: try c.optionalNumber(.epsilon, .positive),
            rho: try c.optionalNumber(.rho, .fraction),
            weightDecay: try c.optionalNumber(.weightDecay, .nonNegative),
            initialAccumulator: try c.optionalNumber(.initialAccumulator, .nonNegative),
            scheduleDecay: try c.optionalNumber(.scheduleDecay, .positive))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeUnlessNil(learningRate, forKey: .learningRate)
        try c.encodeUnlessNil(momentum, forKey: .momentum)
        try c.encodeUnlessNil(beta1, forKey: .beta1)
        try c.encodeUnlessNil(beta2, forKey: .beta2)
        try c.encodeUnlessNil(epsilon, forKey: .epsilon)
        try c.encodeUnlessNil(rho, forKey: .rho)
        try c.encodeUnlessNil(weightDecay, forKey: .weightDecay)
        try c.encodeUnlessNil(initialAccumulator, forKey: .initialAccumulator)
        try c.encodeUnlessNil(scheduleDecay, forKey: .scheduleDecay)
    }
}
