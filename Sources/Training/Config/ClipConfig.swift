/// Gradient clipping, applied to the full gradient (loss plus penalties) before the update.
///
/// Written as exactly one of `{value: v}`, `{norm: t}`, `{global_norm: t}`.
public enum ClipConfig: Codable, Sendable, Hashable {
    /// Each component clipped to [-v, v].
    case value(Double)
    /// Each parameter tensor whose L2 norm exceeds t rescaled to norm t (Keras `clipnorm`).
    case norm(Double)
    /// All tensors rescaled together when their joint norm exceeds t (Keras `global_clipnorm`).
    case globalNorm(Double)

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case value, norm, globalNorm = "global_norm"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        let present = CodingKeys.allCases.filter { c.contains($0) }
        guard present.count == 1, let key = present.first else {
            if present.count > 1 {
                throw c.invalid(present[1], "give exactly one of value, norm, global_norm")
            }
            throw DecodingError.dataCorrupted(.init(
                codingPath: c.codingPath, debugDescription: "clip needs exactly one of value, norm, global_norm"))
        }
        let threshold = try c.number(key, default: 1, .positive)
        switch key {
        case .value: self = .value(threshold)
        case .norm: self = .norm(threshold)
        case .globalNorm: self = .globalNorm(threshold)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .value(let v): try c.encode(v, forKey: .value)
        case .norm(let v): try c.encode(v, forKey: .norm)
        case .globalNorm(let v): try c.encode(v, forKey: .globalNorm)
        }
    }
}
