import Randomness

/// A fully connected layer `a = f(x W + b)` with the activation fused in.
///
/// The kernel is fan_in x units, row-major (Keras layout). Forward: one sgemm, then one pass
/// that adds the bias and applies the activation. Backward: the activation derivative and
/// the bias gradient (column sums) in place on the incoming gradient, then sgemm for the
/// kernel gradient and, unless this is the first layer, sgemm for the input gradient.
final class DenseLayer: Layer {
    let inputWidth: Int
    let outputWidth: Int
    let useBias: Bool
    let initializer: Initializer
    /// Hidden layers are subject to the max-norm constraint; the output layer is not.
    let constrained: Bool
    let unit: ActivationUnit?
    let gemm: Gemm
    let label: String

    var kind: String { "Dense" }
    var trainableCount: Int { inputWidth * outputWidth + (useBias ? outputWidth : 0) + (unit?.parameterCount ?? 0) }

    private var kernelBlock = -1, biasBlock = -1, alphaBlock = -1
    private(set) var kernel: UnsafeMutablePointer<Float>!
    private(set) var kernelGradient: UnsafeMutablePointer<Float>!
    private var bias: UnsafeMutablePointer<Float>?
    private var biasGradient: UnsafeMutablePointer<Float>?

    private var output: FloatBuffer!
    private var preActivation: FloatBuffer?
    private var inputGradient: FloatBuffer!
    private var lastInput: UnsafePointer<Float>?

    init(
        label: String, inputs: Int, units: Int, activation: Activation?, initializer: Initializer,
        useBias: Bool, constrained: Bool, gemm: Gemm
    ) {
        self.label = label
        inputWidth = inputs
        outputWidth = units
        self.initializer = initializer
        self.useBias = useBias
        self.constrained = constrained
        self.gemm = gemm
        unit = activation.map { ActivationUnit($0, width: units) }
    }

    func reserve(in layout: inout ParameterLayout) {
        kernelBlock = layout.reserve("\(label).kernel", inputWidth * outputWidth, .kernel(rows: inputWidth, cols: outputWidth), constrained: constrained)
        if useBias { biasBlock = layout.reserve("\(label).bias", outputWidth, .bias) }
        if let unit, unit.parameterCount > 0 { alphaBlock = layout.reserve("\(label).alpha", unit.parameterCount, .preluAlpha) }
    }

    func bind(_ store: ParameterStore) {
        kernel = store.value(kernelBlock)
        kernelGradient = store.gradient(kernelBlock)
        if useBias {
            bias = store.value(biasBlock)
            biasGradient = store.gradient(biasBlock)
        }
        if alphaBlock >= 0 {
            unit?.alpha = store.value(alphaBlock)
            unit?.alphaGradient = store.gradient(alphaBlock)
        }
    }

    func initialize(using rng: inout SeededGenerator) {
        initializer.fill(kernel, fanIn: inputWidth, fanOut: outputWidth, using: &rng)
        bias?.update(repeating: 0, count: outputWidth)
        unit?.initializeParameters()
    }

    func allocate(capacity rows: Int) {
        output = FloatBuffer(count: rows * outputWidth)
        inputGradient = FloatBuffer(count: rows * inputWidth)
        if let unit, unit.needsPreActivation { preActivation = FloatBuffer(count: rows * outputWidth) }
        unit?.allocate(capacity: rows)
    }

    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        lastInput = input
        let out = output.pointer
        let z = preActivation?.pointer ?? out
        gemm.multiply(false, false, m: rows, n: outputWidth, k: inputWidth, input, lda: inputWidth, kernel, ldb: outputWidth, z, ldc: outputWidth)
        if let unit {
            unit.forward(z, bias: bias, out: out, rows: rows, training: mode == .training, rng: &rng)
        } else if let bias {
            VectorOps.addRowVector(bias, to: out, rows: rows, cols: outputWidth)
        }
        return out
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input = lastInput else { preconditionFailure("backward before forward") }
        if let unit, let biasGradient, case .relu = unit.activation {
            // The benchmark path: ReLU mask and bias gradient in one pass.
            ActivationUnit.maskPositiveWithColumnSums(gradOutput, output.pointer, rows: rows, cols: outputWidth, sums: biasGradient)
        } else {
            if let unit {
                if let alphaGradient = unit.alphaGradient { alphaGradient.update(repeating: 0, count: outputWidth) }
                unit.backward(gradOutput, rows: rows)
            }
            if let biasGradient { VectorOps.columnSums(gradOutput, rows: rows, cols: outputWidth, into: biasGradient) }
        }
        // dW = x^T dZ
        gemm.multiply(true, false, m: inputWidth, n: outputWidth, k: rows, input, lda: inputWidth, gradOutput, ldb: outputWidth, kernelGradient, ldc: outputWidth)
        guard needInputGradient else { return nil }
        // dX = dZ W^T
        gemm.multiply(false, true, m: rows, n: inputWidth, k: outputWidth, gradOutput, lda: outputWidth, kernel, ldb: outputWidth, inputGradient.pointer, ldc: inputWidth)
        return inputGradient.pointer
    }
}
