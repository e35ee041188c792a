import Foundation

/// The folders named after a database file (`DB.artifacts`, `DB.logs`, `DB.locks`): beside
/// the file itself when `--db` is a symbolic link, so that every name of it finds them (a
/// run through a link kept its models beside the link, and `sweep model export` through the
/// real path found none).
public enum DatabaseSidecar {
    /// `path` + `suffix`, beside the file `path` resolves to. A folder an older Sweep made
    /// beside the link (and none beside the file) is still that one.
    public static func path(of database: String, _ suffix: String) -> String {
        let resolved = RealPath.of(database)
        // (Compared as text: Foundation's standardizing reads the file system for `..`.)
        let absolute = database.hasPrefix("/") ? database : FileManager.default.currentDirectoryPath + "/" + database
        guard resolved != absolute else { return database + suffix }
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: database + suffix) && !fileManager.fileExists(atPath: resolved + suffix) { return database + suffix }
        return resolved + suffix
    }
}
