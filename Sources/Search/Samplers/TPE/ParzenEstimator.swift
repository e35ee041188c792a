#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Parzen estimator over a group of parameters, as in Optuna: a weighted mixture with one
/// product kernel per observation plus one prior kernel.
///
/// Numeric dimensions use truncated normal kernels in sampler units (log space for log
/// parameters). A kernel's width is the larger distance to its neighbours (the bounds count
/// as neighbours, except for the smallest and largest observations), clipped to
/// `[range / min(100, kernels + 1), range]` ("magic clip"); the prior kernel sits at the
/// middle with width `range`. Grid parameters (ints, floats with a step) use the kernel's
/// mass over `[x - step/2, x + step/2]`. Categorical dimensions use, per observation, the
/// choice distribution `(prior_weight / kernels + [choice == observed])`, normalized, and a
/// uniform prior. Observation weights follow `TPEDefaults.weights` in trial-number order;
/// the prior weighs `prior_weight`.
struct ParzenEstimator {
    enum Kind {
        case continuous
        case discrete(step: Double)
        case categorical(count: Int)
    }

    struct Dimension {
        /// Index of the parameter in the space.
        let parameter: Int
        let kind: Kind
        let axis: NumericAxis?
        /// Truncation bounds in sampler units (numeric dimensions).
        let low: Double
        let high: Double
        /// Per kernel: centre (numeric: sampler units; categorical: observed index, -1 for
        /// the prior), width, and log of the kernel's mass inside [low, high].
        var mu: [Double] = []
        var sigma: [Double] = []
        var logZ: [Double] = []
        /// Discrete dimensions: kernels with the same (mu, sigma) share an entry, so
        /// interval masses are computed once per distinct kernel.
        var pairOfKernel: [Int32] = []
        var pairMu: [Double] = []
        var pairSigma: [Double] = []
        var pairLogZ: [Double] = []
        /// Categorical: log-probability of a non-observed choice under an observation kernel
        /// and the log-ratio for the observed one.
        var logBase: Double = 0
        var logBoost: Double = 0
        /// Categorical: the linear probabilities, for sampling.
        var base: Double = 0
        var boosted: Double = 0
    }

    /// Number of kernels, the prior included (the prior is the last one).
    let kernelCount: Int
    /// Normalized weights and their logs.
    let weights: [Double]
    let logWeights: [Double]
    var dimensions: [Dimension]
}

/// Settings shared by all estimators of one sampler.
struct ParzenSettings {
    var priorWeight: Double = 1
    var considerMagicClip = true
    var considerEndpoints = false
}

extension ParzenEstimator {
    /// Builds the estimator of `members` (trial numbers, ascending) over the parameters
    /// `group`. `sortedMembers(d)` yields, for group position `d`, the members' values in
    /// ascending order as (value, kernel index) pairs.
    static func build(
        group: [Int],
        members: [Int32],
        observations obs: TPEObservations,
        settings: ParzenSettings,
        sortedMembers: (Int) -> [(mu: Double, kernel: Int32)]
    ) -> ParzenEstimator {
        let n = members.count
        let kernels = n + 1
        var w = TPEDefaults.weights(n)
        if n == 0 { w = [1] } else { w.append(settings.priorWeight) }
        let total = w.reduce(0, +)
        let weights = w.map { $0 / total }
        var dims: [Dimension] = []
        for (d, p) in group.enumerated() {
            switch obs.axes[p] {
            case .categorical(let choices):
                dims.append(categorical(p, choices.count, members, obs, settings))
            case .numeric(let axis):
                dims.append(numeric(p, axis, members: members, sorted: n == 0 ? [] : sortedMembers(d),
                                    obs: obs, settings: settings))
            }
        }
        return ParzenEstimator(kernelCount: kernels == 1 ? 1 : kernels, weights: weights,
                               logWeights: weights.map { log($0) }, dimensions: dims)
    }

