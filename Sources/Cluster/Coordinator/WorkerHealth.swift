/// Which workers fail trial after trial while others succeed: a broken host (no GPU or
/// disk, a missing package, a bad data copy) would otherwise drain the whole queue.
///
/// A run of failures alone does not tell a broken host from trials that fail anywhere (a
/// region of the space where the program raises): three such trials in a row would
/// quarantine a healthy worker. So a worker with such a run is first *held back*: it gets
/// no work while the trials it failed are re-run on other workers, and their outcome
/// decides. One that gets further elsewhere than on the held-back worker (reports an epoch
/// past the last one it reached there, or ends well) shows the host is at fault: the worker
/// is quarantined. One that fails elsewhere too shows the trials are: the worker gets work
/// again.
///
/// A hold is bounded in time: when the others run long trials, nobody may re-run the held
/// trials for an hour, and a healthy worker that drew bad trials would sit idle that long.
/// So a hold that is still undecided after ``firstHoldSeconds`` ends: the failures count
/// again and the worker gets work. Each hold in a row without a success lasts twice as long
/// as the one before (up to ``longestHoldSeconds``), so a broken host uses up a few trials
/// per hold, not the budget.
struct WorkerHealth {
    /// Consecutive failures after which a worker is held back (when others succeed).
    static let quarantineAfter = 3
    /// How long a first hold waits for a verdict.
    static let firstHoldSeconds = 30.0
    /// The longest hold (holds in a row double up to this).
    static let longestHoldSeconds = 600.0

    /// A trial that failed on a worker, the last epoch it reported there (0: none), and why.
    struct FailedTrial: Equatable {
        var trial: Int
        var epoch: Int
        var error = ""
    }

    /// What a re-run trial showed about the worker held back for it.
    enum Verdict: Equatable {
        /// It got further elsewhere: the host is at fault.
        case quarantine(worker: String)
        /// It failed elsewhere too: the trials are at fault; the worker gets work again, and
        /// its failures of `trials` count again.
        case release(worker: String, trials: [FailedTrial])
    }

    private enum Standing: Equatable {
        case healthy
        /// No work until one of these trials, re-run elsewhere, decides.
        case heldBack([FailedTrial])
        case quarantined
    }

    private struct Record {
        var consecutiveFailures = 0
        /// Trials that failed on it in the current run of failures.
        var failedTrials: [FailedTrial] = []
        var lastError = ""
        var hasSucceeded = false
        /// Its last trial failed (not by the trial's own fault).
        var lastFailed = false
        /// Its last trial ended well: it vouches for its host.
        var lastEndedWell: Bool { hasSucceeded && !lastFailed }
        var standing = Standing.healthy
        /// Holds in a row without a trial ending well since (each lasts twice the one before).
        var holds = 0
        /// When the current hold ends undecided.
        var heldUntil = Double.infinity
        /// The process (host and pid) that was quarantined: the same id from another
        /// process (restarted by systemd, maybe on a repaired host) gets work again.
        var quarantinedProcess: String?
        /// The process that was held back last (see ``holdBack(_:process:for:now:)``).
        var heldProcess: String?
        /// Trials whose failures here counted again when a hold ended undecided: given back
        /// if the worker is quarantined after all.
        var countedAgain: [FailedTrial] = []
        /// Trials this id failed before it was quarantined: a new process of it takes others
        /// first (it took them back at once, and lost them).
        var avoided: Set<Int> = []
    }

    private var records: [String: Record] = [:]

    /// A trial failed on `worker` after it reported an epoch (or from a checkpoint): the host
    /// can run the program, so it says nothing against the host (a program that crashes at a
    /// random epoch had healthy workers quarantined: its re-run elsewhere got further), and
    /// the run of failures before the first report is over.
    mutating func failedMidRun(_ worker: String) {
        records[worker, default: Record()].consecutiveFailures = 0
        records[worker, default: Record()].failedTrials.removeAll()
        records[worker, default: Record()].lastFailed = true
    }

