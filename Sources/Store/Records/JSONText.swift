import Foundation
import JSONValue
import Search

/// Parameter values as JSON: the one writer and reader of the `params` column and of the
/// wire's `assign.params` (over ``JSONWriter`` and ``JSONParser``).
extension JSONWriter {
    /// Writes `params` as one object, keys sorted; a float keeps its decimal point or
    /// exponent, so it reads back as a float.
    public mutating func params(_ params: Params) {
        beginObject()
        for name in params.keys.sorted() {
            key(name)
            param(params[name]!)
        }
        endObject()
    }

    /// Writes one parameter value (a list as an array).
    public mutating func param(_ value: ParamValue) {
        switch value {
        case .bool(let b): bool(b)
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .null: null()
        case .list(let items):
            beginArray()
            for item in items { param(item) }
            endArray()
        }
    }
}

extension ParamValue {
    /// The value as a JSON value (a float stays a float: `1.0`, not `1`).
    public var json: JSONValue {
        switch self {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .list(let items): return .array(items.map(\.json))
        case .null: return .null
        }
    }

    /// The value a JSON scalar or array of them holds (a number with a decimal point or
    /// exponent is a double); nil for objects, which no parameter takes.
    public init?(json: JSONValue) {
        switch json {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        case .array(let items):
            var values: [ParamValue] = []
            for item in items {
                guard let v = ParamValue(json: item) else { return nil }
                values.append(v)
            }
            self = .list(values)
        default: return nil
        }
    }
}

/// The JSON text stored in the `params`, `metrics` and `space` columns.
///
/// Floats always carry a decimal point or exponent (so `1.0` stays a float for `sqlite3`
/// users and round-trips as one), and non-finite metrics become `null` instead of failing
/// the whole write.
enum JSONText {
    static func encode(_ params: Params) -> String {
        var w = JSONWriter(capacity: 128)
        w.params(params)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func encode(_ metrics: [String: Double]) -> String {
        var w = JSONWriter(capacity: 128)
        w.nonFiniteAsNull = true
        w.beginObject()
        for name in metrics.keys.sorted() { w.key(name); w.double(metrics[name]!) }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Decodes a params object; numbers written with a decimal point or exponent are doubles.
    static func decodeParams(_ text: String) -> Params {
        var out: Params = [:]
        for (k, v) in (try? JSONParser().parse(text))?.members ?? [] {
            out[k] = ParamValue(json: v)
        }
        return out
    }

    /// Decodes a metrics object; `null` (a non-finite value) is left out.
    static func decodeMetrics(_ text: String?) -> [String: Double] {
        guard let text else { return [:] }
        var out: [String: Double] = [:]
        for (k, v) in (try? JSONParser().parse(text))?.members ?? [] {
            switch v {
            case .int(let i): out[k] = Double(i)
            case .double(let d): out[k] = d
            default: break
            }
        }
        return out
    }

    static func encodeSpace(_ space: SearchSpace) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: try enc.encode(space), as: UTF8.self)
    }

    static func decodeSpace(_ text: String) throws -> SearchSpace {
        try JSONDecoder().decode(SearchSpace.self, from: Data(text.utf8))
    }
}
