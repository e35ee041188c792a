/// ASHA with promotions (Li et al. 2018, "A System for Massively Parallel Hyperparameter
/// Tuning", Algorithm 2), sans-I/O: every trial pauses at the end of its rung; when a worker
/// asks for work, the best paused trial that is in the top `1 / reduction_factor` of its
/// rung is promoted (it continues from its checkpoint to the next rung), looking at the
/// highest rung first; only when none is promotable does a new trial start.
///
/// Which trials are paused is derived from the history: a PRUNED trial whose last reported
/// epoch is a pause point. A restarted coordinator therefore promotes exactly the same.
public struct PromotionQueue: Sendable {
    /// End epoch of each rung a trial pauses at (those before `maxSteps`), ascending.
    public let pauseSteps: [Int]
    public let reductionFactor: Int
    /// Epochs of a trial that reaches the top.
    public let maxSteps: Int

    public init(config: SuccessiveHalvingPruner.Config, maxSteps: Int) {
        pauseSteps = config.promotionSteps(maxSteps: maxSteps).filter { $0 < maxSteps }
        reductionFactor = config.reductionFactor
        self.maxSteps = maxSteps
    }

    public init(pauseSteps: [Int], reductionFactor: Int, maxSteps: Int) {
        self.pauseSteps = pauseSteps.filter { $0 < maxSteps }
        self.reductionFactor = reductionFactor
        self.maxSteps = maxSteps
    }

    /// The rung a report at `step` ends, if the trial pauses there.
    public func rung(endingAt step: Int) -> Int? { pauseSteps.firstIndex(of: step) }

    /// The last epoch a trial promoted from `rung` runs to (the next rung's end, or the top).
    public func target(promotedFrom rung: Int) -> Int {
        rung + 1 < pauseSteps.count ? pauseSteps[rung + 1] : maxSteps
    }

    /// Whether `trial` is paused at the end of a rung (and which).
    public func pausedRung(_ trial: TrialSnapshot) -> Int? {
        guard trial.state == .pruned, let last = trial.lastStep else { return nil }
        return rung(endingAt: last)
    }

    /// The trial to promote now, with the rung it leaves: the best paused trial among the top
    /// `floor(n / reduction_factor)` of the `n` trials that reached the rung, highest rung first.
    public func next(in history: StudyHistory) -> (trial: Int, rung: Int)? {
        let direction = history.direction
        for rung in pauseSteps.indices.reversed() {
            let step = pauseSteps[rung]
            let reached = history.trials.compactMap { t -> (Int, Double)? in
                guard let v = t.intermediate[step], !v.isNaN else { return nil }
                return (t.number, v)
            }
            let k = reached.count / reductionFactor
            guard k > 0 else { continue }
            let ranked = reached.sorted { a, b in a.1 != b.1 ? direction.isBetter(a.1, than: b.1) : a.0 < b.0 }
            for (number, _) in ranked.prefix(k) where history.trial(number).flatMap(pausedRung) == rung {
                return (number, rung)
            }
        }
        return nil
    }
}
