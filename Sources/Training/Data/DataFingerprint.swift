import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What identifies the files of a file data set: their total size and the SHA-256 of their
/// contents (in `DataFiles.allPaths` order), written `sha256:HEX/BYTES`.
///
/// The coordinator puts its fingerprint into every trial's `data.fingerprint`; a worker
/// whose files give another one fails the trial, naming both, instead of training on other
/// data. Digests are cached per process by path, size and modification time.
public struct DataFingerprint: Hashable, Sendable, CustomStringConvertible {
    public var sha256: String
    public var bytes: Int

    public init(sha256: String, bytes: Int) {
        self.sha256 = sha256
        self.bytes = bytes
    }

    /// `sha256:HEX/BYTES`.
    public var description: String { "sha256:\(sha256)/\(bytes)" }

    /// Parses `sha256:HEX/BYTES`.
    public init?(_ text: String) {
        guard text.hasPrefix("sha256:"), let slash = text.lastIndex(of: "/"),
              let bytes = Int(text[text.index(after: slash)...]), bytes >= 0 else { return nil }
        let hex = String(text[text.index(text.startIndex, offsetBy: 7)..<slash])
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.init(sha256: hex, bytes: bytes)
    }

    private struct FileKey: Hashable { var path: String; var size: Int; var modified: Int; var nanoseconds: Int }
    private static let cache = Mutex<[FileKey: String]>([:])

    /// The fingerprint of the files `files` names.
    public static func of(_ files: DataFiles) throws(DataError) -> DataFingerprint {
        var total = SHA256(), bytes = 0
        for path in files.allPaths {
            let digest = try digest(of: path)
            bytes += digest.size
            let line = "\(digest.sha256) \(digest.size)\n"
            line.utf8.withContiguousStorageIfAvailable { total.update(UnsafeRawBufferPointer($0)) }
        }
        // One file: its own digest (what `sha256sum` prints); several: the digest of their digests.
        if files.allPaths.count == 1 { return DataFingerprint(sha256: try digest(of: files.allPaths[0]).sha256, bytes: bytes) }
        return DataFingerprint(sha256: total.finish(), bytes: bytes)
    }

    /// The fingerprint of one file (its `sha256sum` and size), cached like the others.
    public static func ofFile(_ path: String) throws(DataError) -> DataFingerprint {
        let d = try digest(of: path)
        return DataFingerprint(sha256: d.sha256, bytes: d.size)
    }

    private static func digest(of path: String) throws(DataError) -> (sha256: String, size: Int) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw DataError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let key = FileKey(path: path, size: Int(info.st_size), modified: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
        if let hit = cache.withLock({ $0[key] }) { return (hit, key.size) }
        let file = try MappedFile(path, field: "fingerprint")
        var sha = SHA256()
        sha.update(file.bytes)
        let hex = sha.finish()
        cache.withLock { $0[key] = hex }
        return (hex, key.size)
    }
}
