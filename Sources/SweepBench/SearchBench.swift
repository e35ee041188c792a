import ArgumentParser

/// Sampler quality and speed (filled in with the Search module).
struct SearchBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search")
    func run() throws {}
}
