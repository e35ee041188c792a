#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a file data set (`csv`, `tsv`, `npy`, `npz`, `idx`): reads the files, maps labels
/// to classes, splits, fills missing values and scales with training-split statistics.
enum FileDatasetLoader {
    static func load(_ config: DataConfig) throws(DataError) -> Dataset {
        let files = config.files!
        // Another machine's data: refuse before training on it (missing files are reported below).
        if let expected = files.fingerprint, files.allPaths.allSatisfy({ access($0, F_OK) == 0 }) {
            let actual = try DataFingerprint.of(files)
            guard actual == expected else {
                throw DataError.fingerprintMismatch(expected: expected.description, actual: actual.description, paths: files.allPaths)
            }
        }
        let train = try RawSamples.read(config, features: files.train, labels: files.trainLabels, field: "train_file")
        let validation = try files.validation.map { path throws(DataError) in
            try RawSamples.read(config, features: path, labels: files.validationLabels, field: "validation_file")
        }
        let test = try files.test.map { path throws(DataError) in
            try RawSamples.read(config, features: path, labels: files.testLabels, field: "test_file")
        }
        for other in [validation, test].compactMap({ $0 }) {
            // Named columns first: which ones differ says what to fix (the shapes did not).
            if let a = train.columnNames, let b = other.columnNames, a != b {
                let missing = a.filter { !b.contains($0) }, extra = b.filter { !a.contains($0) }
                let list = DelimitedTable.listed
                // (data.ignore names columns of every file: it cannot leave out one only this file has.)
                let columns = "data.columns: [\(list(a, 20))]"
                let why = !missing.isEmpty
                    ? "lacks the feature column(s) \(list(missing, 20)) of \(files.train)" + (extra.isEmpty ? "" : ", and has \(list(extra, 20)) that it has not")
                    : !extra.isEmpty
                    ? "has the feature column(s) \(list(extra, 20)) that \(files.train) has not" + (a.count <= 20 ? "; \(columns) reads those columns, in that order, from every file" : "")
                    : "has the feature columns of \(files.train) in another order: [\(list(b, 20))] against [\(list(a, 20))]; write them in the same order" + (a.count <= 20 ? ", or set \(columns) (it reads those columns in that order from every file)" : "")
                throw DataError.malformed(path: other.path, line: 1, column: 1, reason: why)
            }
            guard other.sampleShape == train.sampleShape else {
                throw DataError.mismatch("samples of \(other.path) have shape \(other.sampleShape), those of \(files.train) \(train.sampleShape)")
            }
        }
        let regression = config.resolvedTask == .regression
        let table = regression ? ClassTable.regression : try ClassTable([train, validation, test].compactMap { $0 }, names: files.classNames)
        let trainClasses = table.classes(of: train)
        if !regression, files.classNames == nil {
            try requireTrainedClasses([validation, test].compactMap { $0 }, table: table, trained: trainClasses, trainPath: files.train)
        }

        // Rows of each split: explicit files, or carved out of the training file.
        let n = train.count
        let testCount = test == nil ? files.resolvedTestSize.samples(of: n) : 0
        let validationCount = validation == nil ? config.resolvedValidationSize.samples(of: n) : 0
        // (Compared without a sum that overflows: `validation: 9223372036854775807` crashed.)
        guard testCount < n, validationCount < n - testCount else {
            throw DataError.invalidSplit(
                "validation (\(validationCount)) and test (\(testCount)) samples leave nothing to train on out of the \(n) samples of \(files.train)")
        }
        let rows = SplitPlanner.split(
            labels: trainClasses, classCount: max(1, table.names.count), validation: validationCount, test: testCount,
            seed: config.resolvedSeed, stratify: !regression && files.stratify ?? true)
        func limited(_ r: [Int], _ limit: Int?) -> [Int] { limit.map { Array(r.prefix($0)) } ?? r }
        func part(_ s: RawSamples, _ classes: [Int32], _ r: [Int]) throws(DataError) -> (features: [Float], labels: [Int32], targets: [Float]) {
            (try s.features.gather(r), r.map { classes[$0] }, regression ? RegressionTargets.values(s.labels, rows: r) : [])
        }
        var trainPart = try part(train, trainClasses, limited(rows.train, config.trainLimit))
        func split(_ file: RawSamples?, carved: [Int], limit: Int?) throws(DataError) -> (features: [Float], labels: [Int32], targets: [Float]) {
            guard let file else { return try part(train, trainClasses, limited(carved, limit)) }
            return try part(file, table.classes(of: file), limited(Array(0..<file.count), limit))
        }
        var validationPart = try split(validation, carved: rows.validation, limit: config.validationLimit)
        var testPart = try split(test, carved: rows.test, limit: config.testLimit)
        if trainPart.labels.isEmpty { throw DataError.invalidSplit("the training split is empty") }

        let width = train.features.width
        // (A table without a feature column is refused as such; arrays of shape (N, 0) trained on nothing.)
        guard width > 0 else { throw DataError.mismatch("the samples of \(files.train) have no features (shape \(train.sampleShape))") }
        var shape = train.sampleShape
        let transposedFrom = files.transpose == true ? shape : nil
        if files.transpose == true {
            guard shape.count >= 2 else { throw DataError.mismatch("transpose needs image samples (height, width), \(files.train) has shape \(shape)") }
            transposeImages(&trainPart.features, shape: shape)
            transposeImages(&validationPart.features, shape: shape)
            transposeImages(&testPart.features, shape: shape)
            shape.swapAt(0, 1)
        }
        if let given = files.shape {
            guard let held = ElementCount.product(given), held == width else {
                throw DataError.mismatch("shape \(given) holds \(ElementCount.product(given).map(String.init) ?? "more than 2^63") values, the samples have \(width)")
            }
            shape = given
        }

        // Missing values (NaN, csv/tsv with `missing: mean | zero`) from the training split.
        var missingFill: [Float]?
        if files.resolvedMissing != .error {
            let fill = files.resolvedMissing == .zero ? [Float](repeating: 0, count: width) : columnMeans(trainPart.features, width: width)
            missingFill = fill
            fillMissing(&trainPart.features, fill)
            fillMissing(&validationPart.features, fill)
            fillMissing(&testPart.features, fill)
        }

        let scaling = FeatureScaling.scale(
            config.resolvedScaling, bytes: train.isBytes, width: width,
            train: &trainPart.features, validation: &validationPart.features, test: &testPart.features)
        if regression {
            return RegressionTargets.dataset(
                config: config, sampleShape: shape, scaling: scaling, width: width,
                train: trainPart, validation: validationPart, test: testPart, featureColumns: train.columnNames, missingFill: missingFill,
                transposedFrom: transposedFrom)
        }
        return Dataset(
            config: config, sampleShape: shape, classNames: table.names,
            train: DataSplit(features: trainPart.features, labels: trainPart.labels, width: width),
            validation: DataSplit(features: validationPart.features, labels: validationPart.labels, width: width),
            test: DataSplit(features: testPart.features, labels: testPart.labels, width: width),
            scaling: scaling, featureColumns: train.columnNames, missingFill: missingFill, classLabels: table.labelValues,
            transposedFrom: transposedFrom)
    }

