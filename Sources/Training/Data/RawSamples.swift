/// One file (or file pair) of a file data set as read, before splitting and scaling.
struct RawSamples {
    /// Features of every sample.
    var features: FeatureSource
    /// Each sample's label: a CSV cell, or an array's integer class or number (decoded once, no text).
    var labels: SampleLabels
    /// Shape of one sample as stored.
    var sampleShape: [Int]
    /// Whether the features are bytes (0-255 pixels: `unit` scaling divides by 255).
    var isBytes: Bool
    /// The features file (the table for csv/tsv).
    var path: String
    /// The label file (the table itself for csv/tsv).
    var labelPath: String
    /// csv/tsv: the line of each row; nil for arrays.
    var lines: [Int32]?
    /// csv/tsv: the feature column names.
    var columnNames: [String]?

    var count: Int { labels.count }

    /// Where sample `i`'s label is written, for messages.
    func labelLocation(_ i: Int) -> String {
        if let lines { return "\(labelPath):\(lines[i])" }
        return "\(labelPath): sample \(i)"
    }

    /// Reads the features (and labels) a file data set names for one split.
    static func read(_ config: DataConfig, features path: String, labels labelPath: String?, field: String) throws(DataError) -> RawSamples {
        let files = config.files!
        switch config.dataset {
        case .csv, .tsv:
            let table = try DelimitedTable.read(
                path, field: field, separator: files.resolvedSeparator(config.dataset), decimal: files.resolvedDecimal, header: files.resolvedHeader, label: files.label!,
                columns: files.columns, ignore: files.ignore, missing: files.resolvedMissing,
                numericLabel: config.resolvedTask == .regression, checksColumns: field == "train_file")
            return RawSamples(
                features: .floats(table.features, width: table.featureNames.count), labels: .text(table.labels),
                sampleShape: [table.featureNames.count], isBytes: false, path: path, labelPath: path, lines: table.lines,
                columnNames: table.featureNames)
        case .npy, .npz, .idx:
            let x: NumericArray, y: NumericArray
            let yPath: String
            switch config.dataset {
            case .npy:
                x = try NumPyFile.read(path, field: field)
                yPath = labelPath!
                y = try NumPyFile.read(yPath, field: field.replacingFileWithLabels)
            case .npz:
                x = try NumPyArchive.array(files.resolvedFeaturesArray, in: path, field: field)
                y = try NumPyArchive.array(files.resolvedLabelsArray, in: path, field: field)
                yPath = "\(path)[\(files.resolvedLabelsArray).npy]"
            default:
                x = try IDXArray.read(path, field: field)
                yPath = labelPath!
                y = try IDXArray.read(yPath, field: field.replacingFileWithLabels)
            }
            return try fromArrays(x, y, labelPath: yPath, integerLabels: config.resolvedTask == .classification)
        default:
            preconditionFailure("not a file data set")
        }
    }

    /// Features and labels from two arrays; labels must be one integer per sample (one
    /// finite number for regression: `integerLabels` false).
    static func fromArrays(_ x: NumericArray, _ y: NumericArray, labelPath: String, integerLabels: Bool = true) throws(DataError) -> RawSamples {
        guard x.count > 0 else { throw DataError.corrupt(path: x.path, reason: "no samples (the first dimension is 0)") }
        guard y.shape.count == 1 || (y.shape.count == 2 && y.shape[1] == 1) else {
            let oneHot = y.shape.count == 2 && y.shape[1] > 1 ? " (one-hot labels? store the class index instead: y.argmax(axis=1))" : ""
            throw DataError.unusable(path: labelPath, reason: "labels must be one value per sample (shape (n,) or (n, 1)), got shape \(y.shape)\(oneHot)")
        }
        guard y.count == x.count else {
            throw DataError.mismatch("\(labelPath) has \(y.count) labels for the \(x.count) samples of \(x.path)")
        }
        // Non-finite features are reported by the one pass that copies them out (`gather`).
        let labels: SampleLabels
        if integerLabels {
            labels = .integers(try y.integerLabels(path: labelPath))
        } else {
            labels = .numbers(try y.finiteTargets(path: labelPath))
        }
        return RawSamples(
            features: .array(x), labels: labels, sampleShape: Array(x.shape.dropFirst()).isEmpty ? [1] : Array(x.shape.dropFirst()),
            isBytes: x.type == .uint8, path: x.path, labelPath: labelPath, lines: nil, columnNames: nil)
    }
}

extension String {
    /// `train_file` -> `train_labels` (the field of a split's label file).
    var replacingFileWithLabels: String { hasSuffix("_file") ? String(dropLast(5)) + "_labels" : self }
}

/// The classes of a file data set: label text -> class index, and the names.
///
/// Integer labels: with a `classes` list whose indices cover them, a label is its index;
/// otherwise the distinct values in numeric order are the classes (named by the list when
/// it has as many names, else by the values). Text labels: the `classes` list's order
/// (every label must be in it), otherwise the distinct values sorted.
struct ClassTable {
    let names: [String]
    /// Integer labels (all of them are integers): value -> class.
    private let integerIndex: [Int64: Int32]
    /// Text labels: text -> class.
    private let textIndex: [String: Int32]