    /// Forgets a worker that left or died while in good standing (the records of all the
    /// workers a study ever saw would grow without bound under churn). One held back or
    /// quarantined is kept: its verdict still applies if it comes back.
    mutating func forget(_ worker: String) {
        if records[worker]?.standing == .healthy { records[worker] = nil }
    }

    /// The quarantined `worker` says hello as `process` (host/pid): another process than
    /// the one quarantined gets work again (its failures before are forgotten, the back-off
    /// of its holds is not). Returns whether it was lifted.
    mutating func liftQuarantine(_ worker: String, process: String) -> Bool {
        guard var r = records[worker], r.standing == .quarantined, r.quarantinedProcess != process else { return false }
        r.avoided.formUnion(r.failedTrials.map(\.trial))
        r.standing = .healthy
        r.consecutiveFailures = 0
        r.failedTrials.removeAll()
        r.heldUntil = .infinity
        r.quarantinedProcess = nil
        records[worker] = r
        return true
    }

    /// The failures of a hold that ended undecided count again (see ``countedAgain(_:)``).
    mutating func noteCountedAgain(_ worker: String, _ trials: [FailedTrial]) {
        records[worker, default: Record()].countedAgain += trials
    }

    /// Trials whose failures on `worker` counted again after a hold, to give back now that
    /// it is quarantined; forgotten once returned.
    mutating func takeCountedAgain(_ worker: String) -> [FailedTrial] {
        defer { records[worker]?.countedAgain = [] }
        return records[worker]?.countedAgain ?? []
    }

    /// Whether `worker` has ended a trial well and failed none since, and gets work.
    func runsFine(_ worker: String) -> Bool {
        guard let r = records[worker] else { return false }
        return r.lastEndedWell && r.standing == .healthy
    }

    /// Whether `worker`'s last trial failed (before or after a first report).
    func hasFailed(_ worker: String) -> Bool { records[worker]?.lastFailed ?? false }

    /// Whether `worker` should take other trials before `trial` (it failed it before it was
    /// quarantined, as another process).
    func avoids(_ worker: String, _ trial: Int) -> Bool { records[worker]?.avoided.contains(trial) ?? false }

    /// Whether `worker` avoids any trial (see ``avoids(_:_:)``).
    func avoidsAny(_ worker: String) -> Bool { !(records[worker]?.avoided.isEmpty ?? true) }

    /// Which process of `worker` was quarantined (see ``liftQuarantine(_:process:)``); nil
    /// when it is away: the one held back.
    mutating func noteQuarantined(_ worker: String, process: String?) {
        records[worker, default: Record()].quarantinedProcess = process ?? records[worker]?.heldProcess
    }

    /// A trial ended well (complete or pruned) on `worker`: its run of failures is over.
    mutating func succeeded(_ worker: String) {
        records[worker, default: Record()].consecutiveFailures = 0
        records[worker, default: Record()].failedTrials.removeAll()
        records[worker, default: Record()].hasSucceeded = true
        records[worker, default: Record()].lastFailed = false
        records[worker, default: Record()].holds = 0
    }

    /// A trial failed on `worker` after reporting up to `epoch`. Returns the trials of its
    /// run of failures when the worker must now be held back: enough failures in a row
    /// while another worker's last trial succeeded, or another worker among `connected`
    /// has ended nothing yet (at a study's start a broken host fails trial after trial in a
    /// second while the others still run their first, and used up the budget). If every
    /// worker fails, the trials are at fault, not a host.
    mutating func failed<Workers: Collection<String>>(_ worker: String, trial: Int, epoch: Int, error: String, connected: Workers) -> [FailedTrial]? {
        var r = records[worker, default: Record()]
        r.consecutiveFailures += 1
        r.lastFailed = true
        r.failedTrials.append(FailedTrial(trial: trial, epoch: epoch, error: error))
        r.lastError = error
        // Connected ones only: a worker that left long ago says nothing about the trials now.
        let othersSucceed = connected.contains { other in
            guard other != worker else { return false }
            guard let o = records[other] else { return true } // ended nothing yet
            return o.hasSucceeded && o.consecutiveFailures == 0 && o.standing == .healthy
        }
        records[worker] = r
        guard r.standing == .healthy, r.consecutiveFailures >= Self.quarantineAfter, othersSucceed else { return nil }
        return r.failedTrials
    }

