import Foundation
import Search
import Store
import SweepReport
import SweepSupport
import Synchronization

/// The JSON the dashboard's pages poll, read through the dashboard's own read-only
/// connection (SQLite WAL: readers never block the coordinator's writes).
///
/// Answers are cached for `maxAge` seconds, so many open pages cost the database one read
/// per study per interval, not one per page.
final class StudyFeed: Sendable {
    let databasePath: String
    let maxAge: Double
    /// The read connection and the file it opened (see ``read(_:)``).
    private let reader: Mutex<(store: StoreReader, file: FileStamp)?> = Mutex(nil)
    /// Opened on the first state change only (enqueueing a trial); pages never use it.
    private let writer: Mutex<(store: SweepStore, file: FileStamp)?> = Mutex(nil)
    /// Answers by key: when computed, how long that took, the body, and the database file
    /// it was read from (an answer of a file since replaced is never served).
    private let cache = Mutex<[String: (at: Double, life: Double, body: Data, file: FileStamp?)]>([:])
    /// Per study: its log, when it was reread and how long that took, when it was last
    /// reread whole and how long that took, and the answers built from it since (by cursor
    /// position, or "full").
    private let logs = Mutex<[String: LogState]>([:])

    private struct LogState {
        var log: StudyLog
        var at: Double, cost: Double
        var fullAt: Double, fullCost: Double
        /// The database file the log was read from.
        var file: FileStamp?
        var answers: [String: Data] = [:]
    }
    /// Held while an answer is computed (see ``cached(_:_:)``).
    private let computing = Mutex<Void>(())
    /// Whether the database has been read: a file missing after that was removed (or moved),
    /// which an empty list of studies would hide.
    private let sawDatabase = Atomic<Bool>(false)

    init(databasePath: String, maxAge: Double = 0.5, costFactor: Double = 40, fullRereadAge: Double = 30) {
        self.databasePath = databasePath
        self.maxAge = maxAge
        self.costFactor = costFactor
        self.fullRereadAge = fullRereadAge
    }

    /// Opens the read connection on first use (the database may not exist yet when
    /// `sweep run --dashboard` starts), and again when the file at the path is another one
    /// than the connection's: a database removed and created anew was still served from
    /// the removed file, and the new studies were "not found".
    func read<T>(_ body: (StoreQueries) throws -> T) throws -> T {
        // StoreReader is Sendable (a GRDB queue serializes its reads); the lock only guards opening.
        let r = try reader.withLock { r -> StoreReader in
            try current(&r) { try SweepStore.openReadOnly(path: databasePath) }
        }
        sawDatabase.store(true, ordering: .relaxed)
        return try r.read(body)
    }

    /// Whether the database file is there: false before a sweep created it; an error once it
    /// was read and is gone (every answer says so with 503: a study page said "no study
    /// named ...", and the list of studies was empty).
    func databasePresent() throws -> Bool {
        if FileManager.default.fileExists(atPath: databasePath) { return true }
        if sawDatabase.load(ordering: .relaxed) { throw StoreError.notFound("the database \(databasePath) was removed (or moved) since the dashboard read it") }
        return false
    }

