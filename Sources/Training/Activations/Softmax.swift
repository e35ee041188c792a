#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Row-wise softmax with the maximum subtracted first (no overflow for large scores).
public enum Softmax {
    static func apply(_ z: UnsafePointer<Float>, count k: Int, into p: UnsafeMutablePointer<Float>) {
        var m = z[0]
        for j in 1..<max(k, 1) { m = max(m, z[j]) }
        var s: Float = 0
        for j in 0..<k { let e = expf(z[j] - m); p[j] = e; s += e }
        for j in 0..<k { p[j] /= s }
    }

    /// The softmax of one score vector.
    public static func probabilities(_ scores: [Float]) -> [Float] {
        var result = [Float](repeating: 0, count: scores.count)
        guard !scores.isEmpty else { return result }
        scores.withUnsafeBufferPointer { z in
            result.withUnsafeMutableBufferPointer { p in apply(z.baseAddress!, count: scores.count, into: p.baseAddress!) }
        }
        return result
    }
}
