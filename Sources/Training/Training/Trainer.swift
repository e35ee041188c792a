import Randomness

/// Trains one network on one data set as a `TrialConfig` describes.
///
/// ```swift
/// let dataset = try DatasetLoader.load(config.data)
/// let trainer = try Trainer(config: config, dataset: dataset)
/// let result = try trainer.fit { epoch in
///     print(epoch.epoch, epoch.metrics["val_accuracy"]!)
///     return .proceed
/// }
/// let test = trainer.evaluate(.test)
/// ```
///
/// Deterministic: the same configuration, seed and data give bit-identical weights and
/// metrics on the same machine (one BLAS thread; the seed feeds separate streams for
/// initialization, shuffling, dropout and MC-dropout evaluation). Not thread-safe: use a
/// trainer from one thread (the data set can be shared).
public final class Trainer {
    public let config: TrialConfig
    public let dataset: Dataset
    /// The schedule of this run (rates are a pure function of `step` and `scheduleState`).
    public let schedule: LearningRateSchedule
    public private(set) var scheduleState = LearningRateSchedule.State()
    /// Training steps taken so far.
    public private(set) var step = 0
    /// Timing of the training steps while `profiling` is on.
    public private(set) var profile = TrainingProfile()
    /// Turns per-phase timing on (a few clock reads per step).
    public var profiling = false {
        didSet { network.gemm.timing = profiling }
    }

    let network: Network
    let optimizer: any Optimizer
    private var shuffleRNG: SeededGenerator
    private var dropoutRNG: SeededGenerator
    private var evaluationRNG: SeededGenerator
    private let batchInput: FloatBuffer
    private var batchLabels: [Int32]
    private var order: [Int32]
    private var fitted = false
    /// Largest number of rows per forward pass in evaluation.
    private let evaluationChunk: Int
    /// Update each layer as soon as its gradients are ready (see `trainStep`); off only in
    /// the test that checks both paths agree.
    var layerwiseUpdates = true

    public init(config: TrialConfig, dataset: Dataset) throws {
        do {
            self.config = try config.validated()
        } catch {
            throw TrainingError.invalidConfig(TrainingError.describe(error))
        }
        guard dataset.classCount == config.data.classCount else {
            throw TrainingError.dataMismatch("the data set has \(dataset.classCount) classes, the configuration expects \(config.data.classCount)")
        }
        guard dataset.train.count > 0 else { throw TrainingError.dataMismatch("the training split is empty") }
        guard dataset.train.width == dataset.featureCount else {
            throw TrainingError.dataMismatch("samples have \(dataset.train.width) features, the shape says \(dataset.featureCount)")
        }
        self.dataset = dataset
        Gemm.useSingleThread()

        let batchSize = config.training.batchSize
        evaluationChunk = max(batchSize, 1024)
        var initRNG = SeededGenerator(seed: config.seed, stream: 1)
        shuffleRNG = SeededGenerator(seed: config.seed, stream: 2)
        dropoutRNG = SeededGenerator(seed: config.seed, stream: 3)
        evaluationRNG = SeededGenerator(seed: config.seed, stream: 4)
        network = Network(
            model: config.model, sampleShape: dataset.sampleShape, classes: dataset.classCount,
            capacity: evaluationChunk, rng: &initRNG)
        optimizer = OptimizerFactory.make(config.training.optimizer, parameterCount: network.store.count)
        let stepsPerEpoch = (dataset.train.count + batchSize - 1) / batchSize
        schedule = LearningRateSchedule(
            config.training.schedule, baseLearningRate: config.training.optimizer.resolvedLearningRate,
            stepsPerEpoch: stepsPerEpoch, epochs: config.training.epochs)
        batchInput = FloatBuffer(count: batchSize * dataset.featureCount)
        batchLabels = [Int32](repeating: 0, count: batchSize)
        order = (0..<Int32(dataset.train.count)).map { $0 }
    }

    /// Layers, output shapes and parameter counts.
    public var summary: NetworkSummary { network.summary }

    public var batchesPerEpoch: Int { schedule.stepsPerEpoch }

    // MARK: Training

