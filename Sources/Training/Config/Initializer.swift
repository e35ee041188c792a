/// A variance-scaling weight initializer (table 11-1 of the course text).
///
/// Weights are drawn with variance `scale / fan` where fan is fan_in, fan_out or their
/// mean. "normal" presets use a normal truncated at 2 sigma (std divided by 0.87962566,
/// as Keras does); "uniform" ones draw from U(-r, r) with r = sqrt(3 * variance).
/// Biases always start at 0. There is deliberately no constant/zeros weight initializer.
///
/// Written as a preset name (`he_normal`) or as
/// `{name: variance_scaling, scale: 2.0, mode: fan_in, distribution: truncated_normal}`.
public struct Initializer: Codable, Sendable, Hashable {
    /// Which fan the variance is divided by.
    public enum Mode: String, ConfigChoice {
        case fanIn = "fan_in", fanOut = "fan_out", fanAvg = "fan_avg"
        public static let choiceName = "initializer mode"
    }

    /// The distribution weights are drawn from.
    public enum Distribution: String, ConfigChoice {
        case truncatedNormal = "truncated_normal"
        case untruncatedNormal = "untruncated_normal"
        case uniform
        public static let choiceName = "initializer distribution"
    }

    /// The named presets, plus `variance_scaling` for the general form.
    public enum Name: String, ConfigChoice {
        case glorotUniform = "glorot_uniform", glorotNormal = "glorot_normal"
        case heUniform = "he_uniform", heNormal = "he_normal"
        case lecunUniform = "lecun_uniform", lecunNormal = "lecun_normal"
        case varianceScaling = "variance_scaling"
        public static let choiceName = "initializer"
    }

    /// Variance numerator (> 0).
    public var scale: Double
    /// The fan the variance is divided by.
    public var mode: Mode
    /// The distribution drawn from.
    public var distribution: Distribution

    /// A variance-scaling initializer; `scale` must be > 0.
    public init(scale: Double, mode: Mode, distribution: Distribution) {
        precondition(scale > 0, "initializer scale must be > 0")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
    }

    /// Variance 1/fan_avg, uniform (the Keras default).
    public static let glorotUniform = Initializer(scale: 1, mode: .fanAvg, distribution: .uniform)
    /// Variance 1/fan_avg, truncated normal.
    public static let glorotNormal = Initializer(scale: 1, mode: .fanAvg, distribution: .truncatedNormal)
    /// Variance 2/fan_in, uniform.
    public static let heUniform = Initializer(scale: 2, mode: .fanIn, distribution: .uniform)
    /// Variance 2/fan_in, truncated normal (ReLU family, ELU).
    public static let heNormal = Initializer(scale: 2, mode: .fanIn, distribution: .truncatedNormal)
    /// Variance 1/fan_in, uniform.
    public static let lecunUniform = Initializer(scale: 1, mode: .fanIn, distribution: .uniform)
    /// Variance 1/fan_in, truncated normal (SELU).
    public static let lecunNormal = Initializer(scale: 1, mode: .fanIn, distribution: .truncatedNormal)

    /// The preset `name` (nil for `variance_scaling`, which has no fixed parameters).
    public static func preset(_ name: Name) -> Initializer? {
        switch name {
        case .glorotUniform: .glorotUniform
        case .glorotNormal: .glorotNormal
        case .heUniform: .heUniform
        case .heNormal: .heNormal
        case .lecunUniform: .lecunUniform
        case .lecunNormal: .lecunNormal
        case .varianceScaling: nil
        }
    }

    /// The preset name this initializer equals, if any.
    public var presetName: Name? {
        Name.allCases.first { Self.preset($0) == self }
    }

    /// The variance of the weights for a kernel with these fans.
    public func variance(fanIn: Int, fanOut: Int) -> Double {
        let fan: Double
        switch mode {
        case .fanIn: fan = Double(fanIn)
        case .fanOut: fan = Double(fanOut)
        case .fanAvg: fan = Double(fanIn + fanOut) / 2
        }
        return scale / max(1, fan)
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name, scale, mode, distribution
    }

    public init(from decoder: any Decoder) throws {
        if let text = decoder.shorthandString() {
            let single = try decoder.singleValueContainer()
            guard let name = Name(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: "unknown initializer '\(text)'; expected one of: \(Name.expectedList)")
            }
            self = Self.preset(name) ?? Initializer(scale: 1, mode: .fanIn, distribution: .truncatedNormal)
            return
        }
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard let name = try c.choice(Name.self, .name) else {
            throw DecodingError.keyNotFound(
                CodingKeys.name, .init(codingPath: c.codingPath, debugDescription: "initializer mapping needs 'name'"))
        }
        if let preset = Self.preset(name) {
            try c.rejectFields(except: [.name], context: "initializer '\(name.rawValue)' (use variance_scaling to set scale, mode or distribution)")
            self = preset
            return
        }
        let scale = try c.number(.scale, default: 1.0, .positive)
        let mode = try c.choice(Mode.self, .mode) ?? .fanIn
        let distribution = try c.choice(Distribution.self, .distribution) ?? .truncatedNormal
        self.init(scale: scale, mode: mode, distribution: distribution)
    }

    public func encode(to encoder: any Encoder) throws {
        if let preset = presetName {
            var single = encoder.singleValueContainer()
            try single.encode(preset.rawValue)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Name.varianceScaling, forKey: .name)
        try c.encode(scale, forKey: .scale)
        try c.encode(mode, forKey: .mode)
        try c.encode(distribution, forKey: .distribution)
    }
}
