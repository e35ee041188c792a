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
        default: return try loadSynthetic(config)
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
        let trainPool = trainImages.count - validationCount
        let trainCount = min(trainPool, config.trainLimit ?? trainPool)
        let validationKept = min(validationCount, config.validationLimit ?? validationCount)
        let testCount = min(testImages.count, config.testLimit ?? testImages.count)

        // Convert only the rows that are kept.
        var train = try split(trainImages, trainLabels, range: 0..<trainCount, labelPath: fashionMNISTFile(dir, "train-labels-idx1"))
        var validation = try split(trainImages, trainLabels, range: trainPool..<(trainPool + validationKept), labelPath: fashionMNISTFile(dir, "train-labels-idx1"))
        var test = try split(testImages, testLabels, range: 0..<testCount, labelPath: fashionMNISTFile(dir, "t10k-labels-idx1"))
        let width = 28 * 28
        let affine: FeatureScaling.Affine?
        switch config.resolvedScaling {
        case .none: affine = nil
        case .unit: affine = FeatureScaling.Affine(scale: .init(repeating: 1 / 255, count: width), shift: .init(repeating: 0, count: width))
        case .standardize: affine = FeatureScaling.standardization(of: train.features, width: width)
        }
        if let affine {
            affine.apply(&train.features, width: width)
            affine.apply(&validation.features, width: width)
            affine.apply(&test.features, width: width)
        }
        return Dataset(
            config: config, sampleShape: [28, 28], classNames: fashionMNISTClassNames,
            train: DataSplit(features: train.features, labels: train.labels, width: width),
            validation: DataSplit(features: validation.features, labels: validation.labels, width: width),
            test: DataSplit(features: test.features, labels: test.labels, width: width))
    }

    private static func split(
        _ images: IDXFile, _ labels: IDXFile, range: Range<Int>, labelPath: String
    ) throws -> (features: [Float], labels: [Int32]) {
        let width = images.itemSize
        var features = [Float](repeating: 0, count: range.count * width)
        var result = [Int32](repeating: 0, count: range.count)
        images.bytes.withUnsafeBufferPointer { src in
            features.withUnsafeMutableBufferPointer { dst in
                let base = images.payloadOffset + range.lowerBound * width
                for i in 0..<(range.count * width) { dst[i] = Float(src[base + i]) }
            }
        }
        for (i, index) in range.enumerated() {
            let label = labels.bytes[labels.payloadOffset + index]
            guard label < 10 else { throw DataError.corrupt(path: labelPath, reason: "label \(label) at index \(index) is not a class 0-9") }
            result[i] = Int32(label)
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
            noise: config.resolvedNoise, classes: config.classCount, using: &rng)
        let w = all.width
        func slice(_ range: Range<Int>) -> (features: [Float], labels: [Int32]) {
            (Array(all.features[(range.lowerBound * w)..<(range.upperBound * w)]), Array(all.labels[range]))
        }
        // Limits keep the first samples of each split; scaling statistics come from the kept training samples.
        let validationStart = trainCount, testStart = trainCount + validationCount
        var train = slice(0..<min(trainCount, config.trainLimit ?? trainCount))
        var validation = slice(validationStart..<(validationStart + min(validationCount, config.validationLimit ?? validationCount)))
        var test = slice(testStart..<(testStart + min(testCount, config.testLimit ?? testCount)))
        let affine: FeatureScaling.Affine?
        switch config.resolvedScaling {
        case .none: affine = nil
        case .unit: affine = FeatureScaling.unitRange(of: train.features, width: w)
        case .standardize: affine = FeatureScaling.standardization(of: train.features, width: w)
        }
        if let affine {
            affine.apply(&train.features, width: w)
            affine.apply(&validation.features, width: w)
            affine.apply(&test.features, width: w)
        }
        let names = (0..<config.classCount).map { "class \($0)" }
        return Dataset(
            config: config, sampleShape: [w], classNames: names,
            train: DataSplit(features: train.features, labels: train.labels, width: w),
            validation: DataSplit(features: validation.features, labels: validation.labels, width: w),
            test: DataSplit(features: test.features, labels: test.labels, width: w))
    }
}
