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

    /// The whole file at `path` copied (a model or checkpoint file); throws the reason as
    /// the system says it ("no such file", "Is a directory"; Foundation's reading said
    /// "NSCocoaErrorDomain error 256" for a directory).
    static func readAll(_ path: String) throws(FileReadFailure) -> [UInt8] {
        do {
            let file = try MappedFile(path, field: "")
            // (The mapping must outlive the copy: `bytes` does not keep it.)
            return withExtendedLifetime(file) { [UInt8](file.bytes) }
        } catch .noSuchFile {
            throw FileReadFailure(reason: "no such file")
        } catch .unreadable(_, let reason) {
            throw FileReadFailure(reason: reason)
        } catch {
            throw FileReadFailure(reason: "\(error)")
        }
    }

    /// The bytes (empty for an empty file).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
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
