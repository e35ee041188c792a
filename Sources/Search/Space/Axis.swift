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
    /// The distribution of the transformed value (uniform on the interval for ranges). For
    /// normal, log-normal and beta parameters the interval only bounds TPE's Parzen
    /// estimator (mu ± 4 sigma, [0, 1] for beta); random and QMC draws are not clipped to it.
    var prior: AxisPrior = .uniform
    /// W&B's `q`: values are rounded to `round(x / q) * q`; a whole-number `q` gives
    /// integers (W&B gives ints for an integer `q`; a command line then reads `32`, not `32.0`).
    var quantum: Double? = nil

    /// Whether values are rounded to a quantum or drawn from a non-uniform prior: then
    /// neither the grid nor the bounds' clipping applies (only the quantum).
    private var isQuantizedOrProbabilistic: Bool { prior != .uniform || quantum != nil }

    /// Sampling interval in transformed space (log applied, widened by half a step).
    var transformedLow: Double { transform(step.map { low - $0 / 2 } ?? low) }
    var transformedHigh: Double { transform(step.map { high + $0 / 2 } ?? high) }

    @inline(__always) func transform(_ v: Double) -> Double { isLog ? log(v) : v }
    @inline(__always) func untransform(_ t: Double) -> Double { isLog ? exp(t) : t }

    /// The value for a point `t` of the transformed interval, as Optuna's random and QMC
    /// samplers map it back (`_untransform_numerical_param`).
    func value(fromTransformed t: Double) -> ParamValue {
        if isQuantizedOrProbabilistic { return quantized(untransform(t)) }
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
            return .double(min(max(DecimalGrid.snapped(((t - low) / s).rounded() * s + low, step: s, origin: low), low), high))
        }
        let v = untransform(t)
        if low == high { return .double(low) }
        return .double(min(max(v, low), high.nextDown))
    }

    /// The value for a point `x` (already back in the parameter's units) drawn by TPE:
    /// snapped to the grid and clipped, as Optuna's Parzen estimator does.
    func snapped(_ x: Double) -> ParamValue {
        if isQuantizedOrProbabilistic { return quantized(min(max(x, untransform(transformedLow)), untransform(transformedHigh))) }
        if let s = step {
            let v = low + ((x - low) / s).rounded(.toNearestOrEven) * s
            // Rounded to the step's decimals, then clipped: a rounding never steps past a bound.
            return isInt ? .int(Int(min(max(v, low), high))) : .double(min(max(DecimalGrid.snapped(v, step: s, origin: low), low), high))
        }
        return .double(min(max(x, low), high))
    }

    /// `x` rounded to the quantum, if any (W&B's `round(x / q) * q`).
    func quantized(_ x: Double) -> ParamValue {
        guard let q = quantum else { return .double(x) }
        let v = (x / q).rounded() * q
        return q == q.rounded() && abs(v) < 0x1p53 ? .int(Int(v)) : .double(DecimalGrid.snapped(v, step: q))
    }

    /// An observed value in transformed space, clipped to the interval (a rounded
    /// log-normal value may be 0, and random draws may fall outside mu ± 4 sigma).
    func transformObserved(_ v: Double) -> Double {
        guard isQuantizedOrProbabilistic else { return transform(v) }
        return min(max(transform(v), transformedLow), transformedHigh)
    }
}

/// The distribution of a numeric axis's transformed value.
enum AxisPrior: Hashable, Sendable {
    /// Uniform on the axis's interval.
    case uniform
    /// N(mu, sigma) (for log-normal parameters, of log(value)).
    case normal(mu: Double, sigma: Double)
    /// Beta(a, b) on [0, 1].
    case beta(a: Double, b: Double)

    /// How many standard deviations either side of the mean TPE's interval spans.
    static let tpeHalfWidth = 4.0

    /// Quantiles drawn by inverse CDF stay within [tail, 1 - tail] (mu ± 4.75 sigma), so the
    /// lower corner of an unscrambled Sobol sequence (u = 0) is not -infinity.
    static let tail = 1e-6

    /// The transformed value at quantile `u` of the distribution (inverse CDF).
    func quantile(_ u: Double, low: Double, high: Double) -> Double {
        switch self {
        case .uniform: return low + u * (high - low)
        case .normal(let mu, let sigma): return mu + sigma * Normal.quantile(min(max(u, Self.tail), 1 - Self.tail))
        case .beta(let a, let b): return BetaDistribution.quantile(u, a: a, b: b)
        }
    }
}

/// How a sampler sees one parameter: a numeric axis or a list of choices.
enum Axis: Hashable, Sendable {
    case numeric(NumericAxis)
    /// Choices, with the running sums of their probabilities when they have any.
    case categorical([ParamValue], cumulative: [Double]?)

