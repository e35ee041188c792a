/// Stop when a monitored metric has not improved for `patience` epochs.
///
/// An epoch improves when the metric beats the best so far by more than `minDelta`
/// (lower for losses, higher otherwise). With `restoreBest`, the weights of the best
/// epoch are put back at the end of training ("use the parameters of the epoch with the
/// lowest validation error").
public struct EarlyStoppingConfig: Codable, Sendable, Hashable {
    /// The watched metric (default val_loss).
    public var monitor: MonitoredMetric
    /// Epochs without improvement before stopping (default 10).
    public var patience: Int
    /// Improvement needed to count (default 0).
    public var minDelta: Double
    /// Put the best epoch's weights back at the end (default true).
    public var restoreBest: Bool

    /// Early stopping with the given options.
    public init(monitor: MonitoredMetric = .valLoss, patience: Int = 10, minDelta: Double = 0, restoreBest: Bool = true) {
        self.monitor = monitor
        self.patience = patience
        self.minDelta = minDelta
        self.restoreBest = restoreBest
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case monitor, patience, minDelta = "min_delta", restoreBest = "restore_best"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        monitor = try c.choice(MonitoredMetric.self, .monitor) ?? .valLoss
        patience = try c.integer(.patience, default: 10, atLeast: 0)
        minDelta = try c.number(.minDelta, default: 0, .nonNegative)
        restoreBest = try c.value(.restoreBest, default: true)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(monitor, forKey: .monitor)
        try c.encode(patience, forKey: .patience)
        try c.encode(minDelta, forKey: .minDelta)
        try c.encode(restoreBest, forKey: .restoreBest)
    }
}
