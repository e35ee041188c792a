import Foundation
import Store
import SweepSupport

/// Watches the coordinator's database file for being removed, replaced, or truncated or
/// overwritten in place (no SQLite header left) while it runs.
///
/// SQLite writes on through the descriptors it holds: a run whose file was removed (`rm`)
/// or replaced (`mv other.db study.db`) went on to the end of its budget, recording every
/// result into a file nobody could open again, and said so only then. Looked at once a
/// second (a `stat`), so the run stops within about two seconds and saves what it recorded.
///
/// The file watched is the one `--db` resolved to when the run started: a symbolic link
/// removed leaves it intact, and SQLite keeps its log (`-wal`, `-shm`) beside it.
struct DatabaseFileWatch {
    /// What happened to the file.
    enum Change: String, Sendable {
        case removed
        case replaced = "replaced by another file"
        /// The same file, but no SQLite database any more (`truncate -s 0`, `> study.db`):
        /// its pages are gone, and a run that went on recorded into nothing (all of it lost,
        /// said only at the end).
        case damaged = "truncated or overwritten"
    }

    /// The path as given (for messages and the copy's name).
    let path: String
    /// The file it named when the run started.
    let realPath: String
    private let atStart: FileStamp
    private var lastLook = -Double.infinity
    /// A change seen once: confirmed at the next look before the run stops.
    private var seen: Change?

    /// Nil when there is no file to watch (in memory, or already gone).
    init?(path: String?) {
        guard let path else { return nil }
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let stamp = FileStamp(path: real) else { return nil }
        self.path = path
        realPath = real
        atStart = stamp
    }

    /// What happened to the file, seen on two looks in a row (a second apart): a `stat`, and
    /// a read of the header's first 16 bytes. Only a file that is gone (ENOENT, ENOTDIR),
    /// another file, or one without the header counts: a `stat` or read that fails otherwise
    /// (EACCES after a `chmod`, EIO, ESTALE on NFS) says nothing of the file.
    mutating func change(now: Double) -> Change? {
        guard now - lastLook >= 1 else { return nil }
        lastLook = now
        var info = stat()
        let current: Change?
        if stat(realPath, &info) == 0 {
            let same = UInt64(info.st_dev) == atStart.device && UInt64(info.st_ino) == atStart.inode
            // (A database always starts with its header once created: the switch to WAL
            // writes its first page.)
            current = !same ? .replaced : SweepStore.holdsSQLiteHeader(path: realPath) == false ? .damaged : nil
        } else {
            current = errno == ENOENT || errno == ENOTDIR ? .removed : nil
        }
        defer { seen = current }
        return current != nil && current == seen ? current : nil
    }

    /// Removes the run's log beside the file's name: SQLite would replay it into whatever
    /// file takes the name (the replacing one, a backup restored, the copy moved back).
    func removeLog() {
        for suffix in ["-wal", "-shm"] { unlink(realPath + suffix) }
    }

    /// Links the folders named after the database (models and checkpoints in `.artifacts`,
    /// command logs in `.logs`) under the copy's name, so that a study resumed from the copy
    /// finds them (its trials started over, and its models were not found).
    func linkFolders(to copy: String) {
        for suffix in [".artifacts", ".logs"] {
            // (Beside the file a symbolic-link name points to, where the study keeps them.)
            let folder = URL(fileURLWithPath: DatabaseSidecar.path(of: path, suffix)).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: folder), !FileManager.default.fileExists(atPath: copy + suffix) else { continue }
            try? FileManager.default.createSymbolicLink(atPath: copy + suffix, withDestinationPath: folder)
        }
    }

    /// Free names for the copy of what the run recorded: beside the file
    /// (`study.db.rescued`, `study.db.rescued-2`, ...), and, when that folder is gone too, in
    /// a new private folder of the temporary directory (`sweep-rescued-XXXXXX/STUDY.db`,
    /// mode 0700), made only then. (A predictable, world-readable `/tmp/sweep-rescued-STUDY.db`
    /// let another user read the study, block its resume with a `-wal` of their own, or
    /// write one that ran their program under the owner's account at the resume.)
    func rescuePaths(study: String) -> [() -> String?] {
        func free(_ base: String) -> String {
            var candidate = base
            var n = 2
            while FileManager.default.fileExists(atPath: candidate) || FileManager.default.fileExists(atPath: candidate + "-wal") {
                candidate = "\(base)-\(n)"
                n += 1
            }
            return candidate
        }
        let beside = path + ".rescued"
        return [{ free(beside) }, {
            var template = Array("\(TemporaryFolder.path)/sweep-rescued-XXXXXX".utf8CString)
            guard let folder = mkdtemp(&template).map({ String(cString: $0) }) else { return nil }
            return "\(folder)/\(study.replacingOccurrences(of: "/", with: "_")).db"
        }]
    }
}
