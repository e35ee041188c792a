import Foundation
import Store
import Testing

/// A trial whose worker is killed (or whose coordinator is killed and its worker never
/// returns) finishes on another worker from its last checkpoint: that attempt runs only the
/// epochs after it, and every epoch's metrics equal those of an uninterrupted run.
@Suite("Checkpoint resume", .serialized)
struct CheckpointResumeE2ETests {
    static let epochs = 6
    static let timing = ["--heartbeat-ms", "200", "--liveness", "4"]

    static func sweepFile(study: String) -> String {
        """
        study: \(study)
        objective: {metric: val_accuracy, direction: maximize}
        seed: 11
        data: {dataset: blobs, samples: 6000, classes: 4, scaling: standardize}
        model: {hidden: [32, 32], dropout: 0.2, batch_norm: after}
        training:
          epochs: \(epochs)
          batch_size: 16
          optimizer: {name: nadam, learning_rate: {loguniform: [0.001, 0.003]}}
          schedule: {name: onecycle, max_lr: 0.004}
        sampler: {name: random}
        budget: {trials: 1}
        retry: {max_attempts: 3, checkpoint_every: 1}
        """
    }

    /// The per-epoch curve of trial 0.
    static func curve(_ h: SweepHarness, db: String, study: String) throws -> [IntermediateRecord] {
        try SweepStore.openReadOnly(path: db).read { q in
            let s = try q.requireStudy(named: study)
            return try q.intermediates(trialID: try #require(try q.trial(studyID: s.id, number: 0)).id)
        }
    }

    static func attempts(_ h: SweepHarness, study: String) throws -> [AttemptRecord] {
        try h.reader().read { q in
            let s = try q.requireStudy(named: study)
            return try q.attempts(trialID: try #require(try q.trial(studyID: s.id, number: 0)).id)
        }
    }

    /// The same sweep run without interruption, in its own database.
    static func reference(_ h: SweepHarness, study: String) throws -> [IntermediateRecord] {
        let db = h.directory.appendingPathComponent("reference.db").path
        let file = try h.write("reference.yaml", sweepFile(study: study))
        let run = try h.run(["run", file, "--db", db, "--workers", "1", "--no-progress"])
        #expect(run.status == 0, "\(run.output)")
        let curve = try curve(h, db: db, study: study)
        #expect(curve.map(\.step) == Array(1...epochs))
        return curve
    }

    /// Starts a coordinator and a worker "victim" on `sweep`, and returns once trial 0 has a
    /// checkpoint after epoch 2 or later.
    static func runUntilCheckpoint(_ h: SweepHarness, study: String, sweep: String, workerFlags: [String] = []) throws
        -> (endpoint: String, coordinator: Process, victim: Process) {
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("\(study).yaml", sweep)
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        let victim = try h.start(["worker", "--connect", endpoint, "--id", "victim"] + workerFlags + timing, log: "victim.log")
        let path = h.db + ".artifacts/\(study)/checkpoints/trial-0.ckpt"
        let saved = h.waitFor(timeout: 240) {
            guard FileManager.default.fileExists(atPath: path) else { return false }
            let steps = (try? curve(h, db: h.db, study: study).map(\.step)) ?? []
            return (steps.max() ?? 0) >= 2
        }
        if !saved {
            coordinator.terminate()
            victim.terminate()
        }
        try #require(saved, "no checkpoint:\n\(h.logText("coordinator.log"))\n\(h.logText("victim.log"))")
        return (endpoint, coordinator, victim)
    }

    /// The resumed run's curve equals the reference, and the resumed attempt ran only the
    /// epochs after its checkpoint.
    static func checkResumed(_ h: SweepHarness, study: String, reference: [IntermediateRecord], outcomes: [AttemptOutcome?]) throws {
        let attempts = try attempts(h, study: study)
        #expect(attempts.map(\.outcome) == outcomes)
        let k = try #require(attempts.last?.resumedFromEpoch, "the last attempt did not resume: \(attempts)")
        #expect(k >= 1 && k < epochs)
        let curve = try curve(h, db: h.db, study: study)
        #expect(curve.map(\.step) == Array(1...epochs))
        #expect(curve.filter { $0.step <= k }.allSatisfy { $0.attempt == 1 })
        #expect(curve.filter { $0.step > k }.allSatisfy { $0.attempt == attempts.count })
        #expect(curve.map(\.metrics) == reference.map(\.metrics))
        #expect(curve.map(\.value) == reference.map(\.value))
        let show = try h.run(["show", study, "0", "--db", h.db])
        #expect(show.output.contains("after epoch \(k)"), "\(show.output)")
        #expect(!FileManager.default.fileExists(atPath: h.db + ".artifacts/\(study)/checkpoints/trial-0.ckpt"), "the finished trial's checkpoint is removed")
    }

    @Test func killedWorkersTrialFinishesFromItsCheckpointOnAnotherWorker() throws {
        let h = try SweepHarness("ckpt-worker-kill")
        defer { h.cleanUp() }
        let study = "ck"
        let expected = try Self.reference(h, study: study)
        let (endpoint, coordinator, victim) = try Self.runUntilCheckpoint(h, study: study, sweep: Self.sweepFile(study: study))
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { victim.terminate() } }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()

        let rescuer = try h.start(["worker", "--connect", endpoint, "--id", "rescuer"] + Self.timing, log: "rescuer.log")
        defer { if rescuer.isRunning { rescuer.terminate() } }
        #expect(h.waitFor(timeout: 240) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0)
        #expect(h.logText("rescuer.log").contains("continues from its checkpoint after epoch"), "\(h.logText("rescuer.log"))")
        try Self.checkResumed(h, study: study, reference: expected, outcomes: [.stale, .complete])
    }

    @Test func trialOfAKilledCoordinatorWhoseWorkerNeverReturnsResumesFromItsCheckpoint() throws {
        let h = try SweepHarness("ckpt-coordinator-kill")
        defer { h.cleanUp() }
        let study = "cc"
        let expected = try Self.reference(h, study: study)
        let (_, coordinator, victim) = try Self.runUntilCheckpoint(h, study: study, sweep: Self.sweepFile(study: study))
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { victim.terminate() } }
        kill(coordinator.processIdentifier, SIGKILL)
        kill(victim.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        victim.waitUntilExit()

        let resumed = try h.run(["resume", study, "--db", h.db, "--workers", "1", "--no-progress"] + Self.timing, timeout: 240)
        #expect(resumed.status == 0, "\(resumed.output)")
        try Self.checkResumed(h, study: study, reference: expected, outcomes: [.returned, .complete])
    }

    /// A checkpoint damaged where the coordinator keeps it (a machine crash) makes its trial
    /// start over, as documented, whether the file is small (read with the assignment: it was
    /// dropped without a word) or large (fetched in parts by the worker: the trial FAILed for
    /// good).
    @Test(arguments: [0, 200_000])
    func aDamagedStoredCheckpointStartsTheTrialOver(padBytes: Int) throws {
        let h = try SweepHarness("ckpt-damaged-\(padBytes)")
        defer { h.cleanUp() }
        let study = "cd"
        _ = try h.write("train.py", Self.commandProgram.replacingOccurrences(
            of: "for epoch in range(start + 1, 9):",
            with: "open(os.path.join(sweep_client.checkpoint_dir(), \"pad.bin\"), \"wb\").write(os.urandom(\(padBytes)))\nfor epoch in range(start + 1, 9):"))
        let sweep = commandSweep(study: study, command: "[/usr/bin/python3, train.py, \"${args}\"]", trials: 1, epochs: 8)
        let (_, coordinator, victim) = try Self.runUntilCheckpoint(h, study: study, sweep: sweep, workerFlags: ["--allow-commands"])
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { victim.terminate() } }
        kill(coordinator.processIdentifier, SIGKILL)
        kill(victim.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        victim.waitUntilExit()
        // Bytes in the middle of the stored file overwritten: its CRC no longer matches.
        let path = h.db + ".artifacts/\(study)/checkpoints/trial-0.ckpt"
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try file.seekToEnd()
        try file.seek(toOffset: size / 2)
        try file.write(contentsOf: Data(repeating: 0xA5, count: 16))
        try file.close()
        let resumed = try h.run(["resume", study, "--db", h.db, "--workers", "1", "--no-progress"] + Self.timing, timeout: 240)
        #expect(resumed.status == 0, "\(resumed.output)")
        let trial = try h.reader().read { q in try q.trial(studyID: try q.requireStudy(named: study).id, number: 0) }
        #expect(trial?.state == .complete, "\(String(describing: trial)) \(resumed.output)")
        // The program started afresh the second time (no SWEEP_RESUME_EPOCH, no state file).
        let starts = h.read("starts.txt").split(separator: "\n")
        #expect(starts.count == 2 && starts.last == "0 -", "\(starts)")
        #expect(try Self.curve(h, db: h.db, study: study).map(\.step) == Array(1...8))
        // And it was said: by the worker that fetched the file, or in the study's events.
        let events = try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: study).id) }.map(\.message)
        #expect(events.contains { ($0.contains("is damaged or gone") && $0.contains("starts over from epoch 1"))
                    || $0.contains("started over from epoch 1: its worker could not use the checkpoint") },
                "\(resumed.output)\n\(events)")
    }

    /// A program that saves its epoch in the checkpoint directory before each report and,
    /// started again, continues after the saved epoch; it logs where each run started.
    static let commandProgram = """
        import json, os, time
        import sweep_client
        path = os.path.join(sweep_client.checkpoint_dir(), "state.json")
        start = json.load(open(path))["epoch"] if os.path.exists(path) else 0
        with open("starts.txt", "a") as f:
            f.write("%d %s\\n" % (start, os.environ.get("SWEEP_RESUME_EPOCH", "-")))
        for epoch in range(start + 1, 9):
            time.sleep(0.3)
            with open(path + ".tmp", "w") as f:
                json.dump({"epoch": epoch}, f)
            os.replace(path + ".tmp", path)
            if sweep_client.report(epoch, loss=1.0 / epoch):
                break
        """

    /// Runs `program` as the one 8-epoch command trial of `study` on a worker killed after its
    /// checkpoint, and returns once a second worker has finished it.
    static func runCommandTrialRescued(_ h: SweepHarness, study: String, extra: String = "", program: String) throws {
        _ = try h.write("train.py", program)
        let sweep = commandSweep(study: study, command: "[/usr/bin/python3, train.py, \"${args}\"]", trials: 1, epochs: 8, extra: extra)
        let (endpoint, coordinator, victim) = try runUntilCheckpoint(h, study: study, sweep: sweep, workerFlags: ["--allow-commands"])
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { victim.terminate() } }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let rescuer = try h.start(["worker", "--connect", endpoint, "--id", "rescuer", "--allow-commands"] + timing, log: "rescuer.log")
        defer { if rescuer.isRunning { rescuer.terminate() } }
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
    }

    /// `resume --force` on changed data starts unfinished trials over: their checkpoints were
    /// made on the old data (a fourth class failed every handed-back trial: "cannot resume
    /// from the checkpoint ... 17226 values, this network ... 17291").
    @Test func aForcedResumeOnChangedDataStartsUnfinishedTrialsOver() throws {
        let h = try SweepHarness("ckpt-data-change")
        defer { h.cleanUp() }
        let rows = (0..<6000).map { i in "\(Double(i % 97) / 97),\(Double(i % 13) / 13),\(["a", "b", "c"][i % 3])" }
        _ = try h.write("d.csv", (["x,y,label"] + rows).joined(separator: "\n") + "\n")
        let sweep = Self.sweepFile(study: "dc").replacingOccurrences(
            of: "data: {dataset: blobs, samples: 6000, classes: 4, scaling: standardize}",
            with: "data: {dataset: csv, train_file: \(h.path("d.csv")), label: label, scaling: standardize}")
        let (_, coordinator, victim) = try Self.runUntilCheckpoint(h, study: "dc", sweep: sweep)
        kill(coordinator.processIdentifier, SIGKILL)
        kill(victim.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        victim.waitUntilExit()
        _ = try h.write("d.csv", (["x,y,label"] + rows + (0..<300).map { "0.5,0.\($0 % 10),d" }).joined(separator: "\n") + "\n")
        let refused = try h.run(["resume", "dc", "--db", h.db, "--workers", "1", "--no-progress"])
        #expect(refused.status == 2 && refused.output.contains("changed since it started"), "\(refused.output)")
        let forced = try h.run(["resume", "dc", "--db", h.db, "--workers", "1", "--no-progress", "--force"] + Self.timing, timeout: 240)
        #expect(forced.status == 0, "\(forced.output)")
        let attempts = try Self.attempts(h, study: "dc")
        #expect(attempts.last?.outcome == .complete && attempts.last?.resumedFromEpoch == nil, "\(attempts)")
        let events = try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: "dc").id, kinds: [.warning]) }
        #expect(events.contains { $0.message.contains("unfinished trials start over") }, "\(events.map(\.message))")
    }

    /// A program ended by a signal (the OOM killer's SIGKILL) after 5 epochs, retried
    /// (`retry_errors`), continues from its last checkpoint: it started over from epoch 1.
    @Test func aProgramKilledBySignalIsRetriedFromItsLastCheckpoint() throws {
        let h = try SweepHarness("ckpt-oom")
        defer { h.cleanUp() }
        _ = try h.write("train.py", Self.commandProgram.replacingOccurrences(
            of: "    if sweep_client.report(epoch, loss=1.0 / epoch):",
            with: "    if epoch == 6 and os.environ.get(\"SWEEP_ATTEMPT\") == \"1\": os.kill(os.getpid(), 9)\n    if sweep_client.report(epoch, loss=1.0 / epoch):"))
        let file = try h.write("s.yaml", commandSweep(study: "oom", command: "[/usr/bin/python3, train.py, \"${args}\"]", trials: 1, epochs: 8)
            .replacingOccurrences(of: "retry: {max_attempts: 2}", with: "retry: {max_attempts: 2, retry_errors: true}"))
        let run = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(run.status == 0, "\(run.output)")
        let attempts = try Self.attempts(h, study: "oom")
        #expect(attempts.map(\.outcome) == [.fail, .complete] && attempts.last?.resumedFromEpoch == 5, "\(attempts.map { ($0.outcome, $0.resumedFromEpoch ?? -1) })")
        #expect(h.logText("starts.txt").split(separator: "\n") == ["0 -", "5 5"], "\(h.logText("starts.txt"))")
        let curve = try Self.curve(h, db: h.db, study: "oom")
        #expect(curve.map(\.step) == Array(1...8), "\(curve.map(\.step))")
    }

    @Test func killedWorkersCommandTrialStartsAgainFromItsSavedEpoch() throws {
        let h = try SweepHarness("ckpt-command")
        defer { h.cleanUp() }
        try Self.runCommandTrialRescued(h, study: "cm", program: Self.commandProgram)
        let attempts = try Self.attempts(h, study: "cm")
        #expect(attempts.map(\.outcome) == [.stale, .complete])
        let k = try #require(attempts.last?.resumedFromEpoch, "\(attempts)")
        // The first run started from nothing; the second from the epoch its files held.
        let starts = h.logText("starts.txt").split(separator: "\n")
        #expect(starts == ["0 -", "\(k) \(k)"], "\(starts)")
        #expect(k >= 2 && k < 8)
        let curve = try Self.curve(h, db: h.db, study: "cm")
        #expect(curve.map(\.step) == Array(1...8))
        #expect(curve.filter { $0.step > k }.allSatisfy { $0.attempt == 2 })
    }

    /// A program of 3 epochs under `max_epochs: 8` whose worker dies after its last report
    /// (while it saves its model): the rescue resumes after epoch 3 with nothing left to
    /// train, and the program exits without a report. The trial completes with epoch 3's
    /// value (it failed: "the program never reported the objective 'loss' (it reported: )").
    @Test func aTrialResumedAfterItsProgramsLastEpochCompletesWithItsValue() throws {
        let h = try SweepHarness("ckpt-after-last")
        defer { h.cleanUp() }
        _ = try h.write("train.py", """
            import json, os, time
            import sweep_client
            path = os.path.join(sweep_client.checkpoint_dir(), "state.json")
            start = json.load(open(path))["epoch"] if os.path.exists(path) else 0
            for epoch in range(start + 1, 4):
                with open(path + ".tmp", "w") as f:
                    json.dump({"epoch": epoch}, f)
                os.replace(path + ".tmp", path)
                sweep_client.report(epoch, loss=1.0 / epoch, acc=epoch / 10)
            if start == 0:
                time.sleep(60)  # saving its model when the worker dies
            """)
        let sweep = commandSweep(study: "al", command: "[/usr/bin/python3, train.py, \"${args}\"]", trials: 1, epochs: 8)
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("al.yaml", sweep)
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + Self.timing, log: "coordinator.log")
        let victim = try h.start(["worker", "--connect", endpoint, "--id", "victim", "--allow-commands"] + Self.timing, log: "victim.log")
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { victim.terminate() } }
        // Epoch 3 recorded, and its checkpoint (sent after the report) kept.
        let checkpoint = h.db + ".artifacts/al/checkpoints/trial-0.ckpt"
        let saved = h.waitFor(timeout: 120) {
            // (The checkpoint first: the trial exists then, and `curve` requires it.)
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: checkpoint))?[.modificationDate] as? Date,
                  let third = (try? Self.curve(h, db: h.db, study: "al"))?.first(where: { $0.step == 3 }) else { return false }
            return modified.timeIntervalSince1970 >= third.recordedAt - 0.05
        }
        try #require(saved, "\(h.logText("coordinator.log"))\n\(h.logText("victim.log"))")
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let rescuer = try h.start(["worker", "--connect", endpoint, "--id", "rescuer", "--allow-commands"] + Self.timing, log: "rescuer.log")
        defer { if rescuer.isRunning { rescuer.terminate() } }
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let attempts = try Self.attempts(h, study: "al")
        #expect(attempts.map(\.outcome) == [.stale, .complete], "\(attempts)")
        #expect(attempts.last?.resumedFromEpoch == 3, "\(attempts)")
        let trial = try h.reader().read { q in try q.trial(studyID: try q.requireStudy(named: "al").id, number: 0) }
        #expect(trial?.state == .complete && trial?.value == 1.0 / 3, "\(String(describing: trial))")
        #expect(trial?.metrics["acc"] == 0.3, "its last epoch's metrics: \(String(describing: trial?.metrics))")
    }

    /// `summary: best` values a trial over its whole curve, also when its last attempt resumed
    /// from a checkpoint (it saw only its own epochs: 0.3 instead of epoch 2's 0.1).
    @Test func aResumedTrialSummarizedByItsBestEpochCountsTheEpochsBeforeTheCheckpoint() throws {
        let h = try SweepHarness("ckpt-best")
        defer { h.cleanUp() }
        try Self.runCommandTrialRescued(h, study: "cb", extra: "summary: best",
                                        program: Self.commandProgram.replacingOccurrences(of: "loss=1.0 / epoch", with: "loss=[0.5, 0.1, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9][epoch - 1]"))
        let attempts = try Self.attempts(h, study: "cb")
        let k = try #require(attempts.last?.resumedFromEpoch, "\(attempts)")
        #expect(k >= 2)
        let trial = try h.reader().read { q in try q.trial(studyID: try q.requireStudy(named: "cb").id, number: 0) }
        #expect(trial?.state == .complete && trial?.value == 0.1, "\(String(describing: trial))")
        // Its final metrics (what exports show) carry the value it is ranked by, not epoch 8's 0.9.
        #expect(trial?.metrics["loss"] == 0.1, "\(String(describing: trial?.metrics))")
        let csv = try h.run(["export", "cb", "--db", h.db, "--format", "csv"]).output
        let header = csv.split(separator: "\n")[0].split(separator: ",", omittingEmptySubsequences: false), row = csv.split(separator: "\n")[1].split(separator: ",", omittingEmptySubsequences: false)
        #expect(header.firstIndex(of: "metric_loss").map { row[$0] } == "0.1", "\(csv)")
    }
}

