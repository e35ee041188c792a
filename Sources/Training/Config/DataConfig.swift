/// The data sets a trial can train on.
public enum DatasetName: String, ConfigChoice {
    /// Fashion-MNIST from Debian's `dataset-fashion-mnist` (28x28 grey images, 10 classes).
    case fashionMNIST = "fashion_mnist"
    /// Two interleaving half circles in 2-D, 2 classes.
    case moons
    /// Points in [-1, 1]^2 labelled by the sign of x*y, 2 classes.
    case xor
    /// Gaussian clusters in 2-D, one per class (`classes`, default 3).
    case blobs
    /// Interleaved spiral arms in 2-D, one per class (`classes`, default 2).
    case spirals
    /// The invert-a-bit task of the course notes: input bit b, class 1 - b.
    case invertBits = "invert_bits"

    public static let choiceName = "dataset"

    /// Whether the set is generated from a seed rather than read from files.
    public var isSynthetic: Bool { self != .fashionMNIST }
}

/// How input features are scaled before training.
public enum Scaling: String, ConfigChoice {
    /// Images: pixels divided by 255. Synthetic sets: min-max per feature to [0, 1] using
    /// the statistics of the training split.
    case unit
    /// Per feature `(x - mean) / std` with the training split's statistics (for SELU nets).
    case standardize
    /// Raw values.
    case none

    public static let choiceName = "scaling"
}

/// Which data set a trial uses and how it is split and scaled.
///
/// Splits: the last `validation` samples of the training file are the validation split,
/// the test file is the test split. The limits keep the first N samples of a split
/// (for fast runs). Synthetic sets generate `samples` training samples plus
/// `validation` validation and as many test samples, from `seed` (not the trial seed,
/// so every trial of a sweep sees the same data).
public struct DataConfig: Codable, Sendable, Hashable {
    /// The data set (required).
    public var dataset: DatasetName
    /// Directory holding the IDX files (fashion_mnist only); default `/usr/share/datasets/fashion-mnist`.
    public var path: String?
    /// Size of the validation split; default 5,000 for fashion_mnist, samples/5 for synthetic sets.
    public var validation: Int?
    /// Keep only the first N training samples.
    public var trainLimit: Int?
    /// Keep only the first N validation samples.
    public var validationLimit: Int?
    /// Keep only the first N test samples.
    public var testLimit: Int?
    /// Default `unit` for images, `none` for synthetic sets.
    public var scaling: Scaling?
    /// Synthetic sets only: number of training samples (default 1,000).
    public var samples: Int?
    /// Synthetic sets only: noise level (default 0.1; blobs: cluster std, default 1.0).
    public var noise: Double?
    /// blobs and spirals only: number of classes.
    public var classes: Int?
    /// fashion_mnist only: the classes kept, relabelled 0..<n in this order (written as
    /// `classes: [5, 6]`); every split is filtered before its limit applies.
    public var classSubset: [Int]?
    /// Synthetic sets only: the generator seed (default 0).
    public var seed: UInt64?

    /// Where Debian's dataset-fashion-mnist installs the files.
    public static let defaultFashionMNISTPath = "/usr/share/datasets/fashion-mnist"

    /// A data configuration; nil options take their defaults (`resolved...`).
    public init(
        dataset: DatasetName, path: String? = nil, validation: Int? = nil,
        trainLimit: Int? = nil, validationLimit: Int? = nil, testLimit: Int? = nil,
        scaling: Scaling? = nil, samples: Int? = nil, noise: Double? = nil,
        classes: Int? = nil, seed: UInt64? = nil, classSubset: [Int]? = nil
    ) {
        self.classSubset = classSubset
        self.dataset = dataset
        self.path = path
        self.validation = validation
        self.trainLimit = trainLimit
        self.validationLimit = validationLimit
        self.testLimit = testLimit
        self.scaling = scaling
        self.samples = samples
        self.noise = noise
        self.classes = classes
        self.seed = seed
    }

    // MARK: Resolved values

    /// The IDX directory used.
    public var resolvedPath: String { path ?? Self.defaultFashionMNISTPath }
    /// Training samples of a synthetic set.
    public var resolvedSamples: Int { samples ?? 1000 }
    /// Size of the validation split.
    public var resolvedValidation: Int {
        validation ?? (dataset.isSynthetic ? max(1, resolvedSamples / 5) : 5000)
    }
    /// The scaling used.
    public var resolvedScaling: Scaling { scaling ?? (dataset.isSynthetic ? .none : .unit) }
    /// Noise of a synthetic set.
    public var resolvedNoise: Double { noise ?? (dataset == .blobs ? 1.0 : 0.1) }
    /// Generator seed of a synthetic set.
    public var resolvedSeed: UInt64 { seed ?? 0 }

