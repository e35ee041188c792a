import Foundation
import Store
import Testing

@Suite struct ResumeChangedFileTests {
    @Test func coordinatorResumeSaysWhatChangedAndContinuesOnlyWithForce() throws {
        let h = try SweepHarness("changed")
        defer { h.cleanUp() }
        let text = syntheticSweep(study: "c", trials: 2, epochs: 1, sleep: 0)
        let file = try h.write("c.yaml", text)
        let first = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"])
        try #require(first.status == 0, "\(first.output)")

        // A bigger budget: refused with the change shown, nothing written.
        _ = try h.write("c.yaml", text.replacingOccurrences(of: "budget: {trials: 2}", with: "budget: {trials: 3}"))
        let refused = try h.run(["coordinator", file, "--db", h.db, "--resume", "--no-progress"])
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.output.contains("changed since study 'c' began") && refused.output.contains("-12: budget: {trials: 2}")
                && refused.output.contains("+12: budget: {trials: 3}") && refused.output.contains("--force")
                && refused.output.contains("`sweep resume c --db \(h.db)`"), "\(refused.output)")
        let budget = { try h.reader().read { try $0.requireStudy(named: "c") }.definition.budgetTrials }
        #expect(try budget() == 2)

        // A changed search space is refused even with --force.
        let wider = try h.write("wide.yaml", text.replacingOccurrences(of: "x: {uniform: [-2, 2]}", with: "x: {uniform: [-5, 5]}"))
        let space = try h.run(["coordinator", wider, "--db", h.db, "--resume", "--force", "--no-progress"])
        #expect(space.status == 2 && space.output.contains("the search space cannot change"), "\(space.output)")

        // With --force the new file becomes the study's: the coordinator runs with budget 3.
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let forced = try h.start(["coordinator", file, "--db", h.db, "--resume", "--force", "--bind", endpoint, "--no-progress"], log: "forced.log")
        defer { if forced.isRunning { forced.terminate() } }
        let worker = try h.start(["worker", "--connect", endpoint], log: "worker.log")
        defer { if worker.isRunning { worker.terminate() } }
        #expect(h.waitFor(timeout: 120) { !forced.isRunning }, "\(h.logText("forced.log"))")
        #expect(forced.terminationStatus == 0, "\(h.logText("forced.log"))")
        #expect(try budget() == 3)
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "c").id) }
        #expect(trials.count == 3 && trials.allSatisfy { $0.state == .complete })

        // A budget cut below the trials it has: forced, and said (it ended "3/2 trials").
        _ = try h.write("c.yaml", text)
        let cut = try h.run(["coordinator", file, "--db", h.db, "--resume", "--force", "--no-progress"])
        #expect(cut.status == 0 && cut.output.contains("note: the new budget (2 trials) is below the 3 trials study 'c' has: it starts no new trial"), "\(cut.output)")
    }
}

