import Foundation

/// The path the kernel opens for a name: symbolic links followed and `..` taken after them,
/// as `realpath(3)` gives it. Foundation's `resolvingSymlinksInPath` takes `..` as text
/// first: `linkdir/../linkdir/q.db` (linkdir a link to real/) became `linkdir/q.db` there,
/// not `real/q.db`, and a study's folders and lock were looked for in the wrong place.
public enum RealPath {
    /// `path` resolved; for a file not there yet, its directory resolved and its name kept.
    public static func of(_ path: String) -> String {
        if let resolved = realpathString(path) { return resolved }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        guard let resolvedDirectory = realpathString(directory) else { return url.standardizedFileURL.path }
        return (resolvedDirectory == "/" ? "" : resolvedDirectory) + "/" + url.lastPathComponent
    }

    private static func realpathString(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
