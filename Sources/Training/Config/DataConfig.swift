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
    /// A comma-separated table with a header row and a label column.
    case csv
    /// A tab-separated table with a header row and a label column.
    case tsv
    /// NumPy `.npy` files: one of features, one of labels.
    case npy
    /// A NumPy `.npz` archive holding a features and a labels array.
    case npz
    /// IDX files (the MNIST format) of any shape and element type, with an IDX label file.
    case idx

    public static let choiceName = "dataset"

    /// Whether the set is generated from a seed rather than read from files.
    public var isSynthetic: Bool {
        switch self {
        case .moons, .xor, .blobs, .spirals, .invertBits: true
        case .fashionMNIST, .csv, .tsv, .npy, .npz, .idx: false
        }
    }

    /// Whether the set is the user's own files (`train_file` and friends).
    public var isFileSet: Bool {
        switch self {
        case .csv, .tsv, .npy, .npz, .idx: true
        default: false
        }
    }

    /// Whether labels come from separate files (`train_labels`, ...).
    var hasLabelFiles: Bool { self == .npy || self == .idx }
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

/// Which part of Fashion-MNIST's training file is the validation split.
public enum ValidationFrom: String, ConfigChoice {
    /// The first N images, as Géron's notebook (the course texts) does: the default.
    case first
    /// The last N images (Sweep's choice before; measured 0.5-1 point harder).
    case last

    public static let choiceName = "validation_from"
}

/// What a file data set does with a missing or non-numeric feature value.
public enum MissingValues: String, ConfigChoice {
    /// Stop with the file, line and column of the value (the default).
    case error
    /// Replace it by the feature's mean over the training split.
    case mean
    /// Replace it by 0.
    case zero

    public static let choiceName = "missing"
}

/// The size of a split carved out of the training file: a sample count or a fraction.
public enum SplitSize: Sendable, Hashable {
    case count(Int)
    case fraction(Double)

    /// The number of samples out of `total`.
    func samples(of total: Int) -> Int {
        switch self {
        case .count(let n): n
        case .fraction(let f): Int((f * Double(total)).rounded())
        }
    }
}

/// Which data set a trial uses and how it is split and scaled.
///
/// Fashion-MNIST: the first (`validation_from: first`, default) or last `validation` images
/// of the training file are the validation split, the test file is the test split.
/// Synthetic sets generate `samples` training samples plus `validation` validation and as
/// many test samples, from `seed` (not the trial seed, so every trial of a sweep sees the
/// same data). File sets (`csv`, `tsv`, `npy`, `npz`, `idx`, see `DataFiles`) read explicit
/// split files or carve seeded, stratified splits out of the training file.
/// The limits keep the first N samples of a split (for fast runs).
public struct DataConfig: Codable, Sendable, Hashable {
    /// The data set (required).
    public var dataset: DatasetName
    /// Directory holding the IDX files (fashion_mnist only); default `/usr/share/datasets/fashion-mnist`.
    public var path: String?
    /// Size of the validation split; default 5,000 for fashion_mnist, samples/5 for synthetic sets.
    public var validation: Int?
    /// File sets: the validation split as a fraction of the training file (`validation: 0.2`).
    public var validationFraction: Double?
    /// fashion_mnist: which end of the training file is the validation split (default `first`).
    public var validationFrom: ValidationFrom?
    /// Keep only the first N training samples.
    public var trainLimit: Int?
    /// Keep only the first N validation samples.
    public var validationLimit: Int?
    /// Keep only the first N test samples.
    public var testLimit: Int?
    /// Default `unit` for images, `none` for synthetic and tabular sets.
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
    /// Synthetic sets: the generator seed; file sets: the split seed (default 0).
    public var seed: UInt64?
    /// File sets only: the files and how to read them.
    public var files: DataFiles?
    /// File sets only: classification (default) or regression on a numeric label column.
    public var task: PredictionTask?
    /// Regression only: how the target is scaled for training (default `standardize`).
    public var targetScaling: TargetScaling?

    /// Where Debian's dataset-fashion-mnist installs the files.
    public static let defaultFashionMNISTPath = "/usr/share/datasets/fashion-mnist"

    /// A data configuration; nil options take their defaults (`resolved...`).
    public init(
        dataset: DatasetName, path: String? = nil, validation: Int? = nil,
        trainLimit: Int? = nil, validationLimit: Int? = nil, testLimit: Int? = nil,
        scaling: Scaling? = nil, samples: Int? = nil, noise: Double? = nil,
        classes: Int? = nil, seed: UInt64? = nil, classSubset: [Int]? = nil,
        validationFrom: ValidationFrom? = nil, validationFraction: Double? = nil, files: DataFiles? = nil,
        task: PredictionTask? = nil, targetScaling: TargetScaling? = nil
    ) {
        self.task = task
        self.targetScaling = targetScaling
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
        self.validationFrom = validationFrom
        self.validationFraction = validationFraction
        self.files = files
    }

