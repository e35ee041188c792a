import Foundation
import Testing
@testable import Training

/// A store with one 1x2 kernel and one bias, set to `weights` and `gradients`.
func makeStore(_ weights: [Float], _ gradients: [Float]) -> ParameterStore {
    var layout = ParameterLayout()
    _ = layout.reserve("k", 2, .kernel(rows: 1, cols: 2))
    _ = layout.reserve("b", weights.count - 2, .bias)
    let store = ParameterStore(layout)
    for i in weights.indices {
        store.values.pointer[i] = weights[i]
        store.gradients.pointer[i] = gradients[i]
    }
    return store
}

@Suite("Optimizers")
struct OptimizerTests {
    let w0: [Double] = [1.0, -2.0, 0.5]
    let g1: [Double] = [0.5, -0.1, 2.0]
    let g2: [Double] = [-0.3, 0.4, 1.0]

    /// Two steps of `config` with gradients g1 then g2; returns the weights after each step.
    func twoSteps(_ config: OptimizerConfig) -> ([Float], [Float]) {
        let store = makeStore(w0.map(Float.init), g1.map(Float.init))
        let optimizer = OptimizerFactory.make(config, parameterCount: store.count)
        optimizer.step(store)
        let first = store.values.array
        for i in 0..<3 { store.gradients.pointer[i] = Float(g2[i]) }
        optimizer.step(store)
        return (first, store.values.array)
    }

    func expectClose(_ actual: [Float], _ expected: [Double], _ tolerance: Double = 2e-6) {
        for i in expected.indices {
            #expect(close(actual[i], expected[i], tolerance), "component \(i): \(actual[i]) vs \(expected[i])")
        }
    }

    @Test func sgd() {
        let (a, b) = twoSteps(OptimizerConfig(.sgd, learningRate: 0.1))
        expectClose(a, (0..<3).map { w0[$0] - 0.1 * g1[$0] })
        expectClose(b, (0..<3).map { w0[$0] - 0.1 * g1[$0] - 0.1 * g2[$0] })
    }

    @Test func momentumAndNesterov() {
        let lr = 0.1, beta = 0.9
        let m1 = g1.map { -lr * $0 }
        let m2 = (0..<3).map { beta * m1[$0] - lr * g2[$0] }
        let (a, b) = twoSteps(OptimizerConfig(.momentum, learningRate: lr, momentum: beta))
        expectClose(a, (0..<3).map { w0[$0] + m1[$0] })
        expectClose(b, (0..<3).map { w0[$0] + m1[$0] + m2[$0] })
        let (c, d) = twoSteps(OptimizerConfig(.nesterov, learningRate: lr, momentum: beta))
        let n1 = (0..<3).map { w0[$0] + beta * m1[$0] - lr * g1[$0] }
        expectClose(c, n1)
        expectClose(d, (0..<3).map { n1[$0] + beta * m2[$0] - lr * g2[$0] })
    }

    @Test func adagrad() {
        let lr = 0.1, eps = 1e-7
        let s1 = g1.map { 0.1 + $0 * $0 }
        let (a, b) = twoSteps(OptimizerConfig(.adagrad, learningRate: lr))
        let w1 = (0..<3).map { w0[$0] - lr * g1[$0] / (s1[$0] + eps).squareRoot() }
        expectClose(a, w1)
        let s2 = (0..<3).map { s1[$0] + g2[$0] * g2[$0] }
        expectClose(b, (0..<3).map { w1[$0] - lr * g2[$0] / (s2[$0] + eps).squareRoot() })
    }

    @Test func rmsprop() {
        let lr = 0.01, rho = 0.9, eps = 1e-7
        let s1 = g1.map { (1 - rho) * $0 * $0 }
        let w1 = (0..<3).map { w0[$0] - lr * g1[$0] / (s1[$0].squareRoot() + eps) }
        let s2 = (0..<3).map { rho * s1[$0] + (1 - rho) * g2[$0] * g2[$0] }
        let (a, b) = twoSteps(OptimizerConfig(.rmsprop, learningRate: lr))
        expectClose(a, w1)
        expectClose(b, (0..<3).map { w1[$0] - lr * g2[$0] / (s2[$0].squareRoot() + eps) })
    }

