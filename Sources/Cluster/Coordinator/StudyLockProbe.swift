import Foundation

extension StudyLock {
    /// Whether a coordinator holds the lock of `study` right now (so the study is running,
    /// not interrupted). The kernel drops the lock when its process dies, even by `kill -9`.
    ///
    /// Reads `/proc/locks` instead of trying the lock: a probe that takes the lock, even
    /// shared and for a moment, could make a coordinator starting at that instant fail.
    /// Only where `/proc/locks` is missing does it fall back to such a probe.
    public static func isHeld(database: String, study: String) -> Bool {
        let path = path(database: database, study: study)
        var info = stat()
        guard stat(path, &info) == 0 else { return false } // no coordinator ever ran it here
        if let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) {
            return heldInodes(procLocks: table).contains(UInt64(info.st_ino))
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(fd, LOCK_UN)
        return false
    }

    /// Inodes with an exclusive `flock` in `/proc/locks` text
    /// (`1: FLOCK  ADVISORY  WRITE 12345 fe:00:16220480 0 EOF`). The inode alone is
    /// compared: on overlay file systems the device shown differs from what `stat` says.
    static func heldInodes(procLocks table: String) -> Set<UInt64> {
        var out: Set<UInt64> = []
        for line in table.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            // Waiting requests are shown as "N: -> FLOCK ..."; they hold nothing.
            guard f.count >= 6, f[1] == "FLOCK", f[3] == "WRITE" else { continue }
            if let inode = f[5].split(separator: ":").last.flatMap({ UInt64($0) }) { out.insert(inode) }
        }
        return out
    }
}
