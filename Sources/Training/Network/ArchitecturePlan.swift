/// A shape problem of a model on a given input, located at a field below `model`
/// (e.g. `layers[2].conv2d.kernel_size`).
struct ArchitectureError: Error, Sendable, CustomStringConvertible {
    /// Coding-path components below `model`: strings for keys, integers for list indices.
    var path: [PathComponent]
    var message: String

    enum PathComponent: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    /// `layers[2].conv2d.kernel_size`.
    var pathText: String {
        var text = ""
        for component in path {
            switch component {
            case .key(let k): text += text.isEmpty ? k : ".\(k)"
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }

    var description: String { path.isEmpty ? message : "\(pathText): \(message)" }
}

/// One layer of a planned network: what it is and its shapes, before anything is allocated.
struct PlannedLayer: Sendable {
    enum Kind: Sendable {
        case flatten
        case dense(units: Int, activation: Activation?, initializer: Initializer, useBias: Bool, constrained: Bool)
        case conv(WindowGeometry, filters: Int, activation: Activation?, initializer: Initializer, useBias: Bool, constrained: Bool)
        case pool(WindowGeometry, PoolingLayer.Operation)
        case batchNorm
        case activation(Activation)
        case dropout(Double, DropoutKind)
    }

    var kind: Kind
    var inputShape: [Int]
    var outputShape: [Int]
}

/// Turns a `ModelConfig` into the sequence of layers with their shapes for an input shape,
/// checking that every window fits: the single place where architecture rules live.
///
/// Order: [Flatten for a dense net on image input] [input batch norm] [input dropout], then
/// either the explicit `layers` (plus Flatten if they end above rank 1), or the `conv`
/// blocks and Flatten followed by the `hidden` blocks; finally the output Dense layer.
enum ArchitecturePlan {
    /// The shape the network sees: images stay height x width x 1 for convolutional models
    /// and explicit layer lists.
    static func networkInputShape(model: ModelConfig, sampleShape: [Int]) -> [Int] {
        if sampleShape.count == 2 && (model.layers != nil || model.conv != nil) { return sampleShape + [1] }
        return sampleShape
    }

    static func plan(model: ModelConfig, sampleShape: [Int], outputs: Int) throws(ArchitectureError) -> [PlannedLayer] {
        var shape = networkInputShape(model: model, sampleShape: sampleShape)
        var layers: [PlannedLayer] = []
        func add(_ kind: PlannedLayer.Kind, _ output: [Int]) {
            layers.append(PlannedLayer(kind: kind, inputShape: shape, outputShape: output))
            shape = output
        }
        func flatten() { add(.flatten, [shape.reduce(1, *)]) }
        func withLast(_ n: Int) -> [Int] { Array(shape.dropLast()) + [n] }

        if model.layers == nil && model.conv == nil && shape.count > 1 { flatten() }
        if model.inputBatchNorm { add(.batchNorm, shape) }
        if model.inputDropout > 0 { add(.dropout(model.inputDropout, model.dropoutKind), shape) }

        func convolution(_ filters: Int, _ kernel: WindowSize, _ strides: WindowSize, _ padding: Padding, activation: Activation?,
                         useBias: Bool, at path: [ArchitectureError.PathComponent]) throws(ArchitectureError) {
            guard shape.count == 3 else {
                throw ArchitectureError(path: path, message: "Conv2D needs image input (height, width, channels); its input has shape \(shapeText(shape))")
            }
            guard let g = WindowGeometry(input: shape, kernel: kernel, strides: strides, padding: padding) else {
                throw ArchitectureError(path: path + [.key("kernel_size")],
                                        message: "kernel \(kernel) is larger than its \(shape[0])x\(shape[1]) input (with 'valid' padding)")
            }
            add(.conv(g, filters: filters, activation: activation, initializer: model.initializer, useBias: useBias, constrained: true),
                [g.outputHeight, g.outputWidth, filters])
        }
        func pooling(_ spec: PoolSpec, _ operation: PoolingLayer.Operation, at path: [ArchitectureError.PathComponent]) throws(ArchitectureError) {
            guard shape.count == 3 else {
                throw ArchitectureError(path: path, message: "pooling needs image input (height, width, channels); its input has shape \(shapeText(shape))")
            }
            guard let g = WindowGeometry(input: shape, kernel: spec.poolSize, strides: spec.resolvedStrides, padding: spec.padding) else {
                throw ArchitectureError(path: path, message: "pool window \(spec.poolSize) shrinks the \(shape[0])x\(shape[1]) input to nothing")
            }
            add(.pool(g, operation), [g.outputHeight, g.outputWidth, shape[2]])
        }
        /// Conv (or Dense) with batch norm placed as configured, like a hidden block.
        func normalizedBlock(_ placement: BatchNormPlacement, activation: Activation, _ body: (Activation?) throws(ArchitectureError) -> Void) throws(ArchitectureError) {
            try body(placement == .before ? nil : activation)
            switch placement {
            case .none: break
            case .after: add(.batchNorm, shape)
            case .before:
                add(.batchNorm, shape)
                add(.activation(activation), shape)
            }
        }

        if let list = model.layers {
            for (index, spec) in list.enumerated() {
                let path: [ArchitectureError.PathComponent] = [.key("layers"), .index(index), .key(spec.key.stringValue)]
                switch spec {
                case .conv2d(let c):
                    try convolution(c.filters, c.kernelSize, c.strides, c.padding, activation: c.activation ?? model.activation,
                                    useBias: c.useBias ?? true, at: path)
                case .maxPool(let p): try pooling(p, .max, at: path)
                case .averagePool(let p): try pooling(p, .average, at: path)
                case .flatten: flatten()
                case .dense(let d):
                    add(.dense(units: d.units, activation: d.activation ?? model.activation, initializer: model.initializer,
                               useBias: d.useBias ?? true, constrained: true), withLast(d.units))
                case .batchNorm: add(.batchNorm, shape)
                case .dropout(let rate): if rate > 0 { add(.dropout(rate, model.dropoutKind), shape) }
                case .activation(let a): add(.activation(a), shape)
                }
            }
            if shape.count > 1 { flatten() }
        } else {
            if let conv = model.conv {
                for block in 0..<conv.blocks {
                    let path: [ArchitectureError.PathComponent] = [.key("conv")]
                    for _ in 0..<conv.convsPerBlock {
                        try normalizedBlock(conv.batchNorm, activation: model.activation) { (activation: Activation?) throws(ArchitectureError) in
                            try convolution(conv.filters(ofBlock: block), conv.kernelSize, conv.stride, conv.padding, activation: activation,
                                            useBias: conv.batchNorm != .before, at: path)
                        }
                    }
                    if conv.pooling != .none {
                        guard shape.count == 3, shape[0] >= conv.poolSize.height, shape[1] >= conv.poolSize.width else {
                            throw ArchitectureError(
                                path: [.key("conv"), .key("blocks")],
                                message: "\(conv.blocks) blocks are too many: the pooling of block \(block + 1) gets a \(shape.prefix(2).map(String.init).joined(separator: "x")) input, smaller than its \(conv.poolSize) window")
                        }
                        try pooling(PoolSpec(poolSize: conv.poolSize), conv.pooling == .max ? .max : .average, at: [.key("conv"), .key("pool_size")])
                    }
                    if conv.dropout > 0 { add(.dropout(conv.dropout, model.dropoutKind), shape) }
                }
                flatten()
            }
            for units in model.hidden {
                try normalizedBlock(model.batchNorm, activation: model.activation) { (activation: Activation?) throws(ArchitectureError) in
                    add(.dense(units: units, activation: activation, initializer: model.initializer, useBias: model.resolvedUseBias, constrained: true),
                        withLast(units))
                }
                if model.dropout > 0 { add(.dropout(model.dropout, model.dropoutKind), shape) }
            }
        }
        add(.dense(units: outputs, activation: nil, initializer: .glorotUniform, useBias: true, constrained: false), withLast(outputs))
        return layers
    }

    static func shapeText(_ shape: [Int]) -> String { "(" + shape.map(String.init).joined(separator: ", ") + ")" }
}

extension PlannedLayer {
    /// Keras type, Keras base name, trainable and non-trainable parameter counts.
    var summaryRow: (kind: String, base: String, trainable: Int, nonTrainable: Int) {
        let last = inputShape.last ?? 1
        func activationParameters(_ a: Activation?, _ units: Int) -> Int {
            if case .prelu = a { return units }
            return 0
        }
        switch kind {
        case .flatten: return ("Flatten", "flatten", 0, 0)
        case .dense(let units, let activation, _, let useBias, _):
            return ("Dense", "dense", last * units + (useBias ? units : 0) + activationParameters(activation, units), 0)
        case .conv(let g, let filters, let activation, _, let useBias, _):
            return ("Conv2D", "conv2d", g.patchSize * filters + (useBias ? filters : 0) + activationParameters(activation, filters), 0)
        case .pool(_, let operation):
            return operation == .max ? ("MaxPooling2D", "max_pooling2d", 0, 0) : ("AveragePooling2D", "average_pooling2d", 0, 0)
        case .batchNorm: return ("BatchNormalization", "batch_normalization", 2 * last, 2 * last)
        case .activation(let a): return ("Activation", "activation", activationParameters(a, last), 0)
        case .dropout(_, let kind): return kind == .alpha ? ("AlphaDropout", "alpha_dropout", 0, 0) : ("Dropout", "dropout", 0, 0)
        }
    }
}
