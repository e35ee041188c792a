/// Winograd F(2x2, 3x3) for stride-1 3x3 convolutions on channels-last input.
///
/// Each 2x2 block of output positions (a tile) is computed from the 4x4 input cells under it:
/// `Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A`, 16 multiplies per tile and channel pair instead of 36.
/// Across channels the elementwise product becomes 16 independent sgemms, one per position ξ
/// of the 4x4 transform: `M[ξ] (tiles x K) = V[ξ] (tiles x C) · U[ξ] (C x K)`.
///
/// The backward pass is the exact adjoint of that forward pass (so the gradient is the
/// gradient of what was computed): `dM = A dY Aᵀ`, `dU[ξ] = V[ξ]ᵀ dM[ξ]`, `dg = Gᵀ dU G`,
/// `dV[ξ] = dM[ξ] U[ξ]ᵀ` and `dx += B dV Bᵀ` scattered back onto the overlapping input cells.
/// The transforms run on 8 channels at a time (channels are contiguous).
final class Winograd3x3 {
    typealias V = SIMD8<Float>

    let geometry: WindowGeometry
    let filters: Int
    let gemm: Gemm
    /// Samples per chunk of the transform buffers (a batch larger than one chunk recomputes
    /// the input transforms in the backward pass).
    let chunkSamples: Int
    let tilesY: Int, tilesX: Int

    /// Input transforms V: 16 planes of (chunk tiles x C); reused for dV in the backward pass.
    private var inputPlanes: FloatBuffer
    /// Products M (16 planes of chunk tiles x K); reused for dM in the backward pass.
    private var productPlanes: FloatBuffer
    /// Kernel transforms U (16 planes of C x K) and their gradient dU.
    private var kernelPlanes: FloatBuffer
    private var kernelPlaneGradients: FloatBuffer
    /// Whether `inputPlanes` holds the transforms of the whole last forward batch.
    private var inputPlanesCurrent = false
    /// `tileCells` of this geometry.
    private let cells: [Int]

    /// Whether Winograd serves this convolution: 3x3 kernel, stride 1, and enough input
    /// channels for the transforms to amortize (one channel gives sgemms with k = 1).
    static func covers(_ g: WindowGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1 && g.channels >= 8
    }

    init(geometry: WindowGeometry, filters: Int, gemm: Gemm, capacity: Int, chunk: Int? = nil) {
        precondition(geometry.kernelHeight == 3 && geometry.kernelWidth == 3 && geometry.strideY == 1 && geometry.strideX == 1)
        self.geometry = geometry
        self.filters = filters
        self.gemm = gemm
        tilesY = (geometry.outputHeight + 1) / 2
        tilesX = (geometry.outputWidth + 1) / 2
        cells = Self.tileCells(geometry, tilesY: tilesY, tilesX: tilesX)
        // Small chunks keep V and M (2.5 MB) cache-resident between the transforms and the
        // sgemms: on the CNN's 14x14x32 -> 64 layer, 8 samples per chunk trained ~15% faster
        // than the whole batch of 64 (the planes then span 19 MB).
        let perSample = 16 * tilesY * tilesX * (geometry.channels + filters)
        chunkSamples = max(1, min(capacity, chunk ?? (640 << 10) / max(1, perSample)))
        let tiles = chunkSamples * tilesY * tilesX
        inputPlanes = FloatBuffer(count: 16 * tiles * geometry.channels)
        productPlanes = FloatBuffer(count: 16 * tiles * filters)
        kernelPlanes = FloatBuffer(count: 16 * geometry.channels * filters)
        kernelPlaneGradients = FloatBuffer(count: 16 * geometry.channels * filters)
    }

    /// `z = conv(x, kernel)` for `rows` samples (no bias); `kernel` is (3, 3, C, K) row-major.
    func forward(_ x: UnsafePointer<Float>, rows: Int, kernel: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>) {
        transformKernel(kernel)
        let c = geometry.channels, k = filters, inSize = geometry.inputSize, outSize = geometry.positions * k
        var start = 0
        while start < rows {
            let n = min(chunkSamples, rows - start), tiles = n * tilesY * tilesX
            transformInput(x + start * inSize, samples: n)
            for xi in 0..<16 {
                gemm.multiply(false, false, m: tiles, n: k, k: c, inputPlanes.pointer + xi * tiles * c, lda: c,
                              kernelPlanes.pointer + xi * c * k, ldb: k, productPlanes.pointer + xi * tiles * k, ldc: k)
            }
            transformOutput(samples: n, into: z + start * outSize)
            start += n
        }
        inputPlanesCurrent = rows <= chunkSamples
    }

