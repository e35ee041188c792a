/// Sizes read from files and configurations (a header's shape, a `data.shape`, a model's
/// value count) multiplied without trapping: a lying header (`(2^32, 2^32, 2^32)`) crashed
/// the process on the overflow instead of being refused as the corrupt input it is.
enum ElementCount {
    /// The product of `factors` (times `scale`), or nil when one is negative or it passes
    /// `Int.max`.
    static func product(_ factors: [Int], times scale: Int = 1) -> Int? {
        var total = scale
        for f in factors {
            guard f >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            total = p
        }
        return total
    }

    /// The sum of `terms`, or nil when one is negative or it passes `Int.max`.
    static func sum(_ terms: [Int]) -> Int? {
        var total = 0
        for t in terms {
            guard t >= 0 else { return nil }
            let (s, overflow) = total.addingReportingOverflow(t)
            if overflow { return nil }
            total = s
        }
        return total
    }
}
