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
    public static func isZip(_ head: [UInt8]) -> Bool { DataFileKind(head: head) == .npz }

    /// Whether `bytes` start like a `.npy` file.
    public static func isNPY(_ head: [UInt8]) -> Bool { DataFileKind(head: head) == .npy }

    /// Whether the file at `path` is an IDX file, gzipped or not (a gzipped CSV is a table).
    public static func isIDX(path: String) -> Bool { DataFileKind(head: GzipReader.head(path, count: 8)) == .idx }

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
            classIndex(ofLabel: text, classNames: classNames, classLabels: classLabels)
        }
        return (table.features, table.count, labels)
    }

    /// Whether a first line's fields are `0,1,2,...` (three or more): the header pandas
    /// writes for columns without names (`DataFrame(x).to_csv(index=False)`), not a sample.
    public static func isPandasNumberedHeader(_ fields: some Collection<String>) -> Bool {
        fields.count >= 3 && fields.enumerated().allSatisfy { $0.element.trimmingCharacters(in: .whitespaces) == String($0.offset) }
    }

    /// Whether `text` is a whole number as labels are written (`3`, `3.0`, `3e0`).
    public static func isIntegerLabel(_ text: String) -> Bool { ClassTable.integer(text) != nil }

    /// The class of a label as the training data wrote it, nil when it is none of the
    /// model's classes: a value a class named by `data.classes` had (`classLabels`; text
    /// that is no whole number is then one of the names), a class
    /// name (`setosa`, or `3` for integer labels 1..k, whose names are their values; also
    /// written `3.0`), or with `indexFallback` a class index (IDX and built-in sets, whose
    /// labels are indices and whose classes have names that are no numbers; `classSubset`
    /// maps a subset's labels to its classes).
    public static func classIndex(ofLabel text: String, classNames: [String], classLabels: [String]?,
                                  classSubset: [Int]? = nil, indexFallback: Bool = false) -> Int? {
        let integer = ClassTable.integer(text)
        // Integer labels named by `data.classes`: a whole number is a label value as the
        // training file wrote it, other text one of the names (`--labels` with the names).
        if let values = classLabels { return integer.map { values.firstIndex(of: String($0)) } ?? classNames.firstIndex(of: text) }
        if let i = classNames.firstIndex(of: text) { return i }
        guard let v = integer else { return nil }
        if let i = classNames.firstIndex(of: String(v)) { return i }
        // Classes named by their label values (1..10 of a .npy) are matched by value only: 0
        // was taken as the index of class "1".
        guard indexFallback, !classNames.contains(where: { ClassTable.integer($0) != nil }) else { return nil }
        if let subset = classSubset { return subset.firstIndex(of: Int(v)) }
        return v >= 0 && v < classNames.count ? Int(v) : nil
    }
}