    /// Trains for `training.epochs` epochs (or until early stopping, divergence or `.stop`).
    ///
    /// - Parameters:
    ///   - progress: called every 20 batches and at the end of each epoch; keep it cheap.
    ///   - onEpoch: called after each epoch with its metrics; return `.stop` to end training.
    public func fit(
        progress: ((BatchProgress) -> Void)? = nil,
        onEpoch: (EpochMetrics) -> EpochDecision
    ) throws -> TrainingResult {
        guard !fitted else { throw TrainingError.alreadyTrained }
        fitted = true
        return FlushToZero.run { train(progress: progress, onEpoch: onEpoch) }
    }

    private func train(progress: ((BatchProgress) -> Void)?, onEpoch: (EpochMetrics) -> EpochDecision) -> TrainingResult {
        let training = config.training
        var epochs: [EpochMetrics] = []
        var stopping = training.earlyStopping.map { EarlyStoppingState(config: $0) }
        var reason = StopReason.completed

        for epoch in 1...training.epochs {
            let epochStart = Stopwatch.now()
            guard let trainMetrics = runEpoch(epoch, progress: progress) else {
                reason = .diverged
                break
            }
            let trainingSeconds = Stopwatch.now() - epochStart
            var metrics = trainMetrics
            if dataset.validation.count > 0 {
                for (key, value) in evaluate(.validation) { metrics["val_" + key] = value }
            }
            guard metrics.values.allSatisfy(\.isFinite) else {
                reason = .diverged
                break
            }
            let record = EpochMetrics(
                epoch: epoch, metrics: metrics, seconds: Stopwatch.now() - epochStart, trainingSeconds: trainingSeconds)
            epochs.append(record)
            scheduleState = schedule.afterEpoch(scheduleState, metrics: metrics)
            let stopEarly = stopping?.update(epoch: epoch, metrics: metrics, store: network.store) ?? false
            let decision = FlushToZero.suspended { onEpoch(record) }
            if stopEarly {
                reason = .earlyStopping
                break
            }
            if decision == .stop {
                reason = .stoppedByCaller
                break
            }
        }

        var restored = false
        if let state = stopping, state.config.restoreBest, let best = state.snapshot,
           let bestEpoch = state.bestEpoch, bestEpoch != epochs.last?.epoch || reason == .diverged {
            network.store.restore(best)
            restored = true
        }
        return TrainingResult(epochs: epochs, bestEpoch: stopping?.bestEpoch, restoredBest: restored, stopReason: reason)
    }

    /// One pass over the shuffled training split; nil when the loss diverged.
    private func runEpoch(_ epoch: Int, progress: ((BatchProgress) -> Void)?) -> [String: Double]? {
        let train = dataset.train
        let n = train.count, batchSize = config.training.batchSize
        if config.training.shuffle { shuffleOrder() }
        var lossSum = 0.0, correct = 0, seen = 0
        var lastLR = 0.0
        let batches = batchesPerEpoch
        let diverged: Bool = train.features.withUnsafeBufferPointer { features in
            train.labels.withUnsafeBufferPointer { labels in
                for batch in 0..<batches {
                    let start = batch * batchSize, rows = min(batchSize, n - start)
                    lastLR = prepareStep()
                    let t0 = profiling ? Stopwatch.now() : 0
                    gather(features.baseAddress!, labels.baseAddress!, from: start, rows: rows)
                    if profiling { profile.gather += Stopwatch.now() - t0 }
                    let (loss, hits) = trainStep(rows: rows)
                    guard loss.isFinite else { return true }
                    lossSum += loss
                    correct += hits
                    seen += rows
                    if let progress, (batch + 1) % 20 == 0 || batch + 1 == batches {
                        let report = BatchProgress(epoch: epoch, batch: batch + 1, batchesPerEpoch: batches, loss: lossSum / Double(seen))
                        FlushToZero.suspended { progress(report) }
                    }
                }
                return false
            }
        }
        if diverged { return nil }
        return ["loss": lossSum / Double(seen), "accuracy": Double(correct) / Double(seen), "lr": lastLR]
    }

    /// Sets the optimizer's rate (and 1cycle momentum) for the next step; returns the rate.
    private func prepareStep() -> Double {
        let lr = schedule.learningRate(step: step, state: scheduleState)
        optimizer.learningRate = lr
        if let momentum = schedule.momentum(step: step), optimizer.momentum != nil {
            optimizer.momentum = momentum
        }
        return lr
    }

