/// Remembers which history (by identity) and which version a cache was built from, and
/// tells the cache which trials to look at again.
struct HistoryCursor {
    private weak var history: StudyHistory?
    private var version = 0
    private var count = 0

    /// What changed since the last call: `nil` if the cache must be rebuilt from scratch
    /// (another history, or a first look), else the numbers of the changed or new trials.
    mutating func changes(in history: StudyHistory) -> [Int]? {
        defer {
            self.history = history
            version = history.version
            count = history.trials.count
        }
        guard self.history === history, history.trials.count >= count, history.version >= version else {
            return nil
        }
        if history.version == version { return [] }
        return history.trialsChanged(since: version)
    }

    /// Forgets the history, so the next `changes(in:)` asks for a rebuild.
    mutating func reset() { history = nil }
}
