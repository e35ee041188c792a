import Foundation
import Store
import Testing
import SweepFile

/// The repository's Python client (`clients/python`), put on PYTHONPATH by the sweeps below.
let pythonClientPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("clients/python").path

/// A command sweep running `command` (a YAML list) with one parameter `x` in [0, 10].
func commandSweep(study: String, command: String, trials: Int, epochs: Int, extra: String = "", pruner: String = "{name: none}") -> String {
    """
    study: \(study)
    objective: {metric: loss, direction: minimize}
    command: \(command)
    environment: {PYTHONPATH: "\(pythonClientPath)"}
    \(extra)
    parameters:
      x: {uniform: [0, 10]}
      flag: {choice: [true, false]}
      name: {choice: [alpha, beta]}
    sampler: {name: random}
    pruner: \(pruner)
    budget: {trials: \(trials), max_epochs: \(epochs)}
    retry: {max_attempts: 2}
    """
}

/// A Python program: `epochs` epochs of `sleep` s, loss = x * (1 + (E - e) / E) (larger x is
/// worse at every epoch); it appends each epoch it ran to `ran-TRIAL.txt` and stops when pruned.
func pythonTrainer(sleep: Double, epochs: Int) -> String {
    """
    import os, sys, time
    import sweep_client
    p = sweep_client.params()
    assert isinstance(p["flag"], bool) and p["name"] in ("alpha", "beta"), p
    assert "--x=" in " ".join(sys.argv), sys.argv
    for epoch in range(1, \(epochs) + 1):
        time.sleep(\(sleep))
        with open("ran-%s.txt" % os.environ["SWEEP_TRIAL"], "a") as f:
            f.write("%d %d\\n" % (epoch, os.getpid()))
        if sweep_client.report(epoch, loss=p["x"] * (1 + (\(epochs) - epoch) / \(epochs)), other=1.5):
            break
    print("done", file=sys.stderr)
    """
}

func trialsAndCurves(_ h: SweepHarness, _ study: String) throws -> [(TrialRecord, [IntermediateRecord], [AttemptRecord])] {
    try h.reader().read { q in
        let s = try q.requireStudy(named: study)
        return try q.trials(studyID: s.id).map { ($0, try q.intermediates(trialID: $0.id), try q.attempts(trialID: $0.id)) }
    }
}

extension SweepHarness {
    /// The first RUNNING trial of `study` past its first epoch, and its worker (waits for one).
    func runningTrial(study: String, timeout: Double) -> (trial: Int, worker: String)? {
        var found: (trial: Int, worker: String)?
        waitFor(timeout: timeout) {
            guard FileManager.default.fileExists(atPath: db), let r = try? reader(),
                  let t = try? r.read({ q -> TrialRecord? in
                      guard let s = try q.study(named: study) else { return nil }
                      return try q.trials(studyID: s.id, states: [.running]).first { $0.epochs >= 1 }
                  }), let w = t.worker else { return false }
            found = (t.number, w)
            return true
        }
        return found
    }
}

/// Whether a process with this pid exists (a zombie of ours counts as gone).
func processExists(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return !stat.contains(") Z ")
}

