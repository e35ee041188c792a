/// The values trials reached at each rung of successive halving, derived from the
/// history's intermediate values (nothing else is stored, so a history rebuilt from the
/// store gives exactly the same rungs and the same decisions after a restart).
///
/// A trial's value at rung `r` is its value at the first step it reported at or after the
/// rung's promotion step (several rungs crossed at once share that value, as in Optuna).
/// NaN values never enter a rung (Optuna does not record them either).
final class RungIndex {
    struct Entry: Comparable {
        var value: Double
        var number: Int
        static func < (a: Self, b: Self) -> Bool { (a.value, a.number) < (b.value, b.number) }
    }

    /// Promotion step of each rung, ascending (only rungs a trial can reach).
    private let promotionSteps: [Int]
    /// Which trials take part (a Hyperband bracket); all when nil.
    private let includes: ((Int) -> Bool)?
    private var cursor = HistoryCursor()
    private var rungs: [SortedArray<Entry>]
    /// What each trial contributed, per rung, to take it out again when it changes.
    private var contributed: [Int: [Double?]] = [:]

    init(promotionSteps: [Int], includes: ((Int) -> Bool)?) {
        self.promotionSteps = promotionSteps
        self.includes = includes
        self.rungs = Array(repeating: SortedArray(), count: promotionSteps.count)
    }

    func update(from history: StudyHistory) {
        guard let changed = cursor.changes(in: history) else {
            rungs = Array(repeating: SortedArray(), count: promotionSteps.count)
            contributed = [:]
            for t in history.trials { add(t, history) }
            return
        }
        for n in changed {
            remove(n)
            add(history.trials[n], history)
        }
    }

    /// The trial's values at each rung from its intermediate values (nil for a rung it did
    /// not reach): at the first step at or after the rung's. The history finds those steps by
    /// binary search, with one index for all rungs (a scan of the whole curve per rung at
    /// every report was quadratic in a trial's epochs).
    func rungValues(of trial: TrialSnapshot, in history: StudyHistory) -> [Double?] {
        history.firstSteps(trial.number, atOrAfter: promotionSteps).map { $0.flatMap { trial.intermediate[$0] } }
    }

    /// How many values compete at rung `r` for trial `number`: the other trials' values
    /// there, plus its own.
    func competitors(rung r: Int, replacing number: Int) -> Int {
        rungs[r].count - (ownPosition(rung: r, number) == nil ? 0 : 1) + 1
    }

    private func ownPosition(rung r: Int, _ number: Int) -> Int? {
        guard let old = contributed[number]?[r] ?? nil else { return nil }
        let i = rungs[r].lowerBound(Entry(value: old, number: number))
        return i < rungs[r].count && rungs[r][i].number == number ? i : nil
    }

    /// The `k`-th smallest (0-based) of the values at rung `r`, with trial `number`'s own
    /// entry (if any) replaced by `value`.
    func kthSmallest(_ k: Int, rung r: Int, replacing number: Int, with value: Double) -> Double {
        let entries = rungs[r]
        let own = ownPosition(rung: r, number)
        let others = entries.count - (own == nil ? 0 : 1)
        func other(_ i: Int) -> Double {
            guard let own else { return entries[i].value }
            return i < own ? entries[i].value : entries[i + 1].value
        }
        // Where `value` falls among the others.
        var lo = 0, hi = others
        while lo < hi {
            let mid = (lo + hi) / 2
            if other(mid) < value { lo = mid + 1 } else { hi = mid }
        }
        return k < lo ? other(k) : k == lo ? value : other(k - 1)
    }

    private func add(_ trial: TrialSnapshot, _ history: StudyHistory) {
        if let includes, !includes(trial.number) { return }
        // (A trial that reported nothing has no rung value: no index built for it.)
        guard !trial.intermediate.isEmpty else { return }
        var values: [Double?] = []
        for (r, v) in rungValues(of: trial, in: history).enumerated() {
            guard let v, !v.isNaN else { values.append(nil); continue }
            values.append(v)
            rungs[r].insert(Entry(value: v, number: trial.number))
        }
        if values.contains(where: { $0 != nil }) { contributed[trial.number] = values }
    }

    private func remove(_ number: Int) {
        guard let values = contributed.removeValue(forKey: number) else { return }
        for (r, v) in values.enumerated() {
            if let v { rungs[r].remove(Entry(value: v, number: number)) }
        }
    }
}