    /// Overwrites `kernelGradient` with dL/dkernel and, when `inputGradient` is given, writes
    /// dL/dx there; `gradOutput` is dL/dz of the last `forward` (same `x` and `kernel`).
    func backward(
        _ gradOutput: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int,
        kernelGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        let c = geometry.channels, k = filters, inSize = geometry.inputSize, outSize = geometry.positions * k
        let v = inputPlanes.pointer, m = productPlanes.pointer, u = kernelPlanes.pointer, du = kernelPlaneGradients.pointer
        var start = 0
        while start < rows {
            let n = min(chunkSamples, rows - start), tiles = n * tilesY * tilesX
            if !(inputPlanesCurrent && start == 0 && n == rows) { transformInput(x + start * inSize, samples: n) }
            transformOutputGradient(gradOutput + start * outSize, samples: n)
            for xi in 0..<16 {
                let vx = v + xi * tiles * c, mx = m + xi * tiles * k
                // dU[ξ] (+)= V[ξ]ᵀ · dM[ξ]
                gemm.multiply(true, false, m: c, n: k, k: tiles, vx, lda: c, mx, ldb: k, du + xi * c * k, ldc: k,
                              beta: start == 0 ? 0 : 1)
                // dV[ξ] = dM[ξ] · U[ξ]ᵀ, over V[ξ] (no longer needed)
                if inputGradient != nil {
                    gemm.multiply(false, true, m: tiles, n: c, k: k, mx, lda: k, u + xi * c * k, ldb: k, vx, ldc: c)
                }
            }
            if let inputGradient { transformInputGradient(samples: n, into: inputGradient + start * inSize) }
            start += n
        }
        inputPlanesCurrent = false
        transformKernelGradient(into: kernelGradient)
    }

    // MARK: - Transforms (1-D pieces applied along rows, then columns)

    @inline(__always) private static func inputT(_ d: (V, V, V, V)) -> (V, V, V, V) {
        (d.0 - d.2, d.1 + d.2, d.2 - d.1, d.1 - d.3)
    }

    @inline(__always) private static func inputAdjoint(_ w: (V, V, V, V)) -> (V, V, V, V) {
        (w.0, w.1 - w.2 + w.3, w.1 + w.2 - w.0, -w.3)
    }

    @inline(__always) private static func outputT(_ m: (V, V, V, V)) -> (V, V) {
        (m.0 + m.1 + m.2, m.1 - m.2 - m.3)
    }

    @inline(__always) private static func outputAdjoint(_ y0: V, _ y1: V) -> (V, V, V, V) {
        (y0, y0 + y1, y0 - y1, -y1)
    }

    @inline(__always) private static func kernelT(_ g: (V, V, V)) -> (V, V, V, V) {
        let h = V(repeating: 0.5)
        return (g.0, (g.0 + g.1 + g.2) * h, (g.0 - g.1 + g.2) * h, g.2)
    }

    @inline(__always) private static func kernelAdjoint(_ u: (V, V, V, V)) -> (V, V, V) {
        let h = V(repeating: 0.5)
        return (u.0 + (u.1 + u.2) * h, (u.1 - u.2) * h, (u.1 + u.2) * h + u.3)
    }

    /// Loads `count` (<= 8) floats, zeros in the other lanes.
    @inline(__always) private static func load(_ p: UnsafePointer<Float>, _ count: Int) -> V {
        if count == 8 { return VectorOps.load(p) }
        var v = V.zero
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    @inline(__always) private static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count == 8 { VectorOps.store(v, p); return }
        for i in 0..<count { p[i] = v[i] }
    }

    /// Offsets (channels-last, -1 outside the input) of the 4x4 input cells under every tile
    /// of a sample, 16 per tile in row-major tile order.
    private static func tileCells(_ g: WindowGeometry, tilesY: Int, tilesX: Int) -> [Int] {
        var all: [Int] = []
        all.reserveCapacity(16 * tilesY * tilesX)
        for ty in 0..<tilesY {
            for tx in 0..<tilesX {
                let y0 = 2 * ty - g.padTop, x0 = 2 * tx - g.padLeft
                for i in 0..<4 {
                    for j in 0..<4 {
                        let iy = y0 + i, ix = x0 + j
                        let inside = iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth
                        all.append(inside ? (iy * g.inputWidth + ix) * g.channels : -1)
                    }
                }
            }
        }
        return all
    }

