import Search
import Store
import SweepFile

/// The wire protocol between the coordinator and its workers (docs/protocol.md).
///
/// Every message is one ZeroMQ frame holding one JSON object with the protocol version
/// `v` and a `type`. Workers connect DEALER sockets with a stable routing id to the
/// coordinator's ROUTER. Any message counts as a heartbeat.
public enum Wire {
    /// The protocol version this build speaks.
    public static let version = 1

    /// What is wrong with a worker id, or nil when it is one: 1-255 bytes without control
    /// characters. Ids are stored as text, shown in tables and logs, and a NUL would end
    /// them early in SQLite (two ids stored as one). The coordinator refuses a `hello`
    /// with another; `sweep worker --id` says so before it connects.
    public static func workerIDProblem(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= 255, !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return "worker id must have 1-255 bytes and no control characters"
        }
        return nil
    }
    /// Default upper bound on one message (trial results may carry model weights later).
    public static let defaultMaxMessageBytes = 16 << 20
    /// The `hello` capability of a worker that takes one assignment ahead: it keeps an
    /// `assign` that arrives while a trial runs and starts it right after that trial's
    /// outcome (docs/protocol.md, "Leases ahead").
    public static let aheadCapability = "ahead"
    /// The `welcome` capability of a coordinator that takes a trial's last report inside its
    /// `result` (`last_report`): the worker then sends one message instead of two at the end
    /// of each trial (docs/protocol.md, "Leases ahead").
    public static let lastReportInResultCapability = "last_report_in_result"
    /// The `hello` and `welcome` capability of a peer that sends and takes checkpoints over
    /// 12 MiB in parts (``CheckpointTransfer``); with an older peer they are not sent.
    public static let checkpointPartsCapability = "checkpoint_parts"
    /// The `hello` capability of a worker that returns the receipts of the bulk answers it
    /// read (``Receipts``): only such a worker is sent data-set or checkpoint chunks.
    public static let receiptsCapability = "receipts"
    /// The `hello` capability of a worker that reads dict parameter values (W&B's dict
    /// `values`, a constant dict) and a command's `argument_style`: a study using either is
    /// run by such workers only (an older one dropped the assignment it could not decode,
    /// and its trial stayed leased to an idle worker).
    public static let structuredParamsCapability = "structured_params"

    /// The `hello` capability a worker needs to run the trials of a study of `task`:
    /// `training` and `synthetic` every worker has; `command` only one started with
    /// `--allow-commands`. A worker without it gets no trial of that study.
    public static func capability(for task: SweepDefinition.Task) -> String {
        switch task {
        case .training: "training"
        case .synthetic: "synthetic"
        case .command: "command"
        }
    }
}

/// A running trial as a worker identifies it.
public struct TrialRef: Sendable, Hashable, CustomStringConvertible {
    public var trial: Int
    public var attempt: Int

    public init(trial: Int, attempt: Int) {
        self.trial = trial
        self.attempt = attempt
    }

    public var description: String { "trial \(trial) (attempt \(attempt))" }
}

// MARK: Worker -> coordinator

/// Messages a worker sends.
public enum WorkerMessage: Sendable, Equatable {
    /// First message after (re)connecting; also the answer to `identify`.
    case hello(Hello)
    /// Idle and wanting work.
    case ready
    /// One epoch's metrics; answered with `decision`.
    case report(Report)
    /// The trial ended (completed, or stopped after a prune decision).
    case result(Result)
    /// The trial raised an error.
    case failure(Failure)
    /// Nothing else to say; proves the worker is alive.
    case heartbeat
    /// Confirms chunks read when no request carries their receipts (the last chunks of a
    /// download; ``Receipts``). Proves the worker is alive, as a heartbeat.
    case receipts([Int])
    /// The worker is shutting down; a running trial is handed back.
    case bye(Bye)
    /// A shipped data set's manifest or one chunk of it (DataTransfer.swift).
    case dataRequest(DataRequest)
    /// Part of a large checkpoint, or a request for part of one (CheckpointTransfer.swift).
    case checkpoint(CheckpointTransfer.Request)

