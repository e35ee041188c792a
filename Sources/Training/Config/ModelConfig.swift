/// Where batch normalization sits in each hidden block, relative to the activation.
public enum BatchNormPlacement: String, ConfigChoice {
    case none
    /// Dense (no bias) -> BN -> activation, as in Géron's "BN before the activation" net.
    case before
    /// Dense -> activation -> BN.
    case after
    public static let choiceName = "batch_norm placement"
}

/// Which dropout layer the dropout rates create.
public enum DropoutKind: String, ConfigChoice {
    /// Inverted dropout: kept units scaled by 1/(1-rate) while training.
    case standard
    /// AlphaDropout, which keeps the mean and variance of SELU activations.
    case alpha
    public static let choiceName = "dropout kind"
}

/// The training loss (which also fixes the output layer).
public enum LossKind: String, ConfigChoice {
    /// Softmax over one output per class, cross-entropy with class-index labels.
    case crossEntropy = "cross_entropy"
    /// One sigmoid output, binary cross-entropy (two-class data sets only).
    case binaryCrossEntropy = "binary_cross_entropy"
    /// Squared error without the 1/2, summed over outputs: one-hot targets, or a single
    /// 0/1 output for two-class data sets; regression: `(o - y)^2` on the one linear output.
    case mse
    /// Regression only: absolute error `|o - y|`.
    case mae
    /// Regression only: Huber, `d^2/2` for `|d| <= delta`, `delta*(|d| - delta/2)` beyond
    /// (`d = o - y`; Keras' Huber; `model.huber_delta`, default 1).
    case huber
    /// Hinge: `max(0, 1 - y*s)` with one output and y in {-1, 1} for two-class data sets,
    /// `sum_{j != y} max(0, s_j - s_y + 1)` over one output per class otherwise.
    case hinge
    public static let choiceName = "loss"

    /// Whether the loss applies to `task`.
    public func fits(_ task: PredictionTask) -> Bool {
        switch self {
        case .crossEntropy, .binaryCrossEntropy, .hinge: task == .classification
        case .mae, .huber: task == .regression
        case .mse: true
        }
    }
}

/// The network: an optional convolutional front (`conv` blocks) or an explicit layer list
/// (`layers`), the dense hidden layers, and the output layer fixed by the loss.
public struct ModelConfig: Codable, Sendable, Hashable {
    /// Widths of the hidden Dense layers (in the file: a list, or `{layers: N, units: W}`).
    /// May be empty with `conv`; always empty with `layers`.
    public var hidden: [Int]
    /// Convolutional blocks before the hidden layers (image data sets).
    public var conv: ConvBlocksConfig?
    /// An explicit layer list between the input and the output layer (replaces `hidden`,
    /// `conv` and the per-block `batch_norm`/`dropout` fields).
    public var layers: [LayerSpec]?
    /// Start from the lower layers of a stored model.
    public var transfer: TransferConfig?
    /// Activation of every hidden layer.
    public var activation: Activation
    /// Hidden-layer kernel initializer; default: the one table 11-1 recommends for the
    /// activation (he_normal for the ReLU family and ELU, lecun_normal for SELU, glorot_uniform
    /// otherwise). The output layer always uses glorot_uniform, as a Keras Dense does.
    public var initializer: Initializer
    /// Batch normalization in each hidden block.
    public var batchNorm: BatchNormPlacement
    /// Batch normalization right after the input.
    public var inputBatchNorm: Bool
    /// Momentum of the moving averages (default 0.99).
    public var batchNormMomentum: Double
    /// Added to the variance (default 1e-3).
    public var batchNormEpsilon: Double
    /// Whether hidden Dense layers have a bias; default true, false with `batch_norm: before`
    /// (the BN shift makes it redundant).
    public var useBias: Bool?
    /// Dropout rate after every hidden block, in [0, 1).
    public var dropout: Double
    /// Standard (inverted) or alpha dropout, for both dropout rates.
    public var dropoutKind: DropoutKind
    /// Dropout rate on the input, in [0, 1).
    public var inputDropout: Double
    /// Keras-style kernel penalties `l1 * sum|w|` and `l2 * sum(w^2)` on every Dense kernel.
    public var l1: Double
    public var l2: Double
    /// Max-norm radius for each hidden unit's incoming weight vector.
    public var maxNorm: Double?
    /// The loss, which fixes the output layer.
    public var loss: LossKind
    /// Huber loss only: where the loss turns from quadratic to linear (default 1), in the
    /// units the network trains on (standard deviations of the target with `target_scaling: standardize`).
    public var huberDelta: Double?

