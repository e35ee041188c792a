import Cluster
import Foundation
import Store
import SweepFile
import Synchronization

/// What a status block shows: progress, phase, and the time a coordinator ran the study.
struct StatusSnapshot {
    var progress: StudyProgress
    var phase: StudyPhase
    /// Running time over all runs, interruptions left out (nil before the first run).
    var elapsed: Double?
    /// The database, for the commands a status names (`sweep resume NAME --db PATH`).
    var databasePath: String = ""
    /// This process's coordinator was told to stop (Ctrl-C) and waits for its running trials
    /// to be handed back: the block said RUNNING, unchanged, for up to a program's kill grace.
    var stopping = false
    /// Where workers join the running study (its coordinator's endpoint), when known.
    var joinEndpoint: String?

    /// Reads a snapshot; `phase` is given when the caller knows it (its own coordinator).
    static func load(_ q: StoreQueries, study: StudyRecord, databasePath: String, now: Double,
                     phase known: StudyPhase? = nil) throws -> StatusSnapshot {
        let phase = known ?? StudyPhase.of(study, databasePath: databasePath)
        var runs = try q.runSegments(studyID: study.id)
        if phase == .running { runs = runs.extendingLast(to: now) }
        // (A population trains side by side: its progress is counted in epochs.)
        let population = Self.population(of: study)
        let progress = try q.progress(study: study, now: now, population: population)
        // (A study without start events, written by other means: from its first trial on.)
        let span = progress.firstStart.map { max(0, (phase == .running ? now : progress.lastFinish ?? now) - $0) }
        // Once it stopped, the coordinator's own count (`run_seconds`) is at least as right:
        // a run's last recorded activity can come well before its end (nothing finished).
        let stopped = phase == .running ? runs.total : max(runs.total, study.runSeconds)
        let elapsed = runs.segments.isEmpty ? span : stopped
        var measured = progress
        if phase == .interrupted { measured.interruptedRunSeconds = elapsed }
        let join = phase == .running ? StudyLockHolder.endpoint(database: databasePath, study: study.name) : nil
        return StatusSnapshot(progress: measured, phase: phase, elapsed: elapsed, databasePath: databasePath, joinEndpoint: join)
    }

    /// The last stored sweep file whose population settings were read, and them.
    private static let populations = Mutex<(text: String, members: Int, epochs: Int)?>(nil)

    /// A PBT study's population and epochs (nil for others), parsed once per sweep file:
    /// `status --watch` took a snapshot each second, and parsed the stored file each time.
    static func population(of study: StudyRecord) -> (members: Int, epochs: Int)? {
        let text = study.definition.sweepFile
        if let cached = populations.withLock({ $0 }), cached.text == text { return cached.members > 0 ? (cached.members, cached.epochs) : nil }
        let found = (try? SweepDefinition.stored(study)).flatMap { d in d.scheduler?.pbt.map { (members: $0.population, epochs: d.maxEpochs) } }
        populations.withLock { $0 = (text, found?.members ?? 0, found?.epochs ?? 0) }
        return found
    }

    /// The snapshot of the study named `name`.
    static func load(_ reader: StoreReader, study name: String, databasePath: String, now: Double,
                     phase: StudyPhase? = nil) throws -> StatusSnapshot {
        try reader.read { q in
            try load(q, study: try q.requireStudy(named: name), databasePath: databasePath, now: now, phase: phase)
        }
    }
}
