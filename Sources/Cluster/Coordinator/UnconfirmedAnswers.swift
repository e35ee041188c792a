/// The answers with bulk bytes (data-set and checkpoint chunks) each worker has not yet
/// confirmed reading (``Receipts``): what bounds the bytes libzmq can queue for peers that
/// ask and never read. Per worker at most ``limit`` are unconfirmed; over all workers at most
/// ``overallLimit`` (150 connections holding 8 chunks each held 1.5 GiB), and a request
/// beyond that waits until confirmations free room. Who goes first: a worker that holds no
/// chunk it has left unconfirmed for ``staleSeconds``, then the one served least recently
/// (so every worker gets its share: peers that hoard, or many downloaders that joined
/// first, cannot keep a worker waiting until its fetch gives up); a worker that confirms
/// nothing for ``contendedSeconds`` while others wait for room is cut, and any after
/// ``unreadSeconds``. A worker id that comes back on another connection while
/// chunks are queued on the old one has the old one cut (ROUTER_HANDOVER keeps its queue
/// alive: 150 reconnects under one id held 950 MiB). Sans-I/O: the coordinator's loop
/// screens each request for bulk bytes before it is handled, stamps each answer that
/// carries them as it sends it, and asks on each tick for the workers to cut.
struct UnconfirmedAnswers {
    /// What to do with a request for bulk bytes.
    enum Screening: Equatable {
        case answer
        /// ``limit`` answers are unconfirmed (or waiting): the request is dropped (an honest
        /// worker keeps fewer in flight).
        case tooMany(unconfirmed: Int)
        /// Room over all workers is used up: the request waits (``wait(_:)``) until
        /// ``release()`` hands it back.
        case wait
        /// No answer was confirmed for `seconds` while some were outstanding, and the worker
        /// asks for more: its connection is cut (libzmq frees what it queued) and its ledger
        /// starts over.
        case unread(seconds: Double, unconfirmed: Int)
    }

    /// A request that waits for room over all workers, as read.
    struct Waiting {
        var worker: String
        var connection: ConnectionID?
        var peer: String?
        var message: WorkerMessage
    }

    /// A worker that confirmed nothing for ``unreadSeconds`` while answers were outstanding.
    struct Stalled: Equatable {
        var worker: String
        var connection: ConnectionID?
        var seconds: Double
        var unconfirmed: Int
    }

    private struct Ledger {
        /// The connection the answers went out on (libzmq drops a closed one's queue).
        var connection: ConnectionID?
        /// When each unconfirmed answer was sent, by receipt.
        var sentAt: [Int: Double] = [:]
        /// Requests let through in the batch being gathered, not yet answered.
        var admitted = 0
        /// Requests waiting for room over all workers, oldest first, each with its place in
        /// the order of arrival (what breaks ties between workers).
        var waiting: [(arrival: Int, request: Waiting)] = []
        /// When the worker last confirmed an answer, or was sent one with none outstanding:
        /// a slow link confirms late but steadily; a peer that reads nothing never does.
        var progressAt = 0.0

        var outstanding: Int { sentAt.count + admitted }
    }

    /// What is known of a worker across its connections (a reconnect does not make it new).
    private struct Standing {
        /// When it was last sent a chunk (0: never).
        var servedAt = 0.0
    }
    /// A worker holding a chunk it has not confirmed for this long waits behind the others.
    static let staleSeconds = 2.0

    let limit: Int
    let overallLimit: Int
    let unreadSeconds: Double
    let contendedSeconds: Double
    private var ledgers: [String: Ledger] = [:]
    private var standings: [String: Standing] = [:]
    /// Connections a worker left with chunks queued on them, to be cut (``takeAbandoned()``).
    private var abandoned: [ConnectionID] = []
    /// Workers with requests let through in the batch being gathered (what
    /// ``batchAnswered()`` resets: not every ledger, on every batch of the poll loop).
    private var admittedWorkers: [String] = []
    /// ``Ledger/outstanding`` summed over all ledgers, kept as they change.
    private(set) var outstandingOverall = 0
    /// ``Ledger/waiting`` counted over all ledgers.
    private(set) var waitingCount = 0
    private var arrivals = 0