    /// A model; `initializer` nil means the one recommended for `activation`.
    public init(
        hidden: [Int] = [300, 100], activation: Activation = .relu, initializer: Initializer? = nil,
        batchNorm: BatchNormPlacement = .none, inputBatchNorm: Bool = false,
        batchNormMomentum: Double = 0.99, batchNormEpsilon: Double = 1e-3, useBias: Bool? = nil,
        dropout: Double = 0, dropoutKind: DropoutKind = .standard, inputDropout: Double = 0,
        l1: Double = 0, l2: Double = 0, maxNorm: Double? = nil, loss: LossKind = .crossEntropy,
        conv: ConvBlocksConfig? = nil, layers: [LayerSpec]? = nil, transfer: TransferConfig? = nil, huberDelta: Double? = nil
    ) {
        self.huberDelta = huberDelta
        self.hidden = layers == nil ? hidden : []
        self.conv = conv
        self.layers = layers
        self.transfer = transfer
        self.activation = activation
        self.initializer = initializer ?? activation.recommendedInitializer
        self.batchNorm = batchNorm
        self.inputBatchNorm = inputBatchNorm
        self.batchNormMomentum = batchNormMomentum
        self.batchNormEpsilon = batchNormEpsilon
        self.useBias = useBias
        self.dropout = dropout
        self.dropoutKind = dropoutKind
        self.inputDropout = inputDropout
        self.l1 = l1
        self.l2 = l2
        self.maxNorm = maxNorm
        self.loss = loss
    }

    /// Whether the network has convolution or pooling layers (image input keeps its
    /// height x width x channels shape).
    public var isConvolutional: Bool {
        conv != nil || (layers?.contains { $0.isSpatial } ?? false)
    }

    /// The Huber loss's delta.
    public var resolvedHuberDelta: Double { huberDelta ?? 1 }

