/// Reading samples to predict (`sweep predict`) in the formats data sets come in.
public enum SampleFiles {
    /// The samples of a `.npy` file: raw values as Float, the number of samples, and the
    /// shape of one sample.
    public static func readNPY(_ path: String) throws(DataError) -> (values: [Float], count: Int, sampleShape: [Int]) {
        try samples(of: try NumPyFile.read(path, field: "input"))
    }

    /// The array `name` of a `.npz` archive, as ``readNPY(_:)`` reads a `.npy` file.
    public static func readNPZ(_ path: String, array name: String) throws(DataError) -> (values: [Float], count: Int, sampleShape: [Int]) {
        try samples(of: try NumPyArchive.array(name, in: path, field: "input"))
    }

    /// An array's values as Float, its samples along the first axis.
    private static func samples(of array: NumericArray) throws(DataError) -> (values: [Float], count: Int, sampleShape: [Int]) {
        (try array.gather(Array(0..<array.count)), array.count, array.shape.count > 1 ? Array(array.shape.dropFirst()) : [1])
    }

    /// Whether `bytes` start like a zip archive (a `.npz` file).
    public static func isZip(_ head: [UInt8]) -> Bool { head.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// Whether `bytes` start like a `.npy` file.
    public static func isNPY(_ head: [UInt8]) -> Bool { head.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) }

    /// A CSV/TSV table with a header, read with the columns of the file data set `data`
    /// (its label column, `columns` or `ignore`): raw features, the number of rows, and each
    /// row's class among `classNames` when the label column is present (nil entries: a label
    /// that is not one of them). With `fillsMissing` (a model that has fill values) a missing
    /// or non-numeric feature is NaN, else an error at its line and column.
    /// `classLabels`: each class's label value when integer labels were named by
    /// `data.classes` (a table labelled as the training file was is scored by them).
    public static func readTable(_ path: String, like data: DataConfig, classNames: [String], classLabels: [String]? = nil, fillsMissing: Bool = false) throws(DataError)
        -> (values: [Float], count: Int, labels: [Int?]?)
    {
        guard let files = data.files, let label = files.label else {
            throw DataError.mismatch("the model was not trained on a table with a header (its data set is \(data.dataset.rawValue))")
        }
        let table = try DelimitedTable.read(
            path, field: "input", separator: files.resolvedSeparator(data.dataset, path: path), decimal: files.resolvedDecimal, header: files.resolvedHeader,
            label: label, columns: files.columns, ignore: files.ignore, missing: fillsMissing ? .mean : .error, labelOptional: true)
        let labels = table.labels.allSatisfy(\.isEmpty) ? nil : table.labels.map { text -> Int? in
            if let values = classLabels, let v = ClassTable.integer(text) { return values.firstIndex(of: String(v)) }
            return classNames.firstIndex(of: text) ?? ClassTable.integer(text).flatMap { v in classNames.firstIndex(of: String(v)) }
        }
        return (table.features, table.count, labels)
    }
}