    /// Runs one write transaction on the dashboard's write connection.
    func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        // Never creates the database: every change is about a study a sweep created.
        guard FileManager.default.fileExists(atPath: databasePath) else { throw StoreError.notFound("no database at \(databasePath) yet") }
        let w = try writer.withLock { w -> SweepStore in
            try current(&w) { try SweepStore.open(path: databasePath) }
        }
        return try w.write(body)
    }

    /// `connection` when it is of the file now at the path; else a new one from `open` (the
    /// cached answers of the old file dropped). Throws, with nothing open, when the path
    /// holds no file.
    private func current<Connection>(_ connection: inout (store: Connection, file: FileStamp)?, open: () throws -> Connection) throws -> Connection {
        let now = FileStamp(path: databasePath)
        if let connection, let now, connection.file.isSameFile(as: now) { return connection.store }
        if connection != nil { cache.withLock { $0.removeAll() } }
        connection = nil
        guard let now else { throw StoreError.notFound("no database at \(databasePath)") }
        let store = try open()
        connection = (store, now)
        return store
    }

    /// Drops the cached answers (after a change, so the next poll shows it).
    func invalidate() {
        computing.withLock { _ in
            cache.withLock { $0.removeAll() }
            logs.withLock { logs in
                for name in logs.keys { logs[name]!.at = 0 }
            }
        }
    }

    /// `key`'s cached JSON, or a fresh one from `make`. One request computes it while the
    /// others wait and then share it: 20 pages whose poll finds the entry expired cost one
    /// read, not 20 (the reads queue on one connection anyway).
    ///
    /// An answer is also kept for `costFactor` times as long as it took to compute, so a
    /// study of thousands of trials, whose JSON takes a good part of a second, costs the
    /// sweep's machine at most 1/`costFactor` of a core however many pages poll it.
    func cached(_ key: String, maxAge: Double? = nil, _ make: () throws -> Data) throws -> Data {
        let maxAge = maxAge ?? self.maxAge
        if let hit = fresh(key, maxAge) { return hit }
        return try computing.withLock { _ in
            if let hit = fresh(key, maxAge) { return hit }
            let now = Date().timeIntervalSince1970, file = FileStamp(path: databasePath)
            let body = try make()
            let done = Date().timeIntervalSince1970
            cache.withLock { cache in
                // Answers past their life are never served again: dropped, or the cache kept
                // every trial page anyone had looked at (a dashboard grew to 1.6 GB).
                cache = cache.filter { done - $0.value.at < $0.value.life }
                cache[key] = (now, max(maxAge, costFactor * (done - now)), body, file)
            }
            return body
        }
    }

    /// Answers held (for tests: expired ones are dropped).
    var cachedAnswers: Int { cache.withLock { $0.count } }

    /// How many times its computing time an answer is kept, at least.
    let costFactor: Double
    /// A study's log is reread whole at most this often (and at least `costFactor` times as
    /// long as that took); the rereads in between read only what can have changed (see
    /// ``StudyLog/update(_:encoder:full:)``).
    let fullRereadAge: Double

    private func fresh(_ key: String, _ maxAge: Double) -> Data? {
        guard let hit = cache.withLock({ $0[key] }),
              Date().timeIntervalSince1970 - hit.at < max(maxAge, hit.life),
              let computedFrom = hit.file, let now = FileStamp(path: databasePath), computedFrom.isSameFile(as: now) else { return nil }
        return hit.body
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        try encoder().encode(value)
    }

    /// Infinities and NaN as strings; keys sorted, so an unchanged value encodes the same.
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        e.outputFormatting = [.sortedKeys]
        return e
    }

    // MARK: Answers

    func studies() throws -> Data {
        // Before a sweep created the database: no studies yet.
        guard try databasePresent() else { return Data("[]".utf8) }
        let data: Data
        do {
            data = try cached("studies") {
                try Self.encode(try read { q in
                    try q.studies().map { s in Summary(s, phase: StudyPhase.of(s, databasePath: databasePath), counts: try q.stateCounts(studyID: s.id), best: try q.best(study: s, top: 1).first) }
                })
            }
        } catch StoreError.emptyDatabase {
            data = Data("[]".utf8) // as `sweep studies` lists an empty database: no studies
        }
        return data
    }

    /// The study JSON of study `name` (nil when there is no such study): everything on a
    /// first load (`since` nil), else only the trials that changed after the cursor `since`
    /// of the page's last answer (see ``StudyLog``).
    ///
    /// The study is reread at most every `maxAge` seconds (and at least `costFactor` times
    /// as long as the reread took), whole at most every `fullRereadAge` seconds (and
    /// `costFactor` times its cost); pages polling in between share the cached answers.
    func study(_ name: String, since: String? = nil) throws -> Data? {
        guard try databasePresent() else { return nil }
        do {
            return try computing.withLock { _ in
                let now = Date().timeIntervalSince1970
                // Taken out while in use, so updating it does not copy its trials.
                var state = logs.withLock { $0.removeValue(forKey: name) }
                defer { logs.withLock { [state] in $0[name] = state } }
                // A log of a database file since replaced starts over.
                let file = FileStamp(path: databasePath)
                if let old = state?.file, file.map({ !old.isSameFile(as: $0) }) ?? true { state = nil }
                if state == nil || now - state!.at >= max(maxAge, costFactor * state!.cost) {
                    let full = state.map { now - $0.fullAt >= max(fullRereadAge, costFactor * $0.fullCost) } ?? true
                    let log = try refreshed(name, state?.log, full: full)
                    // A new log encoded every trial: that cost says nothing of the rereads to come.
                    let renewed = log.token != state?.log.token
                    let cost = renewed ? 0 : Date().timeIntervalSince1970 - now
                    let whole = full || renewed
                    state = LogState(log: log, at: now, cost: whole ? 0 : cost,
                                     fullAt: whole ? now : state!.fullAt, fullCost: whole ? cost : state!.fullCost, file: file)
                }
                let key = state!.log.position(since).map(String.init) ?? "full"
                if let hit = state!.answers[key] { return hit }
                let body = state!.log.answer(since: since)
                state!.answers[key] = body
                return body
            }
        } catch is Missing { return nil }
    }

    /// `log` brought up to date with the database (a new log if the study is new, was
    /// recreated or lost a trial); `full` rereads every trial, else only those that can
    /// have changed.
    private func refreshed(_ name: String, _ log: StudyLog?, full: Bool) throws -> StudyLog {
        let encoder = Self.encoder()
        return try read { q -> StudyLog in
            guard let s = try q.study(named: name) else { throw Missing() }
            var log = log.flatMap { $0.isLog(of: s) ? $0 : nil } ?? StudyLog(studyID: s.id, createdAt: s.createdAt)
            if try !log.update(q, encoder: encoder, full: full) {
                log = StudyLog(studyID: s.id, createdAt: s.createdAt)
                _ = try log.update(q, encoder: encoder, full: true)
            }
            log.rest = try encoder.encode(Rest(summary: Summary(s, phase: StudyPhase.of(s, databasePath: databasePath), counts: try q.stateCounts(studyID: s.id), best: try q.best(study: s, top: 1).first),
                                                parameters: s.definition.space.parameters.map(ParameterInfo.init),
                                                workers: try q.workers(studyID: s.id),
                                                enqueued: try q.enqueuedTrials(studyID: s.id).map(Queued.init), now: Date().timeIntervalSince1970))
            return log
        }
    }

    func trial(_ name: String, number: Int) throws -> Data? {
        guard try databasePresent() else { return nil }
        do {
            return try cached("trial:\(name):\(number)") {
                try Self.encode(try read { q -> TrialDetail in
                    guard let s = try q.study(named: name), let t = try q.trial(studyID: s.id, number: number) else { throw Missing() }
                    let steps = try q.lineage(studyID: s.id)
                    let members = steps.isEmpty ? [:] : Dictionary(uniqueKeysWithValues: try q.trials(studyID: s.id).map { ($0.number, $0.params) })
                    return TrialDetail(study: s.name, metric: s.definition.metric, trial: Trial(t),
                                       reports: try q.intermediates(trialID: t.id).map(Report.init),
                                       attempts: try q.attempts(trialID: t.id).map { Attempt(trial: t.number, $0, withLog: true) },
                                       lineage: Lineage(member: t, steps: steps, params: members, names: s.definition.space.parameters.map(\.name)))
                })
            }
        } catch is Missing { return nil }
    }

    /// The number of the trial `choice` names in study `name`, as `sweep show` takes it:
    /// `best` (the best complete trial), `last`, `-1`, `-2`, ... counted from the end; nil
    /// when there is no such study or trial.
    func trialNumber(_ name: String, choice: String) throws -> Int? {
        guard try databasePresent() else { return nil }
        return try read { q -> Int? in
            guard let s = try q.study(named: name) else { return nil }
            let count = try q.stateCounts(studyID: s.id).values.reduce(0, +)
            switch choice {
            case "best": return try q.best(study: s, top: 1).first?.number
            case "last": return count > 0 ? count - 1 : nil
            default:
                guard let back = Int(choice), back < 0, -back <= count else { return nil }
                return count + back
            }
        }
    }

    /// The report's server-drawn figures of study `name` (nil if missing), as one HTML fragment.
    func figures(_ name: String) throws -> String? {
        guard try databasePresent() else { return nil }
        do {
            // The heaviest answer (every plot of the report) and the page asks for it at most
            // every 4 s: computed at most every 3 s, however many pages are open.
            let data = try cached("figures:" + name, maxAge: 3) {
                let report = try read { q -> ReportData in
                    guard try q.study(named: name) != nil else { throw Missing() }
                    return try ReportData.load(q, study: name, databasePath: databasePath, now: Date().timeIntervalSince1970)
                }
                return Data(ReportPage.figureSections(report).utf8)
            }
            return String(decoding: data, as: UTF8.self)
        } catch is Missing { return nil }
    }

    /// Trials by state per study, straight from the database (for `/metrics`).
    func stateCounts() throws -> [(study: String, phase: StudyPhase, counts: [TrialState: Int])] {
        // A dashboard may start before its database: no study yet, nothing to count.
        guard try databasePresent() else { return [] }
        return try read { q in
            try q.studies().map { ($0.name, StudyPhase.of($0, databasePath: databasePath), try q.stateCounts(studyID: $0.id)) }
        }
    }

    private struct Missing: Error {}

    // MARK: JSON shapes

    struct Summary: Encodable {
        var name: String, state: String, metric: String, direction: String
        var trials: Int, budget: Int, counts: [String: Int]
        /// False for a sweep without a budget (runs until stopped; `budget` is the cap).
        var budgeted: Bool
        var best: Double?, bestTrial: Int?, createdAt: Double

        init(_ s: StudyRecord, phase: StudyPhase, counts c: [TrialState: Int], best b: TrialRecord?) {
            name = s.name
            state = phase.rawValue
            metric = s.definition.metric
            direction = s.direction.rawValue
            trials = c.values.reduce(0, +)
            budget = s.definition.budgetTrials
            budgeted = !TrialBudget.isUnbounded(budget)
            counts = Dictionary(uniqueKeysWithValues: TrialState.allCases.map { ($0.rawValue, c[$0] ?? 0) })
            best = b?.value
            bestTrial = b?.number
            createdAt = s.createdAt
        }
    }

    struct ParameterInfo: Encodable {
        var name: String
        /// linear, log or categorical.
        var scale: String
        var low: Double?, high: Double?
        var choices: [ParamValue]?
        /// Each choice as the server reads it back when it is given as text (the enqueue
        /// form's values: `[1.0, 2.0]` keeps its floats, `["a,b"]` its comma).
        var choiceTexts: [String]?
        /// The range in words, as errors name it (`uniform [0, 0.5] step 0.1`).
        var summary: String
        var conditional: Bool

        init(_ p: Parameter) {
            name = p.name
            summary = p.distribution.summary
            conditional = p.condition != nil
            switch p.distribution {
            case .uniform(let lo, let hi, _): scale = "linear"; low = lo; high = hi
            case .int(let lo, let hi, _): scale = "linear"; low = Double(lo); high = Double(hi)
            case .logUniform(let lo, let hi, _): scale = "log"; low = lo; high = hi
            case .logInt(let lo, let hi): scale = "log"; low = Double(lo); high = Double(hi)
            case .categorical(let c, _): scale = "categorical"; choices = c; choiceTexts = c.map(\.description)
            case .normal, .logNormal, .beta:
                let r = p.distribution.probableRange
                scale = r?.isLog == true ? "log" : "linear"; low = r?.low; high = r?.high
            }
        }
    }

    struct Trial: Encodable {
        var number: Int, state: String, value: Double?, params: Params
        var metrics: [String: Double], epochs: Int, attempt: Int, worker: String?
        var startedAt: Double?, finishedAt: Double?, duration: Double?, pruneReason: String?, error: String?

        init(_ t: TrialRecord) {
            number = t.number; state = t.state.rawValue; value = t.value; params = t.params
            metrics = t.metrics; epochs = t.epochs; attempt = t.attempt; worker = t.worker
            startedAt = t.startedAt; finishedAt = t.finishedAt; duration = t.duration; pruneReason = t.pruneReason
            error = AttemptLog.split(t.error).message
        }
    }

    struct Attempt: Encodable {
        var trial: Int, attempt: Int, worker: String, startedAt: Double, endedAt: Double?, outcome: String?, error: String?
        /// The tail of a command trial's output, successful or not (trial page only: the
        /// study-wide JSON is polled every second and must stay small).
        var log: String?

        init(trial: Int, _ a: AttemptRecord, withLog: Bool) {
            self.trial = trial; attempt = a.attempt; worker = a.worker; startedAt = a.startedAt
            endedAt = a.endedAt; outcome = a.outcome?.rawValue
            let parts = AttemptLog.split(a.error)
            error = parts.message
            // The stored output tail (every attempt, failed or not); databases written before
            // `log_tail` existed only kept a failure's stderr, inside `error`.
            log = withLog ? (a.logTail ?? parts.log) : nil
        }
    }

    struct Queued: Encodable {
        var id: Int64, params: Params, source: String, createdAt: Double

        init(_ e: EnqueuedTrialRecord) { id = e.id; params = e.params; source = e.source; createdAt = e.createdAt }
    }

    struct Worker: Encodable {
        var id: String, host: String, state: String, trial: Int?, firstSeen: Double, lastSeen: Double, trialsDone: Int

        init(_ w: WorkerRecord) {
            id = w.worker; host = w.host; state = w.state.rawValue; trial = w.trialNumber
            firstSeen = w.firstSeen; lastSeen = w.lastSeen; trialsDone = w.trialsDone
        }
    }

    struct Report: Encodable {
        var step: Int, attempt: Int, value: Double?, metrics: [String: Double], pruned: Bool, reason: String?, at: Double

        init(_ r: IntermediateRecord) {
            step = r.step; attempt = r.attempt; value = r.value; metrics = r.metrics; pruned = r.pruned; reason = r.reason; at = r.recordedAt
        }
    }

    /// Workers that left or died beyond these are counted, not listed: with workers coming
    /// and going (fresh ids), every answer carried all the study ever saw (1.5 KB to 15 KB
    /// per poll in half an hour).
    static let goneWorkersListed = 50

    /// The workers an answer lists: every connected one and the ones gone last.
    static func shownWorkers(_ all: [WorkerRecord]) -> [Worker] {
        let alive = all.filter { $0.state == .alive }
        let gone = all.filter { $0.state != .alive }.sorted { $0.lastSeen > $1.lastSeen }
        return (alive + gone.prefix(goneWorkersListed)).map(Worker.init)
    }

    /// The study JSON but its trials and attempts (``StudyLog`` adds those and the cursor).
    struct Rest: Encodable {
        var summary: Summary, parameters: [ParameterInfo], workers: [Worker]
        /// Workers that left or died, listed or not (``goneWorkersListed``).
        var workersGone: Int
        /// Trials queued by hand that the coordinator has not taken yet.
        var enqueued: [Queued]
        var now: Double

        init(summary: Summary, parameters: [ParameterInfo], workers: [WorkerRecord], enqueued: [Queued], now: Double) {
            self.summary = summary
            self.parameters = parameters
            self.workers = StudyFeed.shownWorkers(workers)
            self.workersGone = workers.count { $0.state != .alive }
            self.enqueued = enqueued
            self.now = now
        }
    }

    struct TrialDetail: Encodable {
        var study: String, metric: String, trial: Trial, reports: [Report], attempts: [Attempt]
        /// A Population Based Training member's lineage, as `sweep show` gives it (nil: none).
        var lineage: Lineage?
    }

    /// A PBT member's schedule, exploit steps and effective schedule, values as text (as
    /// the tables show them). The trial page showed none of it.
    struct Lineage: Encodable {
        struct Segment: Encodable { var firstEpoch: Int, lastEpoch: Int, trial: Int, params: String }
        struct Step: Encodable { var epoch: Int, sourceTrial: Int, sourceEpoch: Int, changes: String }
        var schedule: [Segment], steps: [Step], effectiveSchedule: [Segment]

        init?(member: TrialRecord, steps all: [LineageStep], params: [Int: Params], names: [String]) {
            guard !all.isEmpty else { return nil }
            let lineage = PopulationLineage(steps: all, currentParams: params)
            let epochs = max(member.epochs, 0)
            func segments(_ list: [ScheduleSegment]) -> [Segment] {
                list.map { s in
                    Segment(firstEpoch: s.firstEpoch, lastEpoch: s.lastEpoch, trial: s.member,
                            params: LineageSection.describe(s.params, names: names))
                }
            }
            schedule = segments(lineage.ownSchedule(of: member.number, through: epochs))
            steps = lineage.steps(of: member.number).map { step in
                Step(epoch: step.epoch, sourceTrial: step.source, sourceEpoch: step.sourceEpoch, changes: LineageSection.describe(lineage.changes(of: step)))
            }
            effectiveSchedule = segments(lineage.effectiveSchedule(of: member.number, through: epochs))
        }
    }
}
