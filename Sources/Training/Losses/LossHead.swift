#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The loss with the output activation fused in (softmax or sigmoid), over raw outputs.
///
/// Reduction: mean over the batch, sum over output units. Two-class data sets use one output
/// for binary cross-entropy, MSE and hinge; cross-entropy always has one output per class.
/// Regression has one linear output and real-valued targets (`LossHead+Regression.swift`);
/// the methods taking class labels are for classification only.
struct LossHead: Sendable {
    let kind: LossKind
    let classes: Int
    let task: PredictionTask
    /// Huber's delta (regression with `loss: huber`).
    let huberDelta: Float

    init(kind: LossKind, classes: Int, task: PredictionTask = .classification, huberDelta: Float = 1) {
        self.kind = kind
        self.classes = classes
        self.task = task
        self.huberDelta = huberDelta
    }

    /// The head of `model` for `classes` classes or a regression target.
    init(model: ModelConfig, classes: Int, task: PredictionTask) {
        self.init(kind: model.loss, classes: classes, task: task, huberDelta: Float(model.resolvedHuberDelta))
    }

    /// Number of raw outputs the network produces.
    var outputs: Int {
        if task == .regression { return 1 }
        switch kind {
        case .crossEntropy: return classes
        case .binaryCrossEntropy: return 1
        case .mse, .hinge, .mae, .huber: return classes == 2 ? 1 : classes
        }
    }

    /// Width of a prediction row: class probabilities for the cross-entropies ([1-p, p] for
    /// binary cross-entropy), the raw outputs for MSE and hinge.
    var predictionWidth: Int { kind == .binaryCrossEntropy ? 2 : outputs }

    /// Smallest probability used in a log when the loss is computed from probabilities.
    static let probabilityFloor: Float = 1e-7

    /// Training step: returns the summed loss and the number of correct predictions, and
    /// writes dL/d(outputs) of the mean loss into `gradient`.
    func lossAndGradient(
        _ out: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, gradient: UnsafeMutablePointer<Float>
    ) -> (loss: Double, correct: Int) {
        precondition(task == .classification, "regression takes targets")
        let k = outputs, invN = 1 / Float(rows)
        var loss = 0.0, correct = 0
        switch kind {
        case .crossEntropy:
            for r in 0..<rows {
                let z = out + r * k, g = gradient + r * k, y = Int(labels[r])
                var m = z[0], best = 0
                for j in 1..<k where z[j] > m { m = z[j]; best = j }
                var s: Float = 0
                for j in 0..<k { let e = expf(z[j] - m); g[j] = e; s += e }
                loss += Double(m + logf(s) - z[y])
                if best == y { correct += 1 }
                let scale = invN / s
                for j in 0..<k { g[j] *= scale }
                g[y] -= invN
            }
        case .binaryCrossEntropy:
            for r in 0..<rows {
                let z = out[r], y = Float(labels[r])
                loss += Double(max(z, 0) - z * y + log1pf(expf(-abs(z))))
                gradient[r] = (ActivationMath.sigmoid(z) - y) * invN
                if (z >= 0 ? 1 : 0) == labels[r] { correct += 1 }
            }
        case .mse:
            for r in 0..<rows {
                let o = out + r * k, g = gradient + r * k, y = Int(labels[r])
                var sum: Float = 0
                for j in 0..<k {
                    let target: Float = k == 1 ? Float(y) : (j == y ? 1 : 0)
                    let d = o[j] - target
                    sum += d * d
                    g[j] = 2 * d * invN
                }
                loss += Double(sum)
                if predictedClass(o) == y { correct += 1 }
            }
        case .mae, .huber:
            preconditionFailure("\(kind.rawValue) is a regression loss")
        case .hinge:
            for r in 0..<rows {
                let s = out + r * k, g = gradient + r * k, y = Int(labels[r])
                if k == 1 {
                    let sign: Float = y == 1 ? 1 : -1
                    let margin = 1 - sign * s[0]
                    loss += Double(max(0, margin))
                    g[0] = margin > 0 ? -sign * invN : 0
                } else {
                    var sum: Float = 0, violations: Float = 0
                    for j in 0..<k where j != y {
                        let margin = s[j] - s[y] + 1
                        if margin > 0 { sum += margin; violations += 1; g[j] = invN } else { g[j] = 0 }
                    }
                    g[y] = -violations * invN
                    loss += Double(sum)
                }
                if predictedClass(s) == y { correct += 1 }
            }
        }
        return (loss, correct)
    }

