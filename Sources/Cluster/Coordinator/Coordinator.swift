import Foundation
import Search
import Store
import Synchronization
import SweepFile
import SweepSupport
import ZeroMQ

/// What a coordinator run ended with.
public struct CoordinatorSummary: Sendable {
    public var study: String
    /// Why the loop ended: the study finished, or the run was interrupted.
    public var finished: Bool
    public var reason: String
    public var counters: CoordinatorCounters
    public var seconds: Double
    /// The study stopped before its budget because every trial of this run failed
    /// (`reason` says which error); `sweep resume` runs the rest after a fix.
    public var gaveUp = false
    /// The study stopped before its budget because its data changed under it (`reason`
    /// says how); `sweep resume` runs the rest once it is restored.
    public var dataChanged = false
    /// The database file was removed or replaced while the study ran: the run stopped, and
    /// what it recorded was copied (``LostDatabase``).
    public var databaseLost: LostDatabase?
}

/// What became of a database file removed or replaced while its study ran.
public struct LostDatabase: Sendable {
    /// Whether it was removed, or another file took its name.
    public var removed: Bool { change == .removed }
    let change: DatabaseFileWatch.Change
    /// `removed` or `replaced by another file`.
    public var what: String { change.rawValue }
    /// Where the run's records were copied (nil: the copy failed too; the summary's
    /// `reason` says why).
    public var rescuedTo: String?
}

/// The coordinator: one thread, one ROUTER socket, one poll loop, the only writer of the
/// study's database.
///
/// Each loop iteration drains the waiting messages (up to a batch), handles them in one
/// `BEGIN IMMEDIATE` transaction together with the timers (liveness, re-queueing,
/// dispatch), commits, and only then sends the replies: a worker is never told something
/// the database does not hold.
public final class Coordinator {
    public let options: CoordinatorOptions
    let store: SweepStore
    let core: CoordinatorCore
    private let context: Context
    private let router: Socket
    private let codec: WireCodec
    private let log: Log
    private var lastSent: [String: Double] = [:]
    /// Time for liveness, deadlines and records (see ``MonotonicClock``).
    private let clock = MonotonicClock()
    /// The endpoint actually bound (with the real port when binding `:0`).
    public let endpoint: String
    /// The second endpoint for workers on this machine, once ``listenLocally(_:)`` bound it.
    public private(set) var localEndpoint: String?
    /// Optional authentication: checks ZAP requests in the same loop (see `Security`).
    private let authenticator: Authenticator?
    /// Whether workers must show a key (`--keys`, CURVE).
    public var requiresKeys: Bool { authenticator != nil }
    /// Connection events of the ROUTER, to log handshake failures (e.g. a plain client
    /// against CURVE) with the peer's address.
    private let monitor: Socket
    private var handshakeFailures = 0
    /// Peer addresses of open connections by file descriptor (from ACCEPTED events).
    private var peers: [UInt32: String] = [:]
    /// A handshake failed; the DISCONNECTED event that follows names its connection.
    private var pendingFailure: String?
    /// Held while this coordinator runs its study (until ``close()``).
    private var lock: StudyLock?
    /// CURVE: the key each worker id first connected with.
    private var keyOfWorker = WorkerKeyBindings()
    /// Bytes received per connection (by descriptor) in the current one-second window.
    private var bytesByConnection: [Int32: Int] = [:]
    /// Connections cut off in the current window: their queued messages are dropped unread.
    private var cutOff: Set<Int32> = []
    /// The worker id each open connection last carried, and the connection each id last
    /// came on (by descriptor): see ``noteConnection(of:fd:)``.
    private var workerOfConnection: [Int32: String] = [:]
    private var connectionOfWorker: [String: ConnectionID] = [:]
    /// Workers whose noted connection closed (DISCONNECTED) and that have not spoken since:
    /// their next message is met with `identify` unless it is a hello (see the poll loop).
    private var lostConnection: Set<String> = []
    /// Connections that have sent no message since they were accepted, with when they were:
    /// closed after `options.silentConnectionSeconds` (see ``closeSilentConnections(now:)``).
    private var silentSince: [Int32: (at: Double, connection: ConnectionID)] = [:]
    private var budgetWindow = 0.0
    /// Chunks sent to each worker and not yet confirmed read (bounds what a peer that asks
    /// and does not read makes libzmq hold).
    private var unconfirmed = UnconfirmedAnswers()
    /// Until when a refused handshake or a message without a routing id is the stall's
    /// doing (a stopped coordinator's own local workers timed out and reconnected), logged
    /// as information, not as a warning about a peer.
    private var quietPeerWarningsUntil = -Double.infinity
    private static let afterStallSeconds = 10.0
    /// How long one try to write a batch waits for another process's lock on the database
    /// before the loop answers its workers and tries again.
    static let lockLook = 0.1
    /// The database file, watched for being removed or replaced while the study runs.
    private var databaseWatch: DatabaseFileWatch?
    /// How often the loop looks for messages while it gathers (see ``CoordinatorOptions/gatherSeconds``):
    /// the most a message that may not wait is delayed by a gathering under way.
    static let gatherLook = 0.0005
    /// Receives per-batch counts and latencies (`sweep run --dashboard`); nil: none kept.
    public var metrics: (any CoordinatorMetricsSink)?
    /// The study's data set, for workers that lack its files.
    private let shelf: DataShelf

    /// Creates a new study from `definition` (fails if the name exists) and binds.
    public static func create(_ definition: SweepDefinition, store: SweepStore, options: CoordinatorOptions,
                              security: SecurityOptions = .loopbackOnly, log: Log = Log(label: "coordinator")) throws -> Coordinator {
        try security.check(bind: options.bind)
        let options = withArtifacts(options, store)
        let lock = try store.path.map { try StudyLock(database: $0, study: definition.study) }
        // Bind before the study is written: a busy port must not leave a study behind.
        return try Coordinator(store: store, options: options, security: security, lock: lock, log: log) { tx, now in
            let core = try CoordinatorCore(creating: definition, options: options, tx: tx, now: now)
            try tx.setDataFingerprint(studyID: core.study.id, DataShelf.fingerprint(of: definition)?.description)
            return core
        }
    }

