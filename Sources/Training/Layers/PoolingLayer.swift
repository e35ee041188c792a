import Randomness

/// MaxPooling2D and AveragePooling2D on channels-last input.
///
/// Max: the largest value of each window (padding cells never win), its input index kept
/// for the backward pass, which routes each gradient to that cell. Average: the mean of
/// the window's cells inside the input (padding not counted, as in Keras/TensorFlow);
/// backward spreads each gradient evenly over them.
final class PoolingLayer: Layer {
    enum Operation: Sendable { case max, average }

    let geometry: WindowGeometry
    let operation: Operation
    var kind: String { operation == .max ? "MaxPooling2D" : "AveragePooling2D" }
    var inputWidth: Int { geometry.inputSize }
    var outputWidth: Int { geometry.positions * geometry.channels }
    var outputShape: [Int] { [geometry.outputHeight, geometry.outputWidth, geometry.channels] }

    private var output: FloatBuffer!
    private var inputGradient: FloatBuffer!
    /// Max: the input index (within the sample) of each output value.
    private var winners: UnsafeMutablePointer<Int32>?
    /// Average: 1 / (cells inside the input) per output position.
    private var inverseCounts: FloatBuffer!

    init(geometry: WindowGeometry, operation: Operation) {
        self.geometry = geometry
        self.operation = operation
    }

    deinit { winners?.deallocate() }

    func allocate(capacity rows: Int) {
        output = FloatBuffer(count: rows * outputWidth)
        inputGradient = FloatBuffer(count: rows * inputWidth)
        if operation == .max {
            winners = .allocate(capacity: max(1, rows * outputWidth))
            winners!.initialize(repeating: 0, count: max(1, rows * outputWidth))
        }
        let g = geometry
        inverseCounts = FloatBuffer(count: g.positions)
        for oy in 0..<g.outputHeight {
            for ox in 0..<g.outputWidth {
                let ys = rangeY(oy), xs = rangeX(ox)
                inverseCounts.pointer[oy * g.outputWidth + ox] = 1 / Float(max(1, ys.count * xs.count))
            }
        }
    }

    /// Input rows of output row `oy` (clipped to the input).
    @inline(__always)
    private func rangeY(_ oy: Int) -> Range<Int> {
        let y0 = oy * geometry.strideY - geometry.padTop
        return max(0, y0)..<min(geometry.inputHeight, y0 + geometry.kernelHeight)
    }

    @inline(__always)
    private func rangeX(_ ox: Int) -> Range<Int> {
        let x0 = ox * geometry.strideX - geometry.padLeft
        return max(0, x0)..<min(geometry.inputWidth, x0 + geometry.kernelWidth)
    }

    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let g = geometry, c = g.channels, out = output.pointer
        for b in 0..<rows {
            let x = input + b * inputWidth, o = out + b * outputWidth
            let w = winners.map { $0 + b * outputWidth }
            for oy in 0..<g.outputHeight {
                let ys = rangeY(oy)
                for ox in 0..<g.outputWidth {
                    let xs = rangeX(ox), slot = (oy * g.outputWidth + ox) * c
                    let dst = o + slot
                    switch operation {
                    case .max:
                        let win = w! + slot
                        var first = true
                        for iy in ys {
                            for ix in xs {
                                let cell = (iy * g.inputWidth + ix) * c
                                if first {
                                    Self.startMax(x + cell, dst, win, cell: cell, channels: c)
                                    first = false
                                } else {
                                    Self.updateMax(x + cell, dst, win, cell: cell, channels: c)
                                }
                            }
                        }
                    case .average:
                        for k in 0..<c { dst[k] = 0 }
                        for iy in ys {
                            for ix in xs { VectorOps.add(x + (iy * g.inputWidth + ix) * c, into: dst, count: c) }
                        }
                        VectorOps.scale(dst, by: inverseCounts.pointer[oy * g.outputWidth + ox], count: c)
                    }
                }
            }
        }
        return out
    }

    /// The first cell of a window: values and their indices.
    @inline(__always)
    private static func startMax(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ win: UnsafeMutablePointer<Int32>, cell: Int, channels c: Int) {
        var k = 0
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        while k + 8 <= c {
            VectorOps.store(VectorOps.load(src + k), dst + k)
            UnsafeMutableRawPointer(win + k).storeBytes(of: SIMD8<Int32>(repeating: Int32(cell + k)) &+ lanes, as: SIMD8<Int32>.self)
            k += 8
        }
        while k < c { dst[k] = src[k]; win[k] = Int32(cell + k); k += 1 }
    }

    /// Another cell of a window: keep the larger value (the first one on ties) and its index.
    @inline(__always)
    private static func updateMax(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ win: UnsafeMutablePointer<Int32>, cell: Int, channels c: Int) {
        var k = 0
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        while k + 8 <= c {
            let v = VectorOps.load(src + k), m = VectorOps.load(dst + k)
            let larger = v .> m
            VectorOps.store(m.replacing(with: v, where: larger), dst + k)
            let w = UnsafeRawPointer(win + k).loadUnaligned(as: SIMD8<Int32>.self)
            let indices = SIMD8<Int32>(repeating: Int32(cell + k)) &+ lanes
            UnsafeMutableRawPointer(win + k).storeBytes(of: w.replacing(with: indices, where: larger), as: SIMD8<Int32>.self)
            k += 8
        }
        while k < c {
            if src[k] > dst[k] { dst[k] = src[k]; win[k] = Int32(cell + k) }
            k += 1
        }
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let g = geometry, c = g.channels, dx = inputGradient.pointer
        dx.update(repeating: 0, count: rows * inputWidth)
        for b in 0..<rows {
            let d = dx + b * inputWidth, gy = gradOutput + b * outputWidth
            switch operation {
            case .max:
                let win = winners! + b * outputWidth
                for i in 0..<outputWidth { d[Int(win[i])] += gy[i] }
            case .average:
                for oy in 0..<g.outputHeight {
                    let ys = rangeY(oy)
                    for ox in 0..<g.outputWidth {
                        let xs = rangeX(ox), position = oy * g.outputWidth + ox
                        let share = inverseCounts.pointer[position], src = gy + position * c
                        for iy in ys {
                            for ix in xs {
                                let cell = d + (iy * g.inputWidth + ix) * c
                                for k in 0..<c { cell[k] += src[k] * share }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
