import Foundation

/// The system's words for a file error ("No space left on device", "Read-only file
/// system"), not Foundation's domain and code ("NSCocoaErrorDomain Code=640 ...").
public enum SystemErrorText {
    /// What went wrong in `error`, as `strerror` says it when the system said it.
    ///
    /// `path`: the file the failed operation was about. A "No space left on device" there
    /// then says when it is the file system's inodes, not its bytes, that ran out (`df`
    /// showed free space, and the user looked for a disk that was not full).
    public static func of(_ error: any Error, at path: String? = nil) -> String {
        noting(of(error), at: path)
    }

    /// What `code` (an errno) means, with the note on exhausted inodes for ENOSPC at `path`.
    public static func of(errno code: Int32, at path: String) -> String {
        noting(String(cString: strerror(code)), at: path)
    }

    /// `text`, and when it is "No space left on device" at `path` with no inodes left there,
    /// the note saying so.
    private static func noting(_ text: String, at path: String?) -> String {
        guard let path, text == String(cString: strerror(ENOSPC)), let note = FileEntries.exhaustedNote(near: path) else { return text }
        return text + " (" + note + ")"
    }

    private static func of(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        switch ns.code {
        case NSFileWriteOutOfSpaceError: return String(cString: strerror(ENOSPC))
        case NSFileWriteVolumeReadOnlyError: return String(cString: strerror(EROFS))
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return String(cString: strerror(EACCES))
        default: return ns.localizedDescription
        }
    }
}

/// `mkdir -p` with the system's reason when it fails: Foundation's `createDirectory` says
/// "NSCocoaErrorDomain error 512" for a path through a file.
public enum Directories {
    /// Makes `path` and its missing parents (mode 0755); nil, or why it could not.
    public static func make(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return "cannot make \(prefix): \(SystemErrorText.of(errno: errno, at: prefix))" }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return "cannot make \(path): \(String(cString: strerror(errno)))" }
        return (info.st_mode & S_IFMT) == S_IFDIR ? nil : "cannot make \(path): \(String(cString: strerror(ENOTDIR)))"
    }
}

/// Whether a file system has run out of inodes (file entries): it then refuses new files
/// with "No space left on device" while `df` shows space free.
public enum FileEntries {
    /// A note naming the exhausted inodes of the file system holding `path` (or the nearest
    /// existing directory above it), else nil (space left, or unknown).
    public static func exhaustedNote(near path: String) -> String? {
        exhausted(near: path).map { "\($0.cause); \($0.fix)" }
    }

    /// What ran out and what to do, as two parts (for messages that put them in their own
    /// places); nil when inodes are left or unknown.
    public static func exhausted(near path: String) -> (cause: String, fix: String)? {
        var info = statvfs()
        var directory = path
        while statvfs(directory, &info) != 0 {
            let parent = (directory as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != directory else { return nil }
            directory = parent
        }
        return parts(directory: directory, inodes: UInt64(info.f_files), free: UInt64(info.f_favail))
    }

    /// What ran out and what to do for a file system holding `directory` with `free` of its
    /// `inodes` left.
    static func parts(directory: String, inodes: UInt64, free: UInt64) -> (cause: String, fix: String)? {
        // (Some file systems, btrfs among them, report no inode count at all: 0 inodes.)
        guard inodes > 0, free == 0 else { return nil }
        return ("the file system holding \(directory) has no free inodes left, though it may have space: see `df -i \(directory)`",
                "remove files there (old logs, checkpoints) or use another file system")
    }
}