    /// Re-opens a study from its database (the sweep file is the copy stored with it).
    ///
    /// `checkData` gets the stored definition and the data fingerprint recorded when the
    /// study started (nil if none); it throws when the data changed and returns the
    /// definition with the current fingerprint, which is recorded and sent with every trial.
    public static func resume(study name: String, store: SweepStore, options: CoordinatorOptions, addTrials: Int = 0,
                              security: SecurityOptions = .loopbackOnly, log: Log = Log(label: "coordinator"),
                              checkData: (SweepDefinition, String?) throws -> SweepDefinition = { d, _ in d }) throws -> Coordinator {
        try security.check(bind: options.bind)
        let options = withArtifacts(options, store)
        let lock = try store.path.map { try StudyLock(database: $0, study: name) }
        let stored = try store.read { try $0.requireStudy(named: name) }
        let recorded = try store.read { try $0.dataFingerprint(studyID: stored.id) }
        let definition = try checkData(try SweepDefinition.stored(stored), recorded)
        return try Coordinator(store: store, options: options, security: security, lock: lock, log: log) { tx, now in
            var study = stored
            if addTrials > 0 {
                let budget = definition.cappedBudget(study.definition.budgetTrials + addTrials)
                try tx.setBudget(study.id, trials: budget)
                study.definition.budgetTrials = budget
            }
            if let current = DataShelf.fingerprint(of: definition)?.description, current != recorded {
                try tx.setDataFingerprint(studyID: study.id, current)
                // Accepted (`--force`) changed data: checkpoints made on the old data may not
                // even fit the network (another class count failed every handed-back trial).
                if recorded != nil, let dir = options.artifacts?.absolute("\(study.name)/checkpoints"), FileManager.default.fileExists(atPath: dir) {
                    try? FileManager.default.removeItem(atPath: dir)
                    try tx.appendEvent(studyID: study.id, kind: .warning,
                                       message: "the data changed since the study began: unfinished trials start over (their checkpoints were made on the old data)", at: now)
                }
            }
            return try CoordinatorCore(resuming: study, definition: definition, options: options, queries: tx.queries, tx: tx, now: now)
        }
    }

    /// Models are kept beside a file database unless the caller chose a directory.
    private static func withArtifacts(_ options: CoordinatorOptions, _ store: SweepStore) -> CoordinatorOptions {
        var options = options
        if options.artifacts == nil, let path = store.path { options.artifacts = ArtifactDirectory(database: path) }
        return options
    }

    private init(store: SweepStore, options: CoordinatorOptions, security: SecurityOptions, lock: StudyLock?, log: Log,
                 makeCore: (StoreTransaction, Double) throws -> CoordinatorCore) throws {
        self.store = store
        self.options = options
        self.log = log
        self.lock = lock
        self.codec = WireCodec(maxMessageBytes: options.maxMessageBytes)
        databaseWatch = DatabaseFileWatch(path: store.path)
        context = try Context()
        authenticator = try security.makeAuthenticator(context: context, log: log)
        router = try Socket(context, .router)
        try router.setRouterMandatory(true)
        // Without CURVE a reconnecting worker takes its id back at once. With CURVE an id
        // stays with the connection that holds it: another key claiming it is not routed
        // at all (handover would cut the victim off), and a connection that died silently
        // is closed by TCP keepalives, freeing the id for its worker. (Not ZMTP heartbeats:
        // libzmq 4.3 asserts when their timer fires on a connection that failed while its
        // input was paused at the high-water mark.)
        try router.setRouterHandover(security.curve == nil)
        try router.setTCPKeepalive(idleSeconds: Int32(max(1, options.heartbeatMs * options.liveness / 1000)), intervalSeconds: 1, probes: 3)
        try router.setMaxMessageSize(Int64(options.maxMessageBytes))
        // Per connection: what a worker has in flight is a few messages; more is a flood
        // (libzmq then stops reading that peer's socket) or a peer that does not read.
        try router.setSendHighWaterMark(Int32(options.sendQueueMessages))
        try router.setReceiveHighWaterMark(Int32(options.receiveQueueMessages))
        try security.configureServer(router)
        monitor = try router.monitor([.handshakeFailures, .accepted, .disconnected], endpoint: "inproc://sweep-router-monitor-\(UUID().uuidString)", context: context)
        try router.bind(options.bind)
        endpoint = router.lastEndpoint
        lock?.noteEndpoint(endpoint)
        let now = clock.now
        core = try store.write { tx in try makeCore(tx, now) }
        shelf = DataShelf(definition: core.definition, maxBytes: options.maxShippedDataBytes)
    }

    /// Also listens on `endpoint` (an `ipc://` path, see ``LocalEndpoint``) for the workers
    /// started on this machine; workers elsewhere keep using ``endpoint``.
    ///
    /// One ROUTER serves both: routing ids, handover and the message limits are the
    /// socket's, so a worker is the same worker whichever endpoint it comes through. The
    /// security settings (CURVE and its ZAP check) were set before this bind, and libzmq
    /// applies a socket's options to every endpoint bound after them.
    public func listenLocally(_ endpoint: String) throws {
        try router.bind(endpoint)
        localEndpoint = endpoint
    }

    /// The study being run.
    public var studyName: String { core.study.name }
    public var studyID: Int64 { core.study.id }

    /// How long a finished study waits for pruned command trials' output tails.
    static let logTailWait = 2.0

    /// Trials workers run right now, not those held ahead (read on the loop's thread, e.g.
    /// in `onStop`).
    public var runningTrials: Int { core.startedLeaseCount }