    /// Adam by the textbook formula: m_hat = m/(1-b1^t), s_hat = s/(1-b2^t), eps outside the root.
    func adamByHand(lr: Double, decay: Double = 0) -> ([Double], [Double]) {
        let b1 = 0.9, b2 = 0.999, eps = 1e-7
        var w = w0, m = [0.0, 0, 0], s = [0.0, 0, 0]
        var results: [[Double]] = []
        for (t, g) in [(1.0, g1), (2.0, g2)] {
            for i in 0..<3 {
                if decay > 0 && i < 2 { w[i] -= lr * decay * w[i] }  // kernels only
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(b1, t)), sHat = s[i] / (1 - pow(b2, t))
                w[i] -= lr * mHat / (sHat.squareRoot() + eps)
            }
            results.append(w)
        }
        return (results[0], results[1])
    }

    @Test func adamFirstSteps() {
        let (a, b) = twoSteps(OptimizerConfig(.adam, learningRate: 0.01))
        let (ea, eb) = adamByHand(lr: 0.01)
        expectClose(a, ea)
        expectClose(b, eb)
        // First Adam step moves every weight by about lr against the gradient's sign.
        #expect(close(Double(a[0]), 1 - 0.01, 1e-5))
    }

    @Test func adamWDecaysKernelsOnly() {
        let (a, b) = twoSteps(OptimizerConfig(.adamw, learningRate: 0.01, weightDecay: 0.1))
        let (ea, eb) = adamByHand(lr: 0.01, decay: 0.1)
        expectClose(a, ea)
        expectClose(b, eb)
    }

    @Test func adamax() {
        let lr = 0.002, b1 = 0.9, b2 = 0.999, eps = 1e-7
        var w = w0, m = [0.0, 0, 0], u = [0.0, 0, 0]
        var expected: [[Double]] = []
        for (t, g) in [(1.0, g1), (2.0, g2)] {
            for i in 0..<3 {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                u[i] = max(b2 * u[i], abs(g[i]))
                w[i] -= lr / (1 - pow(b1, t)) * m[i] / (u[i] + eps)
            }
            expected.append(w)
        }
        let (a, b) = twoSteps(OptimizerConfig(.adamax, learningRate: lr))
        expectClose(a, expected[0])
        expectClose(b, expected[1])
    }

    @Test func nadamKerasFormulation() {
        let lr = 0.002, b1 = 0.9, b2 = 0.999, eps = 1e-7
        func mu(_ t: Double) -> Double { b1 * (1 - 0.5 * pow(0.96, 0.004 * t)) }
        var w = w0, m = [0.0, 0, 0], v = [0.0, 0, 0], product = 1.0
        var expected: [[Double]] = []
        for (t, g) in [(1.0, g1), (2.0, g2)] {
            product *= mu(t)
            let productNext = product * mu(t + 1)
            for i in 0..<3 {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let gPrime = g[i] / (1 - product)
                let mPrime = m[i] / (1 - productNext)
                let vPrime = v[i] / (1 - pow(b2, t))
                let mBar = (1 - mu(t)) * gPrime + mu(t + 1) * mPrime
                w[i] -= lr * mBar / (vPrime.squareRoot() + eps)
            }
            expected.append(w)
        }
        let (a, b) = twoSteps(OptimizerConfig(.nadam, learningRate: lr))
        expectClose(a, expected[0], 5e-6)
        expectClose(b, expected[1], 5e-6)
    }

    @Test func momentumIsExposedForOneCycle() {
        let momentum = OptimizerFactory.make(OptimizerConfig(.momentum, momentum: 0.9), parameterCount: 4)
        #expect(momentum.momentum == 0.9)
        momentum.momentum = 0.85
        #expect(momentum.momentum == 0.85)
        #expect(OptimizerFactory.make(OptimizerConfig(.sgd), parameterCount: 4).momentum == nil)
        #expect(OptimizerFactory.make(OptimizerConfig(.adam), parameterCount: 4).momentum == 0.9)
    }
}

