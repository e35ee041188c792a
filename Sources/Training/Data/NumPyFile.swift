import CZlib

/// NumPy's `.npy` format (versions 1-3): the magic `\x93NUMPY`, a version, a header length,
/// a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }`, then
/// the values. Read in place from a mapped file or an archive entry; a Fortran-ordered array
/// (`np.asfortranarray`, or a transposed array saved as it is) is copied into C order.
enum NumPyFile {
    /// The array of the `.npy` file at `path`, mapped (not copied).
    static func read(_ path: String, field: String) throws(DataError) -> NumericArray {
        let file = try MappedFile(path, field: field)
        return try parse(file.bytes, owner: file, path: path)
    }

    /// Parses an `.npy` image in `bytes` (kept alive by `owner`).
    static func parse(_ bytes: UnsafeRawBufferPointer, owner: AnyObject, path: String) throws(DataError) -> NumericArray {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10 else {
            throw DataError.corrupt(path: path, reason: bytes.isEmpty ? "empty file (expected a NumPy .npy array)" : "shorter than the .npy header (\(bytes.count) bytes)")
        }
        guard Array(bytes[0..<6]) == magic else {
            throw DataError.corrupt(path: path, reason: "not a .npy file (bad magic at byte 0)\(DataFileKind.hint(head: bytes, expected: .npy))")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DataError.corrupt(path: path, reason: "truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default: throw DataError.corrupt(path: path, reason: "unsupported .npy version \(major) (byte 6)")
        }
        guard bytes.count >= headerStart + headerLength else { throw DataError.corrupt(path: path, reason: "truncated .npy header") }
        let header = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)]), as: UTF8.self)
        guard let descr = quotedValue(of: "descr", in: header) else {
            throw DataError.corrupt(path: path, reason: "the .npy header has no 'descr': \(header)")
        }
        guard let (type, bigEndian) = elementType(descr) else {
            // A valid file of a kind not read (text labels, Python objects) is no damage.
            let kind = descr.contains("U") || descr.contains("S") ? " (text: save class labels as integers, e.g. np.unique(y, return_inverse=True)[1], or use a CSV)"
                : descr.contains("O") ? " (Python objects: save it with a numeric dtype, e.g. np.asarray(x, dtype=np.float32))" : ""
            throw DataError.unreadable(
                path: path,
                reason: "its dtype '\(descr)' is not numeric\(kind); expected float16, float32, float64, int8-64, uint8-64 or bool")
        }
        let fortranOrder = rawValue(of: "fortran_order", in: header)?.hasPrefix("True") == true
        guard let shapeText = rawValue(of: "shape", in: header), shapeText.hasPrefix("("), let close = shapeText.firstIndex(of: ")") else {
            throw DataError.corrupt(path: path, reason: "the .npy header has no 'shape': \(header)")
        }
        let inner = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: " L")
            guard let n = Int(t), n >= 0 else { throw DataError.corrupt(path: path, reason: "bad shape \(shapeText[...close])") }
            shape.append(n)
        }
        guard !shape.isEmpty else { throw DataError.corrupt(path: path, reason: "a 0-dimensional array holds no samples") }
        let dataStart = headerStart + headerLength
        guard let expected = ElementCount.product(shape, times: type.size) else {
            throw DataError.corrupt(path: path, reason: "shape \(shape) of \(descr) holds more bytes than any file can (a damaged header?)")
        }
        guard bytes.count - dataStart >= expected else {
            throw DataError.corrupt(
                path: path,
                reason: "truncated: shape \(shape) of \(descr) needs \(expected) bytes after the header, the file has \(bytes.count - dataStart)")
        }
        let data = bytes.baseAddress! + dataStart
        if fortranOrder && shape.filter({ $0 > 1 }).count > 1 {
            let copy = cOrder(fortran: data, shape: shape, elementSize: type.size)
            return NumericArray(owner: copy, base: UnsafeRawPointer(copy.base), type: type, bigEndian: bigEndian, shape: shape, path: path)
        }
        return NumericArray(owner: owner, base: data, type: type, bigEndian: bigEndian, shape: shape, path: path)
    }

    /// The elements of a Fortran-ordered array (first index fastest) in C order (last index
    /// fastest), copied element by element.
    static func cOrder(fortran source: UnsafeRawPointer, shape: [Int], elementSize: Int) -> OwnedBytes {
        let total = shape.reduce(1, *)
        let out = OwnedBytes(capacity: total * elementSize)
        // C-order strides, in elements.
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        var index = [Int](repeating: 0, count: shape.count)
        var target = 0
        for k in 0..<total {
            (out.base + target * elementSize).copyMemory(from: source + k * elementSize, byteCount: elementSize)
            // The next index in Fortran order: the first dimension counts fastest.
            for d in 0..<shape.count {
                index[d] += 1
                target += strides[d]
                if index[d] < shape[d] { break }
                target -= strides[d] * shape[d]
                index[d] = 0
            }
        }
        return out
    }

    static func elementType(_ descr: String) -> (ElementType, bigEndian: Bool)? {
        guard let order = descr.first, "<>|=".contains(order) else { return nil }
        let big = order == ">"
        switch descr.dropFirst() {
        case "f2": return (.float16, big)
        case "f4": return (.float32, big)
        case "f8": return (.float64, big)
        case "i1": return (.int8, big)
        case "u1": return (.uint8, big)
        case "b1": return (.bool, big)
        case "i2": return (.int16, big)
        case "u2": return (.uint16, big)
        case "i4": return (.int32, big)
        case "u4": return (.uint32, big)
        case "i8": return (.int64, big)
        case "u8": return (.uint64, big)
        default: return nil
        }
    }

    /// The text after `'key':` in the header dict, up to the end.
    private static func rawValue(of key: String, in header: String) -> Substring? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        return header[r.upperBound...].drop { $0 == " " }
    }

    private static func quotedValue(of key: String, in header: String) -> String? {
        guard let v = rawValue(of: key, in: header), v.first == "'" else { return nil }
        let body = v.dropFirst()
        guard let end = body.firstIndex(of: "'") else { return nil }
        return String(body[..<end])
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}