    private static func categorical(_ p: Int, _ count: Int, _ members: [Int32],
                                     _ obs: TPEObservations, _ settings: ParzenSettings) -> Dimension {
        var dim = Dimension(parameter: p, kind: .categorical(count: count), axis: nil, low: 0, high: 0)
        let n = members.count
        let column = obs.mus[p]
        dim.mu = members.map { column[Int($0)] }
        dim.mu.append(-1)
        if n > 0 {
            let share = settings.priorWeight / Double(n + 1)
            let rowSum = Double(count) * share + 1
            dim.base = share / rowSum
            dim.boosted = (share + 1) / rowSum
            dim.logBase = log(dim.base)
            dim.logBoost = log(dim.boosted) - dim.logBase
        }
        return dim
    }

    private static func numeric(_ p: Int, _ axis: NumericAxis, members: [Int32], sorted: [(mu: Double, kernel: Int32)],
                                obs: TPEObservations, settings: ParzenSettings) -> Dimension {
        let low = axis.transformedLow, high = axis.transformedHigh
        let kind: Kind = axis.step.map { .discrete(step: $0) } ?? .continuous
        var dim = Dimension(parameter: p, kind: kind, axis: axis, low: low, high: high)
        let n = members.count
        let column = obs.mus[p]
        dim.mu = members.map { column[Int($0)] }
        dim.mu.append(0.5 * (low + high))
        dim.sigma = [Double](repeating: 0, count: n + 1)
        dim.sigma[n] = high - low
        dim.logZ = [Double](repeating: 0, count: n + 1)

        // Kernel widths from the neighbours in sorted order.
        let range = high - low
        let minSigma = settings.considerMagicClip ? range / min(100, 1 + Double(n + 1)) : 1e-12
        let isDiscrete: Bool
        if case .discrete = kind { isDiscrete = true } else { isDiscrete = false }
        var runMu = Double.nan
        var runPairs: [(sigma: Double, pair: Int32)] = []
        if isDiscrete { dim.pairOfKernel = [Int32](repeating: 0, count: n + 1) }
        obs.normalizerSigma[p].withUnsafeMutableBufferPointer { cacheSigma in
            obs.normalizerLog[p].withUnsafeMutableBufferPointer { cacheLog in
                for i in 0..<sorted.count {
                    let mu = sorted[i].mu
                    let left = i == 0 ? low : sorted[i - 1].mu
                    let right = i == sorted.count - 1 ? high : sorted[i + 1].mu
                    var s = max(mu - left, right - mu)
                    if !settings.considerEndpoints && sorted.count >= 2 {
                        if i == 0 { s = sorted[1].mu - mu }
                        if i == sorted.count - 1 { s = mu - sorted[i - 1].mu }
                    }
                    s = min(max(s, minSigma), range)
                    let k = Int(sorted[i].kernel)
                    dim.sigma[k] = s
                    // The normalizer only changes with the width; reuse it when it did not.
                    let t = Int(members[k])
                    let logZ: Double
                    if cacheSigma[t] == s {
                        logZ = cacheLog[t]
                    } else {
                        logZ = Normal.logMass((low - mu) / s, (high - mu) / s)
                        cacheSigma[t] = s
                        cacheLog[t] = logZ
                    }
                    dim.logZ[k] = logZ
                    if isDiscrete {
                        if mu != runMu { runMu = mu; runPairs.removeAll(keepingCapacity: true) }
                        if let hit = runPairs.first(where: { $0.sigma == s }) {
                            dim.pairOfKernel[k] = hit.pair
                        } else {
                            let pair = Int32(dim.pairMu.count)
                            dim.pairMu.append(mu); dim.pairSigma.append(s); dim.pairLogZ.append(logZ)
                            runPairs.append((s, pair))
                            dim.pairOfKernel[k] = pair
                        }
                    }
                }
            }
        }
        dim.logZ[n] = Normal.logMass((low - dim.mu[n]) / range, (high - dim.mu[n]) / range)
        if isDiscrete {
            dim.pairOfKernel[n] = Int32(dim.pairMu.count)
            dim.pairMu.append(dim.mu[n]); dim.pairSigma.append(range); dim.pairLogZ.append(dim.logZ[n])
        }
        return dim
    }
}
