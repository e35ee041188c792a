/// The throughput a dense net's matrix products alone allow on this machine.
///
/// Runs exactly the sgemm calls of a training step (forward products, kernel gradients,
/// input gradients except for the first layer) for `samples` samples, with nothing else,
/// and returns samples per second. Training throughput divided by this is the fraction of
/// the BLAS ceiling reached; the rest is the overhead outside sgemm.
public enum GemmCeiling {
    /// Samples/s of the sgemm calls alone for a net with these layer widths (input first).
    public static func samplesPerSecond(widths: [Int], batchSize: Int, samples: Int) -> Double {
        precondition(widths.count >= 2 && batchSize > 0)
        Gemm.useSingleThread()
        let gemm = Gemm()
        let b = batchSize
        let layers = zip(widths, widths.dropFirst()).map { (inputs: $0, units: $1) }
        let kernels = layers.map { FloatBuffer(count: $0.inputs * $0.units) }
        let gradients = layers.map { FloatBuffer(count: $0.inputs * $0.units) }
        let activations = widths.map { FloatBuffer(count: b * $0) }
        let deltas = widths.map { FloatBuffer(count: b * $0) }
        for buffer in kernels + activations + deltas {
            for i in 0..<buffer.count { buffer.pointer[i] = Float(i % 7) * 0.01 }
        }
        let steps = max(1, samples / b)
        let start = Stopwatch.now()
        for _ in 0..<steps {
            for (l, layer) in layers.enumerated() {
                gemm.multiply(false, false, m: b, n: layer.units, k: layer.inputs, activations[l].pointer, lda: layer.inputs,
                              kernels[l].pointer, ldb: layer.units, activations[l + 1].pointer, ldc: layer.units)
            }
            for (l, layer) in layers.enumerated().reversed() {
                gemm.multiply(true, false, m: layer.inputs, n: layer.units, k: b, activations[l].pointer, lda: layer.inputs,
                              deltas[l + 1].pointer, ldb: layer.units, gradients[l].pointer, ldc: layer.units)
                if l > 0 {
                    gemm.multiply(false, true, m: b, n: layer.inputs, k: layer.units, deltas[l + 1].pointer, lda: layer.units,
                                  kernels[l].pointer, ldb: layer.units, deltas[l].pointer, ldc: layer.inputs)
                }
            }
        }
        return Double(steps * b) / (Stopwatch.now() - start)
    }
}
