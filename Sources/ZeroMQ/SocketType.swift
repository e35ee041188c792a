import CZeroMQ

/// The socket patterns Sweep uses.
public enum SocketType: Sendable {
    /// Addressed routing by identity (the coordinator).
    case router
    /// Asynchronous request/reply peer of a ROUTER (workers).
    case dealer
    /// Exclusive pair, for `inproc://` links between threads.
    case pair
    /// Strict request/reply (the ZAP authentication handler).
    case rep
    case req
    /// Plain TCP streams (used in tests to send raw garbage).
    case stream

    var raw: Int32 {
        switch self {
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        case .pair: return ZMQ_PAIR
        case .rep: return ZMQ_REP
        case .req: return ZMQ_REQ
        case .stream: return ZMQ_STREAM
        }
    }
}
