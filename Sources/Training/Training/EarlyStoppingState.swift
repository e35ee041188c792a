/// Early-stopping bookkeeping for one run: best value, its epoch and weights, patience.
struct EarlyStoppingState {
    let config: EarlyStoppingConfig
    private(set) var best: Double?
    private(set) var bestEpoch: Int?
    private(set) var wait = 0
    private(set) var snapshot: ParameterStore.Snapshot?

    init(config: EarlyStoppingConfig) { self.config = config }

    /// The state a checkpoint saved.
    init(config: EarlyStoppingConfig, best: Double?, bestEpoch: Int?, wait: Int, snapshot: ParameterStore.Snapshot?) {
        self.config = config
        self.best = best
        self.bestEpoch = bestEpoch
        self.wait = wait
        self.snapshot = snapshot
    }

    /// Records an epoch; returns true when training should stop.
    mutating func update(epoch: Int, metrics: [String: Double], store: ParameterStore) -> Bool {
        guard let value = metrics[config.monitor.rawValue] else { return false }
        if config.monitor.improves(value, over: best, minDelta: config.minDelta) {
            best = value
            bestEpoch = epoch
            wait = 0
            if config.restoreBest { snapshot = store.snapshot() }
            return false
        }
        wait += 1
        return wait >= config.patience
    }
}
