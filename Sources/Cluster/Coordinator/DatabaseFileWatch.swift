import Foundation
import SweepSupport

/// Watches the coordinator's database file for being removed or replaced while it runs.
///
/// SQLite writes on through the descriptors it holds: a run whose file was removed (`rm`)
/// or replaced (`mv other.db study.db`) went on to the end of its budget, recording every
/// result into a file nobody could open again, and said so only then. Looked at once a
/// second (a `stat`), so the run stops within about a second and saves what it recorded.
struct DatabaseFileWatch {
    let path: String
    private let atStart: FileStamp
    private var lastLook = -Double.infinity

    /// Nil when there is no file to watch (in memory, or already gone).
    init?(path: String?) {
        guard let path, let stamp = FileStamp(path: path) else { return nil }
        self.path = path
        atStart = stamp
    }

    /// What happened to the file, if anything: "removed" or "replaced by another file".
    mutating func change(now: Double) -> String? {
        guard now - lastLook >= 1 else { return nil }
        lastLook = now
        guard let stamp = FileStamp(path: path) else { return "removed" }
        return stamp.isSameFile(as: atStart) ? nil : "replaced by another file"
    }

    /// A free name beside the file for the copy of what the run recorded:
    /// `study.db.rescued`, else `study.db.rescued-2`, ...
    func rescuePath() -> String {
        var candidate = path + ".rescued"
        var n = 2
        while FileManager.default.fileExists(atPath: candidate) || FileManager.default.fileExists(atPath: candidate + "-wal") {
            candidate = "\(path).rescued-\(n)"
            n += 1
        }
        return candidate
    }
}
