import Randomness

/// The Tree-structured Parzen Estimator (Bergstra et al. 2011), with Optuna 5's defaults
/// and semantics.
///
/// Until `nStartupTrials` trials are finished (COMPLETE or PRUNED), parameters are drawn
/// exactly as `RandomSampler` with the same seed would. After that, the finished trials are
/// split: the best `min(ceil(0.1 n), 25)` COMPLETE trials form the "good" group (topped up
/// with the best PRUNED trials, ranked by last step reached, then by last value, if there
/// are not enough), everything else the "bad" group. One Parzen estimator `l` is fitted to
/// the good group and one `g` to the bad group; `nEICandidates` points are drawn from `l`
/// and the one maximizing `l(x) / g(x)` is suggested.
///
/// - **Multivariate** (Optuna 5's default for one objective): the parameters active in every
///   finished trial are modelled jointly, with one product kernel per trial; every other
///   parameter (conditional ones) is modelled on its own from the trials where it was
///   active. With `multivariate: false` every parameter is modelled on its own.
/// - **Constant liar** (on by default, as in Optuna 5): trials still pending (RUNNING, and
///   WAITING or STALE ones that will run again) join the bad group, as if they had the worst
///   value, so parallel workers are not all sent to the same promising point.
/// - Only active parameters are drawn and stored; a conditional parameter never seen
///   before is drawn from its prior.
///
/// The suggestion for trial `n` depends only on the seed, `n` and the history. The
/// per-parameter observations, rankings and sorted values are cached and updated from the
/// trials that changed since the last call (`StudyHistory.version`), and densities are
/// evaluated in cache-sized kernel blocks, which keeps a suggestion at 10,000 finished trials
/// in the low milliseconds.
public final class TPESampler: Sampler {
    /// TPE settings, named after Optuna's `TPESampler` arguments.
    public struct Options: Hashable, Sendable {
        /// Random trials before TPE starts (`n_startup_trials`, default 10).
        public var nStartupTrials: Int
        /// Candidates drawn from `l(x)` per suggestion (`n_ei_candidates`, default 24).
        public var nEICandidates: Int
        /// Pending trials count as the worst (`constant_liar`, default true).
        public var constantLiar: Bool
        /// Joint model of the always-active parameters (`multivariate`, default true).
        public var multivariate: Bool
        /// Weight of the prior kernel (`prior_weight`, default 1).
        public var priorWeight: Double
        /// Lower-bound kernel widths by range / min(100, kernels + 1) (`consider_magic_clip`).
        public var considerMagicClip: Bool
        /// Let the bounds widen the outermost kernels (`consider_endpoints`, default false).
        public var considerEndpoints: Bool

        /// Optuna 5's defaults.
        public init(nStartupTrials: Int = 10, nEICandidates: Int = 24, constantLiar: Bool = true,
                    multivariate: Bool = true, priorWeight: Double = 1, considerMagicClip: Bool = true,
                    considerEndpoints: Bool = false) {
            self.nStartupTrials = nStartupTrials
            self.nEICandidates = nEICandidates
            self.constantLiar = constantLiar
            self.multivariate = multivariate
            self.priorWeight = priorWeight
            self.considerMagicClip = considerMagicClip
            self.considerEndpoints = considerEndpoints
        }
    }

    /// The study seed: trial `n` draws from the stream `(seed, n)`.
    public let seed: UInt64
    /// The TPE settings.
    public let options: Options
    private let random: RandomSampler
    private var observations: TPEObservations?
    private var isBelow: [Bool] = []
    private let logWeights = LogWeights()

    /// A TPE sampler; `options` must have `nEICandidates >= 1`, `priorWeight > 0`.
    public init(seed: UInt64 = 0, options: Options = Options()) {
        precondition(options.nEICandidates >= 1 && options.priorWeight > 0 && options.nStartupTrials >= 0)
        self.seed = seed
        self.options = options
        self.random = RandomSampler(seed: seed)
    }

    /// See `Sampler.suggest(for:in:history:)`.
    public func suggest(for number: Int, in space: SearchSpace, history: StudyHistory) -> Params {
        let obs = observations(for: space)
        obs.update(from: history)
        let finished = obs.finishedCount
        if finished < options.nStartupTrials {
            return random.suggest(for: number, in: space, history: history)
        }

        markBelow(obs, count: TPEDefaults.gamma(finished))
        defer { clearBelow(obs) }

        var rng = SamplerStreams.trial(seed: seed, trial: number, purpose: 0x7E9)
        var chosen: [Int: ParamValue] = [:]
        if options.multivariate {
            let joint = space.parameters.indices
                .filter { p in
                    Axis.singleValue(of: space.parameters[p].distribution) == nil && finished > 0
                        && obs.finishedHaving[p] == finished
                }
                .sorted { space.parameters[$0].name < space.parameters[$1].name }
            if !joint.isEmpty {
                chosen = sampleGroup(joint, obs: obs, excluding: number, rng: &rng)
            }
        }
        return space.assign { index, _, _ in
            if let v = chosen[index] { return v }
            return sampleGroup([index], obs: obs, excluding: number, rng: &rng)[index]!
        }
    }

