#if canImport(Glibc)
import Glibc
#endif

/// What a path names, and enough of it to see a change: which file (device and inode: one
/// removed or replaced has another, an editor's save-by-rename too) and its size and time
/// (an edit in place).
public struct FileStamp: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modified: Int
    public var modifiedNanos: Int

    /// The stamp of `path` now; nil when nothing is there.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim.tv_sec
        modifiedNanos = info.st_mtim.tv_nsec
    }

    /// Whether `other` is the same file (whatever was written to it since).
    public func isSameFile(as other: FileStamp) -> Bool { device == other.device && inode == other.inode }
}
