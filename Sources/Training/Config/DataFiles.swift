/// The files of a user's data set (`dataset: csv | tsv | npy | npz | idx`) and how to read them.
///
/// Paths are as written (relative ones from the working directory of the process that
/// loads them). Without `validation_file`/`test_file`, the validation and test splits are
/// carved out of the training file: seeded by `data.seed` and, for classification,
/// stratified (each class keeps its share in every split).
public struct DataFiles: Sendable, Hashable {
    /// The training samples: a table (csv, tsv), an archive (npz) or a features file (npy, idx).
    public var train: String
    /// npy, idx: the labels of `train`.
    public var trainLabels: String?
    /// An explicit validation set (same format as `train`).
    public var validation: String?
    /// npy, idx: the labels of `validation`.
    public var validationLabels: String?
    /// An explicit test set (same format as `train`).
    public var test: String?
    /// npy, idx: the labels of `test`.
    public var testLabels: String?
    /// Without `test`: the test split carved out of the training file (default 20%).
    public var testSize: SplitSize?
    /// csv, tsv: the name of the label column.
    public var label: String?
    /// csv, tsv: the feature columns used, in this order (default: every other column).
    public var columns: [String]?
    /// csv, tsv: columns left out (e.g. an id).
    public var ignore: [String]?
    /// csv, tsv: what a missing or non-numeric value does (default `error`).
    public var missing: MissingValues?
    /// csv, tsv: the field separator, one character (default `,` for csv, a tab for tsv),
    /// e.g. `;` for the CSV files of locales that write decimal commas.
    public var separator: String?
    /// csv, tsv: the decimal mark of numbers, `.` (default) or `,` (then the separator must be
    /// another character, e.g. `;`): `14,23` reads as 14.23.
    public var decimal: String?
    /// csv, tsv: whether the first row names the columns (default true). Without a header
    /// the columns are named by their position from 0, as pandas' `header=None` does:
    /// `label: 4`, `ignore: [0]`.
    public var header: Bool?
    /// Class names in class order (see docs/training.md for how labels map to them).
    public var classNames: [String]?
    /// Shape of one sample, e.g. [28, 28, 1] for conv layers; its product must be the feature count.
    public var shape: [Int]?
    /// npz: the array names (default `x` and `y`).
    public var featuresArray: String?
    public var labelsArray: String?
    /// idx: swap the two image axes of each sample (EMNIST stores images transposed).
    public var transpose: Bool?
    /// Stratify carved splits by class (default true).
    public var stratify: Bool?
    /// The files' fingerprint as the coordinator saw them: a worker whose files give another
    /// one refuses to train (set by `sweep run`/`coordinator`, rarely by hand).
    public var fingerprint: DataFingerprint?

    /// Files with defaults for everything but the training file.
    public init(train: String, trainLabels: String? = nil, label: String? = nil) {
        self.train = train
        self.trainLabels = trainLabels
        self.label = label
    }

    /// The test split carved from the training file when no test file is given.
    public var resolvedTestSize: SplitSize { testSize ?? .fraction(0.2) }
    /// The missing-value policy.
    public var resolvedMissing: MissingValues { missing ?? .error }
    /// Whether the first row names the columns.
    public var resolvedHeader: Bool { header ?? true }
    /// The field separator of a table of `dataset` at `path`: the configured one, else a
    /// tab for tsv (or, when predicting, a `.tsv` file), else a comma.
    public func resolvedSeparator(_ dataset: DatasetName, path: String? = nil) -> UInt8 {
        if let separator, let byte = separator.utf8.first { return byte }
        if let path, path.hasSuffix(".tsv") || path.hasSuffix(".tsv.gz") { return 9 }
        if let path, path.hasSuffix(".csv") { return UInt8(ascii: ",") }
        return dataset == .tsv ? 9 : UInt8(ascii: ",")
    }
    /// The decimal mark of numbers in a table.
    public var resolvedDecimal: UInt8 { decimal == "," ? UInt8(ascii: ",") : UInt8(ascii: ".") }
    /// npz array names.
    public var resolvedFeaturesArray: String { featuresArray ?? "x" }
    public var resolvedLabelsArray: String { labelsArray ?? "y" }

