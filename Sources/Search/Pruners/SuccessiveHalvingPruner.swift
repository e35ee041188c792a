/// Asynchronous successive halving, ASHA (Optuna's `SuccessiveHalvingPruner`).
///
/// Rung `r` ends at epoch `min_resource * reduction_factor^(min_early_stopping_rate + r)`.
/// When a trial reaches the end of a rung, its value there is compared with the values
/// every other trial had at that rung (including trials since pruned or finished): it is
/// promoted if it is within the best `1 / reduction_factor` of them (at least the best
/// one), and pruned otherwise. As in Optuna, a trial is also pruned at a rung that fewer
/// than `bootstrap_count + 1` trials have reached, and a NaN value is pruned.
///
/// The rungs are not stored anywhere: they are derived from the history's intermediate
/// values (`RungIndex`), so a coordinator restarted on the same database decides the same.
/// Steps are 1-based epochs: with `min_resource = 1` the first rung ends after epoch 1.
///
/// No rung ends at or after a trial's last epoch: a trial that trained all its epochs has
/// reached the top (Hyperband's `R`, Ray Tune's `max_t`) and completes; pruning it there
/// would save nothing and only drop a finished result from the completed trials. This is
/// where Sweep's 1-based epochs and Optuna's 0-based steps would otherwise part: Optuna's
/// rung at `max_resource` is never reached by a trial of `max_resource` steps.
public final class SuccessiveHalvingPruner: Pruner {
    /// Epochs of the first rung before scaling (`min_resource`).
    public let minResource: Int
    /// eta (`reduction_factor`).
    public let reductionFactor: Int
    /// s (`min_early_stopping_rate`).
    public let minEarlyStoppingRate: Int
    /// `bootstrap_count`.
    public let bootstrapCount: Int
    /// The most epochs a trial runs; rungs end before it.
    public let maxSteps: Int
    /// Promotion (end) epoch of each reachable rung.
    public let promotionSteps: [Int]
    private let index: RungIndex

    /// - Parameters:
    ///   - minResource: epochs of the first rung before `reduction_factor` scaling (>= 1).
    ///   - reductionFactor: `eta`, >= 2 (Optuna's default 4).
    ///   - minEarlyStoppingRate: `s`, >= 0: the first rung ends at `min_resource * eta^s`.
    ///   - bootstrapCount: trials that must reach a rung before any can be promoted.
    ///   - maxSteps: the budget's epochs per trial: rungs end before it.
    ///   - maxResource: no rung ends after this epoch (W&B's `max_iter`; default `maxSteps`).
    public convenience init(minResource: Int, reductionFactor: Int = 4, minEarlyStoppingRate: Int = 0,
                            bootstrapCount: Int = 0, maxSteps: Int, maxResource: Int? = nil) {
        self.init(minResource: minResource, reductionFactor: reductionFactor, minEarlyStoppingRate: minEarlyStoppingRate,
                  bootstrapCount: bootstrapCount, maxSteps: maxSteps, maxResource: maxResource, includes: nil)
    }

    /// `includes` restricts the competition to some trials (a Hyperband bracket).
    init(minResource: Int, reductionFactor: Int, minEarlyStoppingRate: Int, bootstrapCount: Int,
         maxSteps: Int, maxResource: Int?, includes: ((Int) -> Bool)?) {
        precondition(minResource >= 1 && reductionFactor >= 2 && minEarlyStoppingRate >= 0 && bootstrapCount >= 0,
                     "invalid successive halving settings")
        self.minResource = minResource
        self.reductionFactor = reductionFactor
        self.minEarlyStoppingRate = minEarlyStoppingRate
        self.bootstrapCount = bootstrapCount
        self.maxSteps = maxSteps
        var steps: [Int] = []
        var step = minResource
        for _ in 0..<minEarlyStoppingRate {
            let (next, overflow) = step.multipliedReportingOverflow(by: reductionFactor)
            step = overflow ? Int.max : next
        }
        let lastRungEnd = min(maxSteps - 1, maxResource ?? maxSteps)
        while step <= lastRungEnd {
            steps.append(step)
            let (next, overflow) = step.multipliedReportingOverflow(by: reductionFactor)
            if overflow { break }
            step = next
        }
        promotionSteps = steps
        index = RungIndex(promotionSteps: steps, includes: includes)
    }

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial number: Int, step: Int, history: StudyHistory) -> PruneDecision {
        index.update(from: history)
        guard let trial = history.trial(number), let value = trial.intermediate[step] else {
            return .keep("no value reported at step \(step)")
        }
        let previous = history.previousStep(number, before: step) ?? 0
        var rung = promotionSteps.firstIndex { $0 > previous } ?? promotionSteps.count
        guard rung < promotionSteps.count else {
            if promotionSteps.isEmpty { return .keep("no rung ends before the last epoch (\(maxSteps))") }
            return .keep("past the last rung (rungs end at steps \(promotionSteps.map(String.init).joined(separator: ", ")))")
        }
        guard promotionSteps[rung] <= step else {
            return PruneDecision(prune: false, reason: "rung \(rung) ends at step \(promotionSteps[rung])", rung: rung)
        }
        let direction = history.direction
        var cutoff = value
        var competitors = 1
        while rung < promotionSteps.count && promotionSteps[rung] <= step {
            if value.isNaN {
                return PruneDecision(prune: true, reason: "the value at step \(step) (end of rung \(rung)) is NaN", rung: rung)
            }
            // Optuna: promotable if within the best max(count / eta, 1) values.
            let count = index.competitors(rung: rung, replacing: number)
            let rank = Swift.max(0, count / reductionFactor - 1)
            let k = direction == .minimize ? rank : count - 1 - rank
            let kth = index.kthSmallest(k, rung: rung, replacing: number, with: value)
            competitors = count
            cutoff = kth
            if count <= bootstrapCount {
                return PruneDecision(prune: true, reason: "only \(plural(count, "trial")) reached rung \(rung) (step \(promotionSteps[rung])); bootstrap_count is \(bootstrapCount)", rung: rung)
            }
            let promoted = direction == .minimize ? value <= kth : value >= kth
            if !promoted {
                return PruneDecision(
                    prune: true,
                    reason: "\(decisionText(value)) at step \(step) is not among the best 1/\(reductionFactor) of the \(plural(count, "trial")) at rung \(rung) (cut-off \(decisionText(kth)))",
                    rung: rung, cutoff: kth)
            }
            rung += 1
        }
        let next = rung < promotionSteps.count ? "; next rung ends at step \(promotionSteps[rung])" : ""
        return PruneDecision(
            prune: false,
            reason: "promoted: \(decisionText(value)) at step \(step) is among the best 1/\(reductionFactor) of the \(plural(competitors, "trial")) at rung \(rung - 1) (cut-off \(decisionText(cutoff)))\(next)",
            rung: rung - 1, cutoff: cutoff)
    }
}