    /// Integer labels named by a `classes` list: each class's label value, in class order
    /// (a model keeps them, so prediction scores a table labelled as the training file was:
    /// `0, 1, 2` named `[setosa, versicolor, virginica]`); nil when the names are the labels.
    var labelValues: [String]? {
        guard !integerIndex.isEmpty, names != integerIndex.keys.sorted().map(String.init) else { return nil }
        var values = [String](repeating: "", count: names.count)
        for (value, c) in integerIndex { values[Int(c)] = String(value) }
        return values
    }

    /// A regression set's: no classes, every sample in class 0 (for the split planner).
    static let regression = ClassTable(names: [], integerIndex: [:], textIndex: [:])

    private init(names: [String], integerIndex: [Int64: Int32], textIndex: [String: Int32]) {
        self.names = names
        self.integerIndex = integerIndex
        self.textIndex = textIndex
    }

    init(_ sets: [RawSamples], names given: [String]?) throws(DataError) {
        // Integer labels (arrays, or text cells that all parse) are grouped as Int64, never as text.
        var integers = Set<Int64>()
        var allIntegers = true
        for s in sets where allIntegers {
            switch s.labels {
            case .integers(let v): integers.formUnion(v)
            case .numbers: allIntegers = false
            case .text(let v):
                for label in v {
                    guard let i = Self.integer(label) else { allIntegers = false; break }
                    integers.insert(i)
                }
            }
        }
        if allIntegers {
            let sorted = integers.sorted()
            if let given, let lo = sorted.first, let hi = sorted.last, lo >= 0, hi < given.count {
                names = given
                integerIndex = Dictionary(uniqueKeysWithValues: sorted.map { ($0, Int32($0)) })
            } else {
                if let given, given.count != sorted.count {
                    // Which sample holds a label past the names (one bad label among 0...9).
                    var outside = ""
                    search: for s in sets {
                        let values: [Int64?] = switch s.labels {
                        case .integers(let v): v.map { $0 }
                        case .text(let v): v.map(Self.integer)
                        case .numbers: []
                        }
                        if let i = values.firstIndex(where: { $0.map { $0 < 0 || $0 >= Int64(given.count) } ?? false }) {
                            outside = "; the first outside 0...\(given.count - 1): \(values[i]!) at \(s.labelLocation(i))"
                            break search
                        }
                    }
                    throw DataError.mismatch(
                        "classes lists \(given.count) names, but the labels are \(Self.preview(sorted.map(String.init))) (\(sorted.count) distinct values)\(outside)")
                }
                names = given ?? sorted.map(String.init)
                integerIndex = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($0.element, Int32($0.offset)) })
            }
            textIndex = [:]
        } else {
            let texts = sets.map(\.labels.texts)
            if let given {
                for (s, labels) in zip(sets, texts) {
                    if let i = labels.firstIndex(where: { !given.contains(Self.key($0)) }) {
                        throw DataError.mismatch("label '\(labels[i])' at \(s.labelLocation(i)) is not one of the classes [\(given.joined(separator: ", "))]")
                    }
                }
                names = given
            } else {
                var distinct = Set<String>()
                for labels in texts { distinct.formUnion(labels.map(Self.key)) }
                names = distinct.sorted()
            }
            textIndex = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, Int32($0.offset)) })
            integerIndex = [:]
        }
        guard names.count >= 2 else {
            throw DataError.mismatch("a classification set needs at least two classes; the labels have only \(Self.preview(names))")
        }
    }

    /// The class of each label of `s`.
    func classes(of s: RawSamples) -> [Int32] {
        if names.isEmpty { return [Int32](repeating: 0, count: s.count) }
        switch s.labels {
        case .integers(let v) where !integerIndex.isEmpty: return v.map { integerIndex[$0]! }
        case .text(let v) where !integerIndex.isEmpty: return v.map { integerIndex[Self.integer($0)!]! }
        default: return s.labels.texts.map { textIndex[Self.key($0)]! }
        }
    }

    /// Integer labels compare by value (`01`, `1` and `1.0` are one class).
    private static func key(_ label: String) -> String { integer(label).map(String.init) ?? label }

    /// The integer a label cell writes, as `7`, `07` or `7.0` (a CSV written from floats).
    static func integer(_ label: String) -> Int64? {
        if let i = Int64(label) { return i }
        guard let d = Double(label), d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int64(d)
    }

    private static func preview(_ values: [String]) -> String {
        values.count <= 10 ? values.joined(separator: ", ") : values.prefix(10).joined(separator: ", ") + ", ..."
    }
}

/// The labels of a raw file, decoded once at the reader.
enum SampleLabels {
    /// CSV/TSV cells as written.
    case text([String])
    /// An array's integer class labels.
    case integers([Int64])
    /// An array's regression targets.
    case numbers([Float])

    var count: Int {
        switch self {
        case .text(let v): v.count
        case .integers(let v): v.count
        case .numbers(let v): v.count
        }
    }

    /// The labels as text (only for messages and text classes; arrays never need it on the fast path).
    var texts: [String] {
        switch self {
        case .text(let v): v
        case .integers(let v): v.map(String.init)
        case .numbers(let v): v.map { String($0) }
        }
    }
}
