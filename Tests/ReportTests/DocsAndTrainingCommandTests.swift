import Foundation
import Testing
@testable import SweepCLI

/// What the docs promise, checked against the real program: the SQL examples of
/// docs/schema.md, the commands of docs/training.md, and `sweep train` / `sweep predict`
/// output.
@Suite(.serialized) struct DocsAndTrainingCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func doc(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("docs/\(name)"), encoding: .utf8)
    }

    /// The contents of the fenced blocks of `text` whose info string is `language`.
    static func fencedBlocks(_ text: String, language: String) -> [String] {
        var blocks: [String] = [], current: [Substring] = [], open: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if open == nil, trimmed.hasPrefix("```") {
                open = String(trimmed.dropFirst(3))
                current = []
            } else if open != nil, trimmed == "```" {
                if open == language { blocks.append(current.joined(separator: "\n")) }
                open = nil
            } else if open != nil {
                current.append(line)
            }
        }
        return blocks
    }

    @Test func everySQLExampleOfTheSchemaDocRunsAgainstARealStore() throws {
        let sqlite = try #require(Scratch.which("sqlite3"), "sqlite3 is missing: apt install sqlite3 (make test does)")
        let s = try Scratch("schema-doc")
        defer { s.cleanUp() }
        // The examples name the quickstart study: a real one, with pruned trials.
        let file = try s.write("q.yaml", syntheticSweep(study: "quickstart", trials: 8, epochs: 3, function: "sphere",
                                                        pruner: "{name: median, n_startup_trials: 2}"))
        try #require(try s.sweep(["run", file, "--workers", "2", "--db", s.db, "--no-progress"]).status == 0)
        let statements = Self.fencedBlocks(try Self.doc("schema.md"), language: "sql")
            .flatMap { $0.components(separatedBy: ";") }
            .map { $0.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }.joined(separator: "\n") }
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(statements.count >= 4, "\(statements)")
        for statement in statements {
            let r = try s.run(sqlite, ["-readonly", "-bail", s.db, statement + ";"])
            #expect(r.status == 0 && !r.output.contains("Error"), "docs/schema.md example fails:\n\(statement)\n\(r.output)")
        }
    }

    @Test func trainingDocRunsOnlyCommandsThatExist() throws {
        let text = try Self.doc("training.md")
        #expect(!text.contains("is wired"), "docs/training.md still says a command is not wired")
        let commands = Set(SweepCommand.configuration.subcommands.compactMap { $0.configuration.commandName ?? "\($0)".lowercased() })
        let lines = Self.fencedBlocks(text, language: "").flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("sweep ") }
        #expect(lines.count >= 3)
        for line in lines {
            let sub = String(line.split(separator: " ")[1])
            #expect(commands.contains(sub), "docs/training.md runs `sweep \(sub)`, which does not exist")
        }
    }

    @Test func aDivergingTrainRunSaysWhyThereAreNoTestMetricsAndNoModel() throws {
        let s = try Scratch("diverge")
        defer { s.cleanUp() }
        let file = try s.write("d.yaml", """
            seed: 1
            data: {dataset: blobs, samples: 300, classes: 3}
            model: {hidden: [16]}
            training: {epochs: 3, batch_size: 16, optimizer: {name: sgd, learning_rate: 1.0e30}}
            """)
        let model = s.path("d.swm")
        // Neither a CSV nor a JSON-lines metrics file is left empty (a 0-byte CSV without
        // its header was), and one that existed before is not removed.
        let csv = s.path("m.csv"), lines = s.path("m.jsonl"), existing = try s.write("old.jsonl", "")
        for metrics in [csv, lines] {
            let r = try s.sweep(["train", file, "--save-model", model, "--metrics-out", metrics])
            #expect(r.status == 1, "\(r.output)")
            #expect(r.output.contains("error: training diverged in epoch 1: the loss or a metric became NaN or infinite"), "\(r.output)")
            #expect(r.output.contains("no test metrics and no model written to \(model), since the weights are not usable; \(metrics) not written: no epoch ended"), "\(r.output)")
            #expect(!r.output.contains("test_accuracy") && !FileManager.default.fileExists(atPath: model), "\(r.output)")
            #expect(!FileManager.default.fileExists(atPath: metrics), "\(r.output)")
        }
        let r = try s.sweep(["train", file, "--metrics-out", existing])
        #expect(r.status == 1 && !r.output.contains("not written") && FileManager.default.fileExists(atPath: existing), "\(r.output)")
    }

    /// A network far beyond the machine's memory is an error before anything is allocated
    /// (`hidden: [1048576, 1048576]` crashed `sweep train` and every worker that took it:
    /// "failed to allocate 4398084259852 bytes"), in `train` and in a sweep's trials; a batch
    /// larger than the training split is the whole split (2^63 - 1 overflowed, a trap).
    @Test func aNetworkBeyondMemoryIsAnErrorAndAHugeBatchIsTheWholeSplit() throws {
        let s = try Scratch("memory")
        defer { s.cleanUp() }
        let huge = try s.write("h.yaml", "seed: 1\ndata: {dataset: moons, samples: 200}\nmodel: {hidden: [1048576, 1048576]}\ntraining: {epochs: 1}\n")
        let refused = try s.sweep(["train", huge])
        #expect(refused.status == 2 && refused.output.contains("model: the network has ") && refused.output.contains("more than this machine's")
                && !refused.output.contains("Fatal error"), "\(refused.output)")
        let batch = try s.write("b.yaml", "seed: 1\ndata: {dataset: moons, samples: 200}\nmodel: {hidden: [8]}\ntraining: {epochs: 2, batch_size: 9223372036854775807}\n")
        let trained = try s.sweep(["train", batch, "--no-test"])
        #expect(trained.status == 0 && trained.output.contains("epoch 2/2"), "\(trained.output)")
        let sweep = try s.write("s.yaml", "study: big\ndata: {dataset: moons, samples: 200}\nmodel: {hidden: [{choice: [1048576]}, 1048576]}\ntraining: {epochs: 1}\nbudget: {trials: 2}\n")
        let run = try s.sweep(["run", sweep, "--db", s.db, "--workers", "1", "--no-progress"], timeout: 120)
        let trials = try s.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "big").id) }
        #expect(run.status == 1 && trials.count == 2 && trials.allSatisfy { $0.state == .fail && ($0.error ?? "").contains("more than this machine's") },
                "\(run.output) \(trials.map { $0.error ?? "" })")
    }

    @Test func predictJSONGivesTheNumberOfMCSamples() throws {
        let s = try Scratch("predict-json")
        defer { s.cleanUp() }
        let file = try s.write("t.yaml", """
            seed: 3
            data: {dataset: blobs, samples: 300, classes: 3}
            model: {hidden: [16], dropout: 0.3}
            training: {epochs: 2, batch_size: 16}
            """)
        let model = s.path("m.swm")
        try #require(try s.sweep(["train", file, "--save-model", model, "--no-test"]).status == 0)
        let input = try s.write("in.csv", "x,y\n0.1,0.2\n1.5,-0.3\n")
        for samples in [0, 7] {
            let r = try s.sweep(["predict", model, input, "--format", "json", "--mc-samples", "\(samples)"])
            try #require(r.status == 0, "\(r.output)")
            #expect(try JSONSerialization.jsonObject(with: Data(r.output.utf8)) is [String: Any], "\(r.output)")
            // The raw text: Foundation's parser reads `true` as the number 1.
            #expect(HTMLScan.first("\"mc_samples\" *: *([a-z0-9]+)", in: r.output) == "\(samples)", "\(r.output)")
        }
    }
}
