/// Prunes a trial whose best value so far is worse than a percentile of the COMPLETE
/// trials' values at the same step (Optuna's `PercentilePruner`; `MedianPruner` is the
/// 50th percentile).
///
/// Nothing is pruned before `nStartupTrials` trials completed, during the first
/// `nWarmupSteps` epochs, between pruning steps (`intervalSteps`), or when fewer than
/// `nMinTrials` completed trials reported the step. For a maximized objective the
/// percentile is taken from the top (`100 - percentile`), as in Optuna. A trial whose
/// values so far are all NaN is pruned; NaN values of completed trials are ignored
/// (numpy's `nanpercentile`).
public final class PercentilePruner: Pruner {
    /// The percentile in [0, 100] (`percentile`).
    public let percentile: Double
    /// COMPLETE trials needed before pruning (`n_startup_trials`).
    public let nStartupTrials: Int
    /// Epochs never pruned (`n_warmup_steps`).
    public let nWarmupSteps: Int
    /// Epochs between pruning checks (`interval_steps`).
    public let intervalSteps: Int
    /// Completed trials that must have reported the step (`n_min_trials`).
    public let nMinTrials: Int
    /// How reasons name the cut-off ("median" or "25th percentile").
    private let label: String
    private let schedule: StepSchedule
    private let index = CompletedStepIndex()

    /// `percentile` in [0, 100]; the other arguments as in Optuna (defaults 5, 0, 1, 1).
    public init(percentile: Double, nStartupTrials: Int = 5, nWarmupSteps: Int = 0,
                intervalSteps: Int = 1, nMinTrials: Int = 1) {
        precondition((0...100).contains(percentile) && nStartupTrials >= 0 && nWarmupSteps >= 0
                     && intervalSteps >= 1 && nMinTrials >= 1, "invalid percentile pruner settings")
        self.percentile = percentile
        self.nStartupTrials = nStartupTrials
        self.nWarmupSteps = nWarmupSteps
        self.intervalSteps = intervalSteps
        self.nMinTrials = nMinTrials
        self.schedule = StepSchedule(warmupSteps: nWarmupSteps, intervalSteps: intervalSteps)
        let shown = percentile == percentile.rounded() ? String(Int(percentile)) : decisionText(percentile)
        self.label = percentile == 50 ? "median" : "\(shown)th percentile"
    }

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial number: Int, step: Int, history: StudyHistory) -> PruneDecision {
        index.update(from: history)
        let completed = index.completedCount
        guard let trial = history.trial(number) else { return .keep("trial \(number) is not in the study") }
        if completed == 0 { return .keep("no trial has completed yet") }
        if completed < nStartupTrials {
            return .keep("\(plural(completed, "trial")) completed; pruning starts at \(nStartupTrials) (n_startup_trials)")
        }
        guard trial.intermediate[step] != nil else { return .keep("no value reported at step \(step)") }
        if let skip = schedule.skipReason(step: step, trial: number, history: history) { return .keep(skip) }

        let direction = history.direction
        let best = history.bestIntermediate(number, upTo: step)
        if best.isNaN {
            return PruneDecision(prune: true, reason: "every value reported up to step \(step) is NaN")
        }
        let (sorted, reported) = index.values(at: step)
        if reported < nMinTrials {
            return .keep("only \(plural(reported, "completed trial")) reported step \(step); need \(nMinTrials) (n_min_trials)")
        }
        guard !sorted.isEmpty else { return .keep("the completed trials' values at step \(step) are all NaN") }
        let q = direction == .maximize ? 100 - percentile : percentile
        let cutoff = linearPercentile(sorted, q)
        let worse = direction == .maximize ? best < cutoff : best > cutoff
        let comparison = "best value so far \(decisionText(best)) is \(worse ? "worse than" : "not worse than") the \(label) \(decisionText(cutoff)) of \(plural(reported, "completed trial")) at step \(step)"
        return PruneDecision(prune: worse, reason: comparison, cutoff: cutoff)
    }
}

extension PercentilePruner {
    /// `pruner: {name: percentile, percentile: 25, ...}`: the percentile and the options
    /// it shares with median.
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.percentile
        static let percentileKey = PrunerOptionKey("percentile")
        public static let keys = MedianPruner.Config.keys + [percentileKey]

        /// The percentile in [0, 100] (required).
        public var percentile: Double
        /// `n_startup_trials`, `n_warmup_steps`, `interval_steps`, `n_min_trials`, as for median.
        public var base: MedianPruner.Config

        public init(percentile: Double, base: MedianPruner.Config = MedianPruner.Config()) {
            self.percentile = percentile
            self.base = base
        }

        public init(from decoder: Decoder) throws {
            base = try MedianPruner.Config(from: decoder)
            let c = try decoder.container(keyedBy: PrunerOptionKey.self)
            guard c.contains(Self.percentileKey) else {
                throw c.missing("pruner 'percentile' needs the option 'percentile' (0 to 100)")
            }
            percentile = try c.option(Self.percentileKey, default: 50, must: "between 0 and 100") { (0...100).contains($0) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: PrunerOptionKey.self)
            try c.encode(percentile, forKey: Self.percentileKey)
            try base.encode(to: encoder)
        }

        public var config: PrunerConfig { .percentile(self) }

        public func makePruner(maxSteps: Int) -> any Pruner {
            PercentilePruner(percentile: percentile, nStartupTrials: base.nStartupTrials, nWarmupSteps: base.nWarmupSteps,
                             intervalSteps: base.intervalSteps, nMinTrials: base.nMinTrials)
        }
    }
}
