/// Which workers fail trial after trial while others succeed: a broken host (no GPU or
/// disk, a missing package, a bad data copy) would otherwise drain the whole queue.
struct WorkerHealth {
    /// Consecutive failures after which a worker is quarantined (when others succeed).
    static let quarantineAfter = 3

    private struct Record {
        var consecutiveFailures = 0
        /// Trials that failed on it in the current run of failures.
        var failedTrials: [Int] = []
        var lastError = ""
        var hasSucceeded = false
        var quarantined = false
    }

    private var records: [String: Record] = [:]

    /// A trial ended well (complete or pruned) on `worker`: its run of failures is over.
    mutating func succeeded(_ worker: String) {
        records[worker, default: Record()].consecutiveFailures = 0
        records[worker, default: Record()].failedTrials.removeAll()
        records[worker, default: Record()].hasSucceeded = true
    }

    /// A trial failed on `worker`. Returns the trials of its run of failures when the
    /// worker must now be quarantined: enough failures in a row while another worker's
    /// last trial succeeded (if every worker fails, the trials are at fault, not a host).
    mutating func failed(_ worker: String, trial: Int, error: String) -> [Int]? {
        var r = records[worker, default: Record()]
        r.consecutiveFailures += 1
        r.failedTrials.append(trial)
        r.lastError = error
        let othersSucceed = records.contains { $0.key != worker && $0.value.hasSucceeded && $0.value.consecutiveFailures == 0 && !$0.value.quarantined }
        if !r.quarantined && r.consecutiveFailures >= Self.quarantineAfter && othersSucceed {
            r.quarantined = true
            records[worker] = r
            return r.failedTrials
        }
        records[worker] = r
        return nil
    }

    func isQuarantined(_ worker: String) -> Bool { records[worker]?.quarantined == true }

    /// The error of the last trial that failed on `worker`.
    func lastError(_ worker: String) -> String { records[worker]?.lastError ?? "" }

    /// Why `worker` gets no more work (sent to it, logged and recorded).
    func reason(_ worker: String) -> String {
        let r = records[worker] ?? Record()
        return "quarantined after \(r.consecutiveFailures) consecutive failed trials while other workers succeed; last error: \(r.lastError)"
    }
}