    func shuffleOrder() {
        // Fisher-Yates with the trial's shuffle stream.
        var i = order.count - 1
        while i > 0 {
            let j = shuffleRNG.nextInt(below: i + 1)
            order.swapAt(i, j)
            i -= 1
        }
    }

    /// Copies the rows of batch positions `start..<start+rows` (in shuffled order) into the
    /// batch buffers.
    func gather(_ features: UnsafePointer<Float>, _ labels: UnsafePointer<Int32>, from start: Int, rows: Int) {
        let width = dataset.featureCount
        order.withUnsafeBufferPointer { order in
            let indices = order.baseAddress! + start
            VectorOps.gatherRows(features, width: width, indices: indices, count: rows, into: batchInput.pointer)
            batchLabels.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows { out[r] = labels[Int(indices[r])] }
            }
        }
    }

    /// Forward, loss, backward, penalties, clipping, update and constraints for the batch in
    /// the batch buffers. Returns the summed loss (penalty included per sample) and hits.
    ///
    /// Unless gradients are clipped by their global norm, each layer is regularized,
    /// clipped, updated and constrained as soon as its backward pass is done (see
    /// `Network.backward`); every operation involved is per tensor, so the result is the
    /// same as updating after the whole backward pass, with the gradients still in cache.
    func trainStep(rows: Int) -> (loss: Double, correct: Int) {
        let model = config.model, clip = config.training.clip, profiling = self.profiling
        var t = profiling ? Stopwatch.now() : 0
        func lap(_ phase: WritableKeyPath<TrainingProfile, Double>) {
            guard profiling else { return }
            let now = Stopwatch.now()
            profile[keyPath: phase] += now - t
            t = now
        }
        let out = network.forward(batchInput.pointer, rows: rows, mode: .training, rng: &dropoutRNG)
        lap(\.forward)
        let (loss, correct) = batchLabels.withUnsafeBufferPointer {
            network.head.lossAndGradient(out, labels: $0.baseAddress!, rows: rows, gradient: network.lossGradient.pointer)
        }
        lap(\.loss)
        var penalty = 0.0
        let store = network.store
        func finish(_ blocks: Range<Int>?) {
            penalty += Regularization.addPenaltyGradients(l1: model.l1, l2: model.l2, to: store, blocks: blocks)
            if let clip { GradientClipping.apply(clip, to: store, blocks: blocks) }
            optimizer.update(store, range: blocks.map { store.range(ofBlocks: $0) } ?? 0..<store.count)
            if let radius = model.maxNorm { network.applyMaxNorm(radius, blocks: blocks) }
        }
        optimizer.beginStep()
        if layerwiseUpdates && GradientClipping.isLocal(clip) {
            var updateSeconds = 0.0
            network.backward(rows: rows) { blocks in
                let start = profiling ? Stopwatch.now() : 0
                finish(blocks)
                if profiling { updateSeconds += Stopwatch.now() - start }
            }
            lap(\.backward)
            profile.backward -= updateSeconds
            profile.update += updateSeconds
        } else {
            network.backward(rows: rows)
            lap(\.backward)
            finish(nil)
            lap(\.update)
        }
        step += 1
        if profiling {
            profile.steps += 1
            profile.samples += rows
            profile.gemm = network.gemm.seconds
        }
        return (loss + penalty * Double(rows), correct)
    }

    // MARK: Evaluation and prediction

    /// Loss and accuracy (plus precision, recall, F1 for two-class sets) on a split, in
    /// inference mode, or as the mean of `mc_dropout_samples` MC-dropout passes when set.
    /// The loss includes the L1/L2 penalty, as in Keras.
    /// - Parameter mcSamples: overrides `mc_dropout_samples` (0: deterministic inference).
    public func evaluate(_ split: Split, mcSamples: Int? = nil) -> [String: Double] {
        let data = dataset.split(split)
        return evaluate(features: data.features, labels: data.labels, mcSamples: mcSamples)
    }

    /// Metrics on any samples with this data set's feature layout.
    public func evaluate(features: [Float], labels: [Int32], mcSamples: Int? = nil) -> [String: Double] {
        FlushToZero.run { metrics(features: features, labels: labels, mcSamples: mcSamples) }
    }

    private func metrics(features: [Float], labels: [Int32], mcSamples: Int?) -> [String: Double] {
        let width = dataset.featureCount
        precondition(features.count == labels.count * width, "features and labels disagree")
        var acc = MetricAccumulator()
        let passes = mcSamples.map { hasDropout ? $0 : 0 } ?? mcPasses
        let head = network.head
        features.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                var start = 0
                while start < labels.count {
                    let rows = min(evaluationChunk, labels.count - start)
                    let input = x.baseAddress! + start * width, truth = y.baseAddress! + start
                    if passes == 0 {
                        let out = network.forward(input, rows: rows, mode: .inference, rng: &evaluationRNG)
                        head.accumulate(out, labels: truth, rows: rows, into: &acc)
                    } else {
                        let (mean, _) = monteCarlo(input, rows: rows, passes: passes, withStd: false)
                        mean.withUnsafeBufferPointer { head.accumulatePredictions($0.baseAddress!, labels: truth, rows: rows, into: &acc) }
                    }
                    start += rows
                }
            }
        }
        let penalty = Regularization.penalty(l1: config.model.l1, l2: config.model.l2, of: network.store)
        return acc.metrics(binary: dataset.classCount == 2, penalty: penalty)
    }

    private var hasDropout: Bool { config.model.dropout > 0 || config.model.inputDropout > 0 }

    /// MC-dropout passes for evaluation: the configured count when the net has dropout.
    private var mcPasses: Int { hasDropout ? config.training.mcDropoutSamples : 0 }

    /// Predictions for `features` (row-major, this data set's feature layout): with
    /// `mcSamples` > 0 the mean and standard deviation over that many MC-dropout passes,
    /// otherwise one deterministic pass.
    public func predictProbabilities(_ features: [Float], mcSamples: Int = 0) -> Prediction {
        FlushToZero.run { predictions(features, mcSamples: mcSamples) }
    }

    private func predictions(_ features: [Float], mcSamples: Int) -> Prediction {
        let width = dataset.featureCount, pw = network.head.predictionWidth
        let count = features.count / width
        var mean = [Float](), std = [Float]()
        mean.reserveCapacity(count * pw)
        std.reserveCapacity(count * pw)
        features.withUnsafeBufferPointer { x in
            var start = 0
            while start < count {
                let rows = min(evaluationChunk, count - start)
                let input = x.baseAddress! + start * width
                let (m, s) = monteCarlo(input, rows: rows, passes: max(1, mcSamples), withStd: true, stochastic: mcSamples > 0)
                mean += m
                std += s
                start += rows
            }
        }
        return Prediction(mean: mean, std: std, width: pw)
    }

    /// Mean (and optionally population std) of the prediction rows over `passes` forward passes.
    private func monteCarlo(
        _ input: UnsafePointer<Float>, rows: Int, passes: Int, withStd: Bool, stochastic: Bool = true
    ) -> (mean: [Float], std: [Float]) {
        let pw = network.head.predictionWidth, n = rows * pw
        var sum = [Double](repeating: 0, count: n), squares = [Double](repeating: 0, count: withStd ? n : 0)
        var prediction = [Float](repeating: 0, count: n)
        for _ in 0..<passes {
            let out = network.forward(input, rows: rows, mode: stochastic ? .monteCarloDropout : .inference, rng: &evaluationRNG)
            prediction.withUnsafeMutableBufferPointer { network.head.predictions(out, rows: rows, into: $0.baseAddress!) }
            for i in 0..<n {
                let v = Double(prediction[i])
                sum[i] += v
                if withStd { squares[i] += v * v }
            }
        }
        let k = Double(passes)
        let mean = sum.map { Float($0 / k) }
        let std = withStd ? (0..<n).map { Float(max(0, squares[$0] / k - (sum[$0] / k) * (sum[$0] / k)).squareRoot()) } : []
        return (mean, std)
    }

    // MARK: Parameters

    /// A copy of all trainable parameters, in layer order (kernels row-major fan_in x units).
    public var parameters: [Float] { network.store.values.array }
    /// A copy of the non-trainable state (batch-norm moving means and variances).
    public var nonTrainableState: [Float] { network.store.state.array }
}
