import Foundation

/// About how much memory training a network takes, checked before anything is allocated: a
/// network or batch far beyond the machine (`hidden: [1048576, 1048576]`, 2^40 weights) was
/// a crash ("failed to allocate 4398084259852 bytes") in every worker that took the trial,
/// not an error.
struct MemoryEstimate {
    /// Bytes: the weights, their gradients and the optimizer's per-weight state, plus each
    /// layer's outputs, gradients and pre-activations for `rows` samples at once.
    var bytes: Double

    init(summary: NetworkSummary, inputWidth: Int, rows: Int, optimizer: OptimizerName) {
        let parameters = Double(summary.totalParameters)
        let slots: Double = switch optimizer {
        case .sgd: 0
        case .momentum, .nesterov, .adagrad, .rmsprop: 1
        case .adam, .adamax, .nadam, .adamw: 2
        }
        let activations = Double(summary.layers.reduce(0.0) { $0 + Double($1.outputShape.reduce(1, *)) }) + Double(inputWidth)
        bytes = 4 * (parameters * (2 + slots) + Double(rows) * activations * 3)
    }

    /// Why it cannot train here: more than this machine's memory; nil when it fits.
    func problem(batchSize: Int, parameters: Int) -> String? {
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes > physical else { return nil }
        func gib(_ b: Double) -> String { String(format: "%.1f GiB", b / Double(1 << 30)) }
        return "the network has \(parameters) parameters and with batch_size \(batchSize) needs about \(gib(bytes)) of memory, more than this machine's \(gib(physical)): make the layers narrower or the batch smaller"
    }
}
