import ArgumentParser
import Foundation
import SweepSupport
import SweepFile
import Training

/// `sweep lr-find FILE`: the learning-rate range test of the course texts.
struct LRFind: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Grow the learning rate exponentially over one epoch and suggest one below where the loss shoots up.",
        discussion: """
            Trains the train file's network for one epoch while the rate grows from --min
            to --max, records the loss, and suggests a rate (Géron ch. 11: about ten times
            lower than where the loss starts to climb). Use it to set the range of a
            sweep.

            Examples:
              sweep lr-find sweeps/reference/adam-relu.yaml
              sweep lr-find sweeps/reference/adam-relu.yaml --min 1e-6 --max 1 \\
                  --format csv > lr.csv
            """)

    @Argument(help: "The train file (YAML).", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @Option(help: "Smallest learning rate.") var min: Double = 1e-5
    @Option(help: "Largest learning rate.") var max: Double = 10
    @Option(help: "Output: table (a sampled curve and the suggestion), csv or json (every step).") var format: OutputFormat = .table

    /// Fewer steps than this get a note that the suggestion is rough.
    static let fewSteps = 50

    func run() throws {
        guard min > 0, max > min else { throw UsageError("need 0 < --min < --max, got \(min) and \(max)") }
        // As `sweep train` reads it: data errors located at the train file's `data` lines.
        let (config, preloaded, _) = try DataPreflight.trainFile(file)
        let dataset: Dataset
        do { dataset = try preloaded ?? DatasetLoader.load(config.data) } catch { throw CommandFailure("\(error)") }
        let result: LearningRateFinder.Result
        do {
            result = try LearningRateFinder.run(config: config, dataset: dataset, minLearningRate: min, maxLearningRate: max)
        } catch {
            throw UsageError("\(file): \(error)")
        }
        switch format {
        case .csv:
            let rows = result.learningRates.indices.map { ["\(result.learningRates[$0])", "\(result.losses[$0])", "\(result.smoothedLosses[$0])"] }
            print(CSV.render(["learning_rate", "loss", "smoothed_loss"], rows), terminator: "")
        case .json:
            print(try JSONOutput.render(result))
        case .table:
            var t = TextTable(["learning rate", "smoothed loss"])
            let n = result.learningRates.count
            let stride = Swift.max(1, n / 20)
            for i in Swift.stride(from: 0, to: n, by: stride) {
                t.add([String(format: "%.3g", result.learningRates[i]), Fmt.value(result.smoothedLosses[i])])
            }
            print(t.render())
            if let suggestion = result.suggestion {
                print(String(format: "suggested learning rate: %.3g", suggestion)
                      + (suggestion < min ? String(format: " (below the range tested: the loss was lowest early; --min %.3g shows more of it)", min / 100) : ""))
            } else {
                let counted = result.learningRates.dropFirst(Swift.min(10, result.learningRates.count / 10)).first ?? min
                print(String(format: "no suggestion: the smoothed loss was lowest at the first rate counted (%.3g) and never fell as the rate grew; lower --min, or check the data and the network", counted))
            }
        }
        // A curve of a few steps (one epoch of a small set) says little: 6 steps suggested 1.
        // (Stopped early, the loss shot up: a smaller batch size would not help, a lower --max would.)
        let steps = result.learningRates.count
        if steps < Self.fewSteps, result.stoppedEarly, let last = result.learningRates.last {
            StandardStream.error.write(String(format: "note: only %d step(s): the loss shot up at rate %.3g and the test stopped there; the suggestion is rough; a lower --max spreads the steps over the rates below it\n", steps, last))
        } else if steps < Self.fewSteps {
            StandardStream.error.write("note: only \(steps) step(s) (one epoch of the training split at batch size \(config.training.batchSize)): the suggestion is rough; a smaller batch_size gives more steps\n")
        }
    }
}
