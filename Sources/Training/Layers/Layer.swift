import Randomness

/// How a forward pass treats layers that behave differently while training.
enum ForwardMode: Sendable {
    /// Dropout active, batch norm on batch statistics (and updating its moving ones), RReLU random.
    case training
    /// Everything deterministic; batch norm on its moving statistics.
    case inference
    /// MC dropout: dropout active, everything else as in inference.
    case monteCarloDropout

    var dropoutActive: Bool { self != .inference }
}

/// One layer of a network, working on row-major batches (one flattened, channels-last sample per row).
///
/// Layers own their output and input-gradient buffers (sized once by `allocate`), and
/// keep pointers into the shared `ParameterStore`. `forward` returns a pointer to the
/// layer's output, valid until the next forward call; `backward` may overwrite the
/// gradient it is given and returns the gradient with respect to its input.
protocol Layer: AnyObject {
    var inputWidth: Int { get }
    var outputWidth: Int { get }
    /// Output shape without the batch dimension (channels-last); `[outputWidth]` for flat layers.
    var outputShape: [Int] { get }
    /// Keras-like type name for summaries ("Dense", "BatchNormalization", ...).
    var kind: String { get }
    var trainableCount: Int { get }
    var nonTrainableCount: Int { get }

    /// Reserve parameter ranges.
    func reserve(in layout: inout ParameterLayout)
    /// Take pointers into the allocated store.
    func bind(_ store: ParameterStore)
    /// Set the initial parameter values.
    func initialize(using rng: inout SeededGenerator)
    /// Allocate buffers for batches of up to `rows` samples.
    func allocate(capacity rows: Int)

    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float>
    /// Accumulates parameter gradients (overwriting them for this step) and returns the input
    /// gradient, or nil when `needInputGradient` is false.
    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>?
}

extension Layer {
    var outputShape: [Int] { [outputWidth] }
    var trainableCount: Int { 0 }
    var nonTrainableCount: Int { 0 }
    func reserve(in layout: inout ParameterLayout) {}
    func bind(_ store: ParameterStore) {}
    func initialize(using rng: inout SeededGenerator) {}
}
