/// Gradient clipping on the flat gradient vector (after penalties, before the update).
enum GradientClipping {
    /// Clips the gradients of the parameter blocks `blocks` (indices into `store.blocks`).
    /// `globalNorm` needs every block at once.
    static func apply(_ clip: ClipConfig, to store: ParameterStore, blocks: Range<Int>? = nil) {
        let blocks = blocks ?? store.blocks.indices
        guard !blocks.isEmpty else { return }
        let g = store.gradients.pointer
        switch clip {
        case .value(let v):
            let hi = Float(v), lo = -Float(v)
            for i in store.range(ofBlocks: blocks) { g[i] = min(max(g[i], lo), hi) }
        case .norm(let t):
            for block in store.blocks[blocks] {
                let p = g + block.offset
                let norm = VectorOps.sumOfSquares(p, count: block.count).squareRoot()
                if norm > t { VectorOps.scale(p, by: Float(t / norm), count: block.count) }
            }
        case .globalNorm(let t):
            // All blocks that are updated (every block, or those above frozen layers) at once.
            let range = store.range(ofBlocks: blocks)
            let norm = VectorOps.sumOfSquares(g + range.lowerBound, count: range.count).squareRoot()
            if norm > t { VectorOps.scale(g + range.lowerBound, by: Float(t / norm), count: range.count) }
        }
    }

    /// Whether the clipping can run layer by layer (everything but the global norm).
    static func isLocal(_ clip: ClipConfig?) -> Bool {
        if case .globalNorm = clip { return false }
        return true
    }
}
