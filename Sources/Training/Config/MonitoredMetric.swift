/// A metric that early stopping, the plateau schedule and a sweep's objective can watch (its
/// direction and the tasks that report it come from `TrainingMetric`).
public enum MonitoredMetric: String, ConfigChoice {
    case valLoss = "val_loss", valAccuracy = "val_accuracy"
    case loss, accuracy
    case valPrecision = "val_precision", valRecall = "val_recall", valF1 = "val_f1", valAUC = "val_auc"
    case valRMSE = "val_rmse", valMAE = "val_mae", valR2 = "val_r2"
    case rmse, mae, r2
    public static let choiceName = "monitored metric"

    /// The metric it names.
    public var metric: TrainingMetric { TrainingMetric(name: rawValue)! }
    /// Lower is better for losses and errors, higher for the others.
    public var lowerIsBetter: Bool { metric.kind.lowerIsBetter }

    /// A metric's natural direction, for any metric name (see ``MetricNameDirection``); a
    /// name that does not say is taken as higher-is-better.
    public static func lowerIsBetter(named name: String) -> Bool {
        MetricNameDirection.lowerIsBetter(name) ?? false
    }
    /// Whether `value` beats `best` by more than `minDelta` in this metric's direction
    /// (always true when there is no best yet).
    public func improves(_ value: Double, over best: Double?, minDelta: Double) -> Bool {
        guard let best else { return true }
        return lowerIsBetter ? value < best - minDelta : value > best + minDelta
    }
    /// Whether the metric needs a validation split.
    public var needsValidation: Bool { metric.split == .validation }
    /// The same metric on the training batches (`val_r2` -> `r2`); nil when the training
    /// split does not report it (`val_auc`).
    public var onTrainingSplit: MonitoredMetric? { MonitoredMetric(rawValue: metric.kind.rawValue) }
}
