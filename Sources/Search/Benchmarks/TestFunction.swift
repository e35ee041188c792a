#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard optimization test functions, used to compare samplers (tests and
/// `sweep-bench search`). All are minimized; `regret` is the distance to the known minimum.
public struct TestFunction: Sendable {
    /// Short name (`branin`, `hartmann6`, `rosenbrock10`).
    public let name: String
    /// Parameters `x0`, `x1`, ... with their bounds.
    public let space: SearchSpace
    /// The known global minimum.
    public let minimum: Double
    private let f: @Sendable ([Double]) -> Double

    /// The objective at `params` (which must hold every `x<i>`).
    public func value(_ params: Params) -> Double {
        f(space.parameters.map { params[$0.name]?.number ?? .nan })
    }

    /// The objective at a point given as coordinates.
    public func value(at x: [Double]) -> Double { f(x) }

    /// Best value found minus the known minimum.
    public func regret(bestValue: Double) -> Double { bestValue - minimum }

    static func box(_ bounds: [(Double, Double)]) -> SearchSpace {
        // Force-try is safe: distinct names, no conditions.
        try! SearchSpace(bounds.enumerated().map { i, b in
            Parameter(name: "x\(i)", distribution: .uniform(low: b.0, high: b.1, step: nil))
        })
    }

    /// Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887 at three points.
    public static let branin = TestFunction(
        name: "branin", space: box([(-5, 10), (0, 15)]), minimum: 0.39788735772973816
    ) { x in
        let a = 1.0, b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi
        let r = 6.0, s = 10.0, t = 1 / (8 * Double.pi)
        let u = x[1] - b * x[0] * x[0] + c * x[0] - r
        return a * u * u + s * (1 - t) * cos(x[0]) + s
    }

    /// Hartmann 6-D on [0, 1]^6; minimum -3.32237.
    public static let hartmann6 = TestFunction(
        name: "hartmann6", space: box(Array(repeating: (0, 1), count: 6)), minimum: -3.3223680114155147
    ) { x in
        let alpha = [1.0, 1.2, 3.0, 3.2]
        let A: [[Double]] = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                             [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
        let P: [[Double]] = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                             [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
        var total = 0.0
        for i in 0..<4 {
            var inner = 0.0
            for j in 0..<6 {
                let d = x[j] - P[i][j] * 1e-4
                inner += A[i][j] * d * d
            }
            total += alpha[i] * exp(-inner)
        }
        return -total
    }

    /// Rosenbrock 10-D on [-5, 10]^10; minimum 0 at (1, ..., 1). `value(at:)` takes any
    /// number of coordinates.
    public static let rosenbrock10 = TestFunction(
        name: "rosenbrock10", space: box(Array(repeating: (-5, 10), count: 10)), minimum: 0
    ) { x in
        var total = 0.0
        for i in 0..<(x.count - 1) {
            let a = x[i + 1] - x[i] * x[i], b = 1 - x[i]
            total += 100 * a * a + b * b
        }
        return total
    }

    /// The three functions of the sampler comparison.
    public static let all: [TestFunction] = [.branin, .hartmann6, .rosenbrock10]

    /// A function `f` of the coordinates `x0, x1, ...` of `space`, with its known minimum.
    public init(name: String, space: SearchSpace, minimum: Double, _ f: @escaping @Sendable ([Double]) -> Double) {
        self.name = name
        self.space = space
        self.minimum = minimum
        self.f = f
    }
}