    /// Runs the poll loop until the study finishes or `stop` is requested.
    ///
    /// On a stop request, `onStop` runs once (e.g. to signal local workers) and, with
    /// `drainSeconds > 0`, the loop keeps serving without handing out work until every
    /// running trial was handed back or finished, or the time is up. Trials still running
    /// then stay RUNNING in the database for `sweep resume`. When `force` is set (a second
    /// Ctrl-C), every trial still held is recorded as handed back at once, so a resume
    /// re-queues it without waiting for its lease, and the loop returns.
    public func run(stop: AtomicFlag = AtomicFlag(), force: AtomicFlag = AtomicFlag(), drainSeconds: Double = 0,
                    onStop: () -> Void = {}) throws -> CoordinatorSummary {
        let started = clock.now
        // Commits never wait for a checkpoint of the WAL: another thread makes them.
        let checkpoints = try WALCheckpointer(store: store)
        defer { checkpoints?.stop() }
        log.info("study '\(core.study.name)' on \(endpoint): budget \(core.study.definition.budgetTrials) trials, \(core.definition.maxEpochs) epoch(s) each")
        var sockets = [router, monitor]
        if let auth = authenticator { sockets.append(auth.socket) }
        var poller = Poller(sockets)
        let heartbeat = options.heartbeatSeconds
        let tickInterval = min(0.25, heartbeat / 4)
        var nextTick = 0.0
        var finishedAt: Double?
        var drainDeadline: Double?
        let batchLimit = 512
        /// How long the last batch took (a slow commit delays reading heartbeats).
        var lastBatchSeconds = 0.0
        /// When liveness was last judged (a flood must delay verdicts, never suppress them).
        var lastJudged = clock.now
        /// Messages read and not yet handled, decoded (or the violation that stopped them).
        var batch: [(id: String, peer: String?, message: Result<WorkerMessage, ProtocolViolation>)] = []
        batch.reserveCapacity(512)
        var batchBytes = 0
        /// While every message read so far may wait (``CoordinatorCore/mayWait``), the loop
        /// reads on until this time before it handles them in one transaction.
        var gatherUntil: Double?
        /// When the gathering under way began (the first message it holds was read).
        var gatherStart: Double?
        /// Outcomes per worker read and not yet handled (for ``CoordinatorCore/mayWait``).
        var waitingOutcomes: [String: Int] = [:]
        /// The loop gathers only while it has idle time to spend on it.
        var load = LoadGauge()
        /// Since when another process holds the database's write lock (the batch waits), up
        /// to when the workers were credited for it, and when it was last said.
        var lockedSince: Double?
        var lockCredited = 0.0
        var lockSaidAt = 0.0

        /// When the loop last looked at the clock. It looks before and after each poll (at
        /// most 0.1 s), so a gap of more than a heartbeat means this process was not
        /// listening (SIGSTOP, a suspended VM, a machine starved of CPU, a slow commit).
        var lastAwake = clock.now
        var wokeFromStall = false
        func noteAwake() {
            let now = clock.now
            if now - lastAwake > heartbeat {
                core.wasDeaf(for: now - lastAwake - heartbeat)
                wokeFromStall = true
                quietPeerWarningsUntil = now + Self.afterStallSeconds
            }
            lastAwake = now
        }

        // The first tick runs at once: it settles orphans and starts dispatching.
        while true {
            // A stall is credited to every worker, and no verdict comes in the round that
            // noticed it: the I/O thread gets a round to read what they sent meanwhile.
            wokeFromStall = false
            noteAwake()
            let now = clock.now
            if force.isSet && !core.finished {
                // (Not waited for while another process locks the database: its trials then
                // stay RUNNING, which a resume re-queues as well.)
                let wrote = try store.writeUnlessLocked(waitingAtMost: Self.lockLook) { tx in
                    try core.handBackAll(reason: "the coordinator was interrupted twice", now: now, tx: tx)
                    try core.interrupt(now: now, tx: tx)
                }
                log.info("interrupted twice: \(wrote ? "every running trial was handed back" : "the database is locked by another process, so the running trials stay RUNNING"); continue with `\(options.resumeCommand(core.study.name))`")
                return summary(finished: false, reason: "interrupted twice", started: started)
            }
            if stop.isSet && drainDeadline == nil {
                drainDeadline = now + drainSeconds
                core.draining = true
                onStop()
            }
            if let deadline = drainDeadline, now >= deadline || core.leaseCount == 0, !core.finished {
                // A Ctrl-C while another process locks the database waits for it as long as a
                // batch would, answering the workers; past that, a second Ctrl-C leaves.
                guard try store.writeUnlessLocked(waitingAtMost: Self.lockLook, { tx in try core.interrupt(now: now, tx: tx) }) else {
                    if now >= nextTick {
                        sendHeartbeats(now: now)
                        nextTick = now + tickInterval
                    }
                    if lockedSince == nil { lockedSince = now }
                    if let since = lockedSince, now - since > options.databaseLockSeconds { throw StoreError.locked(path: store.path ?? "the database", seconds: now - since) }
                    continue
                }
                let running = core.leaseCount
                log.info("interrupted: \(running == 0 ? "no trial was running" : "\(running) running trial(s) stay RUNNING, for their workers to finish"); continue with `\(options.resumeCommand(core.study.name))`")
                return summary(finished: false, reason: "interrupted", started: started)
            }
            // A pruned command trial's output tail comes with its worker's result, just after
            // the prune: wait for it a moment (the program is stopping) before leaving.
            if let f = finishedAt, now - f >= options.drainSeconds, !core.awaitsLogTails || now - f >= Self.logTailWait {
                return summary(finished: true, reason: core.finishReason, started: started)
            }
            let polled = gatherUntil == nil
            if let until = gatherUntil {
                // Gathering: look again in a moment rather than wake for each message (the
                // worker sends one per trial); anything that may not wait is seen within
                // ``gatherLook`` and ends the gathering. (The monitor and ZAP sockets wait
                // for the next poll, at most `gatherSeconds` later.)
                usleep(UInt32(max(0, min(Self.gatherLook, until - now, nextTick - now)) * 1_000_000))
            } else {
                _ = try poller.poll(timeoutMilliseconds: min(max(0, Int((nextTick - now) * 1000)), 100))
            }
            noteAwake() // before the monitor's events: a stall inside the poll explains them
            if polled {
                if poller.isReadable(1) { logHandshakeFailures() }
                if let auth = authenticator, poller.isReadable(2) { auth.handleRequests() }
            }

            // Bounded by count and by bytes: the loop holds at most one batch in memory.
            var allMayWait = true
            // Chunk requests that waited for room over all workers, as confirmations freed it.
            for w in unconfirmed.release(now: now) {
                batch.append((w.worker, w.peer, .success(w.message)))
                allMayWait = false
            }
            while batch.count < batchLimit, batchBytes < options.maxMessageBytes, let m = try router.receive(dontWait: true) {
                guard admit(m, now: now) else { continue }
                guard m.frames.count >= 2, let id = String(validating: m.frames[0], as: UTF8.self) else {
                    if clock.now >= quietPeerWarningsUntil { core.countViolation(.invalid(type: "routing id", reason: "not UTF-8")) }
                    log.limited(clock.now < quietPeerWarningsUntil ? .info : .warning, key: "bad-id-\(m.peerAddress ?? "?")", "dropped a message from \(m.peerAddress ?? "a peer") without a UTF-8 routing id")
                    continue
                }
                // With CURVE, a worker id belongs to the key that first used it: another
                // authorized key cannot take it over (ROUTER_HANDOVER is off then, too).
                // A key revoked (removed from authorized_workers) since its handshake: its
                // connection is closed (a reconnect is then refused at the handshake).
                if let key = m.userID, !key.isEmpty, let auth = authenticator, !auth.isAllowed(key) {
                    if let fd = m.sourceFD {
                        router.cutOff(connection: fd)
                        cutOff.insert(fd)
                    }
                    log.limited(.warning, key: "revoked-\(key)", "closed the connection of worker \(id.prefix(64)) (\(m.peerAddress ?? "?")): its key \(key) was revoked")
                    // It left with its trial handed back (RETURNED, no attempt used up): it was
                    // lost as silent seconds later, and the trial counted a crash.
                    // (Only for an id no other key holds: a revoked key cannot end another's session.)
                    if core.workers[id] != nil, keyOfWorker.keyOfWorker[id].map({ $0.key == key }) ?? true, !batch.contains(where: { entry in entry.id == id && { if case .success(.bye) = entry.message { true } else { false } }() }) {
                        batch.append((id, m.peerAddress, .success(.bye(.init(reason: "its key \(key) was revoked")))))
                    }
                    continue
                }
                if let key = m.userID, !key.isEmpty, !keyOfWorker.admit(id, key: key, connected: core.workers) {
                    handshakeFailures += 1
                    log.limited(.warning, key: "stolen-\(id)", "dropped a message for worker id \(id) from another key (\(m.peerAddress ?? "?"))")
                    continue
                }
                batchBytes += m.byteCount
                let moved = m.sourceFD.map { noteConnection(of: id, fd: $0) } ?? false
                // After the identity: the JSON (after an empty delimiter from REQ-style
                // peers), then an optional attachment (a model file).
                var body = m.frames.dropFirst()
                if body.count > 1, body.first?.isEmpty == true { body = body.dropFirst() }
                let message = Result { () throws(ProtocolViolation) in try codec.decodeWorkerMessage(frames: body) }
                var admitted = true
                if case .success(let decoded) = message, let receipts = decoded.bulkReceipts {
                    admitted = admitBulkRequest(decoded, receipts: receipts, from: id, connection: connectionID(m.sourceFD), peer: m.peerAddress, now: now)
                }
                if case .success(.receipts(let receipts)) = message, core.workers[id] != nil {
                    unconfirmed.confirm(id, connection: connectionID(m.sourceFD), receipts: receipts, now: now) // (then handled as a heartbeat)
                }
                cutAbandonedConnections(of: id)
                // A known worker speaking on a new connection without saying hello: its socket
                // reconnected by itself (its connection was closed: a second process took its
                // id for a moment), and what it sent on the old one may be lost, a result among
                // them (the trial then stayed RUNNING for good, its worker asking for work).
                // Asked who it is, it says hello and, adopted, sends again what is unanswered.
                if moved || lostConnection.contains(id), case .success(let decoded) = message {
                    lostConnection.remove(id)
                    if core.workers[id] != nil, !decoded.isHello, core.shouldAskIdentity(id, now: now) { send(.identify, to: id, now: now) }
                }
                guard admitted else { continue }
                if allMayWait, case .success(let decoded) = message {
                    let before = waitingOutcomes[id, default: 0]
                    allMayWait = core.mayWait(decoded, from: id, outcomesBefore: before)
                    if decoded.isOutcome { waitingOutcomes[id] = before + 1 }
                } else {
                    allMayWait = false // (or stays so): a violation is answered at once
                }
                batch.append((id, m.peerAddress, message))
            }
            let tickDue = clock.now >= nextTick
            guard !batch.isEmpty || tickDue else { continue }
            // Results nobody waits for are gathered for a moment: one commit and one wake-up
            // of each worker for many of them (trials of a few milliseconds, held ahead).
            if !tickDue, allMayWait, drainDeadline == nil, options.gatherSeconds > 0, load.share < options.gatherBelowLoad,
               batch.count < batchLimit, batchBytes < options.maxMessageBytes {
                if gatherUntil == nil {
                    // From now, not from before the poll that found the first message.
                    let start = clock.now
                    gatherStart = start
                    gatherUntil = start + options.gatherSeconds
                }
                if let until = gatherUntil, clock.now < until { continue }
            }
            let heldSeconds = gatherStart.map { max(0, clock.now - $0) } ?? 0
            gatherUntil = nil
            gatherStart = nil
            waitingOutcomes.removeAll(keepingCapacity: true)

            var out = Outbox()
            let t = clock.now
            var violations: [(String, String?, ProtocolViolation)] = []
            var judged = false
            var reports = 0
            let wasLocked = lockedSince != nil
            // (Looked at before the write: hashing a changed data set takes long, and the
            // transaction holds the database's write lock.)
            let dataChange = tickDue ? shelf.dataChange(now: t) : nil
            let wrote = try store.writeUnlessLocked(waitingAtMost: Self.lockLook) { tx in
                for (id, peer, decoded) in batch {
                    switch decoded {
                    case .failure(let v):
                        violations.append((id, peer, v))
                    case .success(let message):
                        if case .report = message { reports += 1 }
                        if case .result(let r) = message, r.lastReport != nil { reports += 1 }
                        try core.handle(message, from: id, peerAddress: peer, now: t, tx: tx, out: &out)
                        if case .dataRequest(let r) = message, core.workers[id] != nil {
                            out.send(.data(shelf.answer(r)), to: id)
                            // (Found changed by this request: no trial more is handed out.)
                            if let change = shelf.change { try core.stopForChangedData(change, now: t, tx: tx) }
                        }
                    }
                }
                if tickDue {
                    // Heartbeats still waiting to be read must not count as missed: judge
                    // with an empty queue, or, when the batch was full (a flood), once a
                    // heartbeat interval has passed: ZeroMQ reads connections in turn, so a
                    // full batch has read what every other peer had waiting. Never right
                    // after a loop that was itself stalled.
                    let drained = batch.count < batchLimit && batchBytes < options.maxMessageBytes
                    // (Nor right after a wait for the database: their messages waited unread.)
                    let stalled = lastBatchSeconds > heartbeat || wokeFromStall || wasLocked
                    judged = (drained || t - lastJudged >= heartbeat) && !stalled
                    if let change = dataChange { try core.stopForChangedData(change, now: t, tx: tx) }
                    try core.tick(now: t, judgeLiveness: judged, tx: tx, out: &out)
                } else {
                    try core.dispatch(now: t, tx: tx, out: &out)
                }
            }
            guard wrote else {
                // Another process holds the write lock: nothing was handled. The batch is kept
                // and tried again; the workers hear heartbeats and are not judged meanwhile.
                let now = clock.now
                // Chunks of data sets and checkpoints need no database: answered now (a fetch
                // gives up after seconds without an answer, and its trial failed).
                var answers = Outbox()
                batch.removeAll { entry in
                    guard case .success(let m) = entry.message, core.workers[entry.id] != nil else { return false }
                    switch m {
                    case .dataRequest(let r): answers.send(.data(shelf.answer(r)), to: entry.id)
                    case .checkpoint(let r): answers.send(.checkpoint(core.answer(r, from: entry.id, now: now)), to: entry.id)
                    default: return false
                    }
                    return true
                }
                for (worker, message) in answers.deliverable { send(message, to: worker, now: now) }
                unconfirmed.batchAnswered()
                let since = lockedSince ?? t
                lockedSince = since
                core.wasDeaf(for: now - max(lockCredited, since))
                lockCredited = now
                if now - since > options.databaseLockSeconds {
                    throw StoreError.locked(path: store.path ?? "the database", seconds: now - since)
                }
                if now - since >= 2, now - lockSaidAt >= 30 {
                    lockSaidAt = now
                    log.warning("the database \(store.path ?? "") is locked by another process (a sqlite3 shell in a transaction? a backup tool?) for \(Int(now - since)) s: the workers' results wait in memory and are written once it is free (at most \(Int(options.databaseLockSeconds)) s)")
                }
                if tickDue {
                    sendHeartbeats(now: now)
                    nextTick = now + tickInterval
                }
                continue
            }
            if let since = lockedSince {
                if clock.now - since >= 2 { log.warning("the database is free again after \(Int(clock.now - since)) s; the results that waited are written") }
                lockedSince = nil
            }
            if judged { lastJudged = t }
            if tickDue { nextTick = t + tickInterval }
            core.removeDroppedArtifacts()
            lastBatchSeconds = clock.now - t
            for (id, peer, v) in violations { reject(id, peer: peer, v) }
            for (worker, message) in out.deliverable { send(message, to: worker, now: t) }
            unconfirmed.batchAnswered()
            for line in core.takeNotices() { log.warning("\(line)") }
            // Ticks come at most heartbeat_ms / 4 apart, so checking on ticks misses no beat.
            // (Not once it finished: only log tails were still awaited.)
            if tickDue, !core.finished, let watch = databaseWatch, let change = databaseWatch?.change(now: t) {
                return stopForLostDatabase(watch, change, now: t, started: started)
            }
            if tickDue {
                sendHeartbeats(now: t)
                cutOffUnreadChunks(now: t)
                closeSilentConnections(now: t)
                if let revoked = authenticator?.reloadIfChanged(now: t) { keyOfWorker.release(keys: revoked) }
            }
            let handled = batch.count
            metrics?.batchHandled(messages: handled, reports: reports, heldSeconds: heldSeconds, commitSeconds: lastBatchSeconds,
                                  roundTripSeconds: clock.now - t, workersAlive: core.workers.count)
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
            // From the end of the wait (the last reads and decoding count); a tick's liveness
            // work is not a cost of its messages.
            load.record(messages: handled, busyFrom: lastAwake, to: clock.now, measuresCost: !tickDue)
            if core.finished && finishedAt == nil {
                finishedAt = t
                // `stop` is queued for every worker: closing the socket must still deliver it.
                try? router.setLinger(milliseconds: 2000)
                log.info("study '\(core.study.name)' finished: \(core.finishReason)")
            }
        }
    }

