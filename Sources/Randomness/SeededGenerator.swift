/// A fast, seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in Sweep (weight initialization, shuffling, dropout masks,
/// sampling) goes through this generator so that the same seed gives bit-identical
/// results on the same machine. Value type: copying it forks the stream.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&sm); s1 = splitmix(&sm); s2 = splitmix(&sm); s3 = splitmix(&sm)
    }

    /// A generator for a sub-stream, e.g. `(studySeed, trialNumber)`: independent streams
    /// for different `stream` values, reproducible for the same pair.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ 0x632B_E59B_D9B4_E019)
    }

    /// The generator's whole state, for checkpoints: `SeededGenerator(state:)` continues the
    /// stream exactly where this one stands.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator that continues a stream saved with `state`; nil unless four words are given
    /// and not all are zero (the one state xoshiro cannot leave).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A double uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A float uniform in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// A standard normal draw (Box-Muller; one value per call for simplicity of state).
    @inlinable
    public mutating func nextNormal() -> Double {
        var u = nextDouble()
        while u <= .leastNormalMagnitude { u = nextDouble() }
        let v = nextDouble()
        return (-2 * _log(u)).squareRoot() * _cos(2 * .pi * v)
    }

    /// An integer uniform in `0..<bound` (unbiased).
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next(upperBound: UInt64(bound)))
    }
}

// Minimal libm access without importing Foundation into every dependent module.
#if canImport(Glibc)
import Glibc
@usableFromInline func _log(_ x: Double) -> Double { Glibc.log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
@usableFromInline func _log(_ x: Double) -> Double { Darwin.log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
