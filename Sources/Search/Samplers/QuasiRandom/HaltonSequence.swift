import Randomness

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Halton sequence: dimension d is the radical inverse of the index in the d-th prime.
/// With `scramble`, every digit position of every dimension gets its own random
/// permutation of the digits (as SciPy's `Halton(scramble=True)`), which removes the
/// strong correlations between high dimensions of the plain sequence.
struct HaltonSequence: Sendable {
    let dimensions: Int
    private let bases: [Int]
    /// permutations[d][k][digit] for digit position k, or empty when not scrambled.
    private let permutations: [[[Int]]]

    init(dimensions: Int, scramble: Bool = false, seed: UInt64 = 0) {
        self.dimensions = dimensions
        bases = Self.primes(dimensions)
        guard scramble else { permutations = []; return }
        var rng = SeededGenerator(seed: seed, stream: 0x4A17_0)
        permutations = bases.map { b in
            let positions = Int((52.0 / log2(Double(b))).rounded(.up))
            return (0..<positions).map { _ in
                var p = Array(0..<b)
                for i in stride(from: b - 1, to: 0, by: -1) { p.swapAt(i, rng.nextInt(below: i + 1)) }
                return p
            }
        }
    }

    /// Coordinate `dimension` of point `index`, in [0, 1).
    func coordinate(_ index: Int, dimension: Int) -> Double {
        let b = bases[dimension]
        let inv = 1 / Double(b)
        var n = index
        var scale = inv
        var x = 0.0
        if permutations.isEmpty {
            while n > 0 {
                x += Double(n % b) * scale
                n /= b
                scale *= inv
            }
        } else {
            // Trailing zero digits are permuted too, up to double precision.
            for perm in permutations[dimension] {
                x += Double(perm[n % b]) * scale
                n /= b
                scale *= inv
            }
        }
        return min(x, 1.0.nextDown)
    }

    /// Point `index` (0-based), every coordinate in [0, 1).
    func point(_ index: Int) -> [Double] {
        (0..<dimensions).map { coordinate(index, dimension: $0) }
    }

    /// The first `count` primes.
    static func primes(_ count: Int) -> [Int] {
        var primes: [Int] = []
        var candidate = 2
        while primes.count < count {
            if primes.allSatisfy({ $0 * $0 > candidate || candidate % $0 != 0 }) { primes.append(candidate) }
            candidate += 1
        }
        return primes
    }
}
