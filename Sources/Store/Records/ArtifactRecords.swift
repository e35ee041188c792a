/// A stored model file of a trial (its final or restored-best weights).
public struct ArtifactRecord: Sendable, Hashable {
    public var trialNumber: Int
    /// The file, relative to the artifact directory beside the database.
    public var path: String
    public var bytes: Int
    /// The trial's objective value when the model was stored.
    public var value: Double?
    public var createdAt: Double

    public init(trialNumber: Int, path: String, bytes: Int, value: Double?, createdAt: Double) {
        self.trialNumber = trialNumber
        self.path = path
        self.bytes = bytes
        self.value = value
        self.createdAt = createdAt
    }
}

/// The result of `sweep retrain`: a trial's configuration trained again on train +
/// validation data and evaluated once on the test split.
public struct RetrainRecord: Sendable, Hashable {
    public var id: Int64
    public var trialNumber: Int
    public var epochs: Int
    public var trainSamples: Int
    public var testAccuracy: Double?
    public var testLoss: Double?
    public var metrics: [String: Double]
    public var seconds: Double
    public var modelPath: String?
    public var createdAt: Double

    public init(id: Int64 = 0, trialNumber: Int, epochs: Int, trainSamples: Int, testAccuracy: Double?, testLoss: Double?,
                metrics: [String: Double], seconds: Double, modelPath: String?, createdAt: Double) {
        self.id = id
        self.trialNumber = trialNumber
        self.epochs = epochs
        self.trainSamples = trainSamples
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.metrics = metrics
        self.seconds = seconds
        self.modelPath = modelPath
        self.createdAt = createdAt
    }
}
