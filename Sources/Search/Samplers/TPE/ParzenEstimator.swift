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
///
/// Two layouts: the good group's estimator (few kernels) numbers its kernels in member
/// order; the bad group's estimator (up to every trial) uses the trial number as the kernel
/// index, with non-members weighing nothing, so it is updated in place from one suggestion
/// to the next, recomputing only the kernels whose width changed
/// (see `ParzenEstimator+Update.swift`).
final class ParzenEstimator {
    enum Kind {
        case continuous
        case discrete(step: Double)
        case categorical(count: Int)
    }

    struct Dimension {
        /// Index of the parameter in the space.
        var parameter = 0
        var kind = Kind.continuous
        var axis: NumericAxis?
        /// Truncation bounds in sampler units (numeric dimensions).
        var low = 0.0
        var high = 0.0
        /// Per kernel: centre (numeric: sampler units; categorical: observed index, -1 for
        /// the prior) and width.
        var mu: [Double] = []
        var sigma: [Double] = []
        /// Continuous dimensions: 1 / (2 sigma^2) per kernel.
        var h: [Double] = []
        /// Per kernel: this dimension's share of the kernel's constant (continuous:
        /// -(log sigma + log Z + log sqrt(2 pi)); categorical: log of the base probability).
        var term: [Double] = []
        /// Discrete dimensions: kernels with the same (mu, sigma) share an entry, so
        /// interval masses are computed once per distinct kernel.
        var pairOfKernel: [Int32] = []
        var pairMu: [Double] = []
        var pairSigma: [Double] = []
        var pairLogZ: [Double] = []
        /// Categorical: probability of a non-observed and of the observed choice under an
        /// observation kernel, and the log-ratio of the two.
        var base = 0.0
        var boosted = 0.0
        var logBoost = 0.0
    }

    /// Number of kernels, the prior included (the prior is the last one).
    var kernelCount = 0
    /// Normalized mixture weights (good group's layout only; used for sampling).
    var weights: [Double] = []
    /// Per kernel: log weight plus every dimension's `term` (everything that does not
    /// depend on the point evaluated); -infinity for a non-member's slot.
    var constant: [Double] = []
    var dimensions: [Dimension] = []

    // State of the last update in the trial-number layout.
    var lastMember: [Bool] = []
    /// One continuous parameter: the kernels in value order (bad group only).
    var sorted: SortedKernels?
    var lastCount = -1
    var lastGroup: [Int] = []
    var lastEpoch: (ObjectIdentifier, Int)?

    /// Builds the estimator of `members` (trial numbers, ascending) over the parameters
    /// `group` (space indices), with kernels in member order (for the good group).
    func rebuild(group: [Int], members: [Int32], observations obs: TPEObservations, settings: ParzenSettings) {
        let n = members.count
        kernelCount = n + 1
        lastEpoch = nil
        sorted = nil
        // Weights: the ramp over observations in trial order, then the prior.
        weights.removeAll(keepingCapacity: true)
        if n == 0 {
            weights.append(1)
        } else {
            weights.append(contentsOf: TPEDefaults.weights(n))
            weights.append(settings.priorWeight)
        }
        let total = weights.reduce(0, +)
        constant.removeAll(keepingCapacity: true)
        for i in weights.indices {
            weights[i] /= total
            constant.append(log(weights[i]))
        }
        if dimensions.count != group.count { dimensions = Array(repeating: Dimension(), count: group.count) }
        for (d, p) in group.enumerated() {
            dimensions[d].parameter = p
            let column = obs.mus[p]
            switch obs.axes[p] {
            case .categorical(let choices, _):
                Self.setCategorical(&dimensions[d], choices.count, members: n, kernels: n + 1, settings)
                dimensions[d].mu = members.map { column[Int($0)] } + [-1]
            case .numeric(let axis):
                Self.setNumeric(&dimensions[d], axis, kernels: n + 1)
                dimensions[d].mu = members.map { column[Int($0)] } + [0.5 * (dimensions[d].low + dimensions[d].high)]
                var entries = members.enumerated().map { k, t in
                    TPEObservations.MuEntry(mu: column[Int(t)], number: Int32(k))
                }
                entries.sort()
                entries.withUnsafeMutableBufferPointer { e in
                    Self.widths(&dimensions[d], entries: e, members: n, isMember: nil, settings: settings, force: true)
                }
            }
        }
        foldTerms()
    }

