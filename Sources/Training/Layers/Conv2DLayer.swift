import Randomness

/// Conv2D on channels-last input: cross-correlation with `filters` kernels of
/// kh x kw x channels, stride and `valid`/`same` zero padding, activation fused in.
///
/// im2col + sgemm: the windows of a tile of samples are copied into the rows of a column
/// matrix (positions x kh*kw*C per sample), and one sgemm with the kernel
/// (kh*kw*C x filters, Keras' layout flattened) gives the channels-last output directly.
/// Backward: the activation derivative and bias sums in place, dK = colᵀ·dY (accumulated
/// over tiles), dcol = dY·Kᵀ and col2im into the input gradient. The column buffer holds
/// `tileSamples` samples; a training batch that fits reuses the forward pass's columns.
///
/// Stride-1 3x3 convolutions with enough input channels use Winograd F(2x2, 3x3) instead
/// (`Winograd3x3`: 16 sgemms over transformed tiles, 2.25x fewer multiplies); im2col stays
/// for every other shape and as the reference the Winograd path is tested against.
final class Conv2DLayer: Layer {
    /// How the convolution is computed.
    enum Algorithm: Sendable {
        case im2col
        case winograd
    }

    let geometry: WindowGeometry
    let filters: Int
    let useBias: Bool
    let initializer: Initializer
    let constrained: Bool
    let unit: ActivationUnit?
    let gemm: Gemm
    let label: String
    let tileSamples: Int
    let algorithm: Algorithm

    var kind: String { "Conv2D" }
    var inputWidth: Int { geometry.inputSize }
    var outputWidth: Int { geometry.positions * filters }
    var outputShape: [Int] { [geometry.outputHeight, geometry.outputWidth, filters] }
    var trainableCount: Int { geometry.patchSize * filters + (useBias ? filters : 0) + (unit?.parameterCount ?? 0) }

    private var parameters = KernelParameters()
    private var kernel: UnsafeMutablePointer<Float>! { parameters.kernel }
    private var kernelGradient: UnsafeMutablePointer<Float>! { parameters.kernelGradient }
    private var bias: UnsafeMutablePointer<Float>? { parameters.bias }
    private var biasGradient: UnsafeMutablePointer<Float>? { parameters.biasGradient }

    private var output: FloatBuffer!
    private var preActivation: FloatBuffer?
    private var inputGradient: FloatBuffer!
    private var columns: FloatBuffer!
    private var lastInput: UnsafePointer<Float>?
    /// Whether `columns` holds the windows of the whole last forward batch.
    private var columnsCurrent = false
    private var winograd: Winograd3x3?

    /// - Parameters:
    ///   - tileSamples: samples per im2col (or Winograd) tile; nil: as many as fit in 8M floats.
    ///   - algorithm: nil chooses Winograd where it covers the geometry, else im2col.
    init(
        label: String, geometry: WindowGeometry, filters: Int, activation: Activation?, initializer: Initializer,
        useBias: Bool, constrained: Bool, gemm: Gemm, capacity: Int, tileSamples: Int? = nil, algorithm: Algorithm? = nil
    ) {
        precondition(algorithm != .winograd || Winograd3x3.covers(geometry), "Winograd needs a stride-1 3x3 kernel")
        self.label = label
        self.geometry = geometry
        self.filters = filters
        self.initializer = initializer
        self.useBias = useBias
        self.constrained = constrained
        self.gemm = gemm
        unit = activation.map { ActivationUnit($0, width: filters) }
        let perSample = geometry.positions * geometry.patchSize
        self.tileSamples = max(1, min(capacity, tileSamples ?? (8 << 20) / max(1, perSample)))
        self.algorithm = algorithm ?? (Winograd3x3.covers(geometry) ? .winograd : .im2col)
        if self.algorithm == .winograd {
            winograd = Winograd3x3(geometry: geometry, filters: filters, gemm: gemm, capacity: capacity, chunk: tileSamples)
        }
    }

