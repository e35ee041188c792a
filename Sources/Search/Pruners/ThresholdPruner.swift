/// Prunes a trial whose latest value leaves `[lower, upper]` or is NaN (Optuna's
/// `ThresholdPruner`), e.g. a diverging loss. Warm-up and interval as in `PercentilePruner`.
public final class ThresholdPruner: Pruner {
    /// Values below prune (-infinity when not given).
    public let lower: Double
    /// Values above prune (+infinity when not given).
    public let upper: Double
    private let schedule: StepSchedule

    /// At least one bound; a missing bound is infinite.
    public init(lower: Double? = nil, upper: Double? = nil, nWarmupSteps: Int = 0, intervalSteps: Int = 1) {
        precondition(lower != nil || upper != nil, "a threshold pruner needs lower or upper")
        self.lower = lower ?? -.infinity
        self.upper = upper ?? .infinity
        precondition(self.lower <= self.upper && nWarmupSteps >= 0 && intervalSteps >= 1)
        schedule = StepSchedule(warmupSteps: nWarmupSteps, intervalSteps: intervalSteps)
    }

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial number: Int, step: Int, history: StudyHistory) -> PruneDecision {
        guard let trial = history.trial(number), let value = trial.intermediate[step] else {
            return .keep("no value reported at step \(step)")
        }
        if let skip = schedule.skipReason(step: step, trial: number, history: history) { return .keep(skip) }
        if value.isNaN { return PruneDecision(prune: true, reason: "the value at step \(step) is NaN") }
        if value < lower {
            return PruneDecision(prune: true, reason: "\(decisionText(value)) at step \(step) is below the lower threshold \(decisionText(lower))", cutoff: lower)
        }
        if value > upper {
            return PruneDecision(prune: true, reason: "\(decisionText(value)) at step \(step) is above the upper threshold \(decisionText(upper))", cutoff: upper)
        }
        return .keep("\(decisionText(value)) at step \(step) is within [\(decisionText(lower)), \(decisionText(upper))]")
    }
}

extension ThresholdPruner {
    /// `pruner: {name: threshold, lower: ..., upper: ...}`: at least one bound.
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.threshold
        static let lowerKey = PrunerOptionKey("lower")
        static let upperKey = PrunerOptionKey("upper")
        public static let keys = [PrunerOptionKey.nWarmupSteps, .intervalSteps, lowerKey, upperKey]

        /// Values below prune.
        public var lower: Double?
        /// Values above prune.
        public var upper: Double?
        /// Epochs never pruned at the start (default 0).
        public var nWarmupSteps = 0
        /// Epochs between pruning checks (default 1).
        public var intervalSteps = 1

        public init(lower: Double? = nil, upper: Double? = nil) {
            self.lower = lower
            self.upper = upper
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: PrunerOptionKey.self)
            (nWarmupSteps, intervalSteps) = try c.warmupAndInterval()
            lower = try c.decodeIfPresent(Double.self, forKey: Self.lowerKey)
            upper = try c.decodeIfPresent(Double.self, forKey: Self.upperKey)
            if lower == nil && upper == nil { throw c.missing("pruner 'threshold' needs 'lower', 'upper' or both") }
            if let lo = lower, let hi = upper, lo > hi {
                throw DecodingError.dataCorruptedError(forKey: Self.upperKey, in: c,
                                                       debugDescription: "'upper' (\(hi)) must not be below 'lower' (\(lo))")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: PrunerOptionKey.self)
            try c.encode(nWarmupSteps, forKey: .nWarmupSteps)
            try c.encode(intervalSteps, forKey: .intervalSteps)
            try c.encodeIfPresent(lower, forKey: Self.lowerKey)
            try c.encodeIfPresent(upper, forKey: Self.upperKey)
        }

        public var config: PrunerConfig { .threshold(self) }

        public func makePruner(maxSteps: Int) -> any Pruner {
            ThresholdPruner(lower: lower, upper: upper, nWarmupSteps: nWarmupSteps, intervalSteps: intervalSteps)
        }
    }
}