/// `sweep coordinator FILE --resume` with the very file a study began with, which this
/// version refuses for a new study (a W&B key its distribution lacks): it resumed only with
/// `sweep resume`, and the coordinator form exited 2 on the study's own file.
@Suite struct ResumeUnderLaterRulesTests {
    @Test func theFileAStudyBeganWithResumesAlthoughANewStudyWouldBeRefusedIt() throws {
        let h = try SweepHarness("later-rules")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", "echo '{\"epoch\": 1, \"loss\": 0.5}' >&\"$SWEEP_REPORT_FD\"\n")
        let valid = "name: wb\nprogram: t.sh\ncommand: [sh, \"${program}\"]\nmethod: random\nmetric: {name: loss, goal: minimize}\nrun_cap: 2\nparameters:\n  x: {distribution: normal, mu: 0, sigma: 1}\n"
        let file = try h.write("wb.yaml", valid)
        // The study is created, and stopped before any trial.
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let first = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "first.log")
        defer { if first.isRunning { first.terminate() } }
        try #require(h.waitForStudy("wb", timeout: 60) != nil, "\(h.logText("first.log"))")
        first.terminate()
        #expect(h.waitFor(timeout: 30) { !first.isRunning })
        // As an older Sweep stored it: min and max on a normal (W&B's schema refuses them;
        // Sweep ignored them then). The space is the same.
        let older = valid.replacingOccurrences(of: "sigma: 1}", with: "sigma: 1, min: 0, max: 1}")
        _ = try h.write("wb.yaml", older)
        _ = try h.write("edit.py", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('UPDATE studies SET sweep_file = ?', (open(sys.argv[2]).read(),))\nc.commit()\n")
        let edit = try h.run("/usr/bin/python3", ["edit.py", h.db, file])
        try #require(edit.status == 0, "\(edit.output)")
        let refusedNew = try h.run(["validate", file])
        #expect(refusedNew.status == 2 && refusedNew.output.contains("parameters.x"), "\(refusedNew.output)")

        let resumed = try h.start(["coordinator", file, "--db", h.db, "--resume", "--bind", endpoint, "--no-progress"], log: "resumed.log")
        defer { if resumed.isRunning { resumed.terminate() } }
        let worker = try h.start(["worker", "--connect", endpoint, "--allow-commands"], log: "worker.log")
        defer { if worker.isRunning { worker.terminate() } }
        try #require(h.waitFor(timeout: 120) { !resumed.isRunning }, "\(h.logText("resumed.log"))")
        #expect(resumed.terminationStatus == 0, "\(h.logText("resumed.log"))")
        #expect(h.logText("resumed.log").contains("note: study 'wb' began with \(file) as it is, and resumes with it"), "\(h.logText("resumed.log"))")
        let trials = try h.trials(of: "wb")
        #expect(trials.count == 2 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")

        // The same rules still hold for a file changed since: it is refused.
        _ = try h.write("wb.yaml", older.replacingOccurrences(of: "run_cap: 2", with: "run_cap: 3"))
        let changed = try h.run(["coordinator", file, "--db", h.db, "--resume", "--force", "--no-progress"])
        #expect(changed.status == 2 && changed.output.contains("parameters.x") && !changed.output.contains("resumes with it"), "\(changed.output)")
    }
}

