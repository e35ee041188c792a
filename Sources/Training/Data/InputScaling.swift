/// The preprocessing a data set applied to its raw features: `x * scale[j] + shift[j]` per
/// feature j (pixels / 255, min-max, or standardization with training-split statistics).
///
/// A model file stores it so that prediction on raw inputs applies exactly the training
/// preprocessing (the same Float operations, so the scaled values are bit-identical).
public struct InputScaling: Sendable, Hashable, Codable {
    /// The configured mode.
    public var mode: Scaling
    /// Per-feature factor (empty for `none`).
    public var scale: [Float]
    /// Per-feature offset (empty for `none`).
    public var shift: [Float]

    /// A scaling; `scale` and `shift` have one entry per feature (both empty for `none`).
    public init(mode: Scaling, scale: [Float], shift: [Float]) {
        precondition(scale.count == shift.count, "scale and shift disagree")
        self.mode = mode
        self.scale = scale
        self.shift = shift
    }

    /// The identity (`none`).
    public static let identity = InputScaling(mode: .none, scale: [], shift: [])

    /// Whether it changes nothing.
    public var isIdentity: Bool { scale.isEmpty }

    /// Scales `count` rows of `width` features in place.
    public func apply(to features: inout [Float], width: Int) {
        guard !isIdentity else { return }
        precondition(scale.count == width, "scaling has \(scale.count) features, the rows have \(width)")
        FeatureScaling.Affine(scale: scale, shift: shift).apply(&features, width: width)
    }
}
