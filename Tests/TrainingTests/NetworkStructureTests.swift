import Randomness
import Testing
@testable import Training

@Suite("Network structure and parameter counts")
struct NetworkStructureTests {
    @Test func twoThreeTwoDenseNetHas17Parameters() throws {
        let config = TrialConfig(data: DataConfig(dataset: .moons), model: ModelConfig(hidden: [3]))
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        let summary = trainer.summary
        #expect(summary.totalParameters == 17)
        #expect(summary.trainableParameters == 17 && summary.nonTrainableParameters == 0)
        #expect(summary.layers.map(\.parameters) == [9, 8])
        #expect(trainer.parameters.count == 17)
    }

    @Test func batchNormNetOfTheCourse() {
        // Flatten, BN, Dense 300, BN, Dense 100, BN, Dense 10 (BN after the activation).
        var rng = SeededGenerator(seed: 1)
        let model = ModelConfig(hidden: [300, 100], activation: .relu, batchNorm: .after, inputBatchNorm: true)
        let net = Network(model: model, sampleShape: [28, 28], classes: 10, capacity: 4, rng: &rng)
        let summary = net.summary
        #expect(summary.layers.map(\.kind) == ["Flatten", "BatchNormalization", "Dense", "BatchNormalization", "Dense", "BatchNormalization", "Dense"])
        #expect(summary.layers.map(\.parameters) == [0, 3136, 235_500, 1200, 30_100, 400, 1010])
        #expect(summary.totalParameters == 271_346)
        #expect(summary.trainableParameters == 268_978)
        #expect(summary.nonTrainableParameters == 2368)
        #expect(net.store.count == 268_978 && net.store.state.count == 2368)
        #expect(summary.description.contains("Total params: 271346"))
    }

    @Test func batchNormBeforeActivationDropsTheDenseBias() {
        var rng = SeededGenerator(seed: 1)
        let model = ModelConfig(hidden: [300, 100], batchNorm: .before)
        let net = Network(model: model, sampleShape: [784], classes: 10, capacity: 4, rng: &rng)
        #expect(net.summary.layers.map(\.kind) == ["Dense", "BatchNormalization", "Activation", "Dense", "BatchNormalization", "Activation", "Dense"])
        #expect(net.summary.layers[0].parameters == 784 * 300)
        #expect(net.summary.layers[1].trainable == 600 && net.summary.layers[1].nonTrainable == 600)
    }

    @Test func dropoutPReLUAndOutputWidths() {
        var rng = SeededGenerator(seed: 1)
        let model = ModelConfig(hidden: [6], activation: .prelu(alpha: 0.25), dropout: 0.5, dropoutKind: .alpha, inputDropout: 0.1, loss: .binaryCrossEntropy)
        let net = Network(model: model, sampleShape: [2], classes: 2, capacity: 4, rng: &rng)
        #expect(net.summary.layers.map(\.kind) == ["AlphaDropout", "Dense", "AlphaDropout", "Dense"])
        #expect(net.summary.layers[1].parameters == 2 * 6 + 6 + 6)  // kernel, bias, one slope per unit
        #expect(net.outputWidth == 1)
        #expect(net.firstTrainable == 1)
    }

    @Test func initializerStatistics() {
        var rng = SeededGenerator(seed: 3)
        let fanIn = 400, fanOut = 300
        var weights = [Float](repeating: 0, count: fanIn * fanOut)
        weights.withUnsafeMutableBufferPointer { Initializer.heNormal.fill($0.baseAddress!, fanIn: fanIn, fanOut: fanOut, using: &rng) }
        let std = (weights.reduce(0.0) { $0 + Double($1 * $1) } / Double(weights.count)).squareRoot()
        #expect(close(std, (2.0 / 400).squareRoot(), 0.02))
        let cut = 2 * (2.0 / 400).squareRoot() / 0.87962566
        #expect(weights.allSatisfy { Double(abs($0)) <= cut + 1e-6 })
        weights.withUnsafeMutableBufferPointer { Initializer.glorotUniform.fill($0.baseAddress!, fanIn: fanIn, fanOut: fanOut, using: &rng) }
        let limit = (6.0 / 700).squareRoot()
        #expect(weights.allSatisfy { Double(abs($0)) <= limit })
        #expect(Double(weights.map { abs($0) }.max()!) > 0.99 * limit)
        let uniformStd = (weights.reduce(0.0) { $0 + Double($1 * $1) } / Double(weights.count)).squareRoot()
        #expect(close(uniformStd, (1.0 / 350).squareRoot(), 0.02))
    }
}

