/// The `pruner:` section of a sweep file.
///
/// ```yaml
/// pruner:
///   name: asha            # none | median | percentile | asha (successive_halving) |
///   reduction_factor: 3   # hyperband | threshold | patience
///   min_resource: 1       # options use Optuna's names
/// ```
///
/// Decoding is strict, like `SamplerConfig`: unknown names, options that do not apply to
/// the chosen pruner and out-of-range values are `DecodingError.dataCorrupted` at their key.
/// Options not given take Optuna's defaults for that pruner (which differ: e.g.
/// `reduction_factor` is 4 for asha and 3 for hyperband). Without a name, the pruner is
/// `median`, Optuna's default.
public struct PrunerConfig: Codable, Sendable, Hashable {
    /// Which pruner.
    public enum Name: String, Codable, Sendable, Hashable, CaseIterable {
        case none, median, percentile, asha, hyperband, threshold, patience
    }

    /// A resource (epochs) given as a number or `auto`.
    public enum Resource: Hashable, Sendable {
        /// asha `min_resource`: max(1, max epochs / 100) (Optuna estimates it the same way
        /// from the first finished trial); hyperband `max_resource`: the max epochs.
        case auto
        case steps(Int)
    }

    /// The pruner (alias `successive_halving` decodes to `asha`).
    public var name: Name
    /// median, percentile: COMPLETE trials before pruning starts (default 5).
    public var nStartupTrials: Int
    /// median, percentile, threshold: epochs never pruned at the start (default 0).
    public var nWarmupSteps: Int
    /// median, percentile, threshold: epochs between pruning checks (default 1).
    public var intervalSteps: Int
    /// median, percentile: completed trials that must have reported the step (default 1).
    public var nMinTrials: Int
    /// percentile: the percentile in [0, 100] (required).
    public var percentile: Double?
    /// asha (default auto), hyperband (default 1): epochs of the first rung.
    public var minResource: Resource
    /// hyperband: the most epochs of a trial (default auto = the budget's max epochs).
    public var maxResource: Resource
    /// asha (default 4), hyperband (default 3): eta, >= 2.
    public var reductionFactor: Int
    /// asha: s, the first rung ends at min_resource * eta^s (default 0).
    public var minEarlyStoppingRate: Int
    /// asha, hyperband: trials that must reach a rung before any is promoted (default 0).
    public var bootstrapCount: Int
    /// threshold: prune below / above (at least one is required).
    public var lower: Double?
    public var upper: Double?
    /// patience: steps without improvement before pruning (required).
    public var patience: Int?
    /// patience: the improvement that counts (default 0).
    public var minDelta: Double

