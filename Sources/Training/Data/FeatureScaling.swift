/// Feature scaling with statistics taken from the training split only.
enum FeatureScaling {
    /// Fits `mode` on the training features, applies it to the three splits and returns the
    /// scaling a model file stores. `bytes`: the values are pixels 0-255 (`unit` divides by 255;
    /// otherwise `unit` is min-max per feature).
    static func scale(
        _ mode: Scaling, bytes: Bool, width: Int, train: inout [Float], validation: inout [Float], test: inout [Float]
    ) -> InputScaling {
        let affine: Affine
        switch mode {
        case .none: return .identity
        case .unit where bytes: affine = Affine(scale: .init(repeating: 1 / 255, count: width), shift: .init(repeating: 0, count: width))
        case .unit: affine = unitRange(of: train, width: width)
        case .standardize: affine = standardization(of: train, width: width)
        }
        affine.apply(&train, width: width)
        affine.apply(&validation, width: width)
        affine.apply(&test, width: width)
        return InputScaling(mode: mode, scale: affine.scale, shift: affine.shift)
    }

    /// Per-feature affine map `x * scale + shift`.
    struct Affine {
        var scale: [Float]
        var shift: [Float]

        func apply(_ features: inout [Float], width: Int) {
            features.withUnsafeMutableBufferPointer { x in
                scale.withUnsafeBufferPointer { s in
                    shift.withUnsafeBufferPointer { b in
                        let rows = x.count / max(width, 1)
                        for r in 0..<rows {
                            for j in 0..<width { x[r * width + j] = x[r * width + j] * s[j] + b[j] }
                        }
                    }
                }
            }
        }
    }

    /// `(x - mean) / std` per feature; a feature constant in the training split maps to 0 in
    /// every split (scale 0): the model never saw it vary, so a value that differs elsewhere
    /// must not reach it unscaled (scikit-learn keeps such values, off by whatever they differ).
    static func standardization(of features: [Float], width: Int) -> Affine {
        let rows = features.count / max(width, 1)
        // Constant means every value equal, whatever their size: a fixed cutoff on the
        // standard deviation (1e-8) zeroed features measured in small units (1e-9 m), and
        // E[x²] - E[x]² gave a constant 1000 a spread of 1e-5 from rounding. Two passes.
        var sum = [Double](repeating: 0, count: width), squares = [Double](repeating: 0, count: width)
        var lo = [Float](repeating: .infinity, count: width), hi = [Float](repeating: -.infinity, count: width)
        features.withUnsafeBufferPointer { x in
            for r in 0..<rows {
                for j in 0..<width {
                    let v = x[r * width + j]
                    sum[j] += Double(v)
                    lo[j] = min(lo[j], v)
                    hi[j] = max(hi[j], v)
                }
            }
        }
        let mean = sum.map { $0 / Double(max(rows, 1)) }
        features.withUnsafeBufferPointer { x in
            for r in 0..<rows {
                for j in 0..<width {
                    let d = Double(x[r * width + j]) - mean[j]
                    squares[j] += d * d
                }
            }
        }
        var scale = [Float](repeating: 1, count: width), shift = [Float](repeating: 0, count: width)
        for j in 0..<width {
            let std = (squares[j] / Double(max(rows, 1))).squareRoot()
            let s = lo[j] < hi[j] && std > 0 && Float(1 / std).isFinite ? 1 / std : 0
            scale[j] = Float(s)
            shift[j] = Float(-mean[j] * s)
        }
        return Affine(scale: scale, shift: shift)
    }

    /// Min-max per feature to [0, 1]; a feature constant in the training split maps to 0 in
    /// every split.
    static func unitRange(of features: [Float], width: Int) -> Affine {
        let rows = features.count / max(width, 1)
        var lo = [Float](repeating: .infinity, count: width), hi = [Float](repeating: -.infinity, count: width)
        for r in 0..<rows {
            for j in 0..<width {
                lo[j] = min(lo[j], features[r * width + j])
                hi[j] = max(hi[j], features[r * width + j])
            }
        }
        var scale = [Float](repeating: 1, count: width), shift = [Float](repeating: 0, count: width)
        for j in 0..<width where rows > 0 {
            let range = hi[j] - lo[j]
            scale[j] = range > 0 ? 1 / range : 0
            shift[j] = -lo[j] * scale[j]
        }
        return Affine(scale: scale, shift: shift)
    }
}
