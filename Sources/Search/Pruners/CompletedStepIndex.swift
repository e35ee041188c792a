/// The intermediate values of COMPLETE trials, per step, sorted: what the median and
/// percentile pruners compare against. Updated from the trials that changed since the last
/// call, so a decision does not rescan every trial.
final class CompletedStepIndex {
    private var cursor = HistoryCursor()
    /// What each indexed trial contributed, to take it out again when it changes.
    private var indexed: [Int: [Int: Double]] = [:]
    /// step -> sorted non-NaN values.
    private var values: [Int: SortedArray<Double>] = [:]
    /// step -> number of completed trials that reported it (NaN included).
    private var counts: [Int: Int] = [:]

    /// The number of COMPLETE trials.
    var completedCount: Int { indexed.count }

    func update(from history: StudyHistory) {
        guard let changed = cursor.changes(in: history) else {
            indexed = [:]
            values = [:]
            counts = [:]
            for t in history.trials where t.state == .complete { add(t) }
            return
        }
        for n in changed {
            if indexed[n] != nil { remove(n) }
            let t = history.trials[n]
            if t.state == .complete { add(t) }
        }
    }

    /// Sorted non-NaN values at `step`, and how many completed trials reported it.
    func values(at step: Int) -> (sorted: [Double], reported: Int) {
        (values[step]?.elements ?? [], counts[step] ?? 0)
    }

    private func add(_ t: TrialSnapshot) {
        indexed[t.number] = t.intermediate
        for (step, v) in t.intermediate {
            counts[step, default: 0] += 1
            if !v.isNaN { values[step, default: SortedArray()].insert(v) }
        }
    }

    private func remove(_ number: Int) {
        guard let old = indexed.removeValue(forKey: number) else { return }
        for (step, v) in old {
            counts[step, default: 0] -= 1
            if !v.isNaN { values[step]?.remove(v) }
        }
    }
}
