/// Never prunes (Optuna's `NopPruner`): every trial runs to its last epoch.
public final class NopPruner: Pruner {
    public init() {}

    public func decide(trial: Int, step: Int, history: StudyHistory) -> PruneDecision {
        .keep("no pruner configured")
    }
}
