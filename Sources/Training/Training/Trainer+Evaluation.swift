/// Metrics on a split and (MC-dropout) predictions.
extension Trainer {
    /// Loss and accuracy (plus precision, recall, F1 and AUC for two-class sets; loss, RMSE,
    /// MAE and R^2 for regression) on a split, in inference mode, or as the mean of
    /// `mc_dropout_samples` MC-dropout passes when set. The loss includes the L1/L2 penalty,
    /// as in Keras.
    /// - Parameter mcSamples: overrides `mc_dropout_samples` (0: deterministic inference).
    public func evaluate(_ split: Split, mcSamples: Int? = nil) -> [String: Double] {
        let data = dataset.split(split)
        if dataset.task == .regression {
            return FlushToZero.run { metrics(features: data.features, labels: data.labels, targets: data.targets, mcSamples: mcSamples) }
        }
        return evaluate(features: data.features, labels: data.labels, mcSamples: mcSamples)
    }

    /// Metrics on any samples with this data set's feature layout (classification).
    public func evaluate(features: [Float], labels: [Int32], mcSamples: Int? = nil) -> [String: Double] {
        precondition(dataset.task == .classification, "regression evaluates splits (targets in network units)")
        return FlushToZero.run { metrics(features: features, labels: labels, targets: nil, mcSamples: mcSamples) }
    }

    private func metrics(features: [Float], labels: [Int32], targets: [Float]?, mcSamples: Int?) -> [String: Double] {
        let width = dataset.featureCount
        precondition(features.count == labels.count * width, "features and labels disagree")
        let targets = targets ?? []
        var acc = MetricAccumulator()
        let passes = mcSamples.map { hasDropout ? $0 : 0 } ?? mcPasses
        let head = network.head
        features.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                targets.withUnsafeBufferPointer { t in
                    var start = 0
                    while start < labels.count {
                        let rows = min(evaluationChunk, labels.count - start)
                        let input = x.baseAddress! + start * width, truth = y.baseAddress! + start
                        if passes == 0 {
                            let out = network.forward(input, rows: rows, mode: .inference, rng: &evaluationRNG)
                            if head.task == .regression {
                                head.accumulateRegression(out, targets: t.baseAddress! + start, rows: rows, into: &acc)
                            } else {
                                head.accumulate(out, labels: truth, rows: rows, into: &acc)
                            }
                        } else {
                            let (mean, _) = network.monteCarlo(input, rows: rows, passes: passes, withStd: false, rng: &evaluationRNG)
                            mean.withUnsafeBufferPointer { p in
                                if head.task == .regression {
                                    head.accumulateRegression(p.baseAddress!, targets: t.baseAddress! + start, rows: rows, into: &acc)
                                } else {
                                    head.accumulatePredictions(p.baseAddress!, labels: truth, rows: rows, into: &acc)
                                }
                            }
                        }
                        start += rows
                    }
                }
            }
        }
        let penalty = Regularization.penalty(l1: config.model.l1, l2: config.model.l2, of: network.store)
        if let targetScale = dataset.targetScale {
            return acc.regressionMetrics(penalty: penalty, targetScale: Double(targetScale.std))
        }
        return acc.metrics(binary: dataset.classCount == 2, penalty: penalty)
    }

    private var hasDropout: Bool { network.hasDropout }

    /// MC-dropout passes for evaluation: the configured count when the net has dropout.
    private var mcPasses: Int { hasDropout ? config.training.mcDropoutSamples : 0 }

    /// Predictions for `features` (row-major, this data set's feature layout): with
    /// `mcSamples` > 0 the mean and standard deviation over that many MC-dropout passes,
    /// otherwise one deterministic pass. Regression: values in the target's units.
    public func predictProbabilities(_ features: [Float], mcSamples: Int = 0) -> Prediction {
        let prediction = FlushToZero.run { predictions(features, mcSamples: mcSamples) }
        return dataset.targetScale.map { $0.restored(prediction) } ?? prediction
    }

    private func predictions(_ features: [Float], mcSamples: Int) -> Prediction {
        let count = features.count / dataset.featureCount
        return features.withUnsafeBufferPointer {
            network.predict($0.baseAddress!, count: count, chunk: evaluationChunk, mcSamples: mcSamples, rng: &evaluationRNG)
        }
    }
}