    /// V = Bᵀ d B for every tile of `samples` samples into `inputPlanes`.
    private func transformInput(_ x: UnsafePointer<Float>, samples: Int) {
        let c = geometry.channels, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * c, v = inputPlanes.pointer, inSize = geometry.inputSize
        self.cells.withUnsafeBufferPointer { cells in
            for b in 0..<samples {
                let xb = x + b * inSize
                for t in 0..<perSample {
                    let cell = cells.baseAddress! + 16 * t, dst = v + (b * perSample + t) * c
                    var c0 = 0
                    while c0 < c {
                        let w = min(8, c - c0)
                        @inline(__always) func at(_ i: Int) -> V { cell[i] < 0 ? .zero : Self.load(xb + cell[i] + c0, w) }
                        // Columns of each row, then rows.
                        let r0 = Self.inputT((at(0), at(1), at(2), at(3)))
                        let r1 = Self.inputT((at(4), at(5), at(6), at(7)))
                        let r2 = Self.inputT((at(8), at(9), at(10), at(11)))
                        let r3 = Self.inputT((at(12), at(13), at(14), at(15)))
                        let q0 = Self.inputT((r0.0, r1.0, r2.0, r3.0)), q1 = Self.inputT((r0.1, r1.1, r2.1, r3.1))
                        let q2 = Self.inputT((r0.2, r1.2, r2.2, r3.2)), q3 = Self.inputT((r0.3, r1.3, r2.3, r3.3))
                        let out = dst + c0
                        // V[i][j] = q_j.i
                        Self.store(q0.0, out, w); Self.store(q1.0, out + plane, w)
                        Self.store(q2.0, out + 2 * plane, w); Self.store(q3.0, out + 3 * plane, w)
                        Self.store(q0.1, out + 4 * plane, w); Self.store(q1.1, out + 5 * plane, w)
                        Self.store(q2.1, out + 6 * plane, w); Self.store(q3.1, out + 7 * plane, w)
                        Self.store(q0.2, out + 8 * plane, w); Self.store(q1.2, out + 9 * plane, w)
                        Self.store(q2.2, out + 10 * plane, w); Self.store(q3.2, out + 11 * plane, w)
                        Self.store(q0.3, out + 12 * plane, w); Self.store(q1.3, out + 13 * plane, w)
                        Self.store(q2.3, out + 14 * plane, w); Self.store(q3.3, out + 15 * plane, w)
                        c0 += 8
                    }
                }
            }
        }
    }

    /// dx = Σ B dV Bᵀ over the tiles (overwrites `dx` for `samples` samples).
    private func transformInputGradient(samples: Int, into dx: UnsafeMutablePointer<Float>) {
        let c = geometry.channels, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * c, v = inputPlanes.pointer, inSize = geometry.inputSize
        dx.update(repeating: 0, count: samples * inSize)
        self.cells.withUnsafeBufferPointer { cells in
            for b in 0..<samples {
                let xb = dx + b * inSize
                for t in 0..<perSample {
                    let cell = cells.baseAddress! + 16 * t, src = v + (b * perSample + t) * c
                    var c0 = 0
                    while c0 < c {
                        let w = min(8, c - c0), p = src + c0
                        @inline(__always) func at(_ xi: Int) -> V { Self.load(p + xi * plane, w) }
                        let r0 = Self.inputAdjoint((at(0), at(1), at(2), at(3)))
                        let r1 = Self.inputAdjoint((at(4), at(5), at(6), at(7)))
                        let r2 = Self.inputAdjoint((at(8), at(9), at(10), at(11)))
                        let r3 = Self.inputAdjoint((at(12), at(13), at(14), at(15)))
                        let q0 = Self.inputAdjoint((r0.0, r1.0, r2.0, r3.0)), q1 = Self.inputAdjoint((r0.1, r1.1, r2.1, r3.1))
                        let q2 = Self.inputAdjoint((r0.2, r1.2, r2.2, r3.2)), q3 = Self.inputAdjoint((r0.3, r1.3, r2.3, r3.3))
                        @inline(__always) func add(_ value: V, _ i: Int) {
                            let o = cell[i]
                            if o >= 0 { Self.store(Self.load(xb + o + c0, w) + value, xb + o + c0, w) }
                        }
                        // cell (i, j) gets q_j.i
                        add(q0.0, 0); add(q1.0, 1); add(q2.0, 2); add(q3.0, 3)
                        add(q0.1, 4); add(q1.1, 5); add(q2.1, 6); add(q3.1, 7)
                        add(q0.2, 8); add(q1.2, 9); add(q2.2, 10); add(q3.2, 11)
                        add(q0.3, 12); add(q1.3, 13); add(q2.3, 14); add(q3.3, 15)
                        c0 += 8
                    }
                }
            }
        }
    }

