import Foundation

/// The system's words for a file error ("No space left on device", "Read-only file
/// system"), not Foundation's domain and code ("NSCocoaErrorDomain Code=640 ...").
public enum SystemErrorText {
    /// What went wrong in `error`, as `strerror` says it when the system said it.
    public static func of(_ error: any Error) -> String {
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
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return "cannot make \(prefix): \(String(cString: strerror(errno)))" }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return "cannot make \(path): \(String(cString: strerror(errno)))" }
        return (info.st_mode & S_IFMT) == S_IFDIR ? nil : "cannot make \(path): \(String(cString: strerror(ENOTDIR)))"
    }
}
