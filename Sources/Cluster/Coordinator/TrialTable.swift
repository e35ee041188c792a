import Search

/// Where one trial stands in this coordinator: its row, its attempts, its lease and the
/// answers given to the current attempt. One entry per trial, in one table.
struct TrialEntry {
    /// The trial's row id in the store.
    let rowID: Int64
    /// Leases so far (0 before the first); the current or last attempt's number.
    var attempt: Int
    /// Attempts lost to a dead worker (STALE).
    var crashes = 0
    /// Attempts that ended in an error on their worker (FAIL), retried with `retry_errors`.
    var failures = 0
    /// The worker running it, when leased.
    var lease: Lease?
    /// RUNNING when a resumed coordinator started: the deadline for its worker to come back.
    var orphanDeadline: Double?
    /// Decisions sent to the current attempt, by epoch (for idempotent replies while it runs;
    /// a finished trial's answers are read back from the store).
    var decisions: [Int: PruneDecision] = [:]

    /// Attempts that count against `retry.max_attempts` (not the handed-back ones).
    var spentAttempts: Int { crashes + failures }
}

/// Every trial of the study by number (numbers are dense, from 0), and which are leased.
struct TrialTable {
    private var entries: [TrialEntry] = []
    /// Trial numbers with a lease, for the count and for finishing the study.
    private(set) var leased: Set<Int> = []
    /// Trial numbers waiting for their worker after a restart.
    private(set) var orphans: Set<Int> = []

    var count: Int { entries.count }

    /// Adds the next trial; its number must be `count`.
    mutating func append(_ entry: TrialEntry) {
        entries.append(entry)
    }

    subscript(_ number: Int) -> TrialEntry {
        entries[number]
    }

    /// Whether `number` is a trial of this study.
    func contains(_ number: Int) -> Bool { entries.indices.contains(number) }

    /// Changes one entry, keeping the lease and orphan indexes in step.
    mutating func update<R>(_ number: Int, _ body: (inout TrialEntry) throws -> R) rethrows -> R {
        defer {
            if entries[number].lease != nil { leased.insert(number) } else { leased.remove(number) }
            if entries[number].orphanDeadline != nil { orphans.insert(number) } else { orphans.remove(number) }
        }
        return try body(&entries[number])
    }

    /// The lease of `trial` if `worker` holds it for `attempt`.
    func lease(_ trial: Int, attempt: Int, worker: String) -> Lease? {
        guard contains(trial), let lease = entries[trial].lease, lease.worker == worker, lease.attempt == attempt else { return nil }
        return lease
    }
}