    /// Charges a message to its connection's byte budget; drops it unread (false) when it
    /// cannot be a worker message (its JSON part is too big) or its connection went over
    /// budget, and then cuts that connection off: libzmq frees what it queued from it,
    /// which bounds the memory a flooding peer can take. A cut-off connection's messages
    /// still in the queue are dropped until the next budget window.
    private func admit(_ m: Message, now: Double) -> Bool {
        guard let fd = m.sourceFD else { return true } // inproc: not a network peer
        if now - budgetWindow >= 1 {
            bytesByConnection.removeAll(keepingCapacity: true)
            cutOff.removeAll(keepingCapacity: true)
            budgetWindow = now
        }
        if cutOff.contains(fd) { return false }
        let bytes = m.byteCount
        let used = bytesByConnection[fd, default: 0] + bytes
        bytesByConnection[fd] = used
        // The JSON frame follows the routing id (and an empty delimiter from REQ-style peers).
        let json = m.frames.count > 2 && m.frames[1].isEmpty ? m.frames[2].count : (m.frames.count > 1 ? m.frames[1].count : 0)
        let why: String
        if json > options.maxJSONBytes {
            why = "a \(json)-byte message (the limit without a model attached is \(options.maxJSONBytes))"
        } else if used > options.peerBytesPerSecond {
            why = "\(used) bytes in one second (the limit is \(options.peerBytesPerSecond))"
        } else {
            return true
        }
        core.countViolation(.oversized(bytes: bytes, limit: json > options.maxJSONBytes ? options.maxJSONBytes : options.peerBytesPerSecond))
        cutOff.insert(fd)
        router.cutOff(connection: fd)
        log.limited(.warning, key: "flood-\(m.peerAddress ?? "?")", "disconnected \(m.peerAddress ?? "a peer"): it sent \(why)")
        return false
    }

