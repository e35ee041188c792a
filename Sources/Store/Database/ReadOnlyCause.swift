import Foundation

/// Which file makes a database read-only for this process: the database, its directory, or
/// the `-wal`/`-shm` beside it that another user's (or a failed) run left behind. SQLite
/// says only "attempt to write a readonly database", naming the database file even when
/// the culprit is a sidecar, so `chmod` on the database changed nothing.
enum ReadOnlyCause {
    /// A hint naming what cannot be written, for a database at `path`.
    static func hint(for path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var blocked: [String] = []
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) && access(file, W_OK) != 0 {
            blocked.append(describe(file))
        }
        let sidecars = blocked.filter { $0.hasPrefix(path + "-") }
        if !sidecars.isEmpty {
            return "\(sidecars.joined(separator: " and ")) cannot be written by this user: remove them (when no sweep uses the database) or give them to this user; SQLite writes the database through them"
        }
        if !blocked.isEmpty { return "\(blocked.joined(separator: ", ")) cannot be written by this user" }
        if access(directory, W_OK) != 0 { return "its directory \(directory) cannot be written by this user (SQLite needs to make its -wal and -shm there)" }
        return "the file or its directory is read-only"
    }

    private static func describe(_ file: String) -> String {
        var info = stat()
        guard stat(file, &info) == 0 else { return file }
        return "\(file) (owner uid \(info.st_uid), mode \(String(info.st_mode & 0o777, radix: 8)))"
    }
}
