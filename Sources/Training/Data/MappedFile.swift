#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory (the page cache backs it: several trials and
/// processes reading the same file share its pages instead of copying it).
///
/// `@unchecked Sendable`: the mapping is read-only (`PROT_READ`) and never changes after
/// `init`; it is unmapped only in `deinit`, when no reference is left.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// Start of the mapping; nil for an empty file.
    let base: UnsafeRawPointer?
    /// Size in bytes.
    let count: Int

    /// Maps `path`; `field` names the `data` field for the missing-file message.
    init(_ path: String, field: String) throws(DataError) {
        self.path = path
        // Non-blocking: opening a FIFO for reading waits for a writer (`sweep validate` on a
        // FIFO named as a data file hung); it is then refused below as no regular file.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw DataError.noSuchFile(field: field, path: path) }
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DataError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw DataError.unreadable(path: path, reason: "a directory, not a file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError.unreadable(path: path, reason: "not a regular file (a pipe or a device): files are read whole; save it to a file")
        }
        count = Int(info.st_size)
        guard count > 0 else { base = nil; return }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw DataError.unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))") }
        base = UnsafeRawPointer(p)
        _ = madvise(p, count, MADV_SEQUENTIAL)
    }

    /// The bytes (empty for an empty file).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }
}

/// Reads whole files that are not data sets (models, checkpoints).
enum WholeFile {
    /// The whole file at `path` (a model or checkpoint file), read, not mapped: a file
    /// another process truncates meanwhile gives a short read, not SIGBUS. The same refusals
    /// as a mapping (a directory, a pipe or a device), with the system's reason ("no such
    /// file"; Foundation's reading said "NSCocoaErrorDomain error 256" for a directory).
    static func read(_ path: String) throws(FileReadFailure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadFailure(reason: errno == ENOENT ? "no such file" : String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileReadFailure(reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw FileReadFailure(reason: "a directory, not a file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileReadFailure(reason: "not a regular file (a pipe or a device): files are read whole; save it to a file")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FileReadFailure(reason: String(cString: strerror(errno))) }
            if n == 0 { break } // shortened meanwhile: what is there (its checks say the rest)
            done += n
        }
        return Array(bytes.prefix(done))
    }
}

/// Why a whole file could not be read, as the system says it.
struct FileReadFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// Bytes owned on the heap (a decompressed file or archive entry), with a stable address.
///
/// `@unchecked Sendable`: written once in `init`, read-only afterwards.
final class OwnedBytes: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int

    init(_ bytes: [UInt8]) {
        count = bytes.count
        base = .allocate(byteCount: max(count, 1), alignment: 16)
        bytes.withUnsafeBytes { if let src = $0.baseAddress { base.copyMemory(from: src, byteCount: count) } }
    }

    init(capacity: Int) {
        count = capacity
        base = .allocate(byteCount: max(capacity, 1), alignment: 16)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit { base.deallocate() }
}