    // MARK: - Steps

    private func observations(for space: SearchSpace) -> TPEObservations {
        if let o = observations, o.space == space { return o }
        let o = TPEObservations(space: space, constantLiar: options.constantLiar)
        observations = o
        return o
    }

    /// The good group: the best `count` COMPLETE trials, then the best PRUNED ones.
    private var below: [Int32] = []

    private func markBelow(_ obs: TPEObservations, count: Int) {
        if isBelow.count < obs.trialCount {
            isBelow.append(contentsOf: repeatElement(false, count: obs.trialCount - isBelow.count))
        }
        below.removeAll(keepingCapacity: true)
        let fromComplete = min(count, obs.completeRank.count)
        for i in 0..<fromComplete { below.append(obs.completeRank[i].number) }
        let fromPruned = min(count - fromComplete, obs.prunedRank.count)
        for i in 0..<max(0, fromPruned) { below.append(obs.prunedRank[i].number) }
        below.sort()
        for t in below { isBelow[Int(t)] = true }
    }

    private func clearBelow(_ obs: TPEObservations) {
        for t in below { isBelow[Int(t)] = false }
    }

    /// Estimators by group, reused so their arrays are not reallocated every suggestion.
    private var estimators: [[Int]: (good: ParzenEstimator, bad: ParzenEstimator)] = [:]

    /// Draws the parameters of `group` (space indices) jointly from l(x) / g(x).
    private func sampleGroup(_ group: [Int], obs: TPEObservations, excluding current: Int,
                             rng: inout SeededGenerator) -> [Int: ParamValue] {
        let settings = ParzenSettings(priorWeight: options.priorWeight, considerMagicClip: options.considerMagicClip,
                                      considerEndpoints: options.considerEndpoints)
        let pair: (good: ParzenEstimator, bad: ParzenEstimator)
        if let cached = estimators[group] {
            pair = cached
        } else {
            pair = (ParzenEstimator(), ParzenEstimator())
            estimators[group] = pair
        }
        let mus = obs.mus
        // Good group (few): kernels in member order.
        let goodMembers = below.filter { t in group.allSatisfy { !mus[$0][Int(t)].isNaN } }
        pair.good.rebuild(group: group, members: goodMembers, observations: obs, settings: settings)
        // Bad group (many): kernels indexed by trial number, updated in place.
        let badCount = markBad(group, obs: obs, excluding: current)
        pair.bad.update(group: group, isMember: isMember, members: badCount, observations: obs, settings: settings,
                        logWeights: logWeights)

        let n = options.nEICandidates
        let candidates = pair.good.sample(count: n, rng: &rng)
        let lGood = pair.good.logDensity(at: candidates, count: n)
        let lBad = pair.bad.logDensity(at: candidates, count: n)
        // The first candidate with the highest log l(x) - log g(x), like numpy's argmax.
        var best = 0
        var bestScore = lGood[0] - lBad[0]
        for c in 1..<max(n, 1) where lGood[c] - lBad[c] > bestScore {
            best = c
            bestScore = lGood[c] - lBad[c]
        }
        var result: [Int: ParamValue] = [:]
        for (d, p) in group.enumerated() {
            let x = candidates[d][best]
            switch obs.axes[p] {
            case .numeric(let axis): result[p] = axis.snapped(x)
            case .categorical(let choices, _): result[p] = choices[Int(x)]
            }
        }
        return result
    }

    private var isMember: [Bool] = []

    /// Marks the bad group's members for `group` in `isMember` (trials that are finished or
    /// pending, not in the good group, not the trial being suggested, and have every
    /// parameter of the group); returns how many there are.
    private func markBad(_ group: [Int], obs: TPEObservations, excluding current: Int) -> Int {
        let n = obs.trialCount
        if isMember.count != n { isMember = [Bool](repeating: false, count: n) }
        var count = 0
        obs.roles.withUnsafeBufferPointer { roles in
            isBelow.withUnsafeBufferPointer { below in
                isMember.withUnsafeMutableBufferPointer { member in
                    for t in 0..<n { member[t] = roles[t] != .excluded && !below[t] }
                    if current >= 0 && current < n { member[current] = false }
                    // Column by column, so each pass is a straight scan.
                    for p in group {
                        obs.mus[p].withUnsafeBufferPointer { column in
                            for t in 0..<n where column[t].isNaN { member[t] = false }
                        }
                    }
                    for t in 0..<n where member[t] { count += 1 }
                }
            }
        }
        return count
    }
}
