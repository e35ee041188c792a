import GRDB

/// The versioned schema. Each migration runs once, in order, inside a transaction; the
/// applied versions are recorded by GRDB in `grdb_migrations`. Never edit a shipped
/// migration: add a new one. `docs/schema.md` documents the result for `sqlite3` users.
enum Schema {
    /// Stamps the file as Sweep's; it changes no table, so readers do without it.
    static let applicationIDMigration = "v3-files: application id"
    /// Quarantine columns of `workers`; readers treat them as optional.
    static let workerQuarantineMigration = "v3-core-worker-quarantine"
    /// `studies.data_fingerprint`; read only by writers (resume), so readers do without it.
    static let dataFingerprintMigration = "v3-ship-data-fingerprint"
    /// `trial_attempts.resumed_from_epoch`; readers treat it as optional.
    static let attemptResumeMigration = "v-ckpt-attempt-resumed-from-epoch"
    /// `trial_attempts.log_tail` (a command trial's last output); readers treat it as optional.
    static let attemptLogTailMigration = "v3-cmd-attempt-log-tail"
    /// Trials queued by hand (`sweep enqueue`, the dashboard); readers treat the table as optional.
    static let enqueuedTrialsMigration = "v3-dash-enqueued-trials"

    /// Population Based Training's lineage table; readers of an older file see no lineage.
    static let lineageMigration = "v-pbt-lineage"
    /// `workers.process` (which process a worker is, so a resumed coordinator on the same
    /// machine sees at once that it is gone); read only by writers (resume).
    static let workerProcessMigration = "v-live-worker-process"
    /// The sweep files a study ran under before `--resume --force` replaced them, and the
    /// version each attempt ran; readers of an older file take every trial's as the current.
    static let sweepFileVersionsMigration = "v-edit-sweep-file-versions"

