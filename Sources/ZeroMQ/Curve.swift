import CZeroMQ

/// CURVE key pairs in Z85 text (40 characters each), as `sweep keygen` writes them.
public struct CurveKeyPair: Sendable, Hashable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair. Fails when libzmq was built without CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_keypair(&pub, &sec), "generate CURVE key pair")
        return CurveKeyPair(publicKey: string(pub), secretKey: string(sec))
    }

    /// The public key that belongs to a secret key.
    public static func publicKey(forSecret secret: String) throws(ZMQError) -> String {
        var pub = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_public(&pub, secret), "derive CURVE public key")
        return string(pub)
    }

    /// Whether `key` is a well-formed Z85 CURVE key (40 characters of the Z85 alphabet).
    public static func isValidKey(_ key: String) -> Bool {
        guard key.utf8.count == 40 else { return false }
        var out = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&out, key) != nil
    }

    private static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Z85 text encoding of binary keys (ZeroMQ RFC 32).
public enum Z85 {
    /// Encodes bytes whose count is a multiple of 4 (32-byte keys give 40 characters).
    public static func encode(_ bytes: [UInt8]) -> String {
        precondition(bytes.count % 4 == 0)
        var out = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        _ = zmq_z85_encode(&out, bytes, bytes.count)
        return String(decoding: out.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
