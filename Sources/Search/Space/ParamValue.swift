/// The value of one hyperparameter in one trial.
///
/// Values keep their kind so that `32` (an int) and `32.0` (a float) stay distinct in the
/// store and on the wire. Encoded as the plain JSON scalar (`0.001`, `32`, `"adam"`, `true`).
public enum ParamValue: Hashable, Sendable, Codable, CustomStringConvertible {
    case double(Double)
    case int(Int)
    case string(String)
    case bool(Bool)

    /// The value as a number, for numeric parameters (ints widen, bools are 0/1).
    public var number: Double? {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        case .bool(let b): return b ? 1 : 0
        case .string: return nil
        }
    }

    public var description: String {
        switch self {
        case .double(let v): return formatParamNumber(v)
        case .int(let v): return String(v)
        case .string(let s): return s
        case .bool(let b): return String(b)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        self = .string(try c.decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .double(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        }
    }
}

/// A short, round-trippable rendering of a parameter value (`0.001`, `1e-05`, `32.0`).
public func formatParamNumber(_ v: Double) -> String { "\(v)" }

/// The parameters of one trial: name -> value. Only active parameters are present.
public typealias Params = [String: ParamValue]
