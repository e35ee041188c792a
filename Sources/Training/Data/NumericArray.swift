/// Element types of NumPy and IDX arrays that can hold features or labels.
enum ElementType: Sendable, Equatable {
    case uint8, int8, int16, uint16, int32, uint32, int64, uint64, float16, float32, float64, bool

    /// Bytes per element.
    var size: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .int16, .uint16, .float16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

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
        case .float16:
            let bits = p.loadUnaligned(as: UInt16.self)
            return Self.halfToDouble(bigEndian ? UInt16(bigEndian: bits) : UInt16(littleEndian: bits))
        case .float32:
            let bits = p.loadUnaligned(as: UInt32.self)
            return Double(Float(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits)))
        case .float64:
            let bits = p.loadUnaligned(as: UInt64.self)
            return Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits))
        }
    }

    /// An IEEE half-precision value, decoded by hand: Swift's `Float16` is missing on some
    /// platforms (x86_64 macOS).
    static func halfToDouble(_ h: UInt16) -> Double {
        let sign: Double = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F), fraction = Double(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24 // zero and subnormals
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// Copies sample `row` as Float into `dst` (`width` values); false when one of them is
    /// not finite (NaN or infinity), checked in the same pass as the copy.
    func copyRow(_ row: Int, into dst: UnsafeMutablePointer<Float>) -> Bool {
        let w = width, start = row * w
        switch (type, bigEndian) {
        case (.float32, false):
            // The common case (np.float32): a straight copy out of the mapping, the exponent
            // bits (all ones: NaN or inf) OR-ed while the row is in cache.
            UnsafeMutableRawPointer(dst).copyMemory(from: base + start * 4, byteCount: w * 4)
            var bad: UInt32 = 0
            UnsafeMutableRawPointer(dst).withMemoryRebound(to: UInt32.self, capacity: w) { bits in
                for j in 0..<w { bad |= (bits[j] & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
            }
            return bad == 0
        case (.uint8, _):
            let p = base.assumingMemoryBound(to: UInt8.self) + start
            for j in 0..<w { dst[j] = Float(p[j]) }
            return true
        default:
            var finite = true
            for j in 0..<w {
                // Checked after the conversion: a float64 beyond float32's range becomes infinity.
                let v = Float(value(start + j))
                finite = finite && v.isFinite
                dst[j] = v
            }
            return finite
        }
    }

    /// The samples `rows` as row-major Float features; a non-finite value is an error naming
    /// the file's first one (sample and index), whichever split meets it.
    func gather(_ rows: [Int]) throws(DataError) -> [Float] {
        let w = width
        var finite = true
        let out = LargeBuffer.floats(count: rows.count * w) { buffer in
            for (i, r) in rows.enumerated() { finite = copyRow(r, into: buffer + i * w) && finite }
        }
        if !finite {
            // Only on error: the first bad value in file order, the same whichever split found it.
            let flat = (0..<(count * w)).first { !Float(value($0)).isFinite } ?? 0
            let position = "sample \(flat / max(w, 1)), value \(flat % max(w, 1))"
            let v = value(flat)
            throw DataError.corrupt(
                path: path,
                reason: v.isFinite
                    ? "\(position) is \(v), beyond the range of 32-bit floats (about 3.4e38) that training uses"
                    : "\(position) is not a finite number (NaN or infinity)")
        }
        return out
    }

    /// Each value as an integer class label; a value that is not an integer is an error.
    func integerLabels(path labelPath: String) throws(DataError) -> [Int64] {
        var out = [Int64](repeating: 0, count: count)
        if type == .int64, !bigEndian {
            // np.int64 (the default integer dtype): read straight from the mapping.
            for i in 0..<count { out[i] = Int64(littleEndian: (base + i * 8).loadUnaligned(as: Int64.self)) }
            return out
        }
        for i in 0..<count {
            let v = value(i)
            guard v.isFinite, v == v.rounded(), abs(v) < 1e15 else {
                let hint = v.isFinite ? " (a numeric target? set data.task: regression)" : ""
                throw DataError.unusable(path: labelPath, reason: "label \(v) of sample \(i) is not an integer class\(hint)")
            }
            out[i] = Int64(v)
        }
        return out
    }

    /// Each value as a regression target; a value that is not a finite Float is an error.
    func finiteTargets(path labelPath: String) throws(DataError) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let v = value(i)
            guard Float(v).isFinite else { throw DataError.corrupt(path: labelPath, reason: "target \(v) of sample \(i) is not a finite number") }
            out[i] = Float(v)
        }
        return out
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

    /// The samples `rows` as row-major Float features (an array's non-finite value is an error).
    func gather(_ rows: [Int]) throws(DataError) -> [Float] {
        switch self {
        case .array(let a): return try a.gather(rows)
        case .floats(let v, let w):
            return LargeBuffer.floats(count: rows.count * w) { buffer in
                v.withUnsafeBufferPointer { src in
                    for (i, r) in rows.enumerated() {
                        (buffer + i * w).initialize(from: src.baseAddress! + r * w, count: w)
                    }
                }
            }
        }
    }
}
