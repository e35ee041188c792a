import Search

/// Whether a study still has work to do.
public enum StudyState: String, Sendable, Hashable, Codable {
    case running = "RUNNING"
    case finished = "FINISHED"
}

/// A study as created from a sweep file.
public struct NewStudy: Sendable, Hashable {
    public var name: String
    public var direction: Direction
    /// The objective metric, e.g. `val_accuracy`.
    public var metric: String
    /// The sweep file text exactly as given.
    public var sweepFile: String
    public var sweepPath: String?
    public var space: SearchSpace
    public var seed: UInt64
    public var budgetTrials: Int
    public var maxEpochs: Int?
    /// Wall-time budget in seconds.
    public var wallTime: Double?
    /// Leases per trial before a crashed trial is failed for good.
    public var maxAttempts: Int

    public init(name: String, direction: Direction, metric: String, sweepFile: String, sweepPath: String? = nil,
                space: SearchSpace, seed: UInt64, budgetTrials: Int, maxEpochs: Int? = nil, wallTime: Double? = nil, maxAttempts: Int = 3) {
        self.name = name
        self.direction = direction
        self.metric = metric
        self.sweepFile = sweepFile
        self.sweepPath = sweepPath
        self.space = space
        self.seed = seed
        self.budgetTrials = budgetTrials
        self.maxEpochs = maxEpochs
        self.wallTime = wallTime
        self.maxAttempts = maxAttempts
    }
}

/// A stored study.
public struct StudyRecord: Sendable, Hashable {
    public var id: Int64
    public var definition: NewStudy
    public var state: StudyState
    /// Seconds the study has been running, summed over all coordinator runs.
    public var runSeconds: Double
    public var createdAt: Double
    public var finishedAt: Double?

    public var name: String { definition.name }
    public var direction: Direction { definition.direction }
}

/// A stored trial.
public struct TrialRecord: Sendable, Hashable {
    public var id: Int64
    public var studyID: Int64
    public var number: Int
    public var state: TrialState
    public var params: Params
    /// Final value (COMPLETE), last reported value (PRUNED), nil otherwise.
    public var value: Double?
    /// Metrics of the last reported epoch (a `summary: best` command trial's objective:
    /// its best, the value it is ranked by).
    public var metrics: [String: Double]
    public var seed: UInt64
    /// Number of leases so far (1 for the first run).
    public var attempt: Int
    public var worker: String?
    /// Epochs reported so far.
    public var epochs: Int
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var error: String?
    public var pruneReason: String?

    /// Seconds the trial ran, nil until it finished: the spans of its attempts added up,
    /// so time between them (paused by PBT or ASHA, waiting in the queue after a lost worker,
    /// the study stopped by Ctrl-C) does not count; start to finish for a trial without
    /// attempts. (An attempt cut off by a crashed coordinator ends when the resumed one
    /// gives it up, so its span includes the time the coordinator was down.)
    public var duration: Double?
}

/// One epoch's report of a trial.
public struct IntermediateRecord: Sendable, Hashable {
    public var step: Int
    public var attempt: Int
    public var value: Double?
    public var metrics: [String: Double]
    /// The answer the report got.
    public var decision: PruneAction
    public var reason: String?
    public var recordedAt: Double

    /// Whether the report was answered `prune`.
    public var pruned: Bool { decision == .prune }

    public init(step: Int, attempt: Int, value: Double?, metrics: [String: Double], pruned: Bool, reason: String?, recordedAt: Double) {
        self.step = step
        self.attempt = attempt
        self.value = value
        self.metrics = metrics
        self.decision = pruned ? .prune : .continue
        self.reason = reason
        self.recordedAt = recordedAt
    }
}

