import Foundation
import Testing
@testable import Training
import Randomness

@Suite("Trainer")
struct TrainerTests {
    @Test func learnsMoons() throws {
        let config = smallTrial(samples: 400, hidden: [16, 16], epochs: 15)
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        let result = try trainer.fit { _ in .proceed }
        #expect(result.stopReason == .completed && result.epochs.count == 15)
        let first = result.epochs[0].metrics, last = result.epochs.last!.metrics
        #expect(last["loss"]! < first["loss"]!)
        #expect(last["val_accuracy"]! > 0.95)
        for key in ["loss", "accuracy", "lr", "val_loss", "val_accuracy", "val_precision", "val_recall", "val_f1"] {
            #expect(last[key] != nil, "missing \(key)")
        }
        #expect(result.epochs.map(\.epoch) == Array(1...15))
        let test = trainer.evaluate(.test)
        #expect(test["accuracy"]! > 0.9 && test["f1"]! > 0.9)
    }

    @Test(arguments: [LossKind.binaryCrossEntropy, .mse, .hinge])
    func binaryLossesLearnXor(_ loss: LossKind) throws {
        var config = smallTrial(dataset: .xor, samples: 400, hidden: [16, 16], activation: .tanh, epochs: 20)
        config.model.loss = loss
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        let result = try trainer.fit { _ in .proceed }
        #expect(result.epochs.last!.metrics["val_accuracy"]! > 0.85)
    }

    @Test func sameSeedGivesBitIdenticalRuns() throws {
        var config = smallTrial(samples: 200, hidden: [8, 8], epochs: 3)
        config.model.dropout = 0.2
        config.model.batchNorm = .after
        let dataset = try DatasetLoader.load(config.data)
        func run(_ c: TrialConfig) throws -> ([EpochMetrics], [Float]) {
            let trainer = try Trainer(config: c, dataset: dataset)
            let result = try trainer.fit { _ in .proceed }
            return (result.epochs.map { var e = $0; e.seconds = 0; e.trainingSeconds = 0; return e }, trainer.parameters)
        }
        let (a, wa) = try run(config), (b, wb) = try run(config)
        #expect(a == b)
        #expect(wa == wb)
        var other = config
        other.seed += 1
        let (c, wc) = try run(other)
        #expect(c != a && wc != wa)
    }

    @Test func earlyStoppingRestoresTheBestWeights() throws {
        // A wide net with a large rate on few noisy samples overfits quickly.
        var config = TrialConfig(
            seed: 3, data: DataConfig(dataset: .moons, validation: 100, samples: 40, noise: 0.35),
            model: ModelConfig(hidden: [64, 64]),
            training: TrainingConfig(epochs: 200, batchSize: 8, optimizer: OptimizerConfig(.adam, learningRate: 0.02)))
        config.training.earlyStopping = EarlyStoppingConfig(monitor: .valLoss, patience: 4, restoreBest: true)
        let dataset = try DatasetLoader.load(config.data)
        let trainer = try Trainer(config: config, dataset: dataset)
        var seen: [Int] = []
        let result = try trainer.fit { seen.append($0.epoch); return .proceed }
        #expect(result.stopReason == .earlyStopping)
        let best = try #require(result.bestEpoch)
        #expect(result.epochs.count == best + 4)
        #expect(seen == result.epochs.map(\.epoch))
        let bestLoss = result.epochs[best - 1].metrics["val_loss"]!
        #expect(result.epochs.allSatisfy { $0.metrics["val_loss"]! >= bestLoss })
        #expect(result.restoredBest)
        // The weights in place are those of the best epoch: validation metrics match exactly.
        #expect(trainer.evaluate(.validation)["loss"] == bestLoss)

        config.training.earlyStopping?.restoreBest = false
        let keep = try Trainer(config: config, dataset: dataset)
        let kept = try keep.fit { _ in .proceed }
        #expect(!kept.restoredBest)
        #expect(keep.evaluate(.validation)["loss"] == kept.epochs.last!.metrics["val_loss"])
        #expect(keep.evaluate(.validation)["loss"] != bestLoss)
    }

    @Test func callerCanStopTraining() throws {
        let config = smallTrial(epochs: 10)
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        let result = try trainer.fit { $0.epoch == 2 ? .stop : .proceed }
        #expect(result.stopReason == .stoppedByCaller && result.epochs.count == 2)
        #expect(throws: TrainingError.alreadyTrained) { _ = try trainer.fit { _ in .proceed } }
    }