    /// Y = Aᵀ M A for every tile, written to the output positions that exist.
    private func transformOutput(samples: Int, into z: UnsafeMutablePointer<Float>) {
        let k = filters, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * k, m = productPlanes.pointer, g = geometry, outSize = g.positions * k
        for b in 0..<samples {
            let zb = z + b * outSize
            for ty in 0..<tilesY {
                let oy = 2 * ty, twoRows = oy + 1 < g.outputHeight
                for tx in 0..<tilesX {
                    let ox = 2 * tx, twoCols = ox + 1 < g.outputWidth
                    let src = m + (b * perSample + ty * tilesX + tx) * k
                    let o00 = zb + (oy * g.outputWidth + ox) * k
                    var k0 = 0
                    while k0 < k {
                        let w = min(8, k - k0), p = src + k0
                        @inline(__always) func at(_ xi: Int) -> V { Self.load(p + xi * plane, w) }
                        let r0 = Self.outputT((at(0), at(1), at(2), at(3))), r1 = Self.outputT((at(4), at(5), at(6), at(7)))
                        let r2 = Self.outputT((at(8), at(9), at(10), at(11))), r3 = Self.outputT((at(12), at(13), at(14), at(15)))
                        let c0 = Self.outputT((r0.0, r1.0, r2.0, r3.0)), c1 = Self.outputT((r0.1, r1.1, r2.1, r3.1))
                        Self.store(c0.0, o00 + k0, w)
                        if twoCols { Self.store(c1.0, o00 + k + k0, w) }
                        if twoRows {
                            let below = o00 + g.outputWidth * k + k0
                            Self.store(c0.1, below, w)
                            if twoCols { Self.store(c1.1, below + k, w) }
                        }
                        k0 += 8
                    }
                }
            }
        }
    }

    /// dM = A dY Aᵀ for every tile into `productPlanes` (positions past the output read as 0).
    private func transformOutputGradient(_ dy: UnsafePointer<Float>, samples: Int) {
        let k = filters, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * k, m = productPlanes.pointer, g = geometry, outSize = g.positions * k
        for b in 0..<samples {
            let yb = dy + b * outSize
            for ty in 0..<tilesY {
                let oy = 2 * ty, twoRows = oy + 1 < g.outputHeight
                for tx in 0..<tilesX {
                    let ox = 2 * tx, twoCols = ox + 1 < g.outputWidth
                    let dst = m + (b * perSample + ty * tilesX + tx) * k
                    let o00 = yb + (oy * g.outputWidth + ox) * k
                    var k0 = 0
                    while k0 < k {
                        let w = min(8, k - k0)
                        let y00 = Self.load(o00 + k0, w), y01 = twoCols ? Self.load(o00 + k + k0, w) : .zero
                        let below = o00 + g.outputWidth * k + k0
                        let y10 = twoRows ? Self.load(below, w) : .zero
                        let y11 = twoRows && twoCols ? Self.load(below + k, w) : .zero
                        // Rows (index i) from the two output rows, then columns (index j).
                        let a0 = Self.outputAdjoint(y00, y10), a1 = Self.outputAdjoint(y01, y11)
                        let q0 = Self.outputAdjoint(a0.0, a1.0), q1 = Self.outputAdjoint(a0.1, a1.1)
                        let q2 = Self.outputAdjoint(a0.2, a1.2), q3 = Self.outputAdjoint(a0.3, a1.3)
                        let p = dst + k0
                        // dM[i][j] = q_i.j
                        Self.store(q0.0, p, w); Self.store(q0.1, p + plane, w)
                        Self.store(q0.2, p + 2 * plane, w); Self.store(q0.3, p + 3 * plane, w)
                        Self.store(q1.0, p + 4 * plane, w); Self.store(q1.1, p + 5 * plane, w)
                        Self.store(q1.2, p + 6 * plane, w); Self.store(q1.3, p + 7 * plane, w)
                        Self.store(q2.0, p + 8 * plane, w); Self.store(q2.1, p + 9 * plane, w)
                        Self.store(q2.2, p + 10 * plane, w); Self.store(q2.3, p + 11 * plane, w)
                        Self.store(q3.0, p + 12 * plane, w); Self.store(q3.1, p + 13 * plane, w)
                        Self.store(q3.2, p + 14 * plane, w); Self.store(q3.3, p + 15 * plane, w)
                        k0 += 8
                    }
                }
            }
        }
    }

