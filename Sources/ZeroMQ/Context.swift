import CZeroMQ
import Synchronization

/// A libzmq context: the I/O threads behind every socket made from it.
///
/// `@unchecked Sendable` is safe because libzmq contexts are thread-safe by design (only
/// sockets are not); this class holds nothing but the context handle.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let terminated = Atomic<Bool>(false)

    /// A new context with `ioThreads` background I/O threads.
    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let h = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        handle = h
        try check(zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads), "set context I/O threads")
        // Sockets are not thread safe; a context with a generous socket limit is enough.
        try check(zmq_ctx_set(h, ZMQ_BLOCKY, 0), "set context non-blocky")
    }

    /// Terminates the context once every socket of it is closed (sockets keep it alive).
    deinit { terminate() }

    /// Terminates the context now: blocks until every socket of it is closed and their
    /// lingering messages are sent (or their `LINGER` time is up). Call it after closing
    /// every socket when the last messages must go out before the process exits: `exit()`
    /// does not wait for the I/O thread, and `deinit` may come too late (a thread that just
    /// ended can still hold a reference). Later calls do nothing.
    public func terminate() {
        guard !terminated.exchange(true, ordering: .acquiringAndReleasing) else { return }
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }

    /// Whether libzmq was built with a capability, e.g. `curve`.
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) == 1
    }

    /// The libzmq version, e.g. (4, 3, 4).
    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }
}
