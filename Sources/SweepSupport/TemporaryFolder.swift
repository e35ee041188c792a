import Foundation

/// Where this process keeps temporary files (sockets, command logs, checkpoints):
/// `TMPDIR` when it names a directory this user can write, else `/tmp`, else `/var/tmp`, as
/// Python's `tempfile` chooses. An empty `TMPDIR` meant `/` (folders at the file system's
/// root, or every trial failed on its checkpoint folder), and one that did not exist failed
/// every command trial after the whole budget was handed out.
public enum TemporaryFolder {
    /// The folder to use.
    public static var path: String {
        choose(given: ProcessInfo.processInfo.environment["TMPDIR"], usable: isWritableDirectory)
    }

    /// The first usable of `given` (TMPDIR, unless empty), `/tmp` and `/var/tmp`; `/tmp`
    /// when none is.
    static func choose(given: String?, usable: (String) -> Bool) -> String {
        var candidates = ["/tmp", "/var/tmp"]
        if let given, !given.isEmpty {
            // (Without its trailing slashes: `TMPDIR=/tmp/` made `/tmp//sweep-...`.)
            // A relative one as an absolute path: the socket's `ipc://reltmp/...` did not
            // reach workers started in another directory.
            var trimmed = given.hasPrefix("/") ? given : URL(fileURLWithPath: given).standardizedFileURL.path
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
            candidates.insert(trimmed, at: 0)
        }
        return candidates.first(where: usable) ?? "/tmp"
    }

    private static func isWritableDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue && access(path, W_OK | X_OK) == 0
    }
}