/// A resume from another directory than the study began in: a relative `program` is not
/// there, and every remaining trial FAILed at once (37 in half a second) with the study
/// reported finished. It is refused before anything runs; from the study's directory it runs.
@Suite struct ResumeElsewhereTests {
    @Test func aResumeWhoseLocalWorkersWouldNotFindTheProgramIsRefused() throws {
        let h = try SweepHarness("resume-elsewhere")
        defer { h.cleanUp() }
        _ = try h.write("train.sh", "echo '{\"epoch\": 1, \"loss\": 0.5}' >&\"$SWEEP_REPORT_FD\"\n")
        _ = try h.write("s.yaml", """
            study: s
            program: train.sh
            command: [sh, "${program}"]
            metric: {name: loss, goal: minimize}
            method: random
            parameters: {x: {min: 0.0, max: 1.0}}
            run_cap: 2
            """)
        let sweep = SweepHarness.executable.path
        let here = h.directory.path
        let first = try h.run("/bin/sh", ["-c", "cd \(here) && \(sweep) run s.yaml --db s.db --workers 1 --no-progress"], timeout: 120)
        try #require(first.status == 0, "\(first.output)")
        let refused = try h.run("/bin/sh", ["-c", "cd / && \(sweep) resume s --db \(here)/s.db --add-trials 2 --workers 1 --no-progress"], timeout: 60)
        #expect(refused.status == 2 && refused.output.contains("program 'train.sh' of study 's' is not in /, where the local workers would run it")
                && refused.output.contains("(its sweep file was \(here)/s.yaml)"), "\(refused.output)")
        let count = { try SweepStore.openReadOnly(path: "\(here)/s.db").read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }.count }
        #expect(try count() == 2, "nothing ran")
        // The file changed on disk meanwhile: the resume says it runs the stored one.
        _ = try h.write("s.yaml", "# edited\n" + (try String(contentsOfFile: "\(here)/s.yaml", encoding: .utf8)))
        let resumed = try h.run("/bin/sh", ["-c", "cd \(here) && \(sweep) resume s --db s.db --add-trials 2 --workers 1 --no-progress"], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("note: \(here)/s.yaml changed since study 's' began; resume continues with the sweep file stored in the database"), "\(resumed.output)")
        let trials = try SweepStore.openReadOnly(path: "\(here)/s.db").read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 4 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.state, $0.error ?? "") })")
        // Finished, with the file changed (a raised run_cap): said too, not only "nothing to resume".
        let finished = try h.run("/bin/sh", ["-c", "cd \(here) && \(sweep) resume s --db s.db --no-progress"], timeout: 60)
        #expect(finished.status == 0 && finished.output.contains("changed since study 's' began") && finished.output.contains("nothing to resume"), "\(finished.output)")

        // A command naming its script without `program` is checked the same way.
        _ = try h.write("c.yaml", "study: c\ncommand: [sh, train.sh]\nmetric: {name: loss, goal: minimize}\nmethod: random\nparameters: {x: {min: 0.0, max: 1.0}}\nrun_cap: 2\n")
        let c = try h.run("/bin/sh", ["-c", "cd \(here) && \(sweep) run c.yaml --db c.db --workers 1 --no-progress"], timeout: 120)
        try #require(c.status == 0, "\(c.output)")
        let refusedC = try h.run("/bin/sh", ["-c", "cd / && \(sweep) resume c --db \(here)/c.db --add-trials 2 --workers 1 --no-progress"], timeout: 60)
        #expect(refusedC.status == 2 && refusedC.output.contains("program 'train.sh' of study 'c' is not in /"), "\(refusedC.output)")
    }
}

/// A study whose sweep file `--resume --force` replaced keeps the file each trial ran: `show`,
/// `export` and `retrain` give a trial as it ran (they used the new file's fixed values:
/// trial 0 of 2 epochs was retrained for 3, its command shown with the new `--epochs`).
@Suite struct SweepFileVersionTests {
    /// `coordinator FILE --resume --force` with one worker until the study ends; its exit
    /// status (its output in forced.log).
    static func forceResume(_ h: SweepHarness, _ file: String, worker arguments: [String] = []) throws -> Int32 {
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let forced = try h.start(["coordinator", file, "--db", h.db, "--resume", "--force", "--bind", endpoint, "--no-progress"], log: "forced.log")
        defer { if forced.isRunning { forced.terminate() } }
        let worker = try h.start(["worker", "--connect", endpoint] + arguments, log: "worker.log")
        defer { if worker.isRunning { worker.terminate() } }
        try #require(h.waitFor(timeout: 120) { !forced.isRunning }, "\(h.logText("forced.log"))")
        return forced.terminationStatus
    }

