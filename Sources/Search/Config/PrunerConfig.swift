/// The `pruner:` section of a sweep file.
///
/// ```yaml
/// pruner:
///   name: asha            # none | median | percentile | asha (successive_halving) |
///   reduction_factor: 3   # hyperband | threshold | patience | wandb_hyperband
///   min_resource: 1       # options use Optuna's names
/// ```
///
/// Each pruner owns its options (`PrunerOptions`: `MedianPruner.Config`, ...): their keys,
/// defaults and validation live next to the pruner. Decoding is strict, like
/// `SamplerConfig`: unknown names, options that do not apply to the chosen pruner and
/// out-of-range values are `DecodingError.dataCorrupted` at their key. Options not given
/// take Optuna's defaults for that pruner (which differ: e.g. `reduction_factor` is 4 for
/// asha and 3 for hyperband). Without a name, the pruner is `median`, Optuna's default.
public enum PrunerConfig: Codable, Sendable, Hashable {
    case none(NopPruner.Config)
    case median(MedianPruner.Config)
    case percentile(PercentilePruner.Config)
    case asha(SuccessiveHalvingPruner.Config)
    case hyperband(HyperbandPruner.Config)
    case threshold(ThresholdPruner.Config)
    case patience(PatientPruner.Config)
    case wandbHyperband(WandBHyperbandPruner.Config)

    /// Which pruner.
    public enum Name: String, Codable, Sendable, Hashable, CaseIterable {
        case none, median, percentile, asha, hyperband, threshold, patience
        /// W&B's hyperband as W&B's controller runs it (W&B sweep files).
        case wandbHyperband = "wandb_hyperband"

        /// Other names accepted for a pruner.
        static let aliases: [String: Name] = ["successive_halving": .asha]

        /// The pruner `given` names, aliases included; nil for an unknown name.
        public init?(accepting given: String) {
            guard let name = Self.aliases[given] ?? Name(rawValue: given) else { return nil }
            self = name
        }

        /// The options type of this pruner.
        public var optionsType: any PrunerOptions.Type {
            switch self {
            case .none: return NopPruner.Config.self
            case .median: return MedianPruner.Config.self
            case .percentile: return PercentilePruner.Config.self
            case .asha: return SuccessiveHalvingPruner.Config.self
            case .hyperband: return HyperbandPruner.Config.self
            case .threshold: return ThresholdPruner.Config.self
            case .patience: return PatientPruner.Config.self
            case .wandbHyperband: return WandBHyperbandPruner.Config.self
            }
        }
    }

    /// The chosen pruner's options.
    public var options: any PrunerOptions {
        switch self {
        case .none(let o): return o
        case .median(let o): return o
        case .percentile(let o): return o
        case .asha(let o): return o
        case .hyperband(let o): return o
        case .threshold(let o): return o
        case .patience(let o): return o
        case .wandbHyperband(let o): return o
        }
    }

    /// The pruner (alias `successive_halving` decodes to `asha`).
    public var name: Name { type(of: options).name }

    /// The YAML keys (Optuna's argument names); a strict decoder rejects any other.
    public typealias CodingKeys = PrunerOptionKey

    /// The names accepted for `name`, aliases included.
    public static let acceptedNames = Name.allCases.flatMap { name in
        [name.rawValue] + Name.aliases.filter { $0.value == name }.keys.sorted()
    }

    /// The options each pruner takes.
    public static func options(of name: Name) -> [CodingKeys] { name.optionsType.keys }

    /// Strict decoding: see the type's documentation for the errors.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let given = try c.decodeIfPresent(String.self, forKey: .name) ?? Name.median.rawValue
        guard let name = Name(accepting: given) else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: c,
                debugDescription: "unknown pruner '\(given)'" + (OtherToolsSettings.nameHint(given) ?? "; expected one of: \(Self.acceptedNames.joined(separator: ", "))"))
        }
        try ConfigDecoding.rejectOptions(c, allowed: ["name"] + Self.options(of: name).map(\.stringValue), kind: "pruner", name: given)
        self = try name.optionsType.init(from: decoder).config
    }

    /// Writes the name and the options of the chosen one only.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name.rawValue, forKey: .name)
        try options.encode(to: encoder)
    }

    /// The pruner these settings describe, for trials of at most `maxSteps` epochs.
    public func makePruner(maxSteps: Int) -> any Pruner { options.makePruner(maxSteps: maxSteps) }
}

extension PrunerOptionKey: OptionKeysChosenByName {
    public static func keys(forName name: String?) -> [String]? {
        let given = name ?? PrunerConfig.Name.median.rawValue
        return PrunerConfig.Name(accepting: given)
            .map { ["name"] + PrunerConfig.options(of: $0).map(\.stringValue) }
    }
}
