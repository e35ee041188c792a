/// Low-discrepancy sampling (Optuna's `QMCSampler`): trial `n` takes point `n` of a Sobol or
/// Halton sequence, so the first trials cover the space more evenly than random ones.
///
/// Every parameter of the space that can take more than one value owns one coordinate (in
/// space order), so conditional parameters keep their coordinate whether or not they are
/// active, and point `n` is the same whatever the history holds. Categorical parameters
/// take choice `floor(u * count)`; numeric ones map `u` onto their range like the random
/// sampler. Without scrambling (the default, as in Optuna) the sequence ignores the seed
/// and trial 0 is the lower corner of the space; with scrambling the seed picks one of
/// many equally good randomized sequences. Sobol supports up to 101 such parameters;
/// beyond that, use Halton.
public final class QuasiRandomSampler: Sampler {
    public var learnsFromResults: Bool { false }

    /// Which low-discrepancy sequence to use.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case sobol
        case halton
    }

    /// Sobol or Halton (`qmc_type`).
    public let kind: Kind
    /// Whether the sequence is randomized with the seed.
    public let scramble: Bool
    /// Seed of the scrambling (unused without it).
    public let seed: UInt64

    private var cachedSpace: SearchSpace?
    private var coordinates: [Int?] = []       // coordinate of each parameter, nil if single-valued
    private var axes: [Axis] = []
    private var sequence: Sequence = .none

    private enum Sequence {
        case none
        case sobol(SobolSequence)
        case halton(HaltonSequence)

        func coordinate(_ index: Int, _ dimension: Int) -> Double {
            switch self {
            case .none: return 0
            case .sobol(let s): return s.coordinate(index, dimension: dimension)
            case .halton(let h): return h.coordinate(index, dimension: dimension)
            }
        }
    }

    /// Optuna's defaults: unscrambled Sobol.
    public init(kind: Kind = .sobol, scramble: Bool = false, seed: UInt64 = 0) {
        self.kind = kind
        self.scramble = scramble
        self.seed = seed
    }

    /// The most parameters (with more than one value) this sampler supports.
    public static func maxDimensions(for kind: Kind) -> Int {
        kind == .sobol ? SobolSequence.maxDimensions : Int.max
    }

    /// See `Sampler.suggest(for:in:history:)`.
    public func suggest(for number: Int, in space: SearchSpace, history: StudyHistory) -> Params {
        prepare(space)
        return space.assign { index, _, _ in
            let u = sequence.coordinate(number, coordinates[index] ?? 0)
            return uniformValue(axes[index], u: u)
        }
    }

    private func prepare(_ space: SearchSpace) {
        if cachedSpace == space { return }
        cachedSpace = space
        var next = 0
        coordinates = space.parameters.map { p in
            guard Axis.singleValue(of: p.distribution) == nil else { return nil }
            defer { next += 1 }
            return next
        }
        axes = space.parameters.map { Axis($0.distribution) }
        switch kind {
        case .sobol:
            precondition(next <= SobolSequence.maxDimensions,
                         "the Sobol sampler supports at most \(SobolSequence.maxDimensions) parameters; use Halton")
            sequence = .sobol(SobolSequence(dimensions: next, scramble: scramble, seed: seed))
        case .halton:
            sequence = .halton(HaltonSequence(dimensions: next, scramble: scramble, seed: seed))
        }
    }
}
