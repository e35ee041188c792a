import Randomness

/// Batch normalization (formula 11-3): `z = gamma * (x - mu) / sqrt(var + eps) + beta`.
///
/// Training uses the batch mean and the biased batch variance and updates the moving
/// averages `v = v * momentum + v_batch * (1 - momentum)` (Keras convention, biased variance
/// as well); inference uses the moving statistics. gamma and beta are trainable, the two
/// moving vectors are non-trainable state.
final class BatchNormLayer: Layer {
    /// Features normalized (the last axis; statistics over the batch and all other axes, as Keras' axis=-1).
    let channels: Int
    /// Positions per sample (product of the leading axes).
    let positions: Int
    let outputShape: [Int]
    var inputWidth: Int { positions * channels }
    var outputWidth: Int { inputWidth }
    let momentum: Float
    let epsilon: Float
    let label: String
    var kind: String { "BatchNormalization" }
    var trainableCount: Int { 2 * channels }
    var nonTrainableCount: Int { 2 * channels }

    private var gammaBlock = -1, betaBlock = -1, meanBlock = -1, varianceBlock = -1
    private var gamma: UnsafeMutablePointer<Float>!, beta: UnsafeMutablePointer<Float>!
    private var gammaGradient: UnsafeMutablePointer<Float>!, betaGradient: UnsafeMutablePointer<Float>!
    private var movingMean: UnsafeMutablePointer<Float>!, movingVariance: UnsafeMutablePointer<Float>!

    private var output: FloatBuffer!
    private var normalized: FloatBuffer!      // x_hat of the last training pass
    private var inverseStd: FloatBuffer!      // 1/sqrt(var + eps) per feature
    private var scratch: FloatBuffer!         // per-feature sums
    private var scratch2: FloatBuffer!
    private var lastWasTraining = false

    init(label: String, width: Int, momentum: Double, epsilon: Double, shape: [Int]? = nil) {
        self.label = label
        channels = width
        outputShape = shape ?? [width]
        positions = outputShape.dropLast().reduce(1, *)
        precondition(outputShape.last == width, "batch norm over the last axis")
        self.momentum = Float(momentum)
        self.epsilon = Float(epsilon)
    }

    func reserve(in layout: inout ParameterLayout) {
        gammaBlock = layout.reserve("\(label).gamma", channels, .gamma)
        betaBlock = layout.reserve("\(label).beta", channels, .beta)
        meanBlock = layout.reserveState("\(label).moving_mean", channels)
        varianceBlock = layout.reserveState("\(label).moving_variance", channels)
    }

    func bind(_ store: ParameterStore) {
        gamma = store.value(gammaBlock)
        beta = store.value(betaBlock)
        gammaGradient = store.gradient(gammaBlock)
        betaGradient = store.gradient(betaBlock)
        movingMean = store.stateValue(meanBlock)
        movingVariance = store.stateValue(varianceBlock)
    }

    func initialize(using rng: inout SeededGenerator) {
        gamma.update(repeating: 1, count: channels)
        beta.update(repeating: 0, count: channels)
        movingMean.update(repeating: 0, count: channels)
        movingVariance.update(repeating: 1, count: channels)
    }

    func allocate(capacity rows: Int) {
        output = FloatBuffer(count: rows * inputWidth)
        normalized = FloatBuffer(count: rows * inputWidth)
        inverseStd = FloatBuffer(count: channels)
        scratch = FloatBuffer(count: channels)
        scratch2 = FloatBuffer(count: channels)
    }

    func forward(_ input: UnsafePointer<Float>, rows samples: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let n = channels, out = output.pointer, rows = samples * positions
        lastWasTraining = mode == .training
        if mode == .training {
            let mean = scratch.pointer, variance = scratch2.pointer, inv = inverseStd.pointer
            VectorOps.columnSums(input, rows: rows, cols: n, into: mean)
            VectorOps.scale(mean, by: 1 / Float(rows), count: n)
            variance.update(repeating: 0, count: n)
            for r in 0..<rows {
                let x = input + r * n
                for j in 0..<n { let d = x[j] - mean[j]; variance[j] += d * d }
            }
            let keep = momentum, take = 1 - momentum
            for j in 0..<n {
                variance[j] /= Float(rows)
                inv[j] = 1 / (variance[j] + epsilon).squareRoot()
                movingMean[j] = movingMean[j] * keep + mean[j] * take
                movingVariance[j] = movingVariance[j] * keep + variance[j] * take
            }
            let xhat = normalized.pointer
            for r in 0..<rows {
                let x = input + r * n, h = xhat + r * n, o = out + r * n
                for j in 0..<n {
                    let v = (x[j] - mean[j]) * inv[j]
                    h[j] = v
                    o[j] = gamma[j] * v + beta[j]
                }
            }
        } else {
            // Fold the moving statistics into one scale and shift per feature.
            let scale = scratch.pointer, shift = scratch2.pointer
            for j in 0..<n {
                scale[j] = gamma[j] / (movingVariance[j] + epsilon).squareRoot()
                shift[j] = beta[j] - movingMean[j] * scale[j]
            }
            for r in 0..<rows {
                let x = input + r * n, o = out + r * n
                for j in 0..<n { o[j] = x[j] * scale[j] + shift[j] }
            }
        }
        return out
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows samples: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        precondition(lastWasTraining, "batch-norm backward needs a training forward pass")
        let rows = samples * positions
        let n = channels, xhat = normalized.pointer, inv = inverseStd.pointer
        let dgamma = gammaGradient!, dbeta = betaGradient!
        dgamma.update(repeating: 0, count: n)
        dbeta.update(repeating: 0, count: n)
        for r in 0..<rows {
            let g = gradOutput + r * n, h = xhat + r * n
            for j in 0..<n {
                dbeta[j] += g[j]
                dgamma[j] += g[j] * h[j]
            }
        }
        guard needInputGradient else { return nil }
        // dx = gamma * inv / N * (N * dy - sum(dy) - x_hat * sum(dy * x_hat)), written in place.
        let invN = 1 / Float(rows)
        let coefficient = scratch.pointer
        for j in 0..<n { coefficient[j] = gamma[j] * inv[j] }
        for r in 0..<rows {
            let g = gradOutput + r * n, h = xhat + r * n
            for j in 0..<n {
                g[j] = coefficient[j] * (g[j] - invN * (dbeta[j] + h[j] * dgamma[j]))
            }
        }
        return gradOutput
    }
}
