import Foundation
import Store
import Testing

/// The live display of `sweep run` in a real terminal (tmux), and `sweep status --watch`
/// without one.
@Suite(.serialized) struct LiveDisplayTests {
    static let hostName = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"

    /// A sweep that runs for several seconds: 30 trials of up to 4 epochs of 0.3 s on 2 workers.
    static func sweepFile(_ s: Scratch, study: String) throws -> String {
        try s.write("\(study).yaml", syntheticSweep(study: study, trials: 30, epochs: 4, sleep: 0.3, function: "sphere",
                                                     pruner: "{name: median, n_startup_trials: 3}"))
    }

    /// The numbers of a status block's counts line.
    static func counts(_ screen: String) -> [String: Int]? {
        guard let line = HTMLScan.first("(done [0-9]+  pruned [0-9]+  running [0-9]+  failed [0-9]+  stale [0-9]+  waiting [0-9]+)", in: screen) else { return nil }
        let words = line.split(separator: " ")
        var out: [String: Int] = [:]
        for i in stride(from: 0, to: words.count - 1, by: 2) { out[String(words[i])] = Int(words[i + 1]) }
        return out
    }

    @Test func liveDisplayOfSweepRunRefreshesInPlaceInTmuxWithItsKeyFields() throws {
        let s = try Scratch("tmux")
        defer { s.cleanUp() }
        let file = try Self.sweepFile(s, study: "live")
        let run = try TmuxRun(s, command: "'\(Scratch.sweep)' run '\(file)' --workers 2 --db '\(s.db)'", columns: 160, rows: 50) {
            $0.contains("[RUNNING]")
        }
        let midRun = run.screens, final = run.final
        #expect(final.contains("SWEEP-EXIT=0"), "\(final)")
        try #require(!midRun.isEmpty, "no screen showed the running study")

        // A screen in full flight: every key field is there.
        let full = midRun.first { screen in
            screen.contains("ETA ") && screen.contains("best: trial ") && screen.contains("\(Self.hostName): 2 worker(s): trial ")
        }
        let screen = try #require(full, "no screen had ETA, best and the worker line; screens:\n\(midRun.suffix(3).joined(separator: "\n----\n"))")
        let c = try #require(Self.counts(screen), "\(screen)")
        #expect(c["running"]! >= 1 && c["running"]! <= 2, "\(screen)")
        #expect(c["done"]! >= 1, "a best value needs a complete trial: \(screen)")
        #expect(HTMLScan.first("(live \\[[=> ]+\\] [0-9]+/30 trials  \\[RUNNING\\])", in: screen) != nil, "\(screen)")
        #expect(HTMLScan.first("(elapsed [0-9.]+s  throughput [0-9.]+ trials/(s|min)  ETA [0-9.]+s)", in: screen) != nil, "\(screen)")
        #expect(HTMLScan.first("(best: trial [0-9]+  value [-0-9.e]+  x=[-0-9.e]+ y=[-0-9.e]+)", in: screen) != nil, "\(screen)")
        #expect(HTMLScan.first("(\(Self.hostName): 2 worker\\(s\\): trial [0-9]+ ep [0-9]+)", in: screen) != nil, "\(screen)")

        // Refreshed in place: one status block on every screen while running, and it changed.
        for m in midRun { #expect(HTMLScan.count("live [", in: m) == 1, "the block scrolled instead of refreshing:\n\(m)") }
        let progress = midRun.compactMap(Self.counts).map { $0["done"]! + $0["pruned"]! + $0["failed"]! }
        #expect(Set(progress).count >= 2, "the display never changed: \(progress)")
        #expect(progress == progress.sorted(), "finished trials went backwards: \(progress)")

        // The summary after the run agrees with the database.
        let db = try s.reader().read { q in try q.stateCounts(studyID: try q.requireStudy(named: "live").id) }
        let summary = try #require(Self.counts(final.components(separatedBy: "[FINISHED]").last ?? ""), "\(final)")
        #expect(summary["done"] == db[.complete] ?? 0 && summary["pruned"] == db[.pruned] ?? 0 && summary["failed"] == db[.fail] ?? 0, "\(final)")
        #expect(final.contains("study 'live' finished in"))
    }

    @Test func statusWatchPrintsPlainBlocksWhenOutputIsNotATerminal() throws {
        let s = try Scratch("plain")
        defer { s.cleanUp() }
        let file = try Self.sweepFile(s, study: "plain")
        let run = try s.start(Scratch.sweep, ["run", file, "--workers", "2", "--db", s.db, "--no-progress"], log: "run.log")
        defer { if run.isRunning { kill(run.processIdentifier, SIGTERM) } }
        // Wait until the study exists, then watch it to the end with output to a file.
        let exists = Scratch.waitFor(timeout: 60) { (try? s.reader().read { try $0.study(named: "plain") }) != nil }
        try #require(exists, "the study never appeared:\n\(s.read("run.log"))")
        let json = try s.sweep(["status", "plain", "--db", s.db, "--format", "json"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect((object?["study"] as? [String: Any])?["name"] as? String == "plain", "\(json.output)")
        // A report can be made while the sweep writes.
        let report = try s.sweep(["report", "plain", "--db", s.db, "--out", s.path("live.html")])
        #expect(report.status == 0, "\(report.output)")
        let count = HTMLScan.dataValue(id: "trial-count", in: s.read("live.html")).flatMap { Int($0) }
        #expect(count.map { $0 >= 0 && $0 <= 30 } == true)
        let watch = try s.sweep(["status", "plain", "--db", s.db, "--watch", "--interval", "0.3"], timeout: 240)
        #expect(watch.status == 0, "\(watch.output)")
        #expect(!watch.output.contains("\u{1B}"), "escape sequences in plain output")
        let blocks = watch.output.components(separatedBy: "\n\n").filter { $0.contains("plain [") }
        #expect(blocks.count >= 2, "\(watch.output)")
        #expect(blocks.allSatisfy { Self.counts($0) != nil && $0.contains("throughput") && $0.contains("best:") })
        #expect(blocks.last?.contains("[FINISHED]") == true, "watch stops when the study finishes:\n\(watch.output)")
        #expect(Scratch.waitFor(timeout: 60) { !run.isRunning })
        #expect(run.terminationStatus == 0, "\(s.read("run.log"))")
    }
}
