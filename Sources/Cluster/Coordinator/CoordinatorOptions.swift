/// How a coordinator listens and judges liveness.
public struct CoordinatorOptions: Sendable {
    /// ZeroMQ endpoint to bind, e.g. `tcp://127.0.0.1:5555` (`:0` picks a free port).
    public var bind: String
    /// Heartbeat interval; both sides send one when they have sent nothing else for this long.
    public var heartbeatMs: Int
    /// Missed heartbeats after which a worker counts as dead (3-5 is usual).
    public var liveness: Int
    /// Messages larger than this are dropped (and the peer disconnected by libzmq).
    public var maxMessageBytes: Int
    /// After a restart, how long RUNNING trials wait for their worker before being re-queued.
    public var orphanGraceSeconds: Double
    /// After the study ends, how long to keep answering so every worker hears `stop`.
    public var drainSeconds: Double
    /// Where trained models are kept (nil: models are not kept, whatever the sweep file says).
    public var artifacts: ArtifactDirectory?

    public init(bind: String = "tcp://127.0.0.1:5555", heartbeatMs: Int = 1000, liveness: Int = 5,
                maxMessageBytes: Int = Wire.defaultMaxMessageBytes, orphanGraceSeconds: Double? = nil,
                drainSeconds: Double = 1.0, artifacts: ArtifactDirectory? = nil) {
        self.bind = bind
        self.heartbeatMs = heartbeatMs
        self.liveness = liveness
        self.maxMessageBytes = maxMessageBytes
        // Long enough for a worker to notice the silence, back off (up to 10 s) and reconnect.
        self.orphanGraceSeconds = orphanGraceSeconds ?? Double(heartbeatMs * liveness * 2) / 1000 + 10
        self.drainSeconds = drainSeconds
        self.artifacts = artifacts
    }
}
