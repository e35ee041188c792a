/// Prunes a trial that has not improved for `patience` steps (Optuna's `PatientPruner`).
///
/// With the values in step order, the trial is stale when the best of the last
/// `patience + 1` values is not better, by more than `minDelta`, than the best before
/// them. A stale trial is pruned, or, when a wrapped pruner is given, handed to it for the
/// final word. NaN values count as the worst (Optuna ignores them instead; a trial that
/// only reports NaN lately is stale here).
public final class PatientPruner: Pruner {
    /// Steps without improvement tolerated.
    public let patience: Int
    /// The smallest change that counts as an improvement.
    public let minDelta: Double
    /// The pruner that decides once the trial is stale (nil: prune then).
    public let wrapped: (any Pruner)?

    /// `patience >= 0`, `minDelta >= 0`, optionally wrapping another pruner.
    public init(patience: Int, minDelta: Double = 0, wrapping wrapped: (any Pruner)? = nil) {
        precondition(patience >= 0 && minDelta >= 0, "patience and min_delta must be >= 0")
        self.patience = patience
        self.minDelta = minDelta
        self.wrapped = wrapped
    }

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial number: Int, step: Int, history: StudyHistory) -> PruneDecision {
        guard let trial = history.trial(number), trial.intermediate[step] != nil else {
            return .keep("no value reported at step \(step)")
        }
        // (The steps in order with the best before each position, kept by the history: the
        // whole curve was sorted at every report, quadratic in a trial's epochs.)
        let (steps, bestOfFirst) = history.reportedSteps(number, upTo: step)
        if steps.count <= patience + 1 {
            return .keep("\(plural(steps.count, "value")) reported; patience needs more than \(patience + 1)")
        }
        let direction = history.direction
        let worst = direction.worst
        let split = steps.startIndex + steps.count - patience - 1
        // NaN counts as the worst value on both sides.
        let bestBeforeKept = bestOfFirst(split - steps.startIndex)
        let bestBefore = bestBeforeKept.isNaN ? worst : bestBeforeKept
        var bestAfter = worst
        for s in steps[split...] {
            let v = trial.intermediate[s] ?? .nan
            if !v.isNaN, direction.isBetter(v, than: bestAfter) { bestAfter = v }
        }
        let stale = direction == .minimize ? bestBefore + minDelta < bestAfter : bestBefore - minDelta > bestAfter
        let window = "the best of the last \(plural(patience + 1, "value")) (\(decisionText(bestAfter)))"
        guard stale else {
            return .keep("\(window) is not worse than the earlier best \(decisionText(bestBefore)) by more than min_delta \(decisionText(minDelta))")
        }
        let reason = "no improvement for \(plural(patience, "step")): \(window) is worse than the earlier best \(decisionText(bestBefore)) by more than min_delta \(decisionText(minDelta))"
        if let wrapped {
            let inner = wrapped.decide(trial: number, step: step, history: history)
            return PruneDecision(prune: inner.prune, reason: "\(reason); \(inner.reason)", rung: inner.rung, cutoff: inner.cutoff ?? bestBefore)
        }
        return PruneDecision(prune: true, reason: reason, cutoff: bestBefore)
    }
}

extension PatientPruner {
    /// `pruner: {name: patience, patience: 3, min_delta: 0.01}`.
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.patience
        static let patienceKey = PrunerOptionKey("patience")
        static let minDeltaKey = PrunerOptionKey("min_delta")
        public static let keys = [patienceKey, minDeltaKey]

        /// Steps without improvement before pruning (required).
        public var patience: Int
        /// The change that counts as an improvement (default 0).
        public var minDelta: Double

        public init(patience: Int, minDelta: Double = 0) {
            self.patience = patience
            self.minDelta = minDelta
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: PrunerOptionKey.self)
            guard c.contains(Self.patienceKey) else {
                throw c.missing("pruner 'patience' needs the option 'patience' (steps without improvement)")
            }
            patience = try c.option(Self.patienceKey, default: 0, must: "0 or more") { $0 >= 0 }
            minDelta = try c.option(Self.minDeltaKey, default: 0.0, must: "0 or more") { $0 >= 0 }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: PrunerOptionKey.self)
            try c.encode(patience, forKey: Self.patienceKey)
            try c.encode(minDelta, forKey: Self.minDeltaKey)
        }

        public var config: PrunerConfig { .patience(self) }

        public func makePruner(maxSteps: Int) -> any Pruner { PatientPruner(patience: patience, minDelta: minDelta) }
    }
}
