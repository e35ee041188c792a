#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parameter importance from finished trials: a variance decomposition over binned
/// marginals of the rank-transformed objective (the first-order terms of fANOVA, estimated
/// by binning instead of a random forest).
///
/// For each parameter, the trials where it is active are split into bins: one per category
/// for categorical parameters, one per distinct value for numbers with few distinct values,
/// otherwise equal-count bins of the value (in log space for log-scaled parameters). The
/// importance is the between-bin sum of squares of the objective's ranks, minus the amount
/// chance alone produces with that many bins (`(k - 1)` times the within-bin mean square,
/// as in epsilon-squared), over the total sum of squares of all ranks. Ranks make one
/// diverged trial unable to dominate; the correction keeps noise parameters near zero.
///
/// Limits: it measures main effects only (a parameter that matters only together with
/// another, as in `x * y`, scores low); parameters sampled together in a correlated way
/// (as TPE does late in a study) share credit; with few trials (under ~20) the numbers are
/// rough. Conditional parameters are measured over the trials where they are active, as
/// a share of the variance of all trials.
public enum ImportanceAnalysis {
    /// Most bins per numeric parameter.
    public static let maxBins = 10

    /// Importance of every parameter of `space`, most important first (ties by space order).
    /// Returns an empty list when fewer than 3 observations are given.
    public static func compute(space: SearchSpace, observations: [ImportanceObservation]) -> [ParameterImportance] {
        let finite = observations.filter { $0.value.isFinite }
        guard finite.count >= 3 else { return [] }
        let ranks = averageRanks(finite.map(\.value))
        let mean = ranks.reduce(0, +) / Double(ranks.count)
        let total = ranks.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }

        var results: [ParameterImportance] = []
        for p in space.parameters {
            // Trials where the parameter is active: their bin keys and objective ranks.
            var keys: [Double] = [], activeRanks: [Double] = []
            for (i, o) in finite.enumerated() {
                if let v = o.params[p.name], let key = binKey(v, p.distribution) {
                    keys.append(key)
                    activeRanks.append(ranks[i])
                }
            }
            let bins = binIndices(keys, isCategorical: p.distribution.isCategorical)
            let groups = Array(zip(bins, activeRanks))
            let (explained, k) = total > 0 ? explainedShare(groups, total: total) : (0, Set(bins).count)
            results.append(ParameterImportance(name: p.name, explained: explained, share: 0, activeTrials: keys.count, bins: k))
        }
        let sum = results.reduce(0) { $0 + $1.explained }
        for i in results.indices { results[i].share = sum > 0 ? results[i].explained / sum : 0 }
        let order = Dictionary(uniqueKeysWithValues: space.parameters.enumerated().map { ($1.name, $0) })
        return results.sorted { a, b in
            a.explained != b.explained ? a.explained > b.explained : order[a.name, default: 0] < order[b.name, default: 0]
        }
    }

    /// Ranks 1...n, ties sharing their average rank.
    static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// The number a value is binned by: the choice index for categorical parameters, the
    /// value (its log for log-scaled ones) otherwise; nil if it does not fit the distribution.
    static func binKey(_ v: ParamValue, _ d: Distribution) -> Double? {
        switch d {
        case .categorical(let choices, _):
            return choices.firstIndex(of: v).map(Double.init)
        case .logUniform, .logInt, .logNormal:
            guard let x = v.number, x > 0 else { return nil }
            return log(x)
        case .uniform, .int, .normal, .beta:
            return v.number
        }
    }

    /// Bin index per value: categories and few distinct values as they are, otherwise
    /// equal-count bins (ties never split across bins).
    static func binIndices(_ values: [Double], isCategorical: Bool) -> [Int] {
        let distinct = Array(Set(values)).sorted()
        let k = binCount(values.count)
        if isCategorical || distinct.count <= k {
            let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
            return values.map { index[$0]! }
        }
        let order = values.indices.sorted { values[$0] < values[$1] }
        var out = [Int](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let bin = min(k - 1, (i * k) / order.count)
            for m in i...j { out[order[m]] = bin }
            i = j + 1
        }
        return out
    }

    /// Bins for `n` values: about sqrt(n), at least 2, at most ``maxBins``, and at least
    /// 3 values per bin on average.
    static func binCount(_ n: Int) -> Int {
        max(2, min(maxBins, Int(Double(n).squareRoot()), n / 3))
    }

    /// The bias-corrected between-bin share of `total`, and the number of non-empty bins.
    static func explainedShare(_ groups: [(Int, Double)], total: Double) -> (Double, Int) {
        var sums: [Int: (n: Double, sum: Double)] = [:]
        for (b, r) in groups { sums[b, default: (0, 0)].n += 1; sums[b]!.sum += r }
        let k = sums.count
        let m = Double(groups.count)
        guard k >= 2, groups.count > k else { return (0, k) }
        let grand = groups.reduce(0) { $0 + $1.1 } / m
        var between = 0.0
        for (_, s) in sums { let mu = s.sum / s.n; between += s.n * (mu - grand) * (mu - grand) }
        var within = 0.0
        for (b, r) in groups { let mu = sums[b]!.sum / sums[b]!.n; within += (r - mu) * (r - mu) }
        let meanSquareWithin = within / (m - Double(k))
        let corrected = between - Double(k - 1) * meanSquareWithin
        return (min(1, max(0, corrected / total)), k)
    }
}

extension Distribution {
    /// Whether values are choices rather than numbers on an axis.
    public var isCategorical: Bool {
        if case .categorical = self { return true }
        return false
    }
}
