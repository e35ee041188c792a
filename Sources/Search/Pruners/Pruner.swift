/// Decides, at each reported step, whether a running trial should stop early.
///
/// Like samplers, pruners are pure functions of their settings and the history, so a
/// coordinator restarted on the same database keeps deciding the same way.
public protocol Pruner: AnyObject {
    /// Called after `history` recorded the value of `trial` at `step` (1-based epoch).
    func decide(trial: Int, step: Int, history: StudyHistory) -> PruneDecision
}

/// A pruner's answer, with the reason a user sees in `sweep show`.
public struct PruneDecision: Hashable, Sendable, Codable {
    /// Whether the trial should stop now.
    public var prune: Bool
    /// One sentence a person can read, e.g. "0.612 at step 3 is worse than the median
    /// 0.701 of 5 completed trials".
    public var reason: String
    /// The rung (ASHA / Hyperband) at which this was decided, if any.
    public var rung: Int?
    /// The threshold the value was compared against, if any.
    public var cutoff: Double?

    public init(prune: Bool, reason: String, rung: Int? = nil, cutoff: Double? = nil) {
        self.prune = prune
        self.reason = reason
        self.rung = rung
        self.cutoff = cutoff
    }

    /// Keep training; nothing to decide at this step.
    public static func keep(_ reason: String) -> PruneDecision { PruneDecision(prune: false, reason: reason) }
}
