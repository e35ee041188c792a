/// AdaGrad (formula 11-6, Keras defaults): `s += g*g; theta -= lr * g / sqrt(s + eps)`,
/// with the accumulator starting at `initialAccumulator` (0.1).
final class AdaGradOptimizer: Optimizer {
    var learningRate: Double
    let epsilon: Float
    let accumulator: FloatBuffer

    init(learningRate: Double, initialAccumulator: Double, epsilon: Double, count: Int) {
        self.learningRate = learningRate
        self.epsilon = Float(epsilon)
        accumulator = FloatBuffer(count: count)
        accumulator.pointer.update(repeating: Float(initialAccumulator), count: count)
    }

    var momentum: Double? {
        get { nil }
        set {}
    }

    func beginStep() {}

    func update(_ store: ParameterStore, range: Range<Int>) {
        let o = range.lowerBound, n = range.count
        let w = store.values.pointer + o, g = store.gradients.pointer + o, s = accumulator.pointer + o
        let lr = Float(learningRate)
        let lrv = VectorOps.V(repeating: lr), ev = VectorOps.V(repeating: epsilon)
        var i = 0
        while i + 8 <= n {
            let gv = VectorOps.load(g + i)
            let sv = VectorOps.load(s + i) + gv * gv
            VectorOps.store(sv, s + i)
            VectorOps.store(VectorOps.load(w + i) - lrv * gv / VectorOps.sqrt(sv + ev), w + i)
            i += 8
        }
        while i < n {
            s[i] += g[i] * g[i]
            w[i] -= lr * g[i] / (s[i] + epsilon).squareRoot()
            i += 1
        }
    }
}
