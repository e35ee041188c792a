import CZeroMQ

/// A libzmq context: the I/O threads behind every socket made from it.
///
/// `@unchecked Sendable` is safe because libzmq contexts are thread-safe by design (only
/// sockets are not); this class holds nothing but the context handle.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A new context with `ioThreads` background I/O threads.
    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let h = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        handle = h
        try check(zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads), "set context I/O threads")
        // Sockets are not thread safe; a context with a generous socket limit is enough.
        try check(zmq_ctx_set(h, ZMQ_BLOCKY, 0), "set context non-blocky")
    }

    /// Terminates the context once every socket of it is closed (sockets keep it alive).
    deinit {
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