    /// Refuses a label that only the validation or test file has: the model could never
    /// predict it (an output would be added for a class with no training sample), and it is
    /// usually a typo. Declaring the classes (`data.classes`) allows it.
    static func requireTrainedClasses(_ others: [RawSamples], table: ClassTable, trained: [Int32], trainPath: String) throws(DataError) {
        var seen = [Bool](repeating: false, count: table.names.count)
        for c in trained { seen[Int(c)] = true }
        for other in others {
            if let i = table.classes(of: other).firstIndex(where: { !seen[Int($0)] }) {
                // Many classes of numbers: a regression target read as classes.
                let numeric = table.names.count > 20 && table.names.allSatisfy { Double($0) != nil }
                let hint = numeric ? "(the labels are \(table.names.count) distinct numbers: a numeric target? set data.task: regression)"
                    : "(a typo? to allow it, list every class in data.classes)"
                throw DataError.mismatch(
                    "label '\(other.labels.texts[i])' at \(other.labelLocation(i)) does not occur in the training file \(trainPath), "
                        + "so the model could not learn it \(hint)")
            }
        }
    }

    /// Swaps the first two axes of every sample ([H, W, rest...] -> [W, H, rest...]).
    static func transposeImages(_ features: inout [Float], shape: [Int]) {
        let h = shape[0], w = shape[1], inner = shape.dropFirst(2).reduce(1, *), size = h * w * inner
        guard size > 0 else { return }
        var sample = [Float](repeating: 0, count: size)
        for start in stride(from: 0, to: features.count, by: size) {
            for y in 0..<h {
                for x in 0..<w {
                    for c in 0..<inner { sample[(x * h + y) * inner + c] = features[start + (y * w + x) * inner + c] }
                }
            }
            features.replaceSubrange(start..<(start + size), with: sample)
        }
    }

    /// Per-column mean of the values that are not NaN (0 for a column with none).
    static func columnMeans(_ features: [Float], width: Int) -> [Float] {
        var sum = [Double](repeating: 0, count: width), count = [Int](repeating: 0, count: width)
        for (i, v) in features.enumerated() where !v.isNaN {
            sum[i % width] += Double(v)
            count[i % width] += 1
        }
        return (0..<width).map { count[$0] > 0 ? Float(sum[$0] / Double(count[$0])) : 0 }
    }

    static func fillMissing(_ features: inout [Float], _ fill: [Float]) {
        let width = fill.count
        for i in features.indices where features[i].isNaN { features[i] = fill[i % width] }
    }
}
