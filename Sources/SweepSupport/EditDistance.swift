/// Edit distance between `a` and `b` (characters inserted, removed or replaced, and two
/// neighbours swapped: the optimal string alignment distance), for the "did you mean" hints
/// of commands, file keys, parameter names and table columns. A swap counts once: `trails`
/// was nearer `train` (2) than `trials` (2 as Levenshtein counts it).
///
/// ```swift
/// editDistance("lerning_rate", "learning_rate") // 1
/// editDistance("trails", "trials")              // 1
/// ```
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var before = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                cur[j] = min(cur[j], before[j - 2] + 1)
            }
        }
        (before, prev, cur) = (prev, cur, before)
    }
    return prev[b.count]
}

/// The known name closest to `name`, for a "did you mean": one it abbreviates (3 letters or
/// more), else the nearest by edit distance if that is close enough to be a typo.
public func closestName(to name: String, in candidates: some Collection<String>) -> String? {
    let lower = name.lowercased()
    if lower.count >= 3, let prefixed = candidates.filter({ $0.lowercased().hasPrefix(lower) }).min(by: { $0.count < $1.count }) {
        return prefixed
    }
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(lower, c.lowercased())
        if d <= max(2, c.count / 3), best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}
