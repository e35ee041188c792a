import GRDB
import Search

/// How `sweep trials` orders its rows.
public enum TrialOrder: Sendable, Hashable {
    /// By trial number.
    case number
    /// Best objective value first (in the study's direction); trials without a value last.
    case value
    /// By a metric of the last reported epoch, best first when the name says which way
    /// (`loss`-like ascending, `accuracy`-like descending); `ascending` overrides.
    case metric(String, ascending: Bool)
    /// Longest first.
    case duration
}

/// Read queries. Only valid inside ``SweepStore/read(_:)`` or ``StoreReader/read(_:)``.
public struct StoreQueries {
    let db: Database

    // MARK: Studies

    /// All studies, oldest first.
    public func studies() throws -> [StudyRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM studies ORDER BY id").map(Self.study)
    }

    /// The study named `name`.
    public func study(named name: String) throws -> StudyRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM studies WHERE name = ?", arguments: [name]).map(Self.study)
    }

    /// The study named `name`, or an error listing the studies that exist.
    public func requireStudy(named name: String) throws -> StudyRecord {
        if let s = try study(named: name) { return s }
        let names = try String.fetchAll(db, sql: "SELECT name FROM studies ORDER BY id")
        let known = names.isEmpty ? "the database has no studies" : "studies: \(names.joined(separator: ", "))"
        throw StoreError.notFound("no study named '\(name)' (\(known))")
    }

    static func study(_ row: Row) throws -> StudyRecord {
        let definition = NewStudy(
            name: row["name"], direction: try row.decode(forColumn: "direction"), metric: row["metric"],
            sweepFile: row["sweep_file"], sweepPath: row["sweep_path"], space: try JSONText.decodeSpace(row["space"]),
            seed: UInt64(bitPattern: row["seed"]), budgetTrials: row["budget_trials"], maxEpochs: row["max_epochs"],
            wallTime: row["wall_time"], maxAttempts: row["max_attempts"])
        return StudyRecord(id: row["id"], definition: definition, state: try row.decode(forColumn: "state"),
                           runSeconds: row["run_seconds"], createdAt: row["created_at"], finishedAt: row["finished_at"])
    }

    // MARK: Trials

    /// Trials of a study, optionally filtered by state, ordered and limited. `reversed` turns
    /// the order round (worst first, shortest first, highest number first); trials without
    /// the sorted value stay last either way.
    public func trials(studyID: Int64, states: Set<TrialState>? = nil, order: TrialOrder = .number, reversed: Bool = false,
                       direction: Direction = .minimize, limit: Int? = nil) throws -> [TrialRecord] {
        var sql = "SELECT \(Self.trialColumns) FROM trials t WHERE study_id = ?"
        var args: StatementArguments = [studyID]
        if let states, !states.isEmpty {
            sql += " AND state IN (\(Array(repeating: "?", count: states.count).joined(separator: ",")))"
            for s in states.map(\.rawValue).sorted() { _ = args.append(contentsOf: [s]) }
        }
        // The direction of the sort key, turned round when `reversed`; ties by number.
        func way(ascending: Bool) -> String { ascending != reversed ? "ASC" : "DESC" }
        switch order {
        case .number:
            sql += " ORDER BY number \(way(ascending: true))"
        case .value:
            sql += " ORDER BY value IS NULL, value \(way(ascending: direction == .minimize)), number"
        case .metric(let name, let ascending):
            sql += " ORDER BY json_extract(metrics, ?) IS NULL, json_extract(metrics, ?) \(way(ascending: ascending)), number"
            _ = args.append(contentsOf: ["$.\"\(name)\"", "$.\"\(name)\""])
        case .duration:
            sql += " ORDER BY duration IS NULL, duration \(way(ascending: false)), number"
        }
        if let limit {
            sql += " LIMIT ?"
            _ = args.append(contentsOf: [limit])
        }
        return try Row.fetchAll(db, sql: sql, arguments: args).map(Self.trial)
    }

    /// One trial by number.
    public func trial(studyID: Int64, number: Int) throws -> TrialRecord? {
        try Row.fetchOne(db, sql: "SELECT \(Self.trialColumns) FROM trials t WHERE study_id = ? AND number = ?", arguments: [studyID, number]).map(Self.trial)
    }

    /// The best COMPLETE trials, best first.
    public func best(study: StudyRecord, top: Int) throws -> [TrialRecord] {
        try trials(studyID: study.id, states: [.complete], order: .value, direction: study.direction, limit: top)
    }

    /// Number of trials per state.
    public func stateCounts(studyID: Int64) throws -> [TrialState: Int] {
        var out: [TrialState: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM trials WHERE study_id = ? GROUP BY state", arguments: [studyID]) {
            out[try row.decode(TrialState.self, forColumn: "state")] = row["n"]
        }
        return out
    }

    /// A trial's columns and its `duration` (see ``TrialRecord/duration``), for `FROM trials t`.
    static let trialColumns = """
        t.*, CASE WHEN t.finished_at IS NULL THEN NULL ELSE coalesce(
            (SELECT sum(coalesce(a.ended_at, t.finished_at) - a.started_at) FROM trial_attempts a WHERE a.trial_id = t.id),
            t.finished_at - t.started_at) END AS duration
        """

    static func trial(_ row: Row) throws -> TrialRecord {
        TrialRecord(id: row["id"], studyID: row["study_id"], number: row["number"],
                    state: try row.decode(forColumn: "state"), params: JSONText.decodeParams(row["params"]),
                    value: row["value"], metrics: JSONText.decodeMetrics(row["metrics"]), seed: UInt64(bitPattern: row["seed"]),
                    attempt: row["attempt"], worker: row["worker"], epochs: row["epochs"], createdAt: row["created_at"],
                    startedAt: row["started_at"], finishedAt: row["finished_at"], error: row["error"], pruneReason: row["prune_reason"],
                    duration: row["duration"])
    }

    // MARK: Curves, attempts, events, workers

    /// The per-epoch reports of one trial, by step.
    public func intermediates(trialID: Int64) throws -> [IntermediateRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM intermediate_values WHERE trial_id = ? ORDER BY step", arguments: [trialID]).map(Self.intermediate)
    }

    /// The per-epoch reports of every trial of a study, keyed by trial number.
    public func allIntermediates(studyID: Int64) throws -> [Int: [IntermediateRecord]] {
        try byTrialNumber("""
            SELECT t.number, iv.* FROM intermediate_values iv JOIN trials t ON t.id = iv.trial_id
            WHERE t.study_id = ? ORDER BY t.number, iv.step
            """, studyID: studyID, Self.intermediate)
    }

    /// ``allIntermediates(studyID:)`` of the trials numbered `numbers` only (an export reads a
    /// study's curves a few trials at a time).
    public func intermediates(studyID: Int64, numbers: ClosedRange<Int>) throws -> [Int: [IntermediateRecord]] {
        var out: [Int: [IntermediateRecord]] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT t.number, iv.* FROM intermediate_values iv JOIN trials t ON t.id = iv.trial_id
            WHERE t.study_id = ? AND t.number BETWEEN ? AND ? ORDER BY t.number, iv.step
            """, arguments: [studyID, numbers.lowerBound, numbers.upperBound])
        while let row = try rows.next() {
            out[row["number"], default: []].append(try Self.intermediate(row))
        }
        return out
    }

    /// ``allIntermediates(studyID:)`` without each epoch's other metrics (`metrics` empty):
    /// what the report's plots draw. Decoding every metric of every epoch took 1.3 GB for an
    /// 83 KB report of 20 trials x 2,000 epochs x 256 metrics.
    public func allObjectiveCurves(studyID: Int64) throws -> [Int: [IntermediateRecord]] {
        try byTrialNumber("""
            SELECT t.number, iv.step, iv.attempt, iv.value, NULL AS metrics, iv.decision, iv.reason, iv.recorded_at
            FROM intermediate_values iv JOIN trials t ON t.id = iv.trial_id
            WHERE t.study_id = ? ORDER BY t.number, iv.step
            """, studyID: studyID, Self.intermediate)
    }

    /// The rows of one study-wide query (which selects `t.number`), grouped by trial number.
    private func byTrialNumber<T>(_ sql: String, studyID: Int64, _ make: (Row) throws -> T) throws -> [Int: [T]] {
        var out: [Int: [T]] = [:]
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [studyID])
        while let row = try rows.next() {
            out[row["number"], default: []].append(try make(row))
        }
        return out
    }

    static func intermediate(_ row: Row) throws -> IntermediateRecord {
        IntermediateRecord(step: row["step"], attempt: row["attempt"], value: row["value"], metrics: JSONText.decodeMetrics(row["metrics"]),
                           pruned: try row.decode(PruneAction.self, forColumn: "decision") == .prune, reason: row["reason"],
                           recordedAt: row["recorded_at"])
    }

    /// The report of one epoch of one attempt, if it was recorded (for idempotent answers).
    public func intermediate(trialID: Int64, step: Int, attempt: Int) throws -> IntermediateRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM intermediate_values WHERE trial_id = ? AND step = ? AND attempt = ?",
                         arguments: [trialID, step, attempt]).map(Self.intermediate)
    }

    /// Every exploit/explore step of a study's Population Based Training, oldest first
    /// (none in a file written before lineage existed).
    public func lineage(studyID: Int64) throws -> [LineageStep] {
        guard try db.tableExists("lineage") else { return [] }
        return try Row.fetchAll(db, sql: "SELECT * FROM lineage WHERE study_id = ? ORDER BY id", arguments: [studyID]).map { row in
            var changes: [String: String] = [:]
            for (name, value) in JSONText.decodeParams(row["changes"]) {
                if case .string(let text) = value { changes[name] = text }
            }
            return LineageStep(sequence: row["id"], member: row["trial_number"], epoch: row["epoch"], source: row["source_trial"],
                               sourceEpoch: row["source_epoch"], oldParams: JSONText.decodeParams(row["old_params"]),
                               params: JSONText.decodeParams(row["params"]), changes: changes)
        }
    }

    /// A study's earlier sweep files, by version: those `--resume --force` replaced (none
    /// when it never was, or in a file written before versions were kept).
    public func earlierSweepFiles(studyID: Int64) throws -> [Int: EarlierSweepFile] {
        guard try db.tableExists("sweep_file_versions") else { return [:] }
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM sweep_file_versions WHERE study_id = ?", arguments: [studyID])
        return Dictionary(rows.map { row in
            (row["version"], EarlierSweepFile(version: row["version"], text: row["sweep_file"], path: row["sweep_path"], replacedAt: row["replaced_at"]))
        }, uniquingKeysWith: { first, _ in first })
    }

    /// The sweep file version each trial's current attempt ran, by trial number (trials not
    /// yet started are absent). An attempt recorded before versions were kept ran version 1:
    /// the file the study had when they began to be kept (taken for the current one, the
    /// first replacement credited every older trial to the new file).
    public func attemptFileVersions(studyID: Int64) throws -> [Int: Int] {
        guard try db.columns(in: "trial_attempts").contains(where: { $0.name == "file_version" }) else { return [:] }
        let rows = try Row.fetchAll(db, sql: """
            SELECT t.number, coalesce(a.file_version, 1) FROM trials t
            JOIN trial_attempts a ON a.trial_id = t.id AND a.attempt = t.attempt
            WHERE t.study_id = ?
            """, arguments: [studyID])
        return Dictionary(rows.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every lease of one trial.
    public func attempts(trialID: Int64) throws -> [AttemptRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM trial_attempts WHERE trial_id = ? ORDER BY attempt", arguments: [trialID]).map(Self.attempt)
    }

    static func attempt(_ row: Row) throws -> AttemptRecord {
        AttemptRecord(attempt: row["attempt"], worker: row["worker"], startedAt: row["started_at"], endedAt: row["ended_at"],
                      outcome: try row.decode(forColumn: "outcome"), error: row["error"],
                      resumedFromEpoch: row.hasColumn("resumed_from_epoch") ? row["resumed_from_epoch"] : nil,
                      logTail: row.hasColumn("log_tail") ? row["log_tail"] : nil)
    }

    /// Event log lines, oldest first (the last `limit` when given).
    public func events(studyID: Int64, trialNumber: Int? = nil, kinds: [EventKind]? = nil, limit: Int? = nil) throws -> [EventRecord] {
        var sql = "SELECT * FROM events WHERE study_id = ?"
        var args: StatementArguments = [studyID]
        if let trialNumber {
            sql += " AND trial_number = ?"
            _ = args.append(contentsOf: [trialNumber])
        }
        if let kinds, !kinds.isEmpty {
            sql += " AND kind IN (\(Array(repeating: "?", count: kinds.count).joined(separator: ",")))"
            for k in kinds { _ = args.append(contentsOf: [k.rawValue]) }
        }
        sql += " ORDER BY id DESC"
        if let limit {
            sql += " LIMIT ?"
            _ = args.append(contentsOf: [limit])
        }
        let rows = try Row.fetchAll(db, sql: sql, arguments: args)
        return rows.reversed().map { row in
            EventRecord(id: row["id"], time: row["time"], kind: row["kind"], trialNumber: row["trial_number"], worker: row["worker"],
                        message: row["message"], detail: row["detail"])
        }
    }

    /// Workers that joined a study.
    public func workers(studyID: Int64) throws -> [WorkerRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM workers WHERE study_id = ? ORDER BY host, worker", arguments: [studyID]).map { row in
            WorkerRecord(worker: row["worker"], host: row["host"], pid: row["pid"], version: row["version"], cores: row["cores"],
                         capabilities: row["capabilities"], address: row["address"], state: try row.decode(forColumn: "state"),
                         trialNumber: row["trial_number"], epoch: row["epoch"], firstSeen: row["first_seen"], lastSeen: row["last_seen"],
                         trialsDone: row["trials_done"], quarantinedAt: row["quarantined_at"], lastError: row["last_error"],
                         process: row["process"])
        }
    }

    // MARK: Artifacts and retrains

    /// Stored models of a study, by trial number.
    public func artifacts(studyID: Int64) throws -> [ArtifactRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM artifacts WHERE study_id = ? ORDER BY trial_number", arguments: [studyID]).map { row in
            ArtifactRecord(trialNumber: row["trial_number"], path: row["path"], bytes: row["bytes"], value: row["value"], createdAt: row["created_at"])
        }
    }

    /// Retrain results of a study, oldest first.
    public func retrains(studyID: Int64) throws -> [RetrainRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM retrains WHERE study_id = ? ORDER BY id", arguments: [studyID]).map { row in
            RetrainRecord(id: row["id"], trialNumber: row["trial_number"], epochs: row["epochs"], trainSamples: row["train_samples"],
                          testAccuracy: row["test_accuracy"], testLoss: row["test_loss"], metrics: JSONText.decodeMetrics(row["metrics"]),
                          seconds: row["seconds"], modelPath: row["model_path"], createdAt: row["created_at"])
        }
    }
}
