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
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
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

    public var description: String {
        switch self {
        case .noDirectory(let path): return "the directory \(path) does not exist"
        }
    }

    public var errorDescription: String? { description }
}
