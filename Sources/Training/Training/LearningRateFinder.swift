import Foundation

/// The learning-rate range test of the course text: grow the rate exponentially from
/// `minLearningRate` to `maxLearningRate` over one epoch of training, record the loss of
/// every step, and suggest a rate below the point where the loss shoots up.
///
/// The suggestion is a tenth of the rate at which the smoothed loss is lowest (the loss
/// turns upward soon after; "about 10 times lower than the turning point"). The sweep stops
/// early once the smoothed loss exceeds four times its minimum or is not finite.
public enum LearningRateFinder {
    /// The recorded curve and the suggested rate.
    public struct Result: Sendable, Codable, Hashable {
        /// The rate of each recorded step, increasing.
        public var learningRates: [Double]
        /// Raw batch losses.
        public var losses: [Double]
        /// Exponential moving average of the losses (factor 0.98, bias-corrected).
        public var smoothedLosses: [Double]
        /// A tenth of the rate at the lowest smoothed loss past the first steps (see
        /// ``LearningRateFinder/suggestion(rates:smoothed:)``); nil when that is the first
        /// step considered: the loss never fell as the rate grew.
        public var suggestion: Double?
        /// Whether the test stopped before its last step: the loss shot up (not in the JSON).
        public var stoppedEarly = false

        /// snake_case, as every JSON output of the command line.
        enum CodingKeys: String, CodingKey {
            case learningRates = "learning_rates", losses, smoothedLosses = "smoothed_losses", suggestion
        }

        /// `suggestion` is written as null when there is none (not left out).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(learningRates, forKey: .learningRates)
            try c.encode(losses, forKey: .losses)
            try c.encode(smoothedLosses, forKey: .smoothedLosses)
            try c.encode(suggestion, forKey: .suggestion)
        }
    }

    /// A tenth of the rate at the lowest smoothed loss, not counting the first tenth of the
    /// steps (at most 10): the bias-corrected average starts as the first batch's loss, and a
    /// lucky low one was the minimum of a curve that then fell steadily ("never fell", no
    /// suggestion); fastai's plot skips the first 10 points too. nil when the lowest is the
    /// first step counted.
    public static func suggestion(rates: [Double], smoothed: [Double]) -> Double? {
        let counted = smoothed.indices.dropFirst(min(10, smoothed.count / 10))
        guard let best = counted.min(by: { smoothed[$0] < smoothed[$1] }), best != counted.first else { return nil }
        return rates[best] / 10
    }

    /// Runs the range test on a fresh network of `config` (its schedule is ignored).
    /// - Parameter steps: number of steps; default one epoch.
    public static func run(
        config: TrialConfig, dataset: Dataset, minLearningRate: Double = 1e-5, maxLearningRate: Double = 10, steps: Int? = nil
    ) throws -> Result {
        guard minLearningRate > 0, maxLearningRate > minLearningRate else {
            throw TrainingError.invalidConfig("learning-rate range must satisfy 0 < min < max, got \(minLearningRate) ... \(maxLearningRate)")
        }
        let trainer = try Trainer(config: config, dataset: dataset)
        return FlushToZero.run {
            trainer.runRangeTest(from: minLearningRate, to: maxLearningRate, steps: steps ?? trainer.batchesPerEpoch)
        }
    }
}

extension Trainer {
    func runRangeTest(from low: Double, to high: Double, steps: Int) -> LearningRateFinder.Result {
        let train = dataset.train
        let batchSize = config.training.batchSize
        let batches = batchesPerEpoch
        let total = max(2, steps)
        var rates: [Double] = [], losses: [Double] = [], smoothed: [Double] = []
        rates.reserveCapacity(total)
        losses.reserveCapacity(total)
        smoothed.reserveCapacity(total)
        var average = 0.0, best = Double.infinity, stopped = false
        train.features.withUnsafeBufferPointer { features in
            train.labels.withUnsafeBufferPointer { labels in
                for k in 0..<total {
                    let batch = k % batches
                    if batch == 0, config.training.shuffle { shuffleOrder() }
                    let start = batch * batchSize, rows = min(batchSize, train.count - start)
                    let lr = low * pow(high / low, Double(k) / Double(total - 1))
                    optimizer.learningRate = lr
                    gather(features.baseAddress!, labels.baseAddress!, from: start, rows: rows)
                    let loss = trainStep(rows: rows).loss / Double(rows)
                    guard loss.isFinite else { stopped = true; return }
                    average = 0.98 * average + 0.02 * loss
                    let value = average / (1 - pow(0.98, Double(k + 1)))
                    rates.append(lr)
                    losses.append(loss)
                    smoothed.append(value)
                    best = min(best, value)
                    if value > 4 * best { stopped = true; return }
                }
            }
        }
        var result = LearningRateFinder.Result(learningRates: rates, losses: losses, smoothedLosses: smoothed,
                                               suggestion: LearningRateFinder.suggestion(rates: rates, smoothed: smoothed))
        result.stoppedEarly = stopped
        return result
    }
}
