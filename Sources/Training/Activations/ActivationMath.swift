#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scalar activation functions and their derivatives, the reference the fused loops follow.
public enum ActivationMath {
    /// SELU constants (Klambauer et al. 2017).
    public static let seluAlpha: Float = 1.6732632423543772
    public static let seluLambda: Float = 1.0507009873554805

    @inline(__always)
    public static func sigmoid(_ z: Float) -> Float { 1 / (1 + expf(-z)) }

    /// f(z) for activations without learned or random parameters; `slope` is the negative
    /// slope of leaky/rrelu/prelu.
    @inline(__always)
    static func value(_ kind: Activation, _ z: Float, slope: Float) -> Float {
        switch kind {
        case .sigmoid: return sigmoid(z)
        case .tanh: return tanhf(z)
        case .relu: return z > 0 ? z : 0
        case .leakyReLU, .rrelu, .prelu: return z > 0 ? z : slope * z
        case .elu(let alpha): return z > 0 ? z : Float(alpha) * (expf(z) - 1)
        case .selu: return z > 0 ? seluLambda * z : seluLambda * seluAlpha * (expf(z) - 1)
        case .swish: return z * sigmoid(z)
        }
    }
}
