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

    /// A 4x4 -> 4x4 transform from its 1-D piece: `f` along each row of `at(4i+j)`, then
    /// along each column; element (i, j) of the result is `.j.i`.
    @inline(__always) private static func square(_ f: ((V, V, V, V)) -> (V, V, V, V), _ at: (Int) -> V)
        -> ((V, V, V, V), (V, V, V, V), (V, V, V, V), (V, V, V, V)) {
        let r0 = f((at(0), at(1), at(2), at(3))), r1 = f((at(4), at(5), at(6), at(7)))
        let r2 = f((at(8), at(9), at(10), at(11))), r3 = f((at(12), at(13), at(14), at(15)))
        return (f((r0.0, r1.0, r2.0, r3.0)), f((r0.1, r1.1, r2.1, r3.1)), f((r0.2, r1.2, r2.2, r3.2)), f((r0.3, r1.3, r2.3, r3.3)))
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

    /// Stores a 4x4 transform as 16 planes `stride` apart: plane 4i+j gets `q.i.j`, or
    /// `q.j.i` when `transposed` (the last 1-D pass ran along i).
    @inline(__always) private static func storePlanes(
        _ q: ((V, V, V, V), (V, V, V, V), (V, V, V, V), (V, V, V, V)), transposed: Bool,
        _ p: UnsafeMutablePointer<Float>, stride: Int, _ w: Int
    ) {
        let r = transposed ? ((q.0.0, q.1.0, q.2.0, q.3.0), (q.0.1, q.1.1, q.2.1, q.3.1),
                              (q.0.2, q.1.2, q.2.2, q.3.2), (q.0.3, q.1.3, q.2.3, q.3.3)) : q
        store(r.0.0, p, w); store(r.0.1, p + stride, w); store(r.0.2, p + 2 * stride, w); store(r.0.3, p + 3 * stride, w)
        store(r.1.0, p + 4 * stride, w); store(r.1.1, p + 5 * stride, w); store(r.1.2, p + 6 * stride, w); store(r.1.3, p + 7 * stride, w)
        store(r.2.0, p + 8 * stride, w); store(r.2.1, p + 9 * stride, w); store(r.2.2, p + 10 * stride, w); store(r.2.3, p + 11 * stride, w)
        store(r.3.0, p + 12 * stride, w); store(r.3.1, p + 13 * stride, w); store(r.3.2, p + 14 * stride, w); store(r.3.3, p + 15 * stride, w)
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

    /// Calls `body(sample, tile, cells)` for every tile of `samples` samples: the offset of
    /// its sample's input, its index in the chunk and its 16 input-cell offsets (`tileCells`).
    @inline(__always) private func forEachInputTile(samples: Int, _ body: (_ sample: Int, _ tile: Int, _ cells: UnsafePointer<Int>) -> Void) {
        let perSample = tilesY * tilesX, inSize = geometry.inputSize
        cells.withUnsafeBufferPointer { all in
            for b in 0..<samples {
                for t in 0..<perSample { body(b * inSize, b * perSample + t, all.baseAddress! + 16 * t) }
            }
        }
    }

    /// V = Bᵀ d B for every tile of `samples` samples into `inputPlanes`.
    private func transformInput(_ x: UnsafePointer<Float>, samples: Int) {
        let c = geometry.channels, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * c, v = inputPlanes.pointer
        forEachInputTile(samples: samples) { sample, tile, cell in
            let xb = x + sample, dst = v + tile * c
            var c0 = 0
            while c0 < c {
                let w = min(8, c - c0)
                @inline(__always) func at(_ i: Int) -> V { cell[i] < 0 ? .zero : Self.load(xb + cell[i] + c0, w) }
                let (q0, q1, q2, q3) = Self.square(Self.inputT, at)
                // V[i][j] = q_j.i
                Self.storePlanes((q0, q1, q2, q3), transposed: true, dst + c0, stride: plane, w)
                c0 += 8
            }
        }
    }

    /// dx = Σ B dV Bᵀ over the tiles (overwrites `dx` for `samples` samples).
    private func transformInputGradient(samples: Int, into dx: UnsafeMutablePointer<Float>) {
        let c = geometry.channels, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * c, v = inputPlanes.pointer, inSize = geometry.inputSize
        dx.update(repeating: 0, count: samples * inSize)
        forEachInputTile(samples: samples) { sample, tile, cell in
            let xb = dx + sample, src = v + tile * c
            var c0 = 0
            while c0 < c {
                let w = min(8, c - c0), p = src + c0
                @inline(__always) func at(_ xi: Int) -> V { Self.load(p + xi * plane, w) }
                let (q0, q1, q2, q3) = Self.square(Self.inputAdjoint, at)
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

    /// Calls `body(tile, position, twoRows, twoCols)` for every tile of `samples` samples:
    /// its index in the chunk, the offset of its top-left output value, and whether its
    /// second row and column exist (odd output sizes cut the last tiles).
    @inline(__always) private func forEachOutputTile(samples: Int, _ body: (_ tile: Int, _ position: Int, _ twoRows: Bool, _ twoCols: Bool) -> Void) {
        let g = geometry, k = filters, outSize = g.positions * k
        var tile = 0
        for b in 0..<samples {
            for ty in 0..<tilesY {
                let oy = 2 * ty, twoRows = oy + 1 < g.outputHeight
                for tx in 0..<tilesX {
                    let ox = 2 * tx
                    body(tile, b * outSize + (oy * g.outputWidth + ox) * k, twoRows, ox + 1 < g.outputWidth)
                    tile += 1
                }
            }
        }
    }

    /// Y = Aᵀ M A for every tile, written to the output positions that exist.
    private func transformOutput(samples: Int, into z: UnsafeMutablePointer<Float>) {
        let k = filters, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * k, m = productPlanes.pointer, g = geometry
        forEachOutputTile(samples: samples) { tile, position, twoRows, twoCols in
            let src = m + tile * k, o00 = z + position
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

    /// dM = A dY Aᵀ for every tile into `productPlanes` (positions past the output read as 0).
    private func transformOutputGradient(_ dy: UnsafePointer<Float>, samples: Int) {
        let k = filters, perSample = tilesY * tilesX, tiles = samples * perSample
        let plane = tiles * k, m = productPlanes.pointer, g = geometry
        forEachOutputTile(samples: samples) { tile, position, twoRows, twoCols in
            let dst = m + tile * k, o00 = dy + position
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
                // dM[i][j] = q_i.j
                Self.storePlanes((q0, q1, q2, q3), transposed: false, dst + k0, stride: plane, w)
                k0 += 8
            }
        }
    }

    /// Calls `body(offset, lanes)` for each block of up to 8 filters of each input channel
    /// (offset into a C x K plane).
    @inline(__always) private func forEachKernelBlock(_ body: (_ offset: Int, _ lanes: Int) -> Void) {
        for ci in 0..<geometry.channels {
            for k0 in stride(from: 0, to: filters, by: 8) { body(ci * filters + k0, min(8, filters - k0)) }
        }
    }

    /// U = G g Gᵀ for every (input channel, filter) pair.
    private func transformKernel(_ kernel: UnsafePointer<Float>) {
        let ck = geometry.channels * filters, u = kernelPlanes.pointer
        forEachKernelBlock { base, w in
            @inline(__always) func at(_ ky: Int, _ kx: Int) -> V { Self.load(kernel + (ky * 3 + kx) * ck + base, w) }
            let r0 = Self.kernelT((at(0, 0), at(0, 1), at(0, 2)))
            let r1 = Self.kernelT((at(1, 0), at(1, 1), at(1, 2)))
            let r2 = Self.kernelT((at(2, 0), at(2, 1), at(2, 2)))
            let q0 = Self.kernelT((r0.0, r1.0, r2.0)), q1 = Self.kernelT((r0.1, r1.1, r2.1))
            let q2 = Self.kernelT((r0.2, r1.2, r2.2)), q3 = Self.kernelT((r0.3, r1.3, r2.3))
            // U[i][j] = q_j.i
            Self.storePlanes((q0, q1, q2, q3), transposed: true, u + base, stride: ck, w)
        }
    }

    /// dg = Gᵀ dU G into the (3, 3, C, K) kernel gradient.
    private func transformKernelGradient(into dg: UnsafeMutablePointer<Float>) {
        let ck = geometry.channels * filters, du = kernelPlaneGradients.pointer
        forEachKernelBlock { base, w in
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
        }
    }
}
