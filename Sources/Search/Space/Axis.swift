#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A numeric parameter seen as an interval of the real line, the way Optuna's samplers see
/// it: log parameters in log space, and grids widened by half a step on each side so every
/// grid value gets the same share of the interval.
struct NumericAxis: Hashable, Sendable {
    /// Inclusive bounds in the parameter's own units.
    let low: Double
    let high: Double
    /// Grid step in the parameter's own units (`nil` for continuous floats; 1 for log-ints).
    let step: Double?
    /// Whether the sampler works on log(value).
    let isLog: Bool
    /// Whether values are integers.
    let isInt: Bool

    /// Sampling interval in transformed space (log applied, widened by half a step).
    var transformedLow: Double { transform(step.map { low - $0 / 2 } ?? low) }
    var transformedHigh: Double { transform(step.map { high + $0 / 2 } ?? high) }

    @inline(__always) func transform(_ v: Double) -> Double { isLog ? log(v) : v }
    @inline(__always) func untransform(_ t: Double) -> Double { isLog ? exp(t) : t }

    /// The value for a point `t` of the transformed interval, as Optuna's random and QMC
    /// samplers map it back (`_untransform_numerical_param`).
    func value(fromTransformed t: Double) -> ParamValue {
        if isInt {
            if isLog {
                let v = min(max(untransform(t).rounded(), low), high)
                return .int(Int(v))
            }
            let s = step ?? 1
            let k = ((t - low) / s + 0.5).rounded(.down)
            return .int(Int(min(max(k * s + low, low), high)))
        }
        if let s = step {
            return .double(min(max(((t - low) / s).rounded() * s + low, low), high))
        }
        let v = untransform(t)
        if low == high { return .double(low) }
        return .double(min(max(v, low), high.nextDown))
    }

    /// The value for a point `x` (already back in the parameter's units) drawn by TPE:
    /// snapped to the grid and clipped, as Optuna's Parzen estimator does.
    func snapped(_ x: Double) -> ParamValue {
        if let s = step {
            let v = min(max(low + ((x - low) / s).rounded(.toNearestOrEven) * s, low), high)
            return isInt ? .int(Int(v)) : .double(v)
        }
        return .double(min(max(x, low), high))
    }
}

/// How a sampler sees one parameter: a numeric axis or a list of choices.
enum Axis: Hashable, Sendable {
    case numeric(NumericAxis)
    case categorical([ParamValue])

    init(_ distribution: Distribution) {
        switch distribution {
        case .uniform(let lo, let hi, let step):
            // Like Optuna, a high bound off the grid is lowered to the last grid value.
            let top = step.map { lo + ((hi - lo) / $0 + 1e-9).rounded(.down) * $0 } ?? hi
            self = .numeric(NumericAxis(low: lo, high: min(top, hi), step: step, isLog: false, isInt: false))
        case .logUniform(let lo, let hi):
            self = .numeric(NumericAxis(low: lo, high: hi, step: nil, isLog: true, isInt: false))
        case .int(let lo, let hi, let step):
            let top = lo + (hi - lo) / step * step
            self = .numeric(NumericAxis(low: Double(lo), high: Double(top), step: Double(step), isLog: false, isInt: true))
        case .logInt(let lo, let hi):
            self = .numeric(NumericAxis(low: Double(lo), high: Double(hi), step: 1, isLog: true, isInt: true))
        case .categorical(let choices):
            self = .categorical(choices)
        }
    }

    /// The single value of a single-valued distribution (never sampled, always recorded).
    static func singleValue(of distribution: Distribution) -> ParamValue? {
        guard distribution.isSingleValued else {
            // A quantized range narrower than one step also has a single value.
            if case .uniform(let lo, let hi, let step?) = distribution, hi - lo < step { return .double(lo) }
            if case .int(let lo, let hi, let step) = distribution, hi - lo < step { return .int(lo) }
            return nil
        }
        switch distribution {
        case .uniform(let lo, _, _), .logUniform(let lo, _): return .double(lo)
        case .int(let lo, _, _), .logInt(let lo, _): return .int(lo)
        case .categorical(let c): return c[0]
        }
    }

    /// The value as a sampler's internal number: the value itself for numeric axes (not yet
    /// log-transformed), the choice index for categorical ones; `nil` if it does not belong.
    func internalValue(of value: ParamValue, in distribution: Distribution) -> Double? {
        switch self {
        case .numeric:
            guard distribution.contains(value), let v = value.number else { return nil }
            return v
        case .categorical(let choices):
            return choices.firstIndex(of: value).map(Double.init)
        }
    }
}

/// The value drawn uniformly from the whole range of a distribution, from a uniform `u` in
/// [0, 1) (one number per parameter, as the random and quasi-random samplers use).
func uniformValue(_ axis: Axis, u: Double) -> ParamValue {
    switch axis {
    case .numeric(let a):
        let lo = a.transformedLow, hi = a.transformedHigh
        return a.value(fromTransformed: lo + u * (hi - lo))
    case .categorical(let choices):
        return choices[min(Int(u * Double(choices.count)), choices.count - 1)]
    }
}
