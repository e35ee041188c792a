import Foundation
import SweepSupport
import Store

/// Undoes what a refused command created: a command that fails before its study exists
/// (a bad bind address, a busy port, a bad key directory) must not leave an empty database
/// and a `.locks` folder behind.
///
/// Taken before the store is opened; ``undo()`` removes only files that did not exist
/// then, and the database only while it holds no study.
struct FirstUseCleanup {
    let database: String
    let study: String
    private let databaseExisted: Bool
    /// `.locks` folders the lock may use (beside the path as typed and beside the resolved
    /// file), each with whether it existed before.
    private let lockFolders: [(path: String, existed: Bool)]

    init(database: String, study: String) {
        self.database = database
        self.study = study
        let attributes = try? FileManager.default.attributesOfItem(atPath: database)
        let size = attributes?[.size] as? Int
        // Anything but an empty regular file was there before (a device has size 0 too).
        databaseExisted = attributes != nil && ((size ?? 0) > 0 || attributes?[.type] as? FileAttributeType != .typeRegular)
        let resolved = RealPath.of(database)
        lockFolders = Array(Set([database + ".locks", resolved + ".locks"])).map {
            ($0, FileManager.default.fileExists(atPath: $0))
        }
    }

    /// Runs `body`; when it throws, removes what it created, then rethrows.
    /// The store `body` opens must be released by the time it returns.
    func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            // The database went with the failure: "free space, then `sweep resume`" would
            // find none.
            if undo(), let text = DatabaseFailure.describe(error, databaseRemoved: true) { throw CommandFailure(text) }
            throw error
        }
    }

    /// Removes what the command created; true when that was the database.
    @discardableResult
    func undo() -> Bool {
        let fm = FileManager.default
        for (locks, existed) in lockFolders where !existed {
            try? fm.removeItem(atPath: "\(locks)/\(study).lock")
            if (try? fm.contentsOfDirectory(atPath: locks))?.isEmpty == true { try? fm.removeItem(atPath: locks) }
        }
        guard !databaseExisted, fm.fileExists(atPath: database) else { return false }
        // Only a database this command created, never wrote a study to, and nobody else uses.
        return SweepStore.removeIfUnusedAndEmpty(path: database)
    }
}
