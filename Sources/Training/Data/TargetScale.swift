/// The standardization of a regression target, fitted on the training split: the network
/// trains on `(y - mean) / std` and its outputs map back with `z * std + mean`.
///
/// A model file stores it, so `sweep predict` writes values in the target's units.
/// `target_scaling: none` is the identity (mean 0, std 1).
public struct TargetScale: Sendable, Hashable, Codable {
    /// The training split's mean target.
    public var mean: Float
    /// The training split's (population) standard deviation; 1 when the targets are constant.
    public var std: Float

    /// A scale with the given statistics (`std` > 0).
    public init(mean: Float, std: Float) {
        precondition(std > 0 && std.isFinite && mean.isFinite, "invalid target scale")
        self.mean = mean
        self.std = std
    }

    /// The identity (`target_scaling: none`).
    public static let identity = TargetScale(mean: 0, std: 1)

    /// The statistics of `targets` (Double sums), or the identity for `none`.
    public static func fitted(_ targets: [Float], scaling: TargetScaling) -> TargetScale {
        guard scaling == .standardize, !targets.isEmpty else { return .identity }
        let n = Double(targets.count)
        let mean = targets.reduce(0.0) { $0 + Double($1) } / n
        let variance = targets.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        let std = Float(variance.squareRoot())
        return TargetScale(mean: Float(mean), std: std > 0 && std.isFinite ? std : 1)
    }

    /// Targets in network units.
    public func standardized(_ targets: [Float]) -> [Float] { targets.map { ($0 - mean) / std } }

    /// An output in the target's units.
    public func restored(_ output: Float) -> Float { output * std + mean }

    /// Predictions in the target's units: means mapped back, spreads scaled by `std`.
    public func restored(_ prediction: Prediction) -> Prediction {
        Prediction(mean: prediction.mean.map(restored), std: prediction.std.map { $0 * std }, width: prediction.width)
    }
}
