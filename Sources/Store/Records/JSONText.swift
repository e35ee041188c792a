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

    /// Writes one parameter value (a list as an array, a dict as an object, keys sorted).
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
        case .dict(let members):
            beginObject()
            for name in members.keys.sorted() {
                key(name)
                param(members[name]!)
            }
            endObject()
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
        case .dict(let members): return .object(members.keys.sorted().map { ($0, members[$0]!.json) })
        case .null: return .null
        }
    }

    /// The value a JSON value holds (a number with a decimal point or exponent is a
    /// double; an object is a dict, a key given twice taking its last value).
    public init(json: JSONValue) {
        switch json {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        case .array(let items):
            self = .list(items.map(ParamValue.init(json:)))
        case .object(let members):
            var values: [String: ParamValue] = [:]
            for (key, member) in members { values[key] = ParamValue(json: member) }
            self = .dict(values)
        }
    }
}

extension SearchSpace {
    /// `given` with each text that reads as a JSON object taken as that dict, for parameters
    /// with dict choices: `{"gamma": 0.5, "name": "step"}` in any key order and spacing,
    /// as `sweep enqueue` gives it.
    func readingDictText(_ given: Params) -> Params {
        given.reduce(into: [:]) { out, entry in
            out[entry.key] = entry.value
            guard case .string(let text) = entry.value, text.first == "{",
                  case .categorical(let choices, _)? = parameter(named: entry.key)?.distribution,
                  let json = try? JSONParser().parse(text), case .object = json, case let dict = ParamValue(json: json),
                  choices.contains(dict) else { return }
            out[entry.key] = dict
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

    /// The `space` column: the space's Codable form, except that the values a parameter can
    /// take and its condition's values are written by ``JSONWriter`` (Foundation's encoder
    /// writes the choice 1.0 as `1`, which read back as the int 1: the stored space no
    /// longer matched the sweep file's, and the study could not be resumed).
    static func encodeSpace(_ space: SearchSpace) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let text = try enc.encode(space)
        // (Our parser refuses nesting beyond 64 levels; such a space keeps Foundation's text.)
        guard case .object(var root)? = try? JSONParser().parse(Array(text)), let at = root.firstIndex(where: { $0.0 == "parameters" }),
              case .array(var parameters) = root[at].1, parameters.count == space.parameters.count else { return String(decoding: text, as: UTF8.self) }
        for (i, p) in space.parameters.enumerated() {
            if case .categorical(let c, _) = p.distribution {
                parameters[i] = replacing(["distribution", "categorical", "_0"], in: parameters[i], with: .array(c.map(\.json)))
            }
            if let condition = p.condition {
                parameters[i] = replacing(["condition", "values"], in: parameters[i], with: .array(condition.values.map(\.json)))
            }
        }
        root[at].1 = .array(parameters)
        var w = JSONWriter(capacity: text.count + 64)
        w.value(.object(root))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func decodeSpace(_ text: String) throws -> SearchSpace {
        let decoded = try JSONDecoder().decode(SearchSpace.self, from: Data(text.utf8))
        // The values as written (a 1.0 stays a double), where the text has them.
        guard let stored = (try? JSONParser().parse(text))?["parameters"]?.elements, stored.count == decoded.parameters.count else { return decoded }
        var parameters = decoded.parameters
        for (i, json) in stored.enumerated() {
            if case .categorical(let c, let probabilities) = parameters[i].distribution, let values = json["distribution"]?["categorical"]?["_0"]?.elements?.map(ParamValue.init(json:)),
               values.count == c.count {
                parameters[i].distribution = .categorical(values, probabilities: probabilities)
            }
            if let condition = parameters[i].condition, let values = json["condition"]?["values"]?.elements?.map(ParamValue.init(json:)),
               values.count == condition.values.count {
                parameters[i].condition?.values = values
            }
        }
        return (try? SearchSpace(parameters)) ?? decoded
    }

    /// `value` with the member at `path` (keys of nested objects) replaced by `new`.
    private static func replacing(_ path: ArraySlice<String>, in value: JSONValue, with new: JSONValue) -> JSONValue {
        guard let key = path.first else { return new }
        guard case .object(var members) = value, let j = members.firstIndex(where: { $0.0 == key }) else { return value }
        members[j].1 = replacing(path.dropFirst(), in: members[j].1, with: new)
        return .object(members)
    }
}
