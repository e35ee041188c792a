import Randomness

/// Deterministic and MC-dropout predictions, shared by `Trainer` and `Model`.
extension Network {
    /// Prediction rows (`head.predictionWidth` wide) for `count` samples of scaled features,
    /// in chunks of `chunk` rows: one inference pass, or with `mcSamples` > 0 the mean and
    /// population std over that many MC-dropout passes.
    func predict(_ features: UnsafePointer<Float>, count: Int, chunk: Int, mcSamples: Int, rng: inout SeededGenerator) -> Prediction {
        let pw = head.predictionWidth
        var mean = [Float](), std = [Float]()
        mean.reserveCapacity(count * pw)
        std.reserveCapacity(count * pw)
        var start = 0
        while start < count {
            let rows = min(chunk, count - start)
            let (m, s) = monteCarlo(features + start * inputWidth, rows: rows, passes: max(1, mcSamples), withStd: true,
                                    stochastic: mcSamples > 0, rng: &rng)
            mean += m
            std += s
            start += rows
        }
        return Prediction(mean: mean, std: std, width: pw)
    }

    /// Mean (and optionally population std) of the prediction rows over `passes` forward passes.
    func monteCarlo(
        _ input: UnsafePointer<Float>, rows: Int, passes: Int, withStd: Bool, stochastic: Bool = true, rng: inout SeededGenerator
    ) -> (mean: [Float], std: [Float]) {
        let pw = head.predictionWidth, n = rows * pw
        var sum = [Double](repeating: 0, count: n), squares = [Double](repeating: 0, count: withStd ? n : 0)
        var prediction = [Float](repeating: 0, count: n)
        for _ in 0..<passes {
            let out = forward(input, rows: rows, mode: stochastic ? .monteCarloDropout : .inference, rng: &rng)
            prediction.withUnsafeMutableBufferPointer { head.predictions(out, rows: rows, into: $0.baseAddress!) }
            for i in 0..<n {
                let v = Double(prediction[i])
                sum[i] += v
                if withStd { squares[i] += v * v }
            }
        }
        let k = Double(passes)
        let mean = sum.map { Float($0 / k) }
        let std = withStd ? (0..<n).map { Float(max(0, squares[$0] / k - (sum[$0] / k) * (sum[$0] / k)).squareRoot()) } : []
        return (mean, std)
    }

    /// Whether any layer is a dropout layer (MC dropout changes nothing otherwise).
    var hasDropout: Bool { layers.contains { $0 is DropoutLayer } }

    /// Rows per evaluation pass: at least the batch size, at most 1,024, and small enough
    /// that the widest layer's activations stay near 4M floats (conv nets).
    static func evaluationChunk(widestLayer: Int, batchSize: Int) -> Int {
        max(batchSize, min(1024, (4 << 20) / max(1, widestLayer)))
    }
}
