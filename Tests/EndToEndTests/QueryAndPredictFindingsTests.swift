import Foundation
import Store
import Testing
import Training

/// What users trying the product ran into: trials named from the end, tables broken by
/// parameter values, pipes as inputs, workers started wrong, and messages that misled.
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
        // A flag before the trial is no option value: `--follow -1` follows the last trial.
        let followed = try h.run(["logs", "c", "--db", h.db, "--follow", "-1"], timeout: 60)
        #expect(followed.status == 0 && followed.output.hasPrefix(third.output), "\(followed.output)")
        for (args, message) in [(["show", "c", "-5"], "study 'c' has no trial last-4 (-5, counted from the end) (it has 4 trials, numbered 0...3)"),
                                (["show", "c", "last-20"], "study 'c' has no trial last-20 (-21, counted from the end)"),
                                (["show", "c", "4"], "study 'c' has no trial 4 (it has 4 trials, numbered 0...3)"),
                                (["show", "c", "x"], "error: The value 'x' is invalid for '<trial>'")] {
            let (status, output) = try h.run(args + ["--db", h.db])
            #expect(status == 2 && output.contains(message), "\(args): \(output)")
            #expect(!output.contains("Error: "), "one error prefix: \(output)")
        }
    }

    /// `SWEEP_DB=` (empty) named no file: the query failed on the path "". It is unset, as
    /// shells treat an empty variable; `--db ""` is a usage error.
    @Test func anEmptyDatabasePathIsUnsetOrRefused() throws {
        let h = try SweepHarness("empty-db-path")
        defer { h.cleanUp() }
        try commandStudy(h)
        let viaEnvironment = try h.run(SweepHarness.executable.path, ["studies", "--format", "csv"], environment: ["SWEEP_DB": h.db])
        #expect(viaEnvironment.status == 0 && viaEnvironment.output.contains("\nc,"), "\(viaEnvironment.output)")
        // Empty: the default ./sweep.db of the working directory (the harness's database).
        #expect(URL(fileURLWithPath: h.db).lastPathComponent == "sweep.db")
        let empty = try h.run(SweepHarness.executable.path, ["studies", "--format", "csv"], environment: ["SWEEP_DB": ""])
        #expect(empty.status == 0 && empty.output.contains("\nc,"), "\(empty.output)")
        let flag = try h.run(["studies", "--db", ""])
        #expect(flag.status == 2 && flag.output.contains("--db needs a path"), "\(flag.output)")
    }

    /// `sweep studies` of an empty database file exited 2 ("holds no study yet") while one
    /// whose studies were all deleted listed none (exit 0): both list none now.
    @Test func anEmptyDatabaseListsNoStudies() throws {
        let h = try SweepHarness("empty-db-file")
        defer { h.cleanUp() }
        let empty = h.path("empty.db")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let table = try h.run(["studies", "--db", empty])
        #expect(table.status == 0 && table.output == "no studies in \(empty)\n", "\(table.output)")
        let json = try h.run(["studies", "--db", empty, "--format", "json"])
        #expect(json.status == 0 && json.output.filter { !$0.isWhitespace } == "[]", "\(json.output)")
        // Naming a study in it is still an error, with the reason.
        let named = try h.run(["trials", "x", "--db", empty])
        #expect(named.status == 2 && named.output.contains("holds no study yet (the database is empty)"), "\(named.output)")
    }

    /// A mark that reorders text (U+202E) in a choice is shown escaped: "\u{202E}evil" read
    /// as "live" on a terminal, as control characters are (they were the only ones escaped).
    @Test func textReorderingMarksAreShownEscaped() throws {
        let h = try SweepHarness("bidi")
        defer { h.cleanUp() }
        let file = try h.write("b.yaml", "study: b\ncommand: [sh, t.sh]\nobjective: {metric: score, direction: minimize}\nparameters:\n  tag: {choice: [\"\\u202Eevil\", plain]}\nbudget: {trials: 1}\n")
        let checked = try h.run(["validate", file])
        #expect(checked.status == 0 && checked.output.contains("\\u{202E}evil") && !checked.output.contains("\u{202E}"), "\(checked.output)")
    }

    /// `sweep enqueue` echoed a choice holding a line break raw, over two lines.
    @Test func enqueueEchoesTheTrialOnOneLine() throws {
        let h = try SweepHarness("enqueue-one-line")
        defer { h.cleanUp() }
        try commandStudy(h)
        let queued = try h.run(["enqueue", "c", "epochs=2", "note=a\nb", "--db", h.db])
        #expect(queued.status == 0, "\(queued.output)")
        let lines = queued.output.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasSuffix("epochs=2 note=a\\nb"), "\(queued.output)")
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
        _ = try trainClassifier(h)
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
        // A gzipped table is read as training reads it (it was taken for IDX: "bad IDX magic").
        let zipped = try h.tool("gzip", ["-k", data])
        #expect(zipped.status == 0, "\(zipped.output)")
        let fromGzip = try h.run(["predict", model, data + ".gz", "--labels", labels, "--format", "csv"])
        #expect(fromGzip.status == 0 && fromGzip.output == fromFile.output, "\(fromGzip.output)")
        // An endless pipe of zeros is refused after its first MiB (it was read whole: 1.4 GB/s of memory).
        let zeros = try h.run(["predict", model, "/dev/zero"], timeout: 60)
        #expect(zeros.status == 2 && zeros.output.contains("/dev/zero: its first 1048576 bytes are all zero"), "\(zeros.output)")
    }

    /// Images already scaled to 0..1 given to a model trained on pixels 0-255 were divided by
    /// 255 again without a word; a note says so (and not for pixels).
    @Test func predictNotesImagesAlreadyScaledForAPixelModel() throws {
        let h = try SweepHarness("predict-scaled")
        defer { h.cleanUp() }
        let file = try h.write("f.yaml", "seed: 1\ndata: {dataset: fashion_mnist, validation: 100, train_limit: 300, test_limit: 50}\nmodel: {hidden: [8]}\ntraining: {epochs: 1, batch_size: 32}\n")
        let trained = try h.run(["train", file, "--save-model", h.path("m.swm")], timeout: 120)
        try #require(trained.status == 0, "\(trained.output)")
        let made = try h.run("/usr/bin/python3", ["-c", "import numpy as np; r = np.random.default_rng(1).integers(0, 256, (4, 28, 28)); np.save('pixels.npy', r.astype(np.uint8)); np.save('scaled.npy', (r / 255).astype(np.float32))"])
        try #require(made.status == 0, "\(made.output)")
        let scaled = try h.run(["predict", h.path("m.swm"), h.path("scaled.npy")])
        #expect(scaled.status == 0 && scaled.output.contains("note: every value of \(h.path("scaled.npy")) is within 0..1, but the model divides its inputs by 255"), "\(scaled.output)")
        let pixels = try h.run(["predict", h.path("m.swm"), h.path("pixels.npy")])
        #expect(pixels.status == 0 && !pixels.output.contains("within 0..1"), "\(pixels.output)")
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
        // A curve of a few steps is said to be rough (iris's 6 steps suggested 1 without a word).
        _ = try h.write("e.csv", "a,b,label\n" + (0..<40).map { "\($0 % 7),\($0 % 5),\($0 % 2 == 0 ? "x" : "y")" }.joined(separator: "\n") + "\n")
        let few = try h.run(["lr-find", try h.write("f.yaml", try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "d.csv", with: "e.csv").replacingOccurrences(of: "lable", with: "label"))])
        // (Six noisy steps may also give none: the loss lowest at the first.)
        #expect(few.status == 0 && (few.output.contains("suggested learning rate") || few.output.contains("no suggestion"))
                && few.output.contains("note: only ") && few.output.contains("the suggestion is rough"), "\(few.output)")
    }

    /// A worker started without --allow-commands is told to leave a command study (exit 1,
    /// saying what to do) instead of failing every trial in a second; a second worker with a
    /// live worker's --id is told to leave too. The study then finishes on the right workers.
    @Test func workersStartedWrongAreToldWhyAndSpendNoTrial() throws {
        let h = try SweepHarness("admission")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("nc.yaml", """
            study: nc
            objective: {metric: loss, direction: minimize}
            command: [sh, -c, "sleep 0.3; echo '{\\"epoch\\": 1, \\"loss\\": 1}' >&$SWEEP_REPORT_FD"]
            parameters: {x: {uniform: [0, 1]}}
            budget: {trials: 6, max_epochs: 1}
            """)
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let plain = try h.run(["worker", "--connect", endpoint, "--id", "plain"], timeout: 60)
        #expect(plain.status == 1, "\(plain.output)")
        #expect(plain.output.contains("was started without --allow-commands: restart it with `sweep worker --allow-commands"), "\(plain.output)")
        #expect(try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "nc").id) }.isEmpty, "no trial spent")
        // The coordinator's console says it too (it waited without a word).
        #expect(h.waitFor(timeout: 10) { h.logText("coordinator.log").contains("refused worker plain: study 'nc' runs command trials") }, "\(h.logText("coordinator.log"))")
        let able = try h.start(["worker", "--connect", endpoint, "--id", "able", "--allow-commands"], log: "able.log")
        defer { if able.isRunning { able.terminate() } }
        try #require(h.waitFor(timeout: 60) { ((try? runningCount(h, study: "nc")) ?? 0) >= 1 }, "\(h.logText("able.log"))")
        let twin = try h.run(["worker", "--connect", endpoint, "--id", "able", "--allow-commands"], timeout: 60)
        #expect(twin.status == 1 && twin.output.contains("worker id 'able' is in use by another worker"), "\(twin.output)")
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0, "\(h.logText("coordinator.log"))")
        let (trials, attempts) = try h.reader().read { q in
            let trials = try q.trials(studyID: try q.requireStudy(named: "nc").id)
            return (trials, try trials.flatMap { try q.attempts(trialID: $0.id) })
        }
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
        // One run each: the twin took none away. (`able`, its connection closed by the twin,
        // is asked who it is and says hello again: a trial it held ahead and had not started
        // is handed back without fault, RETURNED, and runs once.)
        let ran = attempts.filter { $0.outcome != .returned }
        #expect(ran.count == 6 && ran.allSatisfy { $0.outcome == .complete }, "\(attempts.map { ($0.outcome, $0.error ?? "") })")
        #expect(attempts.filter { $0.outcome == .returned }.allSatisfy { ($0.error ?? "").contains("before starting it") }, "\(attempts.map { ($0.outcome, $0.error ?? "") })")
        // The twin took the id's connection (ROUTER_HANDOVER) for a moment: `able` was not
        // heard for 5 s, declared lost, and its trial STALE, until the old connection was closed.
        let lost = try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: "nc").id, kinds: [.workerLost, .stale]) }
        #expect(lost.isEmpty, "\(lost.map(\.message))")
    }

    /// A `sweep worker` started beside the coordinator (from the wrong shell or environment)
    /// that fails every trial is named when the study gives up: it was taken for one of the
    /// coordinator's own local workers, and the message looked like a broken program.
    @Test func aBrokenWorkerOfThisMachineIsNamedWhenTheStudyGivesUp() throws {
        let h = try SweepHarness("named-worker")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("b.yaml", """
            study: b
            objective: {metric: loss, direction: minimize}
            command: [sh, -c, "echo 'ImportError: torch' >&2; exit 3"]
            parameters: {x: {uniform: [0, 1]}}
            budget: {trials: 20, max_epochs: 1}
            """)
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let bad = try h.run(["worker", "--connect", endpoint, "--id", "bad", "--allow-commands"], timeout: 60)
        #expect(h.waitFor(timeout: 60) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 1 && h.logText("coordinator.log").contains("all failed, all on worker bad on "), "\(h.logText("coordinator.log"))\n\(bad.output)")
    }

    /// A `sweep worker` started from a shell without the program's environment, beside a good
    /// worker of the same machine, is held back after three failures (then quarantined): the
    /// good one vouched for the host, and the broken one failed 14 of 16 trials in 54 ms.
    @Test func aBrokenWorkerBesideAGoodOneOfThisMachineIsHeldBack() throws {
        let h = try SweepHarness("broken-beside")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        _ = try h.write("prog.sh", "if [ -n \"$BROKEN\" ]; then echo 'ImportError: torch' >&2; exit 3; fi\nsleep 0.2\necho '{\"epoch\": 1, \"loss\": 1}' >&3\n")
        let file = try h.write("q.yaml", "study: q\nobjective: {metric: loss, direction: minimize}\ncommand: [sh, prog.sh]\nparameters: {x: {uniform: [0, 1]}}\nbudget: {trials: 16, max_epochs: 1}\n")
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let good = try h.start(["worker", "--connect", endpoint, "--id", "good", "--allow-commands"], log: "good.log")
        defer { if good.isRunning { good.terminate() } }
        try #require(h.waitFor(timeout: 60) { ((try? h.trials(of: "q")) ?? []).contains { $0.state == .complete } }, "\(h.logText("good.log"))")
        // From another shell (its own parent process), as a user starts it.
        let bad = try h.run("/bin/sh", ["-c", "\(SweepHarness.executable.path) worker --connect \(endpoint) --id bad --allow-commands; exit $?"],
                            timeout: 120, environment: ["BROKEN": "1"])
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let trials = try h.trials(of: "q")
        #expect(trials.count == 16 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state)) \(bad.output)")
        #expect(bad.output.contains("3 trial(s) done (3 failed)"), "\(bad.output)")
    }

    /// Messages that named the wrong thing: retrain of a command study, logs of a synthetic
    /// one, a failed trial's output shown twice, a report into a missing directory, and a
    /// W&B file's problem located in the converted text instead of the file.
    @Test func messagesNameWhatIsWrong() throws {
        let h = try SweepHarness("messages")
        defer { h.cleanUp() }
        _ = try h.write("fail.sh", "echo some output; echo the cause >&2; exit 3\n")
        let command = try h.write("f.yaml", """
            study: f
            objective: {metric: loss, direction: minimize}
            command: [sh, fail.sh]
            parameters: {x: {uniform: [0, 1]}}
            budget: {trials: 1, max_epochs: 1}
            """)
        _ = try h.run(["run", command, "--db", h.db, "--workers", "1", "--no-progress"])
        let retrain = try h.run(["retrain", "f", "--trial", "0", "--db", h.db])
        #expect(retrain.status == 2 && retrain.output.contains("runs your own program (command trials)"), "\(retrain.output)")
        let show = try h.run(["show", "f", "0", "--db", h.db])
        #expect(show.output.components(separatedBy: "the cause").count == 2, "the stderr tail once:\n\(show.output)")
        let synthetic = try h.write("s.yaml", syntheticSweep(study: "s", trials: 1, epochs: 1, sleep: 0))
        #expect(try h.run(["run", synthetic, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let logs = try h.run(["logs", "s", "0", "--db", h.db])
        #expect(logs.status == 2 && logs.output.contains("runs synthetic trials, which have no program output; `sweep show s 0`"), "\(logs.output)")
        let report = try h.run(["report", "s", "--db", h.db, "-o", "/nonexistent-dir/x.html"])
        // Bad input, exit 2, as a --db in a missing directory is (it was 1).
        #expect(report.status == 2 && report.output.contains("cannot write /nonexistent-dir/x.html: the directory /nonexistent-dir does not exist"), "\(report.output)")
        let export = try h.run(["export", "s", "--db", h.db, "--out", "/nonexistent-dir/x.csv", "--format", "csv"])
        #expect(export.status == 2 && export.output.contains("the directory /nonexistent-dir does not exist"), "\(export.output)")
        let wandb = try h.write("w.yaml", "program: t.py\nmethod: random\nmetric: {name: l}\nrun_cap: 3\nparameters:\n  a:\n    values: [1]\n  lr:\n    distribution: log_uniform_values\n    min: 0.5\n    max: 0.1\n")
        for command in ["convert", "validate"] {
            let out = try h.run(command == "convert" ? ["convert", "wandb", wandb] : ["validate", wandb])
            #expect(out.status == 2 && out.output.contains("w.yaml:10:10: parameters.lr.min: min 0.5 is greater than max 0.1"), "\(command): \(out.output)")
        }
    }

    /// A second trial's findings: a regression retrain prints its regression metrics (not
    /// `accuracy nan`); `predict` takes `.npy` labels, and its hints speak of the file, not of
    /// `data` settings it does not have; `trials --sort` knows what the trials reported.
    @Test func regressionRetrainNpyLabelsAndPredictionHints() throws {
        let h = try SweepHarness("second-trial")
        defer { h.cleanUp() }
        var rows = ["a,b,y"]
        for i in 0..<80 { rows.append("\(Double(i % 9) * 0.5),\(Double(i % 7)),\(Double(i % 9) + 0.1 * Double(i % 7))") }
        _ = try h.write("r.csv", rows.joined(separator: "\n") + "\n")
        let regression = try h.write("r.yaml", """
            study: r
            data: {dataset: csv, train_file: \(h.path("r.csv")), label: y, task: regression, scaling: standardize}
            model: {hidden: [8]}
            training: {epochs: 3, optimizer: {name: adam, learning_rate: {loguniform: [0.001, 0.01]}}}
            sampler: {name: random}
            budget: {trials: 2}
            """)
        #expect(try h.run(["run", regression, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        // Without task: regression the same target reads as 63 classes of ~1 sample: said.
        let asClasses = try h.write("c.yaml", "data: {dataset: csv, train_file: \(h.path("r.csv")), label: y}\nmodel: {hidden: [8]}\ntraining: {epochs: 1}\n")
        let noted = try h.run(["validate", asClasses])
        #expect(noted.status == 0 && noted.output.contains("the labels are 63 distinct numbers for 80 samples, read as classes: a numeric target? set data.task: regression"), "\(noted.output)")
        #expect(!(try h.run(["validate", regression]).output.contains("a numeric target?")))
        let retrain = try h.run(["retrain", "r", "--db", h.db])
        #expect(retrain.status == 0 && retrain.output.contains("test_rmse ") && retrain.output.contains("test_r2 ") && !retrain.output.contains("nan"), "\(retrain.output)")
        // A regression model scored with .npy targets, as training takes them ("cannot read as UTF-8").
        let trainR = try h.write("rt.yaml", "data: {dataset: csv, train_file: \(h.path("r.csv")), label: y, task: regression}\nmodel: {hidden: [8]}\ntraining: {epochs: 2}\n")
        #expect(try h.run(["train", trainR, "--save-model", h.path("r.swm")]).status == 0)
        try runPython(h, """
            import numpy as np
            rows = [l.split(',') for l in open('\(h.path("r.csv"))').read().split()[1:]]
            np.save('\(h.path("rx.npy"))', np.array([[float(r[0]), float(r[1])] for r in rows], dtype=np.float32))
            np.save('\(h.path("ry.npy"))', np.array([float(r[2]) for r in rows], dtype=np.float64))
            """)
        let fromNpy = try h.run(["predict", h.path("r.swm"), h.path("rx.npy"), "--labels", h.path("ry.npy")])
        let fromTable = try h.run(["predict", h.path("r.swm"), h.path("r.csv")])
        #expect(fromNpy.status == 0 && fromNpy.output.contains("rmse ") && fromNpy.output == fromTable.output, "\(fromNpy.output)\n\(fromTable.output)")
        let listed = try h.run(["retrain", "r", "--db", h.db, "--list"])
        #expect(listed.output.contains("test rmse") && !listed.output.contains("test accuracy"), "\(listed.output)")
        // Data changed since the study began is refused, as by resume (it trained on whatever
        // the file held and recorded the score), unless --force; a missing file is exit 2.
        _ = try h.write("r.csv", rows.prefix(60).joined(separator: "\n") + "\n")
        let changed = try h.run(["retrain", "r", "--db", h.db])
        #expect(changed.status == 2 && changed.output.contains("the data of study 'r' changed since it started") && !changed.output.contains("retraining"), "\(changed.output)")
        #expect(try h.run(["retrain", "r", "--db", h.db, "--force"]).status == 0)
        try FileManager.default.removeItem(atPath: h.path("r.csv"))
        let gone = try h.run(["retrain", "r", "--db", h.db])
        #expect(gone.status == 2 && gone.output.contains("r.csv") && !gone.output.contains("retraining"), "\(gone.output)")
        _ = try h.write("r.csv", rows.joined(separator: "\n") + "\n")
        // Without a test split retrain is refused before it trains (it trained every epoch, then failed).
        let noTest = try h.write("nt.yaml", try String(contentsOfFile: regression, encoding: .utf8)
            .replacingOccurrences(of: "study: r", with: "study: nt").replacingOccurrences(of: "scaling: standardize}", with: "scaling: standardize, test: 0}"))
        #expect(try h.run(["run", noTest, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let refused = try h.run(["retrain", "nt", "--db", h.db])
        #expect(refused.status == 2 && refused.output.contains("study 'nt' has no test split") && !refused.output.contains("epoch 1/"), "\(refused.output)")
        let sorted = try h.run(["trials", "r", "--db", h.db, "--sort", "val_accuracy"])
        #expect(sorted.status == 2 && sorted.output.contains("not a metric of study 'r'"), "\(sorted.output)")

        // A classifier on a headed table; its prediction input must have the header too.
        let table = try trainClassifier(h)
        try runPython(h, """
            import numpy as np
            rows = [l.split(',') for l in open('\(h.path("d.csv"))').read().split()[1:]]
            np.save('\(h.path("x.npy"))', np.array([[float(r[0]), float(r[1])] for r in rows], dtype=np.float32))
            np.save('\(h.path("y.npy"))', np.array([0 if r[2] == 'even' else 1 for r in rows], dtype=np.int64))
            """)
        let npy = try h.run(["predict", h.path("m.swm"), h.path("x.npy"), "--labels", h.path("y.npy")])
        #expect(npy.status == 0 && npy.output.contains("accuracy "), "\(npy.output)")
        _ = try h.write("nohdr.csv", table.dropFirst().prefix(3).joined(separator: "\n") + "\n")
        let headerless = try h.run(["predict", h.path("m.swm"), h.path("nohdr.csv")])
        #expect(headerless.status == 2 && headerless.output.contains("this model reads a table whose first row names its columns")
                && !headerless.output.contains("data.header"), "\(headerless.output)")
        _ = try h.write("gap.csv", "a,b\n,0.2\n")
        let gap = try h.run(["predict", h.path("m.swm"), h.path("gap.csv")])
        #expect(gap.status == 2 && gap.output.contains("sweep predict needs every feature value") && !gap.output.contains("data.missing"), "\(gap.output)")
    }

    /// A model trained with `missing: mean` fills missing prediction inputs with the training
    /// split's means, as training did (it refused every row with a gap before).
    @Test func predictFillsMissingValuesAsTrainingDid() throws {
        let h = try SweepHarness("predict-missing")
        defer { h.cleanUp() }
        try trainClassifier(h, missing: "mean", gaps: true)
        let fill = try #require(try Model(path: h.path("m.swm")).missingFill)
        #expect(fill.count == 2 && fill.allSatisfy { $0 > 0 }, "\(fill)")
        _ = try h.write("gaps.csv", "a,b\n,0.2\n4.1,NA\n0.3,0.4\n")
        _ = try h.write("filled.csv", "a,b\n\(fill[0]),0.2\n4.1,\(fill[1])\n0.3,0.4\n")
        let gaps = try h.run(["predict", h.path("m.swm"), h.path("gaps.csv")])
        let filled = try h.run(["predict", h.path("m.swm"), h.path("filled.csv")])
        #expect(gaps.status == 0 && filled.status == 0, "\(gaps.output)\n\(filled.output)")
        #expect(gaps.output == filled.output && gaps.output.split(separator: "\n").count >= 4, "\(gaps.output)\n\(filled.output)")
        // Only missing values are filled: text or a number written otherwise is refused, with
        // its place (both were predicted as the training mean without a word).
        for (bad, text) in [("text.csv", "abc"), ("grouped.csv", "\"1,234.5\"")] {
            _ = try h.write(bad, "a,b\n0.1,0.2\n0.5,\(text)\n")
            let refused = try h.run(["predict", h.path("m.swm"), h.path(bad)])
            #expect(refused.status == 2 && refused.output.contains("\(bad):3:5: '\(text.replacingOccurrences(of: "\"", with: ""))' in column 'b' is not a finite number"), "\(refused.output)")
        }
        // Labels none of which is a class of the model: said so, not "accuracy 0.0000 (0 of 0)".
        _ = try h.write("other.csv", "a,b,label\n0.1,0.2,maybe\n4.1,0.4,perhaps\n")
        let other = try h.run(["predict", h.path("m.swm"), h.path("other.csv")])
        #expect(other.status == 0 && other.output.contains("accuracy: none of the 2 labels is one of the model's classes (even, odd)"), "\(other.output)")
        _ = try h.write("some.csv", "a,b,label\n0.1,0.2,even\n4.1,0.4,perhaps\n")
        let some = try h.run(["predict", h.path("m.swm"), h.path("some.csv")])
        #expect(some.output.contains("(1 of 1 samples); 1 sample(s) without a label among the model's classes left out"), "\(some.output)")
    }

    /// Trains `m.swm` on `d.csv` (60 rows: a, b, and the label even/odd, which a separates);
    /// returns the table's lines, header first. `gaps` leaves some values out.
    @discardableResult
    func trainClassifier(_ h: SweepHarness, missing: String = "error", gaps: Bool = false) throws -> [String] {
        var rows = ["a,b,label"]
        for i in 0..<60 {
            let a = gaps && i % 11 == 3 ? "" : "\(Double(i % 2) * 4 + Double(i % 7) * 0.1)"
            let b = gaps && i % 13 == 5 ? "NA" : "\(Double(i % 5) * 0.2)"
            rows.append("\(a),\(b),\(i % 2 == 0 ? "even" : "odd")")
        }
        _ = try h.write("d.csv", rows.joined(separator: "\n") + "\n")
        let train = try h.write("t.yaml", """
            data: {dataset: csv, train_file: \(h.path("d.csv")), label: label, validation: 0.2, test: 0.2, missing: \(missing)}
            model: {hidden: [8]}
            training: {epochs: 30, batch_size: 8, optimizer: {name: adam, learning_rate: 0.02}}
            """)
        let trained = try h.run(["train", train, "--save-model", h.path("m.swm")])
        try #require(trained.status == 0, "\(trained.output)")
        return rows
    }

    func runPython(_ h: SweepHarness, _ script: String) throws {
        let (status, output) = try h.run("/usr/bin/python3", ["-c", script])
        try #require(status == 0, "\(output)")
    }

    /// The probability columns of `predict`'s table carry their class's whole name (three
    /// classes `customer_segment_1/2/3` were all headed `customer_se`).
    @Test func predictTableNamesEachClassInFull() throws {
        let h = try SweepHarness("predict-long-names")
        defer { h.cleanUp() }
        let rows = (0..<60).map { i in "\(Double(i % 3) * 2 + Double(i % 5) * 0.1),\(Double(i % 4) * 0.3),customer_segment_\(i % 3 + 1)" }
        _ = try h.write("d.csv", (["a,b,segment"] + rows).joined(separator: "\n") + "\n")
        let train = try h.write("t.yaml", "data: {dataset: csv, train_file: \(h.path("d.csv")), label: segment}\nmodel: {hidden: [8]}\ntraining: {epochs: 2}\n")
        try #require(try h.run(["train", train, "--save-model", h.path("m.swm")]).status == 0)
        let out = try h.run(["predict", h.path("m.swm"), h.path("d.csv"), "--limit", "3"])
        let header = out.output.split(separator: "\n").first.map(String.init) ?? ""
        #expect(out.status == 0 && (1...3).allSatisfy { header.contains("customer_segment_\($0)") }, "\(out.output)")
    }

    /// New data from another export (commas and decimal points, where the model was trained
    /// on semicolons and decimal commas) is read with `--separator` and `--decimal`; without
    /// them the error says which to give (there was no way to read it).
    @Test func predictReadsATableWrittenAnotherWay() throws {
        let h = try SweepHarness("predict-separator")
        defer { h.cleanUp() }
        let rows: [(Double, Double, String)] = (0..<60).map { (i: Int) -> (Double, Double, String) in
            let x: Double = Double(i % 3) * 2 + Double(i % 5) * 0.1
            return (x, Double(i % 4) * 0.3, ["a", "b", "c"][i % 3])
        }
        _ = try h.write("eu.csv", (["x;y;kind"] + rows.map { "\(String($0.0).replacingOccurrences(of: ".", with: ","));\(String($0.1).replacingOccurrences(of: ".", with: ","));\($0.2)" }).joined(separator: "\n") + "\n")
        _ = try h.write("us.csv", (["x,y,kind"] + rows.prefix(5).map { "\($0.0),\($0.1),\($0.2)" }).joined(separator: "\n") + "\n")
        let train = try h.write("t.yaml", "data: {dataset: csv, train_file: \(h.path("eu.csv")), label: kind, separator: ';', decimal: ','}\nmodel: {hidden: [8]}\ntraining: {epochs: 2}\n")
        try #require(try h.run(["train", train, "--save-model", h.path("m.swm")]).status == 0)
        let refused = try h.run(["predict", h.path("m.swm"), h.path("us.csv")])
        #expect(refused.status == 2 && refused.output.contains("this one seems separated by ',' (sweep predict --separator ',')"), "\(refused.output)")
        let read = try h.run(["predict", h.path("m.swm"), h.path("us.csv"), "--separator", ",", "--decimal", ".", "--format", "csv"])
        #expect(read.status == 0 && read.output.split(separator: "\n").count == 6, "\(read.output)")
        // The same rows as the training file's give the same predictions.
        let same = try h.run(["predict", h.path("m.swm"), h.path("eu.csv"), "--limit", "5", "--format", "csv"])
        let sameLines: [String] = same.output.split(separator: "\n").map(String.init)
        let readLines: [String] = read.output.split(separator: "\n").map(String.init)
        #expect(same.status == 0 && sameLines == readLines, "\(same.output)\n\(read.output)")
        let bad = try h.run(["predict", h.path("m.swm"), h.path("us.csv"), "--separator", ",", "--decimal", ","])
        #expect(bad.status == 2 && bad.output.contains("the decimal mark and the field separator are both ','"), "\(bad.output)")
    }

    /// A class name over 40 columns is cut with a mark, and the table says so: two names
    /// alike in their first 40 characters printed the same, unmarked.
    @Test func predictTableMarksClassNamesItCuts() throws {
        let h = try SweepHarness("predict-cut-names")
        defer { h.cleanUp() }
        let stem = String(repeating: "x", count: 45)
        let rows = (0..<60).map { i in "\(Double(i % 2) * 2 + Double(i % 5) * 0.1),\(Double(i % 4) * 0.3),\(stem)_\(i % 2)" }
        _ = try h.write("d.csv", (["a,b,kind"] + rows).joined(separator: "\n") + "\n")
        let train = try h.write("t.yaml", "data: {dataset: csv, train_file: \(h.path("d.csv")), label: kind}\nmodel: {hidden: [8]}\ntraining: {epochs: 2}\n")
        try #require(try h.run(["train", train, "--save-model", h.path("m.swm")]).status == 0)
        let out = try h.run(["predict", h.path("m.swm"), h.path("d.csv"), "--limit", "3"])
        let lines = out.output.split(separator: "\n").map(String.init)
        // Cut inside, their ends kept: the two names stay apart.
        let header = lines.first ?? ""
        #expect(out.status == 0 && header.contains("~" + String(repeating: "x", count: 11) + "_0") && header.contains("~" + String(repeating: "x", count: 11) + "_1")
                && !out.output.contains(stem + "_"), "\(out.output)")
        #expect(lines.contains("(class names longer than 40 columns are cut inside, marked ~; --format csv has them whole)"), "\(out.output)")

        let csv = try h.run(["predict", h.path("m.swm"), h.path("d.csv"), "--limit", "3", "--format", "csv"])
        #expect(csv.output.contains(stem + "_0") && csv.output.contains(stem + "_1"), "\(csv.output)")
    }

    /// `--labels` takes the model's class names as well as integers (a file of names was
    /// refused), and a label that is none of the model's classes is left out and counted
    /// (an integer past the last class crashed the command).
    @Test func predictLabelsAreClassNamesOrIntegers() throws {
        let h = try SweepHarness("predict-label-names")
        defer { h.cleanUp() }
        let table = try trainClassifier(h)
        let rows = table.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        _ = try h.write("x.csv", (["a,b"] + rows.map { "\($0[0]),\($0[1])" }).joined(separator: "\n") + "\n")
        let names = rows.map { $0[2] }
        _ = try h.write("names.txt", (["label"] + names).joined(separator: "\n") + "\n")
        _ = try h.write("bare.txt", names.joined(separator: "\n") + "\n")
        _ = try h.write("ints.txt", names.map { $0 == "even" ? "0" : "1" }.joined(separator: "\n") + "\n")
        _ = try h.write("odd-ones.txt", ([names[0], "ood", "7"] + names.dropFirst(3)).joined(separator: "\n") + "\n")
        let accuracy = { (file: String) throws -> String in
            let r = try h.run(["predict", h.path("m.swm"), h.path("x.csv"), "--labels", h.path(file)])
            #expect(r.status == 0, "\(file): \(r.output)")
            return r.output.split(separator: "\n").last.map(String.init) ?? ""
        }
        let byName = try accuracy("names.txt")
        #expect(byName.hasPrefix("accuracy ") && byName.contains(" of 60 samples)"), "\(byName)")
        #expect(try accuracy("bare.txt") == byName)
        #expect(try accuracy("ints.txt") == byName)
        // Integers written as floats, as numpy's savetxt writes them, are integer labels.
        _ = try h.write("floats.txt", names.map { $0 == "even" ? "0.000000000000000000e+00" : "1.0" }.joined(separator: "\n") + "\n")
        #expect(try accuracy("floats.txt") == byName)
        let partly = try accuracy("odd-ones.txt")
        #expect(partly.contains(" of 58 samples); 2 sample(s) without a label among the model's classes left out"), "\(partly)")
        // A first label of an unknown class reads as a header, and so the count is one short:
        // the refusal says which line was taken for a header (a header with a label missing
        // looks the same, so neither is guessed).
        _ = try h.write("unknown-first.txt", (["ood"] + names.dropFirst()).joined(separator: "\n") + "\n")
        let first = try h.run(["predict", h.path("m.swm"), h.path("x.csv"), "--labels", h.path("unknown-first.txt")])
        #expect(first.status == 2 && first.output.contains("has 59 labels for the 60 samples") && first.output.contains("its first line, 'ood', was read as a header: if it is a label, add a header line above it"), "\(first.output)")
        _ = try h.write("two.csv", "label,weight\n" + names.map { "\($0),1" }.joined(separator: "\n") + "\n")
        let two = try h.run(["predict", h.path("m.swm"), h.path("x.csv"), "--labels", h.path("two.csv")])
        #expect(two.status == 2 && two.output.contains("two.csv line 1: expected one label per line"), "\(two.output)")
    }

    /// Integer labels that do not start at 0 (1 and 2, whose class names are their values)
    /// are scored as the table's own label column scores them (label 1 was taken for class
    /// index 1, the second class, and the accuracy was wrong without a word).
    @Test func predictLabelsOfIntegerClassesFromOne() throws {
        let h = try SweepHarness("predict-labels-from-one")
        defer { h.cleanUp() }
        var rows = ["a,b,y"]
        for i in 0..<60 { rows.append("\(Double(i % 2) * 4 + Double(i % 7) * 0.1),\(Double(i % 5) * 0.2),\(i % 2 + 1)") }
        _ = try h.write("d.csv", rows.joined(separator: "\n") + "\n")
        let train = try h.write("t.yaml", "data: {dataset: csv, train_file: \(h.path("d.csv")), label: y, validation: 0.2, test: 0.2}\nmodel: {hidden: [8]}\ntraining: {epochs: 30, batch_size: 8, optimizer: {name: adam, learning_rate: 0.02}}\n")
        try #require(try h.run(["train", train, "--save-model", h.path("m.swm")]).status == 0)
        let parts = rows.dropFirst().map { $0.split(separator: ",").map(String.init) }
        _ = try h.write("x.csv", (["a,b"] + parts.map { "\($0[0]),\($0[1])" }).joined(separator: "\n") + "\n")
        _ = try h.write("y.txt", parts.map { $0[2] }.joined(separator: "\n") + "\n")
        let byTable = try h.run(["predict", h.path("m.swm"), h.path("d.csv")])
        let byLabels = try h.run(["predict", h.path("m.swm"), h.path("x.csv"), "--labels", h.path("y.txt")])
        let last = { (r: (status: Int32, output: String)) in r.output.split(separator: "\n").last.map(String.init) ?? "" }
        #expect(byTable.status == 0 && last(byTable).hasPrefix("accuracy ") && last(byTable).hasSuffix(" of 60 samples)"), "\(byTable.output)")
        #expect(last(byLabels) == last(byTable), "\(byLabels.output)")
    }

    /// The per-epoch curve of `sweep show` names the objective's column after it, once
    /// (an objective named `value` had two `value` columns).
    @Test func showNamesTheObjectivesColumnOnce() throws {
        let h = try SweepHarness("show-value")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import sys
            sys.path.insert(0, '\(pythonClientPath)')
            import sweep_client as sweep
            for e in range(1, 3):
                sweep.report(epoch=e, value=1.0 / e, acc=0.5)
            """)
        let file = try h.write("v.yaml", """
            study: v
            objective: {metric: value, direction: minimize}
            program: train.py
            command: [python3, "${program}"]
            parameters:
              x: {uniform: [0, 1]}
            budget: {trials: 1, max_epochs: 2}
            """)
        let run = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"])
        try #require(run.status == 0, "\(run.output)")
        let show = try h.run(["show", "v", "0", "--db", h.db]).output
        let header = try #require(show.split(separator: "\n").first { $0.contains("epoch") && $0.contains("decision") }, "\(show)")
        #expect(header.split(separator: " ").map(String.init) == ["epoch", "value", "acc", "decision"], "\(show)")
        #expect(show.split(separator: "\n").contains { $0.split(separator: " ").map(String.init) == ["2", "0.5", "0.5", "continue"] }, "\(show)")
    }
}
