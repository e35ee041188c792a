#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ParzenEstimator {
    /// Kernels per block: one block's centres and widths stay in L1 cache while every
    /// candidate is scored against it.
    static let blockSize = 512
    /// Terms more than this many nats below the running maximum are skipped: each is below
    /// e^-40 of the largest, so even 10^6 of them change the sum by less than 1e-11.
    static let negligible = -40.0

    /// The log density of the mixture at `count` points given per dimension (numeric: the
    /// parameter's own units; categorical: choice index). Exact log-sum-exp over all
    /// kernels, evaluated block by block with a running maximum; the inner loops are
    /// straight array arithmetic that the compiler vectorizes.
    func logDensity(at points: [[Double]], count: Int) -> [Double] {
        let K = kernelCount
        var continuous: [(x: [Double], dim: Dimension)] = []
        var discrete: [(tables: [[Double]], dim: Dimension)] = []
        var categorical: [(x: [Double], dim: Dimension)] = []
        for (d, dim) in dimensions.enumerated() {
            switch dim.kind {
            case .continuous:
                let axis = dim.axis!
                continuous.append((points[d].map { axis.transform($0) }, dim))
            case .discrete(let step):
                discrete.append((Self.massTables(dim, step: step, points: points[d]), dim))
            case .categorical:
                categorical.append((points[d], dim))
            }
        }

        var runMax = [Double](repeating: -.infinity, count: count)
        var runSum = [Double](repeating: 0, count: count)
        let B = Self.blockSize
        let q = UnsafeMutablePointer<Double>.allocate(capacity: B + 4)
        defer { q.deallocate() }
        constant.withUnsafeBufferPointer { cb in
            var start = 0
            while start < K {
                let len = min(B, K - start)
                for c in 0..<count {
                    q.update(from: cb.baseAddress! + start, count: len)
                    for (xs, dim) in continuous {
                        let x = xs[c]
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
                    for (tables, dim) in discrete {
                        tables[c].withUnsafeBufferPointer { tb in
                            dim.pairOfKernel.withUnsafeBufferPointer { pb in
                                let pair = pb.baseAddress! + start
                                for i in 0..<len { q[i] += tb[Int(pair[i])] }
                            }
                        }
                    }
                    for (xs, dim) in categorical {
                        let x = xs[c], boost = dim.logBoost
                        dim.mu.withUnsafeBufferPointer { mb in
                            let mu = mb.baseAddress! + start
                            for i in 0..<len { q[i] += mu[i] == x ? boost : 0 }
                        }
                    }
                    let m = Self.maximum(q, len)
                    if m > runMax[c] {
                        if runSum[c] > 0 { runSum[c] *= exp(runMax[c] - m) }
                        runMax[c] = m
                    }
                    runSum[c] += Self.sumExp(q, len, minus: runMax[c])
                }
                start += len
            }
        }
        return (0..<count).map { runMax[$0] + log(runSum[$0]) }
    }

    /// Per point, the log mass of each distinct kernel over the point's grid cell, minus the
    /// kernel's log normalizer. Points with the same value share a table.
    private static func massTables(_ dim: Dimension, step: Double, points: [Double]) -> [[Double]] {
        let axis = dim.axis!
        var tables: [[Double]] = []
        var index: [Double: Int] = [:]
        return points.map { x in
            if let i = index[x] { return tables[i] }
            let left = axis.transform(x - step / 2), right = axis.transform(x + step / 2)
            var table = [Double](repeating: 0, count: dim.pairMu.count)
            for j in 0..<dim.pairMu.count {
                let mu = dim.pairMu[j], s = dim.pairSigma[j]
                table[j] = Normal.logMass((left - mu) / s, (right - mu) / s) - dim.pairLogZ[j]
            }
            index[x] = tables.count
            tables.append(table)
            return table
        }
    }

    /// The largest of `q[0..<n]`, four lanes at a time.
    @inline(__always)
    private static func maximum(_ q: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var m4 = SIMD4<Double>(repeating: -.infinity)
        var i = 0
        let raw = UnsafeRawPointer(q)
        while i + 4 <= n {
            m4 = pointwiseMax(m4, raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self))
            i += 4
        }
        var m = m4.max()
        while i < n { m = Swift.max(m, q[i]); i += 1 }
        return m
    }

    /// Sum of exp(q[i] - top) over the terms that are not negligible; groups of four that
    /// are all negligible are skipped without calling exp.
    @inline(__always)
    private static func sumExp(_ q: UnsafeMutablePointer<Double>, _ n: Int, minus top: Double) -> Double {
        let threshold = top + negligible
        let t4 = SIMD4<Double>(repeating: threshold)
        let raw = UnsafeRawPointer(q)
        var s = 0.0
        var i = 0
        while i + 4 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
            if any(v .> t4) {
                for j in i..<(i + 4) where q[j] > threshold { s += exp(q[j] - top) }
            }
            i += 4
        }
        while i < n {
            if q[i] > threshold { s += exp(q[i] - top) }
            i += 1
        }
        return s
    }
}