    /// Whether this is a `hello`.
    public var isHello: Bool {
        if case .hello = self { true } else { false }
    }

    /// Whether this is a trial's `result` or `failure`.
    public var isOutcome: Bool {
        switch self {
        case .result, .failure: return true
        default: return false
        }
    }

    public struct Hello: Sendable, Equatable {
        public var worker: String
        public var host: String
        public var pid: Int
        public var version: String
        /// Cores of the machine, and BLAS threads this worker trains with.
        public var cores: Int
        public var threads: Int
        /// What it can run: `training`, `synthetic`.
        public var capabilities: [String]
        /// The trial it is still running from before a reconnect, if any.
        public var running: Running?
        /// Which process it is, so a coordinator on the same machine sees it exit at once
        /// (nil: judged by heartbeats only).
        public var process: ProcessIdentity?

        public struct Running: Sendable, Equatable {
            public var trial: Int
            public var attempt: Int
            /// The last epoch it finished (0 if none).
            public var epoch: Int
            /// The study the trial is of (nil from older workers): a worker serving study
            /// after study (`--forever`, a stable `--id`) holds trial 3 attempt 1 of one study
            /// while another study, resumed, has a trial 3 attempt 1 left by a crash; adopted
            /// by number alone, its values were recorded as that trial's.
            public var study: String?
            public init(trial: Int, attempt: Int, epoch: Int, study: String? = nil) {
                self.trial = trial
                self.attempt = attempt
                self.epoch = epoch
                self.study = study
            }
        }

        public init(worker: String, host: String, pid: Int, version: String, cores: Int, threads: Int, capabilities: [String], running: Running?,
                    process: ProcessIdentity? = nil) {
            self.worker = worker
            self.host = host
            self.pid = pid
            self.version = version
            self.cores = cores
            self.threads = threads
            self.capabilities = capabilities
            self.running = running
            self.process = process
        }
    }

    public struct Report: Sendable, Equatable {
        /// Metrics one report may carry (a coordinator refuses more), and the longest name
        /// kept (bytes): a report stays far below the frame limit.
        public static let maxMetrics = 256
        public static let maxMetricNameBytes = 200

        public var trial: Int
        public var attempt: Int
        /// 1-based.
        public var epoch: Int
        /// The objective metric's value this epoch (nil if not finite).
        public var value: Double?
        public var metrics: [String: Double]
        public var seconds: Double?
        /// The trial's state after this epoch, to resume it from (a checkpoint file,
        /// docs/model-format.md, or a command trial's checkpoint archive); sent as a second
        /// frame. The coordinator keeps the latest one per trial.
        public var checkpoint: [UInt8]?
        /// Why a checkpoint due with this report was not sent (a command trial's directory
        /// over the size limit, unchanged since the last report, ...), so that the
        /// coordinator can say why PBT or ASHA promotions do not pause the trial.
        public var checkpointSkipped: String?
        /// The checkpoint after this epoch was sent before the report in parts of this many
        /// bytes in all (a large one, ``CheckpointTransfer``); nil: none, or `checkpoint`.
        public var checkpointParts: Int?
        /// Characters of `checkpointSkipped` kept.
        public static let maxSkipNoteCharacters = 300

        public init(trial: Int, attempt: Int, epoch: Int, value: Double?, metrics: [String: Double], seconds: Double? = nil,
                    checkpoint: [UInt8]? = nil, checkpointSkipped: String? = nil, checkpointParts: Int? = nil) {
            self.trial = trial
            self.attempt = attempt
            self.epoch = epoch
            self.value = value
            self.metrics = metrics
            self.seconds = seconds
            self.checkpoint = checkpoint
            self.checkpointSkipped = checkpointSkipped
            self.checkpointParts = checkpointParts
        }
    }

