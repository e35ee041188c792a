import Synchronization

/// Loads each distinct `DataConfig` once and hands the same immutable `Dataset` to every
/// trial that asks for it (a worker keeps one cache for its lifetime).
///
/// Loading happens outside the lock (it takes about a second for Fashion-MNIST); if two
/// threads load the same configuration at once, the first stored result wins.
@available(macOS 15.0, *)
public final class DatasetCache: Sendable {
    private let entries = Mutex<[DataConfig: Dataset]>([:])

    /// An empty cache.
    public init() {}

    /// The data set for `config`, loaded on first use.
    public func dataset(for config: DataConfig) throws -> Dataset {
        if let hit = entries.withLock({ $0[config] }) { return hit }
        let loaded = try DatasetLoader.load(config)
        return entries.withLock { entries in
            if let existing = entries[config] { return existing }
            entries[config] = loaded
            return loaded
        }
    }

    /// Number of cached data sets.
    public var count: Int { entries.withLock { $0.count } }

    /// Drops every cached data set (their memory is freed once no trainer uses them).
    public func removeAll() { entries.withLock { $0.removeAll() } }
}
