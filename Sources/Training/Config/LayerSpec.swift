/// Zero padding of a convolution or pooling window (Keras' `padding`).
public enum Padding: String, ConfigChoice {
    /// No padding: the window stays inside the input; output = floor((n - k) / s) + 1.
    case valid
    /// Zero padding so that output = ceil(n / s); the extra row/column goes after (bottom/right).
    case same
    public static let choiceName = "padding"
}

/// Which pooling a convolutional block ends with.
public enum PoolingKind: String, ConfigChoice {
    /// MaxPooling2D.
    case max
    /// AveragePooling2D (padded cells are not counted, as in Keras).
    case average
    /// No pooling.
    case none
    public static let choiceName = "pooling"
}

/// A height x width pair written as one integer (square) or `[height, width]`.
public struct WindowSize: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int

    /// A `height` x `width` window.
    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// A square window.
    public init(_ side: Int) { self.init(side, side) }

    /// "3x3".
    public var description: String { "\(height)x\(width)" }

    public init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let side = try? single.decode(Int.self) {
            guard (1...NetworkLimits.maxWindowSide).contains(side) else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "must be 1 to \(NetworkLimits.maxWindowSide), got \(side)")
            }
            self.init(side)
            return
        }
        guard let pair = try? single.decode([Int].self), pair.count == 2 else {
            throw DecodingError.dataCorruptedError(in: single, debugDescription: "must be an integer or [height, width]")
        }
        guard pair.allSatisfy({ (1...NetworkLimits.maxWindowSide).contains($0) }) else {
            throw DecodingError.dataCorruptedError(in: single, debugDescription: "sizes must be 1 to \(NetworkLimits.maxWindowSide), got \(pair)")
        }
        self.init(pair[0], pair[1])
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        if height == width { try single.encode(height) } else { try single.encode([height, width]) }
    }
}

/// A Conv2D layer: cross-correlation of channels-last input with `filters` kernels.
public struct Conv2DSpec: Codable, Sendable, Hashable {
    /// Number of output channels.
    public var filters: Int
    /// Kernel height x width (default 3).
    public var kernelSize: WindowSize
    /// Step between windows (default 1).
    public var strides: WindowSize
    /// `valid` (default, as in Keras) or `same`.
    public var padding: Padding
    /// Fused activation; nil means the model's `activation`.
    public var activation: Activation?
    /// Bias vector; nil means true.
    public var useBias: Bool?

    /// A Conv2D layer.
    public init(filters: Int, kernelSize: WindowSize = WindowSize(3), strides: WindowSize = WindowSize(1), padding: Padding = .valid,
                activation: Activation? = nil, useBias: Bool? = nil) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.activation = activation
        self.useBias = useBias
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case filters, kernelSize = "kernel_size", strides, padding, activation, useBias = "use_bias"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard c.contains(.filters) else {
            throw DecodingError.keyNotFound(CodingKeys.filters, .init(codingPath: c.codingPath, debugDescription: "conv2d needs 'filters'"))
        }
        filters = try c.width(.filters, default: 1)
        kernelSize = try c.value(.kernelSize, default: WindowSize(3))
        strides = try c.value(.strides, default: WindowSize(1))
        padding = try c.choice(Padding.self, .padding) ?? .valid
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation)
        useBias = try c.decodeIfPresent(Bool.self, forKey: .useBias)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(filters, forKey: .filters)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encodeUnlessNil(activation, forKey: .activation)
        try c.encodeUnlessNil(useBias, forKey: .useBias)
    }
}

/// A MaxPooling2D or AveragePooling2D layer: `{max_pool: 2}` or
/// `{max_pool: {pool_size: 2, strides: 2, padding: valid}}`.
public struct PoolSpec: Codable, Sendable, Hashable {
    /// Window height x width.
    public var poolSize: WindowSize
    /// Step between windows; nil means the pool size (Keras' default).
    public var strides: WindowSize?
    /// `valid` (default) or `same`.
    public var padding: Padding

    /// A pooling layer.
    public init(poolSize: WindowSize = WindowSize(2), strides: WindowSize? = nil, padding: Padding = .valid) {
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
    }

    /// The strides used.
    public var resolvedStrides: WindowSize { strides ?? poolSize }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case poolSize = "pool_size", strides, padding
    }

    public init(from decoder: any Decoder) throws {
        if (try? decoder.container(keyedBy: AnyCodingKey.self)) == nil {
            self = PoolSpec(poolSize: try WindowSize(from: decoder))
            return
        }
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        poolSize = try c.value(.poolSize, default: WindowSize(2))
        strides = try c.decodeIfPresent(WindowSize.self, forKey: .strides)
        padding = try c.choice(Padding.self, .padding) ?? .valid
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(poolSize, forKey: .poolSize)
        try c.encodeUnlessNil(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
    }
}