    public struct Result: Sendable, Equatable {
        public var trial: Int
        public var attempt: Int
        /// `complete`, or `pruned` when the worker stopped after a prune decision.
        public var state: Ending
        /// The final objective value.
        public var value: Double?
        public var metrics: [String: Double]
        public var epochs: Int
        /// Whether the worker wants another trial right away (saves a round trip).
        public var ready: Bool
        /// The trained model (a model file, docs/model-format.md) when the assignment asked
        /// for it; sent as a second frame.
        public var model: [UInt8]?
        /// A command trial's last output (stdout and stderr as they came, bounded).
        public var log: String?
        /// The trial's last report, sent inside its result to a coordinator that accepts it
        /// (``Wire/lastReportInResultCapability``): handled exactly as if it had come right
        /// before the result. Its trial and attempt are the result's; it carries no checkpoint.
        public var lastReport: Report?

        /// How a trial ended on its worker (`result.state`).
        public enum Ending: String, Sendable, Equatable, CaseIterable {
            case complete
            case pruned
        }

        public init(trial: Int, attempt: Int, state: Ending, value: Double?, metrics: [String: Double], epochs: Int, ready: Bool,
                    model: [UInt8]? = nil, log: String? = nil, lastReport: Report? = nil) {
            self.trial = trial
            self.attempt = attempt
            self.lastReport = lastReport
            self.state = state
            self.value = value
            self.metrics = metrics
            self.epochs = epochs
            self.ready = ready
            self.model = model
            self.log = log
        }
    }

    public struct Failure: Sendable, Equatable {
        /// Characters of `error` kept: the cause and a command's stderr tail (~4,000).
        public static let maxErrorCharacters = 8000
        /// Characters of a command trial's `log` tail kept (~4,000 sent).
        public static let maxLogCharacters = 8000

        public var trial: Int
        public var attempt: Int
        public var error: String
        public var ready: Bool
        /// A command trial's last output (stdout and stderr as they came, bounded).
        public var log: String?
        /// The trial failed by itself (its program exited non-zero, was killed or timed out,
        /// its training diverged), not because of the worker: no strike towards quarantine.
        public var trialFault: Bool
        /// The program ran to its end (exit 0) and reported, but never the objective: a name
        /// that differs between the program and the sweep file (`objective_missing`).
        public var objectiveMissing: Bool

        public init(trial: Int, attempt: Int, error: String, ready: Bool, log: String? = nil, trialFault: Bool = false, objectiveMissing: Bool = false) {
            self.trial = trial
            self.attempt = attempt
            self.error = error
            self.ready = ready
            self.log = log
            self.trialFault = trialFault
            self.objectiveMissing = objectiveMissing
        }
    }

    public struct Bye: Sendable, Equatable {
        public var reason: String
        /// The trial handed back, if one was running.
        public var trial: Int?
        public var attempt: Int?

        public init(reason: String, trial: Int? = nil, attempt: Int? = nil) {
            self.reason = reason
            self.trial = trial
            self.attempt = attempt
        }
    }
}

// MARK: Coordinator -> worker

/// Messages the coordinator sends.
public enum CoordinatorMessage: Sendable, Equatable {
    /// Answer to `hello`: the study, timing, and what became of a trial the worker still runs.
    case welcome(Welcome)
    /// Run this trial.
    case assign(Assign)
    /// Answer to a `report`: continue or prune.
    case decision(Decision)
    /// Nothing to hand out right now; stay connected (an `assign` follows when work appears).
    case noWork(reason: String)
    /// The study is over (budget spent); leave.
    case stop(reason: String)
    /// Drop this trial: its lease is no longer yours.
    case cancel(TrialRef, reason: String)
    /// The coordinator does not know this worker (e.g. after a restart): send `hello`.
    case identify
    /// Proves the coordinator is alive.
    case heartbeat
    /// The last message was refused (bad version, malformed); says why.
    case error(String)
    /// The worker failed trial after trial while others succeeded: it gets no more work
    /// and should exit (non-zero) so that its scheduler replaces it.
    case quarantine(reason: String)
    /// The worker cannot serve this study: it lacks a capability the study's trials need
    /// (`command` without `--allow-commands`), or its id belongs to another worker that is
    /// connected. It gets no work; it should exit non-zero, or, serving study after study
    /// (`--forever`), wait for the next one.
    case refuse(reason: String)
    /// The answer to a `data_request` (DataTransfer.swift).
    case data(DataReply)
    /// The answer to a `checkpoint_part` or `checkpoint_request` (CheckpointTransfer.swift).
    case checkpoint(CheckpointTransfer.Reply)