@Suite("Gradient clipping and regularization")
struct ClippingTests {
    @Test func clipValue() {
        let store = makeStore([0, 0, 0], [0.9, 100, -5])
        GradientClipping.apply(.value(1), to: store)
        #expect(store.gradients.array == [0.9, 1.0, -1.0])
    }

    @Test func clipNormPerTensor() {
        let store = makeStore([0, 0, 0], [0.9, 100, 3])
        GradientClipping.apply(.norm(1), to: store)
        let g = store.gradients.array
        #expect(close(g[0], 0.00899964, 1e-6))
        #expect(close(g[1], 0.9999595, 1e-6))
        #expect(g[2] == 1)  // the bias tensor [3] is clipped on its own
    }

    @Test func clipGlobalNorm() {
        let store = makeStore([0, 0, 0], [3, 0, 4])
        GradientClipping.apply(.globalNorm(1), to: store)
        let g = store.gradients.array
        #expect(close(g[0], 0.6) && close(g[2], 0.8))
        let small = makeStore([0, 0, 0], [0.3, 0, 0.4])
        GradientClipping.apply(.globalNorm(1), to: small)
        #expect(small.gradients.array == [0.3, 0, 0.4])
    }

    @Test func penaltiesOnKernelsOnly() {
        let store = makeStore([1, -2, 5], [0, 0, 0])
        let penalty = Regularization.addPenaltyGradients(l1: 0.1, l2: 0.01, to: store)
        #expect(close(penalty, 0.1 * 3 + 0.01 * 5))
        let g = store.gradients.array
        #expect(close(g[0], 0.02 + 0.1) && close(g[1], -0.04 - 0.1))
        #expect(g[2] == 0)  // bias untouched
        #expect(close(Regularization.penalty(l1: 0.1, l2: 0.01, of: store), penalty))
    }

    @Test func maxNormRescalesIncomingWeightVectors() {
        // A 2x2 kernel: column 0 = (3, 4) has norm 5, column 1 = (0.3, 0.4) has norm 0.5.
        var layout = ParameterLayout()
        _ = layout.reserve("k", 4, .kernel(rows: 2, cols: 2), constrained: true)
        _ = layout.reserve("out", 2, .kernel(rows: 1, cols: 2))
        let store = ParameterStore(layout)
        for (i, v) in [Float(3), 0.3, 4, 0.4, 10, 10].enumerated() { store.values.pointer[i] = v }
        Regularization.applyMaxNorm(1, to: store, scratch: FloatBuffer(count: 2))
        let w = store.values.array
        #expect(close(w[0], 0.6) && close(w[2], 0.8))
        #expect(w[1] == 0.3 && w[3] == 0.4)
        #expect(w[4] == 10 && w[5] == 10)  // unconstrained (output) kernel
    }
}

/// Every optimizer against a Double reference of its formula on 16 + 3 parameters, so both
/// the SIMD loops and the scalar tails are covered, over three steps.
@Suite("Optimizers (vector paths)")
struct OptimizerVectorTests {
    static let configs: [OptimizerConfig] = [
        OptimizerConfig(.sgd, learningRate: 0.1), OptimizerConfig(.momentum, learningRate: 0.1),
        OptimizerConfig(.nesterov, learningRate: 0.1), OptimizerConfig(.adagrad, learningRate: 0.1),
        OptimizerConfig(.rmsprop, learningRate: 0.01), OptimizerConfig(.rmsprop, learningRate: 0.01, momentum: 0.5),
        OptimizerConfig(.adam, learningRate: 0.01), OptimizerConfig(.adamax, learningRate: 0.01),
        OptimizerConfig(.nadam, learningRate: 0.01), OptimizerConfig(.nadam, learningRate: 0.01, scheduleDecay: 1),
        OptimizerConfig(.adamw, learningRate: 0.01, weightDecay: 0.05),
    ]

