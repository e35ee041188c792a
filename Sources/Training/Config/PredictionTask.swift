/// What the network predicts from a sample: a class or a number.
public enum PredictionTask: String, ConfigChoice {
    /// A class among two or more (softmax or sigmoid output); the default.
    case classification
    /// A real-valued target (one linear output; MSE, MAE or Huber loss).
    case regression

    public static let choiceName = "task"
}

/// How a regression target is scaled before training (`data.target_scaling`).
public enum TargetScaling: String, ConfigChoice {
    /// `(y - mean) / std` with the training split's statistics (the default): the network
    /// trains on targets of unit scale; predictions are mapped back to the target's units.
    case standardize
    /// Train on the targets as written.
    case none

    public static let choiceName = "target_scaling"
}