    init(limit: Int = Receipts.unconfirmed, overallLimit: Int = Receipts.unconfirmedOverall, unreadSeconds: Double = Receipts.unreadSeconds,
         contendedSeconds: Double = Receipts.contendedSeconds) {
        self.limit = limit
        self.overallLimit = overallLimit
        self.unreadSeconds = unreadSeconds
        self.contendedSeconds = contendedSeconds
    }

    /// Workers with a ledger or a standing (what ``keepOnly(_:)`` bounds).
    var count: Int { max(ledgers.count, standings.count) }

    /// Answers `worker` has not confirmed.
    func unconfirmed(_ worker: String) -> Int { ledgers[worker]?.sentAt.count ?? 0 }

    /// Takes the `receipts` a request of `worker` returns, on `connection`, and says whether
    /// it is answered. Requests let through count as unconfirmed until ``batchAnswered()``:
    /// a batch's requests are all screened before any is answered.
    mutating func screen(_ worker: String, connection: ConnectionID?, receipts: [Int], now: Double) -> Screening {
        confirm(worker, connection: connection, receipts: receipts, now: now)
        var ledger = ledgers[worker]!
        if !ledger.sentAt.isEmpty, now - ledger.progressAt > unreadSeconds {
            let stalled = ledger.sentAt.count
            remove(worker)
            return .unread(seconds: now - ledger.progressAt, unconfirmed: stalled)
        }
        if ledger.outstanding + ledger.waiting.count >= limit { return .tooMany(unconfirmed: ledger.outstanding + ledger.waiting.count) }
        // Those waiting already go first.
        if outstandingOverall >= overallLimit || waitingCount > 0 { return .wait }
        if ledger.admitted == 0 { admittedWorkers.append(worker) }
        ledger.admitted += 1
        outstandingOverall += 1
        ledgers[worker] = ledger
        return .answer
    }

    /// Takes `receipts` of `worker` on `connection`, from a request or a `receipts` message.
    mutating func confirm(_ worker: String, connection: ConnectionID?, receipts: [Int], now: Double) {
        if let old = ledgers[worker], old.connection != connection {
            // Another connection under the same id: what is queued on the old one stays
            // while it is open, so it is cut (a reconnect's old one is usually closed).
            if let connection = old.connection, !old.sentAt.isEmpty { abandoned.append(connection) }
            remove(worker)
        }
        var ledger = ledgers[worker] ?? Ledger(connection: connection, progressAt: now)
        for r in receipts where ledger.sentAt.removeValue(forKey: r) != nil {
            ledger.progressAt = now
            outstandingOverall -= 1
        }
        ledgers[worker] = ledger
    }

    /// Connections to cut: left by their worker with chunks queued on them.
    mutating func takeAbandoned() -> [ConnectionID] {
        defer { abandoned.removeAll() }
        return abandoned
    }

    /// Keeps a request ``screen(_:connection:receipts:now:)`` said must wait.
    mutating func wait(_ request: Waiting) {
        guard ledgers[request.worker] != nil else { return }
        arrivals += 1
        ledgers[request.worker]!.waiting.append((arrivals, request))
        waitingCount += 1
    }

    /// The waiting requests that now fit, each let through as by ``screen``: first those of
    /// workers that hold no chunk unconfirmed for ``staleSeconds``, then of the one served
    /// least recently (and with the fewest out), then the oldest: a fair share for every
    /// worker that reads.
    mutating func release(now: Double) -> [Waiting] {
        var released: [Waiting] = []
        while waitingCount > 0, outstandingOverall < overallLimit {
            var next: (worker: String, ledger: Ledger, rank: (Int, Double, Int, Int))?
            for (worker, ledger) in ledgers where !ledger.waiting.isEmpty {
                let stale = !ledger.sentAt.isEmpty && now - ledger.progressAt > Self.staleSeconds
                // (`outstanding` counts those let through in this call, not yet served.)
                let rank = (stale ? 1 : 0, standings[worker]?.servedAt ?? 0, ledger.outstanding, ledger.waiting[0].arrival)
                if let n = next, n.rank < rank { continue }
                next = (worker, ledger, rank)
            }
            guard let worker = next?.worker, var ledger = next?.ledger else { break }
            released.append(ledger.waiting.removeFirst().request)
            waitingCount -= 1
            if ledger.admitted == 0 { admittedWorkers.append(worker) }
            ledger.admitted += 1
            outstandingOverall += 1
            ledgers[worker] = ledger
        }
        return released
    }

