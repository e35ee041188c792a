#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Randomness

/// Applies one activation function to a `rows` x `width` block and back-propagates through it.
///
/// Used fused into a Dense layer (bias add and activation in one pass over the sgemm output)
/// or on its own after batch normalization. Derivatives come from the output where the
/// function allows it (ReLU family, ELU, SELU, sigmoid, tanh), so those need no extra buffer;
/// swish and PReLU keep the pre-activation, RReLU keeps the slopes it drew.
final class ActivationUnit {
    let activation: Activation
    let width: Int
    /// PReLU: the learned slope per unit and its gradient (bound by the owning layer).
    var alpha: UnsafeMutablePointer<Float>?
    var alphaGradient: UnsafeMutablePointer<Float>?
    /// RReLU: slopes drawn for the last training forward pass.
    private var slopes: FloatBuffer?
    private var slopesValid = false
    /// Pointers of the last forward pass.
    private var lastPre: UnsafePointer<Float>?
    private var lastOut: UnsafePointer<Float>?

    init(_ activation: Activation, width: Int) {
        self.activation = activation
        self.width = width
    }

    /// Whether backward needs the pre-activation values (not derivable from the output).
    var needsPreActivation: Bool {
        switch activation {
        case .swish, .prelu: true
        default: false
        }
    }

    /// Number of trainable parameters (PReLU slopes).
    var parameterCount: Int {
        if case .prelu = activation { return width }
        return 0
    }

    func allocate(capacity rows: Int) {
        if case .rrelu = activation { slopes = FloatBuffer(count: rows * width) }
    }

    func initializeParameters() {
        if case .prelu(let a) = activation, let alpha { alpha.update(repeating: Float(a), count: width) }
    }

    /// `out = f(z + bias)`. With a bias, `z` is updated in place to `z + bias` (it is the
    /// pre-activation buffer, or the output buffer itself when `z == out`).
    func forward(
        _ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        rows: Int, training: Bool, rng: inout SeededGenerator
    ) {
        let n = width
        lastPre = UnsafePointer(z)
        lastOut = UnsafePointer(out)
        slopesValid = false
        switch activation {
        case .relu:
            Self.biasReLU(z, bias: bias, out: out, rows: rows, cols: n)
        case .leakyReLU(let a):
            Self.biasLeaky(z, bias: bias, out: out, rows: rows, cols: n, slope: Float(a))
        case .rrelu(let lower, let upper):
            if training, let slopes {
                let lo = Float(lower), span = Float(upper - lower)
                let s = slopes.pointer
                for i in 0..<(rows * n) { s[i] = lo + span * rng.nextFloat() }
                slopesValid = true
                addBias(z, bias, rows: rows)
                for i in 0..<(rows * n) { let v = z[i]; out[i] = v > 0 ? v : s[i] * v }
            } else {
                Self.biasLeaky(z, bias: bias, out: out, rows: rows, cols: n, slope: Float((lower + upper) / 2))
            }
        case .prelu:
            addBias(z, bias, rows: rows)
            let a = alpha!
            for r in 0..<rows {
                let zr = z + r * n, or = out + r * n
                for j in 0..<n { let v = zr[j]; or[j] = v > 0 ? v : a[j] * v }
            }
        default:
            addBias(z, bias, rows: rows)
            let kind = activation
            for i in 0..<(rows * n) { out[i] = ActivationMath.value(kind, z[i], slope: 0) }
        }
    }

    private func addBias(_ z: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>?, rows: Int) {
        if let bias { VectorOps.addRowVector(bias, to: z, rows: rows, cols: width) }
    }

    /// `grad *= f'(z)` in place for the last forward pass; PReLU also accumulates the slope
    /// gradient (`alphaGradient` must have been zeroed by the caller for this step).
    func backward(_ grad: UnsafeMutablePointer<Float>, rows: Int) {
        let n = width, count = rows * n
        guard let out = lastOut, let z = lastPre else { preconditionFailure("backward before forward") }
        switch activation {
        case .relu:
            Self.maskPositive(grad, out, count: count, negativeSlope: 0)
        case .leakyReLU(let a):
            Self.maskPositive(grad, out, count: count, negativeSlope: Float(a))
        case .rrelu(let lower, let upper):
            if slopesValid, let s = slopes?.pointer {
                for i in 0..<count where !(out[i] > 0) { grad[i] *= s[i] }
            } else {
                Self.maskPositive(grad, out, count: count, negativeSlope: Float((lower + upper) / 2))
            }
        case .prelu:
            let a = alpha!, da = alphaGradient!
            for r in 0..<rows {
                let zr = z + r * n, gr = grad + r * n
                for j in 0..<n where !(zr[j] > 0) {
                    da[j] += gr[j] * zr[j]
                    gr[j] *= a[j]
                }
            }
        case .sigmoid:
            for i in 0..<count { let y = out[i]; grad[i] *= y * (1 - y) }
        case .tanh:
            for i in 0..<count { let y = out[i]; grad[i] *= 1 - y * y }
        case .elu(let a):
            let alpha = Float(a)
            for i in 0..<count where !(out[i] > 0) { grad[i] *= out[i] + alpha }
        case .selu:
            let la = ActivationMath.seluLambda * ActivationMath.seluAlpha, l = ActivationMath.seluLambda
            for i in 0..<count { grad[i] *= out[i] > 0 ? l : out[i] + la }
        case .swish:
            for i in 0..<count {
                let s = ActivationMath.sigmoid(z[i])
                grad[i] *= s + out[i] * (1 - s)
            }
        }
    }

