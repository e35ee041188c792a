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
/// It is a class so its (large) arrays are reused from one suggestion to the next.
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

    /// Where a dimension's members come from, sorted by value.
    enum Source {
        /// Few members: sort their values directly.
        case direct
        /// Many members: filter the cached sorted values by the membership mask
        /// (indexed by trial number), with `kernelOf[trial]` the member's kernel index.
        case cached(isMember: [Bool], kernelOf: [Int32])
    }

    /// Number of kernels, the prior included (the prior is the last one).
    private(set) var kernelCount = 0
    /// Normalized mixture weights.
    private(set) var weights: [Double] = []
    /// Per kernel: log weight plus the log normalizers of its continuous and categorical
    /// dimensions (everything that does not depend on the point evaluated).
    private(set) var constant: [Double] = []
    private(set) var dimensions: [Dimension] = []

    /// Rebuilds the estimator of `members` (trial numbers, ascending) over the parameters
    /// `group` (space indices).
    func rebuild(group: [Int], members: [Int32], observations obs: TPEObservations,
                 settings: ParzenSettings, source: Source) {
        let n = members.count
        kernelCount = n + 1
        // Weights: the ramp over observations in trial order, then the prior.
        weights.removeAll(keepingCapacity: true)
        if n == 0 {
            weights.append(1)
        } else {
            weights.append(contentsOf: TPEDefaults.weights(n))
            weights.append(settings.priorWeight)
        }
        Self.normalize(&weights, logs: &constant)
        while dimensions.count < group.count { dimensions.append(Dimension()) }
        if dimensions.count > group.count { dimensions.removeLast(dimensions.count - group.count) }
        for (d, p) in group.enumerated() {
            dimensions[d].parameter = p
            switch obs.axes[p] {
            case .categorical(let choices):
                Self.buildCategorical(&dimensions[d], &constant, choices.count, members, obs.mus[p], settings)
            case .numeric(let axis):
                Self.fillMu(&dimensions[d], members: members, column: obs.mus[p], axis: axis)
                switch source {
                case .direct:
                    // Few members: sort (value, kernel) pairs; no normalizer cache.
                    let column = obs.mus[p]
                    var entries = members.enumerated().map { k, t in
                        TPEObservations.MuEntry(mu: column[Int(t)], number: Int32(k))
                    }
                    entries.sort()
                    let kernels = (0..<Int32(n)).map { $0 }
                    entries.withUnsafeMutableBufferPointer { e in
                        Self.buildNumeric(&dimensions[d], &constant, axis, entries: e, isMember: nil,
                                          kernelOf: kernels, settings: settings)
                    }
                case .cached(let isMember, let kernelOf):
                    // Many members: walk the cached sorted values, updating their caches.
                    obs.byMu[p].withUnsafeMutableElements { e in
                        Self.buildNumeric(&dimensions[d], &constant, axis, entries: e, isMember: isMember,
                                          kernelOf: kernelOf, settings: settings)
                    }
                }
            }
        }
    }

    private static func normalize(_ weights: inout [Double], logs: inout [Double]) {
        let total = weights.reduce(0, +)
        logs.removeAll(keepingCapacity: true)
        for i in weights.indices {
            weights[i] /= total
            logs.append(log(weights[i]))
        }
    }

    private static func fillMu(_ dim: inout Dimension, members: [Int32], column: [Double], axis: NumericAxis) {
        let low = axis.transformedLow, high = axis.transformedHigh
        dim.mu.removeAll(keepingCapacity: true)
        column.withUnsafeBufferPointer { c in
            for t in members { dim.mu.append(c[Int(t)]) }
        }
        dim.mu.append(0.5 * (low + high))
    }

    private static func buildCategorical(_ dim: inout Dimension, _ constant: inout [Double], _ count: Int,
                                         _ members: [Int32], _ column: [Double], _ settings: ParzenSettings) {
        dim.kind = .categorical(count: count)
        dim.axis = nil
        let n = members.count
        dim.mu.removeAll(keepingCapacity: true)
        for t in members { dim.mu.append(column[Int(t)]) }
        dim.mu.append(-1)
        let logUniform = log(1 / Double(count))
        if n > 0 {
            let share = settings.priorWeight / Double(n + 1)
            let rowSum = Double(count) * share + 1
            dim.base = share / rowSum
            dim.boosted = (share + 1) / rowSum
            dim.logBoost = log(dim.boosted) - log(dim.base)
            let logBase = log(dim.base)
            for k in 0..<n { constant[k] += logBase }
        }
        constant[n] += logUniform
    }

    /// Kernel widths from sorted neighbours, and the per-kernel constants. `entries` are
    /// sorted by value; with `isMember`, only entries of member trials count, and
    /// `kernelOf[trial]` is the member's kernel (otherwise `number` is the kernel index).
    private static func buildNumeric(_ dim: inout Dimension, _ constant: inout [Double], _ axis: NumericAxis,
                                     entries: UnsafeMutableBufferPointer<TPEObservations.MuEntry>,
                                     isMember: [Bool]?, kernelOf: [Int32], settings: ParzenSettings) {
        let low = axis.transformedLow, high = axis.transformedHigh
        let isDiscrete = axis.step != nil
        dim.kind = axis.step.map { .discrete(step: $0) } ?? .continuous
        dim.axis = axis
        dim.low = low
        dim.high = high
        let n = dim.mu.count - 1
        let range = high - low
        let minSigma = settings.considerMagicClip ? range / min(100, 1 + Double(n + 1)) : 1e-12
        let logSqrt2Pi = Normal.logSqrt2Pi
        resize(&dim.sigma, n + 1)
        resize(&dim.h, isDiscrete ? 0 : n + 1)
        resize(&dim.pairOfKernel, isDiscrete ? n + 1 : 0)
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
        let hasMask = isMember != nil
        order.withUnsafeBufferPointer { order in
        kernelOf.withUnsafeBufferPointer { kernelOf in
        dim.sigma.withUnsafeMutableBufferPointer { sigma in
        dim.h.withUnsafeMutableBufferPointer { h in
        dim.pairOfKernel.withUnsafeMutableBufferPointer { pairOfKernel in
        constant.withUnsafeMutableBufferPointer { constant in
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
                let k = hasMask ? Int(kernelOf[Int(entries[slot].number)]) : Int(entries[slot].number)
                sigma[k] = s
                // Log normalizer (continuous: log sigma + log Z; discrete: log Z), recomputed
                // only when this trial's kernel width changed since it was last computed.
                let norm: Double
                if entries[slot].sigma == s {
                    norm = entries[slot].norm
                } else {
                    let logZ = Normal.logMass((low - mu) / s, (high - mu) / s)
                    norm = isDiscrete ? logZ : log(s) + logZ
                    entries[slot].sigma = s
                    entries[slot].norm = norm
                }
                if isDiscrete {
                    if mu != runMu { runMu = mu; runPairs.removeAll(keepingCapacity: true) }
                    if let hit = runPairs.first(where: { $0.sigma == s }) {
                        pairOfKernel[k] = hit.pair
                    } else {
                        let pair = Int32(dim.pairMu.count)
                        dim.pairMu.append(mu); dim.pairSigma.append(s); dim.pairLogZ.append(norm)
                        runPairs.append((s, pair))
                        pairOfKernel[k] = pair
                    }
                } else {
                    h[k] = 0.5 / (s * s)
                    constant[k] -= norm + logSqrt2Pi
                }
            }
        }}}}}}

        // The prior kernel.
        dim.sigma[n] = range
        let priorLogZ = Normal.logMass((low - dim.mu[n]) / range, (high - dim.mu[n]) / range)
        if isDiscrete {
            dim.pairOfKernel[n] = Int32(dim.pairMu.count)
            dim.pairMu.append(dim.mu[n]); dim.pairSigma.append(range); dim.pairLogZ.append(priorLogZ)
        } else {
            dim.h[n] = 0.5 / (range * range)
            constant[n] -= log(range) + priorLogZ + logSqrt2Pi
        }
    }

    private static func resize<T: Numeric>(_ a: inout [T], _ n: Int) {
        if a.count > n { a.removeLast(a.count - n) } else if a.count < n { a.append(contentsOf: repeatElement(0, count: n - a.count)) }
    }
}

/// Settings shared by all estimators of one sampler.
struct ParzenSettings {
    var priorWeight: Double = 1
    var considerMagicClip = true
    var considerEndpoints = false
}
