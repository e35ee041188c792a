import Randomness
import Testing
@testable import Training

/// Finite-difference checks of the convolution, pooling, flatten and last-axis Dense layers,
/// the same way as `GradientCheckTests`: every parameter block (sampled entries) of nets in
/// which each new layer sits above a trainable layer, so its input gradient is checked too.
@Suite("Gradient checks of the convolutional layers")
struct ConvGradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var layers: [LayerSpec]
        var activation: Activation = .tanh
        var shape = [6, 5, 2]
        /// im2col tile in samples (1 forces the tiled backward path).
        var tile: Int? = nil
        var testDescription: String { name }
    }

    static func conv(_ f: Int, _ k: Int, _ padding: Padding, stride: Int = 1, activation: Activation? = nil) -> LayerSpec {
        .conv2d(Conv2DSpec(filters: f, kernelSize: WindowSize(k), strides: WindowSize(stride), padding: padding, activation: activation))
    }

    static let cases: [Case] = [
        Case(name: "conv valid stride 1", layers: [conv(3, 3, .valid), conv(2, 2, .valid)]),
        Case(name: "conv same stride 1", layers: [conv(3, 3, .same), conv(2, 3, .same)]),
        Case(name: "conv valid stride 2", layers: [conv(3, 3, .same), conv(2, 3, .valid, stride: 2)]),
        Case(name: "conv same stride 2, tiled", layers: [conv(3, 3, .same), conv(2, 3, .same, stride: 2)], tile: 1),
        Case(name: "conv 1x2 kernel, rectangular", layers: [conv(2, 2, .valid), .conv2d(Conv2DSpec(filters: 2, kernelSize: WindowSize(1, 2), strides: WindowSize(2, 1), padding: .same))]),
        Case(name: "max pooling", layers: [conv(3, 3, .same), .maxPool(PoolSpec(poolSize: WindowSize(2)))]),
        Case(name: "max pooling same, stride 1", layers: [conv(3, 2, .same), .maxPool(PoolSpec(poolSize: WindowSize(2), strides: WindowSize(1), padding: .same))]),
        Case(name: "average pooling same", layers: [conv(3, 3, .same), .averagePool(PoolSpec(poolSize: WindowSize(2), padding: .same))]),
        Case(name: "dense on the last axis", layers: [.dense(DenseSpec(units: 3)), conv(2, 3, .same), .dense(DenseSpec(units: 4))]),
        Case(name: "batch norm and activation on images", layers: [conv(3, 3, .same, activation: .selu), .batchNorm, .activation(.elu(alpha: 1)), conv(2, 2, .valid)]),
        Case(name: "prelu conv", layers: [conv(3, 3, .same), conv(2, 3, .valid, activation: .prelu(alpha: 0.2))]),
        Case(name: "relu conv, flatten, dense", layers: [conv(4, 3, .same), .maxPool(PoolSpec(poolSize: WindowSize(2))), conv(3, 2, .valid), .flatten, .dense(DenseSpec(units: 5))], activation: .relu),
        Case(name: "dropout between convs", layers: [conv(3, 3, .same), .dropout(0.3), conv(2, 3, .valid)]),
        // 8+ input channels and a stride-1 3x3 kernel: the second conv runs Winograd.
        Case(name: "winograd same, odd size", layers: [conv(8, 3, .same), conv(3, 3, .same)], shape: [5, 5, 2]),
        Case(name: "winograd valid, even size, tiled", layers: [conv(9, 2, .valid), conv(3, 3, .valid)], shape: [7, 6, 2], tile: 1),
        Case(name: "winograd relu same, pool", layers: [conv(8, 3, .same), conv(4, 3, .same), .maxPool(PoolSpec(poolSize: WindowSize(2)))], activation: .relu, shape: [6, 6, 1]),
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) {
        let rows = 3, classes = 3
        var initRNG = SeededGenerator(seed: 11)
        let model = ModelConfig(activation: c.activation, layers: c.layers)
        let net = Network(model: model, sampleShape: c.shape, classes: classes, capacity: rows, rng: &initRNG, convTileSamples: c.tile)
        let x = randomMatrix(rows: rows, cols: c.shape.reduce(1, *), seed: 5)
        let labels: [Int32] = [0, 2, 1]
        expectGradientsMatchFiniteDifferences(net, x: x, labels: labels, rows: rows, mode: .training, step: 5e-4, picksPerBlock: 12)
    }

    @Test func tiledAndWholeBatchBackwardAgree() {
        // The same net with one im2col tile per sample and with the whole batch in one tile.
        let model = ModelConfig(activation: .tanh, layers: [Self.conv(3, 3, .same), Self.conv(4, 3, .valid, stride: 2)])
        func gradients(tile: Int?) -> [Float] {
            var rng = SeededGenerator(seed: 3)
            let net = Network(model: model, sampleShape: [7, 6, 2], classes: 3, capacity: 5, rng: &rng, convTileSamples: tile)
            let x = randomMatrix(rows: 5, cols: 84, seed: 8)
            let labels: [Int32] = [0, 1, 2, 1, 0]
            let out = x.withUnsafeBufferPointer { net.forward($0.baseAddress!, rows: 5, mode: .training, rng: &rng) }
            _ = labels.withUnsafeBufferPointer { net.head.lossAndGradient(out, labels: $0.baseAddress!, rows: 5, gradient: net.lossGradient.pointer) }
            net.backward(rows: 5)
            return net.store.gradients.array
        }
        let whole = gradients(tile: nil), tiled = gradients(tile: 2)
        #expect(zip(whole, tiled).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
    }
}
