/// A hidden-layer activation function and its parameters.
///
/// Written as a name (`relu`) or a mapping (`{name: leaky_relu, alpha: 0.2}`).
public enum Activation: Codable, Sendable, Hashable {
    case sigmoid
    case tanh
    case relu
    /// `z` for z >= 0, `alpha * z` otherwise (default alpha 0.01).
    case leakyReLU(alpha: Double)
    /// Randomized leaky ReLU: slope ~ U(lower, upper) per element while training, the mean
    /// slope at inference (defaults 1/8 and 1/3).
    case rrelu(lower: Double, upper: Double)
    /// Parametric ReLU: a slope learned per unit, starting at `alpha` (default 0.25).
    case prelu(alpha: Double)
    /// `alpha * (exp(z) - 1)` for z < 0 (default alpha 1).
    case elu(alpha: Double)
    /// Scaled ELU with the fixed constants of Klambauer et al. (self-normalizing nets).
    case selu
    /// `z * sigmoid(z)`.
    case swish

    /// The name as written in configuration files.
    public enum Name: String, ConfigChoice {
        case sigmoid, tanh, relu
        case leakyReLU = "leaky_relu"
        case rrelu, prelu, elu, selu, swish
        public static let choiceName = "activation"
    }

    /// Default negative slope of leaky_relu.
    public static let defaultLeakyAlpha = 0.01
    /// Default lower bound of the RReLU slope.
    public static let defaultRReLULower = 1.0 / 8.0
    /// Default upper bound of the RReLU slope.
    public static let defaultRReLUUpper = 1.0 / 3.0
    /// Default initial PReLU slope.
    public static let defaultPReLUAlpha = 0.25
    /// Default ELU alpha.
    public static let defaultELUAlpha = 1.0

    /// The name as written in files.
    public var name: Name {
        switch self {
        case .sigmoid: .sigmoid
        case .tanh: .tanh
        case .relu: .relu
        case .leakyReLU: .leakyReLU
        case .rrelu: .rrelu
        case .prelu: .prelu
        case .elu: .elu
        case .selu: .selu
        case .swish: .swish
        }
    }

    /// The activation with default parameters for `name`.
    public init(_ name: Name) {
        switch name {
        case .sigmoid: self = .sigmoid
        case .tanh: self = .tanh
        case .relu: self = .relu
        case .leakyReLU: self = .leakyReLU(alpha: Self.defaultLeakyAlpha)
        case .rrelu: self = .rrelu(lower: Self.defaultRReLULower, upper: Self.defaultRReLUUpper)
        case .prelu: self = .prelu(alpha: Self.defaultPReLUAlpha)
        case .elu: self = .elu(alpha: Self.defaultELUAlpha)
        case .selu: self = .selu
        case .swish: self = .swish
        }
    }

    /// The initializer table 11-1 recommends for this activation.
    public var recommendedInitializer: Initializer {
        switch self {
        case .sigmoid, .tanh, .swish: .glorotUniform
        case .relu, .leakyReLU, .rrelu, .prelu, .elu: .heNormal
        case .selu: .lecunNormal
        }
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name, alpha, lower, upper
    }

    public init(from decoder: any Decoder) throws {
        if let text = decoder.shorthandString() {
            let single = try decoder.singleValueContainer()
            guard let name = Name(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    in: single, debugDescription: "unknown activation '\(text)'; expected one of: \(Name.expectedList)")
            }
            self.init(name)
            return
        }
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard let name = try c.choice(Name.self, .name) else {
            throw DecodingError.keyNotFound(
                CodingKeys.name, .init(codingPath: c.codingPath, debugDescription: "activation mapping needs 'name'"))
        }
        let context = "activation '\(name.rawValue)'"
        switch name {
        case .sigmoid, .tanh, .relu, .selu, .swish:
            try c.rejectFields(except: [.name], context: context)
            self.init(name)
        case .leakyReLU:
            try c.rejectFields(except: [.name, .alpha], context: context)
            self = .leakyReLU(alpha: try c.number(.alpha, default: Self.defaultLeakyAlpha, .positive))
        case .prelu:
            try c.rejectFields(except: [.name, .alpha], context: context)
            self = .prelu(alpha: try c.number(.alpha, default: Self.defaultPReLUAlpha, .nonNegative))
        case .elu:
            try c.rejectFields(except: [.name, .alpha], context: context)
            self = .elu(alpha: try c.number(.alpha, default: Self.defaultELUAlpha, .positive))
        case .rrelu:
            try c.rejectFields(except: [.name, .lower, .upper], context: context)
            let lower = try c.number(.lower, default: Self.defaultRReLULower, .nonNegative)
            let upper = try c.number(.upper, default: Self.defaultRReLUUpper, .nonNegative)
            guard lower <= upper else { throw c.invalid(.upper, "must be >= lower (\(lower)), got \(upper)") }
            self = .rrelu(lower: lower, upper: upper)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .sigmoid, .tanh, .relu, .selu, .swish:
            var single = encoder.singleValueContainer()
            try single.encode(name.rawValue)
        case .leakyReLU(let alpha), .prelu(let alpha), .elu(let alpha):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(alpha, forKey: .alpha)
        case .rrelu(let lower, let upper):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(lower, forKey: .lower)
            try c.encode(upper, forKey: .upper)
        }
    }
}
