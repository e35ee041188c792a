/// One of the three splits of a data set.
public enum Split: String, Sendable, CaseIterable, Codable {
    case train, validation, test
}

/// Samples of one split: row-major features (one sample per row) and class labels.
public struct DataSplit: Sendable {
    /// `count * width` values, scaled as configured.
    public let features: [Float]
    public let labels: [Int32]
    /// Values per sample.
    public let width: Int

    public init(features: [Float], labels: [Int32], width: Int) {
        precondition(features.count == labels.count * width, "features and labels disagree")
        self.features = features
        self.labels = labels
        self.width = width
    }

    public var count: Int { labels.count }
}

/// A loaded, split and scaled data set.
///
/// Immutable, hence `Sendable`: a worker can load it once and share it between trials that
/// use the same `DataConfig` (training never modifies it).
public final class Dataset: Sendable {
    public let config: DataConfig
    /// Shape of one sample as stored in the source (e.g. [28, 28]); features are flattened.
    public let sampleShape: [Int]
    public let classNames: [String]
    public let train: DataSplit
    public let validation: DataSplit
    public let test: DataSplit

    public init(config: DataConfig, sampleShape: [Int], classNames: [String], train: DataSplit, validation: DataSplit, test: DataSplit) {
        self.config = config
        self.sampleShape = sampleShape
        self.classNames = classNames
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Values per sample.
    public var featureCount: Int { sampleShape.reduce(1, *) }
    public var classCount: Int { classNames.count }

    public func split(_ split: Split) -> DataSplit {
        switch split {
        case .train: train
        case .validation: validation
        case .test: test
        }
    }
}