    /// U = G g Gᵀ for every (input channel, filter) pair.
    private func transformKernel(_ kernel: UnsafePointer<Float>) {
        let c = geometry.channels, k = filters, ck = c * k, u = kernelPlanes.pointer
        for ci in 0..<c {
            var k0 = 0
            while k0 < k {
                let w = min(8, k - k0), base = ci * k + k0
                @inline(__always) func at(_ ky: Int, _ kx: Int) -> V { Self.load(kernel + (ky * 3 + kx) * ck + base, w) }
                let r0 = Self.kernelT((at(0, 0), at(0, 1), at(0, 2)))
                let r1 = Self.kernelT((at(1, 0), at(1, 1), at(1, 2)))
                let r2 = Self.kernelT((at(2, 0), at(2, 1), at(2, 2)))
                let q0 = Self.kernelT((r0.0, r1.0, r2.0)), q1 = Self.kernelT((r0.1, r1.1, r2.1))
                let q2 = Self.kernelT((r0.2, r1.2, r2.2)), q3 = Self.kernelT((r0.3, r1.3, r2.3))
                let p = u + base
                // U[i][j] = q_j.i
                Self.store(q0.0, p, w); Self.store(q1.0, p + ck, w); Self.store(q2.0, p + 2 * ck, w); Self.store(q3.0, p + 3 * ck, w)
                Self.store(q0.1, p + 4 * ck, w); Self.store(q1.1, p + 5 * ck, w); Self.store(q2.1, p + 6 * ck, w); Self.store(q3.1, p + 7 * ck, w)
                Self.store(q0.2, p + 8 * ck, w); Self.store(q1.2, p + 9 * ck, w); Self.store(q2.2, p + 10 * ck, w); Self.store(q3.2, p + 11 * ck, w)
                Self.store(q0.3, p + 12 * ck, w); Self.store(q1.3, p + 13 * ck, w); Self.store(q2.3, p + 14 * ck, w); Self.store(q3.3, p + 15 * ck, w)
                k0 += 8
            }
        }
    }

    /// dg = Gᵀ dU G into the (3, 3, C, K) kernel gradient.
    private func transformKernelGradient(into dg: UnsafeMutablePointer<Float>) {
        let c = geometry.channels, k = filters, ck = c * k, du = kernelPlaneGradients.pointer
        for ci in 0..<c {
            var k0 = 0
            while k0 < k {
                let w = min(8, k - k0), base = ci * k + k0
                @inline(__always) func at(_ xi: Int) -> V { Self.load(du + xi * ck + base, w) }
                let r0 = Self.kernelAdjoint((at(0), at(1), at(2), at(3)))
                let r1 = Self.kernelAdjoint((at(4), at(5), at(6), at(7)))
                let r2 = Self.kernelAdjoint((at(8), at(9), at(10), at(11)))
                let r3 = Self.kernelAdjoint((at(12), at(13), at(14), at(15)))
                let q0 = Self.kernelAdjoint((r0.0, r1.0, r2.0, r3.0)), q1 = Self.kernelAdjoint((r0.1, r1.1, r2.1, r3.1))
                let q2 = Self.kernelAdjoint((r0.2, r1.2, r2.2, r3.2))
                @inline(__always) func put(_ v: V, _ ky: Int, _ kx: Int) { Self.store(v, dg + (ky * 3 + kx) * ck + base, w) }
                // dg[a][b] = q_b.a
                put(q0.0, 0, 0); put(q1.0, 0, 1); put(q2.0, 0, 2)
                put(q0.1, 1, 0); put(q1.1, 1, 1); put(q2.1, 1, 2)
                put(q0.2, 2, 0); put(q1.2, 2, 1); put(q2.2, 2, 2)
                k0 += 8
            }
        }
    }
}
