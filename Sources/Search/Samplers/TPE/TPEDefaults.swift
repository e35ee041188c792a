/// Optuna's TPE defaults, computed with the same floating-point steps so the same trial
/// counts give the same splits and weights.
enum TPEDefaults {
    /// How many of `n` finished trials form the "good" group: `min(ceil(0.1 n), 25)`.
    static func gamma(_ n: Int) -> Int {
        min(Int((0.1 * Double(n)).rounded(.up)), 25)
    }

    /// The weights of `n` observations in trial-number order: 1 for the newest 25, a
    /// linear ramp from `1/n` up to 1 for the older ones (Optuna's `default_weights`).
    static func weights(_ n: Int) -> [Double] {
        guard n >= 25 else { return [Double](repeating: 1, count: n) }
        let rampCount = n - 25
        var w = [Double](repeating: 1, count: n)
        if rampCount == 1 {
            w[0] = 1 / Double(n)
        } else if rampCount > 1 {
            let start = 1 / Double(n)
            let step = (1 - start) / Double(rampCount - 1)
            for i in 0..<rampCount { w[i] = Double(i) * step + start }
            w[rampCount - 1] = 1
        }
        return w
    }
}
