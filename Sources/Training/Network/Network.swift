import Randomness

/// A network built from a `ModelConfig` (see `ArchitecturePlan` for the layer order): dense,
/// convolutional, pooling, batch-norm, activation, dropout and flatten layers, the output
/// layer and the loss.
///
/// The output Dense layer is linear (glorot_uniform); its activation (softmax/sigmoid) is
/// fused into the loss. Samples are flattened channels-last rows throughout.
final class Network {
    let layers: [any Layer]
    let head: LossHead
    let store: ParameterStore
    let gemm: Gemm
    /// Largest batch the buffers hold.
    let capacity: Int
    let inputWidth: Int
    /// The data set's sample shape.
    let sampleShape: [Int]
    /// The shape the first layer sees (images are height x width x 1 for conv models).
    let inputShape: [Int]
    /// Index of the first layer with trainable parameters: backward stops there and skips
    /// that layer's input gradient.
    let firstTrainable: Int
    let lossGradient: FloatBuffer
    /// Indices into `store.blocks` of each layer's parameter blocks (consecutive).
    let layerBlocks: [Range<Int>]
    /// Indices into `store.stateBlocks` of each layer's non-trainable blocks.
    let layerStateBlocks: [Range<Int>]
    /// Keras-style names ("conv2d_1").
    let names: [String]
    /// Layers `0..<frozenPrefix` are frozen (transfer learning): backward stops above them,
    /// they are not updated, and their batch norm runs in inference mode while training.
    var frozenPrefix = 0
    private let maxNormScratch: FloatBuffer

    /// - Parameters:
    ///   - classes: the classes of a classification task (ignored for regression).
    ///   - task: regression gives one linear output.
    ///   - convTileSamples: samples per im2col tile of the conv layers (tests use small tiles).
    init(
        model: ModelConfig, sampleShape: [Int], classes: Int, task: PredictionTask = .classification, capacity: Int,
        rng: inout SeededGenerator, convTileSamples: Int? = nil
    ) {
        self.sampleShape = sampleShape
        inputShape = ArchitecturePlan.networkInputShape(model: model, sampleShape: sampleShape)
        let inputWidth = sampleShape.reduce(1, *)
        self.inputWidth = inputWidth
        self.capacity = capacity
        let gemm = Gemm()
        self.gemm = gemm
        head = LossHead(model: model, classes: classes, task: task)
        let plan: [PlannedLayer]
        do {
            plan = try ArchitecturePlan.plan(model: model, sampleShape: sampleShape, outputs: head.outputs)
        } catch {
            preconditionFailure("invalid architecture (validate the configuration first): \(error)")
        }

        var layers: [any Layer] = []
        var names: [String] = []
        var counters: [String: Int] = [:]
        for (index, planned) in plan.enumerated() {
            let layer: any Layer, base: String
            let output = planned.outputShape, last = planned.inputShape.last ?? 1
            let isOutput = index == plan.count - 1
            switch planned.kind {
            case .flatten:
                layer = FlattenLayer(inputShape: planned.inputShape)
                base = "flatten"
            case .dense(let units, let activation, let initializer, let useBias, let constrained):
                layer = DenseLayer(
                    label: isOutput ? "output" : "dense\(index)", inputs: last, units: units, activation: activation,
                    initializer: initializer, useBias: useBias, constrained: constrained, gemm: gemm,
                    leadingShape: Array(planned.inputShape.dropLast()))
                base = "dense"
            case .conv(let geometry, let filters, let activation, let initializer, let useBias, let constrained):
                layer = Conv2DLayer(
                    label: "conv\(index)", geometry: geometry, filters: filters, activation: activation, initializer: initializer,
                    useBias: useBias, constrained: constrained, gemm: gemm, capacity: capacity, tileSamples: convTileSamples)
                base = "conv2d"
            case .pool(let geometry, let operation):
                layer = PoolingLayer(geometry: geometry, operation: operation)
                base = operation == .max ? "max_pooling2d" : "average_pooling2d"
            case .batchNorm:
                layer = BatchNormLayer(label: "bn\(index)", width: last, momentum: model.batchNormMomentum, epsilon: model.batchNormEpsilon, shape: output)
                base = "batch_normalization"
            case .activation(let activation):
                layer = ActivationLayer(label: "act\(index)", activation: activation, width: last, shape: output)
                base = "activation"
            case .dropout(let rate, let kind):
                layer = DropoutLayer(width: output.reduce(1, *), rate: rate, kind: kind, shape: output)
                base = kind == .alpha ? "alpha_dropout" : "dropout"
            }
            let n = counters[base, default: 0]
            counters[base] = n + 1
            names.append(n == 0 ? base : "\(base)_\(n)")
            layers.append(layer)
        }
        self.layers = layers
        self.names = names

        var layout = ParameterLayout()
        var layerBlocks: [Range<Int>] = [], layerStateBlocks: [Range<Int>] = []
        for layer in layers {
            let first = layout.trainable.count, firstState = layout.state.count
            layer.reserve(in: &layout)
            layerBlocks.append(first..<layout.trainable.count)
            layerStateBlocks.append(firstState..<layout.state.count)
        }
        self.layerBlocks = layerBlocks
        self.layerStateBlocks = layerStateBlocks
        store = ParameterStore(layout)
        for layer in layers {
            layer.bind(store)
            layer.initialize(using: &rng)
            layer.allocate(capacity: capacity)
        }
        firstTrainable = layers.firstIndex { $0.trainableCount > 0 } ?? 0
        lossGradient = FloatBuffer(count: capacity * head.outputs)
        let widest = store.blocks.map { block -> Int in
            if case .kernel(_, let cols) = block.role { return cols }
            return 1
        }.max() ?? 1
        maxNormScratch = FloatBuffer(count: widest)
    }

