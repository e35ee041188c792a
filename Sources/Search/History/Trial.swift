/// The life-cycle states of a trial (the same names as the store and the CLI).
public enum TrialState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Created and waiting for a worker (e.g. re-queued after a crash).
    case waiting = "WAITING"
    /// Leased to a worker.
    case running = "RUNNING"
    /// Finished with a final objective value.
    case complete = "COMPLETE"
    /// Stopped early by the pruner; its last reported value stands as its value.
    case pruned = "PRUNED"
    /// Failed (the training raised, diverged, or the retry limit was reached).
    case fail = "FAIL"
    /// Its worker died; it will be re-queued if attempts remain.
    case stale = "STALE"

    /// Whether the trial will not change any more.
    public var isFinished: Bool { self == .complete || self == .pruned || self == .fail }
}

/// Whether the objective is to be minimized or maximized.
public enum Direction: String, Hashable, Sendable, Codable {
    case minimize
    case maximize

    /// Whether `a` is strictly better than `b` in this direction.
    @inlinable public func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .minimize ? a < b : a > b
    }

    /// The worst possible value, used as the "lie" for running trials.
    public var worst: Double { self == .minimize ? .infinity : -.infinity }
}

/// What the search side knows about one trial.
public struct TrialSnapshot: Hashable, Sendable {
    /// 0-based trial number within the study, in creation order.
    public var number: Int
    public var state: TrialState
    /// Active parameters only.
    public var params: Params
    /// The final objective value (COMPLETE) or the last reported value (PRUNED).
    public var value: Double?
    /// Reported objective values per step (epoch, 1-based), in step order.
    public var intermediate: [Int: Double]

    public init(number: Int, state: TrialState, params: Params, value: Double? = nil, intermediate: [Int: Double] = [:]) {
        self.number = number
        self.state = state
        self.params = params
        self.value = value
        self.intermediate = intermediate
    }

    /// The highest step reported so far, or `nil` if none.
    public var lastStep: Int? { intermediate.keys.max() }
}
