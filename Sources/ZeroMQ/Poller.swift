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

    /// Polls `sockets` and plain file descriptors (pipes) for input; the descriptors come
    /// after the sockets in ``isReadable(_:)``'s numbering.
    public init(_ sockets: [Socket], fileDescriptors: [Int32]) {
        self.init(sockets)
        items += fileDescriptors.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
    }

    /// Also wakes when the socket at `index` can take a message (`ZMQ_POLLOUT`): for a
    /// sender holding messages its send queue had no room for.
    public mutating func watchWritable(_ index: Int) {
        items[index].events |= Int16(ZMQ_POLLOUT)
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
    /// For a file descriptor, a hang-up (the writer closed it) counts as readable: the
    /// read that follows sees the end of the stream.
    public func isReadable(_ index: Int) -> Bool {
        items[index].revents & Int16(ZMQ_POLLIN | ZMQ_POLLERR) != 0
    }
}
