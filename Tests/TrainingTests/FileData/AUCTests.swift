import Foundation
import Testing
@testable import Training

/// The AUC of two-class evaluations (`val_auc`).
@Suite("AUC")
struct AUCTests {
    @Test func mannWhitneyWithTies() {
        // scikit-learn's roc_auc_score example: 0.75.
        #expect(MetricAccumulator.auc(scores: [0.1, 0.4, 0.35, 0.8], positives: [false, false, true, true]) == 0.75)
        #expect(MetricAccumulator.auc(scores: [1, 1], positives: [false, true]) == 0.5)
        #expect(MetricAccumulator.auc(scores: [3, 1, 2], positives: [true, false, false]) == 1)
        #expect(MetricAccumulator.auc(scores: [3, 1, 2], positives: [false, true, true]) == 0)
        #expect(MetricAccumulator.auc(scores: [3, 1], positives: [true, true]) == 0.5)
    }

    /// The trainer's AUC equals the AUC of its own predicted probabilities, for every
    /// two-class head (softmax, sigmoid, MSE, hinge).
    @Test(arguments: [LossKind.crossEntropy, .binaryCrossEntropy, .mse, .hinge])
    func trainerReportsTheAUCOfItsPredictions(_ loss: LossKind) throws {
        var config = smallTrial(dataset: .moons, samples: 300, epochs: 2)
        config.model.loss = loss
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        _ = try trainer.fit { _ in .proceed }
        let metrics = trainer.evaluate(.validation)
        let split = trainer.dataset.validation
        let p = trainer.predictProbabilities(split.features, mcSamples: 0)
        let positive = (0..<split.count).map { p.mean[$0 * p.width + (p.width - 1)] }
        let expected = MetricAccumulator.auc(scores: positive, positives: split.labels.map { $0 == 1 })
        #expect(abs(metrics["auc"]! - expected) < 1e-9, "\(loss): \(metrics["auc"]!) vs \(expected)")
        #expect(metrics["auc"]! > 0.8)
    }
}