    /// Adds every dimension's per-kernel terms to the constants.
    func foldTerms() {
        constant.withUnsafeMutableBufferPointer { c in
            for dim in dimensions where !dim.term.isEmpty {
                dim.term.withUnsafeBufferPointer { t in
                    for k in 0..<c.count { c[k] += t[k] }
                }
            }
        }
    }

    /// Sets a categorical dimension's probabilities for `members` observations and its
    /// per-kernel terms (`kernels` slots, the last one the prior, which is uniform).
    static func setCategorical(_ dim: inout Dimension, _ count: Int, members n: Int, kernels: Int,
                               _ settings: ParzenSettings) {
        dim.kind = .categorical(count: count)
        dim.axis = nil
        let logUniform = log(1 / Double(count))
        var logBase = 0.0
        if n > 0 {
            let share = settings.priorWeight / Double(n + 1)
            let rowSum = Double(count) * share + 1
            dim.base = share / rowSum
            dim.boosted = (share + 1) / rowSum
            logBase = log(dim.base)
            dim.logBoost = log(dim.boosted) - logBase
        }
        dim.term.removeAll(keepingCapacity: true)
        dim.term.append(contentsOf: repeatElement(logBase, count: kernels - 1))
        dim.term.append(logUniform)
    }

    /// Sets a numeric dimension's kind and bounds, and sizes its per-kernel arrays (new
    /// slots: width NaN, the others 0).
    static func setNumeric(_ dim: inout Dimension, _ axis: NumericAxis, kernels: Int) {
        dim.kind = axis.step.map { .discrete(step: $0) } ?? .continuous
        dim.axis = axis
        dim.low = axis.transformedLow
        dim.high = axis.transformedHigh
        let isDiscrete = axis.step != nil
        if dim.sigma.count > kernels { dim.sigma.removeLast(dim.sigma.count - kernels) }
        if dim.sigma.count < kernels { dim.sigma.append(contentsOf: repeatElement(.nan, count: kernels - dim.sigma.count)) }
        resize(&dim.h, isDiscrete ? 0 : kernels)
        resize(&dim.term, isDiscrete ? 0 : kernels)
        resize(&dim.pairOfKernel, isDiscrete ? kernels : 0)
    }

