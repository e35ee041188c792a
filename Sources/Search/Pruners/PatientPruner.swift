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
        let curve = trial.curve(upTo: step)
        if curve.count <= patience + 1 {
            return .keep("\(plural(curve.count, "value")) reported; patience needs more than \(patience + 1)")
        }
        let direction = history.direction
        let worst = direction.worst
        let split = curve.count - patience - 1
        let before = curve[..<split].map { $0.value.isNaN ? worst : $0.value }
        let after = curve[split...].map { $0.value.isNaN ? worst : $0.value }
        let stale: Bool
        let bestBefore: Double, bestAfter: Double
        if direction == .minimize {
            bestBefore = before.min()!; bestAfter = after.min()!
            stale = bestBefore + minDelta < bestAfter
        } else {
            bestBefore = before.max()!; bestAfter = after.max()!
            stale = bestBefore - minDelta > bestAfter
        }
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
