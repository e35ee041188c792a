import Foundation
import Store
import Testing

/// Option parsing and messages for input that is wrong in small ways: exit 2, a clear message.
@Suite(.serialized) struct CommandLineDefectTests {
    @Test func smallMistakesAreUsageErrorsWithClearMessages() throws {
        let h = try SweepHarness("cli-defects")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "ok", trials: 3, epochs: 1, sleep: 0))
        #expect(try h.run(["run", sweep, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let tagged = try h.write("tagged.yaml", "study: x\nsynthetic: !!python/object:os.system {function: sphere}\nbudget: {trials: 1}\n")
        let fifo = h.path("fifo.yaml")
        #expect(mkfifo(fifo, 0o600) == 0)
        let escape = try h.write("escape.yaml", "study: \"a\\x1b[31mred\"\nsynthetic: {function: sphere, inputs: {x: {uniform: [0, 1]}}}\nbudget: {trials: 1}\n")

        let expectations: [([String], String)] = [
            (["worker", "--connect", "notaurl"], "--connect must be a ZeroMQ endpoint such as tcp://HOST:5555, got 'notaurl'"),
            (["worker", "--connect", "tcp://127.0.0.1:http"], "--connect: the port must be a number from 1 to 65535"),
            (["worker", "--connect", "tcp://*:5555"], "'*' (every interface) is for --bind; a worker connects to the coordinator's address"),
            (["coordinator", sweep, "--db", h.path("other.db"), "--bind", "ipc:///nonexistent-dir/c.sock"], "the directory /nonexistent-dir does not exist"),
            (["coordinator", sweep, "--db", h.path("other.db"), "--bind", "tcp://nosuchhost.invalid:5555"], "'nosuchhost.invalid' is no address, interface or host name of this machine"),
            // Negative numbers reach the option (not "Missing value") and are then judged.
            (["trials", "ok", "--db", h.db, "--limit", "-3"], "--limit must be >= 1, got -3"),
            (["resume", "ok", "--db", h.db, "--add-trials", "-3"], "--add-trials must be >= 0, got -3"),
            (["trials", "ok", "--db", h.db, "--sort", "nosuchmetric"], "cannot sort by 'nosuchmetric': not a metric of study 'ok'; sort by number, value, duration, or one of:"),
            (["validate", h.directory.path], "\(h.directory.path): is a directory; give the sweep file (a .yaml file) itself"),
            // A pipe or device (`<(gen.py)`, /dev/stdin) said only "cannot read the file".
            (["validate", "/dev/null"], "/dev/null: is a pipe or device, not a file: a sweep file is read more than once"),
            (["run", fifo, "--db", h.path("fifo.db")], "fifo.yaml: is a pipe or device, not a file"),
            (["convert", "wandb", fifo], "fifo.yaml: is a pipe or device, not a file"),
            (["validate", tagged], "tagged.yaml:2:12: YAML tag '!!python/object:os.system' is not supported"),
            // A file's control characters are shown escaped, not sent to the terminal.
            (["validate", escape], "got 'a\\u{1B}[31mred'"),
            (["resume", "ok", "--db", h.db, "--add-trials", "9223372036854775807", "--workers", "0"],
             "--add-trials 9223372036854775807 would raise the budget of 'ok' from 3 past the limit of 1000000 trials"),
        ]
        for (args, message) in expectations {
            let (status, output) = try h.run(args)
            #expect(status == 2, "\(args): \(output)")
            #expect(output.contains(message), "\(args): \(output)")
            #expect(!output.contains("Missing value"), "\(args): \(output)")
        }
        // A host name that does not resolve is said (the worker only asked "is it running?").
        let typo = try h.run(["worker", "--connect", "tcp://nosuchhost.invalid:5555", "--give-up-after", "1"])
        #expect(typo.output.contains("the host name 'nosuchhost.invalid' of --connect tcp://nosuchhost.invalid:5555 does not resolve here"), "\(typo.output)")
        // A finished study has nothing to resume: no coordinator, no workers, a hint.
        let finished = try h.run(["resume", "ok", "--db", h.db, "--workers", "2", "--no-progress"])
        #expect(finished.status == 0 && finished.output.contains("study 'ok' has finished: nothing to resume") && !finished.output.contains("listening"), "\(finished.output)")
        // The refused --add-trials changed nothing.
        #expect(try h.reader().read { try $0.requireStudy(named: "ok") }.definition.budgetTrials == 3)
        // Negative values are accepted where they are valid.
        let target = try h.run(["compare", "ok", "ok", "--db", h.db, "--target", "-1"])
        #expect(target.status == 0, "\(target.output)")
        // A host name to listen on is its address (ZeroMQ said "No such device").
        let named = try h.run(["run", try h.write("n.yaml", syntheticSweep(study: "named", trials: 1, epochs: 1, sleep: 0)),
                               "--db", h.db, "--bind", "tcp://localhost:0", "--workers", "1", "--no-progress"])
        #expect(named.status == 0 && named.output.contains("listening on tcp://127.0.0.1:"), "\(named.output)")
    }

    /// A worker host's key directory holding the coordinator's secret key, or a worker key
    /// others can read, is warned about; `--key-name` without `--keys` is refused (it
    /// connected without CURVE).
    @Test func workerKeyMistakesAreSaid() throws {
        let h = try SweepHarness("worker-keys")
        defer { h.cleanUp() }
        let keys = h.path("keys")
        #expect(try h.run(["keygen", "--out", keys, "--names", "w1"]).status == 0)
        chmod(keys + "/workers/w1.key", 0o644)
        let worker = ["worker", "--connect", "tcp://127.0.0.1:\(SweepHarness.freePort())", "--keys", keys, "--key-name", "w1", "--give-up-after", "1"]
        let loose = try h.run(worker, timeout: 30).output
        #expect(loose.contains("coordinator.key is on this worker host") && loose.contains("w1.key can be read by other users (mode 644)"), "\(loose)")
        #expect(loose.contains("is coordinator.pub its key"), "\(loose)")
        try FileManager.default.removeItem(atPath: keys + "/coordinator.key")
        chmod(keys + "/workers/w1.key", 0o600)
        #expect(!(try h.run(worker, timeout: 30).output.contains("warning:")))
        let plain = try h.run(["worker", "--connect", "tcp://127.0.0.1:1", "--key-name", "w1"])
        #expect(plain.status == 2 && plain.output.contains("--key-name w1 needs --keys DIR"), "\(plain.output)")
    }

    /// A choice of whole lists searches the built-in network's hidden layers.
    @Test func aChoiceOfLayerListsSearchesArchitectures() throws {
        let h = try SweepHarness("list-choice")
        defer { h.cleanUp() }
        let sweep = try h.write("arch.yaml", """
            study: arch
            objective: {metric: val_accuracy, direction: maximize}
            data: {dataset: blobs}
            model:
              hidden: {choice: [[32, 16], [8], [4, 4, 4]]}
            training: {epochs: 1, batch_size: 32, optimizer: {name: adam, learning_rate: 0.001}}
            sampler: {name: grid}
            budget: {trials: 3}
            """)
        let (status, output) = try h.run(["run", sweep, "--db", h.db, "--workers", "1", "--no-progress"])
        #expect(status == 0, "\(output)")
        let trials = try h.reader().read { try $0.trials(studyID: try $0.requireStudy(named: "arch").id) }
        #expect(Set(trials.map { $0.params["hidden"]!.description }) == ["[32, 16]", "[8]", "[4, 4, 4]"])
        #expect(trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.state, $0.error ?? "") })")
        // The trained network has the chosen layers.
        let best = trials.max { ($0.value ?? 0, $0.number) < ($1.value ?? 0, $1.number) }!
        let shown = try h.run(["show", "arch", String(best.number), "--db", h.db])
        #expect(shown.output.contains("hidden") && shown.output.contains(best.params["hidden"]!.description), "\(shown.output)")
    }

    /// `--sort METRIC` shows that metric in a column of its own (the order could not be
    /// seen), in the table and the CSV; a parameter named like the objective is `param_NAME`
    /// in the CSV as in the table (the CSV called it `loss` beside `value`).
    @Test func sortingByAMetricShowsItsColumn() throws {
        let h = try SweepHarness("sort-column")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", """
            study: m
            objective: {metric: loss, direction: minimize}
            command: [sh, -c, "echo {\\\\\\"loss\\\\\\": $SWEEP_TRIAL, \\\\\\"acc\\\\\\": 0.$SWEEP_TRIAL} >&$SWEEP_REPORT_FD"]
            parameters:
              loss: {choice: [l1, l2]}
            pruner: {name: none}
            budget: {trials: 3, max_epochs: 1}
            """)
        let run = try h.run(["run", sweep, "--db", h.db, "--workers", "1", "--no-progress"])
        #expect(run.status == 0, "\(run.output)")
        let table = try h.run(["trials", "m", "--db", h.db, "--sort", "acc"]).output
        let header = table.split(separator: "\n").first.map { $0.split(separator: " ").map(String.init) } ?? []
        #expect(header == ["#", "state", "loss", "acc", "epochs", "time", "param_loss"], "\(table)")
        #expect(table.contains("0.2"), "\(table)")
        let csv = try h.run(["trials", "m", "--db", h.db, "--sort", "acc", "--format", "csv"]).output
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "number,state,value,epochs,duration,attempt,worker,acc,param_loss", "\(csv)")
        #expect(lines.dropFirst().first?.hasPrefix("2,COMPLETE,2.0,1,") == true && lines.dropFirst().first?.contains(",0.2,") == true, "\(csv)")
    }

    /// A metric named like a trial's column (`duration`, `value`, `number`) is sorted by as
    /// `metric:NAME`: `--sort duration` is the trial's time, and the metric could not be
    /// reached while the refusal offered it by its bare name.
    @Test func aMetricNamedLikeAColumnIsSortedByWithItsPrefix() throws {
        let h = try SweepHarness("sort-metric-prefix")
        defer { h.cleanUp() }
        let script = try h.write("d.sh", "echo \"{\\\"loss\\\": 1, \\\"duration\\\": $((3 - SWEEP_TRIAL))}\" >&\"$SWEEP_REPORT_FD\"\n")
        let sweep = try h.write("s.yaml", """
            study: d
            objective: {metric: loss, direction: minimize}
            command: [sh, \(script)]
            parameters:
              x: {uniform: [0, 1]}
            pruner: {name: none}
            budget: {trials: 3, max_epochs: 1}
            """)
        #expect(try h.run(["run", sweep, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let csv = try h.run(["trials", "d", "--db", h.db, "--sort", "metric:duration", "--format", "csv"])
        #expect(csv.status == 0 && csv.output.split(separator: "\n").dropFirst().map { $0.prefix(2) } == ["2,", "1,", "0,"], "\(csv.output)")
        let refused = try h.run(["trials", "d", "--db", h.db, "--sort", "nope"])
        #expect(refused.status == 2 && refused.output.contains("metric:duration") && !refused.output.contains(" duration, loss"), "\(refused.output)")
    }

    /// `--sort -value` is the reverse order (was read as an unknown option, "Missing value").
    @Test func aLeadingDashReversesTheSort() throws {
        let h = try SweepHarness("reverse-sort")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "r", trials: 5, epochs: 1, sleep: 0))
        #expect(try h.run(["run", sweep, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let byValue = try h.reader().read { try $0.trials(studyID: try $0.requireStudy(named: "r").id, order: .value) }.map(\.number)
        func numbers(_ sort: [String]) throws -> [Int] {
            let (status, output) = try h.run(["trials", "r", "--db", h.db, "--format", "csv"] + sort)
            #expect(status == 0, "\(sort): \(output)")
            return output.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",").first ?? "") }
        }
        #expect(try numbers(["--sort", "value"]) == byValue)
        #expect(try numbers(["--sort", "-value"]) == Array(byValue.reversed()))
        #expect(try numbers(["--sort=-value"]) == Array(byValue.reversed()))
        #expect(try numbers(["--sort", "-number"]) == [4, 3, 2, 1, 0])
        // The worst one first also under --limit: the order is the query's, not a reversed page.
        #expect(try numbers(["--sort", "-value", "--limit", "2"]) == Array(byValue.reversed().prefix(2)))
        let bad = try h.run(["trials", "r", "--db", h.db, "--sort", "-"])
        #expect(bad.status == 2 && bad.output.contains("cannot sort by '-'"), "\(bad.output)")
    }

    /// Sorting by the objective's own name follows the study's direction (a minimized `wer`
    /// was sorted worst first, by the guess from its name that `--sort value` does not make).
    @Test func sortingByTheObjectiveFollowsTheStudysDirection() throws {
        let h = try SweepHarness("objective-sort")
        defer { h.cleanUp() }
        _ = try h.write("r.sh", #"echo "{\"epoch\": 1, \"wer\": $1, \"acc\": $1}" >&3"# + "\n")
        let file = try h.write("s.yaml", """
            study: w
            objective: {metric: wer, direction: minimize}
            command: [sh, r.sh, "${param:x}"]
            working_directory: .
            parameters:
              x: {choice: [0.5, 0.1, 0.9]}
            sampler: {name: grid}
            pruner: {name: none}
            budget: {trials: 3, max_epochs: 1}
            """)
        #expect(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        func values(_ sort: String) throws -> [String] {
            let (status, output) = try h.run(["trials", "w", "--db", h.db, "--format", "csv", "--sort", sort])
            #expect(status == 0, "\(output)")
            let rows = output.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let column = try #require(rows.first?.firstIndex(of: "value"), "\(output)") // the trial's wer
            return rows.dropFirst().map { $0[column] }
        }
        #expect(try values("value") == ["0.1", "0.5", "0.9"])
        #expect(try values("wer") == ["0.1", "0.5", "0.9"])
        #expect(try values("-wer") == ["0.9", "0.5", "0.1"])
        // Other metrics keep the guess from their names (accuracy-like: highest first).
        #expect(try values("acc") == ["0.9", "0.5", "0.1"])
    }

    /// `command: ["${program}"]` with a bare `program` PATH does not have: noted by validate,
    /// refused by run with local workers (every trial failed to start, "could not start
    /// 'argv.py': No such file or directory in PATH", while validate passed it); `./argv.py` runs.
    @Test func aBareProgramNameRunAsTheCommandIsLookedUpInPath() throws {
        let h = try SweepHarness("bare-program")
        defer { h.cleanUp() }
        _ = try h.write("argv.py", "#!/bin/sh\necho '{\"loss\": 1}' >&$SWEEP_REPORT_FD\n")
        chmod(h.path("argv.py"), 0o755)
        let file = try h.write("s.yaml", commandSweep(study: "b", command: "[\"${program}\"]", trials: 1, epochs: 1)
            .replacingOccurrences(of: "command: [\"${program}\"]", with: "program: argv.py\ncommand: [\"${program}\"]\nworking_directory: ."))
        let validate = try runSweep(["validate", file], in: h.directory.path)
        #expect(validate.status == 0 && validate.output.contains(": command starts with ${program} = 'argv.py', a name without a '/', which is looked up in PATH")
                && validate.output.contains("write program: ./argv.py"), "\(validate.output)")
        let run = try runSweep(["run", file, "--db", h.path("b.db"), "--workers", "1", "--no-progress"], in: h.directory.path)
        #expect(run.status == 2 && run.output.contains("error: \(file):") && run.output.contains(": command starts with ${program} = 'argv.py'"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("b.db")))
        let fixed = try h.write("f.yaml", try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "program: argv.py", with: "program: ./argv.py"))
        let ran = try runSweep(["run", fixed, "--db", h.path("f.db"), "--workers", "1", "--no-progress"], in: h.directory.path)
        #expect(ran.status == 0 && !ran.output.contains("note:"), "\(ran.output)")
    }

    /// A command whose runner this machine lacks (`[${env}, python, ...]` where only python3
    /// is installed): noted by validate, refused by run with local workers (every trial failed
    /// to start until five failures stopped the run), and fine with --workers 0.
    @Test func aRunnerNotInPathIsRefusedForLocalWorkers() throws {
        let h = try SweepHarness("missing-runner")
        defer { h.cleanUp() }
        _ = try h.write("t.py", "print(1)\n")
        for (command, runner) in [("[\"${env}\", \"sweep-no-such-python\", \"${program}\", \"${args}\"]", "sweep-no-such-python"),
                                  ("[\"env\", \"A=1\", \"/opt/no/such/python3\", \"${program}\"]", "/opt/no/such/python3")] {
            let file = try h.write("s.yaml", commandSweep(study: "r", command: command, trials: 1, epochs: 1)
                .replacingOccurrences(of: "command: \(command)", with: "program: t.py\ncommand: \(command)"))
            let validate = try runSweep(["validate", file], in: h.directory.path)
            #expect(validate.status == 0 && validate.output.contains("note: \(file):") && validate.output.contains(": command runs '\(runner)', which is not"), "\(validate.output)")
            let run = try runSweep(["run", file, "--db", h.path("r.db"), "--workers", "1", "--no-progress"], in: h.directory.path)
            #expect(run.status == 2 && run.output.contains(": command runs '\(runner)'") && run.output.contains("--workers 0"), "\(run.output)")
            #expect(!FileManager.default.fileExists(atPath: h.path("r.db")))
        }
        // A runner that is there passes without a note.
        let fine = try h.write("f.yaml", commandSweep(study: "f", command: "[\"${env}\", \"python3\", \"${program}\"]", trials: 1, epochs: 1)
            .replacingOccurrences(of: "command: [", with: "program: t.py\ncommand: ["))
        let validate = try runSweep(["validate", fine], in: h.directory.path)
        #expect(validate.status == 0 && !validate.output.contains("note:"), "\(validate.output)")
        // The default command (no `command:`) on a machine without python: refused the same
        // way (every trial failed with "env: 'python3': No such file or directory").
        let plain = try h.write("p.yaml", commandSweep(study: "p", command: "[python3]", trials: 1, epochs: 1)
            .replacingOccurrences(of: "command: [python3]", with: "program: t.py"))
        let noPython = try runSweep(["run", plain, "--db", h.path("p.db"), "--workers", "1", "--no-progress"], in: h.directory.path,
                                    environment: ["PATH": h.path("no-such-bin")])
        #expect(noPython.status == 2 && noPython.output.contains("the default command ([${env}, ${interpreter}, ${program}, ${args}]) runs 'python3'"), "\(noPython.output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("p.db")))
    }

    /// A `program` that local workers would not find (run from another directory without
    /// `working_directory`, or not in the one it names) is noted by `validate` and refused by
    /// `run` with local workers, with where it is.
    @Test func aProgramLocalWorkersWouldNotFindIsNoted() throws {
        let h = try SweepHarness("program-location")
        defer { h.cleanUp() }
        _ = try h.write("train.py", "print('hi')\n")
        let file = try h.write("s.yaml", commandSweep(study: "p", command: "[python3, train.py]", trials: 1, epochs: 1)
            .replacingOccurrences(of: "command: [python3, train.py]", with: "program: train.py\ncommand: [python3, \"${program}\"]"))
        let elsewhere = try runSweep(["validate", file], in: "/")
        #expect(elsewhere.status == 0 && elsewhere.output.contains("note: \(file):") && elsewhere.output.contains(": program 'train.py' is not in /, where local workers run it (no working_directory); it is beside \(file): add `working_directory: .`"), "\(elsewhere.output)")
        let beside = try runSweep(["validate", file], in: h.directory.path)
        #expect(beside.status == 0 && !beside.output.contains("note:"), "\(beside.output)")
        // `sweep run` with local workers refuses it, as `resume` does, before anything is
        // written (it ran, and its trials stayed FAIL in the study).
        let run = try runSweep(["run", file, "--db", h.path("elsewhere.db"), "--workers", "1", "--no-progress"], in: "/")
        #expect(run.status == 2 && run.output.contains(": program 'train.py' is not in /, where local workers run it (no working_directory); it is beside \(file)")
                && run.output.contains("or pass --workers 0"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("elsewhere.db")))
        // A working_directory (relative to the file) that does not hold the program.
        let misplaced = try h.write("w.yaml", try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "program: train.py", with: "program: nosuch.py\nworking_directory: ."))
        let noted = try runSweep(["validate", misplaced], in: "/")
        #expect(noted.status == 0 && noted.output.contains(": program 'nosuch.py' is not in \(h.directory.path), the working_directory local workers run it in"), "\(noted.output)")
        // A command that runs a relative path itself, not through ${program}: every trial
        // would fail to start (it was not judged, and the run failed each trial).
        let direct = try h.write("d.yaml", try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "program: train.py\ncommand: [python3, \"${program}\"]", with: "program: missing.sh\ncommand: [./missing.sh, \"${args}\"]\nworking_directory: ."))
        let refused = try runSweep(["run", direct, "--db", h.path("direct.db"), "--workers", "1", "--no-progress"], in: "/")
        #expect(refused.status == 2 && refused.output.contains(": program './missing.sh' is not in \(h.directory.path), the working_directory local workers run it in"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("direct.db")))
        // A shell script run through ${interpreter} (Python, as in W&B) by the default command.
        _ = try h.write("train.sh", "#!/bin/sh\necho hi\n")
        let shell = try h.write("sh.yaml", try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "program: train.py\ncommand: [python3, \"${program}\"]", with: "program: train.sh"))
        let python = "program 'train.sh' is not a Python file, but the command runs it through ${interpreter} (Python: the default command, ${env} ${interpreter} ${program} ${args}): every trial would fail; write command: [bash, \"${program}\", \"${args}\"]"
        let shellNoted = try runSweep(["validate", shell], in: h.directory.path)
        #expect(shellNoted.status == 0 && shellNoted.output.contains(": " + python), "\(shellNoted.output)")
        let shellRun = try runSweep(["run", shell, "--db", h.path("sh.db"), "--workers", "1", "--no-progress"], in: h.directory.path)
        #expect(shellRun.status == 2 && shellRun.output.contains(": " + python), "\(shellRun.output)")
        // A missing one is said to be missing (it was said to be "not a Python file").
        let gone = try h.write("gone.yaml", try String(contentsOfFile: shell, encoding: .utf8).replacingOccurrences(of: "program: train.sh", with: "program: nosuch.sh"))
        let goneRun = try runSweep(["run", gone, "--db", h.path("gone.db"), "--workers", "1", "--no-progress"], in: h.directory.path)
        #expect(goneRun.status == 2 && goneRun.output.contains("program 'nosuch.sh' is not in \(h.directory.path)") && !goneRun.output.contains("not a Python file"), "\(goneRun.output)")
        // An absolute path is looked for too (it was not judged: every trial failed to open it).
        for extra in ["", "\ncommand: [sh, \"${program}\"]"] {
            let absent = try h.write("abs.yaml", try String(contentsOfFile: shell, encoding: .utf8)
                .replacingOccurrences(of: "program: train.sh", with: "program: /nonexistent-\(getpid())/none.sh" + extra))
            let absentRun = try runSweep(["run", absent, "--db", h.path("abs.db"), "--workers", "1", "--no-progress"], in: h.directory.path)
            #expect(absentRun.status == 2 && absentRun.output.contains("program '/nonexistent-\(getpid())/none.sh' does not exist on this machine, where local workers run it")
                    && !absentRun.output.contains("not a Python file"), "\(absentRun.output)")
        }
        // Without an extension, its #! line says what it is.
        _ = try h.write("runme", "#!/usr/bin/env bash\necho hi\n")
        let bare = try h.write("bare.yaml", try String(contentsOfFile: shell, encoding: .utf8).replacingOccurrences(of: "program: train.sh", with: "program: runme"))
        let bareRun = try runSweep(["run", bare, "--db", h.path("bare.db"), "--workers", "1", "--no-progress"], in: h.directory.path)
        #expect(bareRun.status == 2 && bareRun.output.contains("program 'runme' is not a Python file") && bareRun.output.contains("write command: [bash, \"${program}\""), "\(bareRun.output)")
        _ = try h.write("pyscript", "#!/usr/bin/env python3\nprint(1)\n")
        let py = try h.write("py.yaml", try String(contentsOfFile: shell, encoding: .utf8).replacingOccurrences(of: "program: train.sh", with: "program: pyscript"))
        #expect(!(try runSweep(["validate", py], in: h.directory.path).output.contains("not a Python file")))
        // A working_directory that is not there is said so (not "the program is not in it").
        let nowhere = try h.write("nd.yaml", try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "program: train.py", with: "program: train.py\nworking_directory: nodir"))
        let noDir = try runSweep(["validate", nowhere], in: "/")
        #expect(noDir.status == 0 && noDir.output.contains("note: \(nowhere):") && noDir.output.contains(": working_directory \(h.directory.path)/nodir does not exist"), "\(noDir.output)")
    }

    /// A long choice list is shown by its ends: 10,000 choices made one line of 58,902
    /// characters in `validate`.
    @Test func validateShowsALongChoiceListByItsEnds() throws {
        let h = try SweepHarness("validate-long-choice")
        defer { h.cleanUp() }
        let values = (0..<500).map(String.init).joined(separator: ", ")
        let file = try h.write("c.yaml", syntheticSweep(study: "c", trials: 2, epochs: 1, sleep: 0)
            .replacingOccurrences(of: "y: {uniform: [-2, 2]}", with: "y: {choice: [\(values)]}"))
        let out = try h.run(["validate", file])
        let line = try #require(out.output.split(separator: "\n").first { $0.contains("y: one of") }, "\(out.output)")
        #expect(out.status == 0 && line.contains("one of 500 choices [0, 1, 2,") && line.contains(", 17, ... (481 more), 499]") && line.count < 200, "\(line)")
        // Long values are cut too (20 texts of 300 characters made a line of 6,242).
        let texts = (0..<20).map { String(repeating: Character(UnicodeScalar(97 + $0 % 26)!), count: 300) }.joined(separator: ", ")
        let wide = try h.write("w.yaml", commandSweep(study: "w", command: "[sh, -c, \"exit 0\"]", trials: 2, epochs: 1)
            .replacingOccurrences(of: "name: {choice: [alpha, beta]}", with: "tag: {choice: [\(texts)]}"))
        let wideOut = try h.run(["validate", wide])
        let wideLine = wideOut.output.split(separator: "\n").first { $0.contains("tag: one of") } ?? ""
        #expect(wideOut.status == 0 && wideLine.count < 1000 && wideLine.contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."), "\(wideOut.output.prefix(600))")
        // So are a condition's values (a `when:` of long values made a line of 536 characters).
        let firstTexts = (0..<20).map { String(repeating: Character(UnicodeScalar(97 + $0 % 26)!), count: 300) }.prefix(12).joined(separator: ", ")
        let conditional = try h.write("when.yaml", commandSweep(study: "when", command: "[sh, -c, \"exit 0\"]", trials: 2, epochs: 1)
            .replacingOccurrences(of: "name: {choice: [alpha, beta]}", with: "tag: {choice: [\(texts)]}\n  depth: {int: [1, 4], when: {tag: [\(firstTexts)]}}"))
        let whenOut = try h.run(["validate", conditional])
        let whenLine = whenOut.output.split(separator: "\n").first { $0.contains("depth: int") } ?? ""
        #expect(whenOut.status == 0 && whenLine.count < 700 && whenLine.contains("when tag in [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..., bbb"), "\(whenOut.output.prefix(600))")
    }

    /// An unquoted yes/no/on/off among words is a flag in YAML (as in W&B's PyYAML):
    /// `validate` says so for a choice list that mixes text and true/false.
    @Test func validateNotesYesAndNoReadAsFlagsAmongWords() throws {
        let h = try SweepHarness("validate-yes")
        defer { h.cleanUp() }
        let file = try h.write("y.yaml", commandSweep(study: "y", command: "[sh, -c, \"exit 0\"]", trials: 1, epochs: 1)
            .replacingOccurrences(of: "  name: {choice: [alpha, beta]}", with: "  mode: {choice: [stop, yes, later]}\n  country: {choice: [no, se, dk]}"))
        let out = try h.run(["validate", file])
        #expect(out.status == 0 && out.output.contains("note: the choices of mode mix text with true/false: YAML reads an unquoted yes, no, on or off as true or false")
                && out.output.contains("note: the choices of country mix"), "\(out.output)")
        // A list of flags alone, or of quoted words, is no such mix.
        #expect(!out.output.contains("choices of flag"), "\(out.output)")
    }

    /// A one-choice parameter (`{fixed: 3}`, W&B's `values: [3]`) is shown as fixed and not
    /// counted among the searched ones (it was "4 searched parameter(s)" for three).
    @Test func validateCountsFixedParametersApart() throws {
        let h = try SweepHarness("validate-fixed")
        defer { h.cleanUp() }
        let file = try h.write("f.yaml", commandSweep(study: "f", command: "[sh, -c, \"exit 0\"]", trials: 1, epochs: 1)
            .replacingOccurrences(of: "  name: {choice: [alpha, beta]}", with: "  name: {choice: [alpha, beta]}\n  width: {fixed: 3}\n  depth: 5"))
        let out = try h.run(["validate", file])
        #expect(out.status == 0 && out.output.contains("3 searched parameter(s), 1 fixed:") && out.output.contains("  width: fixed 3"), "\(out.output)")
    }

    /// One worker per core this process may use: `taskset -c 0 sweep run` started one per core
    /// of the machine.
    @Test func theDefaultWorkersFollowTheCPUAffinity() throws {
        let h = try SweepHarness("affinity")
        defer { h.cleanUp() }
        let help = try h.run("/usr/bin/taskset", ["-c", "0", SweepHarness.sweep, "run", "--help"])
        #expect(help.status == 0 && help.output.contains("(default: 1)"), "\(help.output)")
    }

    /// `${args_no_boolean_flags}` leaves a false flag out (W&B's rule): a flag defaulting to
    /// true ran with it while the trial recorded false; validate says so and what to write.
    @Test func validateNotesFalseFlagsLeftOut() throws {
        let h = try SweepHarness("validate-boolean-flags")
        defer { h.cleanUp() }
        let file = try h.write("b.yaml", commandSweep(study: "b", command: "[sh, -c, \"exit 0\", sh, \"${args_no_boolean_flags}\"]", trials: 1, epochs: 1))
        let out = try h.run(["validate", file])
        #expect(out.status == 0 && out.output.contains("note: ${args_no_boolean_flags} passes --flag when true and leaves it out when false")
                && out.output.contains("{choice: [--flag, --no-flag]}"), "\(out.output)")
    }

    /// W&B's log_uniform takes natural-log exponents: bounds written as the values meant
    /// (`min: 0.0001, max: 0.1`) search [1.0001, 1.105], as in W&B; validate says so.
    @Test func validateNotesLogUniformBoundsThatLookLikeValues() throws {
        let h = try SweepHarness("validate-log-uniform")
        defer { h.cleanUp() }
        let file = try h.write("w.yaml", """
            program: t.py
            method: random
            metric: {name: loss}
            parameters:
              lr: {distribution: log_uniform, min: 0.0001, max: 0.1}
              wd: {distribution: log_uniform, min: -9.2, max: -2.3}
            """)
        let out = try h.run(["validate", file])
        #expect(out.status == 0 && out.output.contains("note: parameters.lr: log_uniform takes natural-log exponents (as in W&B), so min 1.00e-4 and max 0.1 search [1, 1.105]; for the values themselves write distribution: log_uniform_values"), "\(out.output)")
        #expect(!out.output.contains("parameters.wd:"), "\(out.output)")
    }

    /// An unknown `${...}` inside a longer word of the command is passed on (W&B's agent
    /// does; Hydra reads `${now:...}`), and `validate` says so: it may be a typo.
    @Test func validateNotesUnknownMacrosPassedAsWritten() throws {
        let h = try SweepHarness("validate-inline-macro")
        defer { h.cleanUp() }
        let file = try h.write("m.yaml", commandSweep(study: "m", command: "[sh, -c, \"exit 0\", sh, \"hydra.run.dir=out/${now:%H-%M}\", 10]", trials: 1, epochs: 1))
        let out = try h.run(["validate", file])
        #expect(out.status == 0 && out.output.contains("note: command[4]: ${now:%H-%M} is not a Sweep macro: the program gets it as written"), "\(out.output)")
    }

    @Test func validatePrintsTheTrialsAGridWillRun() throws {
        let h = try SweepHarness("validate-grid")
        defer { h.cleanUp() }
        let grid = try h.write("grid.yaml", """
            study: grid
            synthetic:
              function: sphere
              inputs:
                x: {choice: [-1.0, 0.0, 1.0, 2.0]}
                y: {int: [1, 8]}
            sampler: {name: grid}
            budget: {trials: 1000}
            """)
        let (status, output) = try h.run(["validate", grid])
        #expect(status == 0, "\(output)")
        #expect(output.contains("valid sweep 'grid': 32 trials (the grid's points; budget 1000), 1 epoch(s) each"), "\(output)")
        // The epochs a trial runs: the file's, under the cap; a searched count is "up to" the cap.
        let fixed = try h.write("fixed.yaml", syntheticSweep(study: "f", trials: 2, epochs: 5, sleep: 0).replacingOccurrences(of: "budget: {trials: 2}", with: "budget: {trials: 2, max_epochs: 10}"))
        #expect(try h.run(["validate", fixed]).output.contains("2 trials, 5 epoch(s) each"))
        let searched = try h.write("searched.yaml", syntheticSweep(study: "s", trials: 2, epochs: 5, sleep: 0)
            .replacingOccurrences(of: "epochs: 5", with: "epochs: {int: [2, 4]}").replacingOccurrences(of: "budget: {trials: 2}", with: "budget: {trials: 2, max_epochs: 10}"))
        let s = try h.run(["validate", searched])
        #expect(s.output.contains("2 trials, up to 10 epoch(s) each"), "\(s.output)")
    }

    /// `--add-trials` on a grid whose points all ran started a coordinator that ran nothing
    /// and said so nowhere (exit 0).
    @Test func addTrialsToAGridThatRanEveryPointIsRefused() throws {
        let h = try SweepHarness("grid-add")
        defer { h.cleanUp() }
        let grid = try h.write("grid.yaml", "study: g\nsynthetic:\n  function: sphere\n  inputs:\n    x: {choice: [-1.0, 0.0, 1.0]}\nsampler: {name: grid}\nbudget: {trials: 10}\n")
        #expect(try h.run(["run", grid, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let (status, output) = try h.run(["resume", "g", "--db", h.db, "--add-trials", "3", "--workers", "1", "--no-progress"])
        #expect(status == 2 && output.contains("study 'g' is a grid search whose 3 points are all in its budget already"), "\(output)")
        #expect(try h.reader().read { q in try q.requireStudy(named: "g").definition.budgetTrials } == 3)
        // A plain resume of it does not offer --add-trials, which is refused.
        let plain = try h.run(["resume", "g", "--db", h.db, "--workers", "1", "--no-progress"])
        #expect(plain.status == 0 && plain.output.contains("study 'g' has finished: nothing to resume") && !plain.output.contains("--add-trials"), "\(plain.output)")
        // A --db in a directory that does not exist is bad input (exit 2), not a failure.
        let nowhere = try h.run(["run", grid, "--db", "/nonexistent-\(getpid())/x.db", "--workers", "1", "--no-progress"])
        #expect(nowhere.status == 2 && nowhere.output.contains("the directory /nonexistent-\(getpid()) does not exist"), "\(nowhere.output)")
        // `studies --format json` names the best trial, as the table does (it had none).
        let studies = try h.run(["studies", "--db", h.db, "--format", "json"])
        let list = try JSONSerialization.jsonObject(with: Data(studies.output.utf8)) as? [[String: Any]]
        let best = list?.first?["best"] as? [String: Any]
        #expect(best?["number"] is Int && best?["value"] as? Double == 0, "\(studies.output)")
    }
}

/// A study ended by its wall-time budget: `resume` says what continues it (it suggested
/// `--add-trials`, which raised the budget and ran nothing), and `best` says where the
/// trials the budget cut are (PRUNED; it said only "no complete trial yet").
@Suite struct WallTimeBudgetTests {
    @Test func resumeAndBestSayWhatAWallTimeBudgetLeft() throws {
        let h = try SweepHarness("wall-time")
        defer { h.cleanUp() }
        let file = try h.write("w.yaml", syntheticSweep(study: "w", trials: 5, epochs: 8, sleep: 0.25)
            .replacingOccurrences(of: "budget: {trials: 5}", with: "budget: {trials: 5, wall_time: 1s}"))
        let run = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 60)
        #expect(run.status == 0 && run.output.contains("wall-time budget"), "\(run.output)")
        let resumed = try h.run(["resume", "w", "--db", h.db, "--workers", "1", "--no-progress"])
        #expect(resumed.status == 0 && resumed.output.contains("its wall-time budget (1.0s) is spent; to continue it, raise budget.wall_time in its sweep file")
                && !resumed.output.contains("--add-trials"), "\(resumed.output)")
        let more = try h.run(["resume", "w", "--db", h.db, "--workers", "1", "--no-progress", "--add-trials", "3"])
        #expect(more.status == 2 && more.output.contains("study 'w' has spent its wall-time budget (1.0s): no trial would run"), "\(more.output)")
        let budget = try h.reader().read { q in try q.requireStudy(named: "w").definition.budgetTrials }
        #expect(budget == 5, "the refused --add-trials raised the budget to \(budget)")
        let best = try h.run(["best", "w", "--db", h.db])
        #expect(best.status == 1 && best.output.contains("study 'w' finished without a complete trial (1 pruned: `sweep trials w"), "\(best.output)")
        // Said once, without an empty "error: " line after it.
        #expect(!best.output.contains("error:"), "\(best.output)")
        // JSON and CSV: the empty list, and the same exit code (it was 0).
        let json = try h.run(["best", "w", "--db", h.db, "--format", "json"])
        #expect(json.status == 1 && json.output.hasPrefix("[") && json.output.contains("finished without a complete trial"), "\(json.output)")
        let csv = try h.run(["best", "w", "--db", h.db, "--format", "csv"])
        #expect(csv.status == 1 && csv.output.hasPrefix("number,state,"), "\(csv.output)")
    }
}
