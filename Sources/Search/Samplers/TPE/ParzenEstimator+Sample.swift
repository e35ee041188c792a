import Randomness

extension ParzenEstimator {
    /// Draws `count` points from the mixture: a kernel by weight, then each dimension from
    /// that kernel (a truncated normal, snapped to the grid for grid parameters; a choice for
    /// categorical ones). Returns, per dimension, the values (numeric: the parameter's own
    /// units; categorical: the choice index).
    func sample(count: Int, rng: inout SeededGenerator) -> [[Double]] {
        var out = [[Double]](repeating: [Double](repeating: 0, count: count), count: dimensions.count)
        var cumulative = [Double](repeating: 0, count: weights.count)
        var acc = 0.0
        for (k, w) in weights.enumerated() { acc += w; cumulative[k] = acc }
        cumulative[cumulative.count - 1] = 1
        let prior = kernelCount - 1
        for c in 0..<count {
            let u = rng.nextDouble()
            var k = 0
            while k < prior && cumulative[k] <= u { k += 1 }
            for (d, dim) in dimensions.enumerated() {
                switch dim.kind {
                case .categorical(let choices):
                    let q = rng.nextDouble()
                    out[d][c] = Double(Self.drawChoice(dim, kernel: k, isPrior: k == prior, choices: choices, q: q))
                case .continuous, .discrete:
                    let axis = dim.axis!
                    let mu = dim.mu[k], s = dim.sigma[k]
                    let z = Normal.truncatedQuantile(u: rng.nextDouble(), a: (dim.low - mu) / s, b: (dim.high - mu) / s)
                    let x = axis.untransform(z * s + mu)
                    if let step = axis.step {
                        out[d][c] = min(max(axis.low + ((x - axis.low) / step).rounded(.toNearestOrEven) * step, axis.low), axis.high)
                    } else {
                        out[d][c] = x
                    }
                }
            }
        }
        return out
    }

    /// A choice from kernel `k`'s categorical distribution (Optuna: the number of cumulative
    /// probabilities below `q`).
    private static func drawChoice(_ dim: Dimension, kernel k: Int, isPrior: Bool, choices: Int, q: Double) -> Int {
        if isPrior { return min(Int(q * Double(choices)), choices - 1) }
        let observed = Int(dim.mu[k])
        var acc = 0.0
        for j in 0..<(choices - 1) {
            acc += j == observed ? dim.boosted : dim.base
            if acc >= q { return j }
        }
        return choices - 1
    }
}
