/// Element types of NumPy and IDX arrays that can hold features or labels.
enum ElementType: Sendable, Equatable {
    case uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64, bool

    /// Bytes per element.
    var size: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    /// Whether every value is an integer (usable as a class label as it is).
    var isInteger: Bool { self != .float32 && self != .float64 }
}

/// A read-only n-dimensional array over memory someone else owns (a mapped file or a
/// decompressed buffer): samples along the first axis.
///
/// `@unchecked Sendable`: `owner` keeps the read-only memory alive and nothing writes it.
struct NumericArray: @unchecked Sendable {
    let owner: AnyObject
    let base: UnsafeRawPointer
    let type: ElementType
    let bigEndian: Bool
    /// Dimensions; the first counts the samples.
    let shape: [Int]
    /// The file, for messages.
    let path: String

    /// Number of samples.
    var count: Int { shape.first ?? 0 }
    /// Values per sample.
    var width: Int { shape.dropFirst().reduce(1, *) }

    /// Element `i` (flat index) as a Double.
    @inline(__always)
    func value(_ i: Int) -> Double {
        let p = base + i * type.size
        switch type {
        case .uint8: return Double(p.load(as: UInt8.self))
        case .int8: return Double(p.load(as: Int8.self))
        case .bool: return p.load(as: UInt8.self) == 0 ? 0 : 1
        case .int16: let v = p.loadUnaligned(as: Int16.self); return Double(bigEndian ? Int16(bigEndian: v) : Int16(littleEndian: v))
        case .uint16: let v = p.loadUnaligned(as: UInt16.self); return Double(bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v))
        case .int32: let v = p.loadUnaligned(as: Int32.self); return Double(bigEndian ? Int32(bigEndian: v) : Int32(littleEndian: v))
        case .uint32: let v = p.loadUnaligned(as: UInt32.self); return Double(bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v))
        case .int64: let v = p.loadUnaligned(as: Int64.self); return Double(bigEndian ? Int64(bigEndian: v) : Int64(littleEndian: v))
        case .uint64: let v = p.loadUnaligned(as: UInt64.self); return Double(bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v))
        case .float32:
            let bits = p.loadUnaligned(as: UInt32.self)
            return Double(Float(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits)))
        case .float64:
            let bits = p.loadUnaligned(as: UInt64.self)
            return Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits))
        }
    }

    /// Copies sample `row` as Float into `dst` (`width` values).
    func copyRow(_ row: Int, into dst: UnsafeMutablePointer<Float>) {
        let w = width, start = row * w
        switch (type, bigEndian) {
        case (.float32, false):
            // The common case (np.float32): a straight copy out of the mapping.
            UnsafeMutableRawPointer(dst).copyMemory(from: base + start * 4, byteCount: w * 4)
        case (.uint8, _):
            let p = base.assumingMemoryBound(to: UInt8.self) + start
            for j in 0..<w { dst[j] = Float(p[j]) }
        default:
            for j in 0..<w { dst[j] = Float(value(start + j)) }
        }
    }

    /// The samples `rows` as row-major Float features.
    func gather(_ rows: [Int]) -> [Float] {
        let w = width
        return [Float](unsafeUninitializedCapacity: rows.count * w) { buffer, initialized in
            for (i, r) in rows.enumerated() { copyRow(r, into: buffer.baseAddress! + i * w) }
            initialized = rows.count * w
        }
    }

    /// The first non-finite value, as (sample, index within the sample), if any.
    func firstNonFinite() -> (row: Int, column: Int)? {
        guard type == .float32 || type == .float64 else { return nil }
        let w = max(width, 1), n = count * width
        if type == .float32, !bigEndian, Int(bitPattern: base) % 4 == 0 {
            // The common case (np.float32), scanned in place: exponent bits all ones is NaN or inf.
            let bits = base.assumingMemoryBound(to: UInt32.self)
            var i = 0
            while i < n {
                let end = min(i + 4096, n)
                var any: UInt32 = 0
                for j in i..<end { any |= (bits[j] & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
                if any != 0 { break }
                i = end
            }
            guard i < n else { return nil }
            for j in i..<n where (bits[j] & 0x7F80_0000) == 0x7F80_0000 { return (j / w, j % w) }
            return nil
        }
        for i in 0..<n where !value(i).isFinite { return (i / w, i % w) }
        return nil
    }
}

/// The features of a raw data set: a view of a file (npy, npz, idx) or values parsed into
/// memory (csv, tsv; NaN where a value is missing).
enum FeatureSource: Sendable {
    case array(NumericArray)
    case floats([Float], width: Int)

    var width: Int {
        switch self {
        case .array(let a): a.width
        case .floats(_, let w): w
        }
    }

    var count: Int {
        switch self {
        case .array(let a): a.count
        case .floats(let v, let w): w == 0 ? 0 : v.count / w
        }
    }

    /// The samples `rows` as row-major Float features.
    func gather(_ rows: [Int]) -> [Float] {
        switch self {
        case .array(let a): return a.gather(rows)
        case .floats(let v, let w):
            return [Float](unsafeUninitializedCapacity: rows.count * w) { buffer, initialized in
                v.withUnsafeBufferPointer { src in
                    for (i, r) in rows.enumerated() {
                        (buffer.baseAddress! + i * w).update(from: src.baseAddress! + r * w, count: w)
                    }
                }
                initialized = rows.count * w
            }
        }
    }
}
