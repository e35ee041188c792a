// Shared helpers that give every configuration type the same decoding contract:
// defaults through `decodeIfPresent(...) ?? default`, and validation failures as
// `DecodingError.dataCorrupted` whose coding path names the offending field.

/// A `String`-backed choice in a configuration file (optimizer name, scaling mode, ...).
///
/// Decoding an unknown value fails with `unknown <kind> 'x'; expected one of: a, b, c`.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Codable, Hashable, Sendable
where RawValue == String {
    /// What the value names, for error messages ("optimizer", "activation", ...).
    static var choiceName: String { get }
}

extension ConfigChoice {
    /// The accepted spellings, comma separated, in declaration order.
    public static var expectedList: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown \(Self.choiceName) '\(text)'; expected one of: \(Self.expectedList)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Independent problems of one configuration, found in one pass (one per section of a
/// trial: `data`, `model`, `training`), so that a file's mistakes come all at once instead of
/// one per run of `sweep validate`.
public struct DecodingProblems: Error, CustomStringConvertible {
    /// In the order the sections were decoded.
    public var errors: [DecodingError]

    /// Each problem as `field: message`.
    public var description: String { TrainingError.describe(self) }
}

extension CodingUserInfoKey {
    /// Set to `true` in a decoder's `userInfo` to make the configuration types reject
    /// unknown fields themselves. `JSONDecoder` ignores unknown keys; the project's strict
    /// YAML decoder rejects them on its own (from `CodingKeys.allCases`), so this is off by default.
    public static let rejectUnknownConfigKeys = CodingUserInfoKey(rawValue: "sweep.training.rejectUnknownConfigKeys")!
}

/// A coding key for any field name, used to find fields a type does not know.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// The keyed container for `Keys`; with `rejectUnknownConfigKeys` set, fails on any field
    /// that is not one of `Keys.allCases`.
    func configContainer<Keys: CodingKey & CaseIterable>(keyedBy _: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        if userInfo[.rejectUnknownConfigKeys] as? Bool == true {
            let any = try container(keyedBy: AnyCodingKey.self)
            let known = Keys.allCases.map(\.stringValue)
            for key in any.allKeys where !known.contains(key.stringValue) {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: any,
                    debugDescription: "unknown field '\(key.stringValue)'; expected one of: \(known.joined(separator: ", "))")
            }
        }
        return try container(keyedBy: Keys.self)
    }

    /// The string when this value is written in shorthand form (`activation: relu`),
    /// `nil` when it is something else (a mapping).
    func shorthandString() -> String? {
        guard let single = try? singleValueContainer(), !single.decodeNil() else { return nil }
        return try? single.decode(String.self)
    }
}

extension KeyedDecodingContainer {
    /// A validation failure located at `key`.
    func invalid(_ key: Key, _ message: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: message)
    }

    /// The value at `key`, or `fallback` when the field is absent (or null).
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// A choice decoded from its string, failing with the list of accepted values.
    func choice<C: ConfigChoice>(_ type: C.Type, _ key: Key) throws -> C? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = C(rawValue: text) else {
            throw invalid(key, "unknown \(C.choiceName) '\(text)'; expected one of: \(C.expectedList)")
        }
        return value
    }

    /// Fails when any field outside `allowed` is present, e.g. `momentum` for `adam`.
    func rejectFields(except allowed: [Key], context: String) throws where Key: CaseIterable {
        for key in Key.allCases where contains(key) && !allowed.contains(where: { $0.stringValue == key.stringValue }) {
            let list = allowed.map(\.stringValue).joined(separator: ", ")
            throw invalid(key, "'\(key.stringValue)' does not apply to \(context)"
                + (list.isEmpty ? "; it takes no options" : "; its options are: \(list)"))
        }
    }

    /// A finite double at `key` (or `fallback`) that satisfies `rule`.
    func number(_ key: Key, default fallback: Double, _ rule: NumberRule) throws -> Double {
        let value = try self.value(key, default: fallback)
        if let message = rule.violation(value) { throw invalid(key, message) }
        return value
    }

    /// An optional finite double at `key` that satisfies `rule` when present.
    func optionalNumber(_ key: Key, _ rule: NumberRule) throws -> Double? {
        guard let value = try decodeIfPresent(Double.self, forKey: key) else { return nil }
        if let message = rule.violation(value) { throw invalid(key, message) }
        return value
    }

    /// An integer at `key` (or `fallback`) that is at least `minimum`.
    func integer(_ key: Key, default fallback: Int, atLeast minimum: Int) throws -> Int {
        let value = try self.value(key, default: fallback)
        guard value >= minimum else { throw invalid(key, "must be >= \(minimum), got \(value)") }
        return value
    }

    /// An optional integer at `key` that is at least `minimum` when present.
    func optionalInteger(_ key: Key, atLeast minimum: Int) throws -> Int? {
        guard let value = try decodeIfPresent(Int.self, forKey: key) else { return nil }
        guard value >= minimum else { throw invalid(key, "must be >= \(minimum), got \(value)") }
        return value
    }
}

/// A range rule for a numeric configuration field.
enum NumberRule {
    case positive              // > 0
    case nonNegative           // >= 0
    case fraction              // [0, 1)
    case openUnit              // (0, 1)
    case atMostOne             // (0, 1]

    func violation(_ value: Double) -> String? {
        guard value.isFinite else { return "must be a finite number, got \(value)" }
        switch self {
        case .positive where value <= 0: return "must be > 0, got \(value)"
        case .nonNegative where value < 0: return "must be >= 0, got \(value)"
        case .fraction where value < 0 || value >= 1: return "must be in [0, 1), got \(value)"
        case .openUnit where value <= 0 || value >= 1: return "must be in (0, 1), got \(value)"
        case .atMostOne where value <= 0 || value > 1: return "must be in (0, 1], got \(value)"
        default: return nil
        }
    }
}

extension KeyedEncodingContainer {
    /// Encodes `value` unless it is nil (keeps encoded files minimal and round-trippable).
    mutating func encodeUnlessNil<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }
}