    // MARK: Resolved values

    /// The IDX directory used.
    public var resolvedPath: String { path ?? Self.defaultFashionMNISTPath }
    /// Training samples of a synthetic set.
    public var resolvedSamples: Int { samples ?? 1000 }
    /// Size of the validation split (fashion_mnist and synthetic sets).
    public var resolvedValidation: Int {
        validation ?? (dataset.isSynthetic ? max(1, resolvedSamples / 5) : 5000)
    }
    /// File sets: the validation split carved out of the training file (default 20%).
    public var resolvedValidationSize: SplitSize {
        if let validation { return .count(validation) }
        return .fraction(validationFraction ?? 0.2)
    }
    /// Which end of Fashion-MNIST's training file validates.
    public var resolvedValidationFrom: ValidationFrom { validationFrom ?? .first }
    /// The scaling used.
    public var resolvedScaling: Scaling {
        if let scaling { return scaling }
        switch dataset {
        case .fashionMNIST, .idx: return .unit
        default: return .none
        }
    }
    /// Noise of a synthetic set.
    public var resolvedNoise: Double { noise ?? (dataset == .blobs ? 1.0 : 0.1) }
    /// Classification unless `task: regression`.
    public var resolvedTask: PredictionTask { task ?? .classification }
    /// The target scaling of a regression set (nil for classification).
    public var resolvedTargetScaling: TargetScaling? { resolvedTask == .regression ? targetScaling ?? .standardize : nil }
    /// Generator seed of a synthetic set, split seed of a file set.
    public var resolvedSeed: UInt64 { seed ?? 0 }

    /// Whether there is a validation split (`val_*` metrics exist).
    public var hasValidation: Bool {
        if dataset.isFileSet {
            if files?.validation != nil { return true }
            return resolvedValidationSize != .count(0) && resolvedValidationSize != .fraction(0)
        }
        return resolvedValidation > 0
    }

    /// Number of classes when the configuration alone tells (nil for file sets without a
    /// `classes` list: the data decides; 0 for regression).
    public var classCount: Int? {
        if resolvedTask == .regression { return 0 }
        switch dataset {
        case .fashionMNIST: return classSubset?.count ?? 10
        case .moons, .xor, .invertBits: return 2
        case .blobs: return classes ?? 3
        case .spirals: return classes ?? 2
        case .csv, .tsv, .npy, .npz, .idx: return files?.classNames?.count
        }
    }

    /// Shape of one sample as the data set stores it ([28, 28] for images, [features]
    /// otherwise); nil for file sets without a `shape` (the files decide).
    public var sampleShape: [Int]? {
        switch dataset {
        case .fashionMNIST: [28, 28]
        case .invertBits: [1]
        case .moons, .xor, .blobs, .spirals: [2]
        case .csv, .tsv, .npy, .npz, .idx: files?.shape
        }
    }

