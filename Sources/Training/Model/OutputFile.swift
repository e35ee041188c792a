import CSupport
import Foundation

/// Writes a file the user named: atomically (a temporary file renamed over the target, so a
/// crash never leaves half a file) when the target is a regular file or does not exist, and
/// in place when it is something else. Renaming over `/dev/null`, a FIFO or a terminal would
/// replace the device itself (as root: `/dev/null` becomes a regular file for every program
/// on the machine), so `sweep report -o /dev/null` writes through the device instead.
public enum OutputFile {
    /// Writes `bytes` to `path` (see the type's comment).
    public static func write(_ bytes: Data, to named: String) throws {
        try write(bytes, to: named, beforeNaming: {})
    }

    /// Throws ``OutputFileError/isDatabase(_:)`` when `named` (or the file a link names) is
    /// an SQLite database: a database is never an output (`sweep export S --db s.db --out
    /// s.db` replaced every study of the file with the export, exit 0; `train --metrics-out
    /// s.db` with its epochs).
    public static func refuseDatabase(_ named: String) throws {
        let path = URL(fileURLWithPath: named).resolvingSymlinksInPath().path
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let handle = FileHandle(forReadingAtPath: path) else { return }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header == Data("SQLite format 3\0".utf8) { throw OutputFileError.isDatabase(named) }
    }

    /// `beforeNaming` runs once the bytes are written and before the file gets its name
    /// (tests look at the folder then).
    static func write(_ bytes: Data, to named: String, beforeNaming: () throws -> Void) throws {
        let (path, directory) = try destination(named)
        guard let directory else {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            return
        }
        if try writeUnnamed(bytes, to: path, directory: directory, beforeNaming: beforeNaming) { return }
        try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Where `named` is written: the file a symlink names (renaming over the link would replace
    /// the link with a regular file), and the directory it is named in, nil when it is
    /// written in place (a device, a FIFO). A directory, a database or a missing directory
    /// is refused.
    private static func destination(_ named: String) throws -> (path: String, directory: String?) {
        // (An empty name is the current directory: "cannot write :  is a directory".)
        guard !named.isEmpty else { throw OutputFileError.noName }
        let path = URL(fileURLWithPath: named).resolvingSymlinksInPath().path
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists, info.st_mode & S_IFMT == S_IFDIR { throw OutputFileError.isDirectory(named) }
        try refuseDatabase(named)
        if exists, info.st_mode & S_IFMT != S_IFREG { return (path, nil) }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            // Foundation would say "The file doesn't exist", of the file about to be made.
            throw OutputFileError.noDirectory(directory)
        }
        return (path, directory)
    }

    /// Writes `bytes` into a file without a name in `directory`, flushes it to the disk,
    /// and then names it `path` (straight away when `path` does not exist, else through a
    /// fresh name renamed over it), so a process killed while writing leaves no temporary
    /// file (Foundation's atomic write left `.dat.nosync*` files when `sweep export` was
    /// killed). Returns false, with nothing named, where the file system has no unnamed files
    /// or cannot name one (the caller then writes the usual way).
    private static func writeUnnamed(_ bytes: Data, to path: String, directory: String, beforeNaming: () throws -> Void) throws -> Bool {
        let fd = sweep_open_unnamed(directory)
        guard fd >= 0 else { return false }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try handle.write(contentsOf: bytes)
        // On the disk before it has a name, as Foundation's atomic write did: after a power
        // loss the name holds the old file or the whole new one.
        try handle.synchronize()
        try beforeNaming()
        if sweep_name_unnamed(fd, path) == 0 { return true }
        guard errno == EEXIST else { return false }
        // Short, so that a long file name cannot make it too long.
        let fresh = directory + "/.sweep-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        guard sweep_name_unnamed(fd, fresh) == 0 else { return false }
        guard rename(fresh, path) == 0 else {
            let code = errno
            unlink(fresh)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        return true
    }

    /// Writes `text` as UTF-8 to `path`.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// A file the user named written piece by piece, as ``write(_:to:)`` writes it whole: it
    /// gets its name (over the old file) only at ``finish()``, so a process killed or a
    /// failure midway leaves the old file or none, never half a file; a device or FIFO is
    /// written through. For output too large to hold (`sweep export` of long curves held
    /// 2.2 GB for 533 MB of JSON).
    public final class Stream {
        private let handle: FileHandle
        /// Where the file goes at `finish`: nil when written in place (a device, a FIFO).
        private let target: String?
        /// The temporary name it is written under, when the file system has no unnamed files.
        private let temporary: String?
        private var finished = false

        /// Opens `named` for writing (refused as ``write(_:to:)`` refuses it).
        public init(named: String) throws {
            let (path, place) = try OutputFile.destination(named)
            guard let directory = place else {
                guard let h = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
                (handle, target, temporary) = (h, nil, nil)
                return
            }
            let fd = sweep_open_unnamed(directory)
            if fd >= 0 {
                (handle, target, temporary) = (FileHandle(fileDescriptor: fd, closeOnDealloc: true), path, nil)
                return
            }
            // No unnamed files here: a fresh name beside it, removed unless finished.
            let fresh = directory + "/.sweep-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
            let made = open(fresh, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) // (the umask applies)
            guard made >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            (handle, target, temporary) = (FileHandle(fileDescriptor: made, closeOnDealloc: true), path, fresh)
        }

        /// Appends `bytes`.
        public func write(_ bytes: some Collection<UInt8>) throws {
            try handle.write(contentsOf: Data(bytes))
        }

        /// Flushes the file to the disk and gives it its name. Until that succeeded, a
        /// temporary name it was written under is removed when the stream goes.
        public func finish() throws {
            guard !finished else { return }
            guard let target else { try handle.close(); finished = true; return }
            try handle.synchronize()
            if let temporary {
                guard rename(temporary, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                finished = true
                return
            }
            let fd = handle.fileDescriptor
            if sweep_name_unnamed(fd, target) == 0 { finished = true; return }
            let fresh = (target as NSString).deletingLastPathComponent + "/.sweep-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
            if errno == EEXIST, sweep_name_unnamed(fd, fresh) == 0 {
                guard rename(fresh, target) == 0 else {
                    let code = errno
                    unlink(fresh)
                    throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
                }
                finished = true
                return
            }
            // It cannot be named (no /proc in a restricted container): copied to a fresh name
            // beside the target and renamed over it, as the whole-file write falls back.
            let copy = open(fresh, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            guard copy >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            let out = FileHandle(fileDescriptor: copy, closeOnDealloc: true)
            do {
                try handle.seek(toOffset: 0)
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { try out.write(contentsOf: chunk) }
                try out.synchronize()
                guard rename(fresh, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            } catch {
                unlink(fresh)
                throw error
            }
            finished = true
        }

        deinit {
            if !finished, let temporary { unlink(temporary) }
        }
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
    /// The name is empty.
    case noName

    public var description: String {
        switch self {
        case .noDirectory(let path): return "the directory \(path) does not exist"
        case .isDirectory(let path): return "\(path) is a directory: name a file in it"
        case .isDatabase(let path): return "\(path) is an SQLite database (a study's?): it is not overwritten; choose another output file"
        case .noName: return "no file name given"
        }
    }

    public var errorDescription: String? { description }
}
