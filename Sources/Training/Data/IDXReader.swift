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
        let bytes = try GzipReader.read(path, atMost: promisedBytes(path))
        return try parse(bytes, path: path, rank: expectedRank)
    }

    /// The size the file's header promises (header and values), read from its first bytes
    /// (inflated): nil when the header cannot be read (then `parse` says what is wrong).
    static func promisedBytes(_ path: String) -> Int? {
        let head = GzipReader.head(path, count: 4 + 4 * 255)
        guard head.count >= 4, head[0] == 0, head[1] == 0 else { return nil }
        let rank = Int(head[3])
        guard head.count >= 4 + 4 * rank else { return nil }
        let dimensions = head.withUnsafeBytes { IDXArray.dimensions($0, rank: rank) }
        return ElementCount.product(dimensions).map { 4 + 4 * rank + $0 }
    }

    static func parse(_ bytes: [UInt8], path: String, rank expectedRank: Int) throws -> IDXFile {
        guard bytes.count >= 4 else { throw DataError.corrupt(path: path, reason: "file shorter than the IDX header") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.corrupt(path: path, reason: "bad IDX magic \(bytes[0..<4].map { String($0) }.joined(separator: ","))\(DataFileKind.hint(head: bytes, expected: .idx))")
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
        let dimensions = bytes.withUnsafeBytes { IDXArray.dimensions($0, rank: rank) }
        let expected = ElementCount.product(dimensions) ?? -1
        guard bytes.count - headerSize == expected else {
            throw DataError.corrupt(
                path: path, reason: "header promises \(expected) values (\(dimensions.map(String.init).joined(separator: "x"))), file has \(bytes.count - headerSize)")
        }
        return IDXFile(dimensions: dimensions, bytes: bytes, payloadOffset: headerSize)
    }
}

/// IDX files of any rank and element type (MNIST, EMNIST, KMNIST, ...), gzipped or plain:
/// plain files are mapped, gzipped ones inflated once.
enum IDXArray {
    static func read(_ path: String, field: String) throws(DataError) -> NumericArray {
        let file = try MappedFile(path, field: field)
        let b = file.bytes
        if let owned = try GzipReader.inflatedIfGzip(b, path: path) {
            return try parse(owned.bytes, owner: owned, path: path)
        }
        return try parse(b, owner: file, path: path)
    }

    static func parse(_ b: UnsafeRawBufferPointer, owner: AnyObject, path: String) throws(DataError) -> NumericArray {
        guard b.count >= 4 else {
            throw DataError.corrupt(path: path, reason: b.isEmpty ? "empty file (expected an IDX file)" : "file shorter than the IDX header")
        }
        guard b[0] == 0, b[1] == 0 else {
            throw DataError.corrupt(path: path, reason: "bad IDX magic \(b[0]),\(b[1]) at byte 0 (expected 0,0)\(DataFileKind.hint(head: b, expected: .idx))")
        }
        let type: ElementType
        switch b[2] {
        case 0x08: type = .uint8
        case 0x09: type = .int8
        case 0x0B: type = .int16
        case 0x0C: type = .int32
        case 0x0D: type = .float32
        case 0x0E: type = .float64
        default: throw DataError.corrupt(path: path, reason: "unknown IDX value type 0x\(String(b[2], radix: 16)) at byte 2")
        }
        let rank = Int(b[3])
        guard rank >= 1 else { throw DataError.corrupt(path: path, reason: "IDX rank 0 at byte 3") }
        let headerSize = 4 + 4 * rank
        guard b.count >= headerSize else { throw DataError.corrupt(path: path, reason: "truncated IDX header (\(rank) dimensions need \(headerSize) bytes, the file has \(b.count))") }
        let shape = dimensions(b, rank: rank)
        let expected = ElementCount.product(shape, times: type.size) ?? -1
        guard b.count - headerSize == expected else {
            throw DataError.corrupt(
                path: path,
                reason: "truncated or oversized: the header promises \(shape.map(String.init).joined(separator: "x")) values (\(expected) bytes after byte \(headerSize)), the file has \(b.count - headerSize)")
        }
        return NumericArray(owner: owner, base: b.baseAddress! + headerSize, type: type, bigEndian: true, shape: shape, path: path)
    }

    /// The `rank` big-endian 32-bit dimensions after the 4-byte magic (the header is long enough).
    static func dimensions(_ b: UnsafeRawBufferPointer, rank: Int) -> [Int] {
        (0..<rank).map { d in
            let o = 4 + 4 * d
            return Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
        }
    }
}
