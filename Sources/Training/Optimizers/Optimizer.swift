/// Updates the parameters from their gradients, one step at a time.
///
/// Optimizers work on ranges of the flat parameter vector of a `ParameterStore` and keep
/// their own state vectors of the same length. A step is `beginStep()` (advances t and
/// computes the step's scalars) followed by `update(_:range:)` over disjoint ranges that
/// together cover the vector, so the trainer can update each layer as soon as its
/// gradients are ready (while they are still in cache). A range may cover part of a block
/// (a chunk of a Dense kernel's rows, ``KernelGradientStreaming``): updates must work
/// element by element (using at most a block's role), never on a whole tensor's norm.
protocol Optimizer: AnyObject {
    /// The rate of the next step (schedules set it before every step).
    var learningRate: Double { get set }
    /// The momentum-like coefficient a 1cycle schedule may cycle: momentum for the SGD
    /// family and RMSProp, beta1 for the Adam family; nil when the optimizer has none.
    var momentum: Double? { get set }
    func beginStep()
    func update(_ store: ParameterStore, range: Range<Int>)
    /// Per-parameter state vectors (moments, accumulators, velocities) in a fixed order, for
    /// checkpoints.
    var slots: [FloatBuffer] { get }
    /// Scalars that evolve with the steps (the Adam family's step count, Nadam's momentum
    /// product) in a fixed order, for checkpoints. Neither the rate nor the momentum: the
    /// trainer sets both before every step, which lets Population Based Training change them.
    var scalars: [Double] { get set }
}

extension Optimizer {
    /// One full step over every parameter.
    func step(_ store: ParameterStore) {
        beginStep()
        update(store, range: 0..<store.count)
    }
}

/// Builds the optimizer a configuration names.
enum OptimizerFactory {
    static func make(_ config: OptimizerConfig, parameterCount n: Int) -> any Optimizer {
        switch config.name {
        case .sgd:
            return MomentumOptimizer(learningRate: config.resolvedLearningRate, momentum: 0, nesterov: false, count: n)
        case .momentum:
            return MomentumOptimizer(learningRate: config.resolvedLearningRate, momentum: config.resolvedMomentum, nesterov: false, count: n)
        case .nesterov:
            return MomentumOptimizer(learningRate: config.resolvedLearningRate, momentum: config.resolvedMomentum, nesterov: true, count: n)
        case .adagrad:
            return AdaGradOptimizer(
                learningRate: config.resolvedLearningRate, initialAccumulator: config.resolvedInitialAccumulator,
                epsilon: config.resolvedEpsilon, count: n)
        case .rmsprop:
            return RMSPropOptimizer(
                learningRate: config.resolvedLearningRate, rho: config.resolvedRho, momentum: config.resolvedMomentum,
                epsilon: config.resolvedEpsilon, count: n)
        case .adam, .adamw:
            return AdamOptimizer(
                learningRate: config.resolvedLearningRate, beta1: config.resolvedBeta1, beta2: config.resolvedBeta2,
                epsilon: config.resolvedEpsilon, weightDecay: config.name == .adamw ? config.resolvedWeightDecay : 0, count: n)
        case .adamax:
            return AdaMaxOptimizer(
                learningRate: config.resolvedLearningRate, beta1: config.resolvedBeta1, beta2: config.resolvedBeta2,
                epsilon: config.resolvedEpsilon, count: n)
        case .nadam:
            return NadamOptimizer(
                learningRate: config.resolvedLearningRate, beta1: config.resolvedBeta1, beta2: config.resolvedBeta2,
                epsilon: config.resolvedEpsilon, scheduleDecay: config.resolvedScheduleDecay, count: n)
        }
    }
}
