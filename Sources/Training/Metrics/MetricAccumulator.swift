/// Sums for loss, accuracy and the binary confusion counts over an evaluation.
struct MetricAccumulator {
    var lossSum = 0.0
    var samples = 0
    var correct = 0
    var truePositives = 0, falsePositives = 0, falseNegatives = 0, trueNegatives = 0

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
    /// 0 when undefined).
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
        }
        return result
    }
}
