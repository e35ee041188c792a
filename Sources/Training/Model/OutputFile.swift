import Foundation

/// Writes a file the user named: atomically (a temporary file renamed over the target, so a
/// crash never leaves half a file) when the target is a regular file or does not exist, and
/// in place when it is something else. Renaming over `/dev/null`, a FIFO or a terminal would
/// replace the device itself (as root: `/dev/null` becomes a regular file for every program
/// on the machine), so `sweep report -o /dev/null` writes through the device instead.
public enum OutputFile {
    /// Writes `bytes` to `path` (see the type's comment).
    public static func write(_ bytes: Data, to named: String) throws {
        // Through a symlink, the file it names is written (renaming over the link would
        // replace the link with a regular file).
        let path = URL(fileURLWithPath: named).resolvingSymlinksInPath().path
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists, info.st_mode & S_IFMT == S_IFDIR { throw OutputFileError.isDirectory(named) }
        // A database is never an output: `sweep export S --db s.db --out s.db` replaced every
        // study of the file with the export, exit 0.
        if exists, info.st_mode & S_IFMT == S_IFREG, let handle = FileHandle(forReadingAtPath: path) {
            let header = (try? handle.read(upToCount: 16)) ?? Data()
            try? handle.close()
            if header == Data("SQLite format 3\0".utf8) { throw OutputFileError.isDatabase(named) }
        }
        if exists, info.st_mode & S_IFMT != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            return
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            // Foundation would say "The file doesn't exist", of the file about to be made.
            throw OutputFileError.noDirectory(directory)
        }
        try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Writes `text` as UTF-8 to `path`.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}

/// A file the user named cannot be written.
public enum OutputFileError: LocalizedError, CustomStringConvertible, Equatable {
    /// The directory it would go in does not exist (or is not a directory).
    case noDirectory(String)
    /// The path names a directory.
    case isDirectory(String)
    /// The path names an SQLite database (a study's), which is never overwritten.
    case isDatabase(String)

    public var description: String {
        switch self {
        case .noDirectory(let path): return "the directory \(path) does not exist"
        case .isDirectory(let path): return "\(path) is a directory: name a file in it"
        case .isDatabase(let path): return "\(path) is an SQLite database (a study's?): it is not overwritten; choose another output file"
        }
    }

    public var errorDescription: String? { description }
}
