import Foundation

/// About how much memory training a network takes, checked before anything is allocated: a
/// network or batch far beyond the machine (`hidden: [1048576, 1048576]`, 2^40 weights) was
/// a crash ("failed to allocate 4398084259852 bytes") in every worker that took the trial,
/// not an error.
struct MemoryEstimate {
    /// Bytes: the weights, their gradients and the optimizer's per-weight state, plus each
    /// layer's outputs, gradients and pre-activations for `rows` samples at once.
    var bytes: Double
    /// Bytes of the largest convolution's window matrix (im2col), at least one sample's.
    var unrolledWindowBytes: Double

    init(summary: NetworkSummary, inputWidth: Int, rows: Int, optimizer: OptimizerName, unrolledWindowFloats: Double = 0) {
        let parameters = Double(summary.totalParameters)
        let slots: Double = switch optimizer {
        case .sgd: 0
        case .momentum, .nesterov, .adagrad, .rmsprop: 1
        case .adam, .adamax, .nadam, .adamw: 2
        }
        let activations = Double(summary.layers.reduce(0.0) { $0 + Double($1.outputShape.reduce(1, *)) }) + Double(inputWidth)
        // A convolution unrolls its windows for as many samples as fit in 8 Mi floats, and
        // for one sample at least.
        unrolledWindowBytes = 4 * max(unrolledWindowFloats, min(unrolledWindowFloats * Double(rows), Double(8 << 20)))
        bytes = 4 * (parameters * (2 + slots) + Double(rows) * activations * 3) + unrolledWindowBytes
    }

    /// Why it cannot train here: more than this machine's memory; nil when it fits.
    func problem(batchSize: Int, parameters: Int) -> String? {
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes > physical else { return nil }
        func gib(_ b: Double) -> String { String(format: "%.1f GiB", b / Double(1 << 30)) }
        if unrolledWindowBytes > bytes / 2 {
            return "a convolution's windows of one sample unrolled (positions x kernel area x channels) take about \(gib(unrolledWindowBytes)) of memory, more than this machine's \(gib(physical)): make kernel_size smaller, or the input smaller (pooling, strides)"
        }
        return "the network has \(parameters) parameters and with batch_size \(batchSize) needs about \(gib(bytes)) of memory, more than this machine's \(gib(physical)): make the layers narrower or the batch smaller"
    }
}