    /// Notes that worker `id` spoke on connection `fd`. When the id came on another
    /// connection before, ROUTER_HANDOVER gave it to this one and libzmq stopped reading the
    /// old one (it stays open, unread): when that was a live worker displaced by a second
    /// process started with the same `--id` (refused just after), all the worker sent was
    /// lost until it gave up on us 5 s later, its trial STALE. Closing the old connection
    /// makes a live worker's socket reconnect at once and take its id back (the refused
    /// one leaves); an abandoned one is only closed sooner.
    /// (The old connection is cut only if its descriptor still is that connection: after a
    /// disconnect not yet seen, the number may be a new peer's.)
    /// Returns whether the id spoke on another connection before (it moved).
    @discardableResult
    private func noteConnection(of id: String, fd: Int32) -> Bool {
        // It spoke (before the guard: the monitor's ACCEPTED may be read after its first
        // message; the set is almost always empty, so this costs nothing per message).
        if !silentSince.isEmpty { silentSince[fd] = nil }
        guard connectionOfWorker[id]?.fd != fd else { return false } // (one lookup per message)
        let moved = connectionOfWorker[id] != nil
        if let previous = connectionOfWorker[id], workerOfConnection[previous.fd] == id {
            workerOfConnection[previous.fd] = nil
            cut(previous)
            log.limited(.info, key: "moved-id-\(id)", "worker \(id.prefix(64)) spoke on a new connection: closed its earlier one (a second process with the same --id takes the id from a live worker's connection; closed, that worker reconnects and takes it back)")
        }
        workerOfConnection[fd] = id
        connectionOfWorker[id] = connectionID(fd)
        return moved
    }

