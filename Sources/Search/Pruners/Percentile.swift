/// numpy's `percentile` with linear interpolation, on ascending `sorted` values (no NaN),
/// including numpy's symmetric interpolation formula, so cut-offs match Optuna's.
func linearPercentile(_ sorted: [Double], _ q: Double) -> Double {
    precondition(!sorted.isEmpty)
    let index = q / 100 * Double(sorted.count - 1)
    let lo = min(max(Int(index.rounded(.down)), 0), sorted.count - 1)
    let hi = min(lo + 1, sorted.count - 1)
    let t = index - Double(lo)
    let a = sorted[lo], b = sorted[hi]
    let diff = b - a
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}
