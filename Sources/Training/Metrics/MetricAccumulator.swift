/// Sums for loss, accuracy and the binary confusion counts over an evaluation, the
/// positive-class scores of a two-class evaluation (for the AUC), and the error sums of a
/// regression.
struct MetricAccumulator {
    var lossSum = 0.0
    var samples = 0
    var correct = 0
    var truePositives = 0, falsePositives = 0, falseNegatives = 0, trueNegatives = 0
    /// Two-class tasks: each sample's score for class 1 and whether it is class 1.
    var scores: [Float] = []
    var positives: [Bool] = []

    /// Regression, in network units: squared and absolute errors, and the targets' sum and
    /// sum of squares (for R^2's total sum of squares).
    var squaredErrors = 0.0, absoluteErrors = 0.0, targetSum = 0.0, targetSquares = 0.0

    mutating func record(prediction: Float, target: Float) {
        let d = Double(prediction) - Double(target), y = Double(target)
        squaredErrors += d * d
        absoluteErrors += abs(d)
        targetSum += y
        targetSquares += y * y
    }

    /// "loss" (network units, plus `penalty`), "rmse" and "mae" in the target's units (errors
    /// times `targetScale`, the standardization's std), and "r2" = 1 - SSE/SST with SST
    /// around the mean of the evaluated targets (1 for a perfect fit of constant targets, 0
    /// for another fit of them, as scikit-learn's `r2_score`).
    func regressionMetrics(penalty: Double = 0, targetScale: Double) -> [String: Double] {
        let n = Double(max(samples, 1))
        let total = max(0, targetSquares - targetSum * targetSum / n)
        let r2 = total > 0 ? 1 - squaredErrors / total : (squaredErrors == 0 ? 1 : 0)
        return ["loss": lossSum / n + penalty, "rmse": (squaredErrors / n).squareRoot() * targetScale,
                "mae": absoluteErrors / n * targetScale, "r2": r2]
    }

    mutating func recordScore(_ score: Float, label: Int) {
        scores.append(score)
        positives.append(label == 1)
    }

    /// The area under the ROC curve of `scores` (the Mann-Whitney statistic, ties counted
    /// half); 0.5 when one class is absent.
    static func auc(scores: [Float], positives: [Bool]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1 // the mean 1-based rank of the tied run
            for k in i...j where positives[order[k]] { rankSum += rank }
            i = j + 1
        }
        let p = Double(positives.filter { $0 }.count), n = Double(positives.count) - p
        guard p > 0, n > 0 else { return 0.5 }
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }

    mutating func record(predicted: Int, label: Int) {
        if predicted == label { correct += 1 }
        switch (predicted == 1, label == 1) {
        case (true, true): truePositives += 1
        case (true, false): falsePositives += 1
        case (false, true): falseNegatives += 1
        case (false, false): trueNegatives += 1
        }
    }

    /// "loss", "accuracy", and for two-class tasks "precision", "recall", "f1" (positive class 1;
    /// 0 when undefined) and "auc".
    func metrics(binary: Bool, penalty: Double = 0) -> [String: Double] {
        let n = Double(max(samples, 1))
        var result = ["loss": lossSum / n + penalty, "accuracy": Double(correct) / n]
        if binary {
            let tp = Double(truePositives)
            let precision = truePositives + falsePositives > 0 ? tp / Double(truePositives + falsePositives) : 0
            let recall = truePositives + falseNegatives > 0 ? tp / Double(truePositives + falseNegatives) : 0
            result["precision"] = precision
            result["recall"] = recall
            result["f1"] = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            result["auc"] = Self.auc(scores: scores, positives: positives)
        }
        return result
    }
}
