import CZeroMQ
import Glibc

/// One ZeroMQ socket.
///
/// Not `Sendable`: a socket belongs to the thread that created it (libzmq sockets are
/// not thread-safe). Each process keeps its sockets in one synchronous poll loop.
/// Every socket starts with `LINGER 0`, so closing never blocks on unsent messages.
public final class Socket {
    let handle: UnsafeMutableRawPointer
    public let type: SocketType
    /// Keeps the context alive while the socket exists.
    private let context: Context
    private var closed = false

    /// A new socket of `type` on `context`.
    public init(_ context: Context, _ type: SocketType) throws(ZMQError) {
        guard let h = zmq_socket(context.handle, type.raw) else { throw ZMQError.last("create socket") }
        self.handle = h
        self.type = type
        self.context = context
        try setInt(ZMQ_LINGER, 0, "LINGER")
    }

    deinit { close() }

    /// Closes the socket; pending outgoing messages are dropped (LINGER 0).
    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    // MARK: Endpoints

    /// Binds to an endpoint such as `tcp://127.0.0.1:5555` or `tcp://*:0` (any free port).
    public func bind(_ endpoint: String) throws(ZMQError) {
        try enableIPv6(for: endpoint)
        try check(zmq_bind(handle, endpoint), "bind \(endpoint)")
    }

    /// Connects to an endpoint; libzmq connects (and reconnects) in the background.
    public func connect(_ endpoint: String) throws(ZMQError) {
        try enableIPv6(for: endpoint)
        try check(zmq_connect(handle, endpoint), "connect \(endpoint)")
    }

    /// libzmq refuses an IPv6 address ("No such device") unless `ZMQ_IPV6` is set. It is set
    /// only for a bracketed address (`tcp://[::1]:5555`): set for every socket, a host name such
    /// as `localhost` could resolve to `::1` while the coordinator listens on 127.0.0.1.
    private func enableIPv6(for endpoint: String) throws(ZMQError) {
        guard endpoint.hasPrefix("tcp://[") else { return }
        try setInt(ZMQ_IPV6, 1, "IPV6")
    }

    public func unbind(_ endpoint: String) throws(ZMQError) {
        try check(zmq_unbind(handle, endpoint), "unbind \(endpoint)")
    }

    public func disconnect(_ endpoint: String) throws(ZMQError) {
        try check(zmq_disconnect(handle, endpoint), "disconnect \(endpoint)")
    }

    /// The endpoint last bound, with the actual port (useful after binding port 0).
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Sending

    /// Sends a multipart message. Returns false if it would block (only with `dontWait`).
    /// With ROUTER_MANDATORY, sending to an unknown identity throws `hostUnreachable`.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if i < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc == -1 {
                let error = ZMQError.last("send")
                // Only the first frame may report EAGAIN: later frames are queued atomically.
                if error.wouldBlock && i == 0 { return false }
                throw error
            }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one whole multipart message, or nil if none is waiting (`dontWait`).
    public func receive(dontWait: Bool = false) throws(ZMQError) -> Message? {
        var frames: [[UInt8]] = []
        var peerAddress: String?
        var userID: String?
        var sourceFD: Int32?
        var more = true
        while more {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            let rc = zmq_msg_recv(&msg, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if rc == -1 {
                let error = ZMQError.last("receive")
                if error.wouldBlock && frames.isEmpty { return nil }
                if error.interrupted && frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&msg)
            if size > 0, let data = zmq_msg_data(&msg) {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if peerAddress == nil, let p = zmq_msg_gets(&msg, "Peer-Address") { peerAddress = String(cString: p) }
            if userID == nil, let u = zmq_msg_gets(&msg, "User-Id") { userID = String(cString: u) }
            if sourceFD == nil { let fd = zmq_msg_get(&msg, ZMQ_SRCFD); if fd >= 0 { sourceFD = fd } }
            more = zmq_msg_more(&msg) == 1
        }
        return Message(frames: frames, peerAddress: peerAddress, userID: userID, sourceFD: sourceFD)
    }

    /// Ends one peer's TCP connection (from ``Message/sourceFD``): libzmq sees the
    /// connection fail, closes it and drops what it queued from it; the socket goes on.
    /// `shutdown` leaves the descriptor to libzmq (it closes it), so nothing is freed twice.
    public func cutOff(connection fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_RDWR))
    }

    // MARK: Options

    func setInt(_ option: Int32, _ value: Int32, _ name: String) throws(ZMQError) {
        var v = value
        try check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size), "set \(name)")
    }

    func setInt64(_ option: Int32, _ value: Int64, _ name: String) throws(ZMQError) {
        var v = value
        try check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size), "set \(name)")
    }

    func setBytes(_ option: Int32, _ value: [UInt8], _ name: String) throws(ZMQError) {
        let rc = value.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        try check(rc, "set \(name)")
    }

    func setString(_ option: Int32, _ value: String, _ name: String) throws(ZMQError) {
        try setBytes(option, Array(value.utf8), name)
    }

    func getInt(_ option: Int32) -> Int32 {
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        zmq_getsockopt(handle, option, &v, &size)
        return v
    }
}

/// One received multipart message and what libzmq knows about its sender.
public struct Message: Sendable, Equatable {
    public var frames: [[UInt8]]
    /// The sender's IP address (TCP), for logs.
    public var peerAddress: String?
    /// The ZAP user id (with CURVE: the authenticated client key, as set by the handler).
    public var userID: String?
    /// The descriptor of the TCP connection it came from (libzmq's `ZMQ_SRCFD`; nil for
    /// inproc). Valid only while that connection is open: use it at once, e.g. to cut off
    /// a flooding peer with ``Socket/cutOff(connection:)``.
    public var sourceFD: Int32?

    public init(frames: [[UInt8]], peerAddress: String? = nil, userID: String? = nil, sourceFD: Int32? = nil) {
        self.frames = frames
        self.peerAddress = peerAddress
        self.userID = userID
        self.sourceFD = sourceFD
    }

    /// Total payload bytes over all frames.
    public var byteCount: Int { frames.reduce(0) { $0 + $1.count } }
}
