import Randomness

/// Flatten: the row-major (channels-last) sample is already flat, so this passes values
/// and gradients through; it exists for the summary and the layer count.
final class FlattenLayer: Layer {
    let inputShape: [Int]
    var inputWidth: Int { inputShape.reduce(1, *) }
    var outputWidth: Int { inputWidth }
    var kind: String { "Flatten" }

    init(inputShape: [Int]) { self.inputShape = inputShape }

    func allocate(capacity rows: Int) {}

    func forward(_ input: UnsafePointer<Float>, rows: Int, mode: ForwardMode, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        UnsafeMutablePointer(mutating: input)
    }

    func backward(_ gradOutput: UnsafeMutablePointer<Float>, rows: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        needInputGradient ? gradOutput : nil
    }
}
