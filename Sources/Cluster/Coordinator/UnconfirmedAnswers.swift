/// The answers with bulk bytes (data-set and checkpoint chunks) each worker has not yet
/// confirmed reading (``Receipts``): what bounds the bytes libzmq can queue for a peer that
/// asks and never reads. Sans-I/O: the coordinator's loop screens each request for bulk
/// bytes before it is handled and stamps each answer that carries them as it sends it.
struct UnconfirmedAnswers {
    /// What to do with a request for bulk bytes.
    enum Screening: Equatable {
        case answer
        /// ``limit`` answers are unconfirmed: the request is dropped (an honest worker keeps
        /// fewer in flight).
        case tooMany(unconfirmed: Int)
        /// No answer was confirmed for `seconds` while some were outstanding, and the worker
        /// asks for more: its connection is cut (libzmq frees what it queued) and its ledger
        /// starts over.
        case unread(seconds: Double, unconfirmed: Int)
    }

    private struct Ledger {
        /// The connection the answers went out on (libzmq drops a closed one's queue).
        var connection: Int32?
        /// When each unconfirmed answer was sent, by receipt.
        var sentAt: [Int: Double] = [:]
        /// Requests let through in the batch being gathered, not yet answered.
        var admitted = 0
        /// When the worker last confirmed an answer, or was sent one with none outstanding:
        /// a slow link confirms late but steadily; a peer that reads nothing never does.
        var progressAt = 0.0
    }

    let limit: Int
    let unreadSeconds: Double
    private var ledgers: [String: Ledger] = [:]
    /// Workers with requests let through in the batch being gathered (what
    /// ``batchAnswered()`` resets: not every ledger, on every batch of the poll loop).
    private var admittedWorkers: [String] = []

    init(limit: Int = Receipts.unconfirmed, unreadSeconds: Double = Receipts.unreadSeconds) {
        self.limit = limit
        self.unreadSeconds = unreadSeconds
    }

    /// Workers with a ledger.
    var count: Int { ledgers.count }

    /// Answers `worker` has not confirmed.
    func unconfirmed(_ worker: String) -> Int { ledgers[worker]?.sentAt.count ?? 0 }

    /// Takes the `receipts` a request of `worker` returns, on `connection`, and says whether
    /// it is answered. Requests let through count as unconfirmed until ``batchAnswered()``:
    /// a batch's requests are all screened before any is answered.
    mutating func screen(_ worker: String, connection: Int32?, receipts: [Int], now: Double) -> Screening {
        var ledger = ledgers[worker] ?? Ledger(connection: connection)
        if ledger.connection != connection { ledger = Ledger(connection: connection) } // the old queue is gone
        for r in receipts where ledger.sentAt.removeValue(forKey: r) != nil { ledger.progressAt = now }
        if !ledger.sentAt.isEmpty, now - ledger.progressAt > unreadSeconds {
            ledgers[worker] = nil
            return .unread(seconds: now - ledger.progressAt, unconfirmed: ledger.sentAt.count)
        }
        let outstanding = ledger.sentAt.count + ledger.admitted
        if outstanding < limit {
            if ledger.admitted == 0 { admittedWorkers.append(worker) }
            ledger.admitted += 1
        }
        ledgers[worker] = ledger
        return outstanding >= limit ? .tooMany(unconfirmed: outstanding) : .answer
    }

    /// The batch's requests are answered (stamped, or refused without bytes).
    mutating func batchAnswered() {
        for worker in admittedWorkers { ledgers[worker]?.admitted = 0 }
        admittedWorkers.removeAll(keepingCapacity: true)
    }

    /// A receipt for an answer going to `worker` now.
    mutating func stamp(_ worker: String, now: Double) -> Int {
        let receipt = Receipts.newReceipt()
        var ledger = ledgers[worker] ?? Ledger(connection: nil)
        if ledger.sentAt.isEmpty { ledger.progressAt = now }
        ledger.sentAt[receipt] = now
        ledgers[worker] = ledger
        return receipt
    }

    /// A connection closed (libzmq dropped what it queued): its ledgers start over. The
    /// kernel gives a new connection the lowest free descriptor, so a worker reconnecting
    /// often comes back on the same number, and its lost answers would count against it.
    mutating func connectionClosed(_ fd: Int32) {
        for (worker, ledger) in ledgers where ledger.connection == fd { ledgers[worker] = nil }
    }

    /// The answer of `receipt` was not sent after all.
    mutating func withdraw(_ worker: String, receipt: Int) { ledgers[worker]?.sentAt[receipt] = nil }

    /// Drops the ledgers of workers not in `live`.
    mutating func keepOnly(_ live: Set<String>) { ledgers = ledgers.filter { live.contains($0.key) } }
}