    /// Kernel widths from sorted neighbours. `entries` are sorted by value and `number` is
    /// the kernel index; with `isMember`, only entries of the `members` member trials
    /// count. Each entry remembers its last width and log normalizer: the normalizer is
    /// recomputed only when the width changed, and without `force` only kernels whose
    /// width changed are written. The prior kernel is the last slot.
    static func widths(_ dim: inout Dimension, entries: UnsafeMutableBufferPointer<TPEObservations.MuEntry>,
                       members n: Int, isMember: [Bool]?, settings: ParzenSettings, force: Bool) {
        let low = dim.low, high = dim.high
        let isDiscrete: Bool
        if case .discrete = dim.kind { isDiscrete = true } else { isDiscrete = false }
        let range = high - low
        let minSigma = settings.considerMagicClip ? range / min(100, 1 + Double(n + 1)) : 1e-12
        let logSqrt2Pi = Normal.logSqrt2Pi
        dim.pairMu.removeAll(keepingCapacity: true)
        dim.pairSigma.removeAll(keepingCapacity: true)
        dim.pairLogZ.removeAll(keepingCapacity: true)

        // The member entries, in order (indices into `entries`).
        var order: [Int32] = []
        order.reserveCapacity(n)
        if let isMember {
            isMember.withUnsafeBufferPointer { member in
                for i in 0..<entries.count where member[Int(entries[i].number)] { order.append(Int32(i)) }
            }
        } else {
            order.append(contentsOf: 0..<Int32(entries.count))
        }
        precondition(order.count == n, "members and sorted values disagree")

        let endpoints = settings.considerEndpoints
        var runMu = Double.nan
        var runPairs: [(sigma: Double, pair: Int32)] = []
        var pairMu = dim.pairMu, pairSigma = dim.pairSigma, pairLogZ = dim.pairLogZ
        dim.pairMu = []; dim.pairSigma = []; dim.pairLogZ = []
        order.withUnsafeBufferPointer { order in
        dim.sigma.withUnsafeMutableBufferPointer { sigma in
        dim.h.withUnsafeMutableBufferPointer { h in
        dim.term.withUnsafeMutableBufferPointer { term in
        dim.pairOfKernel.withUnsafeMutableBufferPointer { pairOfKernel in
            var previous = low
            for i in 0..<n {
                let slot = Int(order[i])
                let mu = entries[slot].mu
                let next = i == n - 1 ? high : entries[Int(order[i + 1])].mu
                var s = max(mu - previous, next - mu)
                if !endpoints && n >= 2 {
                    if i == 0 { s = next - mu } else if i == n - 1 { s = mu - previous }
                }
                previous = mu
                s = min(max(s, minSigma), range)
                let unchanged = entries[slot].sigma == s
                if unchanged && !force && !isDiscrete { continue }
                // Log normalizer (continuous: log sigma + log Z; discrete: log Z).
                let norm: Double
                if unchanged {
                    norm = entries[slot].norm
                } else {
                    let logZ = Normal.logMass((low - mu) / s, (high - mu) / s)
                    norm = isDiscrete ? logZ : log(s) + logZ
                    entries[slot].sigma = s
                    entries[slot].norm = norm
                }
                let k = Int(entries[slot].number)
                sigma[k] = s
                if isDiscrete {
                    if mu != runMu { runMu = mu; runPairs.removeAll(keepingCapacity: true) }
                    if let hit = runPairs.first(where: { $0.sigma == s }) {
                        pairOfKernel[k] = hit.pair
                    } else {
                        let pair = Int32(pairMu.count)
                        pairMu.append(mu); pairSigma.append(s); pairLogZ.append(norm)
                        runPairs.append((s, pair))
                        pairOfKernel[k] = pair
                    }
                } else {
                    h[k] = 0.5 / (s * s)
                    term[k] = -(norm + logSqrt2Pi)
                }
            }
        }}}}}
        dim.pairMu = pairMu; dim.pairSigma = pairSigma; dim.pairLogZ = pairLogZ

        setPrior(&dim)
    }

    /// The prior kernel (the last slot): centred in the range, as wide as the range.
    static func setPrior(_ dim: inout Dimension) {
        let low = dim.low, high = dim.high, range = high - low
        let prior = dim.mu.count - 1
        let mid = 0.5 * (low + high)
        dim.sigma[prior] = range
        let priorLogZ = Normal.logMass((low - mid) / range, (high - mid) / range)
        if case .discrete = dim.kind {
            dim.pairOfKernel[prior] = Int32(dim.pairMu.count)
            dim.pairMu.append(mid); dim.pairSigma.append(range); dim.pairLogZ.append(priorLogZ)
        } else {
            dim.h[prior] = 0.5 / (range * range)
            dim.term[prior] = -(log(range) + priorLogZ + Normal.logSqrt2Pi)
        }
    }

    static func resize<T: Numeric>(_ a: inout [T], _ n: Int) {
        if a.count > n { a.removeLast(a.count - n) } else if a.count < n { a.append(contentsOf: repeatElement(0, count: n - a.count)) }
    }
}

/// Settings shared by all estimators of one sampler.
struct ParzenSettings {
    var priorWeight: Double = 1
    var considerMagicClip = true
    var considerEndpoints = false
}