    @Test func divergenceStopsWithoutCrashing() throws {
        let config = smallTrial(hidden: [32], optimizer: OptimizerConfig(.sgd, learningRate: 1e12), epochs: 5)
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        let result = try trainer.fit { _ in .proceed }
        #expect(result.stopReason == .diverged)
        #expect(result.epochs.count < 5)
        #expect(result.epochs.allSatisfy { $0.metrics.values.allSatisfy(\.isFinite) })
    }

    @Test func progressIsReported() throws {
        let config = smallTrial(samples: 400, epochs: 2, batchSize: 10)  // 40 batches per epoch
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        var reports: [BatchProgress] = []
        _ = try trainer.fit(progress: { reports.append($0) }, onEpoch: { _ in .proceed })
        #expect(reports.map(\.batch) == [20, 40, 20, 40])
        #expect(reports.allSatisfy { $0.batchesPerEpoch == 40 && $0.loss.isFinite })
    }

    @Test func maxNormHoldsAfterTraining() throws {
        var config = smallTrial(hidden: [12, 6], optimizer: OptimizerConfig(.adam, learningRate: 0.05), epochs: 3)
        config.model.maxNorm = 0.5
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        _ = try trainer.fit { _ in .proceed }
        let w = trainer.parameters
        var exceeded = false
        var constrainedColumns = 0
        for block in trainer.network.store.blocks {
            guard case .kernel(let rows, let cols) = block.role else { continue }
            for j in 0..<cols {
                let norm = (0..<rows).reduce(0.0) { $0 + Double(w[block.offset + $1 * cols + j] * w[block.offset + $1 * cols + j]) }.squareRoot()
                if block.constrained {
                    #expect(norm <= 0.5 + 1e-5)
                    constrainedColumns += 1
                } else if norm > 0.5 {
                    exceeded = true
                }
            }
        }
        #expect(constrainedColumns == 12 + 6)  // every hidden unit was checked
        #expect(exceeded)  // the output layer is not constrained and grows past r
    }

