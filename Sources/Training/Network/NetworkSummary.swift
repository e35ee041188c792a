/// Layers with output shapes and parameter counts, like Keras' `model.summary()`.
public struct NetworkSummary: Sendable, Codable, Hashable, CustomStringConvertible {
    /// One row of the summary.
    public struct Entry: Sendable, Codable, Hashable {
        /// Keras-style layer name ("dense_1").
        public var name: String
        /// Keras-like layer type ("Dense", "BatchNormalization", "Dropout", ...).
        public var kind: String
        /// Output shape without the batch dimension.
        public var outputShape: [Int]
        /// Trainable parameters.
        public var trainable: Int
        /// Non-trainable parameters (batch-norm moving statistics).
        public var nonTrainable: Int
        /// All parameters of the layer.
        public var parameters: Int { trainable + nonTrainable }
    }

    /// The layers in order (Flatten first for dense nets on image inputs).
    public var layers: [Entry]
    /// Sum of trainable parameters.
    public var trainableParameters: Int { layers.reduce(0) { $0 + $1.trainable } }
    /// Sum of non-trainable parameters.
    public var nonTrainableParameters: Int { layers.reduce(0) { $0 + $1.nonTrainable } }
    /// All parameters.
    public var totalParameters: Int { trainableParameters + nonTrainableParameters }
    /// Values per sample of the widest layer output.
    public var widestLayer: Int { layers.map { $0.outputShape.reduce(1, *) }.max() ?? 1 }

    /// A Keras-like table.
    public var description: String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("Layer (type)", 40) + pad("Output shape", 22) + "Param #"]
        for entry in layers {
            let shape = "(None, " + entry.outputShape.map(String.init).joined(separator: ", ") + ")"
            lines.append(pad("\(entry.name) (\(entry.kind))", 40) + pad(shape, 22) + String(entry.parameters))
        }
        lines.append("Total params: \(totalParameters)")
        lines.append("Trainable params: \(trainableParameters)")
        lines.append("Non-trainable params: \(nonTrainableParameters)")
        return lines.joined(separator: "\n")
    }
}
