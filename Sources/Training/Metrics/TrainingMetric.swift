/// A quantity the built-in trainer measures on a split. Each metric's direction and the
/// tasks that report it are decided here, and only here: early stopping, the plateau
/// schedule, sweep objectives (and so the samplers and pruners) and `sweep trials --sort`
/// all ask this type.
public enum MetricKind: String, CaseIterable, Sendable {
    case loss, accuracy, precision, recall, f1, auc
    /// Regression: root mean squared error and mean absolute error, in the target's units.
    case rmse, mae
    /// Regression: the coefficient of determination `1 - SSE/SST` (SST around the split's mean).
    case r2

    /// Lower is better for the loss and the errors (rmse, mae), higher for the others.
    public var lowerIsBetter: Bool {
        switch self {
        case .loss, .rmse, .mae: true
        case .accuracy, .precision, .recall, .f1, .auc, .r2: false
        }
    }

    /// Whether a run of `task` reports it; `binary`: whether the classes are two (nil: not
    /// known yet, then two-class metrics are allowed).
    public func isReported(task: PredictionTask, binary: Bool?) -> Bool {
        switch self {
        case .loss: true
        case .accuracy: task == .classification
        case .precision, .recall, .f1, .auc: task == .classification && binary != false
        case .rmse, .mae, .r2: task == .regression
        }
    }

    /// The data a metric exists for, for messages ("exists only for ...").
    public var availability: String {
        switch self {
        case .loss: "every task"
        case .accuracy: "classification"
        case .precision, .recall, .f1, .auc: "two-class data sets"
        case .rmse, .mae, .r2: "regression (data.task: regression)"
        }
    }

    /// The metrics measured on the training batches during an epoch (running values).
    static let trainingSplitKinds: Set<MetricKind> = [.loss, .accuracy, .rmse, .mae, .r2]
}

/// Which split a metric is measured on, by its name prefix (`val_rmse`, `test_accuracy`).
public enum MetricSplit: String, CaseIterable, Sendable {
    /// The training batches of each epoch (no prefix).
    case train = ""
    case validation = "val_"
    case test = "test_"
}

/// A metric name such as `val_r2`: a kind on a split.
public struct TrainingMetric: Hashable, Sendable, CustomStringConvertible {
    public var kind: MetricKind
    public var split: MetricSplit

    /// The metric `kind` on `split`.
    public init(_ kind: MetricKind, on split: MetricSplit = .validation) {
        self.kind = kind
        self.split = split
    }

    /// Parses `val_rmse`, `accuracy`, `test_r2`, ...; nil for other names (`lr`, a command's own).
    public init?(name: String) {
        for split in [MetricSplit.validation, .test] where name.hasPrefix(split.rawValue) {
            guard let kind = MetricKind(rawValue: String(name.dropFirst(split.rawValue.count))) else { return nil }
            self.init(kind, on: split)
            return
        }
        guard let kind = MetricKind(rawValue: name) else { return nil }
        self.init(kind, on: .train)
    }

    /// The name trials report it under.
    public var name: String { split.rawValue + kind.rawValue }
    public var description: String { name }

    /// Whether a run of `task` reports this metric each epoch (the training and validation
    /// splits; test metrics come once, after training).
    public func isReportedPerEpoch(task: PredictionTask, binary: Bool?) -> Bool {
        switch split {
        case .train: MetricKind.trainingSplitKinds.contains(kind) && kind.isReported(task: task, binary: binary)
        case .validation: kind.isReported(task: task, binary: binary)
        case .test: false
        }
    }

    /// The names a run reports each epoch, in a fixed order (a sweep's objective is one of
    /// them). `binary` nil: classification metrics of two-class sets included.
    public static func epochMetricNames(task: PredictionTask, binary: Bool?) -> [String] {
        listingOrder.filter { $0.isReportedPerEpoch(task: task, binary: binary) }.map(\.name)
    }

    /// Every per-epoch metric, the usual objectives first.
    static let listingOrder: [TrainingMetric] = [
        TrainingMetric(.accuracy), TrainingMetric(.loss), TrainingMetric(.accuracy, on: .train), TrainingMetric(.loss, on: .train),
        TrainingMetric(.precision), TrainingMetric(.recall), TrainingMetric(.f1), TrainingMetric(.auc),
        TrainingMetric(.rmse), TrainingMetric(.mae), TrainingMetric(.r2),
        TrainingMetric(.rmse, on: .train), TrainingMetric(.mae, on: .train), TrainingMetric(.r2, on: .train),
    ]
}
