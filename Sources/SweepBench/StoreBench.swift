import ArgumentParser
import Foundation
import Search
import Store

/// How fast the store records per-epoch reports, one per transaction and in batches as
/// the coordinator commits them.
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Per-epoch report write rate of the SQLite store.")

    @Option(help: "Reports to write per configuration.") var reports = 20_000
    @Option(help: "Reports per transaction, comma separated.") var batches = "1,16,128"
    @Option(help: "Write to this database (kept) instead of a temporary one (crash tests).") var path: String?
    @Flag(help: "One JSON object per line.") var json = false

    func run() throws {
        for batch in batches.split(separator: ",").compactMap({ Int($0) }) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-store-bench-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try SweepStore.open(path: path ?? dir.appendingPathComponent("b.db").path)
            let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil))])
            let study = try store.write { tx in
                try tx.createStudy(NewStudy(name: "bench", direction: .minimize, metric: "val_loss", sweepFile: "", space: space, seed: 0, budgetTrials: 1_000_000), at: 0)
            }
            // 100 trials of reports, like a sweep's epochs.
            let trialIDs = try store.write { tx in try (0..<100).map { try tx.insertTrial(studyID: study.id, number: $0, state: .running, params: ["x": .double(0.5)], seed: 1, at: 0) } }
            let metrics = ["loss": 0.41, "accuracy": 0.86, "val_loss": 0.39, "val_accuracy": 0.87, "lr": 0.001]
            let start = Date()
            var written = 0
            while written < reports {
                let n = min(batch, reports - written)
                try store.write { tx in
                    for k in 0..<n {
                        let i = written + k
                        try tx.recordReport(trialID: trialIDs[i % 100], IntermediateRecord(step: i / 100 + 1, attempt: 1, value: 0.39, metrics: metrics,
                                                                                          pruned: false, reason: nil, recordedAt: Double(i)))
                    }
                }
                written += n
            }
            let seconds = Date().timeIntervalSince(start)
            let rate = Double(written) / seconds
            if json {
                print("{\"bench\":\"store\",\"batch\":\(batch),\"reports\":\(written),\"reports_per_s\":\(rate)}")
            } else {
                print(String(format: "%4d report(s) per transaction: %9.0f reports/s", batch, rate))
            }
        }
    }
}
