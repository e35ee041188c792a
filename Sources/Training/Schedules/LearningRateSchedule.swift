import Foundation

/// A learning-rate schedule resolved for one run.
///
/// The rate (and, for 1cycle, the momentum) of a step is a pure function of the step index
/// and the schedule's small `State`, which only the plateau schedule changes (once per
/// epoch). A run can therefore be checkpointed as (step, state) and resumed exactly.
public struct LearningRateSchedule: Sendable, Hashable {
    /// The schedule and its options.
    public let config: ScheduleConfig
    /// The optimizer's learning rate (lr0 of power, exponential, plateau and linear).
    public let baseLearningRate: Double
    /// Steps per epoch (for epoch-based options).
    public let stepsPerEpoch: Int
    /// Steps of the whole run (the 1cycle length).
    public let totalSteps: Int

    /// What the plateau schedule remembers between epochs (unused by the others).
    public struct State: Codable, Sendable, Hashable {
        /// Current rate divided by the base rate.
        public var scale: Double = 1
        /// Best monitored value so far.
        public var best: Double?
        /// Epochs since the last improvement.
        public var wait: Int = 0
        /// The initial state.
        public init() {}
    }

    /// The schedule of a run with `epochs` epochs of `stepsPerEpoch` steps.
    public init(_ config: ScheduleConfig, baseLearningRate: Double, stepsPerEpoch: Int, epochs: Int) {
        self.config = config
        self.baseLearningRate = baseLearningRate
        self.stepsPerEpoch = max(1, stepsPerEpoch)
        totalSteps = max(1, stepsPerEpoch * epochs)
    }

    /// The rate of step `step` (0-based, counted over the whole run).
    public func learningRate(step: Int, state: State = State()) -> Double {
        let base = baseLearningRate
        let epoch = step / stepsPerEpoch
        switch config.name {
        case .constant:
            return base
        case .power:
            let s = Double(config.decaySteps ?? 1)
            return base / pow(1 + Double(step) / s, config.resolvedPower)
        case .exponential:
            var exponent: Double
            if let epochs = config.decayEpochs {
                exponent = Double(epoch) / epochs
            } else {
                exponent = Double(step) / Double(config.decaySteps ?? 1)
            }
            if config.resolvedStaircase { exponent = exponent.rounded(.down) }
            return base * pow(config.resolvedDecayRate, exponent)
        case .piecewise:
            let boundaries = config.boundaries ?? []
            let values = config.values ?? [base]
            let index = boundaries.reduce(0) { $0 + (epoch >= $1 ? 1 : 0) }
            return values[min(index, values.count - 1)]
        case .plateau:
            return base * state.scale
        case .oneCycle:
            return oneCycle(step).lr
        case .linear:
            let horizon = config.decayEpochs.map { $0 * Double(stepsPerEpoch) } ?? Double(config.decaySteps ?? 1)
            let a = min(Double(step) / horizon, 1)
            return (1 - a) * base + a * (config.finalLR ?? base)
        }
    }

    /// The momentum 1cycle prescribes for `step`; nil for the other schedules.
    public func momentum(step: Int) -> Double? {
        config.name == .oneCycle ? oneCycle(step).momentum : nil
    }

    /// Length of the final annealing phase and of each half of the cycle, in steps.
    var oneCyclePhases: (half: Int, annealing: Int) {
        let annealing = Int((config.resolvedAnnealingFraction * Double(totalSteps)).rounded())
        return ((totalSteps - annealing) / 2, annealing)
    }

    /// 1cycle (Smith 2018): lr initial -> max over the first half of the cycle, back to initial
    /// over the second half, then linearly to final over the annealing steps; momentum
    /// max -> min -> max, then constant at max.
    private func oneCycle(_ step: Int) -> (lr: Double, momentum: Double) {
        let lr0 = config.resolvedInitialLR, lr1 = config.resolvedMaxLR, lrEnd = config.resolvedFinalLR
        let mMax = config.resolvedMaxMomentum, mMin = config.resolvedMinMomentum
        let half = oneCyclePhases.half
        let t = Double(step)
        if step < half {
            let a = t / Double(half)
            return (lr0 + (lr1 - lr0) * a, mMax + (mMin - mMax) * a)
        }
        if step < 2 * half {
            let a = (t - Double(half)) / Double(half)
            return (lr1 + (lr0 - lr1) * a, mMin + (mMax - mMin) * a)
        }
        let remaining = Double(max(1, totalSteps - 2 * half))
        let a = min(1, (t - Double(2 * half)) / remaining)
        return (lr0 + (lrEnd - lr0) * a, mMax)
    }

    /// The state after an epoch with these metrics (plateau: count epochs without improvement
    /// and multiply the rate by `factor` after `patience` of them, Keras ReduceLROnPlateau).
    public func afterEpoch(_ state: State, metrics: [String: Double]) -> State {
        guard config.name == .plateau else { return state }
        let monitor = config.resolvedMonitor
        guard let current = metrics[monitor.rawValue], current.isFinite else { return state }
        var next = state
        let delta = config.resolvedMinDelta
        if monitor.improves(current, over: state.best, minDelta: delta) {
            next.best = current
            next.wait = 0
            return next
        }
        next.wait += 1
        if next.wait >= config.resolvedPatience {
            let old = baseLearningRate * state.scale
            let minLR = config.resolvedMinLR
            if old > minLR {
                next.scale = max(old * config.resolvedFactor, minLR) / baseLearningRate
            }
            next.wait = 0
        }
        return next
    }
}
