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

    /// Waits until trial 0 has a checkpoint after epoch 2 or later (and is not done yet).
    static func waitForCheckpoint(_ h: SweepHarness, study: String, log: String) throws -> Bool {
        let path = h.db + ".artifacts/\(study)/checkpoints/trial-0.ckpt"
        return h.waitFor(timeout: 240) {
            guard FileManager.default.fileExists(atPath: path) else { return false }
            let steps = (try? curve(h, db: h.db, study: study).map(\.step)) ?? []
            return (steps.max() ?? 0) >= 2
        }
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
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("ck.yaml", Self.sweepFile(study: study))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + Self.timing, log: "coordinator.log")
        let victim = try h.start(["worker", "--connect", endpoint, "--id", "victim"] + Self.timing, log: "victim.log")
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { victim.terminate() } }
        try #require(try Self.waitForCheckpoint(h, study: study, log: "coordinator.log"), "no checkpoint:\n\(h.logText("coordinator.log"))\n\(h.logText("victim.log"))")
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
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("cc.yaml", Self.sweepFile(study: study))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + Self.timing, log: "coordinator.log")
        let victim = try h.start(["worker", "--connect", endpoint, "--id", "victim"] + Self.timing, log: "victim.log")
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { victim.terminate() } }
        try #require(try Self.waitForCheckpoint(h, study: study, log: "coordinator.log"), "no checkpoint:\n\(h.logText("coordinator.log"))\n\(h.logText("victim.log"))")
        kill(coordinator.processIdentifier, SIGKILL)
        kill(victim.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        victim.waitUntilExit()

        let resumed = try h.run(["resume", study, "--db", h.db, "--workers", "1", "--no-progress"] + Self.timing, timeout: 240)
        #expect(resumed.status == 0, "\(resumed.output)")
        try Self.checkResumed(h, study: study, reference: expected, outcomes: [.returned, .complete])
    }
}