/// Checkpoints of a program with fast epochs keep within what the coordinator lets one
/// connection send: a 9 MB checkpoint after every epoch got the worker disconnected again
/// and again ("it sent 75988365 bytes in one second"), each time stalling the program.
@Suite struct CheckpointRateTests {
    @Test func largeCheckpointsAfterFastEpochsNeverGetTheWorkerDisconnected() throws {
        let h = try SweepHarness("ckpt-rate")
        defer { h.cleanUp() }
        _ = try h.write("t.sh", """
            for e in $(seq 1 30); do
              { head -c 9000000 /dev/zero; echo $e; } > "$SWEEP_CHECKPOINT_DIR/w.bin"
              echo "{\\"epoch\\": $e, \\"loss\\": 1}" >&"$SWEEP_REPORT_FD"
              read -r answer <&"$SWEEP_DECISION_FD"
            done
            """)
        let file = try h.write("s.yaml", """
            study: rate
            objective: {metric: loss, direction: minimize}
            command: [sh, t.sh]
            working_directory: .
            parameters: {x: {uniform: [0, 1]}}
            budget: {trials: 1, max_epochs: 30}
            retry: {checkpoint_every: 1}
            """)
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(!output.contains("oversized") && !output.contains("bytes in one second"), "\(output)")
        let attempts = try h.reader().read { q in try q.attempts(trialID: try #require(try q.trial(studyID: try q.requireStudy(named: "rate").id, number: 0)).id) }
        #expect(attempts.map(\.outcome) == [.complete], "\(attempts)")
    }
}
