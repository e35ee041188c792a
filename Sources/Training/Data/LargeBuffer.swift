#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Large fresh buffers (the features of a split, copied out of a mapped file) backed by
/// transparent huge pages where the kernel offers them (`madvise` mode, Debian's default):
/// one fault per 2 MiB instead of one per 4 KiB. Filling 1 GB that way takes 512 faults
/// instead of 262,144, which was most of the time of loading a large `.npy` (numpy does the
/// same for its large arrays).
enum LargeBuffer {
    /// Below this, huge pages save nothing worth a system call.
    static let threshold = 4 << 20

    /// Advises huge pages for the whole pages inside `buffer`, before anything touched them.
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard buffer.count >= threshold, let start = buffer.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + buffer.count) / page * page
        guard end > first, let p = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(p, end - first, MADV_HUGEPAGE)
        #endif
    }

    /// `count` Floats written by `fill` into memory advised for huge pages.
    static func floats(count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            if let base = buffer.baseAddress { fill(base) }
            initialized = count
        }
    }
}