    /// Migrations a read-only connection needs: all but those that change no table (a
    /// database last written by an older sweep must stay queryable, and readers cannot migrate).
    static var neededByReaders: Set<String> {
        Set(migrator.migrations).subtracting([applicationIDMigration, workerQuarantineMigration, dataFingerprintMigration, attemptResumeMigration,
                                              attemptLogTailMigration, enqueuedTrialsMigration, lineageMigration,
                                              workerProcessMigration, sweepFileVersionsMigration])
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: studies, trials, intermediate values, attempts, workers, events") { db in
            try db.execute(sql: """
                CREATE TABLE studies (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),
                    metric TEXT NOT NULL,
                    sweep_file TEXT NOT NULL,
                    sweep_path TEXT,
                    space TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    budget_trials INTEGER NOT NULL CHECK (budget_trials > 0),
                    max_epochs INTEGER,
                    wall_time REAL,
                    max_attempts INTEGER NOT NULL DEFAULT 3,
                    state TEXT NOT NULL DEFAULT 'RUNNING' CHECK (state IN ('RUNNING', 'FINISHED')),
                    run_seconds REAL NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    finished_at REAL
                );

                CREATE TABLE trials (
                    id INTEGER PRIMARY KEY,
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL CHECK (number >= 0),
                    state TEXT NOT NULL CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'STALE')),
                    params TEXT NOT NULL,
                    value REAL,
                    metrics TEXT,
                    seed INTEGER NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    worker TEXT,
                    epochs INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    error TEXT,
                    prune_reason TEXT,
                    UNIQUE (study_id, number)
                );
                CREATE INDEX trials_by_state ON trials(study_id, state);
                CREATE INDEX trials_by_value ON trials(study_id, value) WHERE state = 'COMPLETE';

                CREATE TABLE intermediate_values (
                    trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL CHECK (step >= 1),
                    attempt INTEGER NOT NULL,
                    value REAL,
                    metrics TEXT NOT NULL DEFAULT '{}',
                    decision TEXT NOT NULL DEFAULT 'continue' CHECK (decision IN ('continue', 'prune')),
                    reason TEXT,
                    recorded_at REAL NOT NULL,
                    PRIMARY KEY (trial_id, step)
                ) WITHOUT ROWID;

                CREATE TABLE trial_attempts (
                    trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL CHECK (attempt >= 1),
                    worker TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    ended_at REAL,
                    outcome TEXT,
                    error TEXT,
                    PRIMARY KEY (trial_id, attempt)
                ) WITHOUT ROWID;

                CREATE TABLE workers (
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    worker TEXT NOT NULL,
                    host TEXT NOT NULL,
                    pid INTEGER,
                    version TEXT,
                    cores INTEGER,
                    capabilities TEXT NOT NULL DEFAULT '{}',
                    address TEXT,
                    state TEXT NOT NULL CHECK (state IN ('ALIVE', 'DEAD', 'LEFT')),
                    trial_number INTEGER,
                    epoch INTEGER,
                    first_seen REAL NOT NULL,
                    last_seen REAL NOT NULL,
                    trials_done INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (study_id, worker)
                ) WITHOUT ROWID;

                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    time REAL NOT NULL,
                    kind TEXT NOT NULL,
                    trial_number INTEGER,
                    worker TEXT,
                    message TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX events_by_trial ON events(study_id, trial_number);
                CREATE INDEX events_by_kind ON events(study_id, kind);
                """)
        }
        m.registerMigration("v2: model artifacts and retrain results") { db in
            try db.execute(sql: """
                CREATE TABLE artifacts (
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    trial_number INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    value REAL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (study_id, trial_number)
                ) WITHOUT ROWID;

                CREATE TABLE retrains (
                    id INTEGER PRIMARY KEY,
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    trial_number INTEGER NOT NULL,
                    epochs INTEGER NOT NULL,
                    train_samples INTEGER NOT NULL,
                    test_accuracy REAL,
                    test_loss REAL,
                    metrics TEXT NOT NULL DEFAULT '{}',
                    seconds REAL NOT NULL,
                    model_path TEXT,
                    created_at REAL NOT NULL
                );
                CREATE INDEX retrains_by_study ON retrains(study_id, trial_number);
                """)
        }
        m.registerMigration(applicationIDMigration) { db in
            // Marks the file as Sweep's, so `--db` pointed at it later is recognised (and
            // another program's file refused); see DatabaseOwnership.
            try db.execute(sql: "PRAGMA application_id = \(DatabaseOwnership.applicationID)")
        }
        m.registerMigration(workerQuarantineMigration) { db in
            // A worker that fails trial after trial while others succeed stops getting work.
            try db.execute(sql: """
                ALTER TABLE workers ADD COLUMN quarantined_at REAL;
                ALTER TABLE workers ADD COLUMN last_error TEXT;
                """)
        }
        m.registerMigration(dataFingerprintMigration) { db in
            // The data's fingerprint when the study started: a resume on other data is refused.
            try db.execute(sql: "ALTER TABLE studies ADD COLUMN data_fingerprint TEXT")
        }
        m.registerMigration(attemptResumeMigration) { db in
            // An attempt that continued from an earlier attempt's checkpoint: its last epoch.
            try db.execute(sql: "ALTER TABLE trial_attempts ADD COLUMN resumed_from_epoch INTEGER")
        }
        m.registerMigration(attemptLogTailMigration) { db in
            // Every command-trial attempt's last output, for when its worker's log files are out of reach.
            try db.execute(sql: "ALTER TABLE trial_attempts ADD COLUMN log_tail TEXT")
        }
        m.registerMigration(enqueuedTrialsMigration) { db in
            // Written by `sweep enqueue` and the dashboard, read and marked taken by the
            // coordinator (the only writer of `trials`, which numbers trials itself).
            try db.execute(sql: """
                CREATE TABLE enqueued_trials (
                    id INTEGER PRIMARY KEY,
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    params TEXT NOT NULL,
                    source TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    trial_number INTEGER,
                    taken_at REAL
                );
                CREATE INDEX enqueued_trials_waiting ON enqueued_trials(study_id) WHERE trial_number IS NULL;
                """)
        }
        m.registerMigration(lineageMigration) { db in
            // One row per exploit/explore step of Population Based Training.
            try db.execute(sql: """
                CREATE TABLE lineage (
                    id INTEGER PRIMARY KEY,
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    trial_number INTEGER NOT NULL,
                    epoch INTEGER NOT NULL CHECK (epoch >= 1),
                    source_trial INTEGER NOT NULL,
                    source_epoch INTEGER NOT NULL CHECK (source_epoch >= 0),
                    old_params TEXT NOT NULL,
                    params TEXT NOT NULL,
                    changes TEXT NOT NULL DEFAULT '{}',
                    created_at REAL NOT NULL
                );
                CREATE INDEX lineage_by_trial ON lineage(study_id, trial_number);
                """)
        }
        m.registerMigration(workerProcessMigration) { db in
            // `ProcessIdentity`'s wire form, for workers that sent it.
            try db.execute(sql: "ALTER TABLE workers ADD COLUMN process TEXT")
        }
        m.registerMigration(sweepFileVersionsMigration) { db in
            // A study's current file is version `file_version` (in `studies`); the ones it
            // replaced are kept here, so a trial is shown, exported and retrained as it ran.
            try db.execute(sql: """
                ALTER TABLE studies ADD COLUMN file_version INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE trial_attempts ADD COLUMN file_version INTEGER;
                CREATE TABLE sweep_file_versions (
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    sweep_file TEXT NOT NULL,
                    sweep_path TEXT,
                    replaced_at REAL NOT NULL,
                    PRIMARY KEY (study_id, version)
                ) WITHOUT ROWID;
                """)
        }
        return m
    }
}
