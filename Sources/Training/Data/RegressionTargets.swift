/// The targets of a regression file set: the label column's numbers (checked by the
/// readers), standardized with the training split's statistics.
enum RegressionTargets {
    /// The targets of rows `rows` (labels the reader checked to be numbers, so parsed as
    /// the reader parses them).
    static func values(_ labels: SampleLabels, rows: [Int]) -> [Float] {
        switch labels {
        case .numbers(let v): return rows.map { v[$0] }
        case .integers(let v): return rows.map { Float(v[$0]) }
        case .text(let v): return values(v, rows: rows)
        }
    }

    /// The targets of rows `rows` of a table's label cells.
    static func values(_ labels: [String], rows: [Int]) -> [Float] {
        rows.map { row in
            var text = labels[row]
            return text.withUTF8 { FastFloat.parse(UnsafeRawBufferPointer($0)) }.map { Float($0) } ?? .nan
        }
    }

    /// The data set of the split parts: targets standardized (or not) as `target_scaling` says.
    static func dataset(
        config: DataConfig, sampleShape: [Int], scaling: InputScaling, width: Int,
        train: (features: [Float], labels: [Int32], targets: [Float]),
        validation: (features: [Float], labels: [Int32], targets: [Float]),
        test: (features: [Float], labels: [Int32], targets: [Float]), featureColumns: [String]? = nil, missingFill: [Float]? = nil,
        transposedFrom: [Int]? = nil
    ) -> Dataset {
        let scale = TargetScale.fitted(train.targets, scaling: config.resolvedTargetScaling ?? .standardize)
        func split(_ part: (features: [Float], labels: [Int32], targets: [Float])) -> DataSplit {
            DataSplit(features: part.features, targets: scale.standardized(part.targets), width: width)
        }
        return Dataset(
            config: config, sampleShape: sampleShape, classNames: [], train: split(train), validation: split(validation),
            test: split(test), scaling: scaling, targetScale: scale, featureColumns: featureColumns, missingFill: missingFill,
            transposedFrom: transposedFrom)
    }
}
