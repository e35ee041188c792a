import CZeroMQ

/// Typed socket options (the subset Sweep uses). Each is one `zmq_setsockopt` call.
extension Socket {
    /// How long unsent messages are kept after close, in ms (0: drop at once; the default here).
    public func setLinger(milliseconds: Int32) throws(ZMQError) { try setInt(ZMQ_LINGER, milliseconds, "LINGER") }

    /// This socket's identity as its ROUTER peer sees it (set before connecting).
    public func setRoutingID(_ id: String) throws(ZMQError) { try setString(ZMQ_ROUTING_ID, id, "ROUTING_ID") }

    /// ROUTER: sending to an unknown identity fails with EHOSTUNREACH instead of silently dropping.
    public func setRouterMandatory(_ on: Bool) throws(ZMQError) { try setInt(ZMQ_ROUTER_MANDATORY, on ? 1 : 0, "ROUTER_MANDATORY") }

    /// ROUTER: a reconnecting peer with a known identity takes over that identity.
    public func setRouterHandover(_ on: Bool) throws(ZMQError) { try setInt(ZMQ_ROUTER_HANDOVER, on ? 1 : 0, "ROUTER_HANDOVER") }

    /// Peers that send a message larger than this are disconnected by libzmq (-1: no limit).
    public func setMaxMessageSize(_ bytes: Int64) throws(ZMQError) { try setInt64(ZMQ_MAXMSGSIZE, bytes, "MAXMSGSIZE") }

    public func setSendHighWaterMark(_ messages: Int32) throws(ZMQError) { try setInt(ZMQ_SNDHWM, messages, "SNDHWM") }
    public func setReceiveHighWaterMark(_ messages: Int32) throws(ZMQError) { try setInt(ZMQ_RCVHWM, messages, "RCVHWM") }
    public func setSendTimeout(milliseconds: Int32) throws(ZMQError) { try setInt(ZMQ_SNDTIMEO, milliseconds, "SNDTIMEO") }
    public func setReceiveTimeout(milliseconds: Int32) throws(ZMQError) { try setInt(ZMQ_RCVTIMEO, milliseconds, "RCVTIMEO") }

    /// Reconnect back-off: first retry after `initial` ms, doubling up to `maximum` ms.
    public func setReconnectInterval(initial: Int32, maximum: Int32) throws(ZMQError) {
        try setInt(ZMQ_RECONNECT_IVL, initial, "RECONNECT_IVL")
        try setInt(ZMQ_RECONNECT_IVL_MAX, maximum, "RECONNECT_IVL_MAX")
    }

    /// Queue messages only to completed connections (a worker does not queue into the void).
    public func setImmediate(_ on: Bool) throws(ZMQError) { try setInt(ZMQ_IMMEDIATE, on ? 1 : 0, "IMMEDIATE") }

    /// ZMTP-level heartbeats (PING/PONG): detect dead TCP peers even when idle.
    public func setHeartbeat(intervalMs: Int32, timeoutMs: Int32, ttlMs: Int32) throws(ZMQError) {
        try setInt(ZMQ_HEARTBEAT_IVL, intervalMs, "HEARTBEAT_IVL")
        try setInt(ZMQ_HEARTBEAT_TIMEOUT, timeoutMs, "HEARTBEAT_TIMEOUT")
        try setInt(ZMQ_HEARTBEAT_TTL, ttlMs, "HEARTBEAT_TTL")
    }

    /// Kernel TCP keepalives: a connection whose peer vanished (no FIN, e.g. a cut network)
    /// is closed after `idleSeconds` of silence and `probes` unanswered probes.
    public func setTCPKeepalive(idleSeconds: Int32, intervalSeconds: Int32, probes: Int32) throws(ZMQError) {
        try setInt(ZMQ_TCP_KEEPALIVE, 1, "TCP_KEEPALIVE")
        try setInt(ZMQ_TCP_KEEPALIVE_IDLE, idleSeconds, "TCP_KEEPALIVE_IDLE")
        try setInt(ZMQ_TCP_KEEPALIVE_INTVL, intervalSeconds, "TCP_KEEPALIVE_INTVL")
        try setInt(ZMQ_TCP_KEEPALIVE_CNT, probes, "TCP_KEEPALIVE_CNT")
    }

    // MARK: CURVE security

    /// Makes this socket a CURVE server with the given secret key (Z85, 40 characters).
    public func setCurveServer(secretKey: String) throws(ZMQError) {
        try setInt(ZMQ_CURVE_SERVER, 1, "CURVE_SERVER")
        try setString(ZMQ_CURVE_SECRETKEY, secretKey, "CURVE_SECRETKEY")
    }

    /// Makes this socket a CURVE client: its own key pair and the server's public key.
    public func setCurveClient(publicKey: String, secretKey: String, serverKey: String) throws(ZMQError) {
        try setString(ZMQ_CURVE_SERVERKEY, serverKey, "CURVE_SERVERKEY")
        try setString(ZMQ_CURVE_PUBLICKEY, publicKey, "CURVE_PUBLICKEY")
        try setString(ZMQ_CURVE_SECRETKEY, secretKey, "CURVE_SECRETKEY")
    }

    /// The ZAP domain passed to the authentication handler. With CURVE, libzmq asks the
    /// handler bound at `inproc://zeromq.zap.01` about every connection.
    public func setZAPDomain(_ domain: String) throws(ZMQError) {
        try setString(ZMQ_ZAP_DOMAIN, domain, "ZAP_DOMAIN")
    }
}
