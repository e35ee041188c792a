/// Layers with output shapes and parameter counts, like Keras' `model.summary()`.
public struct NetworkSummary: Sendable, Codable, Hashable, CustomStringConvertible {
    /// One row of the summary.
    public struct Entry: Sendable, Codable, Hashable {
        public var name: String
        /// Keras-like layer type ("Dense", "BatchNormalization", "Dropout", ...).
        public var kind: String
        /// Output shape without the batch dimension.
        public var outputShape: [Int]
        public var trainable: Int
        public var nonTrainable: Int
        public var parameters: Int { trainable + nonTrainable }
    }

    public var layers: [Entry]
    public var trainableParameters: Int { layers.reduce(0) { $0 + $1.trainable } }
    public var nonTrainableParameters: Int { layers.reduce(0) { $0 + $1.nonTrainable } }
    public var totalParameters: Int { trainableParameters + nonTrainableParameters }

    public var description: String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("Layer (type)", 40) + pad("Output shape", 16) + "Param #"]
        for entry in layers {
            let shape = "(None, " + entry.outputShape.map(String.init).joined(separator: ", ") + ")"
            lines.append(pad("\(entry.name) (\(entry.kind))", 40) + pad(shape, 16) + String(entry.parameters))
        }
        lines.append("Total params: \(totalParameters)")
        lines.append("Trainable params: \(trainableParameters)")
        lines.append("Non-trainable params: \(nonTrainableParameters)")
        return lines.joined(separator: "\n")
    }
}
