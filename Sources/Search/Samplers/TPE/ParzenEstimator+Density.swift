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
    /// kernels, evaluated block by block with a running maximum. The kernel exponent of
    /// the continuous and categorical dimensions is computed four kernels at a time in one
    /// pass; grid dimensions add precomputed per-cell masses.
    func logDensity(at points: [[Double]], count: Int) -> [Double] {
        if let sorted, let axis = dimensions[0].axis {
            return points[0].prefix(count).map { sorted.logDensity(axis.transform($0)) }
        }
        let K = kernelCount
        var contX: [[Double]] = [], contMu: [[Double]] = [], contH: [[Double]] = []
        var catX: [[Double]] = [], catMu: [[Double]] = [], catBoost: [Double] = []
        var discTables: [[[Double]]] = [], discPairs: [[Int32]] = []
        for (d, dim) in dimensions.enumerated() {
            switch dim.kind {
            case .continuous:
                let axis = dim.axis!
                contX.append(points[d].map { axis.transform($0) })
                contMu.append(dim.mu)
                contH.append(dim.h)
            case .discrete(let step):
                discTables.append(Self.massTables(dim, step: step, points: points[d]))
                discPairs.append(dim.pairOfKernel)
            case .categorical:
                catX.append(points[d])
                catMu.append(dim.mu)
                catBoost.append(dim.logBoost)
            }
        }
        let nCont = contMu.count
        // Per candidate, its coordinates laid out for the inner loop.
        let candCont = (0..<count).map { c in contX.map { $0[c] } }
        let candCat = (0..<count).map { c in catX.map { $0[c] } }

        // Upper bound of what the categorical and grid dimensions can add to an exponent
        // (continuous dimensions only subtract): lets a group of kernels be skipped once
        // its first continuous dimensions already put it out of reach.
        let catSlack = catBoost.reduce(0) { $0 + max(0, $1) }
        let slack = (0..<count).map { c in discTables.reduce(catSlack) { $0 + max(0, $1[c].max() ?? 0) } }

        var runMax = [Double](repeating: -.infinity, count: count)
        var runSum = [Double](repeating: 0, count: count)
        let B = Self.blockSize
        let q = UnsafeMutablePointer<Double>.allocate(capacity: B)
        defer { q.deallocate() }
        Self.withPointers(contMu + contH + catMu) { arrays in
            let mus = Array(arrays[0..<nCont]), hs = Array(arrays[nCont..<(2 * nCont)])
            let cats = Array(arrays[(2 * nCont)...])
            constant.withUnsafeBufferPointer { cb in
                let constant = cb.baseAddress!
                // Newest kernels first: in a TPE study they sit where the candidates are
                // drawn, so the running maximum is high early and more groups are skipped.
                var end = K
                while end > 0 {
                    let start = max(0, end - B), len = end - start
                    for c in 0..<count {
                        let floor = runMax[c] + Self.negligible - slack[c]
                        mus.withUnsafeBufferPointer { mus in
                        hs.withUnsafeBufferPointer { hs in
                        cats.withUnsafeBufferPointer { cats in
                        candCont[c].withUnsafeBufferPointer { x in
                        candCat[c].withUnsafeBufferPointer { catX in
                        catBoost.withUnsafeBufferPointer { boosts in
                            Self.exponents(q, len: len, start: start, constant: constant, mus: mus, hs: hs,
                                           x: x, cats: cats, catX: catX, boosts: boosts, floor: floor)
                        }}}}}}
                        for (t, tables) in discTables.enumerated() {
                            tables[c].withUnsafeBufferPointer { tb in
                                discPairs[t].withUnsafeBufferPointer { pb in
                                    for i in 0..<len { q[i] += tb[Int(pb[start + i])] }
                                }
                            }
                        }
                        let m = Self.maximum(q, len)
                        if m > runMax[c] {
                            if runSum[c] > 0 { runSum[c] *= exp(runMax[c] - m) }
                            runMax[c] = m
                        }
                        runSum[c] += Self.sumExp(q, len, minus: runMax[c])
                    }
                    end = start
                }
            }
        }
        return (0..<count).map { runMax[$0] + log(runSum[$0]) }
    }

    /// How many continuous dimensions are summed before checking whether a group of four
    /// kernels can still matter.
    static let dimensionsBeforeCheck = 2

    /// q[i] = constant[start + i] - sum over continuous dimensions of
    /// h (x - mu)^2, plus the categorical boosts, for `len` kernels from `start`. A group
    /// of four kernels whose partial exponent is already below `floor` after the first
    /// continuous dimensions gets -infinity without the rest (exact: the rest can only lower
    /// it by more than what the slack in `floor` allows for).
    @inline(__always)
    private static func exponents(_ q: UnsafeMutablePointer<Double>, len: Int, start: Int,
                                  constant: UnsafePointer<Double>, mus: UnsafeBufferPointer<UnsafePointer<Double>>,
                                  hs: UnsafeBufferPointer<UnsafePointer<Double>>, x: UnsafeBufferPointer<Double>,
                                  cats: UnsafeBufferPointer<UnsafePointer<Double>>, catX: UnsafeBufferPointer<Double>,
                                  boosts: UnsafeBufferPointer<Double>, floor: Double) {
        typealias V = SIMD4<Double>
        let nCont = mus.count, nCat = cats.count
        let check = nCont > dimensionsBeforeCheck ? dimensionsBeforeCheck : nCont + 1
        let floor4 = V(repeating: floor)
        var i = 0
        groups: while i + 4 <= len {
            let k = start + i
            var acc = UnsafeRawPointer(constant + k).loadUnaligned(as: V.self)
            for d in 0..<nCont {
                if d == check && !any(acc .> floor4) {
                    UnsafeMutableRawPointer(q + i).storeBytes(of: V(repeating: -.infinity), as: V.self)
                    i += 4
                    continue groups
                }
                let mu = UnsafeRawPointer(mus[d] + k).loadUnaligned(as: V.self)
                let h = UnsafeRawPointer(hs[d] + k).loadUnaligned(as: V.self)
                let diff = V(repeating: x[d]) - mu
                acc -= diff * diff * h
            }
            for d in 0..<nCat {
                let observed = UnsafeRawPointer(cats[d] + k).loadUnaligned(as: V.self)
                acc += V(repeating: 0).replacing(with: boosts[d], where: observed .== V(repeating: catX[d]))
            }
            UnsafeMutableRawPointer(q + i).storeBytes(of: acc, as: V.self)
            i += 4
        }
        while i < len {
            let k = start + i
            var acc = constant[k]
            for d in 0..<nCont {
                let diff = x[d] - mus[d][k]
                acc -= diff * diff * hs[d][k]
            }
            for d in 0..<nCat where cats[d][k] == catX[d] { acc += boosts[d] }
            q[i] = acc
            i += 1
        }
    }

    /// Calls `body` with pointers to the storage of every array (kept alive and unchanged
    /// for the duration).
    private static func withPointers<R>(_ arrays: [[Double]], _ body: ([UnsafePointer<Double>]) -> R) -> R {
        var pointers: [UnsafePointer<Double>] = []
        pointers.reserveCapacity(arrays.count)
        func nest(_ i: Int) -> R {
            if i == arrays.count { return body(pointers) }
            return arrays[i].withUnsafeBufferPointer { p in
                pointers.append(p.baseAddress!)
                return nest(i + 1)
            }
        }
        return nest(0)
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
            let v = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
            m4.replace(with: v, where: v .> m4)
            i += 4
        }
        var m = m4.max()
        while i < n { m = Swift.max(m, q[i]); i += 1 }
        return m
    }

    /// Sum of exp(q[i] - top) over the terms that are not negligible, four at a time;
    /// groups of four that are all negligible are skipped.
    @inline(__always)
    private static func sumExp(_ q: UnsafeMutablePointer<Double>, _ n: Int, minus top: Double) -> Double {
        typealias V = SIMD4<Double>
        let threshold = top + negligible
        let t4 = V(repeating: threshold), top4 = V(repeating: top), zero = V(repeating: 0)
        let raw = UnsafeRawPointer(q)
        var s4 = zero
        var i = 0
        while i + 4 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 8, as: V.self)
            let live = v .> t4
            if any(live) {
                let e = exp4((v - top4).replacing(with: zero, where: .!live))
                s4 += e.replacing(with: zero, where: .!live)
            }
            i += 4
        }
        var s = s4.sum()
        while i < n {
            if q[i] > threshold { s += exp(q[i] - top) }
            i += 1
        }
        return s
    }
}
