#if canImport(Glibc)
import Glibc
#endif

/// Writing whole buffers to file descriptors: `write(2)` may write less than asked, or be
/// interrupted by a signal; these go on until all is written or an error says why not.
public enum DescriptorWriting {
    /// Writes all of `bytes` to `fd` (retrying after signals); false on an error (`errno` says which).
    public static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                written += n
            }
            return true
        }
    }
}