/// A Dense layer in a layer list: `{dense: 128}` or `{dense: {units: 128, activation: relu}}`.
/// On input of rank > 1 it acts on the last axis (Keras).
public struct DenseSpec: Codable, Sendable, Hashable {
    /// Output units.
    public var units: Int
    /// Fused activation; nil means the model's `activation`.
    public var activation: Activation?
    /// Bias vector; nil means true.
    public var useBias: Bool?

    /// A Dense layer.
    public init(units: Int, activation: Activation? = nil, useBias: Bool? = nil) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case units, activation, useBias = "use_bias"
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let units = try? single.decode(Int.self) {
            guard (1...NetworkLimits.maxWidth).contains(units) else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "must be 1 to \(NetworkLimits.maxWidth), got \(units)")
            }
            self = DenseSpec(units: units)
            return
        }
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard c.contains(.units) else {
            throw DecodingError.keyNotFound(CodingKeys.units, .init(codingPath: c.codingPath, debugDescription: "dense needs 'units'"))
        }
        units = try c.width(.units, default: 1)
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation)
        useBias = try c.decodeIfPresent(Bool.self, forKey: .useBias)
    }

    public func encode(to encoder: any Encoder) throws {
        if activation == nil && useBias == nil {
            var single = encoder.singleValueContainer()
            try single.encode(units)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(units, forKey: .units)
        try c.encodeUnlessNil(activation, forKey: .activation)
        try c.encodeUnlessNil(useBias, forKey: .useBias)
    }
}

/// One entry of an explicit layer list (`model.layers`).
///
/// Written as a bare name (`flatten`, `batch_norm`) or a one-key mapping:
/// `{conv2d: {filters: 32, kernel_size: 3}}`, `{max_pool: 2}`, `{average_pool: 2}`,
/// `{dense: 128}`, `{dropout: 0.25}`, `{activation: relu}`.
public enum LayerSpec: Codable, Sendable, Hashable {
    case conv2d(Conv2DSpec)
    case maxPool(PoolSpec)
    case averagePool(PoolSpec)
    case flatten
    case dense(DenseSpec)
    /// Batch normalization over the last axis (the model's momentum and epsilon).
    case batchNorm
    /// Dropout of the model's `dropout_kind` with this rate.
    case dropout(Double)
    /// A standalone activation.
    case activation(Activation)

    /// The layer kinds as written in files.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case conv2d, maxPool = "max_pool", averagePool = "average_pool", flatten, dense
        case batchNorm = "batch_norm", dropout, activation
    }

    /// The key this entry is written with.
    public var key: CodingKeys {
        switch self {
        case .conv2d: .conv2d
        case .maxPool: .maxPool
        case .averagePool: .averagePool
        case .flatten: .flatten
        case .dense: .dense
        case .batchNorm: .batchNorm
        case .dropout: .dropout
        case .activation: .activation
        }
    }

    public init(from decoder: any Decoder) throws {
        let expected = CodingKeys.allCases.map(\.stringValue).joined(separator: ", ")
        if let name = decoder.shorthandString() {
            switch name {
            case CodingKeys.flatten.stringValue: self = .flatten
            case CodingKeys.batchNorm.stringValue: self = .batchNorm
            default:
                let single = try decoder.singleValueContainer()
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: "unknown layer '\(name)'; write flatten, batch_norm or a one-key mapping such as {conv2d: {filters: 32}} (layers: \(expected))")
            }
            return
        }
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        let present = CodingKeys.allCases.filter { c.contains($0) }
        guard present.count == 1, let key = present.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: c.codingPath,
                debugDescription: present.isEmpty ? "a layer is a one-key mapping; expected one of: \(expected)"
                    : "a layer names one kind, got \(present.map(\.stringValue).joined(separator: " and "))"))
        }
        switch key {
        case .conv2d: self = .conv2d(try c.decode(Conv2DSpec.self, forKey: key))
        case .maxPool: self = .maxPool(try c.decode(PoolSpec.self, forKey: key))
        case .averagePool: self = .averagePool(try c.decode(PoolSpec.self, forKey: key))
        case .dense: self = .dense(try c.decode(DenseSpec.self, forKey: key))
        case .dropout:
            let rate = try c.number(key, default: 0, .fraction)
            self = .dropout(rate)
        case .activation: self = .activation(try c.decode(Activation.self, forKey: key))
        case .flatten, .batchNorm:
            // `{flatten: {}}` / `{batch_norm: {}}` are accepted like the bare names.
            self = key == .flatten ? .flatten : .batchNorm
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .flatten, .batchNorm:
            var single = encoder.singleValueContainer()
            try single.encode(key.stringValue)
        case .conv2d(let spec):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(spec, forKey: .conv2d)
        case .maxPool(let spec), .averagePool(let spec):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(spec, forKey: key)
        case .dense(let spec):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(spec, forKey: .dense)
        case .dropout(let rate):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(rate, forKey: .dropout)
        case .activation(let activation):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(activation, forKey: .activation)
        }
    }

    /// Whether the layer needs image (height, width, channels) input.
    var isSpatial: Bool {
        switch self {
        case .conv2d, .maxPool, .averagePool: true
        default: false
        }
    }
}
