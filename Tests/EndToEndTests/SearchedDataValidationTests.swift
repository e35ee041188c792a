import Foundation
import SweepTestSupport
import Testing

/// `sweep validate` reads the data as every choice of a searched `data` field makes it: it
/// read the base point's only, called the file valid, and most trials then failed.
@Suite(.serialized) struct SearchedDataValidationTests {
    @Test func eachChoiceOfASearchedLabelOrTaskIsCheckedBeforeTrialsRun() throws {
        let h = try SweepHarness("searched-data")
        defer { h.cleanUp() }
        let rows = (0..<40).map { i in "\(Double(i) / 10),\(Double(i % 7)),\(i % 2)" }
        _ = try h.write("t.csv", "a,b,target\n" + rows.joined(separator: "\n") + "\n")
        let sweep = """
            study: lc
            data: {dataset: csv, train_file: t.csv, label: {choice: [target, nosuch]}, task: {choice: [classification, regression]}}
            model: {hidden: [4]}
            training: {epochs: 1}
            budget: {trials: 4}
            """
        _ = try h.write("lc.yaml", sweep)
        let (status, output) = try h.run(["validate", "lc.yaml"])
        #expect(status == 2, "\(output)")
        #expect(output.contains("no label column 'nosuch'") && output.contains("(with data.label = nosuch, a choice of the search)"), "\(output)")
        #expect(output.contains("'val_accuracy' exists only for classification; this data is a regression") && output.contains("(with data.task = regression, a choice of the search)"), "\(output)")
        // `run` refuses it too, before any trial.
        let (runStatus, runOutput) = try h.run(["run", "lc.yaml", "--db", h.db, "--workers", "1", "--no-progress"])
        #expect(runStatus == 2 && !FileManager.default.fileExists(atPath: h.db), "\(runOutput)")
        // Choices that all read: valid.
        _ = try h.write("ok.yaml", sweep.replacingOccurrences(of: "[target, nosuch]", with: "[target, b]")
            .replacingOccurrences(of: "task: {choice: [classification, regression]}", with: "missing: {choice: [error, mean]}"))
        let (okStatus, ok) = try h.run(["validate", "ok.yaml"])
        #expect(okStatus == 0, "\(ok)")
    }
}

/// `sweep status --watch | head -2` ends when its reader does (exit 141, as `logs --follow`):
/// it went on until the study finished, hours later, each write failing.
@Suite(.serialized) struct StatusWatchPipeTests {
    @Test func watchEndsWhenItsReaderLeaves() throws {
        let h = try SweepHarness("watch-pipe")
        defer { h.cleanUp() }
        let file = try h.write("w.yaml", "study: w\nsynthetic: {function: sphere, epochs: 3, sleep: 0.5, inputs: {x: {uniform: [-1, 1]}}}\nbudget: {trials: 200}\n")
        let run = try h.start(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], log: "run.log")
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        try #require(h.waitForStudy("w", timeout: 60) != nil, "\(h.logText("run.log"))")
        let sweep = SweepHarness.executable.path
        let watched = try h.run("/bin/bash", ["-c", "\(sweep) status w --db \(h.db) --watch --interval 0.2 | head -2; echo \"watch exited ${PIPESTATUS[0]}\""], timeout: 60)
        #expect(watched.output.contains("watch exited 141"), "\(watched.output)")
        #expect(run.isRunning, "the study was still running")
    }
}

/// `export --out -` writes to standard output (it wrote a file named `-`), and `--out t.csv`
/// without `--format` writes CSV (it wrote JSON into t.csv).
@Suite struct ExportOutTests {
    @Test func dashIsStandardOutputAndACSVNameGivesCSV() throws {
        let h = try SweepHarness("export-out")
        defer { h.cleanUp() }
        let file = try h.write("e.yaml", syntheticSweep(study: "e", trials: 2, epochs: 1, sleep: 0))
        #expect(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let dash = try h.run(["export", "e", "--db", h.db, "--format", "csv", "--out", "-"])
        #expect(dash.status == 0 && dash.output.hasPrefix("number,") && !FileManager.default.fileExists(atPath: h.path("-")), "\(dash.output)")
        let named = try h.run(["export", "e", "--db", h.db, "--out", h.path("t.csv")])
        #expect(named.status == 0 && h.read("t.csv").hasPrefix("number,"), "\(h.read("t.csv").prefix(80))")
        let json = try h.run(["export", "e", "--db", h.db, "--out", h.path("t.json")])
        #expect(json.status == 0 && h.read("t.json").hasPrefix("{"), "\(h.read("t.json").prefix(80))")
        // Written as it is made (a trial at a time): the file holds what standard output gets,
        // and a database is never the output.
        let printed = try h.run(["export", "e", "--db", h.db])
        #expect(printed.status == 0 && printed.output == h.read("t.json"))
        let overDatabase = try h.run(["export", "e", "--db", h.db, "--out", h.db])
        #expect(overDatabase.status == 2 && overDatabase.output.contains("is an SQLite database"), "\(overDatabase.output)")
        // `studies --format csv` holds values, not the table's text (a best rounded to 4 digits, "2/2").
        let studies = try h.run(["studies", "--db", h.db, "--format", "csv"])
        let lines = studies.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "study,state,metric,direction,trials,budget,complete,pruned,failed,running,best,created", "\(studies.output)")
        let best = try #require(try h.trials(of: "e").compactMap(\.value).min())
        let fields = lines.dropFirst().first?.split(separator: ",").map(String.init) ?? []
        #expect(fields.count == 12 && fields[4] == "2" && fields[5] == "2" && Double(fields[10]) == best && Double(fields[11]) != nil, "\(studies.output)")
    }
}
