import GRDB
import Search

/// The writes of one transaction. Only valid inside ``SweepStore/write(_:)``.
///
/// Hot statements (reports, state changes) use cached prepared statements: the coordinator
/// commits thousands of them per second.
public struct StoreTransaction {
    let db: Database

    /// Reads on the same connection, seeing this transaction's writes.
    public var queries: StoreQueries { StoreQueries(db: db) }

    private func run(_ sql: String, _ arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    // MARK: Studies

    /// Creates a study; its name must be new.
    @discardableResult
    public func createStudy(_ s: NewStudy, at time: Double) throws -> StudyRecord {
        if try Int64.fetchOne(db, sql: "SELECT id FROM studies WHERE name = ?", arguments: [s.name]) != nil {
            throw StoreError.studyExists(s.name)
        }
        try db.execute(sql: """
            INSERT INTO studies (name, direction, metric, sweep_file, sweep_path, space, seed, budget_trials,
                                 max_epochs, wall_time, max_attempts, state, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'RUNNING', ?)
            """, arguments: [s.name, s.direction.rawValue, s.metric, s.sweepFile, s.sweepPath, try JSONText.encodeSpace(s.space),
                             Int64(bitPattern: s.seed), s.budgetTrials, s.maxEpochs, s.wallTime, s.maxAttempts, time])
        return StudyRecord(id: db.lastInsertedRowID, definition: s, state: .running, runSeconds: 0, createdAt: time, finishedAt: nil)
    }

    /// Marks a study running or finished.
    public func setStudyState(_ studyID: Int64, _ state: StudyState, at time: Double) throws {
        try run("UPDATE studies SET state = ?, finished_at = ? WHERE id = ?",
                [state.rawValue, state == .finished ? time : nil, studyID])
    }

    /// Adds to the study's accumulated running time (for the wall-time budget across resumes).
    public func addRunSeconds(_ studyID: Int64, _ seconds: Double) throws {
        try run("UPDATE studies SET run_seconds = run_seconds + ? WHERE id = ?", [seconds, studyID])
    }

    /// Replaces a study's sweep file and the settings stored from it (`coordinator FILE
    /// --resume --force`); its name, objective and search space must stay the same. The file
    /// it replaces is kept as the study's earlier version (the attempts that ran it say so),
    /// and the event log names the changed lines.
    public func replaceDefinition(_ studyID: Int64, _ s: NewStudy, changedLines: [String], at time: Double) throws {
        try run("""
            INSERT INTO sweep_file_versions (study_id, version, sweep_file, sweep_path, replaced_at)
            SELECT id, file_version, sweep_file, sweep_path, ? FROM studies WHERE id = ?
            """, [time, studyID])
        try run("UPDATE studies SET file_version = file_version + 1 WHERE id = ?", [studyID])
        let version = try Int.fetchOne(db, sql: "SELECT file_version FROM studies WHERE id = ?", arguments: [studyID]) ?? 0
        let shown = changedLines.prefix(20).joined(separator: "\n") + (changedLines.count > 20 ? "\n... and \(changedLines.count - 20) more" : "")
        try appendEvent(studyID: studyID, kind: .sweepFileChanged,
                        message: "the sweep file was replaced (version \(version)); trials started before ran an earlier version (`sweep show` says which)",
                        detail: shown, at: time)
        try run("""
            UPDATE studies SET sweep_file = ?, sweep_path = ?, seed = ?, budget_trials = ?, max_epochs = ?, wall_time = ?, max_attempts = ?
            WHERE id = ?
            """, [s.sweepFile, s.sweepPath, Int64(bitPattern: s.seed), s.budgetTrials, s.maxEpochs, s.wallTime, s.maxAttempts, studyID])
    }

    /// Raises the trial budget (e.g. `sweep resume --add-trials`).
    public func setBudget(_ studyID: Int64, trials: Int) throws {
        try run("UPDATE studies SET budget_trials = ? WHERE id = ?", [trials, studyID])
    }

    // MARK: Trials

    /// Inserts a new trial and returns its row id. With `leasedTo`, the trial starts
    /// RUNNING as that worker's first attempt (what ``startAttempt`` would record).
    @discardableResult
    public func insertTrial(studyID: Int64, number: Int, state: TrialState, params: Params, seed: UInt64, at time: Double,
                            leasedTo worker: String? = nil) throws -> Int64 {
        if let worker {
            try run("""
                INSERT INTO trials (study_id, number, state, params, seed, attempt, worker, created_at, started_at)
                VALUES (?, ?, 'RUNNING', ?, ?, 1, ?, ?, ?)
                """, [studyID, number, JSONText.encode(params), Int64(bitPattern: seed), worker, time, time])
            let id = db.lastInsertedRowID
            try run("INSERT INTO trial_attempts (trial_id, attempt, worker, started_at, file_version) VALUES (?, 1, ?, ?, (SELECT file_version FROM studies WHERE id = ?))",
                    [id, worker, time, studyID])
            return id
        }
        try run("INSERT INTO trials (study_id, number, state, params, seed, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [studyID, number, state.rawValue, JSONText.encode(params), Int64(bitPattern: seed), time])
        return db.lastInsertedRowID
    }

    /// Leases a trial to a worker: the trial becomes RUNNING and a new attempt starts.
    /// Epochs belong to an attempt: the curve of earlier attempts is dropped, so queries,
    /// curves and pruners see the attempt that counts (a re-run pruned at epoch 2 shows
    /// no epoch 3 of the crashed run).
    ///
    /// An attempt that continues from a checkpoint after epoch `resumedFrom` keeps the
    /// epochs up to it (recorded by earlier attempts) and records where it resumed.
    public func startAttempt(trialID: Int64, attempt: Int, worker: String, resumedFrom: Int? = nil, at time: Double) throws {
        let kept = resumedFrom ?? 0
        try run("""
            UPDATE trials SET state = 'RUNNING', attempt = ?, worker = ?, started_at = coalesce(started_at, ?), epochs = ?,
                metrics = (SELECT metrics FROM intermediate_values WHERE trial_id = ? AND step = ?)
            WHERE id = ?
            """, [attempt, worker, time, kept, trialID, kept, trialID])
        try run("DELETE FROM intermediate_values WHERE trial_id = ? AND attempt < ? AND step > ?", [trialID, attempt, kept])
        if let resumedFrom {
            try run("INSERT OR REPLACE INTO trial_attempts (trial_id, attempt, worker, started_at, resumed_from_epoch, file_version) VALUES (?, ?, ?, ?, ?, \(Self.studyFileVersion))",
                    [trialID, attempt, worker, time, resumedFrom, trialID])
        } else {
            try run("INSERT OR REPLACE INTO trial_attempts (trial_id, attempt, worker, started_at, file_version) VALUES (?, ?, ?, ?, \(Self.studyFileVersion))",
                    [trialID, attempt, worker, time, trialID])
        }
    }

    /// The current sweep file version of the study of the trial whose id is the argument.
    private static let studyFileVersion = "(SELECT s.file_version FROM studies s JOIN trials t ON t.study_id = s.id WHERE t.id = ?)"

    /// Records one epoch's report (an upsert: a repeated report overwrites the same row).
    public func recordReport(trialID: Int64, _ r: IntermediateRecord) throws {
        let metrics = JSONText.encode(r.metrics)
        try run("""
            INSERT INTO intermediate_values (trial_id, step, attempt, value, metrics, decision, reason, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (trial_id, step) DO UPDATE SET attempt = excluded.attempt, value = excluded.value,
                metrics = excluded.metrics, decision = excluded.decision, reason = excluded.reason, recorded_at = excluded.recorded_at
            """, [trialID, r.step, r.attempt, Self.storable(r.value), metrics, r.decision, Self.storable(r.reason), r.recordedAt])
        // A report re-sent out of order must not replace the metrics of a later epoch.
        try run("UPDATE trials SET metrics = CASE WHEN ? >= epochs THEN ? ELSE metrics END, epochs = max(epochs, ?) WHERE id = ?",
                [r.step, metrics, r.step, trialID])
    }

    /// Finishes a trial (COMPLETE, PRUNED or FAIL) and closes its attempt (`start`: see
    /// ``AttemptStart``).
    public func finishTrial(trialID: Int64, attempt: Int, state: TrialState, value: Double?, metrics: [String: Double]?,
                            error: String? = nil, pruneReason: String? = nil, start: AttemptStart = .asLeased, at time: Double) throws {
        precondition(state.isFinished)
        try run("""
            UPDATE trials SET state = ?, value = ?, metrics = coalesce(?, metrics), error = ?, prune_reason = ?, finished_at = ?
            WHERE id = ?
            """, [state, Self.storable(value), metrics.map(JSONText.encode), Self.storable(error), Self.storable(pruneReason), time, trialID])
        if attempt > 0 {
            try endAttempt(trialID: trialID, attempt: attempt, outcome: AttemptOutcome(finishing: state), error: error, start: start, at: time)
        }
    }

    /// Values as stored: infinities stay infinities (SQLite REAL holds them), NaN is NULL.
    static func storable(_ value: Double?) -> Double? {
        value.flatMap { $0.isNaN ? nil : $0 }
    }

    /// Text from programs and peers as stored: a NUL byte becomes `␀` (U+2400). GRDB binds
    /// text as a C string, so SQLite would keep only what comes before the first NUL (a
    /// program's stderr tail `err\0...` stored as `err`).
    static func storable(_ text: String?) -> String? {
        guard let text, text.utf8.contains(0) else { return text }
        return text.replacingOccurrences(of: "\u{0}", with: "\u{2400}")
    }

    /// Closes an attempt with its outcome, and records when it really started (``AttemptStart``).
    public func endAttempt(trialID: Int64, attempt: Int, outcome: AttemptOutcome, error: String? = nil, start: AttemptStart = .asLeased, at time: Double) throws {
        let startedAt: Double?
        switch start {
        case .asLeased:
            startedAt = nil
        case .at(let t), .never(let t):
            startedAt = t
            // The trial's start came from this attempt's lease when no earlier attempt ran:
            // it is the real start now, or none yet (the attempt that runs it sets it).
            try run("""
                UPDATE trials SET started_at = ? WHERE id = ? AND (started_at IS NULL OR started_at >=
                    (SELECT started_at FROM trial_attempts WHERE trial_id = ? AND attempt = ? AND ended_at IS NULL))
                """, [start.ran ? t : nil, trialID, trialID, attempt])
        }
        try run("""
            UPDATE trial_attempts SET ended_at = ?, outcome = ?, error = ?, started_at = coalesce(?, started_at)
            WHERE trial_id = ? AND attempt = ? AND ended_at IS NULL
            """, [time, outcome, Self.storable(error), startedAt, trialID, attempt])
    }

    /// Keeps a command trial attempt's last output (`trial_attempts.log_tail`).
    public func setAttemptLogTail(trialID: Int64, attempt: Int, _ tail: String) throws {
        try run("UPDATE trial_attempts SET log_tail = ? WHERE trial_id = ? AND attempt = ?", [Self.storable(tail), trialID, attempt])
    }

    /// Reopens an attempt that was closed too early (its worker came back and kept the trial);
    /// a trial whose start was forgotten (the attempt counted as never started) started now.
    public func reopenAttempt(trialID: Int64, attempt: Int, at time: Double) throws {
        try run("UPDATE trial_attempts SET ended_at = NULL, outcome = NULL, error = NULL WHERE trial_id = ? AND attempt = ?", [trialID, attempt])
        try run("UPDATE trials SET started_at = coalesce(started_at, ?) WHERE id = ?", [time, trialID])
    }

    /// An attempt recorded as lost with its worker (STALE) whose worker turned out alive (it
    /// said `hello` again): it counts as handed back (RETURNED), not against the retry limit.
    public func forgiveCrash(trialID: Int64, attempt: Int) throws {
        try run("UPDATE trial_attempts SET outcome = ? WHERE trial_id = ? AND attempt = ? AND outcome = ?",
                [AttemptOutcome.returned, trialID, attempt, AttemptOutcome.stale])
    }

    /// Replaces a trial's parameters (Population Based Training's explore step).
    public func setTrialParams(trialID: Int64, _ params: Params) throws {
        try run("UPDATE trials SET params = ? WHERE id = ?", [JSONText.encode(params), trialID])
    }

    /// Records one exploit/explore step of Population Based Training; returns its sequence.
    @discardableResult
    public func recordLineage(studyID: Int64, _ step: LineageStep, at time: Double) throws -> Int64 {
        var changes: Params = [:]
        for (name, text) in step.changes { changes[name] = .string(text) }
        try run("""
            INSERT INTO lineage (study_id, trial_number, epoch, source_trial, source_epoch, old_params, params, changes, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [studyID, step.member, step.epoch, step.source, step.sourceEpoch, JSONText.encode(step.oldParams),
                  JSONText.encode(step.params), JSONText.encode(changes), time])
        return db.lastInsertedRowID
    }

    /// Sets a trial's state without finishing it (STALE after a worker died, WAITING when re-queued).
    public func setTrialState(trialID: Int64, _ state: TrialState) throws {
        try run("UPDATE trials SET state = ? WHERE id = ?", [state, trialID])
    }

    /// Puts a trial that failed only on a quarantined worker back in the queue: its FAIL
    /// attempts by that worker become QUARANTINED (they use up no attempt), and a FAIL
    /// trial becomes STALE again. Returns how many attempts were reclassified.
    @discardableResult
    public func forgiveFailures(trialID: Int64, worker: String) throws -> Int {
        try run("UPDATE trial_attempts SET outcome = ? WHERE trial_id = ? AND worker = ? AND outcome = ?",
                [AttemptOutcome.quarantined, trialID, worker, AttemptOutcome.fail])
        let changed = db.changesCount
        try run("UPDATE trials SET state = 'STALE', error = NULL, finished_at = NULL, value = NULL WHERE id = ? AND state = 'FAIL'", [trialID])
        return changed
    }

    /// Undoes ``forgiveFailures(trialID:worker:)`` for the attempts only (a worker held back
    /// and then released: its failures were the trial's). Returns how many count again.
    public func restoreFailures(trialID: Int64, worker: String) throws -> Int {
        try run("UPDATE trial_attempts SET outcome = ? WHERE trial_id = ? AND worker = ? AND outcome = ?",
                [AttemptOutcome.fail, trialID, worker, AttemptOutcome.quarantined])
        return db.changesCount
    }

    // MARK: Workers

    /// Records a worker joining (or re-joining) a study.
    public func upsertWorker(studyID: Int64, _ w: WorkerRecord) throws {
        try run("""
            INSERT INTO workers (study_id, worker, host, pid, version, cores, capabilities, address, state, trial_number, epoch,
                                 first_seen, last_seen, trials_done, process)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (study_id, worker) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
                cores = excluded.cores, capabilities = excluded.capabilities, address = excluded.address, state = excluded.state,
                trial_number = excluded.trial_number, epoch = excluded.epoch, last_seen = excluded.last_seen, process = excluded.process
            """, [studyID, w.worker, Self.storable(w.host), w.pid, Self.storable(w.version), w.cores, Self.storable(w.capabilities), Self.storable(w.address), w.state,
                  w.trialNumber, w.epoch, w.firstSeen, w.lastSeen, w.trialsDone, w.process])
    }

    /// Updates what a worker is doing, as the status display shows it.
    public func updateWorker(studyID: Int64, worker: String, state: WorkerState, trialNumber: Int?, epoch: Int?,
                             lastSeen: Double, finishedTrials: Int = 0) throws {
        try run("""
            UPDATE workers SET state = ?, trial_number = ?, epoch = ?, last_seen = ?, trials_done = trials_done + ?
            WHERE study_id = ? AND worker = ?
            """, [state, trialNumber, epoch, lastSeen, finishedTrials, studyID, worker])
    }

    /// Records that the coordinator stopped assigning work to a worker, with the error of
    /// its last failed trial.
    public func quarantineWorker(studyID: Int64, worker: String, lastError: String, at time: Double) throws {
        try run("UPDATE workers SET quarantined_at = ?, last_error = ?, trial_number = NULL, epoch = NULL WHERE study_id = ? AND worker = ?",
                [time, Self.storable(lastError), studyID, worker])
    }

    /// Lifts a worker's quarantine (it came back as a new process).
    public func liftQuarantine(studyID: Int64, worker: String) throws {
        try run("UPDATE workers SET quarantined_at = NULL WHERE study_id = ? AND worker = ?", [studyID, worker])
    }

    /// Marks every worker of a study still recorded ALIVE as `state` (LEFT when the study
    /// ends, DEAD when a coordinator starts: nobody tracks them any more).
    public func markWorkersGone(studyID: Int64, as state: WorkerState) throws {
        try run("UPDATE workers SET state = ?, trial_number = NULL, epoch = NULL WHERE study_id = ? AND state = 'ALIVE'", [state, studyID])
    }

    // MARK: Artifacts and retrains

    /// Records (or replaces) the stored model of a trial.
    public func upsertArtifact(studyID: Int64, _ a: ArtifactRecord) throws {
        try run("INSERT OR REPLACE INTO artifacts (study_id, trial_number, path, bytes, value, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [studyID, a.trialNumber, a.path, a.bytes, a.value, a.createdAt])
    }

    /// Forgets the stored model of a trial (its file is removed by the caller).
    public func deleteArtifact(studyID: Int64, trialNumber: Int) throws {
        try run("DELETE FROM artifacts WHERE study_id = ? AND trial_number = ?", [studyID, trialNumber])
    }

    /// Records a retrain result.
    @discardableResult
    public func insertRetrain(studyID: Int64, _ r: RetrainRecord) throws -> Int64 {
        try run("""
            INSERT INTO retrains (study_id, trial_number, epochs, train_samples, test_accuracy, test_loss, metrics, seconds, model_path, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [studyID, r.trialNumber, r.epochs, r.trainSamples, r.testAccuracy, r.testLoss, JSONText.encode(r.metrics), r.seconds, r.modelPath, r.createdAt])
        return db.lastInsertedRowID
    }

    // MARK: Events

    /// Appends one line to the event log.
    public func appendEvent(studyID: Int64, kind: EventKind, trialNumber: Int? = nil, worker: String? = nil,
                            message: String, detail: String? = nil, at time: Double) throws {
        try run("INSERT INTO events (study_id, time, kind, trial_number, worker, message, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [studyID, time, kind.rawValue, trialNumber, worker, Self.storable(message), Self.storable(detail)])
    }
}