extension SuccessiveHalvingPruner {
    /// `pruner: {name: asha, ...}` (alias `successive_halving`) with Optuna's defaults.
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.asha
        static let minEarlyStoppingRateKey = PrunerOptionKey("min_early_stopping_rate")
        static let modeKey = PrunerOptionKey("mode")
        static let maxResourceKey = PrunerOptionKey("max_resource")
        public static let keys = [PrunerOptionKey.minResource, maxResourceKey, .reductionFactor, minEarlyStoppingRateKey, .bootstrapCount, modeKey]

        /// What happens at the end of a rung.
        public enum Mode: String, Codable, Sendable, Hashable, CaseIterable {
            /// Optuna's ASHA: a trial outside the best 1/eta stops, the others go on at once.
            case stop
            /// The ASHA paper's (Li et al. 2018): every trial pauses at the end of its rung
            /// and continues from its checkpoint when it is promoted, i.e. when it is in
            /// the best 1/eta of that rung and a worker is free (`PromotionQueue`).
            case promotion
        }

        /// Epochs of the first rung (default auto: max(1, max epochs / 100)).
        public var minResource = PrunerResource.auto
        /// The last rung ends at or before this epoch, and always before a trial's max epochs
        /// (where a trial completes). W&B's hyperband `max_iter`: no rung beyond it, while
        /// runs may go on longer.
        public var maxResource: Int?
        /// eta, >= 2 (default 4).
        public var reductionFactor = 4
        /// s: the first rung ends at min_resource * eta^s (default 0).
        public var minEarlyStoppingRate = 0
        /// Trials that must reach a rung before any is promoted (default 0).
        public var bootstrapCount = 0
        /// `stop` (default) or `promotion`.
        public var mode = Mode.stop

        public init() {}

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: PrunerOptionKey.self)
            minResource = try c.resource(.minResource) ?? minResource
            if c.contains(Self.maxResourceKey) {
                let least = if case .steps(let n) = minResource { n } else { 1 }
                maxResource = try c.option(Self.maxResourceKey, default: least, must: "at least min_resource (\(least))") { $0 >= least }
            }
            reductionFactor = try c.option(.reductionFactor, default: reductionFactor, must: "at least 2") { $0 >= 2 }
            minEarlyStoppingRate = try c.option(Self.minEarlyStoppingRateKey, default: 0, must: "0 or more") { $0 >= 0 }
            bootstrapCount = try c.option(.bootstrapCount, default: 0, must: "0 or more") { $0 >= 0 }
            if let text = try c.decodeIfPresent(String.self, forKey: Self.modeKey) {
                guard let mode = Mode(rawValue: text) else {
                    throw DecodingError.dataCorruptedError(forKey: Self.modeKey, in: c,
                                                           debugDescription: "unknown mode '\(text)'; expected stop or promotion" + (["min", "max", "minimize", "maximize"].contains(text) ? " (the direction is the objective's: objective: {direction: ...})" : ""))
                }
                self.mode = mode
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: PrunerOptionKey.self)
            try c.encode(minResource, forKey: .minResource)
            try c.encodeIfPresent(maxResource, forKey: Self.maxResourceKey)
            try c.encode(reductionFactor, forKey: .reductionFactor)
            try c.encode(minEarlyStoppingRate, forKey: Self.minEarlyStoppingRateKey)
            try c.encode(bootstrapCount, forKey: .bootstrapCount)
            if mode != .stop { try c.encode(mode, forKey: Self.modeKey) }
        }

        /// The promotion epochs of the rungs for trials of at most `maxSteps` epochs.
        public func promotionSteps(maxSteps: Int) -> [Int] {
            pruner(maxSteps: maxSteps).promotionSteps
        }

        public var config: PrunerConfig { .asha(self) }

        public func makePruner(maxSteps: Int) -> any Pruner { pruner(maxSteps: maxSteps) }

        func pruner(maxSteps: Int) -> SuccessiveHalvingPruner {
            let last = min(maxSteps, maxResource ?? maxSteps)
            // (Optuna's estimate from a finished trial is max(last_step // 100, 1) with steps
            // from 0: one less at 200, 300, ... epochs. Kept as studies began with it: a resumed
            // study re-reads `auto`, and changed rungs would lose its paused trials.)
            return SuccessiveHalvingPruner(minResource: minResource.steps(auto: max(1, last / 100)), reductionFactor: reductionFactor,
                                           minEarlyStoppingRate: minEarlyStoppingRate, bootstrapCount: bootstrapCount,
                                           maxSteps: maxSteps, maxResource: maxResource)
        }
    }
}
