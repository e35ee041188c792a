/// The settings of Population Based Training, with Ray Tune's defaults; validated once here.
///
/// ```yaml
/// scheduler:
///   name: pbt                     # the only scheduler so far
///   population: 8                 # members trained side by side
///   perturbation_interval: 2      # epochs between exploit/explore steps
///   quantile: 0.25                # bottom quarter copies the top quarter
///   resample_probability: 0.25    # per mutated parameter: draw anew instead of perturbing
///   perturbation_factors: [0.8, 1.2]
///   mutations: [optimizer.learning_rate, dropout]   # parameter names, as `sweep validate` lists them
/// ```
public struct PopulationBasedTrainingConfig: Hashable, Sendable, Codable {
    /// Members trained side by side.
    public var population: Int
    /// Epochs between two exploit/explore steps of a member.
    public var perturbationInterval: Int
    /// The fraction of members in the top (and in the bottom) group, in (0, 0.5].
    public var quantile: Double
    /// Per mutated parameter, the chance of drawing a new value from its whole range
    /// instead of perturbing the copied one.
    public var resampleProbability: Double
    /// A perturbed numeric value is multiplied by one of these, chosen at random.
    public var perturbationFactors: [Double]
    /// The searched parameters an explore step may change (the others stay as copied).
    public var mutations: [String]

    /// Why a configuration is not usable.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        /// The key at fault, e.g. `quantile`.
        public var key: String
        public var message: String
        public var description: String { "\(key): \(message)" }
    }

    public init(
        population: Int, perturbationInterval: Int, quantile: Double = 0.25, resampleProbability: Double = 0.25,
        perturbationFactors: [Double] = [0.8, 1.2], mutations: [String]
    ) {
        self.population = population
        self.perturbationInterval = perturbationInterval
        self.quantile = quantile
        self.resampleProbability = resampleProbability
        self.perturbationFactors = perturbationFactors
        self.mutations = mutations
    }

    /// The keys of `scheduler:` for PBT (`name` is read by ``SchedulerConfig``).
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case population, perturbationInterval = "perturbation_interval", quantile
        case resampleProbability = "resample_probability", perturbationFactors = "perturbation_factors", mutations
    }

    /// Strict decoding with Ray Tune's defaults; `population`, `perturbation_interval` and
    /// `mutations` are required. Ranges are checked by ``validate(against:)``, which also
    /// needs the search space.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        population = try c.decode(Int.self, forKey: .population)
        perturbationInterval = try c.decode(Int.self, forKey: .perturbationInterval)
        quantile = try c.decodeIfPresent(Double.self, forKey: .quantile) ?? 0.25
        resampleProbability = try c.decodeIfPresent(Double.self, forKey: .resampleProbability) ?? 0.25
        perturbationFactors = try c.decodeIfPresent([Double].self, forKey: .perturbationFactors) ?? [0.8, 1.2]
        do {
            mutations = try c.decode([String].self, forKey: .mutations)
        } catch DecodingError.typeMismatch {
            // Ray's hyperparam_mutations maps names to ranges; here the ranges are the file's.
            throw DecodingError.dataCorruptedError(forKey: .mutations, in: c, debugDescription: "expected a list of the searched parameters it may change (mutations: [learning_rate, dropout]); their ranges come from parameters, not from here as in Ray's hyperparam_mutations")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("pbt", forKey: .name)
        try c.encode(population, forKey: .population)
        try c.encode(perturbationInterval, forKey: .perturbationInterval)
        try c.encode(quantile, forKey: .quantile)
        try c.encode(resampleProbability, forKey: .resampleProbability)
        try c.encode(perturbationFactors, forKey: .perturbationFactors)
        try c.encode(mutations, forKey: .mutations)
    }

    /// Checks every setting, and that each mutated parameter is one of `space`'s; throws the
    /// first problem (``problems(against:)`` lists them all).
    public func validate(against space: SearchSpace) throws(Invalid) {
        if let first = problems(against: space).first { throw first }
    }

    /// Every setting that is out of range, and every mutated name that is not a searched
    /// parameter (a file with two mistakes heard of one, fixed it, and heard of the next).
    public func problems(against space: SearchSpace) -> [Invalid] {
        var out: [Invalid] = []
        if population < 2 { out.append(Invalid(key: "population", message: "at least 2 members, got \(population)")) }
        if perturbationInterval < 1 {
            out.append(Invalid(key: "perturbation_interval", message: "at least 1 epoch, got \(perturbationInterval)"))
        }
        if !(quantile > 0 && quantile <= 0.5) {
            out.append(Invalid(key: "quantile", message: "must be in (0, 0.5] (the top and bottom groups cannot overlap), got \(quantile)"))
        }
        if !(0...1).contains(resampleProbability) {
            out.append(Invalid(key: "resample_probability", message: "must be in [0, 1], got \(resampleProbability)"))
        }
        if perturbationFactors.isEmpty || !perturbationFactors.allSatisfy({ $0 > 0 && $0.isFinite }) {
            out.append(Invalid(key: "perturbation_factors", message: "a list of positive numbers, got \(perturbationFactors)"))
        }
        if mutations.isEmpty {
            out.append(Invalid(key: "mutations", message: "name at least one searched parameter that explore steps may change"))
        }
        let known = space.parameters.map(\.name).joined(separator: ", ")
        for name in mutations where space.parameter(named: name) == nil {
            out.append(Invalid(key: "mutations", message: "'\(name)' is not a searched parameter (searched: \(known))"))
        }
        if Set(mutations).count != mutations.count {
            out.append(Invalid(key: "mutations", message: "a parameter is named twice"))
        }
        return out
    }
}
