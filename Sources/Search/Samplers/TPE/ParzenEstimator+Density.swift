#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ParzenEstimator {
    /// Kernels per block: one block's centres and widths stay in L1 cache while every
    /// candidate is scored against it.
    static let blockSize = 256
    /// Terms more than this many nats below the running maximum are skipped: each is below
    /// e^-40 of the largest, so even 10^6 of them change the sum by less than 1e-11.
    static let negligible = -40.0

    /// The log density of the mixture at `count` points given per dimension (numeric: the
    /// parameter's own units; categorical: choice index). Exact log-sum-exp over all
    /// kernels, evaluated block by block with a running maximum.
    func logDensity(at points: [[Double]], count: Int) -> [Double] {
        let K = kernelCount
        let logSqrt2Pi = Normal.logSqrt2Pi

        // Per-kernel constants and per-dimension arrays in evaluation-friendly form.
        var constant = logWeights
        var continuous: [(x: [Double], mu: [Double], h: [Double])] = []
        var discrete: [(tables: [[Double]], pair: [Int32])] = []
        var categorical: [(x: [Double], mu: [Double], boost: Double)] = []
        for (d, dim) in dimensions.enumerated() {
            switch dim.kind {
            case .continuous:
                let axis = dim.axis!
                var h = [Double](repeating: 0, count: K)
                for k in 0..<K {
                    let s = dim.sigma[k]
                    h[k] = 0.5 / (s * s)
                    constant[k] -= log(s) + logSqrt2Pi + dim.logZ[k]
                }
                continuous.append((points[d].map { axis.transform($0) }, dim.mu, h))
            case .discrete(let step):
                let axis = dim.axis!
                // One table of log masses per distinct candidate value.
                var tables: [[Double]] = []
                var cache: [Double: Int] = [:]
                var tableOf = [Int](repeating: 0, count: count)
                for c in 0..<count {
                    let x = points[d][c]
                    if let i = cache[x] { tableOf[c] = i; continue }
                    let left = axis.transform(x - step / 2), right = axis.transform(x + step / 2)
                    var table = [Double](repeating: 0, count: dim.pairMu.count)
                    for j in 0..<dim.pairMu.count {
                        let mu = dim.pairMu[j], s = dim.pairSigma[j]
                        table[j] = Normal.logMass((left - mu) / s, (right - mu) / s) - dim.pairLogZ[j]
                    }
                    cache[x] = tables.count
                    tableOf[c] = tables.count
                    tables.append(table)
                }
                discrete.append((tableOf.map { tables[$0] }, dim.pairOfKernel))
            case .categorical(let choices):
                if K == 1 {
                    constant[0] += log(1 / Double(choices))
                } else {
                    for k in 0..<(K - 1) { constant[k] += dim.logBase }
                    constant[K - 1] += log(1 / Double(choices))
                }
                categorical.append((points[d], dim.mu, dim.logBoost))
            }
        }

        var runMax = [Double](repeating: -.infinity, count: count)
        var runSum = [Double](repeating: 0, count: count)
        let B = Self.blockSize
        var q = [Double](repeating: 0, count: B)
        q.withUnsafeMutableBufferPointer { qb in
            let q = qb.baseAddress!
            constant.withUnsafeBufferPointer { cb in
                var start = 0
                while start < K {
                    let len = min(B, K - start)
                    for c in 0..<count {
                        for i in 0..<len { q[i] = cb[start + i] }
                        for dim in continuous {
                            let x = dim.x[c]
                            dim.mu.withUnsafeBufferPointer { mb in
                                dim.h.withUnsafeBufferPointer { hb in
                                    let mu = mb.baseAddress! + start, h = hb.baseAddress! + start
                                    for i in 0..<len {
                                        let diff = x - mu[i]
                                        q[i] -= diff * diff * h[i]
                                    }
                                }
                            }
                        }
                        for dim in discrete {
                            dim.tables[c].withUnsafeBufferPointer { tb in
                                dim.pair.withUnsafeBufferPointer { pb in
                                    for i in 0..<len { q[i] += tb[Int(pb[start + i])] }
                                }
                            }
                        }
                        for dim in categorical {
                            let x = dim.x[c], boost = dim.boost
                            dim.mu.withUnsafeBufferPointer { mb in
                                for i in 0..<len where mb[start + i] == x { q[i] += boost }
                            }
                        }
                        var m = -Double.infinity
                        for i in 0..<len { m = max(m, q[i]) }
                        if m > runMax[c] {
                            if runSum[c] > 0 { runSum[c] *= exp(runMax[c] - m) }
                            runMax[c] = m
                        }
                        let top = runMax[c]
                        var s = 0.0
                        for i in 0..<len {
                            let e = q[i] - top
                            if e > Self.negligible { s += exp(e) }
                        }
                        runSum[c] += s
                    }
                    start += len
                }
            }
        }
        return (0..<count).map { runMax[$0] + log(runSum[$0]) }
    }
}
