import ArgumentParser

/// Training throughput of the 784-300-100-10 MLP (filled in with the training core).
struct TrainingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "training")
    func run() throws {}
}
