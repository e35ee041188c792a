import COpenBLAS

/// Row-major single-precision matrix products through OpenBLAS, with optional timing.
///
/// All matrix products of the engine go through `multiply`, so the time spent in sgemm can
/// be measured in one place (the share of a step spent in BLAS is a benchmark output).
final class Gemm {
    /// Accumulated seconds inside `cblas_sgemm` while `timing` is on.
    var seconds: Double = 0
    var timing = false

    /// One BLAS thread per process: parallelism comes from worker processes.
    static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// `count` BLAS threads for this process's products (a worker that owns several cores).
    static func useThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// `C = alpha * op(A) * op(B) + beta * C` for row-major `op(A)`: m x k, `op(B)`: k x n, C: m x n.
    @inline(__always)
    func multiply(
        _ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0
    ) {
        let start = timing ? Stopwatch.now() : 0
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        if timing { seconds += Stopwatch.now() - start }
    }
}
