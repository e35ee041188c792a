import Foundation
import Randomness
import Testing
@testable import Training

/// The worked examples of the Keras course notes (seed 003) and the shape rules of the
/// convolution and pooling layers.
@Suite("Convolutional structure")
struct ConvStructureTests {
    static let relu = Activation.relu

    func conv(_ filters: Int, _ kernel: Int, _ padding: Padding, stride: Int = 1) -> LayerSpec {
        .conv2d(Conv2DSpec(filters: filters, kernelSize: WindowSize(kernel), strides: WindowSize(stride), padding: padding))
    }

    func summary(_ layers: [LayerSpec], input: [Int], classes: Int = 2) throws -> NetworkSummary {
        try Network.summary(model: ModelConfig(activation: Self.relu, layers: layers), sampleShape: input, classes: classes)
    }

    @Test func validModelOfTheCourse() throws {
        // Dense(16) on 20x20x3, Conv2D 32/3x3, 64/5x5, 128/7x7 valid, Flatten, Dense(2).
        let s = try summary([.dense(DenseSpec(units: 16)), conv(32, 3, .valid), conv(64, 5, .valid), conv(128, 7, .valid), .flatten], input: [20, 20, 3])
        #expect(s.layers.map(\.kind) == ["Dense", "Conv2D", "Conv2D", "Conv2D", "Flatten", "Dense"])
        #expect(s.layers.map(\.name) == ["dense", "conv2d", "conv2d_1", "conv2d_2", "flatten", "dense_1"])
        #expect(s.layers.map(\.outputShape) == [[20, 20, 16], [18, 18, 32], [14, 14, 64], [8, 8, 128], [8192], [2]])
        #expect(s.layers.map(\.parameters) == [64, 4640, 51_264, 401_536, 0, 16_386])
        #expect(s.totalParameters == 473_890 && s.trainableParameters == 473_890 && s.nonTrainableParameters == 0)
        // The network built from it has the same counts.
        var rng = SeededGenerator(seed: 1)
        let net = Network(model: ModelConfig(activation: Self.relu, layers: [.dense(DenseSpec(units: 16)), conv(32, 3, .valid), conv(64, 5, .valid), conv(128, 7, .valid), .flatten]),
                          sampleShape: [20, 20, 3], classes: 2, capacity: 2, rng: &rng)
        #expect(net.summary == s)
        #expect(net.store.count == 473_890)
    }

    @Test func samePaddingModelOfTheCourse() throws {
        let s = try summary([.dense(DenseSpec(units: 16)), conv(32, 3, .same), conv(64, 5, .same), conv(128, 7, .same), .flatten], input: [20, 20, 3])
        #expect(s.layers.map(\.outputShape) == [[20, 20, 16], [20, 20, 32], [20, 20, 64], [20, 20, 128], [51_200], [2]])
        #expect(s.layers.map(\.parameters) == [64, 4640, 51_264, 401_536, 0, 102_402])
        #expect(s.totalParameters == 559_906)
    }

    @Test func poolingModelOfTheCourse() throws {
        let pool = LayerSpec.maxPool(PoolSpec(poolSize: WindowSize(2), strides: WindowSize(2), padding: .valid))
        let s = try summary([.dense(DenseSpec(units: 16)), conv(32, 3, .same), pool, conv(64, 5, .same), .flatten], input: [20, 20, 3])
        #expect(s.layers.map(\.kind) == ["Dense", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense"])
        #expect(s.layers.map(\.outputShape) == [[20, 20, 16], [20, 20, 32], [10, 10, 32], [10, 10, 64], [6400], [2]])
        #expect(s.layers.map(\.parameters) == [64, 4640, 0, 51_264, 0, 12_802])
        #expect(s.totalParameters == 68_770)
        #expect(s.description.contains("max_pooling2d (MaxPooling2D)") && s.description.contains("(None, 10, 10, 32)"))
    }

    @Test func twoConvExampleHas2515Parameters() throws {
        // 20x20x3, conv 2 filters 3x3 same (56), conv 3 filters 3x3 same (57), dense 2 (2402).
        let s = try summary([conv(2, 3, .same), conv(3, 3, .same)], input: [20, 20, 3])
        #expect(s.layers.map(\.parameters) == [56, 57, 0, 2402])
        #expect(s.layers[2].outputShape == [1200])  // Flatten added before the output layer
        #expect(s.totalParameters == 2515)
    }

