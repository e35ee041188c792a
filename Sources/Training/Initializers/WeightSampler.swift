import Randomness

extension Initializer {
    /// Keras' correction for a normal truncated at 2 sigma: the std of N(0,1) restricted to
    /// [-2, 2] is 0.87962566, so the draw is divided by it to get the intended variance.
    static let truncatedNormalStdCorrection = 0.87962566103423978

    /// Fills `weights` (a fan_in x fan_out kernel) with draws from this initializer.
    func fill(
        _ weights: UnsafeMutablePointer<Float>, fanIn: Int, fanOut: Int, using rng: inout SeededGenerator
    ) {
        fill(weights, count: fanIn * fanOut, fanIn: fanIn, fanOut: fanOut, using: &rng)
    }

    /// Fills `count` weights (e.g. a conv kernel, whose fans are not its dimensions).
    func fill(
        _ weights: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int, using rng: inout SeededGenerator
    ) {
        let variance = self.variance(fanIn: fanIn, fanOut: fanOut)
        switch distribution {
        case .uniform:
            let limit = (3 * variance).squareRoot()
            for i in 0..<count { weights[i] = Float((2 * rng.nextDouble() - 1) * limit) }
        case .untruncatedNormal:
            let std = variance.squareRoot()
            for i in 0..<count { weights[i] = Float(rng.nextNormal() * std) }
        case .truncatedNormal:
            let std = variance.squareRoot() / Self.truncatedNormalStdCorrection
            for i in 0..<count {
                var z = rng.nextNormal()
                while abs(z) > 2 { z = rng.nextNormal() }  // resample outside 2 sigma
                weights[i] = Float(z * std)
            }
        }
    }
}
