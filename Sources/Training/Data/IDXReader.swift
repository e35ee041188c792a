/// The IDX format of (Fashion-)MNIST: a 4-byte magic (0, 0, type, rank), `rank` big-endian
/// 32-bit dimensions, then the values. Only unsigned bytes (type 0x08) occur in these sets.
struct IDXFile {
    let dimensions: [Int]
    let bytes: [UInt8]
    /// Offset of the first value in `bytes`.
    let payloadOffset: Int

    /// Number of items (the first dimension).
    var count: Int { dimensions.first ?? 0 }
    /// Values per item (the product of the other dimensions).
    var itemSize: Int { dimensions.dropFirst().reduce(1, *) }

    /// Parses (and checks) a gzipped or plain IDX file with `rank` dimensions.
    static func read(_ path: String, rank expectedRank: Int) throws -> IDXFile {
        let bytes = try GzipReader.read(path)
        return try parse(bytes, path: path, rank: expectedRank)
    }

    static func parse(_ bytes: [UInt8], path: String, rank expectedRank: Int) throws -> IDXFile {
        guard bytes.count >= 4 else { throw DataError.corrupt(path: path, reason: "file shorter than the IDX header") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.corrupt(path: path, reason: "bad IDX magic \(bytes[0..<4].map { String($0) }.joined(separator: ","))")
        }
        guard bytes[2] == 0x08 else {
            throw DataError.corrupt(path: path, reason: "IDX value type 0x\(String(bytes[2], radix: 16)) is not unsigned byte (0x08)")
        }
        let rank = Int(bytes[3])
        guard rank == expectedRank else {
            throw DataError.corrupt(path: path, reason: "expected \(expectedRank) dimensions, header says \(rank)")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw DataError.corrupt(path: path, reason: "truncated IDX header") }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let expected = dimensions.reduce(1, *)
        guard bytes.count - headerSize == expected else {
            throw DataError.corrupt(
                path: path, reason: "header promises \(expected) values (\(dimensions.map(String.init).joined(separator: "x"))), file has \(bytes.count - headerSize)")
        }
        return IDXFile(dimensions: dimensions, bytes: bytes, payloadOffset: headerSize)
    }
}
