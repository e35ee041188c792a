/// exp(x) for four lanes at once, for x in [-700, 0] (what log-sum-exp needs after
/// subtracting the maximum). Cody-Waite reduction x = k ln 2 + r with |r| <= ln 2 / 2, a
/// degree-13 Taylor polynomial for e^r (relative error below 2e-16), and 2^k built in the
/// exponent bits; all AVX2 arithmetic, no calls into libm.
@inline(__always)
func exp4(_ x: SIMD4<Double>) -> SIMD4<Double> {
    typealias V = SIMD4<Double>
    let shifter = V(repeating: 0x1.8p52)
    // t's low mantissa bits hold k = round(x / ln 2).
    let t = x * V(repeating: 1.4426950408889634) + shifter
    let k = t - shifter
    let r = x - k * V(repeating: 6.93147180369123816490e-01) - k * V(repeating: 1.90821492927058770002e-10)
    var p = V(repeating: 1.0 / 6227020800)           // 1/13!
    p = p * r + V(repeating: 1.0 / 479001600)        // 1/12!
    p = p * r + V(repeating: 1.0 / 39916800)
    p = p * r + V(repeating: 1.0 / 3628800)
    p = p * r + V(repeating: 1.0 / 362880)
    p = p * r + V(repeating: 1.0 / 40320)
    p = p * r + V(repeating: 1.0 / 5040)
    p = p * r + V(repeating: 1.0 / 720)
    p = p * r + V(repeating: 1.0 / 120)
    p = p * r + V(repeating: 1.0 / 24)
    p = p * r + V(repeating: 1.0 / 6)
    p = p * r + V(repeating: 0.5)
    p = p * r + V(repeating: 1)
    p = p * r + V(repeating: 1)
    let bits = (unsafeBitCast(t, to: SIMD4<UInt64>.self) &+ SIMD4<UInt64>(repeating: 1023)) &<< SIMD4<UInt64>(repeating: 52)
    return p * unsafeBitCast(bits, to: V.self)
}
