import CZlib

/// The byte-level pieces the binary files (models, checkpoints) share: little-endian
/// integers and Float32 arrays, and a CRC-32 (zlib) checksum.
protocol LittleEndianFormat {}

extension LittleEndianFormat {
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 { CRC32.checksum(bytes) }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    static func append(_ values: UnsafeBufferPointer<Float>, to bytes: inout [UInt8]) {
        append(UnsafeMutableBufferPointer(mutating: values), to: &bytes)
    }

    static func append(_ values: UnsafeMutableBufferPointer<Float>, to bytes: inout [UInt8]) {
        #if _endian(little)
        bytes += UnsafeRawBufferPointer(values)
        #else
        for v in values { append(v.bitPattern, to: &bytes) }
        #endif
    }

    static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    static func readUInt64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    static func readFloats(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> [Float] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * $0, as: UInt32.self))) }
        }
    }

    static func readUInt32s(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> [UInt32] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * $0, as: UInt32.self)) }
        }
    }
}

/// CRC-32 (zlib) of a byte run, as the binary files here end with; also used by the
/// coordinator's stored checkpoints.
public enum CRC32 {
    /// The CRC of `bytes`; `continuing` the CRC of what came before them (a file written in parts).
    public static func checksum(_ bytes: ArraySlice<UInt8>, continuing previous: UInt32? = nil) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = previous.map { uLong($0) } ?? crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let n = min(buffer.count - offset, 1 << 30)
                crc = crc32(crc, buffer.baseAddress! + offset, uInt(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
