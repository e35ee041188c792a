import Randomness

/// A dense network built from a `ModelConfig`: hidden blocks, the output layer and the loss.
///
/// Hidden block i: Dense (activation fused unless batch norm comes before it), optional
/// batch norm (after the activation, or between Dense and a separate activation), optional
/// dropout. Optional batch norm and dropout on the input. The output Dense layer is linear
/// (glorot_uniform); its activation (softmax/sigmoid) is fused into the loss.
final class Network {
    let layers: [any Layer]
    let head: LossHead
    let store: ParameterStore
    let gemm: Gemm
    /// Largest batch the buffers hold.
    let capacity: Int
    let inputWidth: Int
    let sampleShape: [Int]
    /// Index of the first layer with trainable parameters: backward stops there and skips
    /// that layer's input gradient.
    let firstTrainable: Int
    let lossGradient: FloatBuffer
    /// Indices into `store.blocks` of each layer's parameter blocks (consecutive).
    let layerBlocks: [Range<Int>]
    private let maxNormScratch: FloatBuffer
    private let names: [String]

    init(model: ModelConfig, sampleShape: [Int], classes: Int, capacity: Int, rng: inout SeededGenerator) {
        let inputWidth = sampleShape.reduce(1, *)
        self.inputWidth = inputWidth
        self.sampleShape = sampleShape
        self.capacity = capacity
        let gemm = Gemm()
        self.gemm = gemm
        head = LossHead(kind: model.loss, classes: classes)

        var layers: [any Layer] = []
        var names: [String] = []
        var counters: [String: Int] = [:]
        func add(_ layer: any Layer, _ base: String) {
            let n = counters[base, default: 0]
            counters[base] = n + 1
            names.append(n == 0 ? base : "\(base)_\(n)")
            layers.append(layer)
        }
        func batchNorm(_ width: Int) -> BatchNormLayer {
            BatchNormLayer(label: "bn\(layers.count)", width: width, momentum: model.batchNormMomentum, epsilon: model.batchNormEpsilon)
        }
        var width = inputWidth
        if model.inputBatchNorm { add(batchNorm(width), "batch_normalization") }
        if model.inputDropout > 0 {
            add(DropoutLayer(width: width, rate: model.inputDropout, kind: model.dropoutKind), model.dropoutKind == .alpha ? "alpha_dropout" : "dropout")
        }
        for units in model.hidden {
            let fused = model.batchNorm != .before
            add(DenseLayer(
                label: "dense\(layers.count)", inputs: width, units: units, activation: fused ? model.activation : nil,
                initializer: model.initializer, useBias: model.resolvedUseBias, constrained: true, gemm: gemm), "dense")
            width = units
            switch model.batchNorm {
            case .none: break
            case .after: add(batchNorm(width), "batch_normalization")
            case .before:
                add(batchNorm(width), "batch_normalization")
                add(ActivationLayer(label: "act\(layers.count)", activation: model.activation, width: width), "activation")
            }
            if model.dropout > 0 {
                add(DropoutLayer(width: width, rate: model.dropout, kind: model.dropoutKind), model.dropoutKind == .alpha ? "alpha_dropout" : "dropout")
            }
        }
        add(DenseLayer(
            label: "output", inputs: width, units: head.outputs, activation: nil, initializer: .glorotUniform,
            useBias: true, constrained: false, gemm: gemm), "dense")
        self.layers = layers
        self.names = names

        var layout = ParameterLayout()
        var layerBlocks: [Range<Int>] = []
        for layer in layers {
            let first = layout.trainable.count
            layer.reserve(in: &layout)
            layerBlocks.append(first..<layout.trainable.count)
        }
        self.layerBlocks = layerBlocks
        store = ParameterStore(layout)
        for layer in layers {
            layer.bind(store)
            layer.initialize(using: &rng)
            layer.allocate(capacity: capacity)
        }
        firstTrainable = layers.firstIndex { $0.trainableCount > 0 } ?? 0
        lossGradient = FloatBuffer(count: capacity * head.outputs)
        maxNormScratch = FloatBuffer(count: layers.map(\.outputWidth).max() ?? 1)
    }

    var outputWidth: Int { head.outputs }

    /// Raw outputs (logits/scores) for `rows` samples; valid until the next forward pass.
    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        precondition(rows <= capacity, "batch of \(rows) exceeds the network's capacity \(capacity)")
        var x = input
        var out: UnsafeMutablePointer<Float>!
        for layer in layers {
            out = layer.forward(x, rows: rows, mode: mode, rng: &rng)
            x = UnsafePointer(out)
        }
        return out
    }

    /// Back-propagates `lossGradient` (rows x outputs), filling the store's gradients.
    ///
    /// `layerDone` is called with a layer's parameter blocks as soon as its backward pass is
    /// complete: its gradients are final and its parameters are no longer read in this step,
    /// so they can be updated right away, while the gradients are still in cache.
    /// (Non-escaping, so a training step allocates nothing for it.)
    func backward(rows: Int, layerDone: (Range<Int>) -> Void = { _ in }) {
        var grad = lossGradient.pointer
        for index in stride(from: layers.count - 1, through: firstTrainable, by: -1) {
            let needInput = index > firstTrainable
            let next = layers[index].backward(grad, rows: rows, needInputGradient: needInput)
            if needInput { grad = next! }
            if !layerBlocks[index].isEmpty { layerDone(layerBlocks[index]) }
        }
    }

    func applyMaxNorm(_ radius: Double, blocks: Range<Int>? = nil) {
        Regularization.applyMaxNorm(radius, to: store, scratch: maxNormScratch, blocks: blocks)
    }

    var summary: NetworkSummary {
        var entries: [NetworkSummary.Entry] = []
        if sampleShape.count > 1 {
            entries.append(.init(name: "flatten", kind: "Flatten", outputShape: [inputWidth], trainable: 0, nonTrainable: 0))
        }
        for (layer, name) in zip(layers, names) {
            entries.append(.init(
                name: name, kind: layer.kind, outputShape: [layer.outputWidth],
                trainable: layer.trainableCount, nonTrainable: layer.nonTrainableCount))
        }
        return NetworkSummary(layers: entries)
    }
}
