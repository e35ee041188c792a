import Synchronization

/// The sample shape and class count of every file data set this process has loaded.
///
/// A file data set's `DataConfig` does not say its shape or classes (the files do), so
/// decoding a `TrialConfig` can check the network against the data only once the data is
/// known: `sweep validate`/`run`/`coordinator` load it first, then every trial the sweep
/// can produce is checked at decode time with its field and line.
public enum LoadedDataShapes {
    private static let known = Mutex<[DataConfig: (shape: [Int], classes: Int)]>([:])

    /// Records what `dataset` holds.
    static func record(_ dataset: Dataset) {
        known.withLock { $0[key(dataset.config)] = (dataset.sampleShape, dataset.classCount) }
    }

    /// The sample shape and class count of `config`'s data, if it was loaded.
    public static func lookup(_ config: DataConfig) -> (shape: [Int], classes: Int)? {
        known.withLock { $0[key(config)] }
    }

    /// The same files with or without the coordinator's fingerprint are the same data.
    private static func key(_ config: DataConfig) -> DataConfig {
        var key = config
        key.files?.fingerprint = nil
        return key
    }
}
