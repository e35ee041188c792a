/// Never prunes (Optuna's `NopPruner`): every trial runs to its last epoch.
public final class NopPruner: Pruner {
    /// The pruner that never prunes.
    public init() {}

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial: Int, step: Int, history: StudyHistory) -> PruneDecision {
        .keep("no pruner configured")
    }
}

extension NopPruner {
    /// `pruner: {name: none}`: no options.
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.none
        public static let keys: [PrunerOptionKey] = []
        public init() {}
        public init(from decoder: Decoder) throws {}
        public func encode(to encoder: Encoder) throws {}
        public var config: PrunerConfig { .none(self) }
        public func makePruner(maxSteps: Int) -> any Pruner { NopPruner() }
    }
}
