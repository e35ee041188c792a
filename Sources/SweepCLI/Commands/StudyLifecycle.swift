import ArgumentParser
import Cluster
import Foundation
import Store
import SweepFile
import SweepSupport

/// `sweep delete STUDY`: a study, its records and its model files, gone.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete a study: its trials, events, workers, models, command logs and lock file.",
        discussion: """
            Asks for confirmation unless --yes is given. Refused while a coordinator runs
            the study (stop it first). Other studies of the database are untouched.

            Examples:
              sweep delete quickstart
              sweep delete old-trial --yes --db runs/sweep.db
            """)

    @Argument(help: "The study's name.") var study: String
    @OptionGroup var database: DatabaseOptions
    @Flag(name: [.long, .customShort("y")], help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        try StudyName.check(study)
        let store = try existingStore(database)
        let (record, trials, models) = try store.read { q in
            let s = try q.requireStudy(named: study)
            return (s, try q.stateCounts(studyID: s.id).values.reduce(0, +), try q.artifacts(studyID: s.id).count)
        }
        // Held to the end: no coordinator can start on the study while it is deleted.
        let lock = try StudyLock(database: database.path, study: study, action: "delete")
        if !yes {
            try confirm("Delete study '\(record.name)' (\(trials) trial(s), \(models) model file(s)) from \(database.path)?")
        }
        try store.write { tx in try tx.deleteStudy(record.id) }
        // The records are gone first: a crash now leaves only files nothing points to.
        let folder = ArtifactDirectory(database: database.path).absolute(study)
        if FileManager.default.fileExists(atPath: folder) {
            do { try FileManager.default.removeItem(atPath: folder) } catch {
                throw CommandFailure("study '\(study)' deleted, but its model folder \(folder) could not be removed: \(SystemErrorText.of(error))")
            }
        }
        // The local workers' logs of its command trials (`DB.logs/STUDY`) go too: they were
        // left behind, thousands of files for a long study.
        let logs = URL(fileURLWithPath: commandLogDirectory(database.path)).appendingPathComponent(study).path
        if FileManager.default.fileExists(atPath: logs) {
            do { try FileManager.default.removeItem(atPath: logs) } catch {
                throw CommandFailure("study '\(study)' deleted, but its log folder \(logs) could not be removed: \(SystemErrorText.of(error))")
            }
        }
        unlink(lock.path)
        print("deleted study '\(study)' (\(trials) trial(s), \(models) model file(s)) from \(database.path)")
    }
}

/// `sweep rename OLD NEW`.
struct Rename: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rename a study (its records, its model folder and its command logs).",
        discussion: """
            Refused while a coordinator runs the study, or if NEW exists. Continue the
            study afterwards with `sweep resume NEW`.

            Example:
              sweep rename quickstart quickstart-baseline --db runs/sweep.db
            """)

    @Argument(help: "The study's current name.") var old: String
    @Argument(help: "Its new name.") var new: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try StudyName.check(old)
        try StudyName.checkNew(new)
        guard old != new else { throw UsageError("the new name is the current one ('\(old)')") }
        let store = try existingStore(database)
        let record = try store.read { q in
            if try q.study(named: new) != nil { throw StoreError.studyExists(new) }
            return try q.requireStudy(named: old)
        }
        // Both names locked: no coordinator runs the old study or starts one under the new name.
        let oldLock = try StudyLock(database: database.path, study: old, action: "rename")
        let newLock = try StudyLock(database: database.path, study: new, action: "rename to")
        let artifacts = ArtifactDirectory(database: database.path)
        let from = artifacts.absolute(old), to = artifacts.absolute(new)
        let moveFolder = FileManager.default.fileExists(atPath: from)
        let logs = URL(fileURLWithPath: commandLogDirectory(database.path))
        let oldLogs = logs.appendingPathComponent(old).path, newLogs = logs.appendingPathComponent(new).path
        // Another study's logs under the new name (one deleted by hand, or renamed away with
        // its logs left): they would be shown as this study's (the logs stayed behind, said
        // nowhere, and `sweep logs NEW` found none).
        if FileManager.default.fileExists(atPath: oldLogs), Self.isTaken(newLogs) {
            throw UsageError("cannot rename: the log folder \(newLogs) already exists; move it away first")
        }
        if moveFolder {
            guard !Self.isTaken(to) else {
                throw UsageError("cannot rename: the model folder \(to) already exists; move it away first")
            }
            guard rename(from, to) == 0 else {
                throw CommandFailure("cannot move the model folder \(from) to \(to): \(String(cString: strerror(errno)))")
            }
        }
        do {
            try store.write { tx in try tx.renameStudy(record.id, from: old, to: new) }
        } catch {
            if moveFolder { rename(to, from) } // the database still says OLD: so do the files
            throw error
        }
        // Its command logs follow (`sweep logs NEW`); a failure to move them loses nothing.
        if FileManager.default.fileExists(atPath: oldLogs), rename(oldLogs, newLogs) != 0 {
            StandardStream.error.write("warning: the command logs stay in \(oldLogs): \(String(cString: strerror(errno)))\n")
        }
        unlink(oldLock.path)
        unlink(newLock.path)
        print("renamed study '\(old)' to '\(new)' in \(database.path)")
    }

    /// Whether something is at `path`, a symbolic link that leads nowhere included (a
    /// `fileExists` follows it and said no; the rename then could not move into it).
    static func isTaken(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

/// The writable store of a database that must already exist (never creates one).
private func existingStore(_ database: DatabaseOptions) throws -> SweepStore {
    guard FileManager.default.fileExists(atPath: database.path) else {
        throw UsageError("no database at \(database.path) (pass --db PATH)")
    }
    return try database.writer()
}

/// Asks on the terminal; anything but y/yes leaves everything as it was.
private func confirm(_ question: String) throws {
    StandardStream.output.write("\(question) [y/N] ")
    guard let answer = readLine() else {
        throw UsageError("no answer on standard input; pass --yes to delete without asking")
    }
    guard ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
        throw CommandFailure("not deleted")
    }
}
