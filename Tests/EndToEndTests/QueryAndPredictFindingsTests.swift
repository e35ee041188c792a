import Foundation
import Store
import Testing

/// What users trying the query and prediction commands ran into: trials named from the end,
/// tables broken by parameter values, pipes as inputs, and lr-find's data errors.
@Suite(.serialized) struct QueryAndPredictFindingsTests {
    /// A command study whose parameters include one named like a fixed column (`epochs`) and
    /// text with a line break and a tab; the program reports the loss 1/epoch.
    func commandStudy(_ h: SweepHarness) throws {
        _ = try h.write("train.py", """
            import sys
            sys.path.insert(0, '\(pythonClientPath)')
            import sweep_client as sweep
            for e in range(1, 3):
                sweep.report(epoch=e, loss=1.0 / e)
            """)
        let file = try h.write("c.yaml", """
            study: c
            objective: {metric: loss, direction: minimize}
            program: train.py
            command: [python3, "${program}", "${args}"]
            parameters:
              epochs: {choice: [1, 2]}
              note: {choice: ["a\\nb", "c\\td"]}
            sampler: {name: random, seed: 1}
            budget: {trials: 4, max_epochs: 2}
            """)
        let run = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"])
        try #require(run.status == 0, "\(run.output)")
    }

    @Test func trialsAreNamedByNumberBestLastOrFromTheEnd() throws {
        let h = try SweepHarness("trial-choice")
        defer { h.cleanUp() }
        try commandStudy(h)
        func shownNumber(_ choice: String, _ command: String = "show") throws -> String {
            let (status, output) = try h.run([command, "c", choice, "--db", h.db])
            #expect(status == 0, "\(choice): \(output)")
            return output
        }
        #expect(try shownNumber("-1").hasPrefix("trial 3 of 'c'"))
        #expect(try shownNumber("last").hasPrefix("trial 3 of 'c'"))
        #expect(try shownNumber("-4").hasPrefix("trial 0 of 'c'"))
        #expect(try shownNumber("last-2").hasPrefix("trial 1 of 'c'"))
        #expect(try shownNumber("2").hasPrefix("trial 2 of 'c'"))
        // Every trial ends at loss 0.5: the best is the first of them.
        #expect(try shownNumber("best").hasPrefix("trial 0 of 'c'"))
        // `logs` takes the same names (and `--db` before the trial is no option value).
        let logs = try h.run(["logs", "--db", h.db, "c", "-1"]), third = try h.run(["logs", "c", "3", "--db", h.db])
        #expect(logs.status == 0 && logs.output == third.output, "\(logs.output)\n\(third.output)")
        for (args, message) in [(["show", "c", "-5"], "study 'c' has no trial -5 (counted from the end) (it has 4 trials, numbered 0...3)"),
                                (["show", "c", "4"], "study 'c' has no trial 4 (it has 4 trials, numbered 0...3)"),
                                (["show", "c", "x"], "error: The value 'x' is invalid for '<trial>'")] {
            let (status, output) = try h.run(args + ["--db", h.db])
            #expect(status == 2 && output.contains(message), "\(args): \(output)")
            #expect(!output.contains("Error: "), "one error prefix: \(output)")
        }
    }

    @Test func parameterValuesNeverBreakTheTrialsTable() throws {
        let h = try SweepHarness("trials-table")
        defer { h.cleanUp() }
        try commandStudy(h)
        let (status, table) = try h.run(["trials", "c", "--db", h.db])
        #expect(status == 0, "\(table)")
        let lines = table.split(separator: "\n")
        #expect(lines.count == 2 + 4, "a header, a rule and one line per trial:\n\(table)")
        let header = lines[0].split(separator: " ").map(String.init)
        #expect(header == ["#", "state", "loss", "epochs", "time", "param_epochs", "note"], "\(header)")
        #expect(lines.dropFirst(2).allSatisfy { $0.hasSuffix("a\\nb") || $0.hasSuffix("c\\td") }, "\(table)")
        // CSV keeps the value as it is (quoted), with the same distinct headers.
        let csv = try h.run(["trials", "c", "--db", h.db, "--format", "csv"])
        #expect(csv.output.hasPrefix("number,state,value,epochs,duration,attempt,worker,param_epochs,note\n"), "\(csv.output)")
        #expect(csv.output.contains("\"a\nb\""), "\(csv.output)")
    }

    /// `sweep predict` reads its samples and labels from pipes (`<(cmd)`, `-`) as from files,
    /// and an error names what the user gave, not a temporary copy.
    @Test func predictReadsPipes() throws {
        let h = try SweepHarness("predict-pipes")
        defer { h.cleanUp() }
        var rows = ["a,b,label"]
        for i in 0..<60 { rows.append("\(Double(i % 2) * 4 + Double(i % 7) * 0.1),\(Double(i % 5) * 0.2),\(i % 2 == 0 ? "even" : "odd")") }
        _ = try h.write("d.csv", rows.joined(separator: "\n") + "\n")
        let train = try h.write("t.yaml", """
            data: {dataset: csv, train_file: \(h.path("d.csv")), label: label, validation: 0.2, test: 0.2}
            model: {hidden: [8]}
            training: {epochs: 30, batch_size: 8, optimizer: {name: adam, learning_rate: 0.02}}
            """)
        let trained = try h.run(["train", train, "--save-model", h.path("m.swm")])
        try #require(trained.status == 0, "\(trained.output)")
        _ = try h.write("labels.txt", (0..<60).map { "\($0 % 2)" }.joined(separator: "\n") + "\n")
        let sweep = sweepBinary, model = h.path("m.swm"), data = h.path("d.csv"), labels = h.path("labels.txt")
        let fromFile = try h.run(["predict", model, data, "--labels", labels, "--format", "csv"])
        #expect(fromFile.status == 0, "\(fromFile.output)")
        for shell in ["'\(sweep)' predict '\(model)' <(cat '\(data)') --labels <(cat '\(labels)') --format csv",
                      "cat '\(data)' | '\(sweep)' predict '\(model)' - --labels '\(labels)' --format csv"] {
            let piped = try h.run("/bin/bash", ["-c", shell])
            #expect(piped.status == 0 && piped.output == fromFile.output, "\(shell):\n\(piped.output)")
        }
        let bad = try h.run("/bin/bash", ["-c", "'\(sweep)' predict '\(model)' <(printf 'x,y\\n1,2\\n')"])
        #expect(bad.status == 2 && bad.output.contains("/dev/fd/") && bad.output.contains("no feature column 'a'"), "\(bad.output)")
        #expect(!bad.output.contains("sweep-predict-"), "the message names the pipe, not the copy: \(bad.output)")
    }

    /// `sweep lr-find` locates data errors in the train file as `sweep train` does.
    @Test func lrFindLocatesDataErrors() throws {
        let h = try SweepHarness("lr-find-errors")
        defer { h.cleanUp() }
        _ = try h.write("d.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
        let file = try h.write("t.yaml", """
            model: {hidden: [4]}
            data:
              dataset: csv
              train_file: \(h.path("d.csv"))
              label: lable
            training: {epochs: 1, batch_size: 2, optimizer: {name: sgd, learning_rate: 0.1}}
            """)
        for command in ["lr-find", "train"] {
            let (status, output) = try h.run([command, file])
            #expect(status == 2, "\(command): \(output)")
            #expect(output.contains("t.yaml:3:3: data: ") && output.contains("no label column 'lable'; did you mean 'label'?"), "\(command): \(output)")
        }
    }
}
