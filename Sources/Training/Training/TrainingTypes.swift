/// Where the training loop is within an epoch (for progress bars).
public struct BatchProgress: Sendable, Hashable {
    /// 1-based epoch.
    public var epoch: Int
    /// Batches finished in this epoch.
    public var batch: Int
    /// Batches per epoch.
    public var batchesPerEpoch: Int
    /// Mean training loss of the epoch so far.
    public var loss: Double
}

/// The metrics of one finished epoch.
public struct EpochMetrics: Codable, Sendable, Hashable {
    /// 1-based.
    public var epoch: Int
    /// "loss", "accuracy" (running means over the epoch's batches, penalties included),
    /// "lr" (rate of the epoch's last step), "val_loss", "val_accuracy" and, for two-class
    /// data sets, "val_precision", "val_recall", "val_f1".
    public var metrics: [String: Double]
    /// Wall time of the epoch including validation.
    public var seconds: Double
    /// Wall time of the training steps alone.
    public var trainingSeconds: Double

    /// An epoch record.
    public init(epoch: Int, metrics: [String: Double], seconds: Double, trainingSeconds: Double) {
        self.epoch = epoch
        self.metrics = metrics
        self.seconds = seconds
        self.trainingSeconds = trainingSeconds
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case epoch, metrics, seconds, trainingSeconds = "training_seconds"
    }
}

/// What the caller wants after an epoch (e.g. a pruner's verdict).
public enum EpochDecision: Sendable {
    case proceed
    case stop
}

/// Why training ended.
public enum StopReason: String, Codable, Sendable, Hashable {
    case completed
    case earlyStopping = "early_stopping"
    case stoppedByCaller = "stopped_by_caller"
    /// The loss or a metric became NaN or infinite; the epoch in progress is not reported.
    case diverged
}

/// The outcome of `Trainer.fit`.
public struct TrainingResult: Codable, Sendable, Hashable {
    /// Every finished epoch, in order.
    public var epochs: [EpochMetrics]
    /// With early stopping: the epoch with the best monitored value.
    public var bestEpoch: Int?
    /// Whether the weights of `bestEpoch` were put back at the end.
    public var restoredBest: Bool
    /// Why training ended.
    public var stopReason: StopReason

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, bestEpoch = "best_epoch", restoredBest = "restored_best", stopReason = "stop_reason"
    }
}

/// Mean and standard deviation of predictions over MC-dropout passes.
public struct Prediction: Sendable, Hashable {
    /// `count * width` values: class probabilities for the cross-entropy losses
    /// (binary: [1-p, p]), raw outputs for MSE and hinge.
    public var mean: [Float]
    /// Standard deviation over the passes (zeros for a single deterministic pass).
    public var std: [Float]
    /// Values per sample.
    public var width: Int
    /// Number of samples.
    public var count: Int { width == 0 ? 0 : mean.count / width }
}

/// Where training time goes (filled while `Trainer.profiling` is on).
public struct TrainingProfile: Sendable, Hashable, Codable {
    /// Training steps timed.
    public var steps = 0
    /// Samples in those steps.
    public var samples = 0
    /// Seconds in each phase of the training steps.
    public var gather = 0.0, forward = 0.0, loss = 0.0, backward = 0.0, update = 0.0
    /// Seconds inside `cblas_sgemm` (part of forward and backward).
    public var gemm = 0.0

    /// Seconds of all phases.
    public var total: Double { gather + forward + loss + backward + update }
    /// Share of the step time spent in sgemm.
    public var gemmShare: Double { total > 0 ? gemm / total : 0 }
    /// An empty profile.
    public init() {}
}

/// Why a trainer could not be built or run.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration breaks a rule (message includes the field path).
    case invalidConfig(String)
    /// The data set does not match the configuration.
    case dataMismatch(String)
    /// `fit` was called a second time on the same trainer.
    case alreadyTrained

    /// The message.
    public var description: String {
        switch self {
        case .invalidConfig(let m): "invalid configuration: \(m)"
        case .dataMismatch(let m): "data set does not match the configuration: \(m)"
        case .alreadyTrained: "fit was already called on this trainer; create a new one"
        }
    }

    /// Makes a decoding error readable: `training.optimizer.momentum: <message>`.
    static func describe(_ error: any Error) -> String {
        if let problems = error as? DecodingProblems { return problems.errors.map(describe).joined(separator: "; ") }
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        let context: DecodingError.Context
        switch decoding {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c): context = c
        @unknown default: return String(describing: error)
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    }
}
