import Foundation
import Search
import Store
import SweepTestSupport
import Testing

/// The study's data file edited during a run: every worker that asked for the study's copy
/// was refused, most of the remaining trials failed within a second, and `sweep run` exited
/// 0. Now the coordinator notices and stops taking trials; restored, the data resumes.
@Suite(.serialized) struct DataChangedMidRunTests {
    @Test func aRunWhoseDataChangesStopsAndResumesOnceItIsRestored() throws {
        let h = try SweepHarness("data-changed")
        defer { h.cleanUp() }
        let rows = (0..<200).map { i in "\(Double(i % 7) * 0.5),\(Double(i % 5) * 0.3),\(i % 2 == 0 ? "a" : "b")" }
        let original = (["x,y,kind"] + rows).joined(separator: "\n") + "\n"
        let data = try h.write("d.csv", original)
        let file = try h.write("s.yaml", """
            study: changed
            data: {dataset: csv, train_file: \(data), label: kind}
            model: {hidden: [8]}
            training: {epochs: 30, batch_size: 8, optimizer: {name: adam, learning_rate: {loguniform: [0.001, 0.01]}}}
            sampler: {name: random}
            budget: {trials: 60}
            """)
        let run = try h.start(SweepHarness.sweep, ["run", file, "--workers", "1", "--db", h.db, "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        func counts() -> [TrialState: Int] {
            (try? h.reader().read { q in try q.stateCounts(studyID: try q.requireStudy(named: "changed").id) }) ?? [:]
        }
        try #require(h.waitFor(timeout: 120) { (counts()[.complete] ?? 0) >= 3 }, "\(h.logText("run.log"))")
        try (original + "0.25,0.5,a\n").write(toFile: data, atomically: false, encoding: .utf8)
        #expect(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))")
        let log = h.logText("run.log")
        #expect(run.terminationStatus == 1 && log.contains("the data file(s) \(data) changed since the study started")
                && log.contains("restore it, then `sweep resume changed") && !log.contains("all failed"), "\(log)")
        let stopped = counts()
        #expect((stopped[.fail] ?? 0) <= 2 && stopped.values.reduce(0, +) < 60, "\(stopped)\n\(log)")
        // Restored, the rest of the budget runs.
        try original.write(toFile: data, atomically: false, encoding: .utf8)
        let resumed = try h.run(["resume", "changed", "--workers", "1", "--db", h.db, "--no-progress"], timeout: 300)
        #expect(resumed.status == 0, "\(resumed.output)")
        let finished = counts()
        #expect(finished.values.reduce(0, +) == 60 && (finished[.fail] ?? 0) <= 2, "\(finished)")
    }
}
