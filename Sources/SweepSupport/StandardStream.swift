import CSupport
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Standard output and error, written without trapping.
///
/// Foundation's `FileHandle.write(_:)` traps when a write fails: `sweep run | head -2`
/// (a closed pipe) or an ssh session that dropped (EIO on the terminal) crashed a
/// coordinator in the middle of its study. Here a failed write is remembered instead (the
/// command then exits 1 saying so, see ``failure``) and the work goes on.
public enum StandardStream: Sendable {
    case output
    case error

    /// errno of the first failed write to standard output (0: none).
    private static let firstFailure = Atomic<Int32>(0)

    /// Whether standard output failed because its reader went away (`sweep show ... | head`):
    /// the output was cut short on purpose, which is no error to report.
    public static var readerLeft: Bool {
        let flushed = sweep_flush_stdout()
        let code = firstFailure.load(ordering: .relaxed)
        if code == EPIPE || flushed == EPIPE { return true }
        guard code != 0 || flushed != 0 else { return false }
        // What `print` lost leaves stdio's error flag, not the errno: a pipe whose reader
        // is gone polls as an error.
        var descriptor = pollfd(fd: 1, events: Int16(POLLOUT), revents: 0)
        return poll(&descriptor, 1, 0) == 1 && descriptor.revents & Int16(POLLERR) != 0
    }

    /// Why writing to standard output failed, if it did: what it printed is incomplete
    /// (also what `print` lost: stdio's error flag counts, after a flush).
    public static var failure: String? {
        let flushed = sweep_flush_stdout()
        let code = firstFailure.load(ordering: .relaxed) != 0 ? firstFailure.load(ordering: .relaxed) : flushed
        return code == 0 ? nil : code < 0 ? "a write failed" : String(cString: strerror(code))
    }

    /// Whether a write to standard output failed (its reader left, a full disk): a long
    /// output stops there (``readerLeft`` and ``failure`` then say which).
    public static var outputFailed: Bool { firstFailure.load(ordering: .relaxed) != 0 }

    /// Puts `/dev/null` in place of standard input, output or error when it is closed at
    /// start (`sweep ... 2>&-`): otherwise the next file opened, the database, takes that
    /// number, and printed text lands in it (an error message written over the header made
    /// the database unreadable). Output and error get it read-only and input write-only, so
    /// using them fails as a closed one would: lost output exits 1, a prompt gets no answer.
    /// Call first thing, before any file is opened.
    public static func reserveClosedDescriptors() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let null = open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC)
            guard null >= 0 else { continue }
            if null != fd {
                dup2(null, fd) // (dup2 leaves the standard descriptor inherited by children)
                close(null)
            } else {
                _ = fcntl(fd, F_SETFD, 0)
            }
        }
    }

    /// Writes `text` whole (retrying after signals); a failure is remembered, never a trap.
    public func write(_ text: String) {
        write(Array(text.utf8))
    }

    /// Writes `bytes` whole (retrying after signals); a failure is remembered, never a trap.
    public func write(_ bytes: [UInt8]) {
        let fd: Int32 = self == .output ? 1 : 2
        if self == .output { _ = sweep_flush_stdout() } // what print() buffered comes first
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                if self == .output { _ = Self.firstFailure.compareExchange(expected: 0, desired: n < 0 ? errno : EIO, ordering: .relaxed) }
                return
            }
        }
    }
}