    @Test func mcDropoutPredictions() throws {
        var config = smallTrial(samples: 200, hidden: [32], epochs: 3)
        config.model.dropout = 0.3
        config.training.mcDropoutSamples = 20
        let dataset = try DatasetLoader.load(config.data)
        let trainer = try Trainer(config: config, dataset: dataset)
        _ = try trainer.fit { _ in .proceed }
        let x = Array(dataset.test.features.prefix(20))
        let deterministic = trainer.predictProbabilities(x)
        #expect(deterministic.count == 10 && deterministic.width == 2)
        #expect(deterministic.std.allSatisfy { $0 == 0 })
        let mc = trainer.predictProbabilities(x, mcSamples: 30)
        #expect(mc.std.contains { $0 > 1e-3 })
        #expect(mc.mean != deterministic.mean)
        for r in 0..<10 { #expect(close(Double(mc.mean[2 * r] + mc.mean[2 * r + 1]), 1, 1e-5)) }
        // Validation metrics use the MC mean when mc_dropout_samples > 0.
        let metrics = trainer.evaluate(.validation)
        #expect(metrics["accuracy"]! > 0.7)
    }

    @Test func learningRateFinderSweepsAndSuggests() throws {
        let config = smallTrial(samples: 800, hidden: [16], optimizer: OptimizerConfig(.sgd), batchSize: 8)
        let result = try LearningRateFinder.run(config: config, dataset: try DatasetLoader.load(config.data))
        #expect(close(result.learningRates.first!, 1e-5))
        #expect(zip(result.learningRates, result.learningRates.dropFirst()).allSatisfy { $0 < $1 })
        #expect(result.learningRates.last! <= 10 + 1e-9)
        // The loss at the suggested rate's turning point is below the loss at the start.
        let best = result.smoothedLosses.min()!
        #expect(best < result.smoothedLosses[0])
        let suggestion = try #require(result.suggestion)
        #expect(suggestion > 1e-5 && suggestion < 1)
        let turning = result.learningRates[result.smoothedLosses.firstIndex(of: best)!]
        #expect(close(suggestion, turning / 10))
    }

    /// A lucky low first batch was the minimum of a curve that then fell steadily: "never
    /// fell", no suggestion. The first tenth of the steps (at most 10) is not counted.
    @Test func learningRateFinderSkipsTheFirstSteps() {
        let rates = (0..<40).map { 1e-5 * pow(10, Double($0) / 6) }
        let falling = (1..<38).map { 1.36 - 0.01 * Double($0) }
        let smoothed = [0.94] + falling + [0.96 * 5, 9]
        let lowest = smoothed.indices.dropFirst(4).min { smoothed[$0] < smoothed[$1] }!
        #expect(LearningRateFinder.suggestion(rates: rates, smoothed: smoothed) == rates[lowest] / 10)
        // Rising from the first counted step on: no suggestion.
        #expect(LearningRateFinder.suggestion(rates: rates, smoothed: (0..<40).map { 1 + Double($0) }) == nil)
        #expect(LearningRateFinder.suggestion(rates: [], smoothed: []) == nil)
    }

    @Test func datasetMismatchIsReported() throws {
        let config = smallTrial()
        let blobs = try DatasetLoader.load(DataConfig(dataset: .blobs, samples: 50))
        #expect(throws: TrainingError.self) { _ = try Trainer(config: config, dataset: blobs) }
    }

    @Test
    func fashionMNISTSubsetLearns() throws {
        let config = TrialConfig(
            seed: 1,
            data: DataConfig(dataset: .fashionMNIST, trainLimit: 3000, validationLimit: 1000, testLimit: 500),
            model: ModelConfig(hidden: [64]),
            training: TrainingConfig(epochs: 3, batchSize: 32))
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        let result = try trainer.fit { _ in .proceed }
        #expect(result.epochs.last!.metrics["val_accuracy"]! > 0.7)
        #expect(trainer.evaluate(.test)["accuracy"]! > 0.7)
    }
}

@Suite("Trainer internals")
struct TrainerInternalsTests {
    /// Updating each layer right after its backward pass must give exactly the result of
    /// updating everything after the full backward pass, for every optimizer (whose vector
    /// loops and scalar tails then see different parameters).
    @Test(arguments: [ClipConfig?.none, .value(0.05), .norm(0.1)], optimizersOfEveryFamily)
    func layerwiseUpdatesMatchTheGlobalPath(_ clip: ClipConfig?, _ optimizer: OptimizerConfig) throws {
        var config = smallTrial(samples: 100, hidden: [8, 6], optimizer: optimizer, epochs: 2)
        config.model.batchNorm = .after
        config.model.l2 = 0.01
        config.model.maxNorm = 1
        config.training.clip = clip
        let dataset = try DatasetLoader.load(config.data)
        func train(_ layerwise: Bool) throws -> ([Float], [Float], Double) {
            let trainer = try Trainer(config: config, dataset: dataset)
            trainer.layerwiseUpdates = layerwise
            let result = try trainer.fit { _ in .proceed }
            return (trainer.parameters, trainer.nonTrainableState, result.epochs.last!.metrics["loss"]!)
        }
        let a = try train(true), b = try train(false)
        #expect(a.0 == b.0 && a.1 == b.1)
        // The penalty's layer sums are added in another order: the reported loss may differ
        // in its last bits.
        #expect(abs(a.2 - b.2) <= 1e-12 * abs(b.2))
    }

    /// Summing a wide kernel's gradient in chunks of rows and updating each chunk at once
    /// must give exactly the result of the whole-layer update, for every optimizer family
    /// (AdamW's decay applies to the chunk's part of the kernel) and with PReLU's alphas.
    static let optimizersOfEveryFamily = [
        OptimizerConfig(.adam, learningRate: 0.01), OptimizerConfig(.adamw, learningRate: 0.01, weightDecay: 0.1),
        OptimizerConfig(.nesterov, learningRate: 0.05, momentum: 0.9), OptimizerConfig(.momentum, learningRate: 0.05),
        OptimizerConfig(.sgd, learningRate: 0.05), OptimizerConfig(.rmsprop, learningRate: 0.01, momentum: 0.5),
        OptimizerConfig(.nadam, learningRate: 0.01), OptimizerConfig(.adamax, learningRate: 0.01),
        OptimizerConfig(.adagrad, learningRate: 0.05),
    ]