    public struct Welcome: Sendable, Equatable {
        public var study: String
        public var heartbeatMs: Int
        /// Missed heartbeats after which a peer counts as dead.
        public var liveness: Int
        /// The trial the worker reported as running, if the coordinator took it back.
        public var adopted: TrialRef?
        /// What the coordinator accepts beyond the basic protocol (e.g.
        /// ``Wire/lastReportInResultCapability``); a worker uses none of it otherwise.
        public var capabilities: [String]

        public init(study: String, heartbeatMs: Int, liveness: Int, adopted: TrialRef?, capabilities: [String] = []) {
            self.study = study
            self.heartbeatMs = heartbeatMs
            self.liveness = liveness
            self.adopted = adopted
            self.capabilities = capabilities
        }

    }

    public struct Assign: Sendable, Equatable {
        public var study: String
        public var trial: Int
        public var attempt: Int
        public var seed: UInt64
        public var params: Params
        public var spec: TrialSpec
        public var maxEpochs: Int
        /// The metric whose value `report.value` carries.
        public var metric: String
        /// Whether the result should carry the trained model.
        public var keepModel: Bool
        /// The stored model a transfer-learning trial starts from (a second frame), when the
        /// configuration names one by study and trial.
        public var baseModel: [UInt8]?
        /// Send a checkpoint with every `checkpointEvery`-th epoch's report (0: never).
        public var checkpointEvery: Int
        /// Epochs where the trial pauses (PBT boundaries, ASHA rung ends): their checkpoint is
        /// always sent, whatever `checkpointEvery` and the rate say (a trial pauses only with one).
        public var pauseEpochs: [Int] = []
        /// Where this attempt starts: the checkpoint an earlier attempt sent after epoch
        /// `resume.epoch` (a frame after the base model's); the trial runs epochs `epoch + 1`...
        public var resume: Resume?

        /// A checkpoint to continue from instead of starting at epoch 1.
        public struct Resume: Sendable, Equatable {
            /// The last epoch the checkpoint covers.
            public var epoch: Int
            /// The checkpoint, attached to the assignment (empty when `parts` is set).
            public var checkpoint: [UInt8]
            /// A large checkpoint is not attached: the worker fetches the stored file of this
            /// many bytes in parts (``CheckpointTransfer``).
            public var parts: Int?

            public init(epoch: Int, checkpoint: [UInt8], parts: Int? = nil) {
                self.epoch = epoch
                self.checkpoint = checkpoint
                self.parts = parts
            }
        }

        public init(study: String, trial: Int, attempt: Int, seed: UInt64, params: Params, spec: TrialSpec, maxEpochs: Int, metric: String,
                    keepModel: Bool = false, baseModel: [UInt8]? = nil, checkpointEvery: Int = 0, resume: Resume? = nil, pauseEpochs: [Int] = []) {
            self.pauseEpochs = pauseEpochs
            self.study = study
            self.trial = trial
            self.attempt = attempt
            self.seed = seed
            self.params = params
            self.spec = spec
            self.maxEpochs = maxEpochs
            self.metric = metric
            self.keepModel = keepModel
            self.baseModel = baseModel
            self.checkpointEvery = checkpointEvery
            self.resume = resume
        }

    }

    public struct Decision: Sendable, Equatable {
        public var trial: Int
        public var attempt: Int
        public var epoch: Int
        public var action: PruneAction
        public var reason: String

        public init(trial: Int, attempt: Int, epoch: Int, action: PruneAction, reason: String) {
            self.trial = trial
            self.attempt = attempt
            self.epoch = epoch
            self.action = action
            self.reason = reason
        }

        /// Whether the trial stops after this epoch (pruned, or paused by a scheduler).
        public var prune: Bool { action != .continue }
    }
}