    /// Every file named, in a fixed order (for fingerprints and checks).
    public var allPaths: [String] {
        [train, trainLabels, validation, validationLabels, test, testLabels].compactMap { $0 }
    }

    typealias Keys = DataConfig.CodingKeys

    /// The keys a file data set accepts besides the common ones.
    static func keys(for dataset: DatasetName) -> [Keys] {
        let common: [Keys] = [.trainFile, .validationFile, .testFile, .test, .classes, .seed, .stratify, .shape, .fingerprint]
        switch dataset {
        case .csv, .tsv: return common + [.label, .columns, .ignore, .missing, .separator, .decimal, .header]
        case .npy: return common + [.trainLabels, .validationLabels, .testLabels]
        case .npz: return common + [.featuresArray, .labelsArray]
        case .idx: return common + [.trainLabels, .validationLabels, .testLabels, .transpose]
        default: return []
        }
    }

    init(from c: KeyedDecodingContainer<Keys>, dataset: DatasetName) throws {
        func path(_ key: Keys) throws -> String? {
            guard let p = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard !p.isEmpty else { throw c.invalid(key, "must not be empty") }
            return p
        }
        guard let train = try path(.trainFile) else {
            throw c.invalid(.dataset, "dataset '\(dataset.rawValue)' needs train_file (the training samples)")
        }
        self.train = train
        trainLabels = try path(.trainLabels)
        validation = try path(.validationFile)
        validationLabels = try path(.validationLabels)
        test = try path(.testFile)
        testLabels = try path(.testLabels)
        if dataset.hasLabelFiles {
            if trainLabels == nil { throw c.invalid(.trainFile, "dataset '\(dataset.rawValue)' needs train_labels beside train_file") }
            if validation != nil && validationLabels == nil { throw c.invalid(.validationFile, "needs validation_labels beside it") }
            if test != nil && testLabels == nil { throw c.invalid(.testFile, "needs test_labels beside it") }
            if validation == nil && validationLabels != nil { throw c.invalid(.validationLabels, "needs validation_file beside it") }
            if test == nil && testLabels != nil { throw c.invalid(.testLabels, "needs test_file beside it") }
        }
        let (count, fraction) = try DataConfig.splitSize(c, .test)
        if test != nil, count != nil || fraction != nil { throw c.invalid(.test, "give either a test size or a test_file, not both") }
        testSize = count.map(SplitSize.count) ?? fraction.map(SplitSize.fraction)
        label = try Self.columnName(c, .label)
        if dataset == .csv || dataset == .tsv, label == nil {
            throw c.invalid(.dataset, "dataset '\(dataset.rawValue)' needs label (the name of the label column)")
        }
        columns = try Self.columnNames(c, .columns)
        ignore = try Self.columnNames(c, .ignore)
        if columns != nil && ignore != nil { throw c.invalid(.ignore, "give either columns (the ones used) or ignore (the ones left out), not both") }
        if let columns, columns.isEmpty { throw c.invalid(.columns, "must name at least one feature column") }
        if let columns, let twice = columns.enumerated().first(where: { columns.firstIndex(of: $0.element) != $0.offset }) {
            throw c.invalid(.columns, "names the column '\(twice.element)' twice")
        }
        if let label, columns?.contains(label) == true { throw c.invalid(.columns, "the label column '\(label)' cannot be a feature") }
        missing = try c.choice(MissingValues.self, .missing)
        if let text = try c.decodeIfPresent(String.self, forKey: .separator) {
            guard text.count == 1, text.utf8.count == 1, !["\"", "\n", "\r"].contains(text) else {
                throw c.invalid(.separator, "must be one character such as ',' ';' '|' or a tab (\"\\t\"), got '\(text)'")
            }
            separator = text
        }
        if let text = try c.decodeIfPresent(String.self, forKey: .decimal) {
            guard text == "." || text == "," else { throw c.invalid(.decimal, "must be \".\" or \",\", got '\(text)'") }
            if text == ",", resolvedSeparator(dataset) == UInt8(ascii: ",") {
                throw c.invalid(.decimal, "a decimal comma needs another field separator: set data.separator, e.g. \";\"")
            }
            decimal = text
        }
        header = try c.decodeIfPresent(Bool.self, forKey: .header)
        classNames = try Self.decodeClassNames(c)
        shape = try c.decodeIfPresent([Int].self, forKey: .shape)
        if let shape, shape.isEmpty || shape.contains(where: { $0 < 1 }) {
            throw c.invalid(.shape, "must be a list of sizes >= 1, e.g. [28, 28, 1], got \(shape)")
        }
        featuresArray = try c.decodeIfPresent(String.self, forKey: .featuresArray)
        labelsArray = try c.decodeIfPresent(String.self, forKey: .labelsArray)
        transpose = try c.decodeIfPresent(Bool.self, forKey: .transpose)
        stratify = try c.decodeIfPresent(Bool.self, forKey: .stratify)
        if let text = try c.decodeIfPresent(String.self, forKey: .fingerprint) {
            guard let parsed = DataFingerprint(text) else { throw c.invalid(.fingerprint, "must be sha256:HEX/BYTES (64 hex digits), got '\(text)'") }
            fingerprint = parsed
        }
    }