@Suite(.serialized) struct CommandTrialTests {
    @Test func pythonSweepOnTwoWorkersStopsPrunedTrialsAtTheDecidedEpoch() throws {
        let h = try SweepHarness("cmd-median")
        defer { h.cleanUp() }
        _ = try h.write("train.py", pythonTrainer(sleep: 0.05, epochs: 5))
        let file = try h.write("s.yaml", commandSweep(study: "med", command: "[/usr/bin/python3, \"${program}\", \"${args}\"]\nprogram: train.py\nworking_directory: .", trials: 10, epochs: 5,
                                                      pruner: "{name: median, n_startup_trials: 2, n_warmup_steps: 0}"))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 180)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "med")
        #expect(trials.count == 10)
        #expect(trials.allSatisfy { $0.0.state == .complete || $0.0.state == .pruned }, "\(trials.map { ($0.0.number, $0.0.state, $0.0.error ?? "") })")
        let pruned = trials.filter { $0.0.state == .pruned }
        #expect(!pruned.isEmpty, "the median pruner pruned nothing")
        for (t, curve, _) in trials {
            let ran = h.logText("ran-\(t.number).txt").split(separator: "\n").map { Int($0.split(separator: " ")[0])! }
            if t.state == .pruned {
                let decided = try #require(curve.first { $0.pruned }?.step)
                #expect(ran.last == decided, "trial \(t.number) pruned at \(decided) but ran \(ran)")
            } else {
                #expect(ran == [1, 2, 3, 4, 5])
                #expect(abs(t.value! - t.params["x"]!.number!) < 1e-9, "the last reported loss is x")
                #expect(curve.last?.metrics["other"] == 1.5)
            }
        }
        // Each attempt's output is kept beside the database.
        #expect(FileManager.default.fileExists(atPath: h.db + ".logs/med/trial-0.attempt-1.err"))
    }

    /// A report of an epoch already reported (or an earlier one) is ignored and said to be
    /// one, with the line (it read "report line(s) ignored (a report is a JSON object of
    /// numbers); the first: ", and out-of-order epochs were dropped without a word).
    @Test func aRepeatedEpochIsNamedAsSuch() throws {
        let h = try SweepHarness("cmd-repeat")
        defer { h.cleanUp() }
        _ = try h.write("r.sh", """
            for e in 1 2 3 2 4; do echo "{\\"epoch\\": $e, \\"loss\\": $e}" >&3; done
            """)
        let file = try h.write("s.yaml", commandSweep(study: "rep", command: "[sh, r.sh]", trials: 1, epochs: 4))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "rep")
        #expect(trials.first?.0.state == .complete && trials.first?.1.map(\.step) == [1, 2, 3, 4], "\(trials.map { ($0.0.state, $0.1.map(\.step)) })")
        let err = h.logText("sweep.db.logs/rep/trial-0.attempt-1.err")
        #expect(err.contains(#"[sweep] 1 report(s) ignored: their epoch was not after the last one reported (epochs must increase: 1, 2, 3, ...); the first: {"epoch": 2, "loss": 2}"#), "\(err)")
        #expect(!err.contains("report line(s) ignored"), "\(err)")
    }

    /// A W&B script run unchanged (`import wandb`) failed with a bare traceback: the failure
    /// says to import the Python client in its place.
    @Test func aWandBScriptRunUnchangedIsToldToImportTheClient() throws {
        let h = try SweepHarness("cmd-wandb-import")
        defer { h.cleanUp() }
        _ = try h.write("train.py", "import wandb\nrun = wandb.init()\nwandb.log({'loss': 1.0})\n")
        // (-S: no site-packages, so a wandb installed on the machine is not found either.)
        let file = try h.write("s.yaml", commandSweep(study: "wb", command: "[python3, -S, train.py]", trials: 1, epochs: 1)
            .replacingOccurrences(of: "environment: {PYTHONPATH: \"\(pythonClientPath)\"}", with: ""))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 1, "\(output)")
        let failure = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "wb").id).first?.error } ?? ""
        #expect(failure.hasPrefix("the program exited with status 1; the program imports wandb: under Sweep a W&B script imports the Python client in its place, `import sweep_client as wandb`")
                && failure.contains("No module named 'wandb'"), "\(failure)")
    }

    @Test func crashHangNoReportAndGarbageEndAsTheyShould() throws {
        let h = try SweepHarness("cmd-fail")
        defer { h.cleanUp() }
        // The trial's number picks the misbehaviour.
        _ = try h.write("bad.sh", """
            case $SWEEP_TRIAL in
              0) echo '{"epoch": 1, "loss": 2}' >&3; echo "Traceback: something broke" >&2; exit 3 ;;
              1) echo '{"epoch": 1, "loss": 2}' >&3; sleep 60 ;;
              2) echo "nothing to report" ;;
              3) printf 'garbage\\n\\n  \\r\\n{"epoch": "x"}\\n[1,2]\\n{"epoch": 1, "loss": 4}\\n' >&3 ;;
              4) head -c 12000000 /dev/zero | tr '\\0' 'y'; echo '{"loss": 1}' >&3 ;;
              5) kill -SEGV $$ ;;
              6) echo '{"epoch": 1, "loss": "0.5"}' >&3 ;;
              7) echo '{"epoch": 1, "acc": 0.3, "loss": "0.5"}' >&3 ;;
              9) { echo hello; echo '{"epoch": 1, "acc": 0.3}'; } >&3 ;;
              8) { printf '{"epoch": 1, "loss": 9, "pad": "'; head -c 3000000 /dev/zero | tr '\\0' 'x'; echo '"}'; echo '{"epoch": 1, "loss": 7}'; } >&3 ;;
              10) echo '{"epoch": 1000000000000, "loss": 1}' >&3 ;;
              11) echo '{"epoch": 0, "loss": 1}' >&3 ;;
              12) echo 'epoch 1'; echo '{"epoch": 1, "loss": 0.5}' ;;
            esac
            """)
        // 5 s: the 12 MB flood of trial 4 must fit in it on a loaded machine.
        let file = try h.write("s.yaml", commandSweep(study: "bad", command: "[sh, bad.sh]", trials: 13, epochs: 3, extra: "timeout: 5s\nkill_grace: 1"))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "bad").map(\.0)
        #expect(trials.map(\.state) == [.fail, .fail, .fail, .complete, .complete, .fail, .fail, .fail, .complete, .fail, .fail, .fail, .fail], "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        #expect(trials[0].error?.hasPrefix("the program exited with status 3") == true)
        #expect(trials[0].error?.contains("Traceback: something broke") == true)
        #expect(trials[1].error?.hasPrefix("timed out after 5 s") == true)
        #expect(trials[2].error?.hasPrefix("the program exited without reporting") == true)
        #expect(trials[2].error?.contains("printed reports") == false, "\(trials[2].error ?? "")")
        // Reports printed to stdout: the message says where they went.
        #expect(trials[12].error?.hasPrefix(#"the program exited without reporting (report 'loss' on the channel in SWEEP_REPORT_FD, docs/commands.md); it printed reports to its output instead (e.g. {"epoch": 1, "loss": 0.5})"#) == true, "\(trials[12].error ?? "")")
        // It reported, but past the study's epochs ("exited without reporting" misled).
        #expect(trials[10].error?.hasPrefix("every report of the program (1) named an epoch past 3, the most this study runs") == true, "\(trials[10].error ?? "")")
        // Valid JSON, but epoch 0: said as such, not only "one JSON object of numbers".
        #expect(trials[11].error?.contains("and epochs count from 1); the first: {\"epoch\": 0") == true, "\(trials[11].error ?? "")")
        #expect(trials[3].value == 4)
        #expect(trials[5].error?.contains("SIGSEGV") == true)
        // An objective written as text: the message shows the line the program wrote.
        #expect(trials[6].error?.hasPrefix(#"the program's reports could not be read (1 line(s); a report is one JSON object of numbers per line, e.g. {"epoch": 1, "loss": 0.25}); the first: {"epoch": 1, "loss": "0.5"}"#) == true, "\(trials[6].error ?? "")")
        // The JSON export of failed trials (empty metrics and curves) is what one encoding of
        // the whole document writes: no line of spaces where an empty collection is.
        let export = try h.run(["export", "bad", "--db", h.db]).output
        #expect(!export.split(separator: "\n", omittingEmptySubsequences: false).contains { !$0.isEmpty && $0.allSatisfy { $0 == " " } })
        #expect((try? JSONSerialization.jsonObject(with: Data(export.utf8))) != nil)
        // A malformed line is not blamed for an objective that was missing, not text.
        #expect(trials[9].error?.hasPrefix("the program never reported the objective 'loss' (it reported: acc)") == true, "\(trials[9].error ?? "")")
        // A report line over 1 MiB is one ignored line, the next line a report.
        #expect(trials[8].value == 7)
        #expect(h.logText("sweep.db.logs/bad/trial-8.attempt-1.err").contains("[sweep] 1 report line(s) ignored"), "\(h.logText("sweep.db.logs/bad/trial-8.attempt-1.err").suffix(300))")
        // ... and the note names the bound it passed.
        #expect(h.logText("sweep.db.logs/bad/trial-8.attempt-1.err").contains("1 line(s) were over 1 MiB, the most a report line may have"), "\(h.logText("sweep.db.logs/bad/trial-8.attempt-1.err").suffix(400))")
        #expect(trials[7].error?.hasPrefix(#"the program never reported the objective 'loss' (it reported: acc; 'loss' was not a number in: {"epoch": 1, "acc": 0.3, "loss": "0.5"})"#) == true, "\(trials[7].error ?? "")")
        // Malformed lines are ignored and counted (blank ones are not: no mistake); a flood of
        // output is cut at the bound.
        #expect(h.logText("sweep.db.logs/bad/trial-3.attempt-1.err").contains("3 report line(s) ignored"), "\(h.logText("sweep.db.logs/bad/trial-3.attempt-1.err"))")
        #expect(h.logText("sweep.db.logs/bad/trial-3.attempt-1.err").contains("the first: garbage"))
        let out = try FileManager.default.attributesOfItem(atPath: h.db + ".logs/bad/trial-4.attempt-1.out")[.size] as! Int
        #expect(out >= 8 << 20 && out < (8 << 20) + 200)
        // The first and the last 4 MiB are kept, the middle dropped and counted (the end, where
        // a program says why it failed, was what got dropped).
        let flood = h.logText("sweep.db.logs/bad/trial-4.attempt-1.out")
        let marker = "\n[sweep] \(12_000_000 - (8 << 20)) byte(s) dropped here (the log keeps the first and the last 4194304 bytes)\n"
        let parts = flood.components(separatedBy: marker)
        #expect(parts.count == 2 && parts[0].utf8.count == 4 << 20 && parts[1].utf8.count == 4 << 20 && parts[1].allSatisfy { $0 == "y" }, "\(flood.utf8.count) \(parts.map(\.utf8.count))")
        // `sweep show` shows the cause and stderr's tail.
        let (showStatus, show) = try h.run(["show", "bad", "0", "--db", h.db])
        #expect(showStatus == 0)
        #expect(show.contains("error: the program exited with status 3") && show.contains("Traceback: something broke"), "\(show)")
        // `sweep logs` prints the attempt's streams from the worker's files.
        let (logsStatus, logs) = try h.run(["logs", "bad", "0", "--db", h.db, "--stream", "stderr"])
        #expect(logsStatus == 0 && logs.contains("Traceback: something broke") && !logs.contains("---"), "\(logs)")
        let (missingStatus, missing) = try h.run(["logs", "bad", "0", "--db", h.db, "--attempt", "5"])
        #expect(missingStatus == 2 && missing.contains("trial 0 has no attempt 5"), "\(missing)")
    }

    @Test func everyReportLineIsAnsweredAndANonFiniteObjectiveFailsTheTrial() throws {
        let h = try SweepHarness("cmd-answers")
        defer { h.cleanUp() }
        // Each line waits for its answer (20 s at most: a missing one fails the program).
        _ = try h.write("answers.py", """
            import os, select, sys
            out = os.fdopen(int(os.environ["SWEEP_REPORT_FD"]), "w", buffering=1)
            inp = os.fdopen(int(os.environ["SWEEP_DECISION_FD"]), "r")
            if os.environ["SWEEP_TRIAL"] == "0":
                lines = ['{"epoch": 1, "loss": NaN}']
            elif os.environ["SWEEP_TRIAL"] == "2":
                lines = ['{"epoch": 1, "loss": 1}', '{"summary": {"loss": Infinity, "n": 3}}']
            else:
                lines = ['garbage', '{"epoch": 0, "loss": 1}', '{"loss": "x"}',
                         '{"epoch": 1, "loss": 2, "val": {"acc": 0.5}, "extra": -Infinity}', '{"summary": {"extra": NaN}}']
            for line in lines:
                out.write(line + "\\n")
                if not select.select([inp], [], [], 20)[0]:
                    sys.exit("no answer to " + line)
                print("answer:", inp.readline().strip(), file=sys.stderr)
            """)
        let file = try h.write("s.yaml", commandSweep(study: "answers", command: "[python3, answers.py]", trials: 3, epochs: 3))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let rows = try trialsAndCurves(h, "answers")
        let trials = rows.map(\.0), curves = rows.map(\.1)
        #expect(trials.map(\.state) == [.fail, .complete, .fail], "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        // A summary's non-finite objective is a diverged run too; a summary holding only
        // another non-finite value is read (not a malformed line) and changes nothing.
        #expect(trials[2].error?.hasPrefix("the program's summary gave a non-finite loss (NaN or infinity): the training diverged") == true,
                "\(trials[2].error ?? "")")
        #expect(h.logText("sweep.db.logs/answers/trial-2.attempt-1.err").contains("answer: prune 0 the program's summary gave a non-finite loss"))
        #expect(trials[0].error?.hasPrefix("the program reported a non-finite loss (NaN or infinity) at epoch 1: the training diverged") == true,
                "\(trials[0].error ?? "")")
        #expect(trials[1].value == 2)
        // Nested metrics are flattened; non-finite ones left out.
        #expect(curves[1].first?.metrics.keys.sorted() == ["loss", "val.acc"], "\(curves[1])")
        let stderr1 = h.logText("sweep.db.logs/answers/trial-1.attempt-1.err")
        #expect(stderr1.contains("answer: continue 1") && stderr1.components(separatedBy: "answer: continue 0").count == 3, "\(stderr1)")
        #expect(h.logText("sweep.db.logs/answers/trial-0.attempt-1.err").contains("answer: prune 1 the program reported a non-finite loss"))
    }

    /// Found by a newcomer: a report of 301 metrics was refused by the coordinator and the
    /// trial waited forever; a program validating every second epoch had every trial pruned
    /// as "NaN" at epoch 1.
    @Test func manyMetricsAndAnObjectiveReportedEveryOtherEpoch() throws {
        let h = try SweepHarness("cmd-sparse")
        defer { h.cleanUp() }
        _ = try h.write("sparse.py", """
            import sweep_client
            p = sweep_client.params()
            for e in range(1, 7):
                print("epoch", e, flush=True)
                m = {"train_loss": p["x"] / e}
                if e % 2 == 0:
                    m["loss"] = p["x"] / e
                m.update({"layer%03d.grad" % i: 0.1 * i for i in range(300)})
                m["n" * 5000] = 1.0
                m[""] = 2.0
                m["acc top-1 (%)"] = 100 - p["x"]
                if sweep_client.report(e, **m):
                    break
            """)
        let file = try h.write("s.yaml", commandSweep(study: "sparse", command: "[python3, sparse.py]", trials: 8, epochs: 6,
                                                      pruner: "{name: median, n_startup_trials: 2, n_warmup_steps: 0}"))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let rows = try trialsAndCurves(h, "sparse")
        let trials = rows.map(\.0)
        #expect(trials.count == 8 && trials.allSatisfy { $0.state == .complete || $0.state == .pruned }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        // Pruned only at an epoch that reported the objective, never as NaN; the output tail is
        // kept for pruned attempts too (it came after the prune and was dropped).
        #expect(rows.contains { $0.0.state == .pruned }, "nothing was pruned: \(trials.map(\.state))")
        for (trial, curve, attempts) in rows where trial.state == .pruned {
            #expect(attempts.last?.logTail?.contains("epoch 1\n") == true, "\(trial.number): \(attempts.last?.logTail ?? "no tail")")
            #expect(!(trial.pruneReason ?? "").contains("NaN"), "\(trial.number): \(trial.pruneReason ?? "")")
            #expect(curve.last.map { $0.step % 2 == 0 } == true, "\(trial.number) pruned at \(curve.last?.step ?? 0)")
        }
        // Each report kept 256 metrics, the objective and the top-level ones first, and said so in the log.
        let complete = try #require(rows.first { $0.0.state == .complete })
        #expect(complete.1.allSatisfy { $0.metrics.count == 256 && $0.metrics["train_loss"] != nil && $0.metrics[""] == nil }, "\(complete.1.map { $0.metrics.count })")
        // Any kept name sorts the table (`acc top-1 (%)` was refused).
        let sorted = try h.run(["trials", "sparse", "--db", h.db, "--format", "csv", "--sort", "acc top-1 (%)"])
        let byAccuracy = trials.sorted { ($0.metrics["acc top-1 (%)"] ?? -1, -$0.number) > ($1.metrics["acc top-1 (%)"] ?? -1, -$1.number) }.map(\.number)
        #expect(sorted.status == 0 && sorted.output.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",").first ?? "") } == byAccuracy, "\(sorted.output)")
        #expect(complete.1.filter { $0.step % 2 == 0 }.allSatisfy { $0.metrics["loss"] != nil })
        #expect(complete.0.value == complete.1.last?.metrics["loss"])
        #expect(h.logText("sweep.db.logs/sparse/trial-\(complete.0.number).attempt-1.err").contains("metric value(s) left out: a report keeps at most 256 metrics"))
    }

    @Test func ignoredPruneIsKilledAfterTheGracePeriodAndEndsPruned() throws {
        let h = try SweepHarness("cmd-ignore")
        defer { h.cleanUp() }
        _ = try h.write("stubborn.sh", """
            trap '' TERM
            echo $$ > pid-$SWEEP_TRIAL
            echo '{"epoch": 1, "loss": 100}' >&3
            sleep 60
            """)
        let file = try h.write("s.yaml", commandSweep(study: "ig", command: "[sh, stubborn.sh]", trials: 1, epochs: 3, extra: "kill_grace: 1",
                                                      pruner: "{name: threshold, upper: 10}"))
        let started = Date()
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        #expect(status == 0, "\(output)")
        #expect(Date().timeIntervalSince(started) < 20, "the stubborn program was not killed")
        let t = try trialsAndCurves(h, "ig")[0].0
        #expect(t.state == .pruned)
        let pid = try #require(Int32(h.logText("pid-0").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!processExists(pid))
    }

    /// A program that goes on past the study's last epoch, told `stop`, is stopped after the
    /// kill grace and completes: it ran on forever, or FAILed at its timeout with every
    /// epoch reported.
    @Test func aProgramIgnoringStopAtTheLastEpochIsStoppedAndCompletes() throws {
        let h = try SweepHarness("cmd-ignore-stop")
        defer { h.cleanUp() }
        _ = try h.write("forever.sh", """
            trap '' TERM
            e=1
            while true; do printf '{"epoch": %d, "loss": 1}\\n' $e >&3; e=$((e+1)); sleep 0.1; done
            """)
        let file = try h.write("s.yaml", commandSweep(study: "fs", command: "[sh, forever.sh]", trials: 2, epochs: 3, extra: "kill_grace: 1\ntimeout: 30s"))
        let started = Date()
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(Date().timeIntervalSince(started) < 25, "the program was not stopped before its timeout")
        let trials = try h.trials(of: "fs")
        #expect(trials.count == 2 && trials.allSatisfy { $0.state == .complete && $0.epochs == 3 }, "\(trials.map { ($0.state, $0.epochs, $0.error ?? "") })")
    }

    @Test func aMissingWorkingDirectoryIsNamedAsSuch() throws {
        let h = try SweepHarness("cmd-nodir")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", commandSweep(study: "nd", command: "[sh, -c, \"touch ran\"]", trials: 1, epochs: 1,
                                                      extra: "working_directory: experiments/run1"))
        // With local workers, `sweep run` says so before anything runs.
        let refused = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        #expect(refused.status == 2 && refused.output.contains("working_directory \(h.directory.path)/experiments/run1 does not exist"), "\(refused.output)")
        // A worker elsewhere without it fails the trial saying so.
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let worker = try h.run(["worker", "--connect", endpoint, "--allow-commands"], timeout: 60)
        let t = try #require(try trialsAndCurves(h, "nd").first?.0, "\(worker.output)")
        #expect(t.state == .fail)
        #expect(t.error == "the working_directory \(h.directory.path)/experiments/run1 does not exist on this worker", "\(t.error ?? "")")
    }

    /// A program's numeric libraries get the worker's threads (`--threads`, 1 by default):
    /// OMP_NUM_THREADS, MKL_NUM_THREADS, NUMEXPR_NUM_THREADS and VECLIB_MAXIMUM_THREADS
    /// beside OPENBLAS_NUM_THREADS, as Ray Tune sets OMP_NUM_THREADS (PyTorch took every core
    /// in each of N trials); one the worker was started with is kept.
    @Test func aProgramsThreadingLibrariesGetTheWorkersThreads() throws {
        let h = try SweepHarness("cmd-threads")
        defer { h.cleanUp() }
        let command = "[sh, -c, \"env | grep -E '^(OMP|MKL|NUMEXPR|OPENBLAS)_NUM_THREADS=|^VECLIB_MAXIMUM_THREADS=' | sort > threads-$SWEEP_STUDY.txt; echo '{\\\"loss\\\": 1}' >&$SWEEP_REPORT_FD\"]"
        for (study, environment) in [("plain", [String: String]()), ("preset", ["OMP_NUM_THREADS": "5"])] {
            let file = try h.write("\(study).yaml", commandSweep(study: study, command: command, trials: 1, epochs: 1))
            let (status, output) = try h.run(SweepHarness.sweep, ["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60, environment: environment)
            #expect(status == 0, "\(output)")
            let omp = study == "preset" ? "5" : "1"
            #expect(h.read("threads-\(study).txt") == "MKL_NUM_THREADS=1\nNUMEXPR_NUM_THREADS=1\nOMP_NUM_THREADS=\(omp)\nOPENBLAS_NUM_THREADS=1\nVECLIB_MAXIMUM_THREADS=1\n",
                    "\(study): \(h.read("threads-\(study).txt"))")
        }
    }

    /// `SWEEP_SEED` and `${seed}` are the trial's seed in 32 bits, what numpy's `seed` and
    /// scikit-learn's `random_state` take (a 63-bit seed made `np.random.seed` raise in every
    /// trial), the same in both and on every attempt.
    @Test func aProgramsSeedFitsNumpy() throws {
        let h = try SweepHarness("cmd-seed")
        defer { h.cleanUp() }
        let command = "[sh, -c, \"echo $SWEEP_SEED ${seed} > seed-$SWEEP_TRIAL.txt; echo '{\\\"loss\\\": 1}' >&$SWEEP_REPORT_FD\"]"
        let file = try h.write("s.yaml", commandSweep(study: "seed", command: command, trials: 3, epochs: 1))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        #expect(status == 0, "\(output)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "seed").id) }
        for t in trials {
            let words = h.read("seed-\(t.number).txt").split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
            #expect(words.count == 2 && words[0] == words[1] && words[0] == t.seed & 0xFFFF_FFFF, "\(words) \(t.seed)")
        }
        // `sweep show` gives both, the stored seed and the program's.
        let shown = try h.run(["show", "seed", "0", "--db", h.db]).output
        #expect(shown.contains("seed: \(trials[0].seed) (SWEEP_SEED \(trials[0].seed & 0xFFFF_FFFF))"), "\(shown)")
        // And the command line its program got, its macros expanded with the trial's values.
        // Its seed and trial number with it: run as printed, a program that reads SWEEP_SEED
        // got none.
        #expect(shown.contains("SWEEP_STUDY=seed SWEEP_TRIAL=0 SWEEP_ATTEMPT=1 SWEEP_SEED=\(trials[0].seed & 0xFFFF_FFFF) sh -c 'echo $SWEEP_SEED \(trials[0].seed & 0xFFFF_FFFF) > seed-$SWEEP_TRIAL.txt;"), "\(shown)")
        // The CSV export has the program's seed beside the stored one (JSON's program_seed).
        let csv = try h.run(["export", "seed", "--db", h.db, "--format", "csv"]).output.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(csv.first?.prefix(6).joined(separator: ",") == "number,state,value,epochs,seed,program_seed", "\(csv.first ?? [])")
        #expect(csv.dropFirst().first.map { $0[4] == "\(trials[0].seed)" && $0[5] == "\(trials[0].seed & 0xFFFF_FFFF)" } == true, "\(csv)")
    }

    /// Text values with control characters are shown escaped on status's lines, as in tables:
    /// a line break split the "best:" line (the live display then crept down the screen) and
    /// an escape sequence reached the terminal.
    @Test func statusShowsControlCharactersInValuesEscaped() throws {
        let h = try SweepHarness("cmd-status-escape")
        defer { h.cleanUp() }
        let command = "[sh, -c, \"echo '{\\\"loss\\\": 1}' >&$SWEEP_REPORT_FD\"]"
        let file = try h.write("s.yaml", commandSweep(study: "esc", command: command, trials: 1, epochs: 1)
            .replacingOccurrences(of: "  name: {choice: [alpha, beta]}", with: "  name: {choice: [\"line1\\nline2\\e[31mred\"]}"))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        #expect(status == 0, "\(output)")
        let shown = try h.run(["status", "esc", "--db", h.db]).output
        let best = try #require(shown.split(separator: "\n").first { $0.contains("best: trial 0") }, "\(shown)")
        #expect(best.hasSuffix("name=line1\\nline2\\u{1B}[31mred") && !shown.contains("\u{1B}"), "\(shown)")
    }

    /// Before a command study's trials reported, `--sort` knows its objective only (it listed
    /// the built-in trainer's metrics as the choices).
    @Test func sortingACommandStudyWithoutReportsNamesItsObjectiveOnly() throws {
        let h = try SweepHarness("cmd-sort")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", commandSweep(study: "nosort", command: "[sh, -c, \"exit 3\"]", trials: 1, epochs: 1))
        _ = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        let sorted = try h.run(["trials", "nosort", "--db", h.db, "--sort", "bogus"])
        #expect(sorted.status == 2 && sorted.output.contains("or one of: loss\n") && !sorted.output.contains("val_accuracy"), "\(sorted.output)")
    }

    /// `sweep show` gives a command trial's command line with its values exact (the
    /// parameters it lists are rounded: 0.004255 for 0.004254957185880272) and the fixed
    /// values the program got too, to run it again by hand.
    @Test func showGivesTheExactCommandLine() throws {
        let h = try SweepHarness("cmd-line")
        defer { h.cleanUp() }
        let command = "[sh, -c, \"echo '{\\\"loss\\\": 1}' >&$SWEEP_REPORT_FD\", sh, \"${args}\"]"
        let file = try h.write("s.yaml", commandSweep(study: "line", command: command, trials: 1, epochs: 1)
            .replacingOccurrences(of: "  name: {choice: [alpha, beta]}", with: "  name: {choice: [alpha, beta]}\n  epochs: 20"))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        #expect(status == 0, "\(output)")
        let t = try #require(try h.trials(of: "line").first)
        guard case .double(let x)? = t.params["x"] else { Issue.record("x is \(String(describing: t.params["x"]))"); return }
        let shown = try h.run(["show", "line", "0", "--db", h.db]).output
        #expect(shown.contains("command (as a worker here runs it):") && shown.contains(" sh --x=\(x) ") && shown.contains(" --epochs=20"), "\(shown)")
    }

    /// A program that reports once, pruned at that report by the default median pruner: the
    /// run ends saying so and what to write (the trials were PRUNED though they had finished,
    /// and left out of `best`, unsaid).
    @Test func aRunWhoseOneReportTrialsWerePrunedSaysSo() throws {
        let h = try SweepHarness("cmd-oneshot")
        defer { h.cleanUp() }
        let command = "[sh, -c, \"echo {\\\\\\\"loss\\\\\\\": $SWEEP_TRIAL} >&$SWEEP_REPORT_FD\"]"
        let file = try h.write("s.yaml", commandSweep(study: "once", command: command, trials: 8, epochs: 10, pruner: "{name: median, n_startup_trials: 2}"))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "once").id) }
        let pruned = trials.filter { $0.state == .pruned }.count
        #expect(status == 0 && pruned > 0 && trials.allSatisfy { $0.epochs == 1 }, "\(output)")
        #expect(output.contains("note: every trial reported once, and \(pruned) of them were pruned at that report") && output.contains("`pruner: {name: none}`"), "\(output)")
        // Trials of three reports that the pruner stopped at the first: no such note (it
        // told a user of a multi-epoch program to switch pruning off).
        let three = "[sh, -c, \"for e in 1 2 3; do echo {\\\\\\\"epoch\\\\\\\": $e, \\\\\\\"loss\\\\\\\": 1} >&$SWEEP_REPORT_FD; sleep 0.05; done\"]"
        let stopped = try h.write("t.yaml", commandSweep(study: "stopped", command: three, trials: 4, epochs: 3, pruner: "{name: threshold, upper: -1}"))
        let (stoppedStatus, stoppedOutput) = try h.run(["run", stopped, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        let stoppedTrials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "stopped").id) }
        #expect(stoppedStatus == 0 && stoppedTrials.allSatisfy { $0.state == .pruned && $0.epochs == 1 }, "\(stoppedOutput)")
        #expect(!stoppedOutput.contains("every trial reported once"), "\(stoppedOutput)")
    }

    /// Sweep raises its soft limit on open descriptors to the hard one (at most 65,536): at
    /// the common 1,024 a coordinator with many connections ran out (local workers could not
    /// be restarted, checkpoints were not kept). Its programs inherit the raised limit.
    @Test func theDescriptorLimitIsRaised() throws {
        let h = try SweepHarness("cmd-nofile")
        defer { h.cleanUp() }
        let command = "[sh, -c, \"ulimit -Sn > nofile.txt; ulimit -Hn >> nofile.txt; echo '{\\\"loss\\\": 1}' >&$SWEEP_REPORT_FD\"]"
        let file = try h.write("s.yaml", commandSweep(study: "nofile", command: command, trials: 1, epochs: 1))
        let (status, output) = try h.run("/bin/sh", ["-c", "ulimit -Sn 256; exec \(SweepHarness.executable.path) run \(file) --db \(h.db) --workers 1 --no-progress"], timeout: 60)
        #expect(status == 0, "\(output)")
        let lines = h.read("nofile.txt").split(separator: "\n").map(String.init)
        let hard = lines.count == 2 ? (lines[1] == "unlimited" ? Int.max : Int(lines[1]) ?? 0) : 0
        #expect(lines.count == 2 && Int(lines[0]) == min(hard, 65_536), "\(lines)")
    }

    /// A worker keeps its command logs under `--keep-logs` MiB: the oldest attempts' go
    /// (a long-lived worker kept every attempt's output as long as it ran), and `sweep logs`
    /// of such a trial shows the tail the coordinator kept.
    @Test func aWorkerKeepsItsLogsUnderTheirBound() throws {
        let h = try SweepHarness("keep-logs")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        // ~400 KB of output a trial.
        let command = "[sh, -c, \"head -c 400000 /dev/zero | tr '\\\\0' x; echo; echo end of $SWEEP_TRIAL; echo '{\\\"loss\\\": 1}' >&$SWEEP_REPORT_FD\"]"
        let file = try h.write("s.yaml", commandSweep(study: "kl", command: command, trials: 6, epochs: 1))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let logs = h.path("worker-logs")
        let (status, output) = try h.run(["worker", "--connect", endpoint, "--allow-commands", "--log-dir", logs, "--keep-logs", "1"], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(h.waitFor(timeout: 30) { !coordinator.isRunning })
        let files = try FileManager.default.contentsOfDirectory(atPath: logs + "/kl")
        let bytes = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: logs + "/kl/" + $1)[.size] as? Int) ?? 0) }
        #expect(bytes <= 1 << 20 && bytes > 700_000, "\(bytes) bytes in \(files.sorted())")
        #expect(files.contains("trial-5.attempt-1.out") && !files.contains("trial-0.attempt-1.out"), "\(files.sorted())")
        let (logsStatus, shown) = try h.run(["logs", "kl", "0", "--db", h.db, "--log-dir", logs])
        #expect(logsStatus == 0 && shown.contains("(no log files at ") && shown.contains("end of 0"), "\(shown.suffix(300))")
    }

    /// A second SIGTERM to a worker whose program ignores SIGTERM (kill grace 30 s) stops
    /// the program at once and hands the trial back: the worker exited 130 at once, saying
    /// nothing, and the attempt counted as a worker's death against the trial's retries.
    @Test func aSecondSigtermHandsTheTrialBackAtOnce() throws {
        let h = try SweepHarness("double-term")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        _ = try h.write("stubborn.sh", "trap '' TERM\necho '{\"epoch\": 1, \"loss\": 1}' >&\"$SWEEP_REPORT_FD\"\nsleep 60\n")
        let file = try h.write("s.yaml", commandSweep(study: "dt", command: "[sh, stubborn.sh]", trials: 1, epochs: 3, extra: "kill_grace: 30"))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let worker = try h.start(["worker", "--connect", endpoint, "--allow-commands", "--id", "T"], log: "worker.log")
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        let reported = { (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "dt").id).first.map { try q.intermediates(trialID: $0.id).count } }) ?? nil ?? 0 }
        try #require(h.waitFor(timeout: 60) { reported() >= 1 }, "\(h.logText("worker.log"))")
        kill(worker.processIdentifier, SIGTERM)
        usleep(500_000)
        #expect(worker.isRunning, "the first SIGTERM waits for the program's kill grace")
        kill(worker.processIdentifier, SIGTERM)
        #expect(h.waitFor(timeout: 10) { !worker.isRunning }, "\(h.logText("worker.log"))")
        #expect(h.logText("worker.log").contains("stop requested again: stopping trial 0 now and handing it back"), "\(h.logText("worker.log"))")
        let attempts = try h.reader().read { q in try q.attempts(trialID: try q.trials(studyID: try q.requireStudy(named: "dt").id)[0].id) }
        #expect(attempts.count == 1 && attempts[0].outcome != .stale, "\(attempts.map { "\($0.outcome.map { "\($0)" } ?? "-") \($0.error ?? "")" })")
        let trial = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "dt").id)[0] }
        #expect(trial.state == .waiting, "\(trial.state)")
    }

    /// A worker without --allow-commands is sent away with what to do (exit 1); the
    /// study loses no trial to it and waits for a worker that can run them.
    @Test func workerWithoutAllowCommandsIsSentAwayWithAClearMessage() throws {
        let h = try SweepHarness("cmd-refuse")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let file = try h.write("s.yaml", commandSweep(study: "rf", command: "[sh, -c, \"touch ran\"]", trials: 1, epochs: 1))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let (status, output) = try h.run(["worker", "--connect", endpoint, "--max-trials", "2"], timeout: 60)
        #expect(status == 1, "\(output)")
        #expect(output.contains("started without --allow-commands"), "\(output)")
        #expect(coordinator.isRunning, "the study waits for a worker that can run it")
        #expect(try trialsAndCurves(h, "rf").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.directory.appendingPathComponent("ran").path))
    }

    @Test func killedWorkerLeavesNoOrphanAndItsTrialFinishesElsewhere() throws {
        let h = try SweepHarness("cmd-kill-worker")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        _ = try h.write("train.py", pythonTrainer(sleep: 0.4, epochs: 4))
        let file = try h.write("s.yaml", commandSweep(study: "kw", command: "[/usr/bin/python3, train.py, \"${args}\"]", trials: 3, epochs: 4))
        let timing = ["--heartbeat-ms", "200", "--liveness", "4"]
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        var workers = [String: Process]()
        for id in ["wa", "wb"] {
            workers[id] = try h.start(["worker", "--connect", endpoint, "--id", id, "--allow-commands", "--log-dir", "logs"] + timing, log: "\(id).log")
        }
        defer { for p in workers.values where p.isRunning { p.terminate() }; if coordinator.isRunning { coordinator.terminate() } }

        let v = try #require(h.runningTrial(study: "kw", timeout: 60), "no trial reached its first epoch:\n\(h.logText("coordinator.log"))")
        let lines = h.logText("ran-\(v.trial).txt").split(separator: "\n")
        let child = try #require(lines.last.flatMap { Int32($0.split(separator: " ")[1]) })
        kill(workers[v.worker]!.processIdentifier, SIGKILL)
        #expect(h.waitFor(timeout: 5) { !processExists(child) }, "the killed worker's program \(child) lives on")

        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "the coordinator did not finish:\n\(h.logText("coordinator.log"))")
        let trials = try trialsAndCurves(h, "kw")
        #expect(trials.allSatisfy { $0.0.state == .complete }, "\(trials.map { ($0.0.number, $0.0.state, $0.0.error ?? "") })")
        let attempts = trials[v.trial].2
        #expect(attempts.first?.outcome == .stale && attempts.first?.worker == v.worker)
        #expect(attempts.last?.outcome == .complete && attempts.last?.worker != v.worker)
    }

    @Test func coordinatorRestartReadoptsTheRunningCommandTrial() throws {
        let h = try SweepHarness("cmd-resume")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        _ = try h.write("train.py", pythonTrainer(sleep: 0.5, epochs: 6))
        let file = try h.write("s.yaml", commandSweep(study: "kc", command: "[/usr/bin/python3, train.py, \"${args}\"]", trials: 2, epochs: 6))
        let timing = ["--heartbeat-ms", "200", "--liveness", "5"]
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        let worker = try h.start(["worker", "--connect", endpoint, "--id", "w1", "--allow-commands", "--give-up-after", "120"] + timing, log: "w1.log")
        defer { if worker.isRunning { worker.terminate() }; if coordinator.isRunning { coordinator.terminate() } }

        #expect(h.waitFor(timeout: 60) { h.logText("ran-0.txt").split(separator: "\n").count >= 2 }, "\(h.logText("w1.log"))")
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        let (status, output) = try h.run(["resume", "kc", "--db", h.db, "--workers", "0", "--bind", endpoint, "--no-progress"] + timing, timeout: 120)
        #expect(status == 0, "resume failed:\n\(output)")
        let trials = try trialsAndCurves(h, "kc")
        #expect(trials.allSatisfy { $0.0.state == .complete }, "\(trials.map { ($0.0.number, $0.0.state, $0.0.error ?? "") })")
        // One program ran trial 0 from its first epoch to its last: re-adopted, not re-run.
        let ran = h.logText("ran-0.txt").split(separator: "\n").map { $0.split(separator: " ") }
        #expect(ran.map { Int($0[0])! } == [1, 2, 3, 4, 5, 6])
        #expect(Set(ran.map { $0[1] }).count == 1)
        #expect(trials[0].2.count == 1)
        let adopted = try h.reader().read { q in try q.events(studyID: q.requireStudy(named: "kc").id, kinds: [.adopted]) }
        #expect(!adopted.isEmpty)
    }

    @Test func stoppedWorkerStopsItsProgramAndHandsTheTrialBack() throws {
        let h = try SweepHarness("cmd-stop")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        _ = try h.write("train.py", pythonTrainer(sleep: 0.5, epochs: 6))
        let file = try h.write("s.yaml", commandSweep(study: "st", command: "[/usr/bin/python3, train.py, \"${args}\"]", trials: 1, epochs: 6))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let first = try h.start(["worker", "--connect", endpoint, "--id", "w1", "--allow-commands"], log: "w1.log")
        #expect(h.waitFor(timeout: 60) { !h.logText("ran-0.txt").isEmpty })
        let child = try #require(Int32(h.logText("ran-0.txt").split(separator: "\n")[0].split(separator: " ")[1]))
        first.terminate() // SIGTERM
        #expect(h.waitFor(timeout: 15) { !first.isRunning }, "\(h.logText("w1.log"))")
        #expect(!processExists(child))
        let second = try h.start(["worker", "--connect", endpoint, "--id", "w2", "--allow-commands"], log: "w2.log")
        defer { if second.isRunning { second.terminate() } }
        #expect(h.waitFor(timeout: 60) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let t = try trialsAndCurves(h, "st")[0]
        #expect(t.0.state == .complete)
        #expect(t.2.last?.worker == "w2")
    }
}

