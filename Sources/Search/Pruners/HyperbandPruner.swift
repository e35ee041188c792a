/// Hyperband (Optuna's `HyperbandPruner`): several ASHA brackets with different
/// aggressiveness, each trial assigned to one.
///
/// With `R = max_resource / min_resource` there are `floor(log_eta R) + 1` brackets
/// (computed with integers, so `R = 1000, eta = 10` gives 4). Bracket `b` is
/// `SuccessiveHalvingPruner` with `min_early_stopping_rate = b`: bracket 0 prunes from the
/// first epochs, the last bracket barely prunes. Trials compete only within their bracket.
///
/// **Assignment.** Bracket `b` gets a share of trials proportional to Optuna's budget
/// `ceil(n * eta^s / (s + 1))` with `s = n - 1 - b`. Trial `t` goes to the bracket whose
/// cumulative budget range contains `h(t) mod total`, where `h` is the SplitMix64 hash of
/// the trial number: deterministic from the trial number alone (Optuna hashes the study
/// name and trial number with CRC-32 instead), and spread evenly without regard to order.
public final class HyperbandPruner: Pruner {
    /// Epochs of bracket 0's first rung.
    public let minResource: Int
    /// The resource the brackets are computed for (`R`): no rung ends after it.
    public let maxResource: Int
    /// The most epochs a trial runs: rungs end before it (a trial there completes).
    public let maxSteps: Int
    /// eta.
    public let reductionFactor: Int
    /// As in `SuccessiveHalvingPruner`.
    public let bootstrapCount: Int
    /// Budget (share of trials) of each bracket, bracket 0 first.
    public let bracketBudgets: [Int]
    private let brackets: [SuccessiveHalvingPruner]

    /// - Parameters:
    ///   - minResource: epochs of bracket 0's first rung (Optuna's default 1).
    ///   - maxResource: `R` (Optuna's "auto" = the budget's max epochs).
    ///   - maxSteps: the budget's epochs per trial (default `maxResource`). As in Optuna,
    ///     where steps count from 0, a rung at the last epoch is never reached: a bracket
    ///     whose only rung would end there does not prune.
    ///   - reductionFactor: `eta` (Optuna's default 3).
    ///   - bootstrapCount: as in `SuccessiveHalvingPruner`.
    public init(minResource: Int = 1, maxResource: Int, maxSteps: Int? = nil, reductionFactor: Int = 3, bootstrapCount: Int = 0) {
        precondition(minResource >= 1 && maxResource >= 1 && reductionFactor >= 2 && bootstrapCount >= 0,
                     "invalid hyperband settings")
        self.minResource = minResource
        self.maxResource = maxResource
        let maxSteps = maxSteps ?? maxResource
        self.maxSteps = maxSteps
        self.reductionFactor = reductionFactor
        self.bootstrapCount = bootstrapCount
        // floor(log_eta(max / min)) + 1, in integers.
        var n = 1
        var reach = minResource
        while true {
            let (next, overflow) = reach.multipliedReportingOverflow(by: reductionFactor)
            if overflow || next > maxResource { break }
            reach = next
            n += 1
        }
        var budgets: [Int] = []
        for b in 0..<n {
            let s = n - 1 - b
            var power = 1
            for _ in 0..<s { power = power.multipliedReportingOverflow(by: reductionFactor).partialValue }
            budgets.append((n * power + s) / (s + 1))    // ceil(n * eta^s / (s + 1))
        }
        let shares = budgets
        bracketBudgets = shares
        let total = shares.reduce(0, +)
        let assign: @Sendable (Int) -> Int = { trial in HyperbandPruner.bracket(of: trial, budgets: shares, total: total) }
        brackets = (0..<n).map { b in
            SuccessiveHalvingPruner(minResource: minResource, reductionFactor: reductionFactor, minEarlyStoppingRate: b,
                                    bootstrapCount: bootstrapCount, maxSteps: maxSteps, maxResource: maxResource,
                                    includes: { assign($0) == b })
        }
    }

    /// The number of brackets.
    public var bracketCount: Int { brackets.count }

    /// The bracket trial `number` belongs to.
    public func bracket(of number: Int) -> Int {
        Self.bracket(of: number, budgets: bracketBudgets, total: bracketBudgets.reduce(0, +))
    }

    /// See `Pruner.decide(trial:step:history:)`.
    public func decide(trial number: Int, step: Int, history: StudyHistory) -> PruneDecision {
        let b = bracket(of: number)
        var d = brackets[b].decide(trial: number, step: step, history: history)
        d.reason = "bracket \(b): \(d.reason)"
        return d
    }

    private static func bracket(of number: Int, budgets: [Int], total: Int) -> Int {
        var z = UInt64(bitPattern: Int64(number)) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        var r = Int(z % UInt64(total))
        for (b, budget) in budgets.enumerated() {
            r -= budget
            if r < 0 { return b }
        }
        return budgets.count - 1
    }
}

extension HyperbandPruner {
    /// `pruner: {name: hyperband, ...}` with Optuna's defaults.
    public struct Config: PrunerOptions {
        public static let name = PrunerConfig.Name.hyperband
        static let maxResourceKey = PrunerOptionKey("max_resource")
        public static let keys = [PrunerOptionKey.minResource, maxResourceKey, .reductionFactor, .bootstrapCount]

        /// Epochs of bracket 0's first rung (default 1; `auto` is refused).
        public var minResource = PrunerResource.steps(1)
        /// `R`, the resource the brackets are computed for; no rung ends after it (default
        /// auto = the budget's max epochs).
        public var maxResource = PrunerResource.auto
        /// eta, >= 2 (default 3).
        public var reductionFactor = 3
        /// Trials that must reach a rung before any is promoted (default 0).
        public var bootstrapCount = 0

        public init() {}

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: PrunerOptionKey.self)
            minResource = try c.resource(.minResource) ?? minResource
            if case .auto = minResource {
                throw DecodingError.dataCorruptedError(forKey: .minResource, in: c,
                                                       debugDescription: "'min_resource' must be a positive integer for hyperband")
            }
            maxResource = try c.resource(Self.maxResourceKey) ?? maxResource
            if case .steps(let lo) = minResource, case .steps(let hi) = maxResource, hi < lo {
                throw DecodingError.dataCorruptedError(forKey: Self.maxResourceKey, in: c,
                                                       debugDescription: "'max_resource' (\(hi)) must be at least 'min_resource' (\(lo))")
            }
            reductionFactor = try c.option(.reductionFactor, default: reductionFactor, must: "at least 2") { $0 >= 2 }
            bootstrapCount = try c.option(.bootstrapCount, default: 0, must: "0 or more") { $0 >= 0 }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: PrunerOptionKey.self)
            try c.encode(minResource, forKey: .minResource)
            try c.encode(maxResource, forKey: Self.maxResourceKey)
            try c.encode(reductionFactor, forKey: .reductionFactor)
            try c.encode(bootstrapCount, forKey: .bootstrapCount)
        }

        public var config: PrunerConfig { .hyperband(self) }

        public func makePruner(maxSteps: Int) -> any Pruner {
            let lo = minResource.steps(auto: 1)
            return HyperbandPruner(minResource: lo, maxResource: max(lo, maxResource.steps(auto: maxSteps)), maxSteps: maxSteps,
                                   reductionFactor: reductionFactor, bootstrapCount: bootstrapCount)
        }
    }
}