    /// `worker` gets no work until one of `trials`, re-run elsewhere, decides, or the hold
    /// ends undecided. Returns how long it lasts at most. `process` (``WorkerSession/process``):
    /// the process held back, which a quarantine decided while it is away names (else any
    /// hello lifted that quarantine, its own process's too).
    @discardableResult
    mutating func holdBack(_ worker: String, process: String?, for trials: [FailedTrial], now: Double) -> Double {
        var r = records[worker, default: Record()]
        r.heldProcess = process ?? r.heldProcess
        let seconds = min(Self.longestHoldSeconds, Self.firstHoldSeconds * Double(1 << min(r.holds, 20)))
        r.standing = .heldBack(trials)
        r.heldUntil = now + seconds
        r.holds += 1
        records[worker] = r
        return seconds
    }

    /// Whether `worker`'s hold has lasted as long as it may (``firstHoldSeconds``, doubling).
    func holdEnded(_ worker: String, now: Double) -> Bool {
        guard let r = records[worker], case .heldBack = r.standing else { return false }
        return now >= r.heldUntil
    }

    /// The trials a held-back worker failed, with their errors (none when it is not held back).
    func heldFailures(_ worker: String) -> [FailedTrial] {
        guard case .heldBack(let trials)? = records[worker]?.standing else { return [] }
        return trials
    }

    /// `worker` gets work again, its run of failures forgotten (the trials were at fault).
    mutating func release(_ worker: String) {
        records[worker, default: Record()].standing = .healthy
        records[worker, default: Record()].heldUntil = .infinity
        records[worker, default: Record()].consecutiveFailures = 0
        records[worker, default: Record()].failedTrials.removeAll()
    }

    /// What `trial`, running on `worker`, shows about a worker held back for it: `epoch`
    /// reached (a report, or the end of a trial that ended well), or `failed`.
    mutating func verdict(trial: Int, on worker: String, reached epoch: Int = 0, failed: Bool = false) -> Verdict? {
        for (id, r) in records where id != worker {
            guard case .heldBack(let trials) = r.standing, let t = trials.first(where: { $0.trial == trial }) else { continue }
            if failed {
                release(id)
                return .release(worker: id, trials: trials)
            }
            if epoch > t.epoch {
                records[id]?.standing = .quarantined
                return .quarantine(worker: id)
            }
        }
        return nil
    }

    /// The verdict on a worker held back for trials of which one already got further
    /// elsewhere (found when it was held back): it is quarantined.
    mutating func verdictNow(_ worker: String) -> Verdict {
        records[worker, default: Record()].standing = .quarantined
        return .quarantine(worker: worker)
    }

    /// The trials a held-back worker waits on (none when it is not held back).
    func heldTrials(_ worker: String) -> [Int] {
        guard case .heldBack(let trials)? = records[worker]?.standing else { return [] }
        return trials.map(\.trial)
    }

    /// Whether `worker` gets no work: held back or quarantined.
    func isHeldBack(_ worker: String) -> Bool { records[worker].map { $0.standing != .healthy } ?? false }

    func isQuarantined(_ worker: String) -> Bool { records[worker]?.standing == .quarantined }

    /// Workers held back (not quarantined), to release when nobody else can re-run their trials.
    var heldBack: [String] {
        records.compactMap { id, r in if case .heldBack = r.standing { return id } else { return nil } }.sorted()
    }

    /// The error of the last trial that failed on `worker`.
    func lastError(_ worker: String) -> String { records[worker]?.lastError ?? "" }

    /// Why `worker` gets no more work (sent to it, logged and recorded).
    func reason(_ worker: String) -> String {
        let r = records[worker] ?? Record()
        return "quarantined after \(r.consecutiveFailures) consecutive failed trials while other workers succeed, and a trial that failed on it got further on another worker; last error: \(r.lastError)"
    }
}
