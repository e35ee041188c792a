import GRDB
import Search

/// How one attempt (one lease) of a trial ended: `trial_attempts.outcome`.
///
/// Stored as its raw text; reading a value this build does not know fails loudly (a row
/// decoding error) instead of being taken for some default.
public enum AttemptOutcome: String, Sendable, Hashable, CaseIterable, DatabaseValueConvertible {
    case complete = "COMPLETE"
    case pruned = "PRUNED"
    /// The trial raised an error on its worker.
    case fail = "FAIL"
    /// The worker died (missed its heartbeats) or reconnected without the trial.
    case stale = "STALE"
    /// Handed back without fault: the worker left, never started it, or the coordinator
    /// went away and the worker did not come back.
    case returned = "RETURNED"
    /// Failed on a worker that failed trial after trial while others succeeded and was held
    /// back: set aside as the host's failure while the trial runs again on another worker;
    /// it stays so when the worker is quarantined, and is FAIL again if it is released.
    case quarantined = "QUARANTINED"
    /// Paused by a scheduler at a perturbation boundary or at the end of a rung (PBT, ASHA
    /// with promotions); the trial continues from its checkpoint in a later attempt.
    case paused = "PAUSED"

    /// The outcome of an attempt that finished the trial.
    public init(finishing state: TrialState) {
        switch state {
        case .complete: self = .complete
        case .pruned: self = .pruned
        default: self = .fail
        }
    }
}

/// The answer to one epoch's report: `intermediate_values.decision` and the wire's
/// `decision.action`.
public enum PruneAction: String, Sendable, Hashable, CaseIterable, DatabaseValueConvertible {
    case `continue`
    case prune
    /// Stop after this epoch; the trial continues later from this epoch's checkpoint (a
    /// scheduler's pause). Sent to workers only: the store records the report as `continue`.
    case pause
}

// Stored as their raw text, decoded strictly (an unknown stored value is an error).
extension TrialState: DatabaseValueConvertible {}
extension Direction: DatabaseValueConvertible {}
extension StudyState: DatabaseValueConvertible {}
extension WorkerState: DatabaseValueConvertible {}

/// When an attempt really started, for ``StoreTransaction/endAttempt(trialID:attempt:outcome:error:start:at:)``.
/// An attempt is recorded as starting when it is leased; one leased while its worker ran
/// another trial (held ahead) started later, or never.
public enum AttemptStart: Sendable, Equatable {
    /// When it was leased (the usual case).
    case asLeased
    /// At this time (a trial held ahead, started when the one before it ended).
    case at(Double)
    /// It never ran: handed back at this time, it took no time (and did not start its trial).
    case never(Double)

    var ran: Bool { if case .never = self { false } else { true } }
}