    func reserve(in layout: inout ParameterLayout) {
        parameters.reserve(label, rows: geometry.patchSize, cols: filters, useBias: useBias, constrained: constrained, unit: unit, in: &layout)
    }

    func bind(_ store: ParameterStore) {
        parameters.bind(store, unit: unit)
    }

    func initialize(using rng: inout SeededGenerator) {
        // Keras fans of a conv kernel: receptive field x input / output channels.
        let field = geometry.kernelHeight * geometry.kernelWidth
        initializer.fill(kernel, count: geometry.patchSize * filters, fanIn: geometry.patchSize, fanOut: field * filters, using: &rng)
        bias?.update(repeating: 0, count: filters)
        unit?.initializeParameters()
    }

    func allocate(capacity rows: Int) {
        output = FloatBuffer(count: rows * outputWidth)
        inputGradient = FloatBuffer(count: rows * inputWidth)
        if winograd == nil { columns = FloatBuffer(count: tileSamples * geometry.positions * geometry.patchSize) }
        if let unit, unit.needsPreActivation { preActivation = FloatBuffer(count: rows * outputWidth) }
        unit?.allocate(capacity: rows * geometry.positions)
    }

    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        lastInput = input
        let out = output.pointer, z = preActivation?.pointer ?? out
        let p = geometry.positions, patch = geometry.patchSize
        var start = 0
        if let winograd {
            winograd.forward(input, rows: rows, kernel: kernel, into: z)
            start = rows
        }
        while start < rows {
            let n = min(tileSamples, rows - start)
            geometry.im2col(input + start * inputWidth, samples: n, into: columns.pointer)
            gemm.multiply(false, false, m: n * p, n: filters, k: patch, columns.pointer, lda: patch, kernel, ldb: filters,
                          z + start * outputWidth, ldc: filters)
            start += n
        }
        columnsCurrent = rows <= tileSamples
        let positions = rows * p
        if let unit {
            unit.forward(z, bias: bias, out: out, rows: positions, training: mode == .training, rng: &rng)
        } else if let bias {
            VectorOps.addRowVector(bias, to: out, rows: positions, cols: filters)
        }
        return out
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input = lastInput else { preconditionFailure("backward before forward") }
        let p = geometry.positions, patch = geometry.patchSize, positions = rows * p
        if let unit, let biasGradient, case .relu = unit.activation {
            ActivationUnit.maskPositiveWithColumnSums(gradOutput, output.pointer, rows: positions, cols: filters, sums: biasGradient)
        } else {
            if let unit {
                if let alphaGradient = unit.alphaGradient { alphaGradient.update(repeating: 0, count: filters) }
                unit.backward(gradOutput, rows: positions)
            }
            if let biasGradient { VectorOps.columnSums(gradOutput, rows: positions, cols: filters, into: biasGradient) }
        }
        var start = 0
        if let winograd {
            winograd.backward(gradOutput, input: input, rows: rows, kernelGradient: kernelGradient,
                              inputGradient: needInputGradient ? inputGradient.pointer : nil)
            start = rows
        }
        while start < rows {
            let n = min(tileSamples, rows - start)
            if !(columnsCurrent && start == 0 && n == rows) {
                geometry.im2col(input + start * inputWidth, samples: n, into: columns.pointer)
            }
            let g = gradOutput + start * outputWidth
            // dK (+)= colᵀ · dY
            gemm.multiply(true, false, m: patch, n: filters, k: n * p, columns.pointer, lda: patch, g, ldb: filters,
                          kernelGradient, ldc: filters, beta: start == 0 ? 0 : 1)
            if needInputGradient {
                // dcol = dY · Kᵀ, then back into the input cells.
                gemm.multiply(false, true, m: n * p, n: patch, k: filters, g, lda: filters, kernel, ldb: filters,
                              columns.pointer, ldc: patch)
                geometry.col2im(columns.pointer, samples: n, into: inputGradient.pointer + start * inputWidth)
            }
            start += n
        }
        columnsCurrent = false
        return needInputGradient ? inputGradient.pointer : nil
    }
}