    /// Peers whose handshake fails never reach the protocol: log them with their address.
    /// libzmq reports ACCEPTED (with the connection's fd), then HANDSHAKE_FAILED_*, then
    /// DISCONNECTED (with the fd); the fd ties the failure to the address read at accept.
    /// The address is read when this loop sees ACCEPTED: a peer whose connection already
    /// closed by then is logged as "an unknown address" (libzmq 4.3's stable monitor API
    /// carries no peer address).
    private func logHandshakeFailures() {
        while let m = try? monitor.receive(dontWait: true), let e = MonitorEvent(m) {
            if e.event.contains(.accepted) {
                peers[e.value] = peerAddress(fd: Int32(bitPattern: e.value)) ?? "an unknown address"
                if peers.count > 10_000 { peers.removeAll() }
                let fd = Int32(bitPattern: e.value)
                // (With its peer's address and port: a number reused by a later connection is not cut.)
                if let connection = connectionID(fd) { silentSince[fd] = (clock.now, connection) }
            } else if e.event.contains(.disconnected) {
                let fd = Int32(bitPattern: e.value)
                bytesByConnection[fd] = nil
                silentSince[fd] = nil
                // The worker keeps its entry in `connectionOfWorker` (now of a closed
                // connection): its messages still queued from it carry this number, which a new
                // connection may have by now. Noted afresh, the number named that new
                // connection as this worker's, and when the worker spoke on its own new one,
                // the other worker's was cut, its `hello` unread (after a stall of this loop).
                // Its next message without a hello is answered `identify` (the socket
                // reconnected by itself, often under the same number: what it sent on this
                // connection may be lost).
                if let id = workerOfConnection[fd] { lostConnection.insert(id) }
                workerOfConnection[fd] = nil
                cutOff.remove(fd)
                unconfirmed.connectionClosed(fd)
                let address = peers.removeValue(forKey: e.value) ?? "an unknown address"
                if let why = pendingFailure {
                    pendingFailure = nil
                    let afterStall = clock.now < quietPeerWarningsUntil
                    if !afterStall { handshakeFailures += 1 }
                    log.limited(afterStall ? .info : .warning, key: "handshake-\(address)",
                                "rejected a connection from \(address) on \(e.address): \(why)\(afterStall ? " (a handshake that timed out while this coordinator was not running)" : "")")
                }
            } else {
                pendingFailure = e.event.contains(.handshakeFailedAuth) ? "authentication refused"
                    : e.event.contains(.handshakeFailedProtocol) ? "wrong security mechanism or protocol (a client without CURVE keys, or one whose coordinator.pub is another coordinator's key)" : "handshake failed (for example a client without CURVE keys, or not speaking ZeroMQ)"
            }
        }
    }

