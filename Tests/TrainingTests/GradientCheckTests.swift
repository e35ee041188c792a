import Randomness
import Testing
@testable import Training

/// Finite-difference checks of every layer, activation and loss: the analytic gradient of the
/// mean batch loss with respect to every parameter block (sampled entries) must match the
/// central difference. Networks have two hidden layers, so input gradients of every layer
/// type are exercised too (the first layer's parameters depend on them).
@Suite("Gradient checks")
struct GradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var model: ModelConfig
        var classes = 3
        var mode = ForwardMode.training
        var testDescription: String { name }
    }

    static let activations: [Activation] = [
        .sigmoid, .tanh, .relu, .leakyReLU(alpha: 0.2), .rrelu(lower: 0.125, upper: 1.0 / 3), .prelu(alpha: 0.25),
        .elu(alpha: 1), .selu, .swish,
    ]

    static let cases: [Case] = {
        var cases = activations.map {
            Case(name: "activation \($0.name.rawValue)", model: ModelConfig(hidden: [5, 4], activation: $0))
        }
        cases.append(Case(name: "rrelu at inference", model: ModelConfig(hidden: [5, 4], activation: .rrelu(lower: 0.1, upper: 0.3)), mode: .inference))
        cases.append(Case(name: "prelu at inference", model: ModelConfig(hidden: [5, 4], activation: .prelu(alpha: 0.1)), mode: .inference))
        for loss in [LossKind.crossEntropy, .binaryCrossEntropy, .mse, .hinge] {
            cases.append(Case(name: "loss \(loss.rawValue) binary", model: ModelConfig(hidden: [5, 4], activation: .tanh, loss: loss), classes: 2))
            if loss != .binaryCrossEntropy {
                cases.append(Case(name: "loss \(loss.rawValue) multiclass", model: ModelConfig(hidden: [5, 4], activation: .tanh, loss: loss), classes: 4))
            }
        }
        cases.append(Case(name: "batch norm after", model: ModelConfig(hidden: [5, 4], activation: .elu(alpha: 1), batchNorm: .after)))
        cases.append(Case(name: "batch norm before (prelu)", model: ModelConfig(hidden: [5, 4], activation: .prelu(alpha: 0.2), batchNorm: .before)))
        cases.append(Case(name: "input batch norm", model: ModelConfig(hidden: [5, 4], activation: .tanh, batchNorm: .after, inputBatchNorm: true)))
        cases.append(Case(name: "dropout", model: ModelConfig(hidden: [5, 4], activation: .tanh, dropout: 0.3, inputDropout: 0.2)))
        cases.append(Case(name: "alpha dropout", model: ModelConfig(hidden: [5, 4], activation: .selu, dropout: 0.3, dropoutKind: .alpha, inputDropout: 0.2)))
        cases.append(Case(name: "dense without bias", model: ModelConfig(hidden: [5, 4], activation: .sigmoid, useBias: false)))
        return cases
    }()

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) {
        let rows = 6, inputs = 4
        var initRNG = SeededGenerator(seed: 11)
        let net = Network(model: c.model, sampleShape: [inputs], classes: c.classes, capacity: rows, rng: &initRNG)
        let x = randomMatrix(rows: rows, cols: inputs, seed: 5)
        var labelRNG = SeededGenerator(seed: 6)
        let labels = (0..<rows).map { _ in Int32(labelRNG.nextInt(below: c.classes)) }
        expectGradientsMatchFiniteDifferences(net, x: x, labels: labels, rows: rows, mode: c.mode, step: 4e-3, picksPerBlock: 10)
    }
}

/// Regression: the linear output and the MSE, MAE and Huber losses against finite
/// differences, and each loss's value and slope against its formula.
@Suite("Regression gradient checks")
struct RegressionGradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var loss: LossKind
        var huberDelta: Double?
        var testDescription: String { loss.rawValue + (huberDelta.map { " delta \($0)" } ?? "") }
    }

    /// Huber with a small delta puts most samples on the linear part, with delta 3 on the quadratic one.
    static let cases = [Case(loss: .mse), Case(loss: .mae), Case(loss: .huber), Case(loss: .huber, huberDelta: 0.3), Case(loss: .huber, huberDelta: 3)]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) {
        let rows = 8, inputs = 4
        var initRNG = SeededGenerator(seed: 11)
        let model = ModelConfig(hidden: [5, 4], activation: .tanh, loss: c.loss, huberDelta: c.huberDelta)
        let net = Network(model: model, sampleShape: [inputs], classes: 0, task: .regression, capacity: rows, rng: &initRNG)
        #expect(net.outputWidth == 1 && net.head.predictionWidth == 1)
        let x = randomMatrix(rows: rows, cols: inputs, seed: 5)
        // Targets far enough from the outputs that no |o - y| sits on a kink (MAE at 0, Huber at delta).
        let targets = randomMatrix(rows: rows, cols: 1, seed: 6, scale: 2)
        expectGradientsMatchFiniteDifferences(net, x: x, targets: targets, rows: rows, mode: .training, step: 2e-3, picksPerBlock: 10)
    }

    @Test func lossValuesAndSlopes() {
        func head(_ loss: LossKind, _ delta: Float = 1) -> LossHead { LossHead(kind: loss, classes: 0, task: .regression, huberDelta: delta) }
        for (o, y) in [(Float(2.5), Float(1)), (-1, 0.25), (0.5, 0.75)] {
            let d = o - y
            #expect(head(.mse).regressionLoss(o, target: y) == (d * d, 2 * d))
            #expect(head(.mae).regressionLoss(o, target: y) == (abs(d), d > 0 ? 1 : -1))
            let huber = head(.huber, 1).regressionLoss(o, target: y)
            #expect(huber == (abs(d) <= 1 ? (0.5 * d * d, d) : (abs(d) - 0.5, d > 0 ? 1 : -1)))
        }
        #expect(head(.mae).regressionLoss(1, target: 1).slope == 0)
        #expect(head(.huber, 0.5).regressionLoss(3, target: 1) == (0.5 * (2 - 0.25), 0.5))
    }
}
