import Foundation
import Randomness
import Testing
@testable import Training

/// Regression through the built `sweep` binary: a sweep on two worker processes, `sweep
/// predict` in the target's units, and located errors for a bad target or objective.
@Suite("Regression through the command line")
struct RegressionCommandTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static let weights = [20.0, -10.0, 5.0], offset = 100.0

    /// The noise-free target of a row.
    static func truth(_ x: [Double]) -> Double { zip(weights, x).map(*).reduce(offset, +) }

    /// `rows` samples of `y = 20a - 10b + 5c + 100 + noise` with standard normal features.
    static func table(rows: Int, noise: Double, seed: UInt64, withTarget: Bool = true) -> (text: String, x: [[Double]], y: [Double]) {
        var rng = SeededGenerator(seed: seed)
        var lines = [withTarget ? "a,b,c,y" : "a,b,c"], xs: [[Double]] = [], ys: [Double] = []
        for _ in 0..<rows {
            let x = [rng.nextNormal(), rng.nextNormal(), rng.nextNormal()]
            let y = truth(x) + noise * rng.nextNormal()
            xs.append(x)
            ys.append(y)
            lines.append((x.map { "\($0)" } + (withTarget ? ["\(y)"] : [])).joined(separator: ","))
        }
        return (lines.joined(separator: "\n") + "\n", xs, ys)
    }

    /// 1 - SSE/SST of the noise alone: the best R^2 any model reaches on these rows.
    static func noiseCeiling(_ x: [[Double]], _ y: [Double]) -> Double {
        let mean = y.reduce(0, +) / Double(y.count)
        let sst = y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        let sse = zip(x, y).map { (truth($0) - $1) * (truth($0) - $1) }.reduce(0, +)
        return 1 - sse / sst
    }

    @Test func sweepOnTwoWorkersReachesTheNoiseCeiling() throws {
        let dir = try DataDirectory()
        let noise = 10.0
        let data = Self.table(rows: 2000, noise: noise, seed: 21)
        let csv = try dir.write("linear.csv", data.text)
        let sweep = try dir.write("s.yaml", """
            study: linear
            objective: val_r2
            seed: 4
            data: {dataset: csv, train_file: \(csv), label: y, task: regression, validation: 0.25, test: 0.1, scaling: standardize}
            model:
              hidden: [16]
              loss: {choice: [mse, huber]}
            training:
              epochs: 25
              batch_size: 32
              optimizer: {name: adam, learning_rate: {loguniform: [0.002, 0.01]}}
            sampler: {name: random}
            budget: {trials: 4}
            """)
        let run = try runSweep(["run", sweep, "--workers", "2", "--db", "\(dir.path)/s.db", "--no-progress"])
        #expect(run.status == 0, "\(run.output)")
        let listing = try runSweep(["trials", "linear", "--db", "\(dir.path)/s.db", "--format", "json"])
        let trials = try #require(try JSONSerialization.jsonObject(with: Data(listing.output.utf8)) as? [[String: Any]], "\(listing.output)")
        let complete = trials.filter { $0["state"] as? String == "COMPLETE" }
        #expect(complete.count == 4, "\(listing.output)")
        #expect(Set(complete.compactMap { $0["worker"] as? String }).count == 2, "both workers trained")
        let values = complete.compactMap { $0["value"] as? Double }
        // The objective is the last epoch's val_r2, in the metrics each trial reported.
        for trial in complete {
            let metrics = try #require(trial["metrics"] as? [String: Double])
            #expect(Set(metrics.keys).isSuperset(of: ["val_r2", "val_rmse", "val_mae", "val_loss", "loss"]) && metrics["val_accuracy"] == nil)
            #expect(metrics["val_r2"] == trial["value"] as? Double)
        }
        // Near the ceiling the noise sets on the validation rows (25% of 2,000: the ceiling of
        // the whole table within sampling error).
        let ceiling = Self.noiseCeiling(data.x, data.y)
        let best = try #require(values.max())
        #expect(best > ceiling - 0.03 && best < ceiling + 0.04, "best val_r2 \(best), noise ceiling \(ceiling)")
        // R^2 is maximized: `sweep best` picks the highest.
        let top = try runSweep(["best", "linear", "--db", "\(dir.path)/s.db", "--format", "json"])
        let chosen = try #require(try JSONSerialization.jsonObject(with: Data(top.output.utf8)) as? [[String: Any]], "\(top.output)")
        #expect(chosen.first?["value"] as? Double == best)
    }

    @Test func predictWritesValuesInTheTargetUnits() throws {
        let dir = try DataDirectory()
        let csv = try dir.write("train.csv", Self.table(rows: 1500, noise: 2, seed: 5).text)
        let train = try dir.write("t.yaml", """
            seed: 1
            data: {dataset: csv, train_file: \(csv), label: y, task: regression, scaling: standardize}
            model: {hidden: [16], loss: mae}
            training: {epochs: 40, batch_size: 32, optimizer: {name: adam, learning_rate: 0.005}}
            """)
        let model = "\(dir.path)/m.swm"
        let trained = try runSweep(["train", train, "--save-model", model])
        #expect(trained.status == 0 && trained.output.contains("test_r2"), "\(trained.output)")

        // New rows without the target column: values near the known linear function.
        let fresh = Self.table(rows: 200, noise: 0, seed: 77, withTarget: false)
        let input = try dir.write("new.csv", fresh.text)
        let predicted = try runSweep(["predict", model, input, "--format", "csv"])
        #expect(predicted.status == 0, "\(predicted.output)")
        let lines = predicted.output.split(separator: "\n")
        #expect(lines.first == "sample,predicted")
        let values = lines.dropFirst().map { Double($0.split(separator: ",")[1])! }
        #expect(values.count == 200)
        let errors = zip(values, fresh.x).map { $0 - Self.truth($1) }
        let rmse = (errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)).squareRoot()
        // The targets' std is about 23: a standardized (not restored) output would be off by ~100.
        #expect(rmse < 2.5, "rmse against the true function \(rmse)")

        // With the target column: RMSE, MAE and R^2 in the target's units.
        let labelled = Self.table(rows: 300, noise: 2, seed: 78)
        let scored = try runSweep(["predict", model, try dir.write("scored.csv", labelled.text), "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(scored.output.utf8)) as? [String: Any], "\(scored.output)")
        #expect(document["task"] as? String == "regression" && document["target"] as? String == "y")
        let r2 = try #require(document["r2"] as? Double), rmseScored = try #require(document["rmse"] as? Double)
        #expect(r2 > Self.noiseCeiling(labelled.x, labelled.y) - 0.02 && rmseScored > 1.5 && rmseScored < 3.5, "\(scored.output.prefix(400))")
        let rows = try #require(document["predictions"] as? [[String: Any]])
        #expect(rows.count == 300 && rows[0]["target"] as? Double != nil)

        // Rows with an empty or NA target are predicted and left out of the scores (the
        // whole file was refused: "missing label in column 'y'").
        var partly = labelled.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (row, token) in [(1, ""), (2, "NA")] {
            partly[row] = partly[row].split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") + "," + token
        }
        let partlyFile = try dir.write("partly.csv", partly.joined(separator: "\n"))
        let table = try runSweep(["predict", model, partlyFile])
        #expect(table.status == 0 && table.output.contains("(298 samples); 2 sample(s) without a target left out"), "\(table.output.suffix(300))")
        #expect(!table.output.split(separator: "\n").contains { $0.hasSuffix(" ") }, "a line ends in spaces")
        // Without the target column, the predicted column is the last: no padding after it.
        let unlabelled = try dir.write("nolab.csv", partly.map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }.joined(separator: "\n"))
        let bare = try runSweep(["predict", model, unlabelled])
        #expect(bare.status == 0 && bare.output.contains("predicted") && !bare.output.split(separator: "\n").contains { $0.hasSuffix(" ") }, "\(bare.output.prefix(300))")
        let csvOut = try runSweep(["predict", model, partlyFile, "--format", "csv"]).output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(csvOut.first == "sample,predicted,target" && csvOut[1].hasSuffix(",") && csvOut[3].split(separator: ",").count == 3, "\(csvOut.prefix(4))")
        let partlyJSON = try runSweep(["predict", model, partlyFile, "--format", "json"])
        let partlyDoc = try #require(try JSONSerialization.jsonObject(with: Data(partlyJSON.output.utf8)) as? [String: Any], "\(partlyJSON.output.prefix(300))")
        let partlyRows = try #require(partlyDoc["predictions"] as? [[String: Any]])
        #expect(partlyRows.count == 300 && partlyRows[0]["target"] == nil && partlyRows[1]["target"] == nil && partlyRows[2]["target"] as? Double != nil)
        // The scores are those of the other 298 rows.
        let rest = Array(labelled.text.split(separator: "\n").prefix(1)) + labelled.text.split(separator: "\n").dropFirst(3)
        let restDoc = try JSONSerialization.jsonObject(with: Data(try runSweep(["predict", model, try dir.write("rest.csv", rest.joined(separator: "\n")), "--format", "json"]).output.utf8)) as? [String: Any]
        #expect(partlyDoc["rmse"] as? Double != nil && partlyDoc["rmse"] as? Double == restDoc?["rmse"] as? Double, "\(partlyDoc["rmse"] ?? "-") vs \(restDoc?["rmse"] ?? "-")")
        // A table whose target column is empty throughout (rows to predict): no scores.
        let blank = labelled.text.split(separator: "\n").enumerated().map { i, line in i == 0 ? String(line) : line.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") + "," }
        let blankOut = try runSweep(["predict", model, try dir.write("blank.csv", blank.joined(separator: "\n")), "--format", "csv"])
        #expect(blankOut.status == 0 && blankOut.output.hasPrefix("sample,predicted\n"), "\(blankOut.output.prefix(200))")
    }

    @Test func nonNumericTargetIsLocatedAndNothingIsWritten() throws {
        let dir = try DataDirectory()
        let good = Self.table(rows: 40, noise: 1, seed: 3).text.split(separator: "\n").map(String.init)
        var lines = good
        lines[7] = "0.5,0.25,-1,twelve"
        let csv = try dir.write("bad.csv", lines.joined(separator: "\n") + "\n")
        let train = try dir.write("t.yaml", "data: {dataset: csv, train_file: \(csv), label: y, task: regression}\n")
        let sweep = try dir.write("s.yaml", """
            study: bad
            objective: val_rmse
            data: {dataset: csv, train_file: \(csv), label: y, task: regression}
            model: {hidden: [{int: [2, 4]}]}
            budget: {trials: 2}
            """)
        let expected = "\(csv):8:13: 'twelve' in the label column 'y' is not a finite number (task: regression needs a numeric target)"
        for arguments in [["validate", train], ["train", train, "--save-model", "\(dir.path)/m.swm"], ["validate", sweep],
                          ["run", sweep, "--db", "\(dir.path)/s.db", "--workers", "2", "--no-progress"]] {
            let result = try runSweep(arguments)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.output.contains(expected), "\(arguments): \(result.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/s.db") && !FileManager.default.fileExists(atPath: "\(dir.path)/m.swm"))
    }

    @Test func objectiveIsCheckedAgainstTheTask() throws {
        let dir = try DataDirectory()
        let csv = try dir.write("d.csv", Self.table(rows: 30, noise: 1, seed: 3).text)
        func sweep(_ objective: String, task: String) throws -> String {
            try dir.write("s-\(task).yaml", """
                study: s
                objective: \(objective)
                data: {dataset: csv, train_file: \(csv), label: y, task: \(task)}
                model: {hidden: [{int: [2, 4]}]}
                budget: {trials: 2}
                """)
        }
        let classification = try runSweep(["validate", try sweep("val_accuracy", task: "regression")])
        #expect(classification.status == 2, "\(classification.output)")
        #expect(classification.output.contains(":2:") && classification.output.contains(
            "objective.metric: 'val_accuracy' exists only for classification, this sweep's data is task: regression; did you mean 'val_r2'?"),
            "\(classification.output)")
        let typo = try runSweep(["validate", try sweep("val_rsme", task: "regression")])
        #expect(typo.status == 2 && typo.output.contains("unknown metric 'val_rsme'; did you mean 'val_rmse'?"), "\(typo.output)")
        let regressionOnClasses = try runSweep(["validate", try sweep("val_r2", task: "classification")])
        #expect(regressionOnClasses.status == 2 && regressionOnClasses.output.contains(
            "'val_r2' exists only for regression (data.task: regression), this sweep's data is task: classification; did you mean 'val_accuracy'?"),
            "\(regressionOnClasses.output)")
        let valid = try runSweep(["validate", try sweep("val_mae", task: "regression")])
        #expect(valid.status == 0 && valid.output.contains("objective minimize val_mae"), "\(valid.output)")
    }

    @Test func exampleRegressionSweepValidates() throws {
        let result = try runSweep(["validate", "sweeps/tabular/diabetes.yaml"], in: repository)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("valid sweep 'diabetes'") && result.output.contains("objective maximize val_r2"), "\(result.output)")
        // The splits and shape a sweep's trials read, as for a train file (it printed none).
        #expect(result.output.contains(/\ndata: \d+ training, \d+ validation, \d+ test samples of shape \[10\]; a regression target/), "\(result.output)")
    }
}
