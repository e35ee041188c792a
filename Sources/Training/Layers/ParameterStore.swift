/// What a parameter block is, which decides regularization, weight decay and constraints.
enum ParameterRole: Sendable, Equatable {
    /// A Dense kernel, `rows` (fan-in) x `cols` (units), row-major.
    case kernel(rows: Int, cols: Int)
    case bias
    case gamma
    case beta
    case preluAlpha
}

/// A contiguous range of the flat parameter (or state) vector.
struct ParameterBlock: Sendable {
    var name: String
    var offset: Int
    var count: Int
    var role: ParameterRole
    /// Dense kernels of hidden layers (max-norm applies to them, not to the output layer).
    var constrained: Bool = false
}

/// Reserves ranges while the network is built; the store is allocated afterwards.
struct ParameterLayout {
    private(set) var trainable: [ParameterBlock] = []
    private(set) var state: [ParameterBlock] = []
    private(set) var trainableCount = 0
    private(set) var stateCount = 0

    mutating func reserve(_ name: String, _ count: Int, _ role: ParameterRole, constrained: Bool = false) -> Int {
        trainable.append(ParameterBlock(name: name, offset: trainableCount, count: count, role: role, constrained: constrained))
        trainableCount += count
        return trainable.count - 1
    }

    mutating func reserveState(_ name: String, _ count: Int) -> Int {
        state.append(ParameterBlock(name: name, offset: stateCount, count: count, role: .bias))
        stateCount += count
        return state.count - 1
    }
}

/// All parameters of a network in one flat vector (plus gradients and non-trainable state).
///
/// One vector lets the optimizer, clipping and snapshots work in single passes; layers hold
/// pointers into it.
final class ParameterStore {
    let blocks: [ParameterBlock]
    let stateBlocks: [ParameterBlock]
    let values: FloatBuffer
    let gradients: FloatBuffer
    /// Non-trainable values (batch-norm moving statistics).
    let state: FloatBuffer

    init(_ layout: ParameterLayout) {
        blocks = layout.trainable
        stateBlocks = layout.state
        values = FloatBuffer(count: layout.trainableCount)
        gradients = FloatBuffer(count: layout.trainableCount)
        state = FloatBuffer(count: layout.stateCount)
    }

    var count: Int { values.count }

    /// The span of the flat vector covered by consecutive blocks.
    func range(ofBlocks indices: Range<Int>) -> Range<Int> {
        guard let first = indices.first, let last = indices.last else { return 0..<0 }
        return blocks[first].offset..<(blocks[last].offset + blocks[last].count)
    }

    func value(_ block: Int) -> UnsafeMutablePointer<Float> { values.pointer + blocks[block].offset }
    func gradient(_ block: Int) -> UnsafeMutablePointer<Float> { gradients.pointer + blocks[block].offset }
    func stateValue(_ block: Int) -> UnsafeMutablePointer<Float> { state.pointer + stateBlocks[block].offset }

    /// A copy of every trainable and non-trainable value.
    struct Snapshot {
        var values: [Float]
        var state: [Float]
    }

    func snapshot() -> Snapshot { Snapshot(values: values.array, state: state.array) }

    func restore(_ snapshot: Snapshot) {
        snapshot.values.withUnsafeBufferPointer { values.pointer.update(from: $0.baseAddress!, count: values.count) }
        snapshot.state.withUnsafeBufferPointer { state.pointer.update(from: $0.baseAddress!, count: state.count) }
    }
}
