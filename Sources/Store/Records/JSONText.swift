import Foundation
import Search

/// The JSON text stored in `params`, `metrics` and `space` columns.
///
/// Written by hand for two reasons: floats always carry a decimal point or exponent (so
/// `1.0` stays a float for `sqlite3` users and round-trips as one), and non-finite metrics
/// become `null` instead of failing the whole write.
enum JSONText {
    static func encode(_ params: Params) -> String {
        "{" + params.keys.sorted().map { "\(quote($0)):\(encode(params[$0]!))" }.joined(separator: ",") + "}"
    }

    static func encode(_ value: ParamValue) -> String {
        switch value {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return number(d)
        case .string(let s): return quote(s)
        }
    }

    static func encode(_ metrics: [String: Double]) -> String {
        "{" + metrics.keys.sorted().map { "\(quote($0)):\(number(metrics[$0]!))" }.joined(separator: ",") + "}"
    }

    static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        return "\(d)" // Swift prints 1.0, 0.001, 1e-05: valid JSON, always a float.
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// Decodes a params object; numbers written with a decimal point or exponent are doubles.
    static func decodeParams(_ text: String) -> Params {
        var out: Params = [:]
        for (k, v) in FlatJSON.object(text) ?? [] {
            switch v {
            case .string(let s): out[k] = .string(s)
            case .int(let i): out[k] = .int(i)
            case .double(let d): out[k] = .double(d)
            case .bool(let b): out[k] = .bool(b)
            case .null: break
            }
        }
        return out
    }

    /// Decodes a metrics object; `null` (a non-finite value) is left out.
    static func decodeMetrics(_ text: String?) -> [String: Double] {
        guard let text else { return [:] }
        var out: [String: Double] = [:]
        for (k, v) in FlatJSON.object(text) ?? [] {
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
