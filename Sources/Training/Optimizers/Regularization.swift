/// Keras-style kernel penalties and the max-norm constraint.
enum Regularization {
    /// Adds the gradients of `l1 * sum|w| + l2 * sum(w^2)` over every Dense and Conv2D kernel and returns
    /// the penalty itself (added to the reported loss, as Keras does).
    @discardableResult
    static func addPenaltyGradients(l1: Double, l2: Double, to store: ParameterStore, blocks: Range<Int>? = nil) -> Double {
        guard l1 > 0 || l2 > 0 else { return 0 }
        let l1f = Float(l1), twoL2 = Float(2 * l2)
        var absSum = 0.0, squareSum = 0.0
        for block in store.blocks[blocks ?? store.blocks.indices] {
            guard case .kernel = block.role else { continue }
            let w = store.values.pointer + block.offset, g = store.gradients.pointer + block.offset
            var a: Float = 0, s: Float = 0
            for i in 0..<block.count {
                let x = w[i]
                a += abs(x)
                s += x * x
                g[i] += twoL2 * x + (x > 0 ? l1f : (x < 0 ? -l1f : 0))
            }
            absSum += Double(a)
            squareSum += Double(s)
        }
        return l1 * absSum + l2 * squareSum
    }

    /// The penalty alone (for evaluation losses).
    static func penalty(l1: Double, l2: Double, of store: ParameterStore, blocks: Range<Int>? = nil) -> Double {
        guard l1 > 0 || l2 > 0 else { return 0 }
        var absSum = 0.0, squareSum = 0.0
        for block in store.blocks[blocks ?? store.blocks.indices] {
            guard case .kernel = block.role else { continue }
            let w = store.values.pointer + block.offset
            for i in 0..<block.count { absSum += Double(abs(w[i])) }
            squareSum += VectorOps.sumOfSquares(w, count: block.count)
        }
        return l1 * absSum + l2 * squareSum
    }

    /// Rescales each hidden unit's incoming weight vector (a kernel column) to norm `radius`
    /// when its norm exceeds it: `w <- r * w / |w|`.
    static func applyMaxNorm(_ radius: Double, to store: ParameterStore, scratch: FloatBuffer, blocks: Range<Int>? = nil) {
        let r = Float(radius)
        for block in store.blocks[blocks ?? store.blocks.indices] where block.constrained {
            guard case .kernel(let rows, let cols) = block.role else { continue }
            let w = store.values.pointer + block.offset
            let norms = scratch.pointer
            norms.update(repeating: 0, count: cols)
            for i in 0..<rows {
                let row = w + i * cols
                for j in 0..<cols { norms[j] += row[j] * row[j] }
            }
            var any = false
            for j in 0..<cols {
                let norm = norms[j].squareRoot()
                if norm > r { norms[j] = r / norm; any = true } else { norms[j] = 1 }
            }
            guard any else { continue }
            for i in 0..<rows {
                let row = w + i * cols
                for j in 0..<cols { row[j] *= norms[j] }
            }
        }
    }
}
