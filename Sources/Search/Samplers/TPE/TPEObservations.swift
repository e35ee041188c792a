/// What TPE knows about the history, kept up to date incrementally.
///
/// For every trial: its role (a finished trial that can be ranked, a pending one that only
/// serves as a constant-liar "lie", or excluded) and each parameter in sampler units (log
/// of the value for log axes, the choice index for categorical ones; NaN when inactive).
/// For the split: the COMPLETE trials ranked by value and the PRUNED ones ranked like
/// Optuna (more steps first, then by last value). For the Parzen estimators: per
/// parameter, the included trials sorted by value, so kernel widths come from one linear
/// pass. Only trials that changed since the last suggestion (`StudyHistory.version`) are
/// looked at again, so keeping it current costs little even at 10,000 trials.
final class TPEObservations {
    enum Role: UInt8 {
        case excluded, complete, pruned, pending
    }

    /// A COMPLETE trial in the ranking: direction-adjusted value (smaller is better; NaN and
    /// missing values rank last), ties broken by trial number as Optuna's stable sort does.
    struct CompleteKey: Comparable {
        var value: Double
        var number: Int32
        static func < (a: Self, b: Self) -> Bool { (a.value, a.number) < (b.value, b.number) }
    }

    /// A PRUNED trial in the ranking: later last step first, then the adjusted last value.
    struct PrunedKey: Comparable {
        var negativeStep: Int
        var value: Double
        var number: Int32
        static func < (a: Self, b: Self) -> Bool {
            (a.negativeStep, a.value, a.number) < (b.negativeStep, b.value, b.number)
        }
    }

    /// One included trial's value of one parameter, ordered by (value, trial number).
    /// It also remembers the last kernel width used for it and the log normalizer that
    /// goes with it, so the normalizer is recomputed only when the width changes.
    struct MuEntry: Comparable {
        var mu: Double
        var number: Int32
        var sigma: Double = .nan
        var norm: Double = 0

        init(mu: Double, number: Int32) {
            self.mu = mu
            self.number = number
        }

        static func < (a: Self, b: Self) -> Bool { (a.mu, a.number) < (b.mu, b.number) }
        static func == (a: Self, b: Self) -> Bool { a.mu == b.mu && a.number == b.number }
    }

    let space: SearchSpace
    let axes: [Axis]
    let constantLiar: Bool
    private var cursor = HistoryCursor()

    private(set) var roles: [Role] = []
    private var completeKeys: [CompleteKey] = []
    private var prunedKeys: [PrunedKey] = []
    /// mus[p][t]: parameter p of trial t in sampler units, NaN when absent.
    private(set) var mus: [[Double]]
    private(set) var completeRank = SortedArray<CompleteKey>()
    private(set) var prunedRank = SortedArray<PrunedKey>()
    /// Per parameter: the included trials that have it, sorted by value.
    var byMu: [SortedArray<MuEntry>]
    /// Per parameter: how many COMPLETE or PRUNED trials have it.
    private(set) var finishedHaving: [Int]
    /// Per parameter: the estimator whose kernel widths the cached entries hold.
    var widthOwner: [ObjectIdentifier?]
    /// Incremented on every rebuild from scratch (cached entries are then all new).
    private(set) var epoch = 0

    var trialCount: Int { roles.count }
    var finishedCount: Int { completeRank.count + prunedRank.count }

    init(space: SearchSpace, constantLiar: Bool) {
        self.space = space
        self.axes = space.parameters.map { Axis($0.distribution) }
        self.constantLiar = constantLiar
        let p = space.parameters.count
        mus = Array(repeating: [], count: p)
        byMu = Array(repeating: SortedArray(), count: p)
        finishedHaving = Array(repeating: 0, count: p)
        widthOwner = Array(repeating: nil, count: p)
    }

    /// Brings everything up to date with `history`.
    func update(from history: StudyHistory) {
        guard let changed = cursor.changes(in: history) else {
            rebuild(from: history)
            return
        }
        for t in changed {
            if t >= trialCount { grow(to: t + 1) }
            refresh(t, history.trials[t], direction: history.direction)
        }
    }

    // MARK: - Building