    /// The class a row of raw outputs predicts.
    func predictedClass(_ o: UnsafePointer<Float>) -> Int {
        let k = outputs
        if k == 1 {
            switch kind {
            case .mse: return o[0] >= 0.5 ? 1 : 0
            default: return o[0] >= 0 ? 1 : 0
            }
        }
        var best = 0
        for j in 1..<k where o[j] > o[best] { best = j }
        return best
    }

    /// Per-sample loss of a row of raw outputs (exact, from logits).
    func sampleLoss(_ o: UnsafePointer<Float>, label y: Int) -> Double {
        let k = outputs
        switch kind {
        case .mae, .huber:
            preconditionFailure("\(kind.rawValue) is a regression loss")
        case .crossEntropy:
            var m = o[0]
            for j in 1..<k { m = max(m, o[j]) }
            var s: Float = 0
            for j in 0..<k { s += expf(o[j] - m) }
            return Double(m + logf(s) - o[y])
        case .binaryCrossEntropy:
            let z = o[0], t = Float(y)
            return Double(max(z, 0) - z * t + log1pf(expf(-abs(z))))
        case .mse:
            var sum: Float = 0
            for j in 0..<k {
                let target: Float = k == 1 ? Float(y) : (j == y ? 1 : 0)
                sum += (o[j] - target) * (o[j] - target)
            }
            return Double(sum)
        case .hinge:
            if k == 1 { return Double(max(0, 1 - (y == 1 ? 1 : -1) * o[0])) }
            var sum: Float = 0
            for j in 0..<k where j != y { sum += max(0, o[j] - o[y] + 1) }
            return Double(sum)
        }
    }

    /// Evaluation over raw outputs.
    func accumulate(_ out: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, into acc: inout MetricAccumulator) {
        let k = outputs
        for r in 0..<rows {
            let o = out + r * k, y = Int(labels[r])
            acc.lossSum += sampleLoss(o, label: y)
            acc.samples += 1
            acc.record(predicted: predictedClass(o), label: y)
            if classes == 2 { acc.recordScore(k == 1 ? o[0] : o[1] - o[0], label: y) }
        }
    }

    /// Converts raw outputs to prediction rows (`predictionWidth` wide).
    func predictions(_ out: UnsafePointer<Float>, rows: Int, into p: UnsafeMutablePointer<Float>) {
        let k = outputs
        switch kind {
        case .crossEntropy:
            for r in 0..<rows { Softmax.apply(out + r * k, count: k, into: p + r * k) }
        case .binaryCrossEntropy:
            for r in 0..<rows {
                let s = ActivationMath.sigmoid(out[r])
                p[2 * r] = 1 - s
                p[2 * r + 1] = s
            }
        case .mse, .hinge, .mae, .huber:
            p.update(from: out, count: rows * k)
        }
    }

    /// Evaluation over (mean) prediction rows, as MC dropout produces them: the loss of the
    /// mean probabilities (floored at 1e-7 inside logs) or of the mean raw outputs.
    func accumulatePredictions(_ p: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, into acc: inout MetricAccumulator) {
        let w = predictionWidth
        for r in 0..<rows {
            let row = p + r * w, y = Int(labels[r])
            acc.samples += 1
            switch kind {
            case .crossEntropy, .binaryCrossEntropy:
                acc.lossSum -= Double(logf(max(row[y], Self.probabilityFloor)))
                var best = 0
                for j in 1..<w where row[j] > row[best] { best = j }
                acc.record(predicted: best, label: y)
            case .mse, .hinge, .mae, .huber:
                acc.lossSum += sampleLoss(row, label: y)
                acc.record(predicted: predictedClass(row), label: y)
            }
            if classes == 2 { acc.recordScore(w == 1 ? row[0] : row[1], label: y) }
        }
    }
}