    /// The update rules of docs/training.md in Double; `kernel` marks decayed entries (AdamW).
    static func reference(_ c: OptimizerConfig, _ w0: [Double], _ gradients: [[Double]], kernel: Int) -> [Double] {
        let n = w0.count, lr = c.resolvedLearningRate, b1 = c.resolvedBeta1, b2 = c.resolvedBeta2, eps = c.resolvedEpsilon
        var w = w0, a = [Double](repeating: c.name == .adagrad ? c.resolvedInitialAccumulator : 0, count: n), b = [Double](repeating: 0, count: n)
        var product = 1.0
        for (k, g) in gradients.enumerated() {
            let t = Double(k + 1)
            let d = c.resolvedScheduleDecay
            let mu = b1 * (1 - 0.5 * pow(0.96, d * t)), muNext = b1 * (1 - 0.5 * pow(0.96, d * (t + 1)))
            product *= mu
            for i in 0..<n {
                switch c.name {
                case .sgd: w[i] -= lr * g[i]
                case .momentum: a[i] = 0.9 * a[i] - lr * g[i]; w[i] += a[i]
                case .nesterov: a[i] = 0.9 * a[i] - lr * g[i]; w[i] += 0.9 * a[i] - lr * g[i]
                case .adagrad: a[i] += g[i] * g[i]; w[i] -= lr * g[i] / (a[i] + eps).squareRoot()
                case .rmsprop:
                    a[i] = 0.9 * a[i] + 0.1 * g[i] * g[i]
                    let increment = lr * g[i] / (a[i].squareRoot() + eps)
                    if c.resolvedMomentum > 0 { b[i] = c.resolvedMomentum * b[i] + increment; w[i] -= b[i] } else { w[i] -= increment }
                case .adam, .adamw:
                    if c.name == .adamw && i < kernel { w[i] -= lr * c.resolvedWeightDecay * w[i] }
                    a[i] = b1 * a[i] + (1 - b1) * g[i]
                    b[i] = b2 * b[i] + (1 - b2) * g[i] * g[i]
                    w[i] -= lr * (a[i] / (1 - pow(b1, t))) / ((b[i] / (1 - pow(b2, t))).squareRoot() + eps)
                case .adamax:
                    a[i] = b1 * a[i] + (1 - b1) * g[i]
                    b[i] = max(b2 * b[i], abs(g[i]))
                    w[i] -= lr / (1 - pow(b1, t)) * a[i] / (b[i] + eps)
                case .nadam:
                    a[i] = b1 * a[i] + (1 - b1) * g[i]
                    b[i] = b2 * b[i] + (1 - b2) * g[i] * g[i]
                    let mBar = (1 - mu) * g[i] / (1 - product) + muNext * a[i] / (1 - product * muNext)
                    w[i] -= lr * mBar / ((b[i] / (1 - pow(b2, t))).squareRoot() + eps)
                }
            }
        }
        return w
    }

    @Test(arguments: configs)
    func matchesReference(_ config: OptimizerConfig) {
        var layout = ParameterLayout()
        _ = layout.reserve("k", 16, .kernel(rows: 4, cols: 4))
        _ = layout.reserve("b", 3, .bias)
        let store = ParameterStore(layout)
        let w0 = randomMatrix(rows: 1, cols: 19, seed: 21).map(Double.init)
        let gradients = (0..<3).map { randomMatrix(rows: 1, cols: 19, seed: 30 + UInt64($0), scale: 0.5).map(Double.init) }
        for i in 0..<19 { store.values.pointer[i] = Float(w0[i]) }
        let optimizer = OptimizerFactory.make(config, parameterCount: 19)
        for g in gradients {
            for i in 0..<19 { store.gradients.pointer[i] = Float(g[i]) }
            // Two ranges, as the layer-wise path calls it.
            optimizer.beginStep()
            optimizer.update(store, range: 0..<16)
            optimizer.update(store, range: 16..<19)
        }
        let expected = Self.reference(config, w0, gradients.map { $0.map { Double(Float($0)) } }, kernel: 16)
        let actual = store.values.array
        for i in 0..<19 {
            #expect(close(actual[i], expected[i], 2e-5), "\(config.name.rawValue)[\(i)]: \(actual[i]) vs \(expected[i])")
        }
        #expect(actual != w0.map(Float.init))
    }
}
