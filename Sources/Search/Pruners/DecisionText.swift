/// Short renderings of numbers for prune reasons (6 significant digits, e.g. `0.612345`,
/// `1.5e-05`), so a reason reads like a sentence, not a dump.
func decisionText(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    if v == 0 { return "0" }
    var magnitude = 0
    var a = abs(v)
    while a >= 10 { a /= 10; magnitude += 1 }
    while a < 1 { a *= 10; magnitude -= 1 }
    var scale = 1.0
    for _ in 0..<abs(5 - magnitude) { scale *= 10 }
    let rounded = 5 - magnitude >= 0 ? (v * scale).rounded() / scale : (v / scale).rounded() * scale
    return "\(rounded)"
}

/// "1 trial" / "3 trials".
func plural(_ n: Int, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(n) \(word)s" }

extension Direction {
    /// The better of the non-NaN values, or NaN if there are none (numpy's nanmin/nanmax).
    func best(of values: [Double]) -> Double {
        var best = Double.nan
        for v in values where !v.isNaN {
            if best.isNaN || isBetter(v, than: best) { best = v }
        }
        return best
    }
}