/// NumPy's `.npz` archives (`np.savez`, `np.savez_compressed`): a zip file of `.npy`
/// entries. Stored entries are read in place from the mapping; deflated ones are inflated
/// once with zlib.
enum NumPyArchive {
    /// The array `name` (`x` for the entry `x.npy`) of the archive at `path`.
    static func array(_ name: String, in path: String, field: String) throws(DataError) -> NumericArray {
        let file = try MappedFile(path, field: field)
        let entries = try centralDirectory(file.bytes, path: path)
        guard let entry = entries.first(where: { $0.name == name + ".npy" }) else {
            // Arrays by their names, other entries as they are (`x.txt` was listed as an array `x`).
            let names = entries.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : "\($0.name) (no array)" }
            throw DataError.mismatch("\(path) has no array '\(name)' (it has: \(DelimitedTable.listed(names)))")
        }
        let bytes = file.bytes
        let local = entry.localOffset
        guard local + 30 <= bytes.count, u32(bytes, local) == 0x0403_4B50 else {
            throw DataError.corrupt(path: path, reason: "bad local header of \(entry.name) at byte \(local)")
        }
        let dataStart = local + 30 + u16(bytes, local + 26) + u16(bytes, local + 28)
        guard dataStart + entry.compressedSize <= bytes.count else {
            throw DataError.corrupt(path: path, reason: "\(entry.name) is truncated (needs \(entry.compressedSize) bytes at byte \(dataStart))")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + entry.compressedSize)])
        let where_ = "\(path)[\(entry.name)]"
        switch entry.method {
        case 0:
            return try NumPyFile.parse(data, owner: file, path: where_)
        case 8:
            let out = try inflate(data, size: entry.size, path: where_)
            return try NumPyFile.parse(out.bytes, owner: out, path: where_)
        default:
            throw DataError.corrupt(path: where_, reason: "zip compression method \(entry.method) is not stored (0) or deflate (8)")
        }
    }

    struct Entry { var name: String; var method: Int; var compressedSize: Int; var size: Int; var localOffset: Int }

    static func centralDirectory(_ b: UnsafeRawBufferPointer, path: String) throws(DataError) -> [Entry] {
        guard b.count >= 22 else { throw DataError.corrupt(path: path, reason: b.isEmpty ? "empty file (expected a .npz archive)" : "not a zip archive (too short)") }
        // The end-of-central-directory record is in the last 22 + 65,535 bytes.
        var eocd = -1
        var i = b.count - 22
        while i >= max(0, b.count - 22 - 65_535) {
            if u32(b, i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw DataError.corrupt(path: path, reason: "not a zip archive (no end-of-central-directory record)\(DataFileKind.hint(head: b, expected: .npz))") }
        var count = u16(b, eocd + 10), offset = u32(b, eocd + 16)
        // Zip64: the locator sits right before the record.
        if (count == 0xFFFF || offset == 0xFFFF_FFFF), eocd >= 20, u32(b, eocd - 20) == 0x0706_4B50 {
            let record = Int(u64(b, eocd - 20 + 8))
            guard record + 56 <= b.count, u32(b, record) == 0x0606_4B50 else { throw DataError.corrupt(path: path, reason: "bad zip64 record") }
            count = Int(u64(b, record + 32))
            offset = Int(u64(b, record + 48))
        }
        var entries: [Entry] = []
        var p = offset
        for _ in 0..<count {
            guard p + 46 <= b.count, u32(b, p) == 0x0201_4B50 else { throw DataError.corrupt(path: path, reason: "bad central directory entry at byte \(p)") }
            let nameLength = u16(b, p + 28), extraLength = u16(b, p + 30), commentLength = u16(b, p + 32)
            guard p + 46 + nameLength + extraLength <= b.count else { throw DataError.corrupt(path: path, reason: "truncated central directory") }
            var entry = Entry(
                name: String(decoding: UnsafeRawBufferPointer(rebasing: b[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self),
                method: u16(b, p + 10), compressedSize: u32(b, p + 20), size: u32(b, p + 24), localOffset: u32(b, p + 42))
            // Zip64 extra field (id 1): the 64-bit values of the fields that are 0xFFFFFFFF, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(b, e), length = u16(b, e + 2)
                if id == 1 {
                    var q = e + 4
                    if entry.size == 0xFFFF_FFFF { entry.size = Int(u64(b, q)); q += 8 }
                    if entry.compressedSize == 0xFFFF_FFFF { entry.compressedSize = Int(u64(b, q)); q += 8 }
                    if entry.localOffset == 0xFFFF_FFFF { entry.localOffset = Int(u64(b, q)) }
                }
                e += 4 + length
            }
            entries.append(entry)
            p += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    /// Raw-deflate `data` into `size` bytes.
    static func inflate(_ data: UnsafeRawBufferPointer, size: Int, path: String, piece: Int = 1 << 30) throws(DataError) -> OwnedBytes {
        let out = OwnedBytes(capacity: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.unreadable(path: path, reason: "zlib inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: data.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.next_out = out.base.assumingMemoryBound(to: UInt8.self)
        // zlib counts a call's input and output in 32 bits: an entry of 4 GiB or more (a
        // compressed array of a billion floats) is fed and drained in pieces (UInt32(size)
        // trapped: "Not enough bits to represent the passed value"). (`piece`: for tests.)
        var inputLeft = data.count, outputLeft = size
        var status: Int32 = Z_OK
        while true {
            if stream.avail_in == 0 && inputLeft > 0 {
                let n = min(inputLeft, piece)
                stream.avail_in = UInt32(n)
                inputLeft -= n
            }
            if stream.avail_out == 0 && outputLeft > 0 {
                let n = min(outputLeft, piece)
                stream.avail_out = UInt32(n)
                outputLeft -= n
            }
            let last = inputLeft == 0 && outputLeft == 0
            status = CZlib.inflate(&stream, last ? Z_FINISH : Z_NO_FLUSH)
            if status == Z_STREAM_END { break }
            // Z_BUF_ERROR: no progress with what it was given; more is to come unless all is out.
            let progresses = status == Z_OK || (status == Z_BUF_ERROR && !last)
            guard progresses, !(stream.avail_out == 0 && outputLeft == 0) else { break }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw DataError.corrupt(path: path, reason: "deflated data is damaged (zlib status \(status), \(stream.total_out) of \(size) bytes)")
        }
        return out
    }

    private static func u16(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func u32(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }
    private static func u64(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }
}
