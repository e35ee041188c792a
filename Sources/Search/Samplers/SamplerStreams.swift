import Randomness

/// Random streams of the samplers: one per (seed, trial number, purpose), so a suggestion
/// depends only on the seed, the trial number and the history, never on call order.
enum SamplerStreams {
    /// The generator for drawing parameter `index` of trial `number` independently of the
    /// other parameters (so a conditional branch does not shift the draws of later ones).
    @inline(__always)
    static func parameter(seed: UInt64, trial number: Int, index: Int) -> SeededGenerator {
        SeededGenerator(seed: seed ^ (UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15), stream: UInt64(bitPattern: Int64(number)))
    }

    /// The generator for a sampler's own draws for trial `number` (e.g. TPE's candidates).
    @inline(__always)
    static func trial(seed: UInt64, trial number: Int, purpose: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed &+ purpose &* 0xC2B2_AE3D_27D4_EB4F, stream: UInt64(bitPattern: Int64(number)))
    }
}
