/// RMSProp (formula 11-7): `s = rho*s + (1-rho)*g*g; theta -= lr*g / (sqrt(s) + eps)`,
/// optionally with Keras-style momentum on the increments.
final class RMSPropOptimizer: Optimizer {
    var learningRate: Double
    let rho: Float
    let epsilon: Float
    private var beta: Double
    let meanSquare: FloatBuffer
    let velocity: FloatBuffer?

    init(learningRate: Double, rho: Double, momentum: Double, epsilon: Double, count: Int) {
        self.learningRate = learningRate
        self.rho = Float(rho)
        self.epsilon = Float(epsilon)
        beta = momentum
        meanSquare = FloatBuffer(count: count)
        velocity = momentum > 0 ? FloatBuffer(count: count) : nil
    }

    var momentum: Double? {
        get { velocity == nil ? nil : beta }
        set { if velocity != nil, let newValue { beta = newValue } }
    }

    func beginStep() {}

    func update(_ store: ParameterStore, range: Range<Int>) {
        let o = range.lowerBound, n = range.count
        let w = store.values.pointer + o, g = store.gradients.pointer + o, s = meanSquare.pointer + o
        let lr = Float(learningRate), oneMinusRho = 1 - rho
        let rv = VectorOps.V(repeating: rho), orv = VectorOps.V(repeating: oneMinusRho)
        let lrv = VectorOps.V(repeating: lr), ev = VectorOps.V(repeating: epsilon)
        if let velocity {
            let m = velocity.pointer + o, b = Float(beta), bv = VectorOps.V(repeating: b)
            var i = 0
            while i + 8 <= n {
                let gv = VectorOps.load(g + i)
                let sv = rv * VectorOps.load(s + i) + orv * gv * gv
                let mv = bv * VectorOps.load(m + i) + lrv * gv / (VectorOps.sqrt(sv) + ev)
                VectorOps.store(sv, s + i)
                VectorOps.store(mv, m + i)
                VectorOps.store(VectorOps.load(w + i) - mv, w + i)
                i += 8
            }
            while i < n {
                s[i] = rho * s[i] + oneMinusRho * g[i] * g[i]
                m[i] = b * m[i] + lr * g[i] / (s[i].squareRoot() + epsilon)
                w[i] -= m[i]
                i += 1
            }
            return
        }
        var i = 0
        while i + 8 <= n {
            let gv = VectorOps.load(g + i)
            let sv = rv * VectorOps.load(s + i) + orv * gv * gv
            VectorOps.store(sv, s + i)
            VectorOps.store(VectorOps.load(w + i) - lrv * gv / (VectorOps.sqrt(sv) + ev), w + i)
            i += 8
        }
        while i < n {
            s[i] = rho * s[i] + oneMinusRho * g[i] * g[i]
            w[i] -= lr * g[i] / (s[i].squareRoot() + epsilon)
            i += 1
        }
    }
}
