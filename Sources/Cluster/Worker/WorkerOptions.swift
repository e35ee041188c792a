import Foundation
import SweepSupport
import Training

/// How a worker connects and behaves.
public struct WorkerOptions: Sendable {
    /// The coordinator's endpoint, e.g. `tcp://10.0.0.5:5555`.
    public var connect: String
    /// Stable identity (routing id); default `HOST-PID-RANDOM`.
    public var id: String
    /// Leave after this many trials (nil: until the study ends).
    public var maxTrials: Int?
    public var heartbeatMs: Int
    /// Missed heartbeats after which the coordinator counts as gone and the worker reconnects.
    public var liveness: Int
    /// Reconnect back-off: first delay and cap, in milliseconds (doubling in between).
    public var reconnectInitialMs: Int
    public var reconnectMaxMs: Int
    /// The default cap of the back-off; the coordinator's grace periods for returning
    /// workers (orphaned trials, a stall of its own) allow for it.
    public static let defaultReconnectMaxMs = 10_000
    /// Keep running after `stop` and reconnect for the next study (long-lived workers).
    public var forever: Bool
    /// Give up when no coordinator answered for this long (nil: never).
    public var giveUpAfterSeconds: Double?
    /// BLAS threads for training (1 is right when each core runs its own worker).
    public var threads: Int
    /// How long training waits for the answer to an epoch report before going on.
    public var decisionWaitSeconds: Double
    /// CURVE keys, when the coordinator requires them.
    public var curve: WorkerCurveKeys?
    /// Run command trials (the user's programs); without it a command trial fails with a
    /// message saying so. Off by default: until commands, messages carried only data.
    public var allowCommands = false
    /// Where each command trial's stdout/stderr is kept (`STUDY/trial-N.attempt-M.{out,err}`).
    public var logDirectory: String = WorkerOptions.defaultLogDirectory
    /// A `sweep worker`'s log directory without `--log-dir`: `$TMPDIR/sweep-logs-UID`, this
    /// user's only (mode 0700; a fresh one when another user took the name first: the logs
    /// and parameters of every trial were readable, and a link planted there had the worker
    /// overwrite and delete files of its user's elsewhere).
    public static let defaultLogDirectory = PrivateDirectory.inTemporary("sweep-logs")
    /// Bytes of each stream kept per attempt; the rest is dropped (and counted in the log).
    public var maxLogBytes = 8 << 20
    /// Bytes all command logs in ``logDirectory`` may take: the oldest attempts' files are
    /// removed past it (nil: all are kept, as for `sweep run`'s local workers, whose logs
    /// are the study's, next to its database).
    public var keptLogBytes: Int? = 1 << 30
    /// The host name announced to the coordinator (for `sweep status`, workers per host).
    public var host: String = ProcessInfo.processInfo.hostName
    /// Where data sets shipped by coordinators are kept, by content (`--data-cache`).
    public var dataCache: String = DataContentCache.defaultDirectory

    public init(connect: String, id: String? = nil, maxTrials: Int? = nil, heartbeatMs: Int = 1000, liveness: Int = 5,
                reconnectInitialMs: Int = 250, reconnectMaxMs: Int = WorkerOptions.defaultReconnectMaxMs, forever: Bool = false,
                giveUpAfterSeconds: Double? = nil, threads: Int = 1, decisionWaitSeconds: Double = 10, curve: WorkerCurveKeys? = nil) {
        self.connect = connect
        self.id = id ?? WorkerOptions.defaultID()
        self.maxTrials = maxTrials
        self.heartbeatMs = heartbeatMs
        self.liveness = liveness
        self.reconnectInitialMs = reconnectInitialMs
        self.reconnectMaxMs = reconnectMaxMs
        self.forever = forever
        self.giveUpAfterSeconds = giveUpAfterSeconds
        self.threads = threads
        self.decisionWaitSeconds = decisionWaitSeconds
        self.curve = curve
    }

    /// `HOST-PID-XXXX`: unique per process, readable in `sweep status`.
    public static func defaultID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        return "\(host)-\(getpid())-\(suffix)"
    }
}

/// A worker's CURVE keys and the coordinator's public key.
public struct WorkerCurveKeys: Sendable, Hashable {
    public var publicKey: String
    public var secretKey: String
    public var serverKey: String

    public init(publicKey: String, secretKey: String, serverKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
        self.serverKey = serverKey
    }
}