    init(_ distribution: Distribution) {
        switch distribution {
        case .uniform(let lo, let hi, let step):
            // Like Optuna, a high bound off the grid is lowered to the last grid value.
            // (In the step's decimals: 3 * 0.3 made the top of [0, 0.9] 0.8999999999999999.)
            let top = step.map { DecimalGrid.snapped(lo + ((hi - lo) / $0 + 1e-9).rounded(.down) * $0, step: $0, origin: lo) } ?? hi
            self = .numeric(NumericAxis(low: lo, high: min(top, hi), step: step, isLog: false, isInt: false))
        case .logUniform(let lo, let hi, let q):
            self = .numeric(NumericAxis(low: lo, high: hi, step: nil, isLog: true, isInt: false, quantum: q))
        case .int(let lo, let hi, let step):
            let top = lo + (hi - lo) / step * step
            self = .numeric(NumericAxis(low: Double(lo), high: Double(top), step: Double(step), isLog: false, isInt: true))
        case .logInt(let lo, let hi):
            self = .numeric(NumericAxis(low: Double(lo), high: Double(hi), step: 1, isLog: true, isInt: true))
        case .categorical(let choices, let probabilities):
            self = .categorical(choices, cumulative: probabilities.map(ChoiceProbabilities.cumulative))
        case .normal(let mu, let sigma, let q):
            let h = AxisPrior.tpeHalfWidth * sigma
            self = .numeric(NumericAxis(low: mu - h, high: mu + h, step: nil, isLog: false, isInt: false,
                                        prior: .normal(mu: mu, sigma: sigma), quantum: q))
        case .logNormal(let mu, let sigma, let q):
            let h = AxisPrior.tpeHalfWidth * sigma
            self = .numeric(NumericAxis(low: exp(mu - h), high: exp(mu + h), step: nil, isLog: true, isInt: false,
                                        prior: .normal(mu: mu, sigma: sigma), quantum: q))
        case .beta(let a, let b, let q):
            self = .numeric(NumericAxis(low: 0, high: 1, step: nil, isLog: false, isInt: false,
                                        prior: .beta(a: a, b: b), quantum: q))
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
        case .uniform(let lo, _, _), .logUniform(let lo, _, nil): return .double(lo)
        case .logUniform(let lo, _, let q?): return NumericAxis(low: lo, high: lo, step: nil, isLog: true, isInt: false, quantum: q).quantized(lo)
        case .int(let lo, _, _), .logInt(let lo, _): return .int(lo)
        case .categorical(let c, _): return c[0]
        case .normal, .logNormal, .beta: return nil
        }
    }

    /// The value as a sampler's internal number: the value itself for numeric axes (not yet
    /// log-transformed), the choice index for categorical ones; `nil` if it does not belong.
    func internalValue(of value: ParamValue, in distribution: Distribution) -> Double? {
        switch self {
        case .numeric:
            guard distribution.contains(value), let v = value.number else { return nil }
            return v
        case .categorical(let choices, _):
            return choices.firstIndex(of: value).map(Double.init)
        }
    }
}

/// The value drawn from the whole distribution from a uniform `u` in [0, 1) (one number per
/// parameter, as the random and quasi-random samplers use): uniformly over a range, by
/// inverse CDF for normal, log-normal and beta parameters and for choices with probabilities.
func uniformValue(_ axis: Axis, u: Double) -> ParamValue {
    switch axis {
    case .numeric(let a):
        return a.value(fromTransformed: a.prior.quantile(u, low: a.transformedLow, high: a.transformedHigh))
    case .categorical(let choices, let cumulative?):
        return choices[ChoiceProbabilities.index(of: u, cumulative: cumulative)]
    case .categorical(let choices, nil):
        return choices[min(Int(u * Double(choices.count)), choices.count - 1)]
    }
}

extension Distribution {
    /// For normal, log-normal and beta parameters: the interval holding nearly all values
    /// (TPE's interval: mu ± 4 sigma, its exp for log-normal, [0, 1] for beta) and whether
    /// it is log-scaled, for charts; nil for other distributions.
    public var probableRange: (low: Double, high: Double, isLog: Bool)? {
        guard isProbabilistic, case .numeric(let a) = Axis(self) else { return nil }
        return (a.low, a.high, a.isLog)
    }

    /// For normal, log-normal and beta parameters: the median value (rounded to `q`), a
    /// typical value to probe a command with; nil for other distributions.
    public var median: ParamValue? {
        isProbabilistic ? uniformValue(Axis(self), u: 0.5) : nil
    }
}