    /// The YAML keys (Optuna's argument names); a strict decoder rejects any other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case nStartupTrials = "n_startup_trials"
        case nWarmupSteps = "n_warmup_steps"
        case intervalSteps = "interval_steps"
        case nMinTrials = "n_min_trials"
        case percentile
        case minResource = "min_resource"
        case maxResource = "max_resource"
        case reductionFactor = "reduction_factor"
        case minEarlyStoppingRate = "min_early_stopping_rate"
        case bootstrapCount = "bootstrap_count"
        case lower, upper, patience
        case minDelta = "min_delta"
    }

    /// The names accepted for `name`, aliases included.
    public static let acceptedNames = ["none", "median", "percentile", "asha", "successive_halving", "hyperband",
                                       "threshold", "patience"]

    /// The options each pruner takes.
    public static func options(of name: Name) -> [CodingKeys] {
        switch name {
        case .none: return []
        case .median: return [.nStartupTrials, .nWarmupSteps, .intervalSteps, .nMinTrials]
        case .percentile: return [.percentile, .nStartupTrials, .nWarmupSteps, .intervalSteps, .nMinTrials]
        case .asha: return [.minResource, .reductionFactor, .minEarlyStoppingRate, .bootstrapCount]
        case .hyperband: return [.minResource, .maxResource, .reductionFactor, .bootstrapCount]
        case .threshold: return [.lower, .upper, .nWarmupSteps, .intervalSteps]
        case .patience: return [.patience, .minDelta]
        }
    }

    /// A config with the defaults of pruner `name`.
    public init(name: Name) {
        self.name = name
        nStartupTrials = 5
        nWarmupSteps = 0
        intervalSteps = 1
        nMinTrials = 1
        percentile = nil
        minResource = name == .hyperband ? .steps(1) : .auto
        maxResource = .auto
        reductionFactor = name == .hyperband ? 3 : 4
        minEarlyStoppingRate = 0
        bootstrapCount = 0
        lower = nil
        upper = nil
        patience = nil
        minDelta = 0
    }

    /// Strict decoding: see the type's documentation for the errors.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let given = try c.decodeIfPresent(String.self, forKey: .name) ?? Name.median.rawValue
        let name: Name
        if given == "successive_halving" {
            name = .asha
        } else if let n = Name(rawValue: given) {
            name = n
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: c,
                debugDescription: "unknown pruner '\(given)'; expected one of: \(Self.acceptedNames.joined(separator: ", "))")
        }
        self.init(name: name)
        let allowed = Set(["name"] + Self.options(of: name).map(\.stringValue))
        try ConfigDecoding.rejectOptions(c, allowed: allowed, kind: "pruner", name: given)

        nStartupTrials = try c.decodeIfPresent(Int.self, forKey: .nStartupTrials) ?? nStartupTrials
        try ConfigDecoding.require(nStartupTrials >= 0, CodingKeys.nStartupTrials, c, "0 or more")
        nWarmupSteps = try c.decodeIfPresent(Int.self, forKey: .nWarmupSteps) ?? nWarmupSteps
        try ConfigDecoding.require(nWarmupSteps >= 0, CodingKeys.nWarmupSteps, c, "0 or more")
        intervalSteps = try c.decodeIfPresent(Int.self, forKey: .intervalSteps) ?? intervalSteps
        try ConfigDecoding.require(intervalSteps >= 1, CodingKeys.intervalSteps, c, "at least 1")
        nMinTrials = try c.decodeIfPresent(Int.self, forKey: .nMinTrials) ?? nMinTrials
        try ConfigDecoding.require(nMinTrials >= 1, CodingKeys.nMinTrials, c, "at least 1")

        percentile = try c.decodeIfPresent(Double.self, forKey: .percentile)
        if let p = percentile {
            try ConfigDecoding.require((0...100).contains(p), CodingKeys.percentile, c, "between 0 and 100")
        } else if name == .percentile {
            throw DecodingError.dataCorruptedError(forKey: .name, in: c,
                                                   debugDescription: "pruner 'percentile' needs the option 'percentile' (0 to 100)")
        }

        minResource = try Self.decodeResource(c, .minResource) ?? minResource
        if case .auto = minResource, name == .hyperband {
            throw DecodingError.dataCorruptedError(forKey: .minResource, in: c,
                                                   debugDescription: "'min_resource' must be a positive integer for hyperband")
        }
        maxResource = try Self.decodeResource(c, .maxResource) ?? maxResource
        if case .steps(let lo) = minResource, case .steps(let hi) = maxResource, hi < lo {
            throw DecodingError.dataCorruptedError(forKey: .maxResource, in: c,
                                                   debugDescription: "'max_resource' (\(hi)) must be at least 'min_resource' (\(lo))")
        }
        reductionFactor = try c.decodeIfPresent(Int.self, forKey: .reductionFactor) ?? reductionFactor
        try ConfigDecoding.require(reductionFactor >= 2, CodingKeys.reductionFactor, c, "at least 2")
        minEarlyStoppingRate = try c.decodeIfPresent(Int.self, forKey: .minEarlyStoppingRate) ?? minEarlyStoppingRate
        try ConfigDecoding.require(minEarlyStoppingRate >= 0, CodingKeys.minEarlyStoppingRate, c, "0 or more")
        bootstrapCount = try c.decodeIfPresent(Int.self, forKey: .bootstrapCount) ?? bootstrapCount
        try ConfigDecoding.require(bootstrapCount >= 0, CodingKeys.bootstrapCount, c, "0 or more")

        lower = try c.decodeIfPresent(Double.self, forKey: .lower)
        upper = try c.decodeIfPresent(Double.self, forKey: .upper)
        if name == .threshold && lower == nil && upper == nil {
            throw DecodingError.dataCorruptedError(forKey: .name, in: c,
                                                   debugDescription: "pruner 'threshold' needs 'lower', 'upper' or both")
        }
        if let lo = lower, let hi = upper, lo > hi {
            throw DecodingError.dataCorruptedError(forKey: .upper, in: c,
                                                   debugDescription: "'upper' (\(hi)) must not be below 'lower' (\(lo))")
        }
        patience = try c.decodeIfPresent(Int.self, forKey: .patience)
        if let p = patience {
            try ConfigDecoding.require(p >= 0, CodingKeys.patience, c, "0 or more")
        } else if name == .patience {
            throw DecodingError.dataCorruptedError(forKey: .name, in: c,
                                                   debugDescription: "pruner 'patience' needs the option 'patience' (steps without improvement)")
        }
        minDelta = try c.decodeIfPresent(Double.self, forKey: .minDelta) ?? minDelta
        try ConfigDecoding.require(minDelta >= 0, CodingKeys.minDelta, c, "0 or more")
    }

    /// A positive integer or "auto".
    private static func decodeResource(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Resource? {
        guard c.contains(key) else { return nil }
        if let n = try? c.decode(Int.self, forKey: key) {
            try ConfigDecoding.require(n >= 1, key, c, "a positive integer or 'auto'")
            return .steps(n)
        }
        if let s = try? c.decode(String.self, forKey: key), s == "auto" { return .auto }
        throw DecodingError.dataCorruptedError(forKey: key, in: c,
                                               debugDescription: "'\(key.stringValue)' must be a positive integer or 'auto'")
    }

    /// Writes the name and the options of the chosen one only.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name.rawValue, forKey: .name)
        func encodeResource(_ r: Resource, _ key: CodingKeys) throws {
            switch r {
            case .auto: try c.encode("auto", forKey: key)
            case .steps(let n): try c.encode(n, forKey: key)
            }
        }
        for key in Self.options(of: name) {
            switch key {
            case .nStartupTrials: try c.encode(nStartupTrials, forKey: key)
            case .nWarmupSteps: try c.encode(nWarmupSteps, forKey: key)
            case .intervalSteps: try c.encode(intervalSteps, forKey: key)
            case .nMinTrials: try c.encode(nMinTrials, forKey: key)
            case .percentile: try c.encodeIfPresent(percentile, forKey: key)
            case .minResource: try encodeResource(minResource, key)
            case .maxResource: try encodeResource(maxResource, key)
            case .reductionFactor: try c.encode(reductionFactor, forKey: key)
            case .minEarlyStoppingRate: try c.encode(minEarlyStoppingRate, forKey: key)
            case .bootstrapCount: try c.encode(bootstrapCount, forKey: key)
            case .lower: try c.encodeIfPresent(lower, forKey: key)
            case .upper: try c.encodeIfPresent(upper, forKey: key)
            case .patience: try c.encodeIfPresent(patience, forKey: key)
            case .minDelta: try c.encode(minDelta, forKey: key)
            case .name: break
            }
        }
    }

    /// The pruner these settings describe, for trials of at most `maxSteps` epochs.
    public func makePruner(maxSteps: Int) -> any Pruner {
        func steps(_ r: Resource, auto: Int) -> Int {
            if case .steps(let n) = r { return n }
            return auto
        }
        switch name {
        case .none:
            return NopPruner()
        case .median:
            return MedianPruner(nStartupTrials: nStartupTrials, nWarmupSteps: nWarmupSteps,
                                intervalSteps: intervalSteps, nMinTrials: nMinTrials)
        case .percentile:
            return PercentilePruner(percentile: percentile ?? 50, nStartupTrials: nStartupTrials, nWarmupSteps: nWarmupSteps,
                                    intervalSteps: intervalSteps, nMinTrials: nMinTrials)
        case .asha:
            return SuccessiveHalvingPruner(minResource: steps(minResource, auto: max(1, maxSteps / 100)),
                                           reductionFactor: reductionFactor, minEarlyStoppingRate: minEarlyStoppingRate,
                                           bootstrapCount: bootstrapCount, maxSteps: maxSteps)
        case .hyperband:
            let lo = steps(minResource, auto: 1)
            return HyperbandPruner(minResource: lo, maxResource: max(lo, steps(maxResource, auto: maxSteps)),
                                   reductionFactor: reductionFactor, bootstrapCount: bootstrapCount)
        case .threshold:
            return ThresholdPruner(lower: lower, upper: upper, nWarmupSteps: nWarmupSteps, intervalSteps: intervalSteps)
        case .patience:
            return PatientPruner(patience: patience ?? 0, minDelta: minDelta)
        }
    }
}
