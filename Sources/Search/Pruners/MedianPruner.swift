/// Prunes a trial whose best value so far is worse than the median of the COMPLETE trials
/// at the same step: Optuna's `MedianPruner`, with its defaults (5 startup trials, no
/// warm-up, every step). A `PercentilePruner` at the 50th percentile.
public final class MedianPruner: Pruner {
    private let inner: PercentilePruner

    /// COMPLETE trials needed before pruning (`n_startup_trials`).
    public var nStartupTrials: Int { inner.nStartupTrials }
    /// Epochs never pruned (`n_warmup_steps`).
    public var nWarmupSteps: Int { inner.nWarmupSteps }
    /// Epochs between pruning checks (`interval_steps`).
    public var intervalSteps: Int { inner.intervalSteps }
    /// Completed trials that must have reported the step (`n_min_trials`).
    public var nMinTrials: Int { inner.nMinTrials }

    /// Optuna's defaults: 5 startup trials, no warm-up, every epoch, 1 trial.
    public init(nStartupTrials: Int = 5, nWarmupSteps: Int = 0, intervalSteps: Int = 1, nMinTrials: Int = 1) {
        inner = PercentilePruner(percentile: 50, nStartupTrials: nStartupTrials, nWarmupSteps: nWarmupSteps,
                                 intervalSteps: intervalSteps, nMinTrials: nMinTrials)
    }

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial: Int, step: Int, history: StudyHistory) -> PruneDecision {
        inner.decide(trial: trial, step: step, history: history)
    }
}

extension MedianPruner {
    /// `pruner: {name: median, ...}` with Optuna's defaults (5, 0, 1, 1).
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.median
        static let nStartupTrialsKey = PrunerOptionKey("n_startup_trials")
        static let nMinTrialsKey = PrunerOptionKey("n_min_trials")
        public static let keys = [nStartupTrialsKey, .nWarmupSteps, .intervalSteps, nMinTrialsKey]

        /// COMPLETE trials before pruning starts.
        public var nStartupTrials = 5
        /// Epochs never pruned at the start.
        public var nWarmupSteps = 0
        /// Epochs between pruning checks.
        public var intervalSteps = 1
        /// Completed trials that must have reported the step.
        public var nMinTrials = 1

        public init() {}

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: PrunerOptionKey.self)
            nStartupTrials = try c.option(Self.nStartupTrialsKey, default: nStartupTrials, must: "0 or more") { $0 >= 0 }
            (nWarmupSteps, intervalSteps) = try c.warmupAndInterval()
            nMinTrials = try c.option(Self.nMinTrialsKey, default: nMinTrials, must: "at least 1") { $0 >= 1 }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: PrunerOptionKey.self)
            try c.encode(nStartupTrials, forKey: Self.nStartupTrialsKey)
            try c.encode(nWarmupSteps, forKey: .nWarmupSteps)
            try c.encode(intervalSteps, forKey: .intervalSteps)
            try c.encode(nMinTrials, forKey: Self.nMinTrialsKey)
        }

        public var config: PrunerConfig { .median(self) }

        public func makePruner(maxSteps: Int) -> any Pruner {
            MedianPruner(nStartupTrials: nStartupTrials, nWarmupSteps: nWarmupSteps, intervalSteps: intervalSteps, nMinTrials: nMinTrials)
        }
    }
}
