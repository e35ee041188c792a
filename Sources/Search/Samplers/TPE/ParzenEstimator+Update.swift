#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ParzenEstimator {
    /// Updates the bad group's estimator in the trial-number layout: kernel `t` is trial
    /// `t` (weight 0 unless `isMember[t]`), kernel `trialCount` is the prior.
    ///
    /// Kernels of trials that stay members keep their width and normalizer; only kernels
    /// whose width changed (neighbours of trials that joined or left, new trials) are
    /// recomputed, found in one sequential pass over the cached sorted values. Everything
    /// is recomputed when the previous state is not usable (first call, another group, a
    /// rebuilt history, or another estimator wrote the parameter's cached widths since).
    func update(group: [Int], isMember: [Bool], members n: Int, observations obs: TPEObservations,
                settings: ParzenSettings, logWeights: LogWeights) {
        let trials = obs.trialCount
        let K = trials + 1
        kernelCount = K
        let me = ObjectIdentifier(self)
        let epoch = (ObjectIdentifier(obs), obs.epoch)
        let reusable = (lastEpoch.map { $0 == epoch } ?? false) && lastGroup == group
        if dimensions.count != group.count { dimensions = Array(repeating: Dimension(), count: group.count) }
        // Trials that joined or left since last time. Widths depend on the member count
        // through the magic clip until it saturates at 98 members.
        let sameClip = lastCount == n || (lastCount >= 98 && n >= 98)
        var changed: [Int32] = []
        if reusable {
            isMember.withUnsafeBufferPointer { now in
                lastMember.withUnsafeBufferPointer { before in
                    for t in 0..<trials where now[t] != (t < before.count && before[t]) { changed.append(Int32(t)) }
                }
            }
        }

        for (d, p) in group.enumerated() {
            dimensions[d].parameter = p
            let column = obs.mus[p]
            switch obs.axes[p] {
            case .categorical(let choices, _):
                Self.copyCentres(&dimensions[d].mu, column, prior: -1)
                Self.setCategorical(&dimensions[d], choices.count, members: n, kernels: K, settings)
            case .numeric(let axis):
                let incremental = reusable && sameClip && axis.step == nil && obs.widthOwner[p] == me
                Self.setNumeric(&dimensions[d], axis, kernels: K)
                Self.copyCentres(&dimensions[d].mu, column, prior: 0.5 * (dimensions[d].low + dimensions[d].high))
                if !incremental { dimensions[d].sigma.withUnsafeMutableBufferPointer { $0.update(repeating: .nan) } }
                if axis.step != nil { dimensions[d].pairOfKernel.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
                obs.byMu[p].withUnsafeMutableElements { e in
                    if incremental {
                        Self.refreshWidths(&dimensions[d], entries: e, members: n, isMember: isMember,
                                           changed: changed, column: column, settings: settings)
                    } else {
                        Self.widths(&dimensions[d], entries: e, members: n, isMember: isMember, settings: settings,
                                    force: true)
                    }
                }
                obs.widthOwner[p] = me
            }
        }

        // Constants: log of the ramp weight by rank among members in trial order; -infinity
        // for non-members.
        let logs = logWeights.logs(members: n, priorWeight: settings.priorWeight)
        if constant.count != K { constant = [Double](repeating: 0, count: K) }
        constant.withUnsafeMutableBufferPointer { c in
            isMember.withUnsafeBufferPointer { member in
                logs.withUnsafeBufferPointer { logs in
                    var rank = 0
                    for t in 0..<trials {
                        if member[t] {
                            c[t] = logs[rank]
                            rank += 1
                        } else {
                            c[t] = -.infinity
                        }
                    }
                }
            }
            c[trials] = logs[n]
        }
        foldTerms()
        // One continuous parameter: also keep the kernels in value order, for the
        // windowed density.
        sorted = nil
        if group.count == 1, case .continuous = dimensions[0].kind {
            sorted = SortedKernels(entries: obs.byMu[group[0]].elements, isMember: isMember,
                                   dimension: dimensions[0], constant: constant)
        }
        lastMember = Array(isMember[0..<trials])
        lastCount = n
        lastGroup = group
        lastEpoch = epoch
    }

    /// Recomputes, in a continuous dimension, only the widths that can have changed: those
    /// of the `changed` trials (joined or left) and of their nearest member neighbours in
    /// sorted order. A width depends only on its two neighbours (or a bound), so nothing
    /// else moves. Kernels whose width is unchanged keep their slot.
    static func refreshWidths(_ dim: inout Dimension, entries e: UnsafeMutableBufferPointer<TPEObservations.MuEntry>,
                              members n: Int, isMember: [Bool], changed: [Int32], column: [Double],
                              settings: ParzenSettings) {
        let low = dim.low, high = dim.high, range = high - low
        let minSigma = settings.considerMagicClip ? range / min(100, 1 + Double(n + 1)) : 1e-12
        let endpoints = settings.considerEndpoints
        let logSqrt2Pi = Normal.logSqrt2Pi
        isMember.withUnsafeBufferPointer { member in
            func isIn(_ i: Int) -> Bool { member[Int(e[i].number)] }
            func previous(before i: Int) -> Int? {
                var j = i - 1
                while j >= 0 && !isIn(j) { j -= 1 }
                return j >= 0 ? j : nil
            }
            func next(from i: Int) -> Int? {
                var j = i
                while j < e.count && !isIn(j) { j += 1 }
                return j < e.count ? j : nil
            }
            func recompute(_ i: Int) {
                let mu = e[i].mu
                let p = previous(before: i), q = next(from: i + 1)
                let left = p.map { e[$0].mu } ?? low, right = q.map { e[$0].mu } ?? high
                var s = max(mu - left, right - mu)
                if !endpoints && n >= 2 {
                    if p == nil { s = right - mu } else if q == nil { s = mu - left }
                }
                s = min(max(s, minSigma), range)
                guard e[i].sigma != s else { return }
                let norm = log(s) + Normal.logMass((low - mu) / s, (high - mu) / s)
                e[i].sigma = s
                e[i].norm = norm
                let t = Int(e[i].number)
                dim.sigma[t] = s
                dim.h[t] = 0.5 / (s * s)
                dim.term[t] = -(norm + logSqrt2Pi)
            }
            for t in changed {
                let mu = column[Int(t)]
                guard !mu.isNaN else { continue }
                let key = TPEObservations.MuEntry(mu: mu, number: t)
                var lo = 0, hi = e.count
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if e[mid] < key { lo = mid + 1 } else { hi = mid }
                }
                let found = lo < e.count && e[lo] == key
                if found && isIn(lo) { recompute(lo) }
                if let p = previous(before: lo) { recompute(p) }
                if let q = next(from: found ? lo + 1 : lo) { recompute(q) }
            }
        }
        setPrior(&dim)
    }

    /// Kernel centres in trial order (NaN, for trials without the parameter, becomes 0 so it
    /// cannot poison the arithmetic of weightless kernels), then the prior's.
    static func copyCentres(_ mu: inout [Double], _ column: [Double], prior: Double) {
        let n = column.count
        if mu.count != n + 1 { mu = [Double](repeating: 0, count: n + 1) }
        mu.withUnsafeMutableBufferPointer { m in
            column.withUnsafeBufferPointer { c in
                for t in 0..<n { m[t] = c[t].isNaN ? 0 : c[t] }
            }
            m[n] = prior
        }
    }
}

/// The normalized log weights of `n` observations (Optuna's ramp) plus the prior, for the
/// last `n` asked: every group with the same member count shares them.
final class LogWeights {
    private var key: (n: Int, priorWeight: Double)?
    private var cached: [Double] = []

    /// log(w_i / total) for i < n, then log(prior / total) at index n.
    func logs(members n: Int, priorWeight: Double) -> [Double] {
        if let key, key.n == n, key.priorWeight == priorWeight { return cached }
        var w = TPEDefaults.weights(n)
        w.append(n == 0 ? 1 : priorWeight)
        let logTotal = log(w.reduce(0, +))
        cached = w.map { log($0) - logTotal }
        key = (n, priorWeight)
        return cached
    }
}
