import Randomness

/// A fully connected layer `a = f(x W + b)` with the activation fused in, on the last axis
/// of its input: a sample of shape (..., fanIn) is `positions` rows of fanIn values, so one
/// sgemm over rows x positions handles any rank (Keras' Dense on rank > 2 input).
///
/// The kernel is fan_in x units, row-major (Keras layout). Forward: one sgemm, then one pass
/// that adds the bias and applies the activation. Backward: the activation derivative and
/// the bias gradient (column sums) in place on the incoming gradient, then, unless this is
/// the first layer, sgemm for the input gradient, then sgemm for the kernel gradient (in
/// chunks of rows when the caller streams it to the optimizer, ``KernelGradientStreaming``).
final class DenseLayer: Layer {
    /// Inputs per position (the last axis), the kernel's rows.
    let fanIn: Int
    /// Outputs per position.
    let units: Int
    /// Positions per sample (product of the leading axes; 1 for flat input).
    let positions: Int
    /// Output shape (the input shape with its last axis replaced by `units`).
    let outputShape: [Int]
    var inputWidth: Int { positions * fanIn }
    var outputWidth: Int { positions * units }
    let useBias: Bool
    let initializer: Initializer
    /// Hidden layers are subject to the max-norm constraint; the output layer is not.
    let constrained: Bool
    let unit: ActivationUnit?
    let gemm: Gemm
    let label: String

    var kind: String { "Dense" }
    var trainableCount: Int { fanIn * units + (useBias ? units : 0) + (unit?.parameterCount ?? 0) }

    private var parameters = KernelParameters()
    var kernel: UnsafeMutablePointer<Float>! { parameters.kernel }
    var kernelGradient: UnsafeMutablePointer<Float>! { parameters.kernelGradient }
    private var bias: UnsafeMutablePointer<Float>? { parameters.bias }
    private var biasGradient: UnsafeMutablePointer<Float>? { parameters.biasGradient }

    private var output: FloatBuffer!
    private var preActivation: FloatBuffer?
    private var inputGradient: FloatBuffer!
    private var lastInput: UnsafePointer<Float>?

    init(
        label: String, inputs: Int, units: Int, activation: Activation?, initializer: Initializer,
        useBias: Bool, constrained: Bool, gemm: Gemm, leadingShape: [Int] = []
    ) {
        self.label = label
        fanIn = inputs
        self.units = units
        positions = leadingShape.reduce(1, *)
        outputShape = leadingShape + [units]
        self.initializer = initializer
        self.useBias = useBias
        self.constrained = constrained
        self.gemm = gemm
        unit = activation.map { ActivationUnit($0, width: units) }
    }

    func reserve(in layout: inout ParameterLayout) {
        parameters.reserve(label, rows: fanIn, cols: units, useBias: useBias, constrained: constrained, unit: unit, in: &layout)
    }

    func bind(_ store: ParameterStore) {
        parameters.bind(store, unit: unit)
    }

    func initialize(using rng: inout SeededGenerator) {
        initializer.fill(kernel, fanIn: fanIn, fanOut: units, using: &rng)
        bias?.update(repeating: 0, count: units)
        unit?.initializeParameters()
    }

    func allocate(capacity rows: Int) {
        output = FloatBuffer(count: rows * outputWidth)
        inputGradient = FloatBuffer(count: rows * inputWidth)
        if let unit, unit.needsPreActivation { preActivation = FloatBuffer(count: rows * outputWidth) }
        unit?.allocate(capacity: rows * positions)
    }

    func forward(_ input: UnsafePointer<Float>, rows samples: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        lastInput = input
        let rows = samples * positions
        let out = output.pointer
        let z = preActivation?.pointer ?? out
        gemm.multiply(false, false, m: rows, n: units, k: fanIn, input, lda: fanIn, kernel, ldb: units, z, ldc: units)
        if let unit {
            unit.forward(z, bias: bias, out: out, rows: rows, training: mode == .training, rng: &rng)
        } else if let bias {
            VectorOps.addRowVector(bias, to: out, rows: rows, cols: units)
        }
        return out
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows samples: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        backward(gradOutput, rows: samples, needInputGradient: needInputGradient, chunkRows: fanIn) { _ in }
    }

    /// The activation derivative and the bias (and PReLU) gradients, in place on `gradOutput`.
    private func backwardActivation(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int) {
        if let unit, let biasGradient, case .relu = unit.activation {
            // The benchmark path: ReLU mask and bias gradient in one pass.
            ActivationUnit.maskPositiveWithColumnSums(gradOutput, output.pointer, rows: rows, cols: units, sums: biasGradient)
        } else {
            if let unit {
                if let alphaGradient = unit.alphaGradient { alphaGradient.update(repeating: 0, count: units) }
                unit.backward(gradOutput, rows: rows)
            }
            if let biasGradient { VectorOps.columnSums(gradOutput, rows: rows, cols: units, into: biasGradient) }
        }
    }

    /// dX = dZ W^T, from the kernel as it is now.
    private func inputGradient(of gradOutput: UnsafePointer<Float>, rows: Int) -> UnsafeMutablePointer<Float> {
        gemm.multiply(false, true, m: rows, n: fanIn, k: units, gradOutput, lda: units, kernel, ldb: units, inputGradient.pointer, ldc: fanIn)
        return inputGradient.pointer
    }

    /// The index of the kernel's block in the parameter store (the layer's first block).
    var kernelBlock: Int { parameters.kernelBlock }

    /// Rows per kernel-gradient chunk for a batch of `samples`, or nil when the layer's
    /// kernel gradient is best computed in one call (see ``KernelGradientStreaming``).
    func kernelGradientChunkRows(samples: Int) -> Int? {
        KernelGradientStreaming.rowsPerChunk(fanIn: fanIn, units: units, batchRows: samples * positions)
    }

    /// The backward pass with the kernel gradient summed `chunkRows` kernel rows at a time
    /// (`fanIn`: in one call): each chunk's rows go to `kernelRowsDone` as soon as they are
    /// summed, while they are in cache, so the caller can update them there and then. The
    /// input gradient is computed first, from the kernel the forward pass used; the bias
    /// (and PReLU) gradients are complete before the first chunk.
    func backward(
        _ gradOutput: UnsafeMutablePointer<Float>, rows samples: Int, needInputGradient: Bool,
        chunkRows: Int, kernelRowsDone: (Range<Int>) -> Void
    ) -> UnsafeMutablePointer<Float>? {
        guard let input = lastInput else { preconditionFailure("backward before forward") }
        let rows = samples * positions
        backwardActivation(gradOutput, rows: rows)
        let result = needInputGradient ? inputGradient(of: gradOutput, rows: rows) : nil
        var first = 0
        while first < fanIn {
            let count = min(chunkRows, fanIn - first)
            // dW[first..<first+count] = x[:, first..<first+count]^T dZ
            gemm.multiply(true, false, m: count, n: units, k: rows, input + first, lda: fanIn, gradOutput, ldb: units,
                          kernelGradient + first * units, ldc: units)
            kernelRowsDone(first..<(first + count))
            first += count
        }
        return result
    }
}
