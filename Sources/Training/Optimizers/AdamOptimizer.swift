import Foundation

/// Adam (formula 11-8) with bias correction, t from 1, epsilon outside the square root;
/// with a weight decay it is AdamW (decoupled decay of the Dense kernels, Loshchilov & Hutter).
///
/// `theta -= lr * m_hat / (sqrt(s_hat) + eps)` is evaluated in the equivalent form
/// `theta -= alpha_t * m / (sqrt(s) + eps_t)` with `alpha_t = lr*sqrt(1-b2^t)/(1-b1^t)` and
/// `eps_t = eps*sqrt(1-b2^t)`, which saves two divisions per parameter. One SIMD pass.
final class AdamOptimizer: Optimizer {
    var learningRate: Double
    var beta1: Double
    let beta2: Double
    let epsilon: Double
    let weightDecay: Double
    var iterations = 0
    let first: FloatBuffer
    let second: FloatBuffer

    init(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, count: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        first = FloatBuffer(count: count)
        second = FloatBuffer(count: count)
    }

    var momentum: Double? {
        get { beta1 }
        set { if let newValue { beta1 = newValue } }
    }

    /// Step scalars: `alpha_t` and `eps_t`.
    private var alpha: Float = 0, epsHat: Float = 0

    func beginStep() {
        iterations += 1
        let t = Double(iterations)
        let correction2 = (1 - pow(beta2, t)).squareRoot()
        alpha = Float(learningRate * correction2 / (1 - pow(beta1, t)))
        epsHat = Float(epsilon * correction2)
    }

    func update(_ store: ParameterStore, range: Range<Int>) {
        if weightDecay > 0 {
            let keep = Float(1 - learningRate * weightDecay)
            // The range may cover part of a kernel (a chunk of rows, see `Network.backward`).
            for block in store.blocks {
                guard case .kernel = block.role else { continue }
                let part = range.clamped(to: block.offset..<(block.offset + block.count))
                if !part.isEmpty { VectorOps.scale(store.values.pointer + part.lowerBound, by: keep, count: part.count) }
            }
        }
        let o = range.lowerBound
        Self.update(
            w: store.values.pointer + o, g: store.gradients.pointer + o, m: first.pointer + o, v: second.pointer + o,
            count: range.count, alpha: alpha, beta1: Float(beta1), beta2: Float(beta2), epsilon: epsHat)
    }

    /// The fused moment update and parameter step.
    @inline(__always)
    static func update(
        w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
        count n: Int, alpha: Float, beta1: Float, beta2: Float, epsilon: Float
    ) {
        typealias V = VectorOps.V
        let b1 = V(repeating: beta1), c1 = V(repeating: 1 - beta1)
        let b2 = V(repeating: beta2), c2 = V(repeating: 1 - beta2)
        let av = V(repeating: alpha), ev = V(repeating: epsilon)
        var i = 0
        while i + 8 <= n {
            let gv = VectorOps.load(g + i)
            let mv = b1 * VectorOps.load(m + i) + c1 * gv
            let vv = b2 * VectorOps.load(v + i) + c2 * (gv * gv)
            VectorOps.store(mv, m + i)
            VectorOps.store(vv, v + i)
            VectorOps.store(VectorOps.load(w + i) - av * mv / (VectorOps.sqrt(vv) + ev), w + i)
            i += 8
        }
        while i < n {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * (g[i] * g[i])
            w[i] -= alpha * m[i] / (v[i].squareRoot() + epsilon)
            i += 1
        }
    }
}

/// AdaMax: `m = b1*m + (1-b1)*g; u = max(b2*u, |g|); theta -= lr/(1-b1^t) * m / (u + eps)`.
final class AdaMaxOptimizer: Optimizer {
    var learningRate: Double
    var beta1: Double
    let beta2: Float
    let epsilon: Float
    var iterations = 0
    let first: FloatBuffer
    let norm: FloatBuffer

    init(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, count: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = Float(beta2)
        self.epsilon = Float(epsilon)
        first = FloatBuffer(count: count)
        norm = FloatBuffer(count: count)
    }

    var momentum: Double? {
        get { beta1 }
        set { if let newValue { beta1 = newValue } }
    }

    private var rate: Float = 0

    func beginStep() {
        iterations += 1
        rate = Float(learningRate / (1 - pow(beta1, Double(iterations))))
    }