    @Test func trialsAreShownExportedAndRetrainedWithTheFileTheyRan() throws {
        let h = try SweepHarness("file-versions")
        defer { h.cleanUp() }
        let program = try h.write("train.sh", """
            for a in "$@"; do case $a in --epochs=*) n=${a#--epochs=};; esac; done
            for e in $(seq 1 $n); do echo "{\\"epoch\\": $e, \\"loss\\": 0.$e}" >&"$SWEEP_REPORT_FD"; done
            """)
        let text = """
            study: v
            objective: {metric: loss, direction: minimize}
            program: \(program)
            command: [sh, "${program}", "${args}"]
            parameters:
              x: {uniform: [0, 1]}
              epochs: 2
            pruner: {name: none}
            budget: {trials: 2, max_epochs: 5}
            """
        let file = try h.write("v.yaml", text)
        try #require(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        // (The epoch cap changes too: the study's row then holds the new file's, and each
        // earlier version is checked against its own.)
        _ = try h.write("v.yaml", text.replacingOccurrences(of: "epochs: 2", with: "epochs: 3").replacingOccurrences(of: "trials: 2, max_epochs: 5", with: "trials: 3, max_epochs: 6"))
        #expect(try Self.forceResume(h, file, worker: ["--allow-commands"]) == 0, "\(h.logText("forced.log"))")
        #expect(try h.trials(of: "v").map(\.epochs) == [2, 2, 3])

        let old = try h.run(["show", "v", "0", "--db", h.db])
        #expect(old.output.contains("ran version 1 of the sweep file") && old.output.contains("--epochs=2") && !old.output.contains("--epochs=3"), "\(old.output)")
        let new = try h.run(["show", "v", "2", "--db", h.db])
        #expect(!new.output.contains("ran version") && new.output.contains("--epochs=3"), "\(new.output)")
        let csv = try h.run(["export", "v", "--db", h.db, "--format", "csv"]).output.split(separator: "\n")
        let column = try #require(csv.first?.split(separator: ",").firstIndex(of: "param_epochs"), "\(csv)")
        #expect(csv.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[column] } == ["2", "2", "3"], "\(csv)")
        let json = try JSONSerialization.jsonObject(with: Data(try h.run(["export", "v", "--db", h.db, "--format", "json"]).output.utf8)) as? [String: Any]
        let trials = try #require(json?["trials"] as? [[String: Any]])
        #expect(trials.map { $0["sweep_file_version"] as? Int } == [1, 1, 2])
        // The event log names the change.
        let events = try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: "v").id, kinds: [.sweepFileChanged]) }
        #expect(events.count == 1 && (events.first?.detail ?? "").contains("+7:   epochs: 3"), "\(events.map { $0.detail ?? "" })")
    }

    /// A lower max_epochs than a trial left RUNNING has reached is refused (continued, its
    /// later reports were refused as "malformed" and it ended with a value its curve lacks).
    @Test func aLowerEpochCapThanARunningTrialReachedIsRefused() throws {
        let h = try SweepHarness("file-versions-cap")
        defer { h.cleanUp() }
        let program = try h.write("slow.sh", """
            for e in 1 2 3 4 5 6 7 8; do sleep 0.3; echo "{\\"epoch\\": $e, \\"loss\\": 0.$e}" >&"$SWEEP_REPORT_FD"; done
            """)
        let text = """
            study: cap
            objective: {metric: loss, direction: minimize}
            command: [sh, \(program)]
            parameters: {x: {uniform: [0, 1]}}
            pruner: {name: none}
            budget: {trials: 1, max_epochs: 8}
            """
        let file = try h.write("cap.yaml", text)
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let first = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "first.log")
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let worker = try h.start(["worker", "--connect", endpoint, "--allow-commands"], log: "worker.log")
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        try #require(h.waitFor(timeout: 60) { (try? h.trials(of: "cap").first?.epochs ?? 0) ?? 0 >= 4 }, "\(h.logText("first.log"))")
        kill(first.processIdentifier, SIGKILL)
        kill(worker.processIdentifier, SIGKILL)
        #expect(h.waitFor(timeout: 30) { !first.isRunning && !worker.isRunning })
        _ = try h.write("cap.yaml", text.replacingOccurrences(of: "max_epochs: 8", with: "max_epochs: 3"))
        let refused = try h.run(["coordinator", file, "--db", h.db, "--resume", "--force", "--no-progress"])
        #expect(refused.status == 2 && refused.output.contains("the new max_epochs (3) is below epoch") && refused.output.contains("which trial 0 of study 'cap' reached"), "\(refused.output)")
        #expect(try h.reader().read { try $0.requireStudy(named: "cap") }.definition.maxEpochs == 8)
    }

    /// `retrain` trains the network and epochs of the file the trial ran (it took the
    /// replacing file's: 3 epochs and another layer for a trial of 1 epoch).
    @Test func aRetrainUsesTheFileItsTrialRan() throws {
        let h = try SweepHarness("file-versions-retrain")
        defer { h.cleanUp() }
        let text = """
            study: m
            seed: 3
            data: {dataset: moons, samples: 300, validation: 60, noise: 0.2}
            model: {hidden: [{choice: [8, 16]}], activation: tanh}
            training: {epochs: 1, batch_size: 32}
            pruner: {name: none}
            budget: {trials: 1}
            """
        let file = try h.write("m.yaml", text)
        try #require(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        _ = try h.write("m.yaml", text.replacingOccurrences(of: "epochs: 1,", with: "epochs: 3,").replacingOccurrences(of: "trials: 1", with: "trials: 2"))
        #expect(try Self.forceResume(h, file) == 0, "\(h.logText("forced.log"))")
        let old = try h.run(["retrain", "m", "--trial", "0", "--db", h.db])
        #expect(old.status == 0 && old.output.contains("for 1 epoch(s)"), "\(old.output)")
        let new = try h.run(["retrain", "m", "--trial", "1", "--db", h.db])
        #expect(new.status == 0 && new.output.contains("for 3 epoch(s)"), "\(new.output)")
    }

    /// A switch to a grid sampler cannot be forced (the grid skipped points over the other
    /// sampler's trials and then refused more); a changed file that also changed the data
    /// says both; a file renamed to another study says how to continue it.
    @Test func aGridSwitchIsRefusedAndADataChangeIsNamedWithTheFilesChange() throws {
        let h = try SweepHarness("file-versions-refusals")
        defer { h.cleanUp() }
        var rows = ["a,b,label"]
        for i in 0..<60 { rows.append("\(Double(i % 7) / 7),\(Double(i % 5) / 5),\(i % 2 == 0 ? "p" : "q")") }
        let data = try h.write("d.csv", rows.joined(separator: "\n") + "\n")
        let text = """
            study: g
            data: {dataset: csv, train_file: \(data), label: label}
            model: {hidden: [{choice: [4, 8]}]}
            training: {epochs: 1, optimizer: {name: sgd, learning_rate: {uniform: [0.01, 0.1]}}}
            sampler: {name: random}
            pruner: {name: none}
            budget: {trials: 2}
            """
        let file = try h.write("g.yaml", text)
        try #require(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let grid = try h.write("grid.yaml", text.replacingOccurrences(of: "name: random", with: "name: grid, n_points: 2"))
        let refusedGrid = try h.run(["coordinator", grid, "--db", h.db, "--resume", "--force", "--no-progress"])
        #expect(refusedGrid.status == 2 && refusedGrid.output.contains("the sampler (to a grid, or the grid's points) cannot change in a study that has begun"), "\(refusedGrid.output)")

        _ = try h.write("d.csv", rows.dropLast(9).joined(separator: "\n") + "\n")
        let more = try h.write("more.yaml", text.replacingOccurrences(of: "trials: 2", with: "trials: 3"))
        let refused = try h.run(["coordinator", more, "--db", h.db, "--resume", "--no-progress"])
        #expect(refused.status == 2 && refused.output.contains("+7: budget: {trials: 3}")
                && refused.output.contains("and the data of study 'g' changed since it started"), "\(refused.output)")

        let renamed = try h.write("g.yaml", text.replacingOccurrences(of: "study: g", with: "study: g2"))
        let resumed = try h.run(["resume", "g", "--db", h.db, "--no-progress"])
        #expect(resumed.output.contains("rename the study first (`sweep rename g g2 --db \(h.db)`"), "\(resumed.output)")
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let fresh = try h.start(["coordinator", renamed, "--db", h.db, "--resume", "--bind", endpoint, "--no-progress"], log: "fresh.log")
        defer { if fresh.isRunning { fresh.terminate() } }
        #expect(h.waitFor(timeout: 60) { h.logText("fresh.log").contains("no study 'g2' in \(h.db) to resume: it starts as a new study; \(h.db) has 'g'") },
                "\(h.logText("fresh.log"))")
        fresh.terminate()
    }
}
