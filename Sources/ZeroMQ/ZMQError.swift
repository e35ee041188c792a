import CZeroMQ

/// A failed libzmq call: the operation and libzmq's errno, with its message.
public struct ZMQError: Error, Equatable, CustomStringConvertible, Sendable {
    /// libzmq's `errno` (POSIX codes plus `ETERM`, `EFSM`, ...).
    public var code: Int32
    /// What was being done, e.g. `bind tcp://0.0.0.0:5555`.
    public var operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The error of the last libzmq call on this thread.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation())
    }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code)))"
    }

    /// The send or receive would block (no peer ready, or nothing to read).
    public var wouldBlock: Bool { code == EAGAIN }
    /// ROUTER_MANDATORY: the destination identity is not connected.
    public var hostUnreachable: Bool { code == EHOSTUNREACH }
    /// The context was terminated.
    public var contextTerminated: Bool { code == ETERM_CODE }
    /// A signal interrupted a blocking call.
    public var interrupted: Bool { code == EINTR }
}

/// `ETERM` is defined by zmq.h relative to its own error base.
let ETERM_CODE: Int32 = 156_384_712 + 53

/// The thin seam for C calls that return -1 on failure.
@inline(__always)
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(ZMQError) {
    if result == -1 { throw ZMQError.last(operation()) }
}