    /// Closes connections that sent nothing for `options.silentConnectionSeconds` since they were
    /// accepted (not right after a stall of this loop: their messages may be unread yet).
    private func closeSilentConnections(now: Double) {
        guard !silentSince.isEmpty, now >= quietPeerWarningsUntil else { return }
        var closed = 0
        for (fd, silent) in silentSince where now - silent.at >= options.silentConnectionSeconds {
            silentSince[fd] = nil
            guard silent.connection.peer != nil else { continue } // (never cut unchecked)
            cut(silent.connection)
            closed += 1
        }
        if closed > 0 {
            log.limited(.warning, key: "silent-connections", "closed \(closed) connection(s) that sent nothing for \(options.silentConnectionSeconds) s (a worker says hello at once): not workers")
        }
    }

    /// The IP address of the peer of a connected socket (with `:PORT` when `withPort`), if
    /// the descriptor is still open.
    private func peerAddress(fd: Int32, withPort: Bool = false) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) } }
        guard rc == 0 else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var port = [CChar](repeating: 0, count: 32)
        let ok = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &port, socklen_t(port.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard ok == 0 else { return nil }
        let text = { (chars: [CChar]) in String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return withPort ? text(host) + ":" + text(port) : text(host)
    }

    /// The connection a message came on, told apart from a later one given the same number.
    private func connectionID(_ fd: Int32?) -> ConnectionID? {
        fd.map { ConnectionID(fd: $0, peer: peerAddress(fd: $0, withPort: true), inode: Self.socketInode($0)) }
    }

    /// The inode of the socket `fd` names now (nil when it names none).
    private static func socketInode(_ fd: Int32) -> UInt64? {
        var info = stat()
        return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// Cuts `connection` if its descriptor still is that connection (a closed one's number
    /// may already be another peer's: an `ipc://` worker's new connection, given the number
    /// of another worker's old one, was cut as that worker moved to its own new connection,
    /// with its `hello` unread, and the worker waited for a welcome for good).
    private func cut(_ connection: ConnectionID) {
        guard connection.peer == nil || peerAddress(fd: connection.fd, withPort: true) == connection.peer else { return }
        guard connection.inode == nil || Self.socketInode(connection.fd) == connection.inode else { return }
        router.cutOff(connection: connection.fd)
        cutOff.insert(connection.fd)
    }

    /// The database file was removed or replaced (``DatabaseFileWatch``): every running
    /// trial is handed back, and what the run recorded is copied beside the file (or to the
    /// temporary directory when its folder is gone too), from where `sweep resume` continues.
    private func stopForLostDatabase(_ watch: DatabaseFileWatch, _ change: DatabaseFileWatch.Change, now: Double, started: Double) -> CoordinatorSummary {
        log.info("the database \(watch.path) was \(change.rawValue) while the study ran: stopping")
        var result = summary(finished: false, reason: "the database was \(change.rawValue)", started: started)
        var problems: [String] = []
        // (Saved even when this write fails: the copy then holds the trials as RUNNING, which a resume re-queues.)
        do {
            try store.write { tx in
                try core.handBackAll(reason: "the database file was \(change.rawValue)", now: now, tx: tx)
                try core.interrupt(now: now, tx: tx)
            }
        } catch {
            problems.append("its running trials could not be recorded as handed back: \(error)")
        }
        var saved: String?
        // A damaged file has nothing left to copy (its pages are gone); the pages of its log go
        // back into it as the run closes, so `sqlite3 FILE .recover` may find the latest ones.
        if change == .damaged { problems.append("its pages are gone, so nothing could be copied (`sqlite3 \(watch.path) .recover` may save the latest changes, written back from the run's log)") }
        for candidate in watch.rescuePaths(study: core.study.name) where saved == nil && change != .damaged {
            guard let target = candidate() else { continue }
            do {
                try store.saveCopy(to: target)
                watch.linkFolders(to: target)
                saved = target
            } catch {
                for suffix in ["", "-journal", "-wal", "-shm"] { unlink(target + suffix) } // no half copy left
                problems.append("the copy to \(target) failed: \(DatabaseFailure.describe(error) ?? "\(error)")")
            }
        }
        if change != .damaged { watch.removeLog() } // (the same file: its log belongs to it)
        result.databaseLost = LostDatabase(change: change, rescuedTo: saved)
        if saved == nil || !problems.isEmpty { result.reason += "; " + problems.joined(separator: "; ") }
        return result
    }

    /// Gives the study up once ``run(stop:force:drainSeconds:onStop:)`` has returned: the
    /// sockets close (the `stop`s queued for workers still go out within their linger time),
    /// freeing the port, and the study lock is released, so `sweep resume` can take the study
    /// while this process goes on (a dashboard lingering after its sweep). Nothing may be
    /// asked of the coordinator's sockets afterwards.
    public func close() {
        monitor.close()
        authenticator?.socket.close()
        router.close()
        lock = nil
    }

    private func summary(finished: Bool, reason: String, started: Double) -> CoordinatorSummary {
        var counters = core.counters
        // A ZAP refusal also fails the handshake: count each rejected connection once.
        counters.rejectedPeers += max(handshakeFailures, authenticator?.rejected ?? 0)
        return CoordinatorSummary(study: core.study.name, finished: finished, reason: reason, counters: counters,
                                  seconds: clock.now - started, gaveUp: core.hasGivenUp && !core.dataChanged, dataChanged: core.dataChanged)
    }

    private func send(_ message: CoordinatorMessage, to worker: String, now: Double) {
        // A refused worker is said here too (not only to it and in the events): a `sweep run
        // --workers 0` whose only worker was refused waited with nothing on its console.
        if case .refuse(let reason) = message {
            log.limited(.warning, key: "refused-\(worker)", "refused worker \(worker.prefix(64)): \(reason)")
        }
        var message = message
        if message.carriesBulk { message.receipt = unconfirmed.stamp(worker, now: now) }
        do {
            if try router.send([Array(worker.utf8)] + codec.frames(message), dontWait: true) {
                lastSent[worker] = now
                return
            }
            log.limited(.warning, key: "hwm-\(worker)", "send queue to \(worker) is full; message dropped")
        } catch {
            // EHOSTUNREACH: the worker disconnected; liveness will notice.
            log.limited(.debug, key: "send-\(worker)", "cannot send to \(worker): \(error)")
            lastSent[worker] = nil
        }
        if let receipt = message.receipt { unconfirmed.withdraw(worker, receipt: receipt) }
    }

    /// Whether a request for a chunk (data set or checkpoint) is answered (``Receipts``): a
    /// worker that does not return receipts is told it must be updated; one with too many
    /// answers unconfirmed is not answered; one that confirmed nothing for a minute while
    /// answers were outstanding and asks for more is cut off, which frees what libzmq queued
    /// for it. (A dropped request is no heartbeat: a peer that only asks is found silent.)
    private func admitBulkRequest(_ request: WorkerMessage, receipts: [Int], from worker: String, connection: ConnectionID?, peer: String?, now: Double) -> Bool {
        guard let session = core.workers[worker] else { return true } // not a worker: refused as before
        guard session.capabilities.contains(Wire.receiptsCapability) else {
            let why = "this coordinator sends chunks only to workers that confirm what they read (the `receipts` capability): update sweep on \(session.host)"
            switch request {
            case .dataRequest(let r): send(.data(.refused(fingerprint: r.fingerprint, reason: why)), to: worker, now: now)
            case .checkpoint(.fetch(let f)): send(.checkpoint(.chunk(.init(trial: f.trial, attempt: f.attempt, offset: f.offset, total: 0, bytes: [], refused: why))), to: worker, now: now)
            default: break
            }
            return false
        }
        switch unconfirmed.screen(worker, connection: connection, receipts: receipts, now: now) {
        case .answer:
            return true
        case .wait:
            unconfirmed.wait(.init(worker: worker, connection: connection, peer: peer, message: request))
            return false
        case .tooMany(let n):
            core.countViolation(.invalid(type: "chunk request", reason: "\(n) answers unconfirmed"))
            log.limited(.warning, key: "unconfirmed-\(worker)", "dropped a chunk request of \(worker.prefix(64))\(peer.map { " at \($0)" } ?? ""): \(n) of its chunk requests are unanswered or their chunks not confirmed read")
            return false
        case .unread(let seconds, let n):
            core.countViolation(.invalid(type: "chunk request", reason: "answers unread for \(Int(seconds)) s"))
            if let connection { cut(connection) } // (what it sent after this in the same batch is dropped too)
            log.limited(.warning, key: "unread-\(worker)", "disconnected \(worker.prefix(64))\(peer.map { " at \($0)" } ?? ""): it asked for more with \(n) chunk(s) unread for \(Int(seconds)) s")
            return false
        }
    }

    /// Cuts the connections a worker id left (it came back on another one) with chunks still
    /// queued on them: with ROUTER_HANDOVER the old connection's queue lives on while the
    /// peer keeps it open.
    private func cutAbandonedConnections(of worker: String) {
        for connection in unconfirmed.takeAbandoned() {
            cut(connection)
            log.limited(.warning, key: "moved-\(worker)", "closed an earlier connection of \(worker.prefix(64)): it came back on another one with chunks still queued on the old one")
        }
    }

    /// Cuts the connections of workers that confirmed none of their chunks for a minute, or
    /// hold room others wait for without ever confirming (``UnconfirmedAnswers/stalled(now:)``):
    /// a peer that asked and then only heartbeats held its chunks in libzmq's queue for as
    /// long as it stayed.
    private func cutOffUnreadChunks(now: Double) {
        for s in unconfirmed.stalled(now: now) {
            core.countViolation(.invalid(type: "chunk request", reason: "answers unread for \(Int(s.seconds)) s"))
            if let connection = s.connection { cut(connection) }
            log.limited(.warning, key: "unread-\(s.worker)", "disconnected \(s.worker.prefix(64)): \(s.unconfirmed) chunk(s) sent to it were not confirmed read for \(Int(s.seconds)) s")
        }
    }

    private func sendHeartbeats(now: Double) {
        let interval = options.heartbeatSeconds
        for id in core.workerIDs where now - (lastSent[id] ?? 0) >= interval {
            send(.heartbeat, to: id, now: now)
        }
        if lastSent.count > core.workerIDs.count * 2 + 64 {
            let live = Set(core.workerIDs)
            lastSent = lastSent.filter { live.contains($0.key) }
        }
        if unconfirmed.count > core.workerIDs.count * 2 + 64 { unconfirmed.keepOnly(Set(core.workerIDs)) }
        if connectionOfWorker.count > core.workerIDs.count * 2 + 64 {
            let live = Set(core.workerIDs)
            connectionOfWorker = connectionOfWorker.filter { live.contains($0.key) || workerOfConnection[$0.value.fd] == $0.key }
            lostConnection = lostConnection.filter { live.contains($0) }
        }
    }

    /// Counts, logs (rate-limited) and drops a bad message; tells the peer why when that helps.
    private func reject(_ worker: String, peer: String?, _ violation: ProtocolViolation) {
        core.countViolation(violation)
        let from = "\(worker.prefix(64))\(peer.map { " at \($0)" } ?? "")"
        log.limited(.warning, key: "bad-\(peer ?? worker)", "dropped a message from \(from): \(violation)")
        switch violation {
        case .unsupportedVersion, .invalidVersion: send(.error(violation.description), to: worker, now: clock.now)
        default: break
        }
    }
}
