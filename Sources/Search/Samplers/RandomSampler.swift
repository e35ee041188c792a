import Randomness

/// Draws every active parameter independently and uniformly over its range (log ranges
/// uniformly in log space, grids with equal probability per grid value), like Optuna's
/// `RandomSampler`.
///
/// Parameter `i` of trial `n` comes from its own stream `(seed, n, i)`, so the same seed
/// gives the same values whatever happened to the other parameters.
public final class RandomSampler: Sampler {
    public var learnsFromResults: Bool { false }

    /// The study seed.
    public let seed: UInt64

    /// A random sampler with the study seed.
    public init(seed: UInt64 = 0) {
        self.seed = seed
    }

    /// See `Sampler.suggest(for:in:history:)`.
    public func suggest(for number: Int, in space: SearchSpace, history: StudyHistory) -> Params {
        space.assign { index, parameter, _ in
            var rng = SamplerStreams.parameter(seed: seed, trial: number, index: index)
            return uniformValue(Axis(parameter.distribution), u: rng.nextDouble())
        }
    }
}
