import Foundation
import Randomness

/// A trained network loaded from a model file, for prediction (and as the base of a
/// transfer-learning trial).
///
/// ```swift
/// let model = try Model(path: "runs/best.swm")
/// let p = model.predict(rawPixels, count: n, mcSamples: 0)   // p.mean: n x classCount probabilities
/// ```
/// Raw inputs are what the data set stores before scaling (pixels 0...255, raw feature
/// values); the model applies the scaling of its training data, so predictions equal
/// `Trainer.predictProbabilities` of the trainer that wrote the file. Not thread-safe (the
/// network owns its buffers): use one `Model` per thread.
public final class Model {
    /// The configuration the model was trained with.
    public let config: TrialConfig
    /// Shape of one raw sample as the data set stores it (e.g. [28, 28]).
    public let sampleShape: [Int]
    /// Class names in label order (none for regression).
    public let classNames: [String]
    /// Integer labels named by `data.classes`: each class's label value in the training file
    /// (nil when the names are the labels, and in older files).
    public let classLabels: [String]?
    /// Classification or regression.
    public let task: PredictionTask
    /// Regression: the target standardization that predictions undo (nil for classification).
    public let targetScale: TargetScale?
    /// The preprocessing applied to raw inputs.
    public let scaling: InputScaling
    /// How the training run ended, when the file records it.
    public let training: TrainingResultInfo?
    /// The raw values that replace missing (NaN) features, one per feature, for a model
    /// trained with `missing: mean | zero`; nil when the model takes no missing values.
    public let missingFill: [Float]?
    /// Models trained with `data.transpose`: the sample shape the files store; prediction
    /// swaps the first two axes of each raw sample as training did (nil: no transposition).
    public let transposedFrom: [Int]?
    /// The format version the file was written with.
    public let formatVersion: Int

    let network: Network
    private let chunk: Int
    private var rng: SeededGenerator

