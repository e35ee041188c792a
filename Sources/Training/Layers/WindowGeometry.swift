/// Where a sliding window (convolution kernel or pooling window) sits on channels-last input.
///
/// Output sizes follow Keras: `valid` gives floor((n - k) / s) + 1 (nothing when k > n);
/// `same` gives ceil(n / s) with `max((out - 1) * s + k - n, 0)` zero cells of padding, half
/// (rounded down) before and the rest after.
struct WindowGeometry: Hashable, Sendable {
    let inputHeight: Int, inputWidth: Int, channels: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideY: Int, strideX: Int
    let padTop: Int, padLeft: Int
    let outputHeight: Int, outputWidth: Int

    /// nil when the window does not fit (`valid` with a kernel larger than the input).
    init?(input: [Int], kernel: WindowSize, strides: WindowSize, padding: Padding) {
        precondition(input.count == 3, "channels-last input (height, width, channels)")
        inputHeight = input[0]
        inputWidth = input[1]
        channels = input[2]
        kernelHeight = kernel.height
        kernelWidth = kernel.width
        strideY = strides.height
        strideX = strides.width
        func axis(_ n: Int, _ k: Int, _ s: Int) -> (out: Int, padBefore: Int) {
            switch padding {
            case .valid: return (n >= k ? (n - k) / s + 1 : 0, 0)
            case .same:
                let out = (n + s - 1) / s
                return (out, max((out - 1) * s + k - n, 0) / 2)
            }
        }
        let (oh, pt) = axis(inputHeight, kernelHeight, strideY)
        let (ow, pl) = axis(inputWidth, kernelWidth, strideX)
        guard oh > 0, ow > 0 else { return nil }
        outputHeight = oh
        outputWidth = ow
        padTop = pt
        padLeft = pl
    }

    /// Output positions per sample.
    var positions: Int { outputHeight * outputWidth }
    /// Input values per sample.
    var inputSize: Int { inputHeight * inputWidth * channels }
    /// Values of one window across all channels (a row of the im2col matrix).
    var patchSize: Int { kernelHeight * kernelWidth * channels }

    /// Copies every window of `samples` samples into rows of `col` (positions x patchSize per
    /// sample, in (ky, kx, channel) order, zeros for padding cells).
    func im2col(_ x: UnsafePointer<Float>, samples: Int, into col: UnsafeMutablePointer<Float>) {
        let c = channels, kw = kernelWidth, span = kw * c, patch = patchSize
        var dst = col
        for b in 0..<samples {
            let xb = x + b * inputSize
            for oy in 0..<outputHeight {
                let iy0 = oy * strideY - padTop
                for ox in 0..<outputWidth {
                    let ix0 = ox * strideX - padLeft
                    let inside = ix0 >= 0 && ix0 + kw <= inputWidth
                    for ky in 0..<kernelHeight {
                        let iy = iy0 + ky, d = dst + ky * span
                        if iy < 0 || iy >= inputHeight {
                            for i in 0..<span { d[i] = 0 }
                        } else if inside {
                            Self.copy(xb + (iy * inputWidth + ix0) * c, d, span)
                        } else {
                            for kx in 0..<kw {
                                let ix = ix0 + kx, dk = d + kx * c
                                if ix < 0 || ix >= inputWidth {
                                    for i in 0..<c { dk[i] = 0 }
                                } else {
                                    Self.copy(xb + (iy * inputWidth + ix) * c, dk, c)
                                }
                            }
                        }
                    }
                    dst += patch
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every row of `col` back into the cells it was copied
    /// from (`dx` is overwritten, padding cells are dropped).
    func col2im(_ col: UnsafePointer<Float>, samples: Int, into dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: samples * inputSize)
        let c = channels, kw = kernelWidth, span = kw * c, patch = patchSize
        var src = col
        for b in 0..<samples {
            let xb = dx + b * inputSize
            for oy in 0..<outputHeight {
                let iy0 = oy * strideY - padTop
                for ox in 0..<outputWidth {
                    let ix0 = ox * strideX - padLeft
                    let inside = ix0 >= 0 && ix0 + kw <= inputWidth
                    for ky in 0..<kernelHeight {
                        let iy = iy0 + ky, s = src + ky * span
                        if iy < 0 || iy >= inputHeight { continue }
                        if inside {
                            Self.add(s, xb + (iy * inputWidth + ix0) * c, span)
                        } else {
                            for kx in 0..<kw {
                                let ix = ix0 + kx
                                if ix >= 0 && ix < inputWidth { Self.add(s + kx * c, xb + (iy * inputWidth + ix) * c, c) }
                            }
                        }
                    }
                    src += patch
                }
            }
        }
    }

    @inline(__always)
    static func copy(_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, _ n: Int) {
        if n <= 16 {
            for i in 0..<n { to[i] = from[i] }
        } else {
            to.update(from: from, count: n)
        }
    }

    @inline(__always)
    static func add(_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, _ n: Int) {
        if n < 8 {
            for i in 0..<n { to[i] += from[i] }
        } else {
            VectorOps.add(from, into: to, count: n)
        }
    }
}