    /// The batch's requests are answered (stamped, or refused without bytes).
    mutating func batchAnswered() {
        for worker in admittedWorkers {
            outstandingOverall -= ledgers[worker]?.admitted ?? 0
            ledgers[worker]?.admitted = 0
        }
        admittedWorkers.removeAll(keepingCapacity: true)
    }

    /// A receipt for an answer going to `worker` now.
    mutating func stamp(_ worker: String, now: Double) -> Int {
        let receipt = Receipts.newReceipt()
        var ledger = ledgers[worker] ?? Ledger(connection: nil)
        if ledger.sentAt.isEmpty { ledger.progressAt = now }
        ledger.sentAt[receipt] = now
        outstandingOverall += 1
        ledgers[worker] = ledger
        standings[worker, default: Standing()].servedAt = now
        return receipt
    }

    /// The workers that confirmed nothing for ``unreadSeconds`` while answers were
    /// outstanding, or for ``contendedSeconds`` when requests wait for room, their ledgers
    /// dropped: their connections are to be cut. An honest worker confirms each chunk within
    /// a tenth of a second of reading it (with its next request, or a `receipts` message), so
    /// only a peer that stopped reading, a stopped process or a very slow link stays silent
    /// (under contention: one slower than a 4 MiB part in 10 s, about 3 Mbit/s).
    mutating func stalled(now: Double) -> [Stalled] {
        let contended = waitingCount > 0
        var found: [Stalled] = []
        for (worker, ledger) in ledgers where !ledger.sentAt.isEmpty {
            let allowed = contended ? min(contendedSeconds, unreadSeconds) : unreadSeconds
            if now - ledger.progressAt > allowed {
                found.append(Stalled(worker: worker, connection: ledger.connection, seconds: now - ledger.progressAt, unconfirmed: ledger.sentAt.count))
            }
        }
        for s in found { remove(s.worker) }
        return found
    }

    /// A connection closed (libzmq dropped what it queued): its ledgers start over. The
    /// kernel gives a new connection the lowest free descriptor, so a worker reconnecting
    /// often comes back on the same number, and its lost answers would count against it.
    mutating func connectionClosed(_ fd: Int32) {
        for (worker, ledger) in ledgers where ledger.connection?.fd == fd { remove(worker) }
    }

    /// The answer of `receipt` was not sent after all.
    mutating func withdraw(_ worker: String, receipt: Int) {
        if ledgers[worker]?.sentAt.removeValue(forKey: receipt) != nil { outstandingOverall -= 1 }
    }

    /// Drops the ledgers (and what is known) of workers not in `live`.
    mutating func keepOnly(_ live: Set<String>) {
        for worker in ledgers.keys where !live.contains(worker) { remove(worker) }
        standings = standings.filter { live.contains($0.key) }
    }

    /// Forgets `worker`'s ledger and its waiting requests (they came on its connection).
    private mutating func remove(_ worker: String) {
        guard let ledger = ledgers.removeValue(forKey: worker) else { return }
        outstandingOverall -= ledger.outstanding
        waitingCount -= ledger.waiting.count
    }
}

/// A peer's connection as the coordinator saw it: its descriptor, the address and port at
/// the other end, and its socket's inode. A closed connection's number is soon another's (the
/// kernel gives out the lowest free one), and the monitor may say it closed only later: the
/// address, or for an `ipc://` connection (which has none) the inode, tells them apart
/// before one is cut.
struct ConnectionID: Hashable, Sendable, ExpressibleByIntegerLiteral {
    var fd: Int32
    /// `ADDRESS:PORT` of the peer (nil: not known, as in tests, or an `ipc://` peer).
    var peer: String?
    /// The socket's inode (`fstat`): a new socket on a reused number has another (nil in tests).
    var inode: UInt64?

    init(fd: Int32, peer: String?, inode: UInt64? = nil) {
        self.fd = fd
        self.peer = peer
        self.inode = inode
    }

    init(integerLiteral fd: Int32) {
        self.init(fd: fd, peer: nil)
    }
}
