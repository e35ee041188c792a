import Foundation

/// Where this process keeps temporary files (sockets, command logs, checkpoints):
/// `TMPDIR` when it names a directory this user can write, else `/tmp`, else `/var/tmp`, else
/// `/usr/tmp`, else the current directory, as Python's `tempfile` chooses (a container with a
/// read-only root and one writable working folder failed every command trial on its
/// checkpoint folder under `/tmp`). An empty `TMPDIR` meant `/` (folders at the file system's
/// root, or every trial failed on its checkpoint folder), and one that did not exist failed
/// every command trial after the whole budget was handed out.
public enum TemporaryFolder {
    /// The folder to use.
    public static var path: String {
        choose(given: ProcessInfo.processInfo.environment["TMPDIR"], current: FileManager.default.currentDirectoryPath, usable: isWritableDirectory)
    }

    /// The first usable of `given` (TMPDIR, unless empty), `/tmp`, `/var/tmp`, `/usr/tmp`
    /// and `current` (the working directory); `/tmp` when none is.
    static func choose(given: String?, current: String? = nil, usable: (String) -> Bool) -> String {
        var candidates = ["/tmp", "/var/tmp", "/usr/tmp"] + (current.map { [$0] } ?? [])
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
