/// The `sampler:` section of a sweep file.
///
/// ```yaml
/// sampler:
///   name: tpe              # grid | random | quasi_random (or sobol, halton) | tpe
///   seed: 42
///   n_startup_trials: 10   # options use Optuna's names
/// ```
///
/// Decoding is strict: an unknown name, an option that does not apply to the chosen
/// sampler, or a value out of range is a `DecodingError.dataCorrupted` at that key, with a
/// message that names the valid choices. Options not given take Optuna's defaults.
/// Encoding writes the name, the seed and the chosen sampler's options (with their values),
/// so a decoded config re-encodes to something that decodes equal.
public struct SamplerConfig: Codable, Sendable, Hashable {
    /// Which sampler.
    public enum Name: String, Codable, Sendable, Hashable, CaseIterable {
        case grid
        case random
        case quasiRandom = "quasi_random"
        case tpe

        /// Other names accepted for a sampler: the quasi-random sequences by their own names.
        static let aliases: KeyValuePairs<String, QuasiRandomSampler.Kind> = ["sobol": .sobol, "halton": .halton]

        /// The sampler `given` names, and the sequence an alias chose; nil for an unknown name.
        static func accepting(_ given: String) -> (name: Name, kind: QuasiRandomSampler.Kind?)? {
            if let alias = aliases.first(where: { $0.key == given }) { return (.quasiRandom, alias.value) }
            return Name(rawValue: given).map { ($0, nil) }
        }
    }

    /// The sampler (aliases `sobol` and `halton` decode to `quasiRandom` with that `qmcType`).
    public var name: Name
    /// Seed of every random choice of the sampler (default 0).
    public var seed: UInt64

    /// grid: values per float axis without a step, and per log-int axis (default 5).
    public var nPoints: Int
    /// quasi_random: `sobol` (default) or `halton` (`qmc_type`).
    public var qmcType: QuasiRandomSampler.Kind
    /// quasi_random: randomize the sequence with the seed (default false, as in Optuna).
    public var scramble: Bool
    /// tpe: `n_startup_trials`, `n_ei_candidates`, `constant_liar`, `multivariate`,
    /// `prior_weight`, `consider_magic_clip`, `consider_endpoints` (see `TPESampler.Options`).
    public var tpe: TPESampler.Options