    // MARK: Codable

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, path, validation
        case validationFrom = "validation_from"
        case trainLimit = "train_limit", validationLimit = "validation_limit", testLimit = "test_limit"
        case scaling, samples, noise, classes, seed
        case trainFile = "train_file", trainLabels = "train_labels"
        case validationFile = "validation_file", validationLabels = "validation_labels"
        case testFile = "test_file", testLabels = "test_labels", test
        case label, columns, ignore, missing, separator, decimal, header, shape, transpose, stratify
        case featuresArray = "features_array", labelsArray = "labels_array"
        case fingerprint
        case task, targetScaling = "target_scaling"
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
        let limits: [CodingKeys] = [.dataset, .validation, .trainLimit, .validationLimit, .testLimit, .scaling]
        switch dataset {
        case .fashionMNIST:
            try c.rejectFields(except: limits + [.path, .classes, .validationFrom], context: "dataset 'fashion_mnist'")
        case .blobs, .spirals:
            try c.rejectFields(except: limits + [.samples, .noise, .classes, .seed], context: "dataset '\(dataset.rawValue)'")
        case .moons, .xor, .invertBits:
            try c.rejectFields(except: limits + [.samples, .noise, .seed], context: "dataset '\(dataset.rawValue)'")
        case .csv, .tsv, .npy, .npz, .idx:
            try c.rejectFields(except: limits + DataFiles.keys(for: dataset) + [.task, .targetScaling], context: "dataset '\(dataset.rawValue)'")
        }
        path = try c.decodeIfPresent(String.self, forKey: .path)
        if let path, path.isEmpty { throw c.invalid(.path, "must not be empty") }
        if dataset.isFileSet {
            (validation, validationFraction) = try Self.splitSize(c, .validation)
        } else {
            validation = try c.optionalInteger(.validation, atLeast: 0)
        }
        validationFrom = try c.choice(ValidationFrom.self, .validationFrom)
        trainLimit = try c.optionalInteger(.trainLimit, atLeast: 1)
        validationLimit = try c.optionalInteger(.validationLimit, atLeast: 1)
        testLimit = try c.optionalInteger(.testLimit, atLeast: 1)
        scaling = try c.choice(Scaling.self, .scaling)
        samples = try c.optionalInteger(.samples, atLeast: 2)
        noise = try c.optionalNumber(.noise, .nonNegative)
        switch dataset {
        case .fashionMNIST: classSubset = try Self.decodeSubset(c)
        case .blobs, .spirals: classes = try c.optionalInteger(.classes, atLeast: 2)
        default: break
        }
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        if dataset.isFileSet {
            try decodeTask(c)
            files = try DataFiles(from: c, dataset: dataset)
            if files?.validation != nil, c.contains(.validation) {
                throw c.invalid(.validation, "give either a validation size or a validation_file, not both")
            }
            // Fractions of the training file that leave none of it: found when the file is read
            // (and each searched value probed), not when a trial loads the data and fails.
            if let files, files.validation == nil, files.test == nil, case .fraction(let v) = resolvedValidationSize,
               case .fraction(let t) = files.resolvedTestSize, v + t >= 1 {
                throw c.invalid(c.contains(.validation) ? .validation : .test,
                                "validation \(v) and test \(t) of the training file leave nothing to train on (together they must be below 1)")
            }
        }
        if dataset == .fashionMNIST, let validation, validation >= 60_000 {
            throw c.invalid(.validation, "must be < 60000 (the training file has 60,000 images), got \(validation)")
        }
    }

    /// `task` and `target_scaling`, and the keys a regression set does not take.
    private mutating func decodeTask(_ c: KeyedDecodingContainer<CodingKeys>) throws {
        task = try c.choice(PredictionTask.self, .task)
        targetScaling = try c.choice(TargetScaling.self, .targetScaling)
        if task == .regression {
            for key in [CodingKeys.classes, .stratify] where c.contains(key) {
                throw c.invalid(key, "'\(key.rawValue)' does not apply to task: regression (the label column is a number; carved splits are random)")
            }
        } else if c.contains(.targetScaling) {
            throw c.invalid(.targetScaling, "target_scaling applies only to task: regression")
        }
    }

    /// A split size: an integer count (>= 0) or a fraction in [0, 1).
    static func splitSize(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> (Int?, Double?) {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return (nil, nil) }
        if let n = try? c.decode(Int.self, forKey: key) {
            guard n >= 0 else { throw c.invalid(key, "must be a count >= 0 or a fraction in [0, 1), got \(n)") }
            // `1.0` reads as the count 1 as well: one sample is never what was meant (all of
            // the file would leave nothing to train on).
            guard n != 1 else {
                throw c.invalid(key, "1 would hold out a single sample; give a fraction below 1 of the training file (e.g. 0.2) or a sample count (e.g. 500)")
            }
            return (n, nil)
        }
        guard let f = try? c.decode(Double.self, forKey: key), f.isFinite, f >= 0, f < 1 else {
            throw c.invalid(key, "must be a sample count (e.g. 500) or a fraction in [0, 1) of the training file (e.g. 0.2)")
        }
        return (nil, f)
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
        if let validationFraction { try c.encode(validationFraction, forKey: .validation) } else { try c.encodeUnlessNil(validation, forKey: .validation) }
        try c.encodeUnlessNil(validationFrom, forKey: .validationFrom)
        try c.encodeUnlessNil(trainLimit, forKey: .trainLimit)
        try c.encodeUnlessNil(validationLimit, forKey: .validationLimit)
        try c.encodeUnlessNil(testLimit, forKey: .testLimit)
        try c.encodeUnlessNil(scaling, forKey: .scaling)
        try c.encodeUnlessNil(samples, forKey: .samples)
        try c.encodeUnlessNil(noise, forKey: .noise)
        if let classSubset { try c.encode(classSubset, forKey: .classes) } else { try c.encodeUnlessNil(classes, forKey: .classes) }
        try c.encodeUnlessNil(seed, forKey: .seed)
        try files?.encode(into: &c)
        try c.encodeUnlessNil(task, forKey: .task)
        try c.encodeUnlessNil(targetScaling, forKey: .targetScaling)
    }
}