    @Test(arguments: [
        // input, kernel, stride, padding -> output
        (28, 3, 1, Padding.valid, 26), (28, 3, 1, .same, 28), (28, 3, 2, .valid, 13), (28, 3, 2, .same, 14),
        (28, 5, 3, .valid, 8), (28, 5, 3, .same, 10), (7, 7, 1, .valid, 1), (20, 7, 1, .same, 20), (5, 2, 2, .valid, 2), (5, 2, 2, .same, 3),
    ])
    func outputSizes(_ n: Int, _ k: Int, _ s: Int, _ padding: Padding, _ expected: Int) throws {
        let g = try #require(WindowGeometry(input: [n, n, 1], kernel: WindowSize(k), strides: WindowSize(s), padding: padding))
        #expect(g.outputHeight == expected && g.outputWidth == expected)
        if padding == .same {
            let total = max((expected - 1) * s + k - n, 0)
            #expect(g.padTop == total / 2)
        }
    }

    @Test func kernelLargerThanInputDoesNotFit() {
        #expect(WindowGeometry(input: [4, 4, 1], kernel: WindowSize(5), strides: WindowSize(1), padding: .valid) == nil)
        #expect(WindowGeometry(input: [4, 4, 1], kernel: WindowSize(5), strides: WindowSize(1), padding: .same) != nil)
    }

    @Test func maxPoolExampleOfTheCourse() {
        // [[4,3,8,5],[9,1,3,6],[6,3,5,3],[2,5,2,5]] -> [[9,8],[6,5]] with a 2x2 window, stride 2.
        let input: [Float] = [4, 3, 8, 5, 9, 1, 3, 6, 6, 3, 5, 3, 2, 5, 2, 5]
        #expect(pool(input, [4, 4, 1], .max) == [9, 8, 6, 5])
        #expect(pool(input, [4, 4, 1], .average) == [4.25, 5.5, 4, 3.75])
    }

    @Test func poolingPerChannelAndSamePadding() {
        // Two channels interleaved (channels-last): channel 1 is channel 0 negated.
        let plain: [Float] = [4, 3, 8, 5, 9, 1, 3, 6, 6, 3, 5, 3, 2, 5, 2, 5]
        let twoChannels = plain.flatMap { [$0, -$0] }
        #expect(pool(twoChannels, [4, 4, 2], .max) == [9, -1, 8, -3, 6, -2, 5, -2])
        // 3x3 input, 2x2 windows, same padding: the last row/column windows only see real cells.
        let small: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        #expect(pool(small, [3, 3, 1], .max, padding: .same) == [5, 6, 8, 9])
        #expect(pool(small, [3, 3, 1], .average, padding: .same) == [3, 4.5, 7.5, 9])
    }

    func pool(_ input: [Float], _ shape: [Int], _ op: PoolingLayer.Operation, padding: Padding = .valid) -> [Float] {
        let g = WindowGeometry(input: shape, kernel: WindowSize(2), strides: WindowSize(2), padding: padding)!
        let layer = PoolingLayer(geometry: g, operation: op)
        layer.allocate(capacity: 1)
        var rng = SeededGenerator(seed: 1)
        let out = input.withUnsafeBufferPointer { layer.forward($0.baseAddress!, rows: 1, mode: .inference, rng: &rng) }
        return Array(UnsafeBufferPointer(start: out, count: layer.outputWidth))
    }

