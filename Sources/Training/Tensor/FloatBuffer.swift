/// Owned, zero-initialized, 64-byte aligned `Float` storage for the hot path.
///
/// Layers keep their activations and gradients in these so that a training step never
/// allocates. Not `Sendable`: a buffer belongs to one trainer on one thread.
final class FloatBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    deinit { pointer.deallocate() }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    var array: [Float] { Array(buffer) }
}
