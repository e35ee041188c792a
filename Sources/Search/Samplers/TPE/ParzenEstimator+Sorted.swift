#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bad group's kernels of a single continuous parameter in value order, in blocks with
/// bounds, so a point's density only visits the blocks that can matter.
///
/// A block's kernels can contribute at most `maxConstant - minH * d^2` to the exponent at
/// a point at distance `d` from the block's value range; blocks whose bound is more than
/// `negligible` below the running maximum are skipped. The block holding the point is
/// evaluated first, so the maximum is high from the start. Exact like the general path.
struct SortedKernels {
    static let blockSize = 16

    var mu: [Double] = []
    var h: [Double] = []
    var constant: [Double] = []
    /// Per block: lowest and highest centre, largest constant, smallest h.
    var low: [Double] = []
    var high: [Double] = []
    var maxConstant: [Double] = []
    var minH: [Double] = []
    /// The prior kernel (not in the blocks).
    var priorMu = 0.0, priorH = 0.0, priorConstant = 0.0

    /// Gathers the member kernels of the trial-ordered estimator in the order of `entries`.
    init(entries: [TPEObservations.MuEntry], isMember: [Bool], dimension dim: ParzenEstimator.Dimension,
         constant: [Double]) {
        let prior = dim.mu.count - 1
        mu.reserveCapacity(entries.count)
        h.reserveCapacity(entries.count)
        self.constant.reserveCapacity(entries.count)
        entries.withUnsafeBufferPointer { entries in
        isMember.withUnsafeBufferPointer { member in
        dim.h.withUnsafeBufferPointer { dh in
        constant.withUnsafeBufferPointer { dc in
            for e in entries where member[Int(e.number)] {
                let t = Int(e.number)
                mu.append(e.mu)
                h.append(dh[t])
                self.constant.append(dc[t])
            }
        }}}}
        priorMu = dim.mu[prior]
        priorH = dim.h[prior]
        priorConstant = constant[prior]
        let blocks = (mu.count + Self.blockSize - 1) / Self.blockSize
        low.reserveCapacity(blocks); high.reserveCapacity(blocks)
        maxConstant.reserveCapacity(blocks); minH.reserveCapacity(blocks)
        mu.withUnsafeBufferPointer { mu in
        h.withUnsafeBufferPointer { h in
        self.constant.withUnsafeBufferPointer { c in
            var start = 0
            while start < mu.count {
                let end = min(start + Self.blockSize, mu.count)
                var top = -Double.infinity, narrowest = Double.infinity
                for i in start..<end {
                    top = max(top, c[i])
                    narrowest = min(narrowest, h[i])
                }
                low.append(mu[start])
                high.append(mu[end - 1])
                maxConstant.append(top)
                minH.append(narrowest)
                start = end
            }
        }}}
    }

    /// The log density at `x` (sampler units).
    func logDensity(_ x: Double) -> Double {
        var top = priorConstant - priorH * (x - priorMu) * (x - priorMu)
        var sum = 1.0
        guard !low.isEmpty else { return top + log(sum) }
        let negligible = ParzenEstimator.negligible
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: Self.blockSize) { q in
        mu.withUnsafeBufferPointer { mu in
        h.withUnsafeBufferPointer { h in
        constant.withUnsafeBufferPointer { c in
            func add(block b: Int) {
                let start = b * Self.blockSize, end = min(start + Self.blockSize, mu.count)
                let len = end - start
                var m = -Double.infinity
                for i in 0..<len {
                    let d = x - mu[start + i]
                    let v = c[start + i] - h[start + i] * d * d
                    q[i] = v
                    m = max(m, v)
                }
                if m > top {
                    sum *= exp(top - m)
                    top = m
                }
                let floor = top + negligible
                var i = 0
                var s4 = SIMD4<Double>(repeating: 0)
                let raw = UnsafeRawPointer(q.baseAddress!)
                while i + 4 <= len {
                    let v = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
                    let live = v .> SIMD4(repeating: floor)
                    if any(live) {
                        let e = exp4((v - SIMD4(repeating: top)).replacing(with: 0, where: .!live))
                        s4 += e.replacing(with: 0, where: .!live)
                    }
                    i += 4
                }
                sum += s4.sum()
                while i < len {
                    if q[i] > floor { sum += exp(q[i] - top) }
                    i += 1
                }
            }
            // The block holding x (or the nearest) first, then every block that can matter.
            var lo = 0, hi = low.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if low[mid] <= x { lo = mid + 1 } else { hi = mid }
            }
            let first = max(0, lo - 1)
            add(block: first)
            low.withUnsafeBufferPointer { low in
            high.withUnsafeBufferPointer { high in
            maxConstant.withUnsafeBufferPointer { maxC in
            minH.withUnsafeBufferPointer { minH in
                for b in 0..<low.count where b != first {
                    let d = x < low[b] ? low[b] - x : x > high[b] ? x - high[b] : 0
                    if maxC[b] - minH[b] * d * d > top + negligible { add(block: b) }
                }
            }}}}
            return top + log(sum)
        }}}}
    }
}