@Suite struct PythonWorkerTests {
    /// cluster/python-worker heartbeats from its network thread, so epochs longer than the
    /// coordinator's liveness window (here 0.3 s against 1 s epochs) do not look like a death.
    @Test func pythonExampleWorkerSurvivesEpochsLongerThanTheLivenessWindow() throws {
        let h = try SweepHarness("py-worker")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let file = try h.write("s.yaml", syntheticSweep(study: "pw", trials: 2, epochs: 2, sleep: 1.0))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--heartbeat-ms", "100", "--liveness", "3", "--no-progress"],
                                      log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let script = URL(fileURLWithPath: pythonClientPath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("cluster/python-worker/sweep_worker.py").path
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        worker.arguments = [script, "--connect", endpoint, "--id", "py-1"]
        let log = h.directory.appendingPathComponent("py.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        worker.standardOutput = try FileHandle(forWritingTo: log)
        worker.standardError = worker.standardOutput
        try worker.run()
        defer { if worker.isRunning { worker.terminate() } }
        #expect(h.waitFor(timeout: 60) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))\n\(h.logText("py.log"))")
        let trials = try trialsAndCurves(h, "pw")
        #expect(trials.allSatisfy { $0.0.state == .complete && $0.2.count == 1 }, "\(trials.map { ($0.0.number, $0.0.state, $0.2.map(\.outcome)) })\n\(h.logText("py.log"))")
        let deaths = try h.reader().read { q in try q.events(studyID: q.requireStudy(named: "pw").id).filter { $0.message.contains("dead") || $0.message.contains("silent") } }
        let all = try h.reader().read { q in try q.events(studyID: q.requireStudy(named: "pw").id) }
        #expect(deaths.isEmpty, "\(all.map(\.message))")
        #expect(h.waitFor(timeout: 10) { !worker.isRunning })
    }

    /// The example worker speaks CURVE with Sweep's key files: beyond loopback a coordinator
    /// takes nothing else, and it printed nothing and never left.
    @Test func pythonExampleWorkerUsesCurveKeys() throws {
        let h = try SweepHarness("py-worker-curve")
        defer { h.cleanUp() }
        #expect(try h.run(["keygen", "--out", "keys", "--workers", "1"]).status == 0)
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("s.yaml", syntheticSweep(study: "pc", trials: 3, epochs: 2, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--keys", "keys", "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let script = repositoryRoot.appendingPathComponent("cluster/python-worker/sweep_worker.py").path
        let run = try h.run("/usr/bin/python3", [script, "--connect", endpoint, "--id", "py-curve", "--keys", h.path("keys")], timeout: 120)
        #expect(run.status == 0 && run.output.contains("worker py-curve: 3 trial(s) done"), "\(run.output)\n\(h.logText("coordinator.log"))")
        #expect(h.waitFor(timeout: 30) { !coordinator.isRunning })
        let trials = try trialsAndCurves(h, "pc")
        #expect(trials.count == 3 && trials.allSatisfy { $0.0.state == .complete })
    }
}

/// The repository root (for sweeps/ and clients/).
let repositoryRoot = URL(fileURLWithPath: pythonClientPath).deletingLastPathComponent().deletingLastPathComponent()

@Suite(.serialized) struct CommandExampleTests {
    init() {
        // Examples import sweep_client as if it were pip-installed.
        setenv("PYTHONPATH", pythonClientPath, 1)
    }

    /// Runs a process to its end and returns its status and output.
    func shell(_ arguments: [String], in directory: URL? = nil) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: arguments[0])
        p.arguments = Array(arguments.dropFirst())
        if let directory { p.currentDirectoryURL = directory }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func pythonClientUnitTestsPass() throws {
        let (status, output) = try shell(["/usr/bin/python3", "-m", "unittest", "discover", "-s", pythonClientPath + "/tests"])
        #expect(status == 0, "\(output)")
        // (Some ran: a discovery that finds none says "Ran 0 tests" and OK.)
        #expect(output.contains(/Ran [1-9][0-9]* tests/), "\(output)")
    }

    @Test func pythonClientInstallsWithPip() throws {
        let h = try SweepHarness("pip")
        defer { h.cleanUp() }
        let venv = h.directory.appendingPathComponent("venv").path
        var (status, output) = try shell(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv])
        #expect(status == 0, "\(output)")
        // From a copy: a pip build leaves build/ and *.egg-info beside the sources.
        let copy = h.directory.appendingPathComponent("client")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: pythonClientPath), to: copy)
        (status, output) = try shell([venv + "/bin/pip", "install", "--no-index", "--no-build-isolation", "--quiet", copy.path])
        #expect(status == 0, "\(output)")
        (status, output) = try shell([venv + "/bin/python", "-I", "-c", "import sweep_client; print(sweep_client.__file__)"])
        #expect(status == 0 && output.contains(venv), "\(output)")
    }