    /// The YAML keys (Optuna's argument names); a strict decoder rejects any other.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name, seed
        case nPoints = "n_points"
        case qmcType = "qmc_type"
        case scramble
        case nStartupTrials = "n_startup_trials"
        case nEICandidates = "n_ei_candidates"
        case constantLiar = "constant_liar"
        case multivariate
        case priorWeight = "prior_weight"
        case considerMagicClip = "consider_magic_clip"
        case considerEndpoints = "consider_endpoints"
    }

    /// The names accepted for `name`, aliases included.
    public static let acceptedNames = Name.allCases.flatMap { name in
        [name.rawValue] + (name == .quasiRandom ? Name.aliases.map(\.key) : [])
    }

    /// The options (besides `name` and `seed`) each sampler takes.
    public static func options(of name: Name) -> [CodingKeys] {
        switch name {
        case .grid: return [.nPoints]
        case .random: return []
        case .quasiRandom: return [.qmcType, .scramble]
        case .tpe: return [.nStartupTrials, .nEICandidates, .constantLiar, .multivariate, .priorWeight,
                           .considerMagicClip, .considerEndpoints]
        }
    }

    /// A config in code; options of other samplers than `name` are ignored (and not encoded).
    public init(name: Name = .tpe, seed: UInt64 = 0, nPoints: Int = 5, qmcType: QuasiRandomSampler.Kind = .sobol,
                scramble: Bool = false, tpe: TPESampler.Options = TPESampler.Options()) {
        self.name = name
        self.seed = seed
        self.nPoints = nPoints
        self.qmcType = qmcType
        self.scramble = scramble
        self.tpe = tpe
    }

    /// Strict decoding: see the type's documentation for the errors.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let given = try c.decodeIfPresent(String.self, forKey: .name) ?? Name.tpe.rawValue
        guard let (accepted, aliasKind) = Name.accepting(given) else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: c,
                debugDescription: "unknown sampler '\(given)'; expected one of: \(Self.acceptedNames.joined(separator: ", "))")
        }
        name = accepted
        let allowed = ["name", "seed"] + Self.options(of: name).map(\.stringValue)
        try ConfigDecoding.rejectOptions(c, allowed: allowed, kind: "sampler", name: given)

        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        nPoints = try c.decodeIfPresent(Int.self, forKey: .nPoints) ?? 5
        try ConfigDecoding.require(nPoints >= 2, CodingKeys.nPoints, c, "at least 2")

        if let type = try c.decodeIfPresent(String.self, forKey: .qmcType) {
            guard let kind = QuasiRandomSampler.Kind(rawValue: type) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .qmcType, in: c,
                    debugDescription: "unknown qmc_type '\(type)'; expected one of: sobol, halton")
            }
            if let aliasKind, aliasKind != kind {
                throw DecodingError.dataCorruptedError(
                    forKey: .qmcType, in: c,
                    debugDescription: "qmc_type '\(type)' contradicts sampler '\(given)'")
            }
            qmcType = kind
        } else {
            qmcType = aliasKind ?? .sobol
        }
        scramble = try c.decodeIfPresent(Bool.self, forKey: .scramble) ?? false

        let d = TPESampler.Options()
        var o = d
        o.nStartupTrials = try c.decodeIfPresent(Int.self, forKey: .nStartupTrials) ?? d.nStartupTrials
        try ConfigDecoding.require(o.nStartupTrials >= 0, CodingKeys.nStartupTrials, c, "0 or more")
        o.nEICandidates = try c.decodeIfPresent(Int.self, forKey: .nEICandidates) ?? d.nEICandidates
        try ConfigDecoding.require(o.nEICandidates >= 1, CodingKeys.nEICandidates, c, "at least 1")
        o.constantLiar = try c.decodeIfPresent(Bool.self, forKey: .constantLiar) ?? d.constantLiar
        o.multivariate = try c.decodeIfPresent(Bool.self, forKey: .multivariate) ?? d.multivariate
        o.priorWeight = try c.decodeIfPresent(Double.self, forKey: .priorWeight) ?? d.priorWeight
        try ConfigDecoding.require(o.priorWeight > 0 && o.priorWeight.isFinite, CodingKeys.priorWeight, c, "a positive number")
        o.considerMagicClip = try c.decodeIfPresent(Bool.self, forKey: .considerMagicClip) ?? d.considerMagicClip
        o.considerEndpoints = try c.decodeIfPresent(Bool.self, forKey: .considerEndpoints) ?? d.considerEndpoints
        tpe = o
    }

    /// Writes the name and the options of the chosen one only.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name.rawValue, forKey: .name)
        try c.encode(seed, forKey: .seed)
        for key in Self.options(of: name) {
            switch key {
            case .nPoints: try c.encode(nPoints, forKey: key)
            case .qmcType: try c.encode(qmcType.rawValue, forKey: key)
            case .scramble: try c.encode(scramble, forKey: key)
            case .nStartupTrials: try c.encode(tpe.nStartupTrials, forKey: key)
            case .nEICandidates: try c.encode(tpe.nEICandidates, forKey: key)
            case .constantLiar: try c.encode(tpe.constantLiar, forKey: key)
            case .multivariate: try c.encode(tpe.multivariate, forKey: key)
            case .priorWeight: try c.encode(tpe.priorWeight, forKey: key)
            case .considerMagicClip: try c.encode(tpe.considerMagicClip, forKey: key)
            case .considerEndpoints: try c.encode(tpe.considerEndpoints, forKey: key)
            case .name, .seed: break
            }
        }
    }

    /// Why this sampler cannot run on `space`, if it cannot: a grid with more than
    /// `GridSampler.maxGridSize` points, or a Sobol sequence over more parameters than it
    /// has direction numbers for. Call it when the sweep file is checked.
    public func problem(with space: SearchSpace) -> String? {
        switch name {
        case .grid:
            do { _ = try GridSampler(space: space, seed: seed, pointsPerAxis: nPoints) } catch { return error.description }
        case .quasiRandom where qmcType == .sobol:
            let dims = space.parameters.filter { Axis.singleValue(of: $0.distribution) == nil }.count
            let limit = QuasiRandomSampler.maxDimensions(for: .sobol)
            if dims > limit { return "the sobol sequence supports at most \(limit) searched parameters (this space has \(dims)); use qmc_type: halton" }
        default: break
        }
        return nil
    }

    /// The sampler these settings describe. The space must pass `problem(with:)`.
    public func makeSampler(space: SearchSpace) -> any Sampler {
        switch name {
        case .grid:
            do {
                return try GridSampler(space: space, seed: seed, pointsPerAxis: nPoints)
            } catch {
                preconditionFailure("sampler 'grid': \(error.description) (check SamplerConfig.problem(with:) first)")
            }
        case .random: return RandomSampler(seed: seed)
        case .quasiRandom: return QuasiRandomSampler(kind: qmcType, scramble: scramble, seed: seed)
        case .tpe: return TPESampler(seed: seed, options: tpe)
        }
    }
}

extension SamplerConfig.CodingKeys: OptionKeysChosenByName {
    public static func keys(forName name: String?) -> [String]? {
        SamplerConfig.Name.accepting(name ?? SamplerConfig.Name.tpe.rawValue).map(\.name).map { ["name", "seed"] + SamplerConfig.options(of: $0).map(\.stringValue) }
    }
}
