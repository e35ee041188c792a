/// Updates the parameters from their gradients, one step at a time.
///
/// Optimizers work on the flat parameter vector of a `ParameterStore` (one pass over all
/// parameters) and keep their own state vectors of the same length.
protocol Optimizer: AnyObject {
    /// The rate of the next step (schedules set it before every step).
    var learningRate: Double { get set }
    /// The momentum-like coefficient a 1cycle schedule may cycle: momentum for the SGD
    /// family and RMSProp, beta1 for the Adam family; nil when the optimizer has none.
    var momentum: Double? { get set }
    /// Number of steps taken.
    var iterations: Int { get }
    func step(_ store: ParameterStore)
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
                epsilon: config.resolvedEpsilon, count: n)
        }
    }
}
