/// Plain SGD (momentum 0), momentum optimization and Nesterov accelerated gradient.
///
/// Momentum (formula 11-4, Keras form): `m = beta*m - lr*g; theta += m`.
/// Nesterov in its look-ahead-free form: `m = beta*m - lr*g; theta += beta*m - lr*g`.
final class MomentumOptimizer: Optimizer {
    var learningRate: Double
    private var beta: Double
    let nesterov: Bool
    let velocity: FloatBuffer?

    init(learningRate: Double, momentum: Double, nesterov: Bool, count: Int) {
        self.learningRate = learningRate
        beta = momentum
        self.nesterov = nesterov
        // Plain SGD keeps no state; a momentum optimizer keeps it even if 1cycle sets beta to 0.
        velocity = (momentum > 0 || nesterov) ? FloatBuffer(count: count) : nil
    }

    var momentum: Double? {
        get { velocity == nil ? nil : beta }
        set { if velocity != nil, let newValue { beta = newValue } }
    }

    func beginStep() {}

    func update(_ store: ParameterStore, range: Range<Int>) {
        let o = range.lowerBound, n = range.count
        let w = store.values.pointer + o, g = store.gradients.pointer + o
        let lr = Float(learningRate), lrv = VectorOps.V(repeating: lr)
        guard let velocity else {
            var i = 0
            while i + 8 <= n {
                VectorOps.store(VectorOps.load(w + i) - lrv * VectorOps.load(g + i), w + i)
                i += 8
            }
            while i < n { w[i] -= lr * g[i]; i += 1 }
            return
        }
        let m = velocity.pointer + o, b = Float(beta), bv = VectorOps.V(repeating: b)
        var i = 0
        if nesterov {
            while i + 8 <= n {
                let step = lrv * VectorOps.load(g + i)
                let mv = bv * VectorOps.load(m + i) - step
                VectorOps.store(mv, m + i)
                VectorOps.store(VectorOps.load(w + i) + bv * mv - step, w + i)
                i += 8
            }
            while i < n {
                // Summed in the vector loop's order, so a parameter's result does not depend
                // on whether the range it is updated in puts it in a vector or in the tail.
                let step = lr * g[i]
                m[i] = b * m[i] - step
                w[i] = w[i] + b * m[i] - step
                i += 1
            }
        } else {
            while i + 8 <= n {
                let mv = bv * VectorOps.load(m + i) - lrv * VectorOps.load(g + i)
                VectorOps.store(mv, m + i)
                VectorOps.store(VectorOps.load(w + i) + mv, w + i)
                i += 8
            }
            while i < n {
                m[i] = b * m[i] - lr * g[i]
                w[i] += m[i]
                i += 1
            }
        }
    }
}