    /// Number of classes of the data set.
    public var classCount: Int {
        switch dataset {
        case .fashionMNIST: return classSubset?.count ?? 10
        case .moons, .xor, .invertBits: return 2
        case .blobs: return classes ?? 3
        case .spirals: return classes ?? 2
        }
    }

    /// Shape of one sample as the data set stores it ([28, 28] for images, [features] otherwise).
    public var sampleShape: [Int] {
        switch dataset {
        case .fashionMNIST: [28, 28]
        case .invertBits: [1]
        case .moons, .xor, .blobs, .spirals: [2]
        }
    }

    // MARK: Codable

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, path, validation
        case trainLimit = "train_limit", validationLimit = "validation_limit", testLimit = "test_limit"
        case scaling, samples, noise, classes, seed
    }

    /// A data configuration; nil options take their defaults (`resolved...`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.configContainer(keyedBy: CodingKeys.self)
        guard let dataset = try c.choice(DatasetName.self, .dataset) else {
            throw DecodingError.keyNotFound(
                CodingKeys.dataset,
                .init(codingPath: c.codingPath, debugDescription: "'dataset' is required; expected one of: \(DatasetName.expectedList)"))
        }
        self.dataset = dataset
        switch dataset {
        case .fashionMNIST:
            try c.rejectFields(
                except: [.dataset, .path, .validation, .trainLimit, .validationLimit, .testLimit, .scaling, .classes],
                context: "dataset 'fashion_mnist'")
        case .blobs, .spirals:
            try c.rejectFields(
                except: [.dataset, .validation, .trainLimit, .validationLimit, .testLimit, .scaling, .samples, .noise, .classes, .seed],
                context: "dataset '\(dataset.rawValue)'")
        case .moons, .xor, .invertBits:
            try c.rejectFields(
                except: [.dataset, .validation, .trainLimit, .validationLimit, .testLimit, .scaling, .samples, .noise, .seed],
                context: "dataset '\(dataset.rawValue)'")
        }
        path = try c.decodeIfPresent(String.self, forKey: .path)
        if let path, path.isEmpty { throw c.invalid(.path, "must not be empty") }
        validation = try c.optionalInteger(.validation, atLeast: 0)
        trainLimit = try c.optionalInteger(.trainLimit, atLeast: 1)
        validationLimit = try c.optionalInteger(.validationLimit, atLeast: 1)
        testLimit = try c.optionalInteger(.testLimit, atLeast: 1)
        scaling = try c.choice(Scaling.self, .scaling)
        samples = try c.optionalInteger(.samples, atLeast: 2)
        noise = try c.optionalNumber(.noise, .nonNegative)
        if dataset == .fashionMNIST {
            classes = nil
            classSubset = try Self.decodeSubset(c)
        } else {
            classes = try c.optionalInteger(.classes, atLeast: 2)
        }
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        if dataset == .fashionMNIST, let validation, validation >= 60_000 {
            throw c.invalid(.validation, "must be < 60000 (the training file has 60,000 images), got \(validation)")
        }
    }

    /// `classes: [i, j, ...]` of fashion_mnist: at least two distinct labels 0-9.
    private static func decodeSubset(_ c: KeyedDecodingContainer<CodingKeys>) throws -> [Int]? {
        guard c.contains(.classes), try !c.decodeNil(forKey: .classes) else { return nil }
        guard let list = try? c.decode([Int].self, forKey: .classes) else {
            throw c.invalid(.classes, "fashion_mnist takes a list of class labels (0-9) to keep, e.g. [5, 6]")
        }
        guard list.count >= 2 else { throw c.invalid(.classes, "must keep at least two classes, got \(list)") }
        if let bad = list.first(where: { !(0...9).contains($0) }) { throw c.invalid(.classes, "class labels are 0-9, got \(bad)") }
        guard Set(list).count == list.count else { throw c.invalid(.classes, "classes must be distinct, got \(list)") }
        return list
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataset, forKey: .dataset)
        try c.encodeUnlessNil(path, forKey: .path)
        try c.encodeUnlessNil(validation, forKey: .validation)
        try c.encodeUnlessNil(trainLimit, forKey: .trainLimit)
        try c.encodeUnlessNil(validationLimit, forKey: .validationLimit)
        try c.encodeUnlessNil(testLimit, forKey: .testLimit)
        try c.encodeUnlessNil(scaling, forKey: .scaling)
        try c.encodeUnlessNil(samples, forKey: .samples)
        try c.encodeUnlessNil(noise, forKey: .noise)
        if let classSubset { try c.encode(classSubset, forKey: .classes) } else { try c.encodeUnlessNil(classes, forKey: .classes) }
        try c.encodeUnlessNil(seed, forKey: .seed)
    }
}
