/// Regression: one linear output against a real-valued target (in the units the network
/// trains on, i.e. standardized when `target_scaling: standardize`).
///
/// With `d = o - y`: MSE `d^2` (no 1/2, as Keras), MAE `|d|` (gradient 0 at d = 0), Huber
/// `d^2/2` for `|d| <= delta`, else `delta * (|d| - delta/2)`. Reduction: mean over the batch.
extension LossHead {
    /// The loss of one output against its target, and its derivative with respect to the output.
    func regressionLoss(_ o: Float, target y: Float) -> (loss: Float, slope: Float) {
        let d = o - y
        switch kind {
        case .mse:
            return (d * d, 2 * d)
        case .mae:
            return (abs(d), d > 0 ? 1 : d < 0 ? -1 : 0)
        case .huber:
            let a = abs(d), delta = huberDelta
            if a <= delta { return (0.5 * d * d, d) }
            return (delta * (a - 0.5 * delta), d > 0 ? delta : -delta)
        case .crossEntropy, .binaryCrossEntropy, .hinge:
            preconditionFailure("\(kind.rawValue) is a classification loss")
        }
    }

    /// Training step: the summed loss over `rows` outputs; writes dL/d(outputs) of the mean
    /// loss into `gradient` and records the errors (running training metrics) in `acc`.
    func regressionLossAndGradient(
        _ out: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, gradient: UnsafeMutablePointer<Float>,
        into acc: inout MetricAccumulator
    ) -> Double {
        precondition(task == .regression, "classification takes labels")
        let invN = 1 / Float(rows)
        var loss = 0.0
        for r in 0..<rows {
            let (l, slope) = regressionLoss(out[r], target: targets[r])
            loss += Double(l)
            gradient[r] = slope * invN
            acc.record(prediction: out[r], target: targets[r])
        }
        acc.samples += rows
        return loss
    }

    /// Evaluation over outputs (or mean MC-dropout outputs: the head's predictions are the
    /// raw outputs): loss and errors.
    func accumulateRegression(_ out: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, into acc: inout MetricAccumulator) {
        for r in 0..<rows {
            acc.lossSum += Double(regressionLoss(out[r], target: targets[r]).loss)
            acc.samples += 1
            acc.record(prediction: out[r], target: targets[r])
        }
    }
}