/// One lease of a trial to a worker.
public struct AttemptRecord: Sendable, Hashable {
    public var attempt: Int
    public var worker: String
    public var startedAt: Double
    public var endedAt: Double?
    /// How it ended, or nil while running.
    public var outcome: AttemptOutcome?
    public var error: String?
    /// The epoch of the checkpoint this attempt continued from (nil: it started at epoch 1).
    public var resumedFromEpoch: Int? = nil
    /// A command trial's last output (stdout and stderr as they came, ~4,000 characters).
    public var logTail: String? = nil
}

/// Liveness of a worker as last recorded.
public enum WorkerState: String, Sendable, Hashable, Codable {
    case alive = "ALIVE"
    case dead = "DEAD"
    case left = "LEFT"
}

/// A worker that joined a study.
public struct WorkerRecord: Sendable, Hashable {
    public var worker: String
    public var host: String
    public var pid: Int?
    public var version: String?
    public var cores: Int?
    public var capabilities: String
    public var address: String?
    public var state: WorkerState
    public var trialNumber: Int?
    public var epoch: Int?
    public var firstSeen: Double
    public var lastSeen: Double
    public var trialsDone: Int
    /// When the coordinator stopped assigning to it after repeated failures (nil: never).
    public var quarantinedAt: Double?
    /// The error of its last failed trial, recorded with the quarantine.
    public var lastError: String?
    /// Which process it is (`ProcessIdentity`'s wire form), if it said.
    public var process: String?

    public init(worker: String, host: String, pid: Int? = nil, version: String? = nil, cores: Int? = nil, capabilities: String = "{}",
                address: String? = nil, state: WorkerState = .alive, trialNumber: Int? = nil, epoch: Int? = nil,
                firstSeen: Double, lastSeen: Double, trialsDone: Int = 0, quarantinedAt: Double? = nil, lastError: String? = nil,
                process: String? = nil) {
        self.process = process
        self.quarantinedAt = quarantinedAt
        self.lastError = lastError
        self.worker = worker
        self.host = host
        self.pid = pid
        self.version = version
        self.cores = cores
        self.capabilities = capabilities
        self.address = address
        self.state = state
        self.trialNumber = trialNumber
        self.epoch = epoch
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.trialsDone = trialsDone
    }
}

/// What happened, for the event log.
public enum EventKind: String, Sendable, Hashable, Codable, CaseIterable {
    case studyStarted = "study_started"
    case studyResumed = "study_resumed"
    case studyFinished = "study_finished"
    case adopted
    case pruned
    case failed
    case stale
    case requeued
    /// A re-queued trial's new attempt continues from its checkpoint.
    case resumed
    case workerJoined = "worker_joined"
    case workerLost = "worker_lost"
    case workerLeft = "worker_left"
    /// A worker failed trial after trial while others succeeded: no more work for it.
    case workerQuarantined = "worker_quarantined"
    /// Something went wrong that did not stop the sweep (e.g. a model could not be kept).
    case warning
    /// A trial queued by hand (`sweep enqueue`, the dashboard) was taken with its parameters.
    case enqueued
    /// A scheduler paused a trial (PBT boundary, end of an ASHA rung).
    case paused
    /// A PBT member continues from another member's checkpoint with explored parameters.
    case exploited
    /// ASHA with promotions continues a paused trial to its next rung.
    case promoted
    /// `--resume --force` replaced the study's sweep file (the changed lines in `detail`).
    case sweepFileChanged = "sweep_file_changed"
}

/// A sweep file a study ran under before `--resume --force` replaced it.
public struct EarlierSweepFile: Sendable, Hashable {
    /// 1 for the file the study began with, counting up with each replacement.
    public var version: Int
    public var text: String
    /// Where it was read from (relative paths in it are relative to its folder).
    public var path: String?
    /// When it was replaced.
    public var replacedAt: Double
}

/// One line of the event log.
public struct EventRecord: Sendable, Hashable {
    public var id: Int64
    public var time: Double
    public var kind: String
    public var trialNumber: Int?
    public var worker: String?
    public var message: String
    public var detail: String?
}