    /// A column named by its header text, or by its position (an integer) in a file without
    /// a header; both are kept as text (`4` is the column named "4").
    private static func columnName(_ c: KeyedDecodingContainer<Keys>, _ key: Keys) throws -> String? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        if let n = try? c.decode(Int.self, forKey: key) { return String(n) }
        return try c.decode(String.self, forKey: key)
    }

    /// A list of columns, by name or position (see `columnName`).
    private static func columnNames(_ c: KeyedDecodingContainer<Keys>, _ key: Keys) throws -> [String]? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        if let numbers = try? c.decode([Int].self, forKey: key) { return numbers.map(String.init) }
        if let names = try? c.decode([String].self, forKey: key) { return names }
        throw c.invalid(key, "takes a list of column names (or positions from 0 in a file without a header), e.g. [a, b]")
    }

    /// `classes: [name, ...]`: at least two distinct names (integers are taken as names).
    private static func decodeClassNames(_ c: KeyedDecodingContainer<Keys>) throws -> [String]? {
        guard c.contains(.classes), try !c.decodeNil(forKey: .classes) else { return nil }
        let names: [String]
        if let strings = try? c.decode([String].self, forKey: .classes) {
            names = strings
        } else if let ints = try? c.decode([Int].self, forKey: .classes) {
            names = ints.map(String.init)
        } else {
            throw c.invalid(.classes, "takes a list of class names in class order, e.g. [setosa, versicolor, virginica]")
        }
        guard names.count >= 2 else { throw c.invalid(.classes, "needs at least two classes, got \(names)") }
        guard Set(names).count == names.count else { throw c.invalid(.classes, "class names must be distinct, got \(names)") }
        return names
    }

    func encode(into c: inout KeyedEncodingContainer<Keys>) throws {
        try c.encode(train, forKey: .trainFile)
        try c.encodeUnlessNil(trainLabels, forKey: .trainLabels)
        try c.encodeUnlessNil(validation, forKey: .validationFile)
        try c.encodeUnlessNil(validationLabels, forKey: .validationLabels)
        try c.encodeUnlessNil(test, forKey: .testFile)
        try c.encodeUnlessNil(testLabels, forKey: .testLabels)
        switch testSize {
        case .count(let n)?: try c.encode(n, forKey: .test)
        case .fraction(let f)?: try c.encode(f, forKey: .test)
        case nil: break
        }
        try c.encodeUnlessNil(label, forKey: .label)
        try c.encodeUnlessNil(columns, forKey: .columns)
        try c.encodeUnlessNil(ignore, forKey: .ignore)
        try c.encodeUnlessNil(missing, forKey: .missing)
        try c.encodeUnlessNil(separator, forKey: .separator)
        try c.encodeUnlessNil(decimal, forKey: .decimal)
        try c.encodeUnlessNil(header, forKey: .header)
        try c.encodeUnlessNil(classNames, forKey: .classes)
        try c.encodeUnlessNil(shape, forKey: .shape)
        try c.encodeUnlessNil(featuresArray, forKey: .featuresArray)
        try c.encodeUnlessNil(labelsArray, forKey: .labelsArray)
        try c.encodeUnlessNil(transpose, forKey: .transpose)
        try c.encodeUnlessNil(stratify, forKey: .stratify)
        try c.encodeUnlessNil(fingerprint?.description, forKey: .fingerprint)
    }
}
