import Search
import Store

/// A trial leased to a worker.
struct Lease: Equatable {
    var worker: String
    var attempt: Int
    /// The last epoch reported (0 before the first report).
    var epoch: Int
    /// When the worker started it: the lease for most, the moment the worker started it for
    /// a trial held ahead (see ``heldAhead``).
    var startedAt: Double
    /// Leased while the worker ran another trial: the database has the lease's time as the
    /// attempt's start until its end writes the real one.
    var heldAhead = false
    /// False while held ahead and not started yet (the worker runs the trial before it).
    var started = true
    /// The epoch of the checkpoint the attempt resumes from (0: from the start).
    var resumedFrom = 0
    /// A report of this attempt carried the objective (one without it, from a program that
    /// names the metric otherwise, shows the program runs but not that the sweep can use it).
    var objectiveReported = false

    /// The epoch the trial is at, as displays show it: the last reported, or before the
    /// first report the checkpoint's (a resumed attempt read "ep 0", a PBT member always).
    var shownEpoch: Int { max(epoch, resumedFrom) }

    /// When the store should record that the attempt started, as it ends `now`.
    func start(endingAt now: Double) -> AttemptStart {
        !started ? .never(now) : heldAhead ? .at(startedAt) : .asLeased
    }
}

/// A connected worker as the coordinator tracks it.
struct WorkerSession {
    var id: String
    var host: String
    var pid: Int
    var cores: Int
    var threads: Int
    var capabilities: [String]
    var peerAddress: String?
    var joinedAt: Double
    /// Last message received (any message is a heartbeat).
    var lastSeen: Double
    /// Seconds since `lastSeen` that do not count as the worker's silence: those when the
    /// coordinator itself was not listening (stopped, descheduled, a slow commit), and the
    /// time a worker that gave up on it during such a stall needs to reconnect.
    var deafSeconds = 0.0
    /// The reconnect time already granted within `deafSeconds` (bounded per silence).
    var reconnectGrace = 0.0
    /// How long the worker has been silent while the coordinator was listening.
    func silence(now: Double) -> Double { now - lastSeen - deafSeconds }
    /// Which process it is, to tell a process that comes back from another that took its id
    /// (see ``processKey(host:pid:identity:)``).
    var process: String
    /// A process's key: its identity when it said it (boot id, pid namespace, start time: a
    /// restarted container keeps its host name and pid 1), else `host/pid`.
    static func processKey(host: String, pid: Int, identity: ProcessIdentity?) -> String {
        identity?.token ?? "\(host)/\(pid)"
    }
    /// Its process, when it runs on this machine and said which it is: checked on ticks,
    /// so that its exit is seen at once instead of after the liveness timeout.
    var localProcess: ProcessIdentity? = nil
    /// The kernel and pid namespace it runs in (``ProcessIdentity/machine``), when it said:
    /// two machines may share a host name (cloned VMs named `ubuntu`).
    var machine: String? = nil
    /// When its process was first found gone (the messages it sent before may still be on
    /// their way: it is declared dead a moment later).
    var exitedAt: Double? = nil
    /// The trial it runs, if any.
    var trial: Int?
    /// Its assignment was sent again on a repeated `ready` in this session (once is enough).
    var assignmentResent = false
    /// Trials leased ahead, in the order the worker runs them: assigned while `trial` runs,
    /// so that the worker starts the next one the moment it sends an outcome instead of
    /// waiting a round trip for its next assignment (workers with the `ahead` capability
    /// whose trials are short; see ``CoordinatorOptions/aheadBelowSeconds``).
    var ahead: [Int] = []
    /// How long its trials take: from its lease to its result, or, for outcomes handled
    /// together (gathered, see ``CoordinatorOptions/gatherSeconds``), the time since the
    /// first of them started over their number. (Each trial's own lease-to-result time says
    /// little then: a trial held ahead starts, as far as the coordinator knows, when the
    /// outcome before it is handled, which may be in the same batch.) It at most halves
    /// from one batch to the next, so the trials held ahead at most double: one trial that
    /// ended at once (a quick failure) does not hand a worker of 50 ms trials 192 of them.
    var lastTrialSeconds: Double?
    /// The batch whose outcomes of this worker were handled last: its time, when the first
    /// of those trials started, how many there were, and the trial time before it.
    var outcomeBatch: (at: Double, since: Double, count: Int, before: Double?)?

    /// Times an outcome handled at `now` of a trial that started at `started`.
    mutating func timeOutcome(now: Double, started: Double) {
        let batch = if let b = outcomeBatch, b.at == now {
            (at: now, since: b.since, count: b.count + 1, before: b.before)
        } else {
            (at: now, since: started, count: 1, before: lastTrialSeconds)
        }
        outcomeBatch = batch
        let measured = (now - batch.since) / Double(batch.count)
        lastTrialSeconds = batch.before.map { max(measured, $0 / 2) } ?? measured
    }
    /// Whether it asked for work and has none.
    var idle: Bool
    /// Whether it was told there is no work (so it is not told again each tick).
    var toldNoWork: Bool
    var trialsDone: Int
}

/// Messages to send once the transaction that produced them has committed.
struct Outbox {
    private(set) var messages: [(worker: String, message: CoordinatorMessage)] = []
    /// Trials whose outcome arrived in this batch: their workers are past waiting for a decision.
    private var endedTrials: Set<TrialRef> = []

    mutating func send(_ message: CoordinatorMessage, to worker: String) {
        messages.append((worker, message))
    }

    /// The trial's worker sent its outcome, so it waits for no decision on it any more (a
    /// worker that cannot put its last report inside the result sends the two together):
    /// one message less per trial, which matters for trials of a few milliseconds.
    mutating func ended(_ trial: TrialRef) {
        endedTrials.insert(trial)
    }

    /// What to send, in order.
    var deliverable: [(worker: String, message: CoordinatorMessage)] {
        guard !endedTrials.isEmpty else { return messages }
        return messages.filter {
            if case .decision(let d) = $0.message { return !endedTrials.contains(TrialRef(trial: d.trial, attempt: d.attempt)) }
            return true
        }
    }
}

/// Counters for the status display and the closing summary.
public struct CoordinatorCounters: Sendable, Equatable {
    public var messages = 0
    public var malformed = 0
    public var oversized = 0
    public var unknownType = 0
    public var badVersion = 0
    public var rejectedPeers = 0
    public var duplicateReports = 0
    /// Trials that reached a PBT or promotion boundary without a checkpoint of it (they went
    /// on without pausing: PBT made no exploit there).
    public var pausesWithoutCheckpoint = 0
    public var staleReports = 0
    public var workersLost = 0
    public var requeued = 0
    public var adopted = 0
    /// `ready` from a worker that holds a lease (kept; see docs/protocol.md).
    public var repeatedReady = 0
    /// Workers no longer given work after repeated failures.
    public var quarantined = 0
    /// Attempts that continued from a checkpoint.
    public var resumed = 0
    /// Checkpoints not kept because the cap was reached.
    public var checkpointsRefused = 0
    /// Checkpoints whose files could not be written (a full disk).
    public var checkpointsUnwritten = 0
    /// Trained models asked for and not kept (their files could not be written).
    public var modelsNotKept = 0
}
