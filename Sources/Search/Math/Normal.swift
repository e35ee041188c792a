#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal distribution: CDF, interval masses, quantiles and truncated draws.
///
/// Everything TPE needs from it; accurate to double precision in the ranges TPE uses
/// (interval masses are computed on the tail side where `erfc` is exact).
enum Normal {
    static let sqrt2 = 2.0.squareRoot()
    /// log(sqrt(2 pi)).
    static let logSqrt2Pi = 0.5 * log(2 * Double.pi)

    /// Phi(x), the standard normal CDF.
    @inline(__always)
    static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / sqrt2) }

    /// Phi(b) - Phi(a) for a <= b, computed on the side where it does not cancel.
    @inline(__always)
    static func mass(_ a: Double, _ b: Double) -> Double {
        if b <= 0 { return cdf(b) - cdf(a) }          // both in the left tail
        if a > 0 { return cdf(-a) - cdf(-b) }         // both in the right tail
        return 1 - cdf(a) - cdf(-b)                    // straddles 0
    }

    /// log(Phi(b) - Phi(a)); -infinity when the mass underflows.
    @inline(__always)
    static func logMass(_ a: Double, _ b: Double) -> Double {
        if a <= 0 && b > 0 { return log1p(-cdf(a) - cdf(-b)) }
        return log(mass(a, b))
    }

    /// The quantile function Phi^-1(p) (Wichura's AS 241, relative error about 1e-16).
    static func quantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            let num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
                + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
            let den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
                + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
            return q * num / den
        }
        var r = q < 0 ? p : 1 - p
        r = (-log(r)).squareRoot()
        var x: Double
        if r <= 5 {
            r -= 1.6
            let num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
            let den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
            x = num / den
        } else {
            r -= 5
            let num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
            let den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
            x = num / den
        }
        return q < 0 ? -x : x
    }

    /// A draw from the standard normal truncated to `[a, b]` (a <= b), by inverting the CDF
    /// on the side of the interval where the tail probabilities do not cancel (as Optuna does).
    /// `u` is uniform in [0, 1).
    static func truncatedQuantile(u: Double, a: Double, b: Double) -> Double {
        let x: Double
        if a < 0 {
            x = quantile(cdf(a) + u * mass(a, b))
        } else {
            x = -quantile(cdf(-b) + (1 - u) * mass(a, b))
        }
        return min(max(x, a), b)
    }
}