    @Test(arguments: [(Padding.valid, 1), (.same, 1), (.valid, 2), (.same, 2)])
    func convolutionMatchesTheDefinition(_ padding: Padding, _ stride: Int) {
        // Cross-correlation computed directly: out[y,x,f] = b[f] + sum K[ky,kx,c,f] * in[y*s+ky-pt, x*s+kx-pl, c].
        let h = 6, w = 5, c = 2, f = 3, k = 3, samples = 2
        let g = WindowGeometry(input: [h, w, c], kernel: WindowSize(k), strides: WindowSize(stride), padding: padding)!
        var rng = SeededGenerator(seed: 4)
        var layout = ParameterLayout()
        let layer = Conv2DLayer(label: "c", geometry: g, filters: f, activation: nil, initializer: .glorotUniform, useBias: true,
                                constrained: false, gemm: Gemm(), capacity: samples, tileSamples: 1)
        layer.reserve(in: &layout)
        let store = ParameterStore(layout)
        layer.bind(store)
        layer.initialize(using: &rng)
        layer.allocate(capacity: samples)
        for i in 0..<f { store.values.pointer[k * k * c * f + i] = Float(i) * 0.1 }  // bias
        let x = randomMatrix(rows: samples, cols: h * w * c, seed: 3)
        let out = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, rows: samples, mode: .inference, rng: &rng), count: samples * layer.outputWidth)) }
        let kernel = store.values.array
        var maxError: Float = 0
        for b in 0..<samples {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for j in 0..<f {
                        var sum = kernel[k * k * c * f + j]
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * stride + ky - g.padTop, ix = ox * stride + kx - g.padLeft
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                for ch in 0..<c { sum += kernel[((ky * k + kx) * c + ch) * f + j] * x[b * h * w * c + (iy * w + ix) * c + ch] }
                            }
                        }
                        let got = out[b * layer.outputWidth + (oy * g.outputWidth + ox) * f + j]
                        maxError = max(maxError, abs(got - sum))
                    }
                }
            }
        }
        #expect(maxError < 1e-5)
    }

    @Test func denseActsOnTheLastAxis() {
        // Dense(2) on a 3x4x5 input: each of the 12 positions maps its 5 values through the same kernel.
        var rng = SeededGenerator(seed: 2)
        let model = ModelConfig(activation: .tanh, layers: [.dense(DenseSpec(units: 2, activation: .tanh))])
        let net = Network(model: model, sampleShape: [3, 4, 5], classes: 2, capacity: 1, rng: &rng)
        #expect(net.summary.layers[0].outputShape == [3, 4, 2])
        #expect(net.summary.layers[0].parameters == 5 * 2 + 2)
        let x = randomMatrix(rows: 1, cols: 60, seed: 9)
        let out = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: net.layers[0].forward($0.baseAddress!, rows: 1, mode: .inference, rng: &rng), count: 24)) }
        let w = net.store.values.array  // kernel 5x2, then bias 0
        for position in [0, 7, 11] {
            let expected = (0..<5).reduce(Float(0)) { $0 + x[position * 5 + $1] * w[$1 * 2 + 1] }
            #expect(abs(out[position * 2 + 1] - tanhf(expected)) < 1e-5)
        }
        let flatModel = ModelConfig(activation: .tanh, layers: [.flatten, .dense(DenseSpec(units: 5))])
        let flat = Network(model: flatModel, sampleShape: [3, 4, 1], classes: 2, capacity: 1, rng: &rng)
        #expect(flat.summary.layers.map(\.parameters) == [0, 12 * 5 + 5, 12])
    }

    @Test func convBlocksExpand() throws {
        let model = ModelConfig(
            hidden: [128], activation: .relu,
            conv: ConvBlocksConfig(blocks: 2, filters: 32, filterGrowth: 2, kernelSize: WindowSize(3), padding: .same, pooling: .max, batchNorm: .after, dropout: 0.25))
        let s = try Network.summary(model: model, sampleShape: [28, 28], classes: 10)
        #expect(s.layers.map(\.kind) == [
            "Conv2D", "BatchNormalization", "MaxPooling2D", "Dropout", "Conv2D", "BatchNormalization", "MaxPooling2D", "Dropout",
            "Flatten", "Dense", "Dense",
        ])
        #expect(s.layers.map(\.outputShape) == [[28, 28, 32], [28, 28, 32], [14, 14, 32], [14, 14, 32], [14, 14, 64], [14, 14, 64], [7, 7, 64], [7, 7, 64], [3136], [128], [10]])
        #expect(s.layers[0].parameters == 3 * 3 * 32 + 32)
        #expect(s.layers[1].trainable == 64 && s.layers[1].nonTrainable == 64)  // BN per channel
        #expect(s.layers[4].parameters == 3 * 3 * 32 * 64 + 64)
        #expect(s.layers[9].parameters == 3136 * 128 + 128)
    }

    @Test func denseNetsOnImagesAreUnchanged() throws {
        // No conv: images are flattened first, exactly as before (the BN net of the course).
        let s = try Network.summary(model: ModelConfig(hidden: [300, 100], batchNorm: .after, inputBatchNorm: true), sampleShape: [28, 28], classes: 10)
        #expect(s.totalParameters == 271_346 && s.nonTrainableParameters == 2368)
    }
}
