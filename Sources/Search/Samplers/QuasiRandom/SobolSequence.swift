import Randomness

/// The Sobol low-discrepancy sequence in base 2 with Joe-Kuo direction numbers, optionally
/// scrambled (random linear matrix scrambling plus a digital shift, like SciPy's
/// `Sobol(scramble=True)`).
///
/// Points are computed directly from their index (Gray-code order), so point `n` does not
/// depend on which other points were generated: the unscrambled sequence starts
/// (0, 0), (0.5, 0.5), (0.75, 0.25), (0.25, 0.75), ... like SciPy and PyTorch.
struct SobolSequence: Sendable {
    /// Bits of precision per coordinate (2^32 points before the sequence repeats).
    static let bits = 32
    /// Dimensions with direction numbers; more are not supported.
    static let maxDimensions = sobolDirectionTable.count + 1

    let dimensions: Int
    /// directions[d][k]: direction number v_k of dimension d, most significant bit first.
    private let directions: [[UInt32]]
    private let shifts: [UInt32]

    init(dimensions: Int, scramble: Bool = false, seed: UInt64 = 0) {
        precondition(dimensions >= 0 && dimensions <= Self.maxDimensions,
                     "Sobol supports at most \(Self.maxDimensions) dimensions")
        self.dimensions = dimensions
        var dirs: [[UInt32]] = []
        for d in 0..<dimensions {
            var v = [UInt32](repeating: 0, count: Self.bits)
            if d == 0 {
                for k in 0..<Self.bits { v[k] = 1 << UInt32(31 - k) }
            } else {
                let (s, a, m) = sobolDirectionTable[d - 1]
                for k in 0..<min(s, Self.bits) { v[k] = m[k] << UInt32(31 - k) }
                if s < Self.bits {
                    for k in s..<Self.bits {
                        var x = v[k - s] ^ (v[k - s] >> UInt32(s))
                        for j in 1..<s where (a >> UInt32(s - 1 - j)) & 1 == 1 { x ^= v[k - j] }
                        v[k] = x
                    }
                }
            }
            dirs.append(v)
        }
        var shifts = [UInt32](repeating: 0, count: dimensions)
        if scramble {
            var rng = SeededGenerator(seed: seed, stream: 0x5_0B01)
            for d in 0..<dimensions {
                // Lower-triangular binary matrix with unit diagonal; rows in MSB-first order.
                var rows = [UInt32](repeating: 0, count: Self.bits)
                for i in 0..<Self.bits {
                    let below = i == 0 ? 0 : UInt32(truncatingIfNeeded: rng.next()) & ~(UInt32.max >> UInt32(i))
                    rows[i] = below | (1 << UInt32(31 - i))
                }
                dirs[d] = dirs[d].map { v in
                    var y: UInt32 = 0
                    for i in 0..<Self.bits where (rows[i] & v).nonzeroBitCount & 1 == 1 {
                        y |= 1 << UInt32(31 - i)
                    }
                    return y
                }
                shifts[d] = UInt32(truncatingIfNeeded: rng.next())
            }
        }
        self.directions = dirs
        self.shifts = shifts
    }

    /// Coordinate `dimension` of point `index`, in [0, 1).
    func coordinate(_ index: Int, dimension: Int) -> Double {
        var gray = UInt64(truncatingIfNeeded: index)
        gray ^= gray >> 1
        var x = shifts[dimension]
        let v = directions[dimension]
        var k = 0
        while gray != 0 && k < Self.bits {
            if gray & 1 == 1 { x ^= v[k] }
            gray >>= 1
            k += 1
        }
        return Double(x) * 0x1.0p-32
    }

    /// Point `index` (0-based), every coordinate in [0, 1).
    func point(_ index: Int) -> [Double] {
        (0..<dimensions).map { coordinate(index, dimension: $0) }
    }
}
