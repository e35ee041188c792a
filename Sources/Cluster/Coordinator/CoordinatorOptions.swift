import SweepSupport
/// How a coordinator listens and judges liveness.
public struct CoordinatorOptions: Sendable {
    /// ZeroMQ endpoint to bind, e.g. `tcp://127.0.0.1:5555` (`:0` picks a free port).
    public var bind: String
    /// Heartbeat interval; both sides send one when they have sent nothing else for this long.
    public var heartbeatMs: Int
    /// Missed heartbeats after which a worker counts as dead (3-5 is usual).
    public var liveness: Int
    /// ``heartbeatMs`` in seconds.
    public var heartbeatSeconds: Double { Double(heartbeatMs) / 1000 }
    /// Silence after which a worker counts as dead: ``liveness`` heartbeats.
    public var livenessTimeoutSeconds: Double { Double(heartbeatMs * liveness) / 1000 }
    /// Messages larger than this are dropped (and the peer disconnected by libzmq).
    public var maxMessageBytes: Int
    /// The JSON part of a worker message is never larger than this (only a model
    /// attachment is): a bigger one is dropped unread and its peer disconnected.
    public var maxJSONBytes: Int
    /// Bytes one connection may send per second before it is disconnected (its messages
    /// in that second beyond the budget are dropped unread). Bounds the coordinator's memory
    /// against a flooding peer; a worker sends far less (a model per finished trial at most).
    public var peerBytesPerSecond: Int
    /// Messages libzmq queues per connection, inbound and outbound: a worker has a few in
    /// flight; beyond this libzmq stops reading a flooding peer, and drops what a peer that
    /// does not read would be sent.
    public var receiveQueueMessages: Int
    public var sendQueueMessages: Int
    /// After a restart, how long RUNNING trials wait for their worker before being re-queued.
    public var orphanGraceSeconds: Double
    /// After the study ends, how long to keep answering before the loop returns (0: return
    /// as soon as `stop` is queued for every worker; closing the socket still delivers it).
    public var drainSeconds: Double
    /// Where trained models are kept (nil: models are not kept, whatever the sweep file says).
    public var artifacts: ArtifactDirectory?
    /// The database as the user named it, for the commands messages give (`--db PATH`).
    public var databasePath: String?

    /// The largest data set shipped to workers that lack its files (0: none is shipped).
    public var maxShippedDataBytes = DataTransfer.defaultMaxShippedBytes
    /// Bytes the latest checkpoints of running trials may take together beside the
    /// database (one per trial; 0 keeps none, so re-queued trials start over).
    public var checkpointBytes: Int
    /// A worker whose last trial took less than this is leased its next trial while it
    /// runs the current one (when it has the `ahead` capability and the study does not
    /// pause trials): for trials of a few milliseconds the round trip between a result and
    /// the next assignment is most of the cost. Longer trials gain nothing and would keep
    /// a trial from the sampler's view and from idle workers, so they get one at a time.
    /// 0 turns leasing ahead off.
    public var aheadBelowSeconds: Double
    /// How much of a short-trial worker's time it holds ahead: enough that results arrive
    /// in batches (one commit and one wake-up for several trials) and that the worker does
    /// not run dry while the coordinator handles a batch, little enough that a lost worker
    /// hands back little and the end of a study is not held by one worker. (20 ms: with
    /// zero-cost trials and one worker, 21% more trials/s than 5 ms.)
    public var aheadSeconds: Double
    /// How long the loop may hold messages that nobody waits for (outcomes of workers that
    /// hold trials ahead, see ``aheadBelowSeconds``) to handle and commit them together with
    /// the ones that follow: one transaction and one wake-up of each worker for many
    /// trials of a few milliseconds. Kept well under the work a worker holds ahead
    /// (``aheadSeconds``), so none runs dry; any other message ends the wait at once. 0 handles
    /// every message as soon as it is read.
    public var gatherSeconds: Double
    /// The loop gathers only while it would spend less than this share of its time handling
    /// messages if it did (see `LoadGauge`): a busier loop's batches grow by themselves,
    /// and a wait would leave its workers' results unread. 0.5 by default; `.infinity`
    /// gathers whatever the load.
    public var gatherBelowLoad: Double
    /// A connection that has sent no message this long after it was accepted is closed: a
    /// worker says hello at once and beats every heartbeat after (idle connections held a
    /// descriptor each for good: 20,000 of them reached the limit, and new workers could not
    /// join). 30 s by default.
    public var silentConnectionSeconds = 30.0
    /// How long the coordinator waits for another process's lock on the database (a
    /// `sqlite3` shell in a transaction) before it ends the run, answering its workers and
    /// keeping their messages meanwhile. 10 minutes by default.
    public var databaseLockSeconds = 600.0

    public init(bind: String = "tcp://127.0.0.1:5555", heartbeatMs: Int = 1000, liveness: Int = 5,
                maxMessageBytes: Int = Wire.defaultMaxMessageBytes, maxJSONBytes: Int = 1 << 20,
                peerBytesPerSecond: Int? = nil, receiveQueueMessages: Int = 100, sendQueueMessages: Int = 1000,
                orphanGraceSeconds: Double? = nil, drainSeconds: Double = 0, artifacts: ArtifactDirectory? = nil,
                checkpointBytes: Int = 2 << 30, aheadBelowSeconds: Double = 0.1, aheadSeconds: Double = 0.02,
                gatherSeconds: Double = 0.002, gatherBelowLoad: Double = 0.5) {
        self.bind = bind
        self.heartbeatMs = heartbeatMs
        self.liveness = liveness
        self.maxMessageBytes = maxMessageBytes
        self.maxJSONBytes = maxJSONBytes
        // Room for a few of the largest messages (models) per second.
        self.peerBytesPerSecond = peerBytesPerSecond ?? max(64 << 20, 4 * maxMessageBytes)
        self.receiveQueueMessages = receiveQueueMessages
        self.sendQueueMessages = sendQueueMessages
        // Long enough for a worker to notice the silence, back off (up to 10 s) and reconnect.
        self.orphanGraceSeconds = orphanGraceSeconds ?? Double(heartbeatMs * liveness * 2 + WorkerOptions.defaultReconnectMaxMs) / 1000
        self.drainSeconds = drainSeconds
        self.artifacts = artifacts
        self.checkpointBytes = checkpointBytes
        self.aheadBelowSeconds = aheadBelowSeconds
        self.aheadSeconds = aheadSeconds
        self.gatherSeconds = gatherSeconds
        self.gatherBelowLoad = gatherBelowLoad
    }
}

extension CoordinatorOptions {
    /// `sweep resume STUDY --db PATH`, to copy from a message.
    public func resumeCommand(_ study: String) -> String {
        ShellCommand.resume(study, database: databasePath)
    }
}
