import Foundation

/// Round tick values and their labels.
enum Ticks {
    /// A 1, 2 or 5 times a power of ten step giving about `count` ticks over `[lo, hi]`.
    static func step(_ lo: Double, _ hi: Double, count: Int) -> Double {
        let span = hi - lo
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / Double(max(1, count))
        let mag = pow(10, floor(log10(raw)))
        let r = raw / mag
        let nice: Double = r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10
        return nice * mag
    }

    /// Multiples of a round step inside `[lo, hi]`.
    static func linear(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
        let s = step(lo, hi, count: count)
        guard s > 0, (hi - lo) / s < 1000 else { return [lo, hi] }
        var out: [Double] = []
        var k = ceil(lo / s - 1e-9)
        while k * s <= hi + s * 1e-9 {
            let v = k * s
            out.append(abs(v) < s * 1e-9 ? 0 : v)
            k += 1
        }
        return out
    }

    /// Powers of ten inside `[lo, hi]` (thinned to about `count`), with 2 and 5 times them
    /// when fewer than three powers of ten fall inside.
    static func log(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
        guard lo > 0, hi > lo else { return [lo] }
        let a = Int(floor(log10(lo))), b = Int(ceil(log10(hi)))
        let lower = lo * (1 - 1e-9), upper = hi * (1 + 1e-9)
        func inside(_ v: Double) -> Bool { v >= lower && v <= upper }
        let decades: [Double] = (a...b).map { (e: Int) -> Double in pow(10, Double(e)) }.filter(inside)
        if decades.count < 3 {
            var fine: [Double] = []
            for e in a...b {
                let p: Double = pow(10, Double(e))
                for m in [1.0, 2.0, 5.0] where inside(m * p) { fine.append(m * p) }
            }
            if fine.count >= 2 { return fine }
            return linear(lo, hi, count: count)
        }
        let every = max(1, Int(ceil(Double(decades.count) / Double(max(1, count)))))
        return decades.enumerated().filter { $0.offset % every == 0 }.map(\.element)
    }

    /// A label with as many decimals as the tick step needs.
    static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1e6 || (abs(v) < 1e-4) { return compactExponent(String(format: "%.3g", v)) }
        let decimals = max(0, min(6, Int(-floor(log10(step) + 1e-9))))
        return String(format: "%.\(decimals)f", v)
    }

    /// `0.001`, `0.01`, ..., `1000`, else `1e-5`, `2e+06` style.
    static func logLabel(_ v: Double) -> String {
        let e = log10(v)
        if e >= -3 && e < 4 {
            let s = String(format: "%.4g", v)
            return s
        }
        return compactExponent(String(format: "%.0e", v))
    }

    /// A number in at most 6 significant digits: `0.5`, `-2`, `1e-5`.
    static func compact(_ v: Double) -> String { compactExponent(String(format: "%.6g", v)) }

    /// `1e-05` -> `1e-5`, `2e+06` -> `2e6`.
    static func compactExponent(_ s: String) -> String {
        guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return s }
        var mantissa = String(s[..<e])
        var exponent = String(s[s.index(after: e)...])
        let negative = exponent.hasPrefix("-")
        exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        return mantissa + "e" + (negative ? "-" : "") + (exponent.isEmpty ? "0" : exponent)
    }
}
