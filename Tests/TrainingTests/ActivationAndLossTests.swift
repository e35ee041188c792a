import Foundation
import Randomness
import Testing
@testable import Training

@Suite("Activations and losses")
struct ActivationAndLossTests {
    @Test func softmaxOfCourseExample() {
        let p = Softmax.probabilities([3.0, 1.0, -2.5])
        #expect(close(p[0], 0.8776, 1e-4))
        #expect(close(p[1], 0.1188, 1e-4))
        #expect(close(p[2], 0.0036, 2e-4))
        #expect(close(Double(p.reduce(0, +)), 1, 1e-6))
        // Large scores do not overflow (max subtracted).
        let big = Softmax.probabilities([1000, 999])
        #expect(close(big[0], 1 / (1 + exp(-1.0)), 1e-6))
    }

    @Test func crossEntropyOfCourseExample() {
        let head = LossHead(kind: .crossEntropy, classes: 3)
        let scores: [Float] = [3.0, 1.0, -2.5]
        let loss = scores.withUnsafeBufferPointer { head.sampleLoss($0.baseAddress!, label: 1) }
        #expect(close(loss, 2.1305, 1e-4))
    }

    @Test func multiclassHingeOfCourseTable() {
        // Columns of the table: scores for (cat, dog, bird) and the true label.
        let head = LossHead(kind: .hinge, classes: 3)
        let scores: [Float] = [3.0, 1.0, -2.5,   3.0, -5.0, 1.5,   1.0, 3.2, -5.0]
        let labels: [Int32] = [1, 0, 2]  // dog, cat, bird
        let perSample = scores.withUnsafeBufferPointer { s in
            (0..<3).map { head.sampleLoss(s.baseAddress! + 3 * $0, label: Int(labels[$0])) }
        }
        #expect(close(perSample[0], 3.0) && close(perSample[1], 0) && close(perSample[2], 16.2, 1e-5))
        var gradient = [Float](repeating: 0, count: 9)
        let (sum, _) = scores.withUnsafeBufferPointer { s in
            labels.withUnsafeBufferPointer { l in
                gradient.withUnsafeMutableBufferPointer { head.lossAndGradient(s.baseAddress!, labels: l.baseAddress!, rows: 3, gradient: $0.baseAddress!) }
            }
        }
        #expect(close(sum / 3, 6.4, 1e-5))
    }

    @Test func binaryHingeAndMSE() {
        let hinge = LossHead(kind: .hinge, classes: 2)
        #expect(hinge.outputs == 1)
        let s: [Float] = [0.3]
        #expect(close(s.withUnsafeBufferPointer { hinge.sampleLoss($0.baseAddress!, label: 1) }, 0.7))
        #expect(close(s.withUnsafeBufferPointer { hinge.sampleLoss($0.baseAddress!, label: 0) }, 1.3))
        let mse = LossHead(kind: .mse, classes: 3)
        let o: [Float] = [0.5, 0.2, -1]
        // (0.5-0)^2 + (0.2-1)^2 + (-1-0)^2, no 1/2.
        #expect(close(o.withUnsafeBufferPointer { mse.sampleLoss($0.baseAddress!, label: 1) }, 0.25 + 0.64 + 1, 1e-6))
    }

    @Test func binaryCrossEntropyIsStableForLargeLogits() {
        let head = LossHead(kind: .binaryCrossEntropy, classes: 2)
        let z: [Float] = [-200]
        let loss = z.withUnsafeBufferPointer { head.sampleLoss($0.baseAddress!, label: 1) }
        #expect(close(loss, 200, 1e-5))
        let small: [Float] = [0]
        #expect(close(small.withUnsafeBufferPointer { head.sampleLoss($0.baseAddress!, label: 0) }, log(2.0), 1e-6))
    }

    @Test func activationValues() {
        #expect(ActivationMath.value(.relu, -2, slope: 0) == 0)
        #expect(ActivationMath.value(.leakyReLU(alpha: 0.2), -2, slope: 0.2) == -0.4)
        #expect(close(ActivationMath.value(.elu(alpha: 1), -1, slope: 0), exp(-1.0) - 1, 1e-6))
        #expect(close(ActivationMath.value(.selu, -1, slope: 0), 1.0507009873554805 * 1.6732632423543772 * (exp(-1.0) - 1), 1e-6))
        #expect(close(ActivationMath.value(.selu, 2, slope: 0), 2 * 1.0507009873554805, 1e-6))
        #expect(close(ActivationMath.value(.swish, 1, slope: 0), 1 / (1 + exp(-1.0)), 1e-6))
        #expect(close(ActivationMath.value(.tanh, 0.5, slope: 0), tanh(0.5), 1e-6))
    }

    @Test func rreluDrawsSlopesWhileTrainingAndUsesTheMeanAtInference() {
        var rng = SeededGenerator(seed: 1234)
        let unit = ActivationUnit(.rrelu(lower: 0.125, upper: 1.0 / 3), width: 4)
        unit.allocate(capacity: 50)
        var z = [Float](repeating: -1, count: 200), out = [Float](repeating: 0, count: 200)
        z.withUnsafeMutableBufferPointer { zp in
            out.withUnsafeMutableBufferPointer { unit.forward(zp.baseAddress!, bias: nil, out: $0.baseAddress!, rows: 50, training: true, rng: &rng) }
        }
        let slopes = out.map { -$0 }
        #expect(slopes.allSatisfy { $0 >= 0.125 && $0 <= 1.0 / 3 })
        #expect(Set(slopes).count > 100)  // random per element
        z = [Float](repeating: -1, count: 4)
        z.withUnsafeMutableBufferPointer { zp in
            out.withUnsafeMutableBufferPointer { unit.forward(zp.baseAddress!, bias: nil, out: $0.baseAddress!, rows: 1, training: false, rng: &rng) }
        }
        #expect(close(out[0], -(0.125 + 1.0 / 3) / 2, 1e-6))
    }
}

