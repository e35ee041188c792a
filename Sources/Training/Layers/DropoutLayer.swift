import Randomness

/// Dropout: standard (inverted) or alpha dropout, identity at inference.
///
/// Standard: each unit is kept with probability q = 1 - rate and scaled by 1/q.
/// Alpha (for SELU nets): dropped units are set to alpha' = -lambda*alpha, then the affine
/// map `a*x + b` with `a = (q(1 + rate*alpha'^2))^(-1/2)`, `b = -a*alpha'*rate` restores
/// mean and variance. Active in training and MC-dropout passes.
final class DropoutLayer: Layer {
    let inputWidth: Int
    var outputWidth: Int { inputWidth }
    let outputShape: [Int]
    let rate: Float
    let alphaKind: Bool
    var kind: String { alphaKind ? "AlphaDropout" : "Dropout" }
    private var output: FloatBuffer!
    /// Per element: the factor the gradient is multiplied with (0 or the keep scale).
    private var mask: FloatBuffer!
    private var lastActive = false

    init(width: Int, rate: Double, kind: DropoutKind, shape: [Int]? = nil) {
        inputWidth = width
        outputShape = shape ?? [width]
        self.rate = Float(rate)
        alphaKind = kind == .alpha
    }

    func allocate(capacity rows: Int) {
        output = FloatBuffer(count: rows * inputWidth)
        mask = FloatBuffer(count: rows * inputWidth)
    }

    /// The affine constants (a, b, alpha') of alpha dropout for this rate.
    var alphaConstants: (a: Float, b: Float, alphaPrime: Float) {
        let p = Double(rate), q = 1 - p
        let alphaPrime = -Double(ActivationMath.seluLambda) * Double(ActivationMath.seluAlpha)
        let a = 1 / (q * (1 + p * alphaPrime * alphaPrime)).squareRoot()
        return (Float(a), Float(-a * alphaPrime * p), Float(alphaPrime))
    }

    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let count = rows * inputWidth, out = output.pointer, m = mask.pointer
        lastActive = mode.dropoutActive && rate > 0
        guard lastActive else {
            out.update(from: input, count: count)
            return out
        }
        let keepProbability = 1 - rate
        if alphaKind {
            let (a, b, alphaPrime) = alphaConstants
            for i in 0..<count {
                if rng.nextFloat() < keepProbability {
                    m[i] = a
                    out[i] = a * input[i] + b
                } else {
                    m[i] = 0
                    out[i] = a * alphaPrime + b
                }
            }
        } else {
            let scale = 1 / keepProbability
            for i in 0..<count {
                let keep: Float = rng.nextFloat() < keepProbability ? scale : 0
                m[i] = keep
                out[i] = input[i] * keep
            }
        }
        return out
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        guard lastActive else { return gradOutput }
        let m = mask.pointer
        for i in 0..<(rows * inputWidth) { gradOutput[i] *= m[i] }
        return gradOutput
    }
}
