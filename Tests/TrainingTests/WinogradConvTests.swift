import Randomness
import Testing
@testable import Training

/// The Winograd F(2x2, 3x3) convolution against the im2col reference: the same parameters,
/// input and output gradient give the same output, kernel, bias and input gradients (float32
/// Winograd rounds differently, so within 1e-4 of the largest reference value).
@Suite("Winograd convolution agrees with im2col")
struct WinogradConvTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var height: Int, width: Int, channels: Int, filters: Int
        var padding: Padding = .same
        var batch: Int
        /// Samples per transform chunk (nil: the whole batch).
        var tile: Int? = nil
        var activation: Activation? = .relu
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "same, even size, batch 1", height: 8, width: 8, channels: 8, filters: 8, batch: 1),
        Case(name: "same, odd sizes, channel tails", height: 7, width: 9, channels: 12, filters: 10, batch: 3),
        Case(name: "same, odd size, batch spanning chunks", height: 5, width: 5, channels: 8, filters: 16, batch: 5, tile: 2),
        Case(name: "valid, odd output, chunks", height: 6, width: 7, channels: 9, filters: 8, padding: .valid, batch: 4, tile: 3),
        Case(name: "the CNN's second conv", height: 14, width: 14, channels: 32, filters: 64, batch: 4, activation: nil),
    ]

    /// Output, kernel, bias and input gradients of one forward/backward pass.
    static func pass(_ c: Case, _ algorithm: Conv2DLayer.Algorithm) -> [[Float]] {
        let geometry = WindowGeometry(input: [c.height, c.width, c.channels], kernel: WindowSize(3), strides: WindowSize(1), padding: c.padding)!
        let layer = Conv2DLayer(
            label: "conv", geometry: geometry, filters: c.filters, activation: c.activation, initializer: .glorotUniform,
            useBias: true, constrained: false, gemm: Gemm(), capacity: c.batch, tileSamples: c.tile, algorithm: algorithm)
        #expect(layer.algorithm == algorithm)
        var layout = ParameterLayout()
        layer.reserve(in: &layout)
        let store = ParameterStore(layout)
        layer.bind(store)
        // Kernel and bias random (the bias nonzero so ReLU's mask matters).
        let values = randomMatrix(rows: 1, cols: store.count, seed: 21, scale: 0.3)
        store.values.pointer.update(from: values, count: store.count)
        layer.allocate(capacity: c.batch)
        var rng = SeededGenerator(seed: 1)
        let x = randomMatrix(rows: c.batch, cols: layer.inputWidth, seed: 7)
        let out = x.withUnsafeBufferPointer { layer.forward($0.baseAddress!, rows: c.batch, mode: .training, rng: &rng) }
        let output = Array(UnsafeBufferPointer(start: out, count: c.batch * layer.outputWidth))
        var dy = randomMatrix(rows: c.batch, cols: layer.outputWidth, seed: 9)
        let dx = dy.withUnsafeMutableBufferPointer { layer.backward($0.baseAddress!, rows: c.batch, needInputGradient: true)! }
        let inputGradient = Array(UnsafeBufferPointer(start: dx, count: c.batch * layer.inputWidth))
        let kernelCount = 9 * c.channels * c.filters
        let kernelGradient = Array(store.gradients.buffer[0..<kernelCount])
        let biasGradient = Array(store.gradients.buffer[kernelCount..<(kernelCount + c.filters)])
        return [output, kernelGradient, biasGradient, inputGradient]
    }

    @Test(arguments: cases)
    func outputsAndGradientsMatchIm2col(_ c: Case) {
        let reference = Self.pass(c, .im2col), winograd = Self.pass(c, .winograd)
        for (name, (want, got)) in zip(["output", "kernel gradient", "bias gradient", "input gradient"], zip(reference, winograd)) {
            #expect(want.count == got.count)
            let scale = want.map(abs).max() ?? 0
            #expect(scale > 0, "\(name) is all zeros: the comparison would prove nothing")
            let worst = zip(want, got).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * scale, "\(name): largest difference \(worst), largest value \(scale)")
        }
    }

    @Test func choosesWinogradOnlyWhereItApplies() {
        func algorithm(_ shape: [Int], kernel: Int, stride: Int) -> Conv2DLayer.Algorithm {
            let g = WindowGeometry(input: shape, kernel: WindowSize(kernel), strides: WindowSize(stride), padding: .same)!
            return Conv2DLayer(label: "c", geometry: g, filters: 8, activation: nil, initializer: .glorotUniform, useBias: true,
                               constrained: false, gemm: Gemm(), capacity: 2).algorithm
        }
        #expect(algorithm([14, 14, 32], kernel: 3, stride: 1) == .winograd)
        #expect(algorithm([28, 28, 1], kernel: 3, stride: 1) == .im2col)
        #expect(algorithm([14, 14, 32], kernel: 3, stride: 2) == .im2col)
        #expect(algorithm([14, 14, 32], kernel: 5, stride: 1) == .im2col)
    }
}
