import Randomness
import Testing
@testable import Training

/// Checks `net`'s parameter gradients against central finite differences of the mean loss
/// on `x` and class `labels`, for about `picksPerBlock` entries of every parameter block. The same
/// `noise` stream drives every pass, so dropout masks and RReLU slopes stay fixed.
func expectGradientsMatchFiniteDifferences(
    _ net: Network, x: [Float], labels: [Int32], rows: Int, mode: ForwardMode, step h: Float, picksPerBlock: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectGradientsMatchFiniteDifferences(net, x: x, rows: rows, mode: mode, step: h, picksPerBlock: picksPerBlock, sourceLocation: sourceLocation) { out in
        labels.withUnsafeBufferPointer {
            net.head.lossAndGradient(out, labels: $0.baseAddress!, rows: rows, gradient: net.lossGradient.pointer).loss
        }
    }
}

/// The same check with real-valued regression `targets`.
func expectGradientsMatchFiniteDifferences(
    _ net: Network, x: [Float], targets: [Float], rows: Int, mode: ForwardMode, step h: Float, picksPerBlock: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectGradientsMatchFiniteDifferences(net, x: x, rows: rows, mode: mode, step: h, picksPerBlock: picksPerBlock, sourceLocation: sourceLocation) { out in
        var errors = MetricAccumulator()
        return targets.withUnsafeBufferPointer {
            net.head.regressionLossAndGradient(out, targets: $0.baseAddress!, rows: rows, gradient: net.lossGradient.pointer, into: &errors)
        }
    }
}

/// The check with `summedLoss(outputs)`, which returns the summed loss of the batch and
/// writes the loss gradient of the mean into `net.lossGradient`.
func expectGradientsMatchFiniteDifferences(
    _ net: Network, x: [Float], rows: Int, mode: ForwardMode, step h: Float, picksPerBlock: Int,
    sourceLocation: SourceLocation, summedLoss: (UnsafePointer<Float>) -> Double
) {
    let noise = SeededGenerator(seed: 99)
    func meanLoss() -> Double {
        var rng = noise
        let out = x.withUnsafeBufferPointer { net.forward($0.baseAddress!, rows: rows, mode: mode, rng: &rng) }
        return summedLoss(out) / Double(rows)
    }

    _ = meanLoss()
    net.backward(rows: rows)
    let analytic = net.store.gradients.array
    let values = net.store.values.pointer
    var checked = 0
    for block in net.store.blocks {
        for i in Set(stride(from: 0, to: block.count, by: max(1, block.count / picksPerBlock))) {
            let index = block.offset + i
            let saved = values[index]
            values[index] = saved + h
            let plus = meanLoss()
            values[index] = saved - h
            let minus = meanLoss()
            values[index] = saved
            let numeric = (plus - minus) / (2 * Double(h))
            let a = Double(analytic[index])
            #expect(abs(a - numeric) <= 1e-3 + 2e-2 * max(abs(a), abs(numeric)),
                    "\(block.name)[\(i)]: analytic \(a), numeric \(numeric)", sourceLocation: sourceLocation)
            checked += 1
        }
    }
    #expect(checked > 20, sourceLocation: sourceLocation)
    // The gradient is not trivially zero.
    #expect(analytic.contains { abs($0) > 1e-4 }, sourceLocation: sourceLocation)
}
