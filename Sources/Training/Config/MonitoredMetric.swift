/// A metric a training trial reports each epoch, which early stopping, the plateau schedule
/// and a sweep's objective can watch (`allCases` is the list, in the order errors show it).
public enum MonitoredMetric: String, ConfigChoice {
    case valAccuracy = "val_accuracy", valLoss = "val_loss"
    case accuracy, loss
    case valPrecision = "val_precision", valRecall = "val_recall", valF1 = "val_f1", valAUC = "val_auc"
    public static let choiceName = "monitored metric"

    /// Lower is better for losses, higher for the others.
    public var lowerIsBetter: Bool { Self.lowerIsBetter(named: rawValue) }

    /// The one rule for a metric's natural direction, for any metric name (built-in, a
    /// command trial's own, a synthetic task's `value`): losses, errors and `value` are
    /// better when lower; everything else (accuracy, precision, f1, auc) when higher.
    public static func lowerIsBetter(named name: String) -> Bool {
        name.hasSuffix("loss") || name.hasSuffix("error") || name == "value"
    }
    /// Whether `value` beats `best` by more than `minDelta` in this metric's direction
    /// (always true when there is no best yet).
    public func improves(_ value: Double, over best: Double?, minDelta: Double) -> Bool {
        guard let best else { return true }
        return lowerIsBetter ? value < best - minDelta : value > best + minDelta
    }
    /// Whether the metric needs a validation split.
    public var needsValidation: Bool { rawValue.hasPrefix("val_") }
    /// Whether the metric exists only for two-class tasks.
    public var isBinaryOnly: Bool { [.valPrecision, .valRecall, .valF1, .valAUC].contains(self) }
}
