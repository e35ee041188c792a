/// Never prunes (Optuna's `NopPruner`): every trial runs to its last epoch.
public final class NopPruner: Pruner {
    /// The pruner that never prunes.
    public init() {}

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial: Int, step: Int, history: StudyHistory) -> PruneDecision {
        .keep("no pruner configured")
    }
}
