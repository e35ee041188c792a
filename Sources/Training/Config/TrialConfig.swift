import Foundation

/// Everything that determines one training run: the contract between the training core and
/// the rest of Sweep (sweep files, the wire protocol, the store).
///
/// Decoding validates every field and the rules that span sections (a binary loss needs a
/// two-class data set, a `val_*` monitor needs a validation split, ...). JSON is the wire
/// format; `encode(to:)` produces a document that decodes to an equal value.
public struct TrialConfig: Codable, Sendable, Hashable {
    /// Seeds weight initialization, shuffling and dropout masks (not the synthetic data).
    public var seed: UInt64
    /// The data set and its split.
    public var data: DataConfig
    /// The network.
    public var model: ModelConfig
    /// Epochs, batches, optimizer, schedule and training control.
    public var training: TrainingConfig

    /// A trial; checked when a `Trainer` is created (see `validated()`).
    public init(seed: UInt64 = 0, data: DataConfig, model: ModelConfig = ModelConfig(), training: TrainingConfig = TrainingConfig()) {
        self.seed = seed
        self.data = data
        self.model = model
        self.training = training
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, data, model, training
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        seed = try c.value(.seed, default: 0)
        guard c.contains(.data) else {
            throw DecodingError.keyNotFound(
                CodingKeys.data, .init(codingPath: c.codingPath, debugDescription: "'data' is required (at least data.dataset)"))
        }
        // The sections are independent: each one's problem is reported, not only the first's.
        var problems: [DecodingError] = []
        func section<T>(_ decode: () throws -> T) throws -> T? {
            do { return try decode() } catch let error as DecodingError { problems.append(error); return nil }
        }
        let decodedData = try section { try c.decode(DataConfig.self, forKey: .data) }
        let decodedModel = try section { try c.value(.model, default: ModelConfig()) }
        let decodedTraining = try section { try c.value(.training, default: TrainingConfig()) }
        guard let decodedData, let decodedModel, let decodedTraining else {
            throw problems.count == 1 ? problems[0] : DecodingProblems(errors: problems)
        }
        data = decodedData
        model = decodedModel
        training = decodedTraining
        // Regression's default loss is MSE (the model section's default is cross-entropy).
        if data.resolvedTask == .regression, (try? c.nestedContainer(keyedBy: ModelConfig.CodingKeys.self, forKey: .model))?.contains(.loss) != true {
            model.loss = .mse
        }
        // File sets: checked against their files once they are loaded (`LoadedDataShapes`).
        let loaded = data.dataset.isFileSet ? LoadedDataShapes.lookup(data) : nil
        // A rule across sections and a network that does not fit the data are reported together.
        var late: [DecodingError] = []
        if let problem = crossSectionProblem(classes: loaded?.classes ?? data.classCount) {
            late.append(c.invalid(problem.key, problem.message))
        }
        if let sampleShape = loaded?.shape ?? data.sampleShape, let classCount = loaded?.classes ?? data.classCount {
            do {
                _ = try Network.summary(model: model, sampleShape: sampleShape, classes: classCount, task: data.resolvedTask)
            } catch {
                // Located at the field below `model` that does not fit the data's sample shape.
                let below: [any CodingKey] = error.path.map {
                    switch $0 {
                    case .key(let k): AnyCodingKey(stringValue: k)
                    case .index(let i): AnyCodingKey(intValue: i)!
                    }
                }
                let misfit = DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.model] + below, debugDescription: error.message))
                // (A loss that does not fit the task is the reason the network's output does not.)
                if late.isEmpty || !below.isEmpty { late.append(misfit) }
            }
        }
        if !late.isEmpty { throw late.count == 1 ? late[0] : DecodingProblems(errors: late) }
    }

    /// The first rule spanning sections that this configuration breaks, if any, with
    /// `classes` classes in the data (nil: not known yet; the class rules wait for the data).
    func crossSectionProblem(classes: Int?) -> (key: CodingKeys, message: String)? {
        let binary = classes == 2, task = data.resolvedTask
        if !model.loss.fits(task) {
            let message = task == .regression
                ? "loss '\(model.loss.rawValue)' is for classification; task: regression takes mse, mae or huber"
                : "loss '\(model.loss.rawValue)' is for regression (data.task: regression); classification takes cross_entropy, binary_cross_entropy, mse or hinge"
            return (.model, message)
        }
        if let classes, model.loss == .binaryCrossEntropy && !binary {
            return (.model, "loss 'binary_cross_entropy' needs a two-class data set; '\(data.dataset.rawValue)' has \(classes) classes")
        }
        let hasValidation = data.hasValidation
        var monitors: [(String, MonitoredMetric)] = []
        if let stopping = training.earlyStopping { monitors.append(("early_stopping", stopping.monitor)) }
        if training.schedule.name == .plateau { monitors.append(("schedule 'plateau'", training.schedule.resolvedMonitor)) }
        for (user, metric) in monitors {
            if metric.needsValidation && !hasValidation {
                return (.training, "\(user) monitors '\(metric.rawValue)' but data.validation is 0")
            }
            if !metric.metric.kind.isReported(task: task, binary: classes.map { _ in binary }) {
                return (.training, "\(user) monitors '\(metric.rawValue)', which exists only for \(metric.metric.kind.availability)")
            }
        }
        return nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seed, forKey: .seed)
        try c.encode(data, forKey: .data)
        try c.encode(model, forKey: .model)
        try c.encode(training, forKey: .training)
    }

    /// The rules that need the loaded data (class count, the network on its sample shape):
    /// the dotted field (`data.classes`, `model.layers[2].conv2d.kernel_size`) and what is
    /// wrong; nil when the data fits. File data sets are checked only here.
    public func problem(with dataset: Dataset) -> (field: String, message: String)? {
        if let classes = data.classCount, classes != dataset.classCount {
            return ("data.classes", "the configuration expects \(classes) classes, the data has \(dataset.classCount)")
        }
        if let problem = crossSectionProblem(classes: dataset.classCount) {
            return (problem.key.rawValue, problem.message)
        }
        do {
            _ = try Network.summary(model: model, sampleShape: dataset.sampleShape, classes: dataset.classCount, task: data.resolvedTask)
        } catch let error as ArchitectureError {
            return (error.path.isEmpty ? "model" : "model.\(error.pathText)", error.message)
        } catch {
            return ("model", "\(error)")
        }
        return nil
    }

    /// Checks a configuration built in code with the same rules as decoding (by a JSON round
    /// trip), so programmatic and file-based configurations are validated alike.
    public func validated() throws -> TrialConfig {
        let data = try JSONEncoder().encode(self)
        return try JSONDecoder().decode(TrialConfig.self, from: data)
    }
}