    /// The layers of `model` on `sampleShape` with shapes and parameter counts, without
    /// building the network; throws where a window does not fit.
    static func summary(
        model: ModelConfig, sampleShape: [Int], classes: Int, task: PredictionTask = .classification
    ) throws(ArchitectureError) -> NetworkSummary {
        let head = LossHead(model: model, classes: classes, task: task)
        let plan = try ArchitecturePlan.plan(model: model, sampleShape: sampleShape, outputs: head.outputs)
        var counters: [String: Int] = [:]
        var entries: [NetworkSummary.Entry] = []
        for planned in plan {
            let (kind, base, trainable, nonTrainable) = planned.summaryRow
            let n = counters[base, default: 0]
            counters[base] = n + 1
            entries.append(.init(name: n == 0 ? base : "\(base)_\(n)", kind: kind, outputShape: planned.outputShape,
                                 trainable: trainable, nonTrainable: nonTrainable))
        }
        return NetworkSummary(layers: entries)
    }

    /// Floats of the largest window matrix a convolution unrolls for one sample (im2col:
    /// output positions x kernel area x channels; 0 without one). A convolution's buffer holds
    /// at least one sample's: a 4,096-wide kernel on 28x28 images wanted 52 GB and crashed the
    /// worker that allocated it. In `Double`: the product can pass `Int.max`.
    static func unrolledWindowFloats(
        model: ModelConfig, sampleShape: [Int], classes: Int, task: PredictionTask = .classification
    ) throws(ArchitectureError) -> Double {
        let head = LossHead(model: model, classes: classes, task: task)
        let plan = try ArchitecturePlan.plan(model: model, sampleShape: sampleShape, outputs: head.outputs)
        return plan.reduce(0) { largest, planned in
            // (Winograd's 3x3 layers need no window matrix; theirs is far smaller.)
            guard case .conv(let g, _, _, _, _, _) = planned.kind, !Winograd3x3.covers(g) else { return largest }
            return max(largest, Double(g.positions) * Double(g.kernelHeight) * Double(g.kernelWidth) * Double(g.channels))
        }
    }

    var outputWidth: Int { head.outputs }

    /// Raw outputs (logits/scores) for `rows` samples; valid until the next forward pass.
    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        precondition(rows <= capacity, "batch of \(rows) exceeds the network's capacity \(capacity)")
        var x = input
        var out: UnsafeMutablePointer<Float>!
        for (index, layer) in layers.enumerated() {
            let layerMode = index < frozenPrefix && mode == .training && layer is BatchNormLayer ? ForwardMode.inference : mode
            out = layer.forward(x, rows: rows, mode: layerMode, rng: &rng)
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
        backward(rows: rows, streaming: false, kernelRowsDone: { _ in }, layerDone: layerDone)
    }

    /// `backward(rows:layerDone:)` where Dense layers whose kernel gradient pays to be summed
    /// in chunks (``KernelGradientStreaming``) hand each chunk to `kernelRowsDone` as its
    /// range of the parameter vector, as soon as it is summed; `layerDone` then gets their
    /// other blocks only.
    func backward(rows: Int, streamingKernelsTo kernelRowsDone: (Range<Int>) -> Void, layerDone: (Range<Int>) -> Void) {
        backward(rows: rows, streaming: true, kernelRowsDone: kernelRowsDone, layerDone: layerDone)
    }

    private func backward(rows: Int, streaming: Bool, kernelRowsDone: (Range<Int>) -> Void, layerDone: (Range<Int>) -> Void) {
        var grad = lossGradient.pointer
        let stop = lowestUpdated
        for index in stride(from: layers.count - 1, through: stop, by: -1) {
            let needInput = index > stop
            var blocks = layerBlocks[index]
            let next: UnsafeMutablePointer<Float>?
            if streaming, let dense = layers[index] as? DenseLayer, let chunkRows = dense.kernelGradientChunkRows(samples: rows) {
                precondition(dense.kernelBlock == blocks.lowerBound, "a Dense layer's kernel is its first block")
                let offset = store.blocks[dense.kernelBlock].offset, units = dense.units
                next = dense.backward(grad, rows: rows, needInputGradient: needInput, chunkRows: chunkRows) { kernelRows in
                    kernelRowsDone((offset + kernelRows.lowerBound * units)..<(offset + kernelRows.upperBound * units))
                }
                blocks = blocks.dropFirst()
            } else {
                next = layers[index].backward(grad, rows: rows, needInputGradient: needInput)
            }
            if needInput { grad = next! }
            if !blocks.isEmpty { layerDone(blocks) }
        }
    }

    /// The lowest layer that backward reaches: the first trainable layer above the frozen prefix.
    var lowestUpdated: Int {
        guard frozenPrefix > 0 else { return firstTrainable }
        return layers.indices.first { $0 >= frozenPrefix && layers[$0].trainableCount > 0 } ?? layers.count - 1
    }

    /// The parameter blocks that training updates (all but those of frozen layers).
    var updatedBlocks: Range<Int> { layerBlocks[lowestUpdated].lowerBound..<store.blocks.count }

    func applyMaxNorm(_ radius: Double, blocks: Range<Int>? = nil) {
        Regularization.applyMaxNorm(radius, to: store, scratch: maxNormScratch, blocks: blocks)
    }

    var summary: NetworkSummary {
        var entries: [NetworkSummary.Entry] = []
        for (layer, name) in zip(layers, names) {
            entries.append(.init(
                name: name, kind: layer.kind, outputShape: layer.outputShape,
                trainable: layer.trainableCount, nonTrainable: layer.nonTrainableCount))
        }
        return NetworkSummary(layers: entries)
    }
}
