/// The value of one hyperparameter in one trial.
///
/// Values keep their kind so that `32` (an int) and `32.0` (a float) stay distinct in the
/// store and on the wire. Encoded as the plain JSON value (`0.001`, `32`, `"adam"`, `true`,
/// `[64, 32]`).
public enum ParamValue: Hashable, Sendable, Codable, CustomStringConvertible {
    case double(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    /// A list taken as one choice, as W&B sweep files allow (`values: [[64, 32], [128]]`,
    /// layer widths): samplers pick it whole; a program gets it as a JSON array.
    indirect case list([ParamValue])
    /// A mapping taken as one choice, as W&B sweep files allow (`values: [{name: cosine,
    /// warmup: 5}, {name: step, gamma: 0.5}]`): samplers pick it whole; a program gets it as
    /// a JSON object (a Python dict in `${args}`), keys sorted; the built-in trainer reads it
    /// as the section it replaces.
    indirect case dict([String: ParamValue])
    /// No value, as a choice or a constant (`values: [null, 5, 10]` for scikit-learn's
    /// `max_depth=None`): a program gets `None` in `${args}`, `null` in JSON.
    case null

    /// The value as a number, for numeric parameters (ints widen, bools are 0/1).
    public var number: Double? {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        case .bool(let b): return b ? 1 : 0
        case .string, .list, .dict, .null: return nil
        }
    }

    public var description: String {
        switch self {
        case .double(let v): return formatParamNumber(v)
        case .int(let v): return String(v)
        case .string(let s): return s
        case .bool(let b): return String(b)
        case .list(let items): return "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        case .dict(let members): return "{" + members.keys.sorted().map { Self.jsonQuoted($0) + ": " + members[$0]!.jsonText }.joined(separator: ", ") + "}"
        case .null: return "null"
        }
    }

    /// The value as JSON text: strings quoted and escaped, lists as arrays (`["a", 1]`).
    public var jsonText: String {
        switch self {
        case .string(let s): return Self.jsonQuoted(s)
        case .double(let v) where !v.isFinite: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .double, .int, .list, .dict, .null: return description
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let items = try? c.decode([ParamValue].self) { self = .list(items); return }
        if let members = try? c.decode([String: ParamValue].self) { self = .dict(members); return }
        self = .string(try c.decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .double(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .list(let v): try c.encode(v)
        case .dict(let v): try c.encode(v)
        case .null: try c.encodeNil()
        }
    }
}

extension ParamValue {
    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
    public static func jsonQuoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// A short, round-trippable rendering of a parameter value (`0.001`, `1e-05`, `32.0`).
public func formatParamNumber(_ v: Double) -> String { "\(v)" }

/// The parameters of one trial: name -> value. Only active parameters are present.
public typealias Params = [String: ParamValue]