    /// Whether the hidden Dense layers get a bias vector.
    public var resolvedUseBias: Bool { useBias ?? (batchNorm != .before) }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case hidden, activation, initializer
        case batchNorm = "batch_norm", inputBatchNorm = "input_batch_norm"
        case batchNormMomentum = "batch_norm_momentum", batchNormEpsilon = "batch_norm_epsilon"
        case useBias = "use_bias"
        case dropout, dropoutKind = "dropout_kind", inputDropout = "input_dropout"
        case l1, l2, maxNorm = "max_norm", loss, huberDelta = "huber_delta"
        case conv, layers, transfer
    }

    /// The `{layers: N, units: W}` form of `hidden`.
    enum HiddenKeys: String, CodingKey, CaseIterable { case layers, units }

    /// A model; `initializer` nil means the one recommended for `activation`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        conv = try c.decodeIfPresent(ConvBlocksConfig.self, forKey: .conv)
        layers = try c.decodeIfPresent([LayerSpec].self, forKey: .layers)
        transfer = try c.decodeIfPresent(TransferConfig.self, forKey: .transfer)
        if layers != nil {
            if conv != nil { throw c.invalid(.conv, "'conv' does not apply with 'layers' (the list describes the whole network; write conv2d layers into it)") }
            if c.contains(.hidden) { throw c.invalid(.hidden, "'hidden' does not apply with 'layers' (write dense layers into the list)") }
            hidden = []
        } else {
            hidden = try Self.decodeHidden(c, allowEmpty: conv != nil)
        }
        activation = try c.value(.activation, default: .relu)
        initializer = try c.decodeIfPresent(Initializer.self, forKey: .initializer) ?? activation.recommendedInitializer
        batchNorm = try c.choice(BatchNormPlacement.self, .batchNorm) ?? .none
        inputBatchNorm = try c.value(.inputBatchNorm, default: false)
        batchNormMomentum = try c.number(.batchNormMomentum, default: 0.99, .fraction)
        batchNormEpsilon = try c.number(.batchNormEpsilon, default: 1e-3, .positive)
        useBias = try c.decodeIfPresent(Bool.self, forKey: .useBias)
        dropout = try c.number(.dropout, default: 0, .fraction)
        dropoutKind = try c.choice(DropoutKind.self, .dropoutKind) ?? .standard
        inputDropout = try c.number(.inputDropout, default: 0, .fraction)
        l1 = try c.number(.l1, default: 0, .nonNegative)
        l2 = try c.number(.l2, default: 0, .nonNegative)
        maxNorm = try c.optionalNumber(.maxNorm, .positive)
        loss = try c.choice(LossKind.self, .loss) ?? .crossEntropy
        huberDelta = try c.optionalNumber(.huberDelta, .positive)
        if huberDelta != nil, loss != .huber { throw c.invalid(.huberDelta, "huber_delta applies only to loss: huber") }
    }

    private static func decodeHidden(_ c: KeyedDecodingContainer<CodingKeys>, allowEmpty: Bool) throws -> [Int] {
        guard c.contains(.hidden), try !c.decodeNil(forKey: .hidden) else { return [300, 100] }
        let widths: [Int]
        if (try? c.nestedUnkeyedContainer(forKey: .hidden)) != nil {
            widths = try c.decode([Int].self, forKey: .hidden) // a bad width is named at its place
        } else {
            let h = try c.nestedContainer(keyedBy: HiddenKeys.self, forKey: .hidden)
            guard let layers = try h.decodeIfPresent(Int.self, forKey: .layers),
                  let units = try h.decodeIfPresent(Int.self, forKey: .units) else {
                throw c.invalid(.hidden, "must be a list of widths or {layers: N, units: W}")
            }
            guard layers >= 1 else { throw h.invalid(.layers, "must be >= 1, got \(layers)") }
            guard units >= 1 else { throw h.invalid(.units, "must be >= 1, got \(units)") }
            guard units <= NetworkLimits.maxWidth else { throw h.invalid(.units, "must be at most \(NetworkLimits.maxWidth), got \(units)") }
            guard layers <= NetworkLimits.maxWidth else { throw h.invalid(.layers, "must be at most \(NetworkLimits.maxWidth), got \(layers)") }
            widths = Array(repeating: units, count: layers)
        }
        guard !widths.isEmpty || allowEmpty else { throw c.invalid(.hidden, "must name at least one hidden layer") }
        if let bad = widths.first(where: { $0 < 1 }) {
            throw c.invalid(.hidden, "widths must be >= 1, got \(bad)")
        }
        if let bad = widths.first(where: { $0 > NetworkLimits.maxWidth }) {
            throw c.invalid(.hidden, "widths must be at most \(NetworkLimits.maxWidth), got \(bad)")
        }
        return widths
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if layers == nil { try c.encode(hidden, forKey: .hidden) }
        try c.encodeUnlessNil(conv, forKey: .conv)
        try c.encodeUnlessNil(layers, forKey: .layers)
        try c.encodeUnlessNil(transfer, forKey: .transfer)
        try c.encode(activation, forKey: .activation)
        try c.encode(initializer, forKey: .initializer)
        try c.encode(batchNorm, forKey: .batchNorm)
        try c.encode(inputBatchNorm, forKey: .inputBatchNorm)
        try c.encode(batchNormMomentum, forKey: .batchNormMomentum)
        try c.encode(batchNormEpsilon, forKey: .batchNormEpsilon)
        try c.encodeUnlessNil(useBias, forKey: .useBias)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(dropoutKind, forKey: .dropoutKind)
        try c.encode(inputDropout, forKey: .inputDropout)
        try c.encode(l1, forKey: .l1)
        try c.encode(l2, forKey: .l2)
        try c.encodeUnlessNil(maxNorm, forKey: .maxNorm)
        try c.encode(loss, forKey: .loss)
        try c.encodeUnlessNil(huberDelta, forKey: .huberDelta)
    }
}