    @Test(arguments: ["numpy", "shell", "wandb", "pytorch"])
    func exampleValidates(_ name: String) throws {
        let h = try SweepHarness("example-\(name)")
        defer { h.cleanUp() }
        let (status, output) = try h.run(["validate", repositoryRoot.appendingPathComponent("sweeps/commands/\(name)/sweep.yaml").path])
        #expect(status == 0, "\(output)")
    }

    @Test(arguments: ["numpy", "shell"])
    func exampleRunsToTheEnd(_ name: String) throws {
        let h = try SweepHarness("example-run-\(name)")
        defer { h.cleanUp() }
        let (status, output) = try h.run(["run", repositoryRoot.appendingPathComponent("sweeps/commands/\(name)/sweep.yaml").path,
                                          "--db", h.db, "--workers", "2", "--no-progress"], timeout: 240)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, name == "numpy" ? "numpy-poly" : "shell-example").map(\.0)
        #expect(!trials.isEmpty && trials.allSatisfy { $0.state == .complete || $0.state == .pruned }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
    }

    /// A W&B sweep file and script run unchanged, and `sweep convert wandb`'s output runs
    /// the same trials.
    @Test func wandbExampleRunsAsItIsAndItsConversionRunsTheSameTrials() throws {
        let h = try SweepHarness("example-wandb")
        defer { h.cleanUp() }
        for file in ["sweep.yaml", "train.py"] {
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("sweeps/commands/wandb/\(file)"), to: h.directory.appendingPathComponent(file))
        }
        let (converted, conversion) = try h.run(["convert", "wandb", "sweep.yaml"])
        #expect(converted == 0, "\(conversion)")
        _ = try h.write("native.yaml", conversion.replacingOccurrences(of: "study: wandb-demo", with: "study: native"))
        var results: [[String]] = []
        for (file, study) in [("sweep.yaml", "wandb-demo"), ("native.yaml", "native")] {
            let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 240)
            #expect(status == 0, "\(output)")
            let trials = try trialsAndCurves(h, study).map(\.0)
            #expect(trials.count == 12 && trials.allSatisfy { $0.state != .fail }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
            results.append(trials.map { "\($0.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) \($0.state) \($0.value ?? .nan)" })
        }
        #expect(results[0] == results[1])
    }

    /// W&B does not bound a run's steps: 150 logged steps are 150 epochs, the value the last.
    @Test func aWandBRunLongerThanAHundredStepsKeepsEveryStep() throws {
        let h = try SweepHarness("wandb-long")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import sweep_client as wandb
            run = wandb.init()
            for step in range(run.config.epochs):
                run.log({"val_loss": 1.0 / (step + 1)}, step=step)
            """)
        let file = try h.write("sweep.yaml", """
            program: train.py
            method: grid
            metric: {name: val_loss, goal: minimize}
            parameters:
              epochs: {value: 150}
              seed: {values: [1]}
            """)
        let (status, output) = try h.run(SweepHarness.executable.path, ["run", file, "--db", h.db, "--workers", "1", "--no-progress"],
                                         timeout: 120, environment: ["PYTHONPATH": pythonClientPath])
        #expect(status == 0, "\(output)")
        let rows = try trialsAndCurves(h, "sweep")
        #expect(rows.count == 1 && rows.first?.0.state == .complete, "\(rows.map { ($0.0.state, $0.0.error ?? "") })")
        #expect(rows.first?.1.count == 150)
        #expect(rows.first.flatMap { $0.0.value }.map { abs($0 - 1.0 / 150) < 1e-12 } == true, "\(rows.first?.0.value ?? .nan)")
    }

    /// W&B ranks runs by `run.summary`: a script that logs every epoch and sets its best
    /// value there is ranked by that (Sweep ranked it by the last value logged). Its steps
    /// are the objective's values, as W&B's hyperband counts them: five training logs and
    /// one validation per epoch are three epochs, not eighteen.
    @Test func aWandBScriptsSummaryIsItsValueAndItsStepsAreTheObjectivesValues() throws {
        let h = try SweepHarness("wandb-summary")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import sweep_client as wandb
            run = wandb.init()
            history = [1.0, 0.2, 0.9] if run.config.lr == 0.1 else [0.5, 0.4, 0.45]
            for v in history:
                for b in range(5):
                    run.log({"train_loss": v + b})
                run.log({"val_loss": v})
            run.summary["val_loss"] = min(history)
            run.summary["best_epoch"] = history.index(min(history)) + 1
            # More values than a result keeps: the trial still ends (it stayed RUNNING).
            run.summary.update({"class_%d" % i: i / 1000 for i in range(300)})
            """)
        let file = try h.write("sweep.yaml", """
            program: train.py
            method: grid
            metric: {name: val_loss, goal: minimize}
            parameters:
              lr: {values: [0.1, 0.01]}
            """)
        let (status, output) = try h.run(SweepHarness.executable.path, ["run", file, "--db", h.db, "--workers", "2", "--no-progress"],
                                         timeout: 120, environment: ["PYTHONPATH": pythonClientPath])
        #expect(status == 0, "\(output)")
        let rows = try trialsAndCurves(h, "sweep")
        #expect(rows.count == 2 && rows.allSatisfy { $0.0.state == .complete }, "\(rows.map { ($0.0.state, $0.0.error ?? "") })")
        #expect(rows.allSatisfy { $0.1.count == 3 }, "three epochs each: \(rows.map { $0.1.count })")
        let byRate = Dictionary(uniqueKeysWithValues: rows.map { ($0.0.params["lr"]?.description ?? "", $0.0) })
        #expect(byRate["0.1"]?.value == 0.2 && byRate["0.01"]?.value == 0.4, "\(rows.map { ($0.0.params, $0.0.value ?? .nan) })")
        #expect(byRate["0.1"]?.metrics["best_epoch"] == 2)
        #expect(rows.allSatisfy { $0.0.metrics.count <= 256 && $0.0.metrics["val_loss"] != nil }, "\(rows.map { $0.0.metrics.count })")
        let best = try h.run(["best", "sweep", "--db", h.db, "--format", "json"])
        let bestParams = (try? JSONSerialization.jsonObject(with: Data(best.output.utf8)) as? [[String: Any]])?.first?["params"] as? [String: Any]
        #expect(bestParams?["lr"] as? Double == 0.1, "\(best.output)")
    }

    /// List-valued W&B choices and constants reach a W&B script as lists (they were refused).
    @Test func wandbListValuesReachTheScriptAsLists() throws {
        let h = try SweepHarness("wandb-lists")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import sweep_client as wandb
            run = wandb.init(config={"epochs": 2})
            c = run.config
            assert isinstance(c.layers, list) and all(isinstance(w, int) for w in c.layers), c.layers
            assert c.acts == ["relu", "tanh"], c.acts
            assert isinstance(c.ratio, float) and c.ratio == 1.0, c.ratio  # a whole float stays a float
            for e in range(c.epochs):
                run.log({"val_loss": abs(sum(c.layers) - 128) / 100 + e})
            """)
        let file = try h.write("sweep.yaml", """
            program: train.py
            method: grid
            metric: {name: val_loss, goal: minimize}
            parameters:
              layers: {values: [[64, 32], [128], [32, 32, 16]]}
              acts: {value: [relu, tanh]}
              ratio: {value: 1.0}
            command:
              - ${env}
              - ${interpreter}
              - ${program}
              - ${args}
            """)
        let (status, output) = try h.run(SweepHarness.executable.path, ["run", file, "--db", h.db, "--workers", "2", "--no-progress"],
                                         timeout: 120, environment: ["PYTHONPATH": pythonClientPath])
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "sweep").map(\.0)
        #expect(trials.count == 3 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        #expect(Set(trials.compactMap { $0.params["layers"]?.description }) == ["[64, 32]", "[128]", "[32, 32, 16]"])
        let best = try h.run(["best", "sweep", "--db", h.db, "--format", "json"])
        // The best is [128]; JSON output keeps the list an array.
        let bestParams = (try? JSONSerialization.jsonObject(with: Data(best.output.utf8)) as? [[String: Any]])?.first?["params"] as? [String: Any]
        #expect(bestParams?["layers"] as? [Int] == [128], "\(best.output)")
        // The export has the plain values the program got too (W&B's run config has them).
        let csv = try h.run(["export", "sweep", "--db", h.db, "--format", "csv"]).output
        #expect(csv.hasPrefix("number,") && csv.split(separator: "\n")[0].hasSuffix("param_layers,param_acts,param_ratio,metric_val_loss") && csv.contains("\"[\"\"relu\"\", \"\"tanh\"\"]\""), "\(csv)")
        let exported = try h.run(["export", "sweep", "--db", h.db]).output
        let json = try JSONSerialization.jsonObject(with: Data(exported.utf8)) as? [String: Any]
        let firstArguments = ((json?["trials"] as? [[String: Any]])?.first?["arguments"] as? [String: Any])
        #expect(firstArguments?["acts"] as? [String] == ["relu", "tanh"], "\(String(describing: firstArguments))")
        // A whole float stays a float in JSON output (Foundation's encoder wrote `1`, an int).
        #expect(exported.contains("\"ratio\" : 1.0,") || exported.contains("\"ratio\" : 1.0\n"), "\(exported.prefix(1500))")
        #expect(try h.run(["enqueue", "sweep", "layers=[64,32]", "--db", h.db]).status == 0)
        let refused = try h.run(["enqueue", "sweep", "layers=[12]", "--db", h.db])
        #expect(refused.status == 2 && refused.output.contains("[12] is not in choice {[64, 32], [128], [32, 32, 16]}"), "\(refused.output)")
    }

    /// `null` choices and constants (scikit-learn's `max_depth=None`, common in W&B files)
    /// reach the program as `None`, as W&B's agent passes them (they were refused or left out).
    @Test func wandbNullValuesReachTheScriptAsNone() throws {
        let h = try SweepHarness("wandb-null")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import sys
            import sweep_client as wandb
            run = wandb.init(config={"max_depth": 4, "class_weight": "balanced"})  # the sweep's values win
            c = run.config
            assert c.class_weight is None, c.class_weight
            assert "--class_weight=None" in sys.argv, sys.argv
            assert ("--max_depth=None" in sys.argv) == (c.max_depth is None), (sys.argv, c.max_depth)
            run.log({"loss": 5.0 if c.max_depth is None else c.max_depth})
            """)
        let file = try h.write("sweep.yaml", """
            program: train.py
            method: grid
            metric: {name: loss, goal: minimize}
            parameters:
              max_depth: {values: [null, 3, 8]}
              class_weight: {value: null}
            command: ["${env}", "${interpreter}", "${program}", "${args}"]
            """)
        let (status, output) = try h.run(SweepHarness.executable.path, ["run", file, "--db", h.db, "--workers", "2", "--no-progress"],
                                         timeout: 120, environment: ["PYTHONPATH": pythonClientPath])
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "sweep").map(\.0)
        #expect(trials.count == 3 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        #expect(Set(trials.compactMap { $0.params["max_depth"] }) == [.null, .int(3), .int(8)])
        let table = try h.run(["trials", "sweep", "--db", h.db]).output
        #expect(table.contains("null"), "\(table)")
        let json = try JSONSerialization.jsonObject(with: Data(try h.run(["export", "sweep", "--db", h.db]).output.utf8)) as? [String: Any]
        let arguments = (json?["trials"] as? [[String: Any]])?.compactMap { $0["arguments"] as? [String: Any] } ?? []
        #expect(arguments.count == 3 && arguments.allSatisfy { $0["class_weight"] is NSNull }, "\(arguments)")
        // Given back as the program saw it, or as JSON writes it.
        #expect(try h.run(["enqueue", "sweep", "max_depth=None", "--db", h.db]).status == 0)
        #expect(try h.run(["enqueue", "sweep", "max_depth=null", "--db", h.db]).status == 0)
    }

    /// A W&B random sweep without run_cap runs until stopped, as W&B's agent: Ctrl-C ends it
    /// (130) with its trials kept, and `sweep resume` would continue it.
    @Test func aWandBFileWithoutRunCapRunsUntilStopped() throws {
        let h = try SweepHarness("wandb-uncapped")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", "echo '{\"loss\": 1}' >&\"$SWEEP_REPORT_FD\"; sleep 0.05\n")
        let file = try h.write("w.yaml", "program: t.sh\ncommand: [sh, \"${program}\"]\nmethod: random\nmetric: {name: loss}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n")
        let run = try h.start(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let count = { (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "w").id).filter { $0.state == .complete }.count }) ?? 0 }
        #expect(h.waitFor(timeout: 60) { count() >= 5 }, "\(h.logText("run.log"))")
        // No ETA toward the cap of a million trials.
        let status = try h.run(["status", "w", "--db", h.db]).output
        #expect(status.contains("trials (no budget)  [RUNNING]") && status.contains("throughput") && !status.contains("ETA"), "\(status)")
        kill(run.processIdentifier, SIGINT)
        #expect(h.waitFor(timeout: 60) { !run.isRunning })
        #expect(run.terminationStatus == 130, "\(h.logText("run.log"))")
        #expect(h.logText("run.log").contains("the sweep runs until stopped"), "\(h.logText("run.log"))")
        #expect(try h.reader().read { try $0.requireStudy(named: "w") }.definition.budgetTrials == Budget.maxTrials)
        #expect(count() >= 5)
    }

    /// A second run of a W&B file into the same database is told to change `name:` (its
    /// study's name comes from there, else from the file's name), not a `study:` it lacks.
    @Test func aWandBStudyThatExistsIsToldToChangeItsName() throws {
        let h = try SweepHarness("wandb-exists")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", "echo '{\"loss\": 1}' >&\"$SWEEP_REPORT_FD\"\n")
        let file = try h.write("sweep.yaml", "program: t.sh\ncommand: [sh, \"${program}\"]\nmethod: random\nrun_cap: 1\nmetric: {name: loss}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n")
        let first = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(first.status == 0, "\(first.output)")
        let again = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(again.status != 0 && again.output.contains("study 'sweep' already exists") && again.output.contains("or change `name:` in \(file)"), "\(again.output)")
    }

    /// ... and a broken program stops it after its first 5 trials all failed (it FAILed
    /// trial after trial until Ctrl-C), exit 1. With two workers a sixth or seventh trial can
    /// fail before the fifth failure is seen; the message counts all that failed.
    @Test func aWandBFileWithoutRunCapStopsWhenItsFirstTrialsAllFail() throws {
        let h = try SweepHarness("wandb-uncapped-broken")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", "echo 'ModuleNotFoundError: torch' >&2; exit 1\n")
        let file = try h.write("w.yaml", "program: t.sh\ncommand: [sh, \"${program}\"]\nmethod: random\nmetric: {name: loss}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n")
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(status == 1 && output.contains(/the first [5-7] trials of this run all failed/) && output.contains("no trial budget") && output.contains("ModuleNotFoundError"), "\(status) \(output)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "w").id) }
        #expect(trials.count >= 5 && trials.count <= 7 && trials.allSatisfy { $0.state == .fail }, "\(trials.count)")
        // No bar toward a budget of a million ("6/1000000 trials"); stopped, not finished: it
        // waits for `sweep resume` (it read FINISHED, as a study whose budget was spent).
        #expect(output.contains("\(trials.count) trials (no budget)  [INTERRUPTED]") && output.contains("study 'w' stopped after "), "\(output)")
        let studies = try h.run(["studies", "--db", h.db]).output
        #expect(studies.contains(" \(trials.count) (no budget) ") && !studies.contains("1000000") && studies.contains("INTERRUPTED"), "\(studies)")
        let shown = try h.run(["status", "w", "--db", h.db]).output
        #expect(shown.contains("[INTERRUPTED]") && shown.contains("continue with `sweep resume w"), "\(shown)")
    }

    /// A database removed or replaced while the sweep runs stops the run within seconds
    /// (it ran to the end of its budget, recording into a file nobody could open again, and
    /// then said so), exit 1, and what the run recorded is saved beside it, from where it
    /// resumes; the run's WAL does not stay beside the name to be replayed into the file
    /// that takes it. (The summary once said "no database at sweep.db (pass --db PATH)".)
    /// With `--db` a symbolic link, the file it names is the one watched, and its log the
    /// one removed (it stayed beside the real file, and was replayed into the replacing one).
    /// The copy finds the run's models, checkpoints and logs under its own name.
    @Test(arguments: [("removed", false), ("replaced by another file", false), ("replaced by another file", true)])
    func aDatabaseRemovedOrReplacedDuringTheRunStopsItAndIsSaved(change: String, throughLink: Bool) throws {
        let h = try SweepHarness("db-lost")
        defer { h.cleanUp() }
        let file = try Self.longCommandStudy(h)
        let other = h.path("other.db")
        if change != "removed" {
            #expect(try h.run(["run", try h.write("o.yaml", syntheticSweep(study: "o", trials: 2, epochs: 1, sleep: 0)), "--db", other, "--workers", "1", "--no-progress"]).status == 0)
        }
        // The real file, and the name the run is given.
        let real = h.db
        let given = throughLink ? h.path("link.db") : real
        if throughLink { try FileManager.default.createSymbolicLink(atPath: given, withDestinationPath: real) }
        let run = try h.start(["run", file, "--db", given, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let done = { (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "d").id).filter { $0.state == .complete }.count }) ?? 0 }
        try #require(h.waitFor(timeout: 30) { done() >= 2 }, "\(h.logText("run.log"))")
        // The run's log beside the real file's name must go: SQLite would replay it into the
        // file that takes the name (an inode number is no identity: a new log may reuse it).
        try #require(FileManager.default.fileExists(atPath: real + "-wal"), "the run has no WAL")
        let replacingBytes = change == "removed" ? nil : try Data(contentsOf: URL(fileURLWithPath: other))
        if change == "removed" { try FileManager.default.removeItem(atPath: real) } else { rename(other, real) }
        try #require(h.waitFor(timeout: 30) { !run.isRunning }, "\(h.logText("run.log"))")
        let log = h.logText("run.log")
        #expect(run.terminationStatus == 1, "\(log)")
        let rescued = given + ".rescued"
        #expect(log.contains("the database \(given) was \(change) while the sweep ran: the run stopped, and what it recorded is saved in \(rescued)"), "\(log)")
        if change == "removed" { #expect(!FileManager.default.fileExists(atPath: real + "-wal"), "the run's WAL stayed beside the name") }
        if let replacingBytes {
            // The file that took the name is whole, and only its own study is in it.
            let studies = try h.reader().read { q in try q.studies().map(\.name) }
            #expect(studies == ["o"], "\(studies)")
            #expect(try h.run(["status", "o", "--db", real]).output.contains("2/2 trials"))
            // Read, not written: no log of the run was replayed into it (it grew by the run's pages).
            #expect(try Data(contentsOf: URL(fileURLWithPath: real)) == replacingBytes, "the replacing database changed")
        }
        // The copy holds the run's trials, none left RUNNING, and the study resumes from it,
        // with its command logs (linked under the copy's name).
        let saved = try SweepStore.openReadOnly(path: rescued).read { q in try q.trials(studyID: try q.requireStudy(named: "d").id) }
        #expect(saved.filter { $0.state == .complete }.count >= 2 && !saved.contains { $0.state == .running }, "\(saved.map(\.state))")
        // It stopped: far from its budget (it ran all 400 trials into the unlinked file).
        #expect(saved.count < 200, "\(saved.count) trials")
        let status = try h.run(["status", "d", "--db", rescued])
        #expect(status.output.contains("[INTERRUPTED]") && status.output.contains("continue with `sweep resume d --db \(rescued)`"), "\(status.output)")
        #expect(FileManager.default.fileExists(atPath: rescued + ".logs/d"), "the copy does not find the run's logs")
    }

    /// Removing the symbolic link `--db` named leaves the run alone, to its end and exit 0
    /// (it ran to the end, then said the database was replaced and lost, exit 1).
    @Test func aSymbolicLinkToTheDatabaseRemovedDuringTheRunLosesNothing() throws {
        let h = try SweepHarness("db-link-removed")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 8, epochs: 2, sleep: 0.2))
        let link = h.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: h.db)
        let run = try h.start(["run", file, "--db", link, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        try #require(h.waitFor(timeout: 30) { FileManager.default.fileExists(atPath: h.db) && ((try? h.reader().read { q in try q.studies().count }) ?? 0) == 1 },
                     "\(h.logText("run.log"))")
        try FileManager.default.removeItem(atPath: link)
        try #require(h.waitFor(timeout: 60) { !run.isRunning }, "\(h.logText("run.log"))")
        let log = h.logText("run.log")
        #expect(run.terminationStatus == 0 && !log.contains("while the sweep ran"), "\(log)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 8 && trials.allSatisfy { $0.state.isFinished }, "\(trials.map(\.state))")
    }

    /// Study `d` of 400 command trials of 0.3 s (a minute on two workers): long enough that a
    /// run stopped by what happens to its database ends far from its budget.
    static func longCommandStudy(_ h: SweepHarness) throws -> String {
        _ = try h.write("t.sh", "echo '{\"score\": 1}' >&\"$SWEEP_REPORT_FD\"; sleep 0.3\n")
        return try h.write("d.yaml", "study: d\ncommand: [sh, t.sh]\nobjective: {metric: score}\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 400}\n")
    }

    /// A database truncated in place (`truncate -s 0`, `> d.db`: the same file, its pages
    /// gone) stops the run within seconds, exit 1, saying so; the run went on to the end of
    /// its budget (a minute here) recording into nothing, and said so only then.
    @Test func aDatabaseTruncatedDuringTheRunStopsIt() throws {
        let h = try SweepHarness("db-truncated")
        defer { h.cleanUp() }
        let file = try Self.longCommandStudy(h)
        let run = try h.start(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let done = { (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "d").id).filter { $0.state == .complete }.count }) ?? 0 }
        try #require(h.waitFor(timeout: 30) { done() >= 2 }, "\(h.logText("run.log"))")
        #expect(truncate(h.db, 0) == 0)
        try #require(h.waitFor(timeout: 30) { !run.isRunning }, "the run went on: \(h.logText("run.log"))")
        let log = h.logText("run.log")
        #expect(run.terminationStatus == 1, "\(log)")
        #expect(log.contains("the database \(h.db) was truncated or overwritten while the sweep ran: the run stopped, and what it recorded could not be saved"), "\(log)")
        #expect(log.contains("sqlite3 \(h.db) .recover"), "\(log)")
    }

    /// A first Ctrl-C says what the command waits for: the display said RUNNING, unchanged,
    /// for up to the programs' kill grace, and users pressed Ctrl-C again.
    @Test func aStopSaysWhatItWaitsFor() throws {
        let h = try SweepHarness("stop-wait")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", "trap '' TERM\necho '{\"score\": 1}' >&\"$SWEEP_REPORT_FD\"\nsleep 4\n")
        let file = try h.write("s.yaml", "study: s\ncommand: [sh, t.sh]\nobjective: {metric: score}\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 4}\n")
        let run = try h.start(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let running = { (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id).filter { $0.state == .running }.count }) ?? 0 }
        try #require(h.waitFor(timeout: 30) { running() == 2 }, "\(h.logText("run.log"))")
        kill(run.processIdentifier, SIGINT)
        #expect(h.waitFor(timeout: 5) { h.logText("run.log").contains("stopping: 2 running trial(s) finish their epoch") }, "\(h.logText("run.log"))")
        #expect(h.waitFor(timeout: 60) { !run.isRunning })
        #expect(run.terminationStatus == 130, "\(h.logText("run.log"))")
    }

    /// A log the worker cannot write (a full disk: here /dev/full) loses the rest of that log,
    /// with a warning, and nothing else: `FileHandle.write` trapped, and every worker died at
    /// its program's first line until none was left and `sweep run` waited forever.
    @Test func aLogThatCannotBeWrittenCostsOnlyTheLog() throws {
        let h = try SweepHarness("full-logs")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", "echo out; echo err >&2; echo '{\"score\": 1}' >&\"$SWEEP_REPORT_FD\"\n")
        let file = try h.write("f.yaml", "study: f\ncommand: [sh, t.sh]\nobjective: {metric: score}\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 3}\n")
        let logs = h.path("worker-logs")
        try FileManager.default.createDirectory(atPath: logs + "/f", withIntermediateDirectories: true)
        for t in 0..<3 {
            for stream in ["out", "err"] { try FileManager.default.createSymbolicLink(atPath: "\(logs)/f/trial-\(t).attempt-1.\(stream)", withDestinationPath: "/dev/full") }
        }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let (status, output) = try h.run(["worker", "--connect", endpoint, "--allow-commands", "--log-dir", logs], timeout: 60)
        #expect(status == 0, "\(output)")
        #expect(output.contains("cannot write \(logs)/f/trial-0.attempt-1.out: No space left on device") && output.contains("only its last 4,000 characters"), "\(output)")
        #expect(h.waitFor(timeout: 30) { !coordinator.isRunning })
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "f").id) }
        #expect(trials.count == 3 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.error ?? "") })")
        // A program reading ${args_json_file} that cannot be written fails saying why (it read
        // FileNotFoundError).
        let args = try h.write("a.yaml", "study: a\ncommand: [sh, -c, 'cat \"$1\" >&2; echo \"{\\\"score\\\": 1}\" >&\"$SWEEP_REPORT_FD\"', sh, '${args_json_file}']\nobjective: {metric: score}\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 1}\nretry: {max_attempts: 1}\n")
        try FileManager.default.createDirectory(atPath: logs + "/a", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(logs)/a/trial-0.attempt-1.params.json", withDestinationPath: "/dev/full")
        let c2 = try h.start(["coordinator", args, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "c2.log")
        defer { if c2.isRunning { c2.terminate() } }
        _ = try h.run(["worker", "--connect", endpoint, "--allow-commands", "--log-dir", logs], timeout: 60)
        let failed = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "a").id) }
        #expect(failed.first?.error?.hasPrefix("the parameters for ${args_json_file}: cannot write \(logs)/a/trial-0.attempt-1.params.json: No space left on device") == true, "\(failed.map { $0.error ?? "" })")
    }

    /// A program that logs the objective under another name (`val_acc` for the file's
    /// `val_accuracy`) stops the run after its first trials all failed, as a program that
    /// cannot start does, with the name it likely meant: it failed all 30 of a budget.
    @Test func aProgramThatNamesTheObjectiveOtherwiseStopsTheRun() throws {
        let h = try SweepHarness("misnamed-objective")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", "echo '{\"epoch\": 1, \"val_acc\": 0.9, \"n_trees\": 5}' >&\"$SWEEP_REPORT_FD\"\n")
        let file = try h.write("m.yaml", "study: m\ncommand: [sh, t.sh]\nobjective: {metric: val_accuracy, direction: maximize}\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 30}\n")
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(status == 1 && output.contains(/the first [5-7] trials of this run all failed/), "\(output)")
        #expect(output.contains("never reported the objective 'val_accuracy' (it reported: n_trees, val_acc; did you mean 'val_acc'?"), "\(output)")
        // The fix is a name, in the program or in the file (then a new study: the objective
        // cannot change); it said "fix the program, then `sweep resume`".
        #expect(output.contains("make the program report 'val_accuracy', then `sweep resume m --db \(h.db)` runs the rest of the budget (with --retry-failed, the ") && output.contains(" failed trials' parameters again too); or, if the sweep file names the wrong metric, fix its objective and start a new study"), "\(output)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "m").id) }
        #expect(trials.count <= 7 && trials.allSatisfy { $0.state == .fail }, "\(trials.count)")
    }

    /// A program that trains past `budget.max_epochs` is told to stop at its first report
    /// beyond it (it ran its own 6 epochs, of which 2 counted), and the trial completes.
    @Test func aProgramPastTheLastEpochIsToldToStop() throws {
        let h = try SweepHarness("past-max-epochs")
        defer { h.cleanUp() }
        _ = try h.write("train.py", pythonTrainer(sleep: 0, epochs: 6))
        let file = try h.write("s.yaml", commandSweep(study: "past", command: "[python3, train.py, \"${args}\"]", trials: 2, epochs: 2, extra: "working_directory: ."))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        for (trial, curve, _) in try trialsAndCurves(h, "past") {
            #expect(trial.state == .complete && curve.map(\.step) == [1, 2], "\(trial.number): \(trial.state) \(curve.map(\.step))")
            let ran = try String(contentsOfFile: h.path("ran-\(trial.number).txt"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ")[0] }
            #expect(ran == ["1", "2", "3"], "trial \(trial.number) ran epochs \(ran)")
        }
        let log = try h.run(["logs", "past", "0", "--db", h.db])
        #expect(log.output.contains("1 report(s) past epoch 2, the study's last (budget.max_epochs), ignored; the program was told to stop"), "\(log.output)")
    }

    /// A budgeted sweep whose program cannot run (a typo, a shell without the program's
    /// environment) stops after the first 5 trials of the run failed, exit 1, and `sweep
    /// resume` runs the rest of the budget once it is fixed: it failed all 40 trials in
    /// seconds, and a resume with 3 good trials from before exited 0 after 37 FAIL.
    @Test func aBrokenProgramStopsTheRunAndResumeRunsTheRestOfTheBudgetOnceFixed() throws {
        let h = try SweepHarness("broken-budget")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", """
            if [ -f broken ]; then echo "ModuleNotFoundError: No module named 'sklearn'" >&2; exit 1; fi
            echo '{"score": 1}' >&"$SWEEP_REPORT_FD"

            """)
        let file = try h.write("b.yaml", "study: b\ncommand: [sh, t.sh]\nobjective: {metric: score}\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 30}\n")
        let states = { try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "b").id).map(\.state) } }
        _ = try h.write("broken", "")
        let first = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(first.status == 1 && first.output.contains(/the first [5-7] trials of this run all failed/) && first.output.contains("No module named 'sklearn'"), "\(first)")
        // The fix is said before the program's output, not spliced into it.
        let fix = first.output.range(of: "fix the program"), tail = first.output.range(of: "No module named 'sklearn'")
        #expect(fix != nil && tail != nil && fix!.lowerBound < tail!.lowerBound, "\(first.output)")
        // Said once, not again in the closing error; its own local workers are not named.
        #expect(first.output.components(separatedBy: "No module named 'sklearn'").count == 2 && !first.output.contains("all on worker"), "\(first.output)")
        let afterFirst = try states()
        #expect(afterFirst.count <= 7 && afterFirst.allSatisfy { $0 == .fail }, "\(afterFirst)")
        try FileManager.default.removeItem(atPath: h.path("broken"))
        let fixed = try h.run(["resume", "b", "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(fixed.status == 0, "\(fixed)")
        let afterFix = try states()
        #expect(afterFix.count == 30 && afterFix.filter { $0 == .complete }.count >= 23, "\(afterFix)")
        // Broken again, with good trials from before: this run's failures still stop it, exit 1.
        _ = try h.write("broken", "")
        let again = try h.run(["resume", "b", "--db", h.db, "--workers", "2", "--add-trials", "20", "--no-progress"], timeout: 120)
        #expect(again.status == 1 && again.output.contains("stopped because the trials of this run all failed"), "\(again)")
        let afterAgain = try states()
        #expect(afterAgain.count <= 37, "\(afterAgain)")
    }

    /// A grid whose broken program failed some points gets them back with `resume
    /// --retry-failed` once fixed: a grid runs each point once, so they stayed unevaluated
    /// (a resume ran the other points and ended "FINISHED"; `--add-trials` was refused).
    @Test func aGridsFailedPointsRunAgainWithRetryFailed() throws {
        let h = try SweepHarness("grid-retry")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", """
            if [ -f broken ]; then echo "ModuleNotFoundError: No module named 'sklearn'" >&2; exit 1; fi
            echo '{"score": 1}' >&"$SWEEP_REPORT_FD"

            """)
        let file = try h.write("g.yaml", "study: g\ncommand: [sh, t.sh]\nobjective: {metric: score}\nparameters:\n  x: {choice: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\nsampler: {name: grid}\nbudget: {trials: 10}\n")
        let trials = { try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "g").id) } }
        _ = try h.write("broken", "")
        let first = try h.run(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(first.status == 1 && first.output.contains("(with --retry-failed, the "), "\(first)")
        let failed = try trials().filter { $0.state == .fail }.count
        #expect(failed >= 5, "\(failed) failed")
        try FileManager.default.removeItem(atPath: h.path("broken"))
        // Fixed, resumed: the other points run; the failed ones stay FAIL, and the study says how to get them back.
        let rest = try h.run(["resume", "g", "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(rest.status == 0, "\(rest)")
        #expect(try trials().filter { $0.state == .complete }.count == 10 - failed)
        let nothing = try h.run(["resume", "g", "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(nothing.status == 0 && nothing.output.contains("nothing to resume; --retry-failed runs the parameters of its \(failed) failed trial(s) again")
                && !nothing.output.contains("--add-trials"), "\(nothing)")
        let addTrials = try h.run(["resume", "g", "--db", h.db, "--add-trials", "3"])
        #expect(addTrials.status == 2 && addTrials.output.contains("`sweep resume g --retry-failed` runs the points whose trials failed again"), "\(addTrials)")
        let retried = try h.run(["resume", "g", "--db", h.db, "--workers", "2", "--no-progress", "--retry-failed"], timeout: 120)
        #expect(retried.status == 0 && retried.output.contains("queued the parameters of \(failed) failed trial(s) of 'g' to run again"), "\(retried)")
        let all = try trials()
        #expect(all.count == 10 + failed, "\(all.map { ($0.number, $0.state) })")
        // Every point of the grid has a complete trial now, each once.
        let complete = all.filter { $0.state == .complete }.compactMap { $0.params["x"]?.number }
        #expect(complete.sorted() == (1...10).map(Double.init), "\(complete)")
        let again = try h.run(["resume", "g", "--db", h.db, "--workers", "2", "--no-progress", "--retry-failed"], timeout: 120)
        #expect(again.status == 0 && again.output.contains("has finished: nothing to resume") && !again.output.contains("--retry-failed the parameters"), "\(again)")
        #expect(try trials().count == 10 + failed)
    }

    /// Report lines over the bound (1 MiB) are answered with the epoch they name: after the
    /// first, the next waited forever for its answer (it got the first one's epoch again).
    @Test func oversizedReportLinesAreAnsweredAndTheTrialGoesOn() throws {
        let h = try SweepHarness("oversized-lines")
        defer { h.cleanUp() }
        _ = try h.write("t.py", """
            import sweep_client as wandb
            run = wandb.init()
            for e in range(3):
                d = {"m%07d" % i: 0.5 for i in range(100000)}
                d["val_loss"] = 1.0 / (e + 1)
                wandb.log(d)
            for e in range(2):
                wandb.log({"val_loss": 0.1 / (e + 1)})
            """)
        let file = try h.write("s.yaml", "program: t.py\nmethod: grid\nmetric: {name: val_loss}\nparameters:\n  x: {values: [1]}\n")
        let (status, output) = try h.run(SweepHarness.executable.path, ["run", file, "--db", h.db, "--workers", "1", "--no-progress"],
                                         timeout: 120, environment: ["PYTHONPATH": pythonClientPath])
        #expect(status == 0, "\(output)")
        let rows = try trialsAndCurves(h, "s")
        #expect(rows.first?.0.state == .complete && rows.first?.0.value == 0.05, "\(rows.map { ($0.0.state, $0.0.value ?? .nan, $0.0.error ?? "") })")
    }

    @Test func unsupportedWandBKeysAreErrorsNamingThem() throws {
        let h = try SweepHarness("wandb-bad")
        defer { h.cleanUp() }
        let cases: [(String, String)] = [
            ("program: t.py\nmethod: random\nrun_cap: 2\nmetric: {name: loss}\nparameters:\n  lr: {distribution: q_log_uniform_values, min: 0, max: 64, q: 2}\n", "parameters.lr.min: q_log_uniform_values needs min > 0"),
            ("program: t.py\nmethod: random\nrun_cap: 2\nmetric: {name: loss, target: high}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n", "metric.target: expected a number"),
            ("program: t.py\nmethod: random\nrun_cap: 2\nimage: foo\nparameters:\n  lr: {min: 1, max: 4}\n", "4:1: image: unknown key 'image': not a key of W&B sweep files"),
            ("program: t.py\nmethod: hyperopt\nrun_cap: 2\nparameters:\n  lr: {min: 1, max: 4}\n", "method must be grid, random or bayes"),
            ("program: t.py\nmethod: random\nrun_cap: 2\nparameters:\n  lr: {min: 1, max: 4}\n", "metric: Sweep needs 'metric' to rank the trials (W&B runs random sweeps without one)"),
            // Said of the file's `method`, not of a `sampler` it does not have.
            ("program: t.py\nmethod: grid\nrun_cap: 5\nmetric: {name: loss}\nparameters:\n" + "abcdefg".map { "  \($0): {values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}\n" }.joined(),
             "2:9: method: the grid has more than 1000000 points; give float ranges a step, use fewer points per axis, or use method: random or bayes"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let file = try h.write("bad\(i).yaml", text)
            for command in [["validate", file], ["convert", "wandb", file]] {
                let (status, output) = try h.run(command)
                #expect(status == 2, "\(command): \(output)")
                #expect(output.contains(expected), "\(command): \(output)")
            }
        }
    }
}
