import CZeroMQ

/// Waits for input on several sockets at once (`zmq_poll`).
///
/// Build it once with the sockets of a poll loop and call ``poll(timeoutMilliseconds:)``
/// each iteration; no allocation per call.
public struct Poller {
    private var items: [zmq_pollitem_t]
    private let sockets: [Socket]

    /// Polls `sockets` for input.
    public init(_ sockets: [Socket]) {
        self.sockets = sockets
        self.items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) for input; returns how many sockets
    /// are readable. An interrupting signal returns 0, so loops can check their stop flags.
    @discardableResult
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> Int {
        let n = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds) }
        if n == -1 {
            let error = ZMQError.last("poll")
            if error.interrupted { return 0 }
            throw error
        }
        return Int(n)
    }

    /// Whether the socket at `index` (in the order given to `init`) has input.
    public func isReadable(_ index: Int) -> Bool {
        items[index].revents & Int16(ZMQ_POLLIN) != 0
    }
}
