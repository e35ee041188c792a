import CZlib
import Foundation
import Testing
@testable import Training

/// `.npz` entries are raw deflate streams; zlib counts one call's input and output in 32
/// bits, so entries of 4 GiB or more are fed and drained in pieces (a 4 MB `.npz` of 4 GiB
/// of zeros trapped in `UInt32(size)`). The pieces are a parameter, so a small stream in
/// small pieces takes the same path.
@Suite struct InflateTests {
    /// `bytes` as a raw deflate stream (window bits -15, as in a zip entry).
    static func deflateRaw(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = bytes
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        let written = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                precondition(CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return Int(stream.total_out)
            }
        }
        return Array(out.prefix(written))
    }

    @Test(arguments: [1 << 30, 4096, 7])
    func aStreamInflatesWholeInAnySizeOfPieces(piece: Int) throws {
        let original = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 31 + $0 / 97) }
        let packed = Self.deflateRaw(original)
        let out = try packed.withUnsafeBytes { try NumPyArchive.inflate($0, size: original.count, path: "x.npz", piece: piece) }
        #expect(Array(UnsafeRawBufferPointer(start: out.base, count: out.count)) == original)
        // A stream longer than its entry says, or shorter, is damaged, in pieces as whole.
        for size in [original.count - 1, original.count + 1] {
            #expect(throws: DataError.self) { try packed.withUnsafeBytes { try NumPyArchive.inflate($0, size: size, path: "x.npz", piece: piece) } }
        }
    }
}
