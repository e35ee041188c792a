import Randomness

/// A standalone activation (used after batch normalization placed before the activation).
final class ActivationLayer: Layer {
    /// Units per position (the last axis; PReLU learns one slope per unit, shared over positions).
    let channels: Int
    let positions: Int
    let outputShape: [Int]
    var inputWidth: Int { positions * channels }
    var outputWidth: Int { inputWidth }
    let unit: ActivationUnit
    let label: String
    var kind: String { "Activation" }
    var trainableCount: Int { unit.parameterCount }
    private var alphaBlock = -1
    private var output: FloatBuffer!
    private var preActivation: FloatBuffer?

    init(label: String, activation: Activation, width: Int, shape: [Int]? = nil) {
        self.label = label
        channels = width
        outputShape = shape ?? [width]
        positions = outputShape.dropLast().reduce(1, *)
        unit = ActivationUnit(activation, width: width)
    }

    func reserve(in layout: inout ParameterLayout) {
        if unit.parameterCount > 0 { alphaBlock = layout.reserve("\(label).alpha", unit.parameterCount, .preluAlpha) }
    }

    func bind(_ store: ParameterStore) {
        if alphaBlock >= 0 {
            unit.alpha = store.value(alphaBlock)
            unit.alphaGradient = store.gradient(alphaBlock)
        }
    }

    func initialize(using rng: inout SeededGenerator) { unit.initializeParameters() }

    func allocate(capacity rows: Int) {
        output = FloatBuffer(count: rows * inputWidth)
        if unit.needsPreActivation { preActivation = FloatBuffer(count: rows * inputWidth) }
        unit.allocate(capacity: rows * positions)
    }

    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let out = output.pointer
        // The unit may update its input in place, so it works on a copy it owns.
        let z = preActivation?.pointer ?? out
        z.update(from: input, count: rows * inputWidth)
        unit.forward(z, bias: nil, out: out, rows: rows * positions, training: mode == .training, rng: &rng)
        return out
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        if let alphaGradient = unit.alphaGradient { alphaGradient.update(repeating: 0, count: channels) }
        unit.backward(gradOutput, rows: rows * positions)
        return needInputGradient ? gradOutput : nil
    }
}