    // MARK: SIMD kernels for the ReLU family (the benchmark path)

    /// `out = max(z + b, 0)` row by row. (`replacing(with:where:)` rather than the generic
    /// `pointwiseMax`, which the compiler left as a call per vector.)
    static func biasReLU(
        _ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        let zero = VectorOps.V.zero
        for r in 0..<rows {
            let zr = z + r * cols, or = out + r * cols
            var j = 0
            if let bias {
                while j + 8 <= cols {
                    let v = VectorOps.load(zr + j) + VectorOps.load(bias + j)
                    VectorOps.store(v.replacing(with: zero, where: v .< zero), or + j)
                    j += 8
                }
                while j < cols { or[j] = max(zr[j] + bias[j], 0); j += 1 }
            } else {
                while j + 8 <= cols {
                    let v = VectorOps.load(zr + j)
                    VectorOps.store(v.replacing(with: zero, where: v .< zero), or + j)
                    j += 8
                }
                while j < cols { or[j] = max(zr[j], 0); j += 1 }
            }
        }
    }

    /// `out = z + b` when positive, `slope * (z + b)` otherwise; `z` keeps `z + b`.
    static func biasLeaky(
        _ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, slope: Float
    ) {
        let zero = VectorOps.V.zero, s = VectorOps.V(repeating: slope)
        for r in 0..<rows {
            let zr = z + r * cols, or = out + r * cols
            var j = 0
            while j + 8 <= cols {
                var v = VectorOps.load(zr + j)
                if let bias { v += VectorOps.load(bias + j) }
                VectorOps.store(v, zr + j)
                VectorOps.store(v.replacing(with: v * s, where: v .<= zero), or + j)
                j += 8
            }
            while j < cols {
                var v = zr[j]
                if let bias { v += bias[j] }
                zr[j] = v
                or[j] = v > 0 ? v : slope * v
                j += 1
            }
        }
    }

    /// `grad *= (out > 0 ? 1 : 0)` and `sums[j] = sum_r grad[r, j]` in one pass.
    static func maskPositiveWithColumnSums(
        _ grad: UnsafeMutablePointer<Float>, _ out: UnsafePointer<Float>, rows: Int, cols: Int, sums: UnsafeMutablePointer<Float>
    ) {
        let zero = VectorOps.V.zero
        sums.update(repeating: 0, count: cols)
        for r in 0..<rows {
            let g = grad + r * cols, o = out + r * cols
            var j = 0
            while j + 8 <= cols {
                let masked = VectorOps.load(g + j).replacing(with: zero, where: VectorOps.load(o + j) .<= zero)
                VectorOps.store(masked, g + j)
                VectorOps.store(VectorOps.load(sums + j) + masked, sums + j)
                j += 8
            }
            while j < cols {
                if !(o[j] > 0) { g[j] = 0 }
                sums[j] += g[j]
                j += 1
            }
        }
    }

    /// `grad *= (out > 0 ? 1 : negativeSlope)`.
    static func maskPositive(_ grad: UnsafeMutablePointer<Float>, _ out: UnsafePointer<Float>, count: Int, negativeSlope: Float) {
        let zero = VectorOps.V.zero
        var i = 0
        if negativeSlope == 0 {
            while i + 8 <= count {
                let g = VectorOps.load(grad + i)
                VectorOps.store(g.replacing(with: zero, where: VectorOps.load(out + i) .<= zero), grad + i)
                i += 8
            }
            while i < count { if !(out[i] > 0) { grad[i] = 0 }; i += 1 }
        } else {
            let s = VectorOps.V(repeating: negativeSlope)
            while i + 8 <= count {
                let g = VectorOps.load(grad + i)
                VectorOps.store(g.replacing(with: g * s, where: VectorOps.load(out + i) .<= zero), grad + i)
                i += 8
            }
            while i < count { if !(out[i] > 0) { grad[i] *= negativeSlope }; i += 1 }
        }
    }
}