    /// Parses and checks a model file's bytes; throws `ModelFileError`.
    public init(bytes: [UInt8]) throws {
        let contents = try ModelFile.decode(bytes)
        let header = contents.header
        formatVersion = Int(bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) })
        let config: TrialConfig
        do {
            config = try header.config.validated()
        } catch {
            throw ModelFileError.invalidHeader("configuration: \(TrainingError.describe(error))")
        }
        let task = header.task ?? .classification
        guard task == config.data.resolvedTask else {
            throw ModelFileError.invalidHeader("task \(task.rawValue), but the configuration's data is for \(config.data.resolvedTask.rawValue)")
        }
        switch task {
        case .classification:
            guard header.classCount >= 2, header.classNames.count == header.classCount else {
                throw ModelFileError.invalidHeader("\(header.classCount) classes with \(header.classNames.count) names")
            }
        case .regression:
            guard header.classCount == 0, header.classNames.isEmpty, header.targetScale != nil else {
                throw ModelFileError.invalidHeader("a regression model needs target_scale and no classes")
            }
        }
        guard let features = ElementCount.product(header.sampleShape), features > 0 else {
            throw ModelFileError.invalidHeader("sample shape \(header.sampleShape) holds no or too many values")
        }
        guard contents.scaling.scale.isEmpty || contents.scaling.scale.count == features else {
            throw ModelFileError.invalidHeader("scaling for \(contents.scaling.scale.count) features, samples have \(features)")
        }
        if let fill = header.missingFill, fill.count != features || fill.contains(where: { !$0.isFinite }) {
            throw ModelFileError.invalidHeader("missing_fill holds \(fill.count) values (finite ones needed), samples have \(features) features")
        }
        // Images training transposed (EMNIST): files older than `transposed_from` say it by
        // the configuration alone; the stored layout is the sample shape's axes swapped back,
        // unless `data.shape` replaced it.
        if config.data.files?.transpose == true {
            let shape = header.sampleShape
            let swappedBack = config.data.files?.shape == nil && shape.count >= 2 ? [shape[1], shape[0]] + shape.dropFirst(2) : nil
            guard let stored = header.transposedFrom ?? swappedBack, stored.count >= 2, ElementCount.product(stored) == features else {
                throw ModelFileError.invalidHeader("the model was trained on transposed images (data.transpose) and the file does not say how they are stored (transposed_from): train it again with this version")
            }
            transposedFrom = stored
        } else {
            transposedFrom = nil
        }
        let summary: NetworkSummary
        do {
            summary = try Network.summary(model: config.model, sampleShape: header.sampleShape, classes: header.classCount, task: task)
        } catch {
            throw ModelFileError.invalidHeader("architecture: model.\(error)")
        }
        // Compared before the network is made: a header describing a huge network over a
        // few stored values allocated terabytes (and aborted) before this was checked below.
        guard summary.totalParameters == contents.parameters.count + contents.state.count else {
            throw ModelFileError.invalidHeader(
                "the architecture has \(summary.totalParameters) parameters and state values, the file stores \(contents.parameters.count + contents.state.count)")
        }
        self.config = config
        sampleShape = header.sampleShape
        classNames = header.classNames
        classLabels = header.classLabels.flatMap { $0.count == header.classNames.count ? $0 : nil }
        self.task = task
        targetScale = header.targetScale
        scaling = contents.scaling
        training = header.training
        missingFill = header.missingFill
        // (Prediction only chunks its rows: a header's batch_size of 2^63 - 1 overflowed the
        // buffer sizes: at most the widest a layer may be.)
        chunk = Network.evaluationChunk(widestLayer: summary.widestLayer, batchSize: min(config.training.batchSize, NetworkLimits.maxWidth))
        var initRNG = SeededGenerator(seed: config.seed, stream: 1)
        Gemm.useSingleThread()
        let network = Network(
            model: config.model, sampleShape: header.sampleShape, classes: header.classCount, task: task, capacity: chunk, rng: &initRNG)
        self.network = network
        rng = SeededGenerator(seed: config.seed, stream: 5)
        guard network.store.count == contents.parameters.count, network.store.state.count == contents.state.count else {
            throw ModelFileError.invalidHeader(
                "the architecture has \(network.store.count) parameters and \(network.store.state.count) state values, the file stores \(contents.parameters.count) and \(contents.state.count)")
        }
        contents.parameters.withUnsafeBufferPointer { network.store.values.pointer.update(from: $0.baseAddress!, count: $0.count) }
        contents.state.withUnsafeBufferPointer { if $0.count > 0 { network.store.state.pointer.update(from: $0.baseAddress!, count: $0.count) } }
    }

    /// Reads a model file; throws `ModelFileError`.
    public convenience init(path: String) throws {
        let bytes: [UInt8]
        do { bytes = try WholeFile.read(path) } catch { throw ModelFileError.unreadable(path: path, reason: error.reason) }
        try self.init(bytes: bytes)
    }

    /// Layers, output shapes and parameter counts.
    public var summary: NetworkSummary { network.summary }
    /// The shape the first layer sees (e.g. [28, 28, 1] for conv nets, [28, 28] for dense
    /// nets on images, which flatten first).
    public var inputShape: [Int] { network.inputShape }
    /// Raw values per sample.
    public var featureCount: Int { network.inputWidth }
    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Values per prediction row (class probabilities; raw scores for MSE/hinge models).
    public var predictionWidth: Int { network.head.predictionWidth }
    /// Whether the network has dropout (MC-dropout predictions vary only then).
    public var hasDropout: Bool { network.hasDropout }

    /// Predictions for `count` raw samples (row-major, `featureCount` values each): one
    /// deterministic pass, or with `mcSamples` > 0 the mean and std over that many
    /// MC-dropout passes. Regression: one value per sample in the target's units. A missing
    /// (NaN) feature is filled as in training when the model has ``missingFill``; images
    /// are transposed first when training transposed them (``transposedFrom``).
    public func predict(_ rawInputs: [Float], count: Int, mcSamples: Int = 0) -> Prediction {
        precondition(rawInputs.count == count * featureCount, "\(rawInputs.count) values for \(count) samples of \(featureCount) features")
        var scaled = rawInputs
        if let transposedFrom { FileDatasetLoader.transposeImages(&scaled, shape: transposedFrom) }
        if let missingFill { FileDatasetLoader.fillMissing(&scaled, missingFill) }
        scaling.apply(to: &scaled, width: featureCount)
        let prediction = FlushToZero.run {
            scaled.withUnsafeBufferPointer {
                network.predict($0.baseAddress!, count: count, chunk: chunk, mcSamples: max(0, mcSamples), rng: &rng)
            }
        }
        return targetScale.map { $0.restored(prediction) } ?? prediction
    }
}
