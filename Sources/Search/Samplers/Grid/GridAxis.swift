#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The values the grid sampler tries for one parameter.
///
/// - categorical: every choice, in order;
/// - int, and float with a `step`: every grid value from low to high;
/// - float without step: `pointsPerAxis` evenly spaced values, both bounds included;
/// - log-uniform: `pointsPerAxis` geometrically spaced values, both bounds included;
/// - log-int: `pointsPerAxis` geometrically spaced values rounded to integers (duplicates
///   removed, so small ranges may give fewer);
/// - a single-valued distribution: its one value;
/// - normal, log-normal, beta: none (the grid sampler refuses them).
///
/// At most `limit` values are made (the grid refuses more points than that anyway): a step
/// of 1e-300, an int range of 1e14 values or `n_points` of 2^63 built every value first,
/// and crashed or took gigabytes.
public func gridValues(of distribution: Distribution, pointsPerAxis n: Int, limit: Int = Int.max - 1) -> [ParamValue] {
    if let single = Axis.singleValue(of: distribution) { return [single] }
    let cap = limit + 1 // one past the limit: enough to tell that it is passed
    let n = min(max(n, 2), cap)
    switch distribution {
    case .categorical(let choices, _):
        return choices
    case .int(let lo, _, let step):
        guard case .numeric(let axis) = Axis(distribution) else { return [] }
        let count = min((Int(axis.high) - lo) / step + 1, cap)
        return (0..<count).map { .int(lo + $0 * step) }
    case .uniform(let lo, let hi, let step):
        if let step {
            guard case .numeric(let axis) = Axis(distribution) else { return [] }
            let count = Int(min(((axis.high - lo) / step + 1e-9).rounded(.down) + 1, Double(cap)))
            return (0..<count).map { .double(DecimalGrid.snapped(lo + Double($0) * step, step: step, origin: lo)) }
        }
        let spacing = (hi - lo) / Double(n - 1)
        return (0..<n).map { i in .double(i == n - 1 ? hi : DecimalGrid.snapped(lo + (hi - lo) * Double(i) / Double(n - 1), step: spacing, origin: lo)) }
    case .logUniform(let lo, let hi, let q):
        let a = log(lo), b = log(hi)
        let points = (0..<n).map { i in i == 0 ? lo : i == n - 1 ? hi : exp(a + (b - a) * Double(i) / Double(n - 1)) }
        guard case .numeric(let axis) = Axis(distribution), q != nil else { return points.map { .double($0) } }
        var values: [ParamValue] = []
        for p in points.map(axis.quantized) where !values.contains(p) { values.append(p) }
        return values
    case .logInt(let lo, let hi):
        let a = log(Double(lo)), b = log(Double(hi))
        var values: [Int] = []
        for i in 0..<n {
            let v = min(max(Int(exp(a + (b - a) * Double(i) / Double(n - 1)).rounded()), lo), hi)
            if values.last != v { values.append(v) }
        }
        return values.map { .int($0) }
    case .normal, .logNormal, .beta:
        return []  // refused by `GridSampler.init` (no finite set of values)
    }
}