    func update(_ store: ParameterStore, range: Range<Int>) {
        let o = range.lowerBound
        let w = store.values.pointer + o, g = store.gradients.pointer + o, m = first.pointer + o, u = norm.pointer + o
        let b1 = Float(beta1), b2 = beta2, eps = epsilon, rate = rate, n = range.count
        typealias V = VectorOps.V
        let b1v = V(repeating: b1), c1 = V(repeating: 1 - b1), b2v = V(repeating: b2), ev = V(repeating: eps), rv = V(repeating: rate)
        var i = 0
        while i + 8 <= n {
            let gv = VectorOps.load(g + i)
            let mv = b1v * VectorOps.load(m + i) + c1 * gv
            let scaled = b2v * VectorOps.load(u + i), magnitude = gv.replacing(with: -gv, where: gv .< 0)
            let uv = scaled.replacing(with: magnitude, where: magnitude .> scaled)
            VectorOps.store(mv, m + i)
            VectorOps.store(uv, u + i)
            VectorOps.store(VectorOps.load(w + i) - rv * mv / (uv + ev), w + i)
            i += 8
        }
        while i < n {
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            u[i] = max(b2 * u[i], abs(g[i]))
            w[i] -= rate * m[i] / (u[i] + eps)
            i += 1
        }
    }
}

/// Nadam in the Keras formulation with the momentum schedule
/// `mu_t = beta1 * (1 - 0.5 * 0.96^(d*t))`, d = `scheduleDecay` (0.004 in Keras 2 and the
/// spec; Keras 3 uses 0.96^t, i.e. d = 1):
/// `m_bar = (1-mu_t) * g / (1 - prod_{i<=t} mu_i) + mu_{t+1} * m_t / (1 - prod_{i<=t+1} mu_i)`,
/// `theta -= lr * m_bar / (sqrt(v_t / (1-b2^t)) + eps)`.
final class NadamOptimizer: Optimizer {
    var learningRate: Double
    var beta1: Double
    let beta2: Double
    let epsilon: Float
    let scheduleDecay: Double
    var iterations = 0
    /// Product of the momentum schedule up to the last step.
    var momentumProduct = 1.0
    let first: FloatBuffer
    let second: FloatBuffer

    init(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, scheduleDecay: Double = 0.004, count: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = Float(epsilon)
        self.scheduleDecay = scheduleDecay
        first = FloatBuffer(count: count)
        second = FloatBuffer(count: count)
    }

    var momentum: Double? {
        get { beta1 }
        set { if let newValue { beta1 = newValue } }
    }

    static func momentumSchedule(beta1: Double, step t: Double, decay: Double = 0.004) -> Double {
        beta1 * (1 - 0.5 * pow(0.96, decay * t))
    }

    private var gradientCoefficient: Float = 0, momentCoefficient: Float = 0, secondCorrection: Float = 0

    func beginStep() {
        iterations += 1
        let t = Double(iterations)
        let muT = Self.momentumSchedule(beta1: beta1, step: t, decay: scheduleDecay)
        let muNext = Self.momentumSchedule(beta1: beta1, step: t + 1, decay: scheduleDecay)
        momentumProduct *= muT
        let productNext = momentumProduct * muNext
        gradientCoefficient = Float((1 - muT) / (1 - momentumProduct))
        momentCoefficient = Float(muNext / (1 - productNext))
        secondCorrection = Float(1 / (1 - pow(beta2, t)))
    }

    func update(_ store: ParameterStore, range: Range<Int>) {
        let o = range.lowerBound
        let w = store.values.pointer + o, g = store.gradients.pointer + o, m = first.pointer + o, v = second.pointer + o
        let b1 = Float(beta1), b2 = Float(beta2), lr = Float(learningRate), eps = epsilon
        let gradientCoefficient = gradientCoefficient, momentCoefficient = momentCoefficient, secondCorrection = secondCorrection
        let n = range.count
        typealias V = VectorOps.V
        let b1v = V(repeating: b1), c1 = V(repeating: 1 - b1), b2v = V(repeating: b2), c2 = V(repeating: 1 - b2)
        let gc = V(repeating: gradientCoefficient), mc = V(repeating: momentCoefficient), sc = V(repeating: secondCorrection)
        let lrv = V(repeating: lr), ev = V(repeating: eps)
        var i = 0
        while i + 8 <= n {
            let gv = VectorOps.load(g + i)
            let mv = b1v * VectorOps.load(m + i) + c1 * gv
            let vv = b2v * VectorOps.load(v + i) + c2 * gv * gv
            VectorOps.store(mv, m + i)
            VectorOps.store(vv, v + i)
            let mBar = gc * gv + mc * mv
            VectorOps.store(VectorOps.load(w + i) - lrv * mBar / (VectorOps.sqrt(vv * sc) + ev), w + i)
            i += 8
        }
        while i < n {
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            let mBar = gradientCoefficient * g[i] + momentCoefficient * m[i]
            w[i] -= lr * mBar / ((v[i] * secondCorrection).squareRoot() + eps)
            i += 1
        }
    }
}
