import Randomness

/// Loads, splits and scales the data set a `DataConfig` describes.
public enum DatasetLoader {
    /// The ten Fashion-MNIST classes in label order.
    public static let fashionMNISTClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// The data set with its train/validation/test splits. Throws `DataError` when files are
    /// missing or corrupt or the split does not fit.
    public static func load(_ config: DataConfig) throws -> Dataset {
        switch config.dataset {
        case .fashionMNIST: return try loadFashionMNIST(config)
        case .csv, .tsv, .npy, .npz, .idx:
            let dataset = try FileDatasetLoader.load(config)
            LoadedDataShapes.record(dataset)
            return dataset
        case .moons, .xor, .blobs, .spirals, .invertBits: return try loadSynthetic(config)
        }
    }

    // MARK: Fashion-MNIST

    /// The path of one of the four IDX files (`train`/`t10k`, `images-idx3`/`labels-idx1`).
    public static func fashionMNISTFile(_ directory: String, _ name: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + name + "-ubyte.gz"
    }

    private static func loadFashionMNIST(_ config: DataConfig) throws -> Dataset {
        let dir = config.resolvedPath
        let trainImages = try IDXFile.read(fashionMNISTFile(dir, "train-images-idx3"), rank: 3)
        let trainLabels = try IDXFile.read(fashionMNISTFile(dir, "train-labels-idx1"), rank: 1)
        let testImages = try IDXFile.read(fashionMNISTFile(dir, "t10k-images-idx3"), rank: 3)
        let testLabels = try IDXFile.read(fashionMNISTFile(dir, "t10k-labels-idx1"), rank: 1)
        for (images, labels, name) in [(trainImages, trainLabels, "train"), (testImages, testLabels, "t10k")] {
            guard images.count == labels.count else {
                throw DataError.corrupt(
                    path: fashionMNISTFile(dir, "\(name)-labels-idx1"),
                    reason: "\(labels.count) labels for \(images.count) images")
            }
            guard images.dimensions.dropFirst() == [28, 28] else {
                throw DataError.corrupt(path: fashionMNISTFile(dir, "\(name)-images-idx3"), reason: "images are not 28x28")
            }
        }
        let validationCount = config.resolvedValidation
        guard validationCount < trainImages.count else {
            throw DataError.invalidSplit("validation (\(validationCount)) must be smaller than the \(trainImages.count) training images")
        }
        // Géron's notebook validates on the first 5,000 images (`first`, the default).
        let first = config.resolvedValidationFrom == .first
        let validationRange = first ? 0..<validationCount : (trainImages.count - validationCount)..<trainImages.count
        let trainRange = first ? validationCount..<trainImages.count : 0..<(trainImages.count - validationCount)
        let trainPath = fashionMNISTFile(dir, "train-labels-idx1"), testPath = fashionMNISTFile(dir, "t10k-labels-idx1")
        // Rows of each split: the class subset first, then the limit.
        let subset = config.classSubset
        let trainRows = try rows(trainLabels, trainRange, classes: subset, limit: config.trainLimit, path: trainPath)
        let validationRows = try rows(trainLabels, validationRange, classes: subset, limit: config.validationLimit, path: trainPath)
        let testRows = try rows(testLabels, 0..<testImages.count, classes: subset, limit: config.testLimit, path: testPath)
        if trainRows.isEmpty { throw DataError.invalidSplit("no training images left after the class subset and limits") }

        // Convert only the rows that are kept.
        var train = split(trainImages, trainLabels, rows: trainRows, classes: subset)
        var validation = split(trainImages, trainLabels, rows: validationRows, classes: subset)
        var test = split(testImages, testLabels, rows: testRows, classes: subset)
        let width = 28 * 28
        let scaling = FeatureScaling.scale(
            config.resolvedScaling, bytes: true, width: width,
            train: &train.features, validation: &validation.features, test: &test.features)
        let names = subset.map { $0.map { fashionMNISTClassNames[$0] } } ?? fashionMNISTClassNames
        return Dataset(
            config: config, sampleShape: [28, 28], classNames: names,
            train: DataSplit(features: train.features, labels: train.labels, width: width),
            validation: DataSplit(features: validation.features, labels: validation.labels, width: width),
            test: DataSplit(features: test.features, labels: test.labels, width: width),
            scaling: scaling)
    }

    /// Indices of the samples in `range` whose label is in `classes` (all when nil), at most `limit`.
    private static func rows(_ labels: IDXFile, _ range: Range<Int>, classes: [Int]?, limit: Int?, path: String) throws -> [Int] {
        var result: [Int] = []
        let cap = limit ?? Int.max
        for index in range {
            guard result.count < cap else { break }
            let label = labels.bytes[labels.payloadOffset + index]
            guard label < 10 else { throw DataError.corrupt(path: path, reason: "label \(label) at index \(index) is not a class 0-9") }
            if let classes, !classes.contains(Int(label)) { continue }
            result.append(index)
        }
        return result
    }

    /// Features (raw pixel values as Float) and labels (relabelled to positions in `classes`) of `rows`.
    private static func split(_ images: IDXFile, _ labels: IDXFile, rows: [Int], classes: [Int]?) -> (features: [Float], labels: [Int32]) {
        let width = images.itemSize
        var features = [Float](repeating: 0, count: rows.count * width)
        var result = [Int32](repeating: 0, count: rows.count)
        images.bytes.withUnsafeBufferPointer { src in
            features.withUnsafeMutableBufferPointer { dst in
                for (i, index) in rows.enumerated() {
                    let base = images.payloadOffset + index * width
                    for j in 0..<width { dst[i * width + j] = Float(src[base + j]) }
                }
            }
        }
        for (i, index) in rows.enumerated() {
            let label = Int(labels.bytes[labels.payloadOffset + index])
            result[i] = Int32(classes?.firstIndex(of: label) ?? label)
        }
        return (features, result)
    }

    // MARK: Synthetic sets

    private static func loadSynthetic(_ config: DataConfig) throws -> Dataset {
        let trainCount = config.resolvedSamples
        let validationCount = config.resolvedValidation
        let testCount = max(validationCount, 1)
        var rng = SeededGenerator(seed: config.resolvedSeed, stream: 0xDA7A)
        let all = SyntheticData.generate(
            config.dataset, count: trainCount + validationCount + testCount,
            noise: config.resolvedNoise, classes: config.classCount!, using: &rng)
        let w = all.width
        func slice(_ range: Range<Int>) -> (features: [Float], labels: [Int32]) {
            (Array(all.features[(range.lowerBound * w)..<(range.upperBound * w)]), Array(all.labels[range]))
        }
        // Limits keep the first samples of each split; scaling statistics come from the kept training samples.
        let validationStart = trainCount, testStart = trainCount + validationCount
        var train = slice(0..<min(trainCount, config.trainLimit ?? trainCount))
        var validation = slice(validationStart..<(validationStart + min(validationCount, config.validationLimit ?? validationCount)))
        var test = slice(testStart..<(testStart + min(testCount, config.testLimit ?? testCount)))
        let scaling = FeatureScaling.scale(
            config.resolvedScaling, bytes: false, width: w,
            train: &train.features, validation: &validation.features, test: &test.features)
        let names = (0..<config.classCount!).map { "class \($0)" }
        return Dataset(
            config: config, sampleShape: [w], classNames: names,
            train: DataSplit(features: train.features, labels: train.labels, width: w),
            validation: DataSplit(features: validation.features, labels: validation.labels, width: w),
            test: DataSplit(features: test.features, labels: test.labels, width: w),
            scaling: scaling)
    }
}
