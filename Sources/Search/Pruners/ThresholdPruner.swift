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
        if let skip = schedule.skipReason(step: step, trial: trial) { return .keep(skip) }
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
