import ArgumentParser
import Training

/// `sweep-bench`: the Swift side of `make bench`. Each subcommand measures one area and
/// prints machine-readable lines that the harness in `bench/` puts beside the peers.
@main
struct SweepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-bench",
        abstract: "Benchmarks for Sweep (run through `make bench`).",
        subcommands: [TrainingBench.self, SearchBench.self, ClusterBench.self, StoreBench.self]
    )

    static func main() {
        // An OpenBLAS older than the CPU would time its generic kernels (see `BLASKernels`).
        BLASKernels.restartWithFittingKernelsIfNeeded()
        main(nil)
    }
}
