import CZeroMQ

/// Socket events libzmq reports to a monitor (the subset Sweep logs).
public struct MonitorEvents: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let accepted = MonitorEvents(rawValue: ZMQ_EVENT_ACCEPTED)
    public static let disconnected = MonitorEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
    /// The peer spoke another security mechanism (e.g. a plain client to a CURVE server).
    public static let handshakeFailedProtocol = MonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    /// The authentication handler refused the peer.
    public static let handshakeFailedAuth = MonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    public static let handshakeFailedNoDetail = MonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    public static let handshakeSucceeded = MonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)

    public static let handshakeFailures: MonitorEvents = [.handshakeFailedProtocol, .handshakeFailedAuth, .handshakeFailedNoDetail]
}

/// One event read from a monitor socket.
public struct MonitorEvent: Sendable, Equatable {
    public var event: MonitorEvents
    /// Event-specific value (an errno or protocol error code for handshake failures).
    public var value: UInt32
    /// The endpoint the event is about.
    public var address: String

    /// Parses the two frames of a monitor message (ZMQ_EVENT v1 format).
    public init?(_ m: Message) {
        guard m.frames.count == 2, m.frames[0].count == 6 else { return nil }
        let f = m.frames[0]
        event = MonitorEvents(rawValue: Int32(UInt16(f[0]) | UInt16(f[1]) << 8))
        value = UInt32(f[2]) | UInt32(f[3]) << 8 | UInt32(f[4]) << 16 | UInt32(f[5]) << 24
        address = String(decoding: m.frames[1], as: UTF8.self)
    }
}

extension Socket {
    /// Starts reporting `events` of this socket on `endpoint` (an `inproc://` address) and
    /// returns a PAIR socket, on the same context, that receives them.
    public func monitor(_ events: MonitorEvents, endpoint: String, context: Context) throws(ZMQError) -> Socket {
        try check(zmq_socket_monitor(handle, endpoint, events.rawValue), "monitor \(endpoint)")
        let pair = try Socket(context, .pair)
        try pair.connect(endpoint)
        return pair
    }
}
