import Foundation
import Store
import Testing
@testable import SweepDashboard

/// A study stopped by Ctrl-C or a crash shows as INTERRUPTED (no growing elapsed time, no
/// ETA) until it is resumed, and the interruption does not count in `compare`.
@Suite(.serialized) struct InterruptedStudyTests {
    /// `elapsed 12.3s` of a status block.
    static func elapsed(_ text: String) -> String? { HTMLScan.first("elapsed ([0-9.]+[a-z]+)", in: text) }

    /// Starts `sweep run FILE` (or `sweep resume STUDY`) and waits until the study has a RUNNING trial.
    static func startRun(_ s: Scratch, _ file: String, study: String, log: String, resume: Bool = false) throws -> Process {
        let command = resume ? ["resume", study] : ["run", file]
        let run = try s.start(Scratch.sweep, command + ["--workers", "1", "--db", s.db, "--no-progress"], log: log)
        let running = Scratch.waitFor(timeout: 60) {
            (try? s.reader().read { q in try q.study(named: study).map { try q.stateCounts(studyID: $0.id)[.running] ?? 0 } }) ?? 0 > 0
        }
        try #require(running, "no trial started:\n\(s.read(log))")
        return run
    }

    @Test func ctrlCAndKillShowTheStudyAsInterruptedUntilResumed() throws {
        let s = try Scratch("interrupted")
        defer { s.cleanUp() }
        let file = try s.write("i.yaml", syntheticSweep(study: "paused", trials: 6, epochs: 3, sleep: 0.2, function: "sphere", pruner: "{name: none}"))
        for signal in [SIGINT, SIGKILL] {
            let run = try Self.startRun(s, file, study: "paused", log: "run-\(signal).log", resume: signal == SIGKILL)
            // A watch of the running study ends when its coordinator stops (it went on for good).
            let watch = Process()
            watch.executableURL = URL(fileURLWithPath: sweepBinary)
            watch.arguments = ["status", "paused", "--db", s.db, "--watch", "--interval", "0.2"]
            let watchOutput = try s.write("watch-\(signal).out", "")
            watch.standardOutput = FileHandle(forWritingAtPath: watchOutput)
            let watchErrors = Pipe()
            watch.standardError = watchErrors
            try watch.run()
            defer { if watch.isRunning { watch.terminate() } }
            let live = try s.sweep(["status", "paused", "--db", s.db])
            #expect(live.output.contains("[RUNNING]") && live.output.contains("worker(s)") && live.output.contains("  running "), "\(live.output)")
            // A trial done first, so that the study has a rate to show.
            #expect(Scratch.waitFor(timeout: 60) { ((try? s.sweep(["status", "paused", "--db", s.db]))?.output.contains("  done 0 ")) == false })
            // The watch saw it run (a watch started on an interrupted study waits for a resume).
            try #require(Scratch.waitFor(timeout: 30) { s.read("watch-\(signal).out").contains("[RUNNING]") }, "\(s.read("watch-\(signal).out"))")
            kill(run.processIdentifier, signal)
            #expect(Scratch.waitFor(timeout: 60) { !run.isRunning })
            try #require(Scratch.waitFor(timeout: 10) { !watch.isRunning }, "the watch went on")
            #expect(watch.terminationStatus == 1)
            let said = String(decoding: watchErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(said.contains("study 'paused' was interrupted while watched") && said.contains("`sweep resume paused --db \(s.db)` continues it"), "\(said)")
            let first = try s.sweep(["status", "paused", "--db", s.db])
            #expect(first.status == 0)
            #expect(first.output.contains("paused [") && first.output.contains("[INTERRUPTED]"), "after signal \(signal): \(first.output)")
            #expect(first.output.contains("continue with `sweep resume paused --db \(s.db)`"), "\(first.output)")
            #expect(!first.output.contains("ETA") && !first.output.contains("[RUNNING]"), "\(first.output)")
            // The trials it left RUNNING are not running now: they continue on resume.
            #expect(first.output.contains("  interrupted ") && !first.output.contains("  running "), "\(first.output)")
            sleep(2)
            let second = try s.sweep(["status", "paused", "--db", s.db])
            let e1 = try #require(Self.elapsed(first.output), "\(first.output)")
            #expect(Self.elapsed(second.output) == e1, "the elapsed time grew while nothing ran:\n\(first.output)\n\(second.output)")
            // So does the rate: the trials it finished over its running time (it was measured
            // over the last minute, and fell each time it was read).
            let rate = { (text: String) in HTMLScan.first("throughput ([0-9.]+ trials/[a-z]+)", in: text) }
            #expect(rate(first.output) != nil && rate(second.output) == rate(first.output), "the throughput changed while nothing ran:\n\(first.output)\n\(second.output)")
            let json = try s.sweep(["status", "paused", "--db", s.db, "--format", "json"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
            #expect((doc["study"] as? [String: Any])?["state"] as? String == "INTERRUPTED", "\(json.output)")
            // Gone workers are not listed (the killed run's two were).
            #expect((doc["workers"] as? [Any])?.isEmpty == true, "\(json.output)")
            #expect(doc["eta_s"] == nil || doc["eta_s"] is NSNull, "\(json.output)")
            let studies = try s.sweep(["studies", "--db", s.db])
            #expect(studies.output.contains("INTERRUPTED"), "\(studies.output)")
            // Its trials column counts what `status` counts: the finished ones, not the
            // RUNNING ones the interruption left (status said 2/6, studies 4/6).
            let progress = try #require(first.output.firstMatch(of: /paused .* (\d+)\/6 trials/), "\(first.output)").1
            #expect(studies.output.contains(" \(progress)/6 "), "status: \(first.output)\nstudies: \(studies.output)")
            // Its running column comes with the same note as the trials table.
            let runningInDatabase = (try? s.sweep(["trials", "paused", "--db", s.db, "--state", "RUNNING", "--format", "csv"]).output.split(separator: "\n").count > 1) == true
            #expect(studies.output.contains("study 'paused' is interrupted: its ") == runningInDatabase, "\(studies.output)")
            // The trials table says its RUNNING trials wait for a resume (when it left any).
            let table = try s.sweep(["trials", "paused", "--db", s.db]).output
            #expect(table.contains(" RUNNING ") == table.contains("is interrupted: its "), "\(table)")
            // So does `show` of such a trial (it said RUNNING alone).
            if let left = table.split(separator: "\n").first(where: { $0.contains(" RUNNING ") })?.split(separator: " ").first {
                let shown = try s.sweep(["show", "paused", String(left), "--db", s.db]).output
                #expect(shown.hasPrefix("trial \(left) of 'paused': RUNNING (the study is interrupted: the trial waits for `sweep resume paused --db \(s.db)`)"), "\(shown)")
            }
            // The dashboard and a report say so too (they said "running").
            let feed = StudyFeed(databasePath: s.db)
            let listed = String(decoding: try feed.studies(), as: UTF8.self)
            #expect(listed.contains("\"state\":\"INTERRUPTED\""), "\(listed)")
            let page = String(decoding: try #require(try feed.study("paused")), as: UTF8.self)
            #expect(page.contains("\"state\":\"INTERRUPTED\"") && !page.contains("\"state\":\"RUNNING\",\"metric"), "\(page.prefix(400))")
            // /metrics counts its RUNNING trials as interrupted (an alert on running trials
            // saw them as running while nothing ran them).
            let stored = try s.reader().read { q in try q.stateCounts(studyID: try q.requireStudy(named: "paused").id) }
            let metrics = PrometheusText(try DashboardServer(databasePath: s.db, options: try DashboardOptions(bind: "127.0.0.1:0", token: nil, insecure: false)).metricsText())
            #expect(metrics["sweep_trials{study=\"paused\",state=\"running\"}"] == 0, "\(metrics.samples)")
            #expect(metrics["sweep_trials{study=\"paused\",state=\"interrupted\"}"] == Double(stored[.running] ?? 0), "\(metrics.samples) \(stored)")
            #expect(metrics["sweep_trials{study=\"paused\",state=\"complete\"}"] == Double(stored[.complete] ?? 0), "\(metrics.samples) \(stored)")
            let report = try s.sweep(["report", "paused", "--db", s.db, "-o", s.directory.appendingPathComponent("r-\(signal).html").path])
            #expect(report.status == 0, "\(report.output)")
            let html = try String(contentsOf: s.directory.appendingPathComponent("r-\(signal).html"), encoding: .utf8)
            #expect(html.contains("Study state when generated: interrupted.") && !html.contains("· running</p>"), "\(html.suffix(400))")
            // So do `compare` and `export` (they said running, RUNNING).
            let compared = try s.sweep(["compare", "paused", "paused", "--db", s.db]).output
            #expect(compared.split(separator: "\n").contains { $0.hasPrefix("state ") && $0.contains("interrupted") && !$0.contains("running") }, "\(compared)")
            let comparedJSON = try s.sweep(["compare", "paused", "paused", "--db", s.db, "--format", "json"]).output
            #expect(comparedJSON.contains("\"state\" : \"INTERRUPTED\"") && !comparedJSON.contains("\"state\" : \"RUNNING\""), "\(comparedJSON)")
            let exported = try s.sweep(["export", "paused", "--db", s.db]).output
            let exportedStudy = (try JSONSerialization.jsonObject(with: Data(exported.utf8)) as? [String: Any])?["study"] as? [String: Any]
            #expect(exportedStudy?["state"] as? String == "INTERRUPTED", "\(exported.prefix(600))")
        }
        // Resumed to the end: FINISHED.
        let resumed = try s.sweep(["resume", "paused", "--workers", "1", "--db", s.db, "--no-progress"], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.output)")
        let done = try s.sweep(["status", "paused", "--db", s.db])
        #expect(done.output.contains("[FINISHED]") && !done.output.contains("INTERRUPTED"), "\(done.output)")
    }

    @Test func compareLeavesTheInterruptionOutOfTheTimeToTarget() throws {
        let s = try Scratch("compare-interrupted")
        defer { s.cleanUp() }
        let trials = 3
        let file = try s.write("p.yaml", syntheticSweep(study: "paused", trials: trials, epochs: 2, sleep: 0.3, function: "sphere", pruner: "{name: none}"))
        let plain = try s.write("q.yaml", syntheticSweep(study: "plain", trials: trials, epochs: 2, sleep: 0.3, function: "sphere", pruner: "{name: none}"))
        try #require(try s.sweep(["run", plain, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)

        // Stopped while its first trial runs (nothing finished yet), left alone, resumed.
        let run = try Self.startRun(s, file, study: "paused", log: "run.log")
        kill(run.processIdentifier, SIGINT)
        #expect(Scratch.waitFor(timeout: 60) { !run.isRunning })
        let pause = 8.0
        Thread.sleep(forTimeInterval: pause)
        let resumed = try s.sweep(["resume", "paused", "--workers", "1", "--db", s.db, "--no-progress"], timeout: 120)
        try #require(resumed.status == 0, "\(resumed.output)")

        let trialsOf = try s.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "paused").id) }
        let complete = trialsOf.filter { $0.state == .complete }
        let firstStart = try #require(trialsOf.compactMap(\.startedAt).min())
        // Every trial that completed ended after the pause.
        let resumedAt = try s.reader().read { q in
            try q.events(studyID: try q.requireStudy(named: "paused").id, kinds: [.studyResumed]).map(\.time).max()
        }
        let resumeTime = try #require(resumedAt)
        #expect(complete.allSatisfy { ($0.finishedAt ?? 0) > resumeTime })
        let worst = try #require(complete.compactMap(\.value).max())

        let json = try s.sweep(["compare", "plain", "paused", "--db", s.db, "--target", "\(worst)", "--format", "json"])
        try #require(json.status == 0, "\(json.output)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let entry = try #require((doc["studies"] as? [[String: Any]])?.last)
        let seconds = try #require(entry["seconds_to_target"] as? Double, "\(json.output)")
        let trialNumber = try #require(entry["trials_to_target"] as? Int)
        #expect(trialNumber >= 1)
        // The clock from the first start to the trial that reached the target spans the pause;
        // the time to target must not.
        let reachedAt = try #require(complete.filter { $0.value! <= worst }.compactMap(\.finishedAt).min())
        let span = reachedAt - firstStart
        #expect(span > pause, "the pause is inside the span: \(span)")
        #expect(seconds > 0 && seconds < span - (pause - 1), "time to target \(seconds) s counts the \(pause) s pause (span \(span) s)")
    }
}