    private func rebuild(from history: StudyHistory) {
        epoch += 1
        widthOwner = Array(repeating: nil, count: mus.count)
        let n = history.trials.count
        roles = []
        completeKeys = []
        prunedKeys = []
        for p in mus.indices {
            mus[p] = []
            finishedHaving[p] = 0
        }
        grow(to: n)
        var complete: [CompleteKey] = [], pruned: [PrunedKey] = []
        var entries: [[MuEntry]] = Array(repeating: [], count: mus.count)
        for t in 0..<n {
            let trial = history.trials[t]
            let role = role(of: trial)
            roles[t] = role
            writeMus(t, trial.params)
            guard role != .excluded else { continue }
            switch role {
            case .complete:
                completeKeys[t] = completeKey(trial, history.direction)
                complete.append(completeKeys[t])
            case .pruned:
                prunedKeys[t] = prunedKey(trial, history.direction)
                pruned.append(prunedKeys[t])
            default: break
            }
            for p in mus.indices where !mus[p][t].isNaN {
                entries[p].append(MuEntry(mu: mus[p][t], number: Int32(t)))
                if role != .pending { finishedHaving[p] += 1 }
            }
        }
        completeRank = SortedArray(unsorted: complete)
        prunedRank = SortedArray(unsorted: pruned)
        for p in mus.indices { byMu[p] = SortedArray(unsorted: entries[p]) }
    }

    private func grow(to n: Int) {
        guard n > roles.count else { return }
        let extra = n - roles.count
        roles.append(contentsOf: repeatElement(.excluded, count: extra))
        completeKeys.append(contentsOf: repeatElement(CompleteKey(value: 0, number: 0), count: extra))
        prunedKeys.append(contentsOf: repeatElement(PrunedKey(negativeStep: 0, value: 0, number: 0), count: extra))
        for p in mus.indices {
            mus[p].append(contentsOf: repeatElement(.nan, count: extra))
        }
    }

    private func refresh(_ t: Int, _ trial: TrialSnapshot, direction: Direction) {
        let oldRole = roles[t]
        let newRole = role(of: trial)
        let old = mus.indices.map { mus[$0][t] }
        writeMus(t, trial.params)
        let musChanged = mus.indices.contains { p in
            let a = old[p], b = mus[p][t]
            return !(a == b || (a.isNaN && b.isNaN))
        }
        // A trial whose parameters changed (rare) invalidates the estimators' incremental
        // state, which assumes values never move.
        if musChanged && oldRole != .excluded { epoch += 1 }

        // Rankings.
        switch oldRole {
        case .complete: completeRank.remove(completeKeys[t])
        case .pruned: prunedRank.remove(prunedKeys[t])
        default: break
        }
        switch newRole {
        case .complete:
            completeKeys[t] = completeKey(trial, direction)
            completeRank.insert(completeKeys[t])
        case .pruned:
            prunedKeys[t] = prunedKey(trial, direction)
            prunedRank.insert(prunedKeys[t])
        default: break
        }
        roles[t] = newRole

        // Per-parameter value lists and counts.
        let wasIn = oldRole != .excluded, isIn = newRole != .excluded
        let wasFinished = oldRole == .complete || oldRole == .pruned
        let isFinished = newRole == .complete || newRole == .pruned
        for p in mus.indices {
            let a = old[p], b = mus[p][t]
            if wasIn != isIn || musChanged {
                if wasIn && !a.isNaN { byMu[p].remove(MuEntry(mu: a, number: Int32(t))) }
                if isIn && !b.isNaN { byMu[p].insert(MuEntry(mu: b, number: Int32(t))) }
            }
            if wasFinished && !a.isNaN { finishedHaving[p] -= 1 }
            if isFinished && !b.isNaN { finishedHaving[p] += 1 }
        }
    }

    // MARK: - One trial

    private func role(of trial: TrialSnapshot) -> Role {
        switch trial.state {
        case .complete: return .complete
        case .pruned: return .pruned
        case .running, .waiting, .stale: return constantLiar ? .pending : .excluded
        case .fail: return .excluded
        }
    }

    private func writeMus(_ t: Int, _ params: Params) {
        for (p, parameter) in space.parameters.enumerated() {
            guard let value = params[parameter.name],
                  let v = axes[p].internalValue(of: value, in: parameter.distribution) else {
                mus[p][t] = .nan
                continue
            }
            if case .numeric(let axis) = axes[p] { mus[p][t] = axis.transformObserved(v) } else { mus[p][t] = v }
        }
    }

    private func completeKey(_ trial: TrialSnapshot, _ direction: Direction) -> CompleteKey {
        CompleteKey(value: adjusted(trial.value, direction), number: Int32(trial.number))
    }

    private func prunedKey(_ trial: TrialSnapshot, _ direction: Direction) -> PrunedKey {
        guard let step = trial.lastStep else {
            return PrunedKey(negativeStep: 1, value: 0, number: Int32(trial.number))
        }
        return PrunedKey(negativeStep: -step, value: adjusted(trial.intermediate[step], direction),
                         number: Int32(trial.number))
    }

    /// Smaller is better; NaN and missing values are the worst.
    private func adjusted(_ v: Double?, _ direction: Direction) -> Double {
        guard let v, !v.isNaN else { return .infinity }
        return direction == .minimize ? v : -v
    }
}
