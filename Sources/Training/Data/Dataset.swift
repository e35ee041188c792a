/// One of the three splits of a data set.
public enum Split: String, Sendable, CaseIterable, Codable {
    case train, validation, test
}

/// Samples of one split: row-major features (one sample per row) and class labels, or
/// regression targets.
public struct DataSplit: Sendable {
    /// `count * width` values, scaled as configured.
    public let features: [Float]
    /// Class index of each sample (all 0 for regression).
    public let labels: [Int32]
    /// Regression: each sample's target in network units (standardized as the data set's
    /// `targetScale` says); empty for classification.
    public let targets: [Float]
    /// Values per sample.
    public let width: Int

    /// A split; `features.count` must be `labels.count * width`.
    public init(features: [Float], labels: [Int32], width: Int) {
        precondition(features.count == labels.count * width, "features and labels disagree")
        self.features = features
        self.labels = labels
        self.targets = []
        self.width = width
    }

    /// A regression split; `features.count` must be `targets.count * width`.
    public init(features: [Float], targets: [Float], width: Int) {
        precondition(features.count == targets.count * width, "features and targets disagree")
        self.features = features
        self.labels = [Int32](repeating: 0, count: targets.count)
        self.targets = targets
        self.width = width
    }

    /// Number of samples.
    public var count: Int { labels.count }

    /// A CRC-32 of the split's size and of up to 65,536 evenly spaced feature values, labels
    /// and targets: cheap where the whole is not (Fashion-MNIST's is 188 MB), and it
    /// changes when a column or the rows change (a checkpoint continued training on a file
    /// whose feature column had changed, at the same size).
    public var digest: UInt32 {
        func sampled<T>(_ values: [T], _ n: Int = 65_536) -> [T] {
            values.count <= n ? values : (0..<n).map { values[$0 * values.count / n] }
        }
        func bytes<T>(_ values: [T]) -> ArraySlice<UInt8> { values.withUnsafeBytes { ArraySlice($0) } }
        var crc = CRC32.checksum(bytes([UInt64(count), UInt64(width)]))
        crc = CRC32.checksum(bytes(sampled(features)), continuing: crc)
        crc = CRC32.checksum(bytes(sampled(labels)), continuing: crc)
        return CRC32.checksum(bytes(sampled(targets)), continuing: crc)
    }
}

/// A loaded, split and scaled data set.
///
/// Immutable, hence `Sendable`: a worker can load it once and share it between trials that
/// use the same `DataConfig` (training never modifies it).
public final class Dataset: Sendable {
    /// The configuration it was loaded from.
    public let config: DataConfig
    /// Shape of one sample as stored in the source (e.g. [28, 28]); features are flattened.
    public let sampleShape: [Int]
    /// Names of the classes in label order.
    public let classNames: [String]
    /// The training split.
    public let train: DataSplit
    /// The validation split (may be empty).
    public let validation: DataSplit
    /// The test split.
    public let test: DataSplit
    /// How the raw features were scaled (identity for `none`).
    public let scaling: InputScaling
    /// Regression: how the targets were scaled (nil for classification).
    public let targetScale: TargetScale?
    /// csv/tsv: the feature columns in feature order, as the training file named them (a
    /// model file keeps them, so prediction picks its columns by name); nil for arrays.
    public let featureColumns: [String]?
    /// csv/tsv with `missing: mean | zero`: the raw value that replaced a missing feature,
    /// per feature (the training split's column means, or zeros); a model file keeps it, so
    /// prediction fills missing values as training did. nil when missing values are refused.
    public let missingFill: [Float]?
    /// csv/tsv with integer labels named by `data.classes`: each class's label value in the
    /// file, in class order (a model file keeps them); nil when the names are the labels.
    public let classLabels: [String]?
    /// idx with `transpose: true`: the sample shape as the files store it, whose first two
    /// axes the loader swapped (a model file keeps it, so prediction on such files swaps
    /// them too); nil otherwise.
    public let transposedFrom: [Int]?

    /// A data set from its parts.
    public init(
        config: DataConfig, sampleShape: [Int], classNames: [String], train: DataSplit, validation: DataSplit, test: DataSplit,
        scaling: InputScaling = .identity, targetScale: TargetScale? = nil, featureColumns: [String]? = nil, missingFill: [Float]? = nil,
        classLabels: [String]? = nil, transposedFrom: [Int]? = nil
    ) {
        self.classLabels = classLabels
        self.transposedFrom = transposedFrom
        precondition((targetScale != nil) == (config.resolvedTask == .regression), "a regression set has a target scale")
        self.config = config
        self.featureColumns = featureColumns
        self.missingFill = missingFill
        self.targetScale = targetScale
        self.scaling = scaling
        self.sampleShape = sampleShape
        self.classNames = classNames
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Values per sample.
    public var featureCount: Int { sampleShape.reduce(1, *) }
    /// Number of classes (0 for regression).
    public var classCount: Int { classNames.count }
    /// Classification or regression.
    public var task: PredictionTask { config.resolvedTask }

    /// This data set with its validation samples appended to the training split (and none
    /// left for validation); the test split, the scaling (fitted on the training split) and
    /// the rest as they are: the data `sweep retrain` trains a chosen trial on. Rebuilding
    /// it from the configuration with a larger `train_limit` and no validation took other
    /// samples than the trial had (the first ones of the file) and changed the test split of
    /// a synthetic set.
    public func validationJoinedToTraining() -> Dataset {
        func split(_ features: [Float], _ labels: [Int32], _ targets: [Float]) -> DataSplit {
            task == .regression ? DataSplit(features: features, targets: targets, width: train.width)
                                : DataSplit(features: features, labels: labels, width: train.width)
        }
        return Dataset(
            config: config, sampleShape: sampleShape, classNames: classNames,
            train: split(train.features + validation.features, train.labels + validation.labels, train.targets + validation.targets),
            validation: split([], [], []), test: test, scaling: scaling, targetScale: targetScale, featureColumns: featureColumns,
            missingFill: missingFill, classLabels: classLabels, transposedFrom: transposedFrom)
    }

    /// One of the three splits.
    public func split(_ split: Split) -> DataSplit {
        switch split {
        case .train: train
        case .validation: validation
        case .test: test
        }
    }
}
