/// Gradient clipping on the flat gradient vector (after penalties, before the update).
enum GradientClipping {
    static func apply(_ clip: ClipConfig, to store: ParameterStore) {
        let g = store.gradients.pointer
        switch clip {
        case .value(let v):
            let hi = Float(v), lo = -Float(v)
            for i in 0..<store.count { g[i] = min(max(g[i], lo), hi) }
        case .norm(let t):
            for block in store.blocks {
                let p = g + block.offset
                let norm = VectorOps.sumOfSquares(p, count: block.count).squareRoot()
                if norm > t { VectorOps.scale(p, by: Float(t / norm), count: block.count) }
            }
        case .globalNorm(let t):
            let norm = VectorOps.sumOfSquares(g, count: store.count).squareRoot()
            if norm > t { VectorOps.scale(g, by: Float(t / norm), count: store.count) }
        }
    }
}
