/// The options of one pruner, as written under `pruner:` with Optuna's argument names.
///
/// Each pruner owns its options type (`MedianPruner.Config`, `ThresholdPruner.Config`, ...)
/// in its own file, like Optuna's pruner classes own their `__init__` arguments: the keys it
/// takes, their defaults, their validation, and how they build the pruner. `PrunerConfig`
/// only picks the type by name.
public protocol PrunerOptions: Codable, Hashable, Sendable {
    /// The pruner's name in sweep files.
    static var name: PrunerConfig.Name { get }
    /// The keys this pruner takes (besides `name`), in the order error messages list them.
    static var keys: [PrunerOptionKey] { get }
    /// These options as a `PrunerConfig`.
    var config: PrunerConfig { get }
    /// The pruner, for trials of at most `maxSteps` epochs.
    func makePruner(maxSteps: Int) -> any Pruner
}

/// A key of the `pruner:` section. `allCases` is every key of every pruner, so a strict
/// decoder tells an option of another pruner ("does not apply to pruner 'median'") from a
/// typo ("unknown key").
public struct PrunerOptionKey: CodingKey, Hashable, Sendable, CaseIterable {
    public let stringValue: String
    public var intValue: Int? { nil }

    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }

    public static let name = PrunerOptionKey("name")
    // Options several pruners take.
    public static let nWarmupSteps = PrunerOptionKey("n_warmup_steps")
    public static let intervalSteps = PrunerOptionKey("interval_steps")
    public static let minResource = PrunerOptionKey("min_resource")
    public static let reductionFactor = PrunerOptionKey("reduction_factor")
    public static let bootstrapCount = PrunerOptionKey("bootstrap_count")

    /// `name` and the keys of every pruner, each once.
    public static let allCases: [PrunerOptionKey] = {
        var keys = [PrunerOptionKey.name]
        for n in PrunerConfig.Name.allCases {
            for k in n.optionsType.keys where !keys.contains(k) { keys.append(k) }
        }
        return keys
    }()
}

/// A resource (epochs) given as a number or `auto`.
public enum PrunerResource: Hashable, Sendable {
    /// asha `min_resource`: max(1, max epochs / 100) (Optuna estimates it the same way
    /// from the first finished trial); hyperband `max_resource`: the max epochs.
    case auto
    case steps(Int)

    /// The number of epochs, `auto` being `automatic`.
    func steps(auto automatic: Int) -> Int {
        if case .steps(let n) = self { return n }
        return automatic
    }
}

typealias PrunerOptionContainer = KeyedDecodingContainer<PrunerOptionKey>

extension KeyedDecodingContainer where K == PrunerOptionKey {
    /// The value at `key` (or `defaultValue`), which must satisfy `valid`: else
    /// "'key' must be `rule`" at that key.
    func option<T: Decodable>(_ key: K, default defaultValue: T, must rule: String, _ valid: (T) -> Bool) throws -> T {
        let v = try decodeIfPresent(T.self, forKey: key) ?? defaultValue
        try ConfigDecoding.require(valid(v), key, self, rule)
        return v
    }

    /// `n_warmup_steps` (default 0) and `interval_steps` (default 1), as median,
    /// percentile and threshold take them.
    func warmupAndInterval() throws -> (warmup: Int, interval: Int) {
        (try option(.nWarmupSteps, default: 0, must: "0 or more") { $0 >= 0 },
         try option(.intervalSteps, default: 1, must: "at least 1") { $0 >= 1 })
    }

    /// A positive integer or "auto" at `key`, if present.
    func resource(_ key: K) throws -> PrunerResource? {
        guard contains(key) else { return nil }
        if let n = try? decode(Int.self, forKey: key) {
            try ConfigDecoding.require(n >= 1, key, self, "a positive integer or 'auto'")
            return .steps(n)
        }
        if let s = try? decode(String.self, forKey: key), s == "auto" { return .auto }
        throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                               debugDescription: "'\(key.stringValue)' must be a positive integer or 'auto'")
    }

    /// "pruner 'NAME' needs ..." (reported at `name`).
    func missing(_ message: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: .name, in: self, debugDescription: message)
    }
}

extension KeyedEncodingContainer where K == PrunerOptionKey {
    mutating func encode(_ r: PrunerResource, forKey key: K) throws {
        switch r {
        case .auto: try encode("auto", forKey: key)
        case .steps(let n): try encode(n, forKey: key)
        }
    }
}
