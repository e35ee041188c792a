#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// SIMD loops over raw buffers for the elementwise work of a training step.
///
/// Pointers may be unaligned (parameter blocks start anywhere), so the loops load and store
/// through unaligned SIMD accesses; each function has a scalar tail.
enum VectorOps {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Lane-wise square root. `Float.squareRoot()` goes through C's `sqrtf` on Linux, whose
    /// errno handling keeps LLVM from vectorizing it (8 scalar calls per vector); SSE's
    /// `sqrtps` is baseline on x86-64 and becomes one 256-bit `vsqrtps` with AVX.
    @inline(__always)
    static func sqrt(_ v: V) -> V {
        #if arch(x86_64)
        return V(lowHalf: _mm_sqrt_ps(v.lowHalf), highHalf: _mm_sqrt_ps(v.highHalf))
        #else
        return v.squareRoot()
        #endif
    }

    /// `y[i] += x[i]` over `n` elements.
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n {
            store(load(y + i) + load(x + i), y + i)
            i += 8
        }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// `y[i] *= s`.
    static func scale(_ y: UnsafeMutablePointer<Float>, by s: Float, count n: Int) {
        let sv = V(repeating: s)
        var i = 0
        while i + 8 <= n {
            store(load(y + i) * sv, y + i)
            i += 8
        }
        while i < n { y[i] *= s; i += 1 }
    }

    /// Sum of squares in double precision (blocks of 8 accumulated in float first).
    static func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var total = 0.0
        var i = 0
        while i + 8 <= n {
            var acc = V.zero
            let end = min(n, i + 1024) & ~7
            while i < end {
                let v = load(x + i)
                acc += v * v
                i += 8
            }
            total += Double(acc.sum())
        }
        while i < n { total += Double(x[i] * x[i]); i += 1 }
        return total
    }

    /// `sums[j] = sum_r m[r, j]` for a row-major `rows` x `cols` matrix (bias gradients).
    static func columnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
        sums.update(repeating: 0, count: cols)
        for r in 0..<rows { add(m + r * cols, into: sums, count: cols) }
    }

    /// Adds `bias` to every row of a row-major `rows` x `cols` matrix.
    static func addRowVector(_ bias: UnsafePointer<Float>, to m: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows { add(bias, into: m + r * cols, count: cols) }
    }

    /// Copies `rows` rows of width `width` from `source` at `indices[start..<start+rows]`.
    static func gatherRows(
        _ source: UnsafePointer<Float>, width: Int, indices: UnsafePointer<Int32>, count rows: Int,
        into destination: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            (destination + r * width).update(from: source + Int(indices[r]) * width, count: width)
        }
    }
}
