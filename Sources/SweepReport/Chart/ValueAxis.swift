import Foundation
import Search

/// How the objective is put on an axis: log scale when it is positive and spans more than
/// two decades, and the worse tail cut off when a few outliers (diverged trials) would
/// squash everything else; cut-off values are drawn at the edge as triangles.
enum ValueAxis {
    static func scale(_ values: [Double], direction: Direction, start: Double, end: Double) -> Scale {
        let v = values.filter(\.isFinite).sorted()
        guard var lo = v.first, var hi = v.last else { return Scale(low: 0, high: 1, start: start, end: end) }
        if v.count >= 10 {
            let q1 = quantile(v, 0.1), q9 = quantile(v, 0.9)
            let spread = q9 - q1
            if spread > 0 {
                if direction == .minimize { hi = min(hi, q9 + 3 * spread) } else { lo = max(lo, q1 - 3 * spread) }
            }
        }
        let kind: Scale.Kind = lo > 0 && hi / lo > 100 ? .log : .linear
        return Scale(kind: kind, low: lo, high: hi, start: start, end: end).padded(0.04)
    }

    /// The `p` quantile of sorted values, interpolated.
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let x = p * Double(sorted.count - 1)
        let i = Int(x.rounded(.down)), f = x - Double(i)
        return i + 1 < sorted.count ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i]
    }

    /// Draws `v` at `x` as a dot, or as a triangle at the edge when it is off the scale.
    static func mark(_ dots: inout PathData, _ off: inout PathData, x: Double, value: Double, y: Scale) {
        if y.contains(value) {
            dots.dot(x, y(value))
        } else {
            let upper = y(value) == min(y.start, y.end)
            off.triangle(x, y(value), r: 4, up: upper)
        }
    }
}

/// A light-to-dark blue ramp: `f` = 0 light, 1 dark.
enum ColorRamp {
    static let stops: [(Double, Double, Double)] = [(203, 217, 235), (134, 170, 214), (55, 111, 181), (23, 52, 110)]

    static func color(_ f: Double) -> String {
        let t = min(max(f.isFinite ? f : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(t), stops.count - 2), u = t - Double(i)
        let a = stops[i], b = stops[i + 1]
        func c(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * u).rounded()) }
        return String(format: "#%02x%02x%02x", c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    }
}

/// `n` items spread evenly over `xs` (all of them when there are at most `n`).
func evenSample<T>(_ xs: [T], _ n: Int) -> [T] {
    guard xs.count > n else { return xs }
    guard n > 1 else { return n == 1 ? [xs[0]] : [] }
    return (0..<n).map { xs[Int((Double($0) * Double(xs.count - 1) / Double(n - 1)).rounded())] }
}

/// A deterministic offset in [-0.5, 0.5) for trial `n` (jitter in categorical slices).
func jitter(_ n: Int) -> Double {
    var x = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
    x ^= x >> 29
    x = x &* 0xBF58_476D_1CE4_E5B9
    x ^= x >> 32
    return Double(x % 10_000) / 10_000 - 0.5
}