    @Test(arguments: optimizersOfEveryFamily)
    func streamedKernelUpdatesMatchTheLayerUpdate(_ optimizer: OptimizerConfig) throws {
        // 300 x 300 = 90,000 weights: chunks of 48 rows, the last one 12 rows.
        var config = smallTrial(samples: 100, hidden: [300, 300], optimizer: optimizer, epochs: 2, batchSize: 16)
        config.model.activation = optimizer.name == .adam ? .prelu(alpha: 0.25) : .relu
        let dataset = try DatasetLoader.load(config.data)
        func train(_ streamed: Bool) throws -> ([Float], Double) {
            let trainer = try Trainer(config: config, dataset: dataset)
            trainer.mayStreamKernelGradients = streamed
            #expect(trainer.streamsKernelGradients == streamed)
            let chunked = trainer.network.layers.compactMap { ($0 as? DenseLayer)?.kernelGradientChunkRows(samples: 16) }
            #expect(chunked == [48])
            let result = try trainer.fit { _ in .proceed }
            return (trainer.parameters, result.epochs.last!.metrics["loss"]!)
        }
        let streamed = try train(true), whole = try train(false)
        #expect(streamed.0 == whole.0 && streamed.1 == whole.1)
    }

    /// Penalties and max-norm apply to wide kernels as to the others: the configuration
    /// turns streaming off (streamed chunks would skip them).
    @Test func aWholeTensorRuleKeepsWideKernelsOutOfTheStream() throws {
        var config = smallTrial(samples: 100, hidden: [300, 300], epochs: 2, batchSize: 16)
        config.model.l2 = 0.01
        config.model.maxNorm = 0.5
        let dataset = try DatasetLoader.load(config.data)
        func train(_ streamed: Bool) throws -> [Float] {
            let trainer = try Trainer(config: config, dataset: dataset)
            trainer.mayStreamKernelGradients = streamed
            _ = try trainer.fit { _ in .proceed }
            return trainer.parameters
        }
        let plain = try train(false)
        #expect(try train(true) == plain)
        // The constraint bound the wide kernel (300 x 300, after the 2 x 300 one and its bias).
        let wide = Array(plain[900..<90_900])
        let norms = (0..<300).map { j in (0..<300).reduce(Float(0)) { $0 + wide[$1 * 300 + j] * wide[$1 * 300 + j] }.squareRoot() }
        #expect(norms.max()! <= 0.5 + 1e-5, "\(norms.max()!)")
    }

    /// Network-level: a chunked first layer (no input gradient; 784 x 300, a last chunk of
    /// 16 rows), a second one of 301 units (a last chunk of 12 x 301 values, a scalar tail
    /// inside it) and a Dense on rank-3 input (4 positions per sample) give exactly what
    /// whole-layer updates give, for every optimizer.
    @Test(arguments: optimizersOfEveryFamily)
    func streamedChunksOfEveryShapeMatchWholeLayers(_ optimizer: OptimizerConfig) {
        // One BLAS thread, as the trainer sets before it streams (`allowsKernelStreaming`):
        // this test builds the network itself, and before any trainer has run OpenBLAS uses
        // every core, where a product may split its rows between threads differently from one
        // run to the next while other suites run beside it.
        Gemm.useSingleThread()
        func run(_ model: ModelConfig, sampleShape: [Int], streamed: Bool) -> ([Float], [Int]) {
            let rows = 16
            var rng = SeededGenerator(seed: 5)
            let net = Network(model: model, sampleShape: sampleShape, classes: 10, capacity: rows, rng: &rng)
            let update = OptimizerFactory.make(optimizer, parameterCount: net.store.count)
            var data = SeededGenerator(seed: 11)
            let width = sampleShape.reduce(1, *)
            for _ in 0..<3 {
                let x = (0..<rows * width).map { _ in data.nextFloat() - 0.5 }
                var noise = SeededGenerator(seed: 3)
                _ = x.withUnsafeBufferPointer { net.forward($0.baseAddress!, rows: rows, mode: .training, rng: &noise) }
                for i in 0..<rows * net.outputWidth { net.lossGradient.pointer[i] = data.nextFloat() - 0.5 }
                update.beginStep()
                let layerDone = { (blocks: Range<Int>) in update.update(net.store, range: net.store.range(ofBlocks: blocks)) }
                if streamed {
                    net.backward(rows: rows, streamingKernelsTo: { update.update(net.store, range: $0) }, layerDone: layerDone)
                } else {
                    net.backward(rows: rows, layerDone: layerDone)
                }
            }
            return (net.store.values.array, net.layers.compactMap { ($0 as? DenseLayer)?.kernelGradientChunkRows(samples: rows) })
        }
        let cases: [(ModelConfig, [Int], [Int])] = [
            (ModelConfig(hidden: [300, 301]), [784], [48, 48]),
            (ModelConfig(hidden: [], layers: [.dense(DenseSpec(units: 300, activation: .relu)), .flatten]), [2, 2, 256], [48]),
        ]
        for (model, shape, chunks) in cases {
            let streamed = run(model, sampleShape: shape, streamed: true), whole = run(model, sampleShape: shape, streamed: false)
            #expect(streamed.1 == chunks)
            let differing = zip(streamed.0, whole.0).filter { $0 != $1 }.count
            #expect(differing == 0, "\(optimizer.name), input \(shape): \(differing) parameters differ")
        }
    }

