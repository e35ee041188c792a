import Foundation
import Testing

/// `sweep train --checkpoint`: a run killed with SIGKILL and started again continues after
/// its last saved epoch, with the metrics an uninterrupted run has.
@Suite("Train checkpoints", .serialized)
struct TrainCheckpointTests {
    static let trainFile = """
        seed: 5
        data: {dataset: blobs, samples: 8000, classes: 4, scaling: standardize}
        model: {hidden: [32, 32], dropout: 0.2, batch_norm: after}
        training: {epochs: 8, batch_size: 16, optimizer: {name: nadam, learning_rate: 0.002}, schedule: {name: onecycle, max_lr: 0.004}}
        """

    /// The epochs of a metrics file without the wall-clock fields (JSON lines, or CSV for
    /// a `.csv` path).
    static func epochs(_ path: String) throws -> [[String: Double]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        if path.hasSuffix(".csv") {
            let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
            #expect(header.first == "epoch" && header.suffix(2) == ["seconds", "training_seconds"], "\(header)")
            return lines.dropFirst().map { row in
                let cells = row.split(separator: ",", omittingEmptySubsequences: false)
                #expect(cells.count == header.count, "\(row)")
                var metrics: [String: Double] = [:]
                for (name, cell) in zip(header.dropLast(2), cells) { metrics[name] = Double(cell) }
                return metrics
            }
        }
        return try lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            var metrics = object["metrics"] as! [String: Double]
            metrics["epoch"] = (object["epoch"] as! NSNumber).doubleValue
            return metrics
        }
    }

    /// `--metrics-out` to a pipe writes into the pipe (`createFile` renamed a new file over
    /// the path: as root, `--metrics-out /dev/full` replaced the device with a regular file).
    @Test func metricsOutIntoAPipeLeavesThePipe() throws {
        let h = try SweepHarness("metrics-pipe")
        defer { h.cleanUp() }
        let file = try h.write("t.yaml", "data: {dataset: moons, samples: 200, validation: 50}\nmodel: {hidden: [4]}\ntraining: {epochs: 2}\n")
        let pipe = h.path("metrics.pipe")
        #expect(mkfifo(pipe, 0o644) == 0)
        let reader = try h.start("/bin/cat", [pipe], log: "read.log")
        let run = try h.run(["train", file, "--no-test", "--metrics-out", pipe])
        #expect(run.status == 0, "\(run.output)")
        #expect(h.waitFor(timeout: 30) { !reader.isRunning })
        var info = stat()
        #expect(lstat(pipe, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "the pipe was replaced")
        #expect(h.logText("read.log").split(separator: "\n").count == 2, "\(h.logText("read.log"))")
    }

    /// A `--metrics-out` file whose first line cannot be written (here: a file-size limit of
    /// 0, as on a full disk) is not left behind empty; the run fails saying which file.
    @Test func aMetricsFileThatCannotBeWrittenIsNotLeftEmpty() throws {
        let h = try SweepHarness("metrics-unwritable")
        defer { h.cleanUp() }
        let file = try h.write("t.yaml", "data: {dataset: moons, samples: 200, validation: 50}\nmodel: {hidden: [4]}\ntraining: {epochs: 2}\n")
        let metrics = h.path("m.jsonl")
        // SIGXFSZ ignored (and so inherited ignored): the write fails with EFBIG instead. The
        // limit only in a subshell whose output goes through a pipe: the harness's log is a file.
        let script = "trap '' XFSZ; (ulimit -f 0; \"$0\" \"$@\"; echo \"exit status $?\") 2>&1 | cat"
        let run = try h.run("/bin/sh", ["-c", script, SweepHarness.executable.path, "train", file, "--no-test", "--metrics-out", metrics])
        #expect(run.output.contains("error: cannot write the metrics of epoch 1 to \(metrics): File too large\nexit status 1"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: metrics), "an empty metrics file was left")
    }

    /// The metrics file too: JSON lines, or a CSV table (its header kept once).
    @Test(arguments: ["jsonl", "csv"]) func aKilledRunContinuesFromItsCheckpointBitIdentically(metricsFormat: String) throws {
        let h = try SweepHarness("train-checkpoint-\(metricsFormat)")
        defer { h.cleanUp() }
        let file = try h.write("t.yaml", Self.trainFile)
        let reference = h.directory.appendingPathComponent("reference.jsonl").path
        let whole = try h.run(["train", file, "--no-test", "--metrics-out", reference])
        #expect(whole.status == 0, "\(whole.output)")
        let expected = try Self.epochs(reference)
        #expect(expected.count == 8)

        let checkpoint = h.directory.appendingPathComponent("run.swc").path
        let resumedMetrics = h.directory.appendingPathComponent("resumed.\(metricsFormat)").path
        let first = try h.start(["train", file, "--no-test", "--checkpoint", checkpoint, "--metrics-out", resumedMetrics], log: "first.log")
        let saved = h.waitFor(timeout: 120) { FileManager.default.fileExists(atPath: checkpoint) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(saved, "no checkpoint appeared: \(h.logText("first.log"))")
        #expect(first.terminationReason == .uncaughtSignal, "the first run finished before it was killed")

        let second = try h.run(["train", file, "--no-test", "--checkpoint", checkpoint, "--metrics-out", resumedMetrics])
        #expect(second.status == 0, "\(second.output)")
        let line = try #require(second.output.split(separator: "\n").first { $0.hasPrefix("continuing from") }, "\(second.output)")
        let savedEpoch = try #require(Int(line.split(separator: " ").last!))
        let resumed = try Self.epochs(resumedMetrics)
        #expect(savedEpoch >= 1 && savedEpoch < 8)
        // The metrics file keeps the epochs of the checkpoint and gets the rest: each once.
        #expect(resumed.map { $0["epoch"]! } == (1...8).map(Double.init))
        if metricsFormat == "csv" {
            // Foundation's JSON reading of the reference may differ in the last digit (CSV
            // cells are Swift's exact shortest form).
            #expect(resumed.map { $0.keys.sorted() } == expected.map { $0.keys.sorted() })
            #expect(zip(resumed, expected).allSatisfy { r, e in r.allSatisfy { abs($0.value - e[$0.key]!) <= 1e-14 * max(1, abs($0.value)) } }, "\(resumed) vs \(expected)")
        } else {
            #expect(resumed == expected)
        }
        #expect(!FileManager.default.fileExists(atPath: checkpoint), "the checkpoint of a finished run is removed")
    }

    /// Ctrl-C in the last epoch: the run completes and keeps its model, but the test pass is
    /// not begun (with a large network it took minutes, and the SIGTERM seemed ignored).
    @Test func aStopInTheLastEpochSkipsTheTestPass() throws {
        let h = try SweepHarness("train-stop-last")
        defer { h.cleanUp() }
        let file = try h.write("t.yaml", """
            seed: 5
            data: {dataset: blobs, samples: 60000, classes: 4}
            model: {hidden: [128, 128]}
            training: {epochs: 1, batch_size: 64}
            """)
        let model = h.path("m.swm")
        let run = try h.start(["train", file, "--save-model", model], log: "run.log")
        let training = h.waitFor(timeout: 120) { h.logText("run.log").contains("model: ") }
        kill(run.processIdentifier, SIGINT)
        run.waitUntilExit()
        try #require(training, "\(h.logText("run.log"))")
        let said = h.logText("run.log")
        #expect(run.terminationStatus == 130 && said.contains("no test evaluation") && !said.contains("test_accuracy"), "\(said)")
        #expect(FileManager.default.fileExists(atPath: model), "\(said)")
    }

    /// Ctrl-C stops after the epoch in progress with that epoch saved (the docs and help
    /// said so, but no handler was installed: SIGINT killed the run, and the epoch in
    /// progress was lost, or with it the only checkpoint). No model of the unfinished run.
    @Test func ctrlCSavesTheEpochAndExits130() throws {
        let h = try SweepHarness("train-ctrl-c")
        defer { h.cleanUp() }
        let file = try h.write("t.yaml", Self.trainFile.replacingOccurrences(of: "epochs: 8", with: "epochs: 400"))
        let checkpoint = h.path("run.swc"), model = h.path("m.swm")
        let metrics = h.path("m.jsonl")
        let run = try h.start(["train", file, "--checkpoint", checkpoint, "--save-model", model, "--metrics-out", metrics], log: "run.log")
        // Mid-run: one epoch written, the run still going.
        let started = h.waitFor(timeout: 120) { ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").contains("\n") }
        kill(run.processIdentifier, SIGINT)
        run.waitUntilExit()
        try #require(started, "\(h.logText("run.log"))")
        #expect(run.terminationReason == .exit && run.terminationStatus == 130, "\(run.terminationReason.rawValue) \(run.terminationStatus): \(h.logText("run.log"))")
        let said = h.logText("run.log")
        let stoppedAt = try #require(said.firstMatch(of: /stopped after epoch (\d+); `sweep train (\S+) --checkpoint (\S+)` continues it/), "\(said)")
        let epochsWritten = try Self.epochs(metrics).count
        #expect(Int(stoppedAt.1) == epochsWritten && epochsWritten < 400)
        #expect(FileManager.default.fileExists(atPath: checkpoint) && !FileManager.default.fileExists(atPath: model), "\(said)")
        // It continues after the epoch it stopped at.
        let again = try h.start(["train", file, "--checkpoint", checkpoint, "--metrics-out", metrics], log: "again.log")
        #expect(h.waitFor(timeout: 60) { h.logText("again.log").contains("continuing from") })
        kill(again.processIdentifier, SIGKILL)
        again.waitUntilExit()
        #expect(h.logText("again.log").contains("continuing from \(checkpoint) after epoch \(stoppedAt.1)"), "\(h.logText("again.log"))")
    }

    @Test func aDamagedCheckpointIsABadInputError() throws {
        let h = try SweepHarness("train-checkpoint-bad")
        defer { h.cleanUp() }
        let file = try h.write("t.yaml", Self.trainFile)
        let checkpoint = try h.write("bad.swc", "not a checkpoint")
        let run = try h.run(["train", file, "--checkpoint", checkpoint])
        #expect(run.status == 2)
        #expect(run.output.contains("--checkpoint \(checkpoint): not a Sweep checkpoint"), "\(run.output)")
        #expect(try String(contentsOfFile: checkpoint, encoding: .utf8) == "not a checkpoint", "the bad file is left alone")
    }
}
