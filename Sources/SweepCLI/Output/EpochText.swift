/// How `sweep train` and `sweep retrain` print an epoch and the test split: the metrics
/// the task has (accuracy for classes; rmse, mae and r² for regression), in one order.
enum EpochText {
    /// The keys an epoch line shows, when present.
    static let keys = ["loss", "accuracy", "rmse", "r2", "val_loss", "val_accuracy", "val_f1", "val_rmse", "val_r2", "lr"]

    /// `epoch 3/10  loss 0.4123  accuracy 0.8512  ...  1.2s`
    static func line(epoch: Int, of epochs: Int, metrics m: [String: Double], seconds: Double) -> String {
        var parts = ["epoch \(epoch)/\(epochs)"]
        for key in keys where m[key] != nil {
            parts.append("\(key) \(key == "lr" ? formatted(m[key]!, "%.3g") : metric(m[key]!))")
        }
        parts.append(formatted(seconds, "%.1f") + "s")
        return parts.joined(separator: "  ")
    }

    /// `test_accuracy 0.9312  test_loss 0.2104` (every metric of the test split, sorted).
    static func test(_ metrics: [String: Double]) -> String {
        metrics.keys.sorted().map { "test_\($0) \(metric(metrics[$0]!))" }.joined(separator: "  ")
    }

    /// Four decimals in the usual range; otherwise four significant digits: a regression's
    /// error in small or large units printed `test_rmse 0.0000` or 20 digits.
    static func metric(_ v: Double) -> String {
        v == 0 || !v.isFinite || (abs(v) >= 1e-3 && abs(v) < 1e6) ? formatted(v, "%.4f") : formatted(v, "%.4g")
    }

    private static func formatted(_ v: Double, _ format: String) -> String { String(format: format, v) }
}
