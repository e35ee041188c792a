import Foundation

/// Maps data values to pixels along one axis, linearly or logarithmically.
struct Scale {
    enum Kind { case linear, log }

    var kind: Kind
    /// Data interval (both ends > 0 for log scales).
    var low: Double
    var high: Double
    /// Pixel interval; `start` is where `low` goes (may be greater than `end`, e.g. y axes).
    var start: Double
    var end: Double

    init(kind: Kind = .linear, low: Double, high: Double, start: Double, end: Double) {
        self.kind = kind
        var lo = low, hi = high
        if kind == .log {
            lo = max(lo, 1e-300)
            hi = max(hi, lo)
        }
        if !(hi > lo) {
            // A single value: widen so that it sits in the middle.
            let pad = kind == .log ? 0 : max(abs(lo) * 0.05, 1e-9)
            if kind == .log { lo /= 1.5; hi = lo * 2.25 } else { lo -= pad; hi += pad }
        }
        self.low = lo
        self.high = hi
        self.start = start
        self.end = end
    }

    private func t(_ v: Double) -> Double { kind == .log ? log10(max(v, 1e-300)) : v }

    /// The pixel position of `v` (clamped to the axis).
    func callAsFunction(_ v: Double) -> Double {
        let a = t(low), b = t(high)
        let f = b > a ? (t(v) - a) / (b - a) : 0.5
        return start + min(max(f, 0), 1) * (end - start)
    }

    /// Whether `v` lies inside the data interval (with a small tolerance).
    func contains(_ v: Double) -> Bool {
        let tol = (t(high) - t(low)) * 1e-9
        return t(v) >= t(low) - tol && t(v) <= t(high) + tol
    }

    /// The same scale with the data interval widened by `fraction` of its span on each side.
    func padded(_ fraction: Double) -> Scale {
        if kind == .log {
            let f = pow(high / low, fraction)
            return Scale(kind: .log, low: low / f, high: high * f, start: start, end: end)
        }
        let pad = (high - low) * fraction
        return Scale(kind: .linear, low: low - pad, high: high + pad, start: start, end: end)
    }

    /// Round tick values inside the interval: about `count` of them.
    func ticks(_ count: Int = 5) -> [Double] {
        kind == .log ? Ticks.log(low, high, count: count) : Ticks.linear(low, high, count: count)
    }

    /// A short label for a tick value of this scale.
    func label(_ v: Double) -> String {
        kind == .log ? Ticks.logLabel(v) : Ticks.label(v, step: Ticks.step(low, high, count: 5))
    }
}
