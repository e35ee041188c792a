import Foundation
import Synchronization
import SweepSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A worker's content-addressed cache of data files shipped by coordinators: each file is
/// stored once as `DIRECTORY/<sha256>`, written under a temporary name and renamed into
/// place only after its size and SHA-256 were checked, so a name always holds its content
/// (a crash leaves at most a `.part` file, which is never read).
public struct DataContentCache: Sendable {
    public let directory: String

    /// A cache in `directory` (created on first write).
    public init(directory: String) {
        self.directory = directory
    }

    /// `$XDG_CACHE_HOME/sweep/data`, else `~/.cache/sweep/data`; when this user cannot make
    /// that (a service account's HOME of /nonexistent, a read-only home in a container),
    /// `sweep-data-UID` in the temporary folder, private to this user (``fallbackNote`` says
    /// so): every shipped trial failed there before.
    public static var defaultDirectory: String { chosenDirectory.path }

    /// Why the default cache is in the temporary folder, nil when it is where it should be.
    public static var fallbackNote: String? { chosenDirectory.note }

    private static let chosenDirectory: (path: String, note: String?) = {
        let env = ProcessInfo.processInfo.environment
        // XDG_CACHE_HOME is made when missing, as the XDG rules say; a HOME that does not
        // exist (`/nonexistent`) is a statement that there is none, and is not made.
        let wanted: String? = if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            canMake(xdg + "/sweep/data") ? xdg + "/sweep/data" : nil
        } else {
            canMake(".cache/sweep/data", in: env["HOME"] ?? NSHomeDirectory()) ? (env["HOME"] ?? NSHomeDirectory()) + "/.cache/sweep/data" : nil
        }
        if let wanted { return (wanted, nil) }
        let fallback = PrivateDirectory.inTemporary("sweep-data")
        return (fallback, "the cache of shipped data is \(fallback): this user cannot make one under \(env["XDG_CACHE_HOME"].map { "XDG_CACHE_HOME (\($0))" } ?? "HOME (\(env["HOME"] ?? NSHomeDirectory()))"); pass --data-cache DIR to keep it elsewhere")
    }()

    /// Whether `base` is a directory in which this user can have `relative` (its deepest
    /// existing part writable).
    static func canMake(_ relative: String, in base: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
        return canMake(base + "/" + relative)
    }

    /// Whether this user can have the folder `path`: its deepest existing ancestor is a
    /// directory it can write in.
    static func canMake(_ path: String) -> Bool {
        var deepest = path
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: deepest, isDirectory: &isDirectory) {
            let parent = (deepest as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != deepest else { return false }
            deepest = parent
        }
        return isDirectory.boolValue && access(deepest, W_OK | X_OK) == 0
    }

    /// Where the file with digest `sha256` is kept.
    public func path(of sha256: String) -> String { directory + "/" + sha256 }

    /// Whether the file with digest `sha256` and `bytes` bytes is in the cache (its content is
    /// checked against the data fingerprint when the data set is loaded).
    public func holds(sha256: String, bytes: Int) -> Bool {
        var info = stat()
        return stat(path(of: sha256), &info) == 0 && Int(info.st_size) == bytes
    }

    /// Whether the cached file with digest `sha256` still has that content, hashed once per
    /// process and file stamp. A damaged entry (a disk error, an edit) is removed so that it
    /// is fetched again: kept, it failed every trial on this worker for good.
    public func removeUnlessIntact(sha256: String) -> Bool {
        let path = path(of: sha256)
        guard let stamp = FileStamp(path: path) else { return false }
        if Self.intact.withLock({ $0[path] == stamp }) { return true }
        if (try? DataFingerprint.ofFile(path))?.sha256 == sha256 {
            Self.intact.withLock { $0[path] = stamp }
            return true
        }
        unlink(path)
        return false
    }

    /// Cached files found intact by this process, with their stamps then.
    private static let intact = Mutex<[String: FileStamp]>([:])

    /// A writer for the file with digest `sha256` and `bytes` bytes.
    public func writer(sha256: String, bytes: Int) throws(DataError) -> CachedFileWriter {
        try CachedFileWriter(cache: self, sha256: sha256, bytes: bytes)
    }
}

/// Writes one shipped file into a ``DataContentCache``: chunks in order, hashed as they come;
/// ``commit()`` checks size and digest and only then renames the file into place.
public final class CachedFileWriter {
    public let sha256: String
    public let bytes: Int
    /// Bytes written so far (the offset the next chunk must start at).
    public private(set) var written = 0
    private let cache: DataContentCache
    private let temporary: String
    private var fd: Int32
    private var hash = SHA256()

    init(cache: DataContentCache, sha256: String, bytes: Int) throws(DataError) {
        self.cache = cache
        self.sha256 = sha256
        self.bytes = bytes
        if let problem = Directories.make(cache.directory) {
            throw DataError.unwritable(path: cache.directory, reason: "\(problem): the cache of shipped data must be a folder this worker can write; start it with --data-cache DIR (or XDG_CACHE_HOME) naming one")
        }
        temporary = cache.directory + "/.\(sha256).part-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // Readable by this user only: another user's data shipped to this worker was readable
        // by everyone on the host under ~/.cache/sweep/data.
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DataError.unreadable(path: temporary, reason: String(cString: strerror(errno))) }
    }

    /// Appends `chunk`, which must start at ``written``.
    public func append(_ chunk: [UInt8]) throws(DataError) {
        guard written + chunk.count <= bytes else {
            throw DataError.corrupt(path: temporary, reason: "the coordinator sent \(written + chunk.count) bytes of a \(bytes)-byte file")
        }
        let ok = chunk.withUnsafeBytes { buffer -> Bool in
            hash.update(buffer)
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 { if errno == EINTR { continue }; return false }
                done += n
            }
            return true
        }
        guard ok else { throw DataError.unreadable(path: temporary, reason: "write failed: \(String(cString: strerror(errno)))") }
        written += chunk.count
    }

    /// Checks size and digest and renames the file into place; returns its path. A file whose
    /// digest is not the manifest's is deleted and never used.
    public func commit() throws(DataError) -> String {
        let digest = hash.finish()
        guard written == bytes, digest == sha256 else {
            discard()
            throw DataError.corrupt(
                path: cache.path(of: sha256),
                reason: "the copy shipped by the coordinator should be sha256:\(sha256)/\(bytes) but the bytes received are sha256:\(digest)/\(written); it was deleted, not used")
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            let why = String(cString: strerror(errno))
            discard()
            throw DataError.unreadable(path: temporary, reason: "cannot save the shipped file: \(why)")
        }
        fd = -1
        guard rename(temporary, cache.path(of: sha256)) == 0 else {
            let why = String(cString: strerror(errno))
            discard()
            throw DataError.unreadable(path: cache.path(of: sha256), reason: "cannot save the shipped file: \(why)")
        }
        return cache.path(of: sha256)
    }

    /// Drops the partial file.
    public func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporary)
    }

    deinit {
        if fd >= 0 { discard() }
    }
}
