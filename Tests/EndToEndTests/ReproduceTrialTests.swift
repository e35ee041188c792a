import Foundation
import Store
import SweepTestSupport
import Testing

/// A built-in trial written as a train file (`sweep export-schedule` of a study without
/// PBT) trains again as the trial did: there was no way to reproduce one outside Sweep
/// but by writing the file by hand.
@Suite struct ReproduceTrialTests {
    @Test func aTrialsTrainFileTrainsTheSameCurve() throws {
        let h = try SweepHarness("reproduce-trial")
        defer { h.cleanUp() }
        let file = try h.write("m.yaml", """
            study: m
            objective: {metric: val_loss, direction: minimize}
            seed: 3
            data: {dataset: moons, samples: 600}
            model:
              hidden: [{int: [8, 32]}]
            training:
              epochs: 3
              optimizer: {name: adam, learning_rate: {loguniform: [0.001, 0.05]}}
            sampler: {name: random}
            pruner: {name: none}
            budget: {trials: 2}
            """)
        #expect(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120).status == 0)
        let exported = try h.run(["export-schedule", "m", "--db", h.db, "--trial", "1", "--out", h.path("t1.yaml")])
        #expect(exported.status == 0, "\(exported.output)")
        #expect(h.read("t1.yaml").hasPrefix("# Trial 1 of study 'm' as it ran"), "\(h.read("t1.yaml"))")
        let trained = try h.run(["train", h.path("t1.yaml"), "--no-test", "--metrics-out", h.path("met.csv")], timeout: 120)
        #expect(trained.status == 0, "\(trained.output)")
        let rows = h.read("met.csv").split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        let column = try #require(rows.first?.firstIndex(of: "val_loss"))
        let retrained = rows.dropFirst().compactMap { Double($0[column]) }
        let curve = try h.reader().read { q -> [Double] in
            let t = try #require(try q.trial(studyID: try q.requireStudy(named: "m").id, number: 1))
            return try q.intermediates(trialID: t.id).compactMap { $0.metrics["val_loss"] }
        }
        #expect(retrained == curve && curve.count == 3, "trained \(retrained), the trial \(curve)")
    }
}
