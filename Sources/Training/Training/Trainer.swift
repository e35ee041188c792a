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
    /// The (validated) configuration.
    public let config: TrialConfig
    /// The data it trains and evaluates on.
    public let dataset: Dataset
    /// The schedule of this run (rates are a pure function of `step` and `scheduleState`).
    public let schedule: LearningRateSchedule
    /// The schedule's state (changed by plateau after each epoch).
    public internal(set) var scheduleState = LearningRateSchedule.State()
    /// Training steps taken so far.
    public internal(set) var step = 0
    /// Timing of the training steps while `profiling` is on.
    public internal(set) var profile = TrainingProfile()
    /// Turns per-phase timing on (a few clock reads per step).
    public var profiling = false {
        didSet { network.gemm.timing = profiling }
    }

    /// The training split's ``DataSplit/digest``, for checkpoints: computed once (the data
    /// never changes under a trainer; a checkpoint is taken every epoch).
    private(set) lazy var trainDigest = dataset.train.digest

    let network: Network
    var optimizer: any Optimizer
    /// Transfer learning: the layers taken from the base model, and the freeze state.
    var transfer: TransferState?
    /// The outcome of `fit`, once it ran.
    public private(set) var result: TrainingResult?
    var shuffleRNG: SeededGenerator
    var dropoutRNG: SeededGenerator
    var evaluationRNG: SeededGenerator
    let batchInput: FloatBuffer
    var batchLabels: [Int32]
    /// Regression: the batch's targets (empty for classification).
    var batchTargets: [Float]
    /// Regression: the errors of this epoch's training batches (running metrics).
    var trainingErrors = MetricAccumulator()
    var order: [Int32]
    var fitted = false
    /// The metrics of every finished epoch (a restored checkpoint's included).
    var history: [EpochMetrics] = []
    /// Early-stopping bookkeeping, when the run uses it.
    var stopping: EarlyStoppingState?
    /// Largest number of rows per forward pass in evaluation.
    let evaluationChunk: Int
    /// Update each layer as soon as its gradients are ready (see `trainStep`); off only in
    /// the test that checks both paths agree.
    var layerwiseUpdates = true
    /// Whether the configuration lets wide Dense kernels go to the optimizer in chunks of
    /// rows as their gradient is summed (see `trainStep`): no penalty, clipping or max-norm
    /// to apply to the gradient first (one place, `finish` in `trainStep`, does those), and
    /// one BLAS thread (only then is a chunk's product bit for bit a part of the whole one).
    let configAllowsKernelStreaming: Bool
    static func allowsKernelStreaming(_ config: TrialConfig, blasThreads: Int) -> Bool {
        blasThreads == 1 && config.training.clip == nil && config.model.maxNorm == nil && config.model.l1 == 0 && config.model.l2 == 0
    }
    /// Off only in the tests that check both paths agree.
    var mayStreamKernelGradients = true
    /// Whether this trainer streams kernel gradients to the optimizer.
    var streamsKernelGradients: Bool { mayStreamKernelGradients && configAllowsKernelStreaming }

    /// Builds and initializes the network; throws `TrainingError` for an invalid configuration
    /// or a data set that does not match it.
    ///
    /// With `model.transfer`, the lower layers come from `baseModel`; when it is nil,
    /// `transfer.from` is read as a model file path (other references must be resolved by
    /// the caller). The reused layers must have the shapes of this network's layers.
    /// `blasThreads` is the number of OpenBLAS threads for the matrix products (process-wide;
    /// 1, the default, when every core runs its own worker).
    /// `decoded` says the configuration came from decoding (a file, the wire), which checked
    /// every rule already: the JSON round trip of ``TrialConfig/validated()`` is then skipped
    /// (the checks against the loaded data below always run).
    public init(config: TrialConfig, dataset: Dataset, baseModel: Model? = nil, blasThreads: Int = 1, decoded: Bool = false) throws {
        var config = config
        do {
            config = decoded ? config : try config.validated()
        } catch {
            throw TrainingError.invalidConfig(TrainingError.describe(error))
        }
        // A batch larger than the training split is the whole split (as in Keras): one of
        // 2^63 - 1 overflowed the buffer sizes (a crash in every worker).
        config.training.batchSize = min(config.training.batchSize, max(1, dataset.train.count))
        self.config = config
        if let expected = config.data.classCount, dataset.classCount != expected {
            throw TrainingError.dataMismatch("the data set has \(dataset.classCount) classes, the configuration expects \(expected)")
        }
        if let problem = config.crossSectionProblem(classes: dataset.classCount) {
            throw TrainingError.invalidConfig("\(problem.key.rawValue): \(problem.message)")
        }
        guard dataset.train.count > 0 else { throw TrainingError.dataMismatch("the training split is empty") }
        guard dataset.train.width == dataset.featureCount else {
            throw TrainingError.dataMismatch("samples have \(dataset.train.width) features, the shape says \(dataset.featureCount)")
        }
        let summary: NetworkSummary
        let unrolledWindowFloats: Double
        do {
            summary = try Network.summary(model: config.model, sampleShape: dataset.sampleShape, classes: dataset.classCount, task: dataset.task)
            unrolledWindowFloats = try Network.unrolledWindowFloats(model: config.model, sampleShape: dataset.sampleShape, classes: dataset.classCount, task: dataset.task)
        } catch {
            throw TrainingError.invalidConfig("model.\(error)")
        }
        self.dataset = dataset
        Gemm.useThreads(blasThreads)
        configAllowsKernelStreaming = Self.allowsKernelStreaming(config, blasThreads: blasThreads)

        let batchSize = config.training.batchSize
        evaluationChunk = Network.evaluationChunk(widestLayer: summary.widestLayer, batchSize: batchSize)
        let memory = MemoryEstimate(summary: summary, inputWidth: dataset.featureCount, rows: evaluationChunk, optimizer: config.training.optimizer.name,
                                    unrolledWindowFloats: unrolledWindowFloats)
        if let problem = memory.problem(batchSize: batchSize, parameters: summary.totalParameters) {
            throw TrainingError.invalidConfig("model: \(problem)")
        }
        var initRNG = SeededGenerator(seed: config.seed, stream: 1)
        shuffleRNG = SeededGenerator(seed: config.seed, stream: 2)
        dropoutRNG = SeededGenerator(seed: config.seed, stream: 3)
        evaluationRNG = SeededGenerator(seed: config.seed, stream: 4)
        network = Network(
            model: config.model, sampleShape: dataset.sampleShape, classes: dataset.classCount, task: dataset.task,
            capacity: evaluationChunk, rng: &initRNG)
        optimizer = OptimizerFactory.make(config.training.optimizer, parameterCount: network.store.count)
        let stepsPerEpoch = (dataset.train.count + batchSize - 1) / batchSize
        schedule = LearningRateSchedule(
            config.training.schedule, baseLearningRate: config.training.optimizer.resolvedLearningRate,
            stepsPerEpoch: stepsPerEpoch, epochs: config.training.epochs)
        batchInput = FloatBuffer(count: batchSize * dataset.featureCount)
        batchLabels = [Int32](repeating: 0, count: batchSize)
        batchTargets = [Float](repeating: 0, count: dataset.task == .regression ? batchSize : 0)
        order = (0..<Int32(dataset.train.count)).map { $0 }
        stopping = config.training.earlyStopping.map { EarlyStoppingState(config: $0) }
        if let transferConfig = self.config.model.transfer {
            let base = try baseModel ?? Self.loadBaseModel(transferConfig.from)
            transfer = try TransferState(config: transferConfig, base: base, into: network)
        }
    }

    /// Layers, output shapes and parameter counts.
    public var summary: NetworkSummary { network.summary }

    /// Steps per epoch.
    public var batchesPerEpoch: Int { schedule.stepsPerEpoch }

    // MARK: Training

    /// Trains for `training.epochs` epochs (or until early stopping, divergence or `.stop`);
    /// after `restore(from:)`, the epochs after the checkpoint's.
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
        var reason = StopReason.completed
        let first = (history.last?.epoch ?? 0) + 1

        for epoch in first..<(training.epochs + 1) {
            updateFreeze(epoch: epoch)
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
            history.append(record)
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
           let bestEpoch = state.bestEpoch, bestEpoch != history.last?.epoch || reason == .diverged {
            network.store.restore(best)
            restored = true
        }
        network.frozenPrefix = 0
        let result = TrainingResult(epochs: history, bestEpoch: stopping?.bestEpoch, restoredBest: restored, stopReason: reason)
        self.result = result
        return result
    }

    /// One pass over the shuffled training split; nil when the loss diverged.
    private func runEpoch(_ epoch: Int, progress: ((BatchProgress) -> Void)?) -> [String: Double]? {
        let train = dataset.train
        let n = train.count, batchSize = config.training.batchSize
        if config.training.shuffle { shuffleOrder() }
        var lossSum = 0.0, correct = 0, seen = 0
        var lastLR = 0.0
        trainingErrors = MetricAccumulator()
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
        if let targetScale = dataset.targetScale {
            var metrics = trainingErrors.regressionMetrics(targetScale: Double(targetScale.std))
            metrics["loss"] = lossSum / Double(seen)
            metrics["lr"] = lastLR
            return metrics
        }
        return ["loss": lossSum / Double(seen), "accuracy": Double(correct) / Double(seen), "lr": lastLR]
    }

    // MARK: Parameters

    /// A copy of all trainable parameters, in layer order (kernels row-major fan_in x units).
    public var parameters: [Float] { network.store.values.array }
    /// A copy of the non-trainable state (batch-norm moving means and variances).
    public var nonTrainableState: [Float] { network.store.state.array }
}