    /// Chunks only for wide kernels at small batches, in multiples of 48 rows, never one chunk.
    @Test func kernelGradientChunksOnlyWhereTheyPay() {
        #expect(KernelGradientStreaming.rowsPerChunk(fanIn: 784, units: 300, batchRows: 32) == 48)
        #expect(KernelGradientStreaming.rowsPerChunk(fanIn: 784, units: 100, batchRows: 64) == 144)
        #expect(KernelGradientStreaming.rowsPerChunk(fanIn: 784, units: 300, batchRows: 128) == nil)
        #expect(KernelGradientStreaming.rowsPerChunk(fanIn: 300, units: 100, batchRows: 32) == nil)
        #expect(KernelGradientStreaming.rowsPerChunk(fanIn: 100, units: 1_024, batchRows: 1) == 48)
        #expect(KernelGradientStreaming.rowsPerChunk(fanIn: 100, units: 1_025, batchRows: 1) == nil)
        #expect(KernelGradientStreaming.rowsPerChunk(fanIn: 48, units: 1_024, batchRows: 32) == nil)
    }

    /// Penalties, clipping and max-norm go through the layer's whole gradient, and more than
    /// one BLAS thread may sum differently: no chunks then.
    @Test func kernelGradientsAreNotStreamedWhenAWholeTensorIsNeeded() throws {
        let base = smallTrial(samples: 50, hidden: [8], epochs: 1)
        let dataset = try DatasetLoader.load(base.data)
        var variants: [TrialConfig] = []
        for change in 0..<4 {
            var config = base
            switch change {
            case 0: config.model.l1 = 0.01
            case 1: config.model.l2 = 0.01
            case 2: config.model.maxNorm = 2
            default: config.training.clip = .value(1)
            }
            variants.append(config)
        }
        for config in variants { #expect(try !Trainer(config: config, dataset: dataset).streamsKernelGradients) }
        #expect(try Trainer(config: base, dataset: dataset).streamsKernelGradients)
        // Two BLAS threads may split a product differently from its chunks.
        #expect(!Trainer.allowsKernelStreaming(base, blasThreads: 2))
    }

    /// The fused ReLU-mask/bias-gradient pass equals the two separate passes.
    @Test func fusedReLUBackwardMatches() {
        let rows = 5, cols = 13
        let out = randomMatrix(rows: rows, cols: cols, seed: 1).map { max($0, 0) }
        var g1 = randomMatrix(rows: rows, cols: cols, seed: 2), g2 = g1
        var s1 = [Float](repeating: 9, count: cols), s2 = s1
        out.withUnsafeBufferPointer { o in
            g1.withUnsafeMutableBufferPointer { g in
                s1.withUnsafeMutableBufferPointer { ActivationUnit.maskPositiveWithColumnSums(g.baseAddress!, o.baseAddress!, rows: rows, cols: cols, sums: $0.baseAddress!) }
            }
            g2.withUnsafeMutableBufferPointer { g in
                ActivationUnit.maskPositive(g.baseAddress!, o.baseAddress!, count: rows * cols, negativeSlope: 0)
                s2.withUnsafeMutableBufferPointer { VectorOps.columnSums(g.baseAddress!, rows: rows, cols: cols, into: $0.baseAddress!) }
            }
        }
        #expect(g1 == g2 && s1 == s2)
        #expect(g1.contains(0) && g1.contains { $0 != 0 })
    }
}

@Suite("Floating-point mode")
struct FloatingPointModeTests {
    @Test func denormalsAreFlushedOnlyInsideTraining() {
        let values: [Float] = [Float.leastNormalMagnitude / 4, 0.5]  // a denormal; opaque to constant folding
        let tiny = values[0], half = values[1]
        FlushToZero.run {
            #expect(tiny * half == 0)  // flushed while training
            FlushToZero.suspended { #expect(tiny * half > 0) }  // callbacks see normal arithmetic
        }
        #expect(tiny * half > 0)  // the caller's mode is restored
    }
}