@Suite("Layers")
struct LayerTests {
    @Test func batchNormUpdatesMovingStatisticsAndUsesThemAtInference() {
        var layout = ParameterLayout()
        let layer = BatchNormLayer(label: "bn", width: 2, momentum: 0.99, epsilon: 1e-3)
        layer.reserve(in: &layout)
        let store = ParameterStore(layout)
        layer.bind(store)
        var rng = SeededGenerator(seed: 1)
        layer.initialize(using: &rng)
        layer.allocate(capacity: 4)
        let x: [Float] = [1, 10, 3, 20, 5, 30, 7, 40]  // feature means 4 and 25, biased variances 5 and 125
        let out = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, rows: 4, mode: .training, rng: &rng), count: 8)) }
        #expect(close(out[0], (1 - 4) / (5 + 1e-3).squareRoot(), 1e-5))
        let state = store.state.array  // moving means then moving variances
        #expect(close(state[0], 0.01 * 4, 1e-6) && close(state[1], 0.01 * 25, 1e-6))
        #expect(close(state[2], 0.99 + 0.01 * 5, 1e-6) && close(state[3], 0.99 + 0.01 * 125, 1e-5))
        let inference = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, rows: 4, mode: .inference, rng: &rng), count: 8)) }
        #expect(close(inference[0], (1 - 0.04) / (1.04 + 1e-3).squareRoot(), 1e-5))
    }

    func dropoutOutput(_ kind: DropoutKind, rate: Double, input: [Float], mode: ForwardMode) -> [Float] {
        let layer = DropoutLayer(width: input.count, rate: rate, kind: kind)
        layer.allocate(capacity: 1)
        var rng = SeededGenerator(seed: 2)
        return input.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, rows: 1, mode: mode, rng: &rng), count: input.count)) }
    }

    @Test func invertedDropoutScalesKeptUnits() {
        let input = [Float](repeating: 1, count: 20_000)
        let out = dropoutOutput(.standard, rate: 0.25, input: input, mode: .training)
        #expect(Set(out) == [0, Float(1 / 0.75)])
        let kept = Double(out.filter { $0 > 0 }.count) / 20_000
        #expect(abs(kept - 0.75) < 0.02)
        #expect(dropoutOutput(.standard, rate: 0.25, input: input, mode: .inference) == input)
        #expect(dropoutOutput(.standard, rate: 0.25, input: input, mode: .monteCarloDropout) != input)
    }

    @Test func alphaDropoutKeepsMeanAndVariance() {
        let input = randomMatrix(rows: 1, cols: 50_000, seed: 8)  // N(0, 1): SELU's fixed point
        let out = dropoutOutput(.alpha, rate: 0.2, input: input, mode: .training)
        let mean = out.reduce(0.0) { $0 + Double($1) } / Double(out.count)
        let variance = out.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(out.count)
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.03)
        #expect(dropoutOutput(.alpha, rate: 0.2, input: input, mode: .inference) == input)
    }
}

@Suite("Benchmark helpers")
struct BenchmarkHelperTests {
    @Test func gemmCeilingIsMeasured() {
        let rate = GemmCeiling.samplesPerSecond(widths: [20, 10, 3], batchSize: 8, samples: 800)
        #expect(rate.isFinite && rate > 0)
    }

    @Test func profileSplitsStepTime() throws {
        let config = smallTrial(samples: 200, epochs: 1)
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        trainer.profiling = true
        _ = try trainer.fit { _ in .proceed }
        let p = trainer.profile
        #expect(p.steps == trainer.batchesPerEpoch && p.samples == 200)
        #expect(p.gemm > 0 && p.gemm < p.forward + p.backward)
        #expect(p.gemmShare > 0 && p.gemmShare < 1)
    }
}

/// A convolution's unrolled windows count toward the memory check: a 4,096-wide kernel on
/// 28x28 images (within the kernel limit) passed it, then `sweep train` and every worker
/// that took the trial crashed ("failed to allocate 52613349376 bytes").
@Suite struct ConvolutionMemoryTests {
    func images(_ count: Int) -> Dataset {
        let split = DataSplit(features: [Float](repeating: 0.5, count: count * 784), labels: (0..<count).map { Int32($0 % 10) }, width: 784)
        return Dataset(config: DataConfig(dataset: .fashionMNIST), sampleShape: [28, 28, 1], classNames: (0..<10).map { "c\($0)" }, train: split, validation: split, test: split)
    }

    @Test func aKernelWhoseWindowsExceedMemoryIsRefusedBeforeAllocating() throws {
        let wide = ModelConfig(hidden: [], conv: ConvBlocksConfig(blocks: 1, filters: 1, kernelSize: WindowSize(4096), pooling: .none))
        let unrolled = try Network.unrolledWindowFloats(model: wide, sampleShape: [28, 28, 1], classes: 10)
        #expect(unrolled == 784 * 4096 * 4096)
        do {
            _ = try Trainer(config: TrialConfig(data: DataConfig(dataset: .fashionMNIST), model: wide), dataset: images(10))
            Issue.record("a 52 GB window matrix was not refused")
        } catch let TrainingError.invalidConfig(message) {
            #expect(message.contains("convolution's windows") && message.contains("kernel_size"), "\(message)")
        }
        // A usual kernel: small, and no refusal (3x3 stride 1 goes by Winograd, without windows).
        let usual = ModelConfig(hidden: [], conv: ConvBlocksConfig(blocks: 1, filters: 4, kernelSize: WindowSize(5), pooling: .none))
        #expect(try Network.unrolledWindowFloats(model: usual, sampleShape: [28, 28, 1], classes: 10) == 784 * 25)
        _ = try Trainer(config: TrialConfig(data: DataConfig(dataset: .fashionMNIST), model: usual), dataset: images(10))
    }
}
