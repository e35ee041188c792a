import Foundation
import Search
import Store
import SweepFile
import Testing
@testable import Cluster

/// A coordinator core on a file database with an artifact directory (where checkpoints
/// are kept), in a fresh temporary directory.
private func checkpointHarness(trials: Int = 1, epochs: Int = 4, maxAttempts: Int = 3, checkpointBytes: Int = 1 << 20) throws -> (CoreHarness, String) {
    let dir = NSTemporaryDirectory() + "ckpt-core-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let db = dir + "/sweep.db"
    let options = CoordinatorOptions(heartbeatMs: 1000, liveness: 3, orphanGraceSeconds: 10, artifacts: ArtifactDirectory(database: db),
                                     checkpointBytes: checkpointBytes)
    let h = try CoreHarness(sweep(trials: trials, epochs: epochs, maxAttempts: maxAttempts), store: try SweepStore.open(path: db), options: options)
    return (h, db + ".artifacts/core/checkpoints")
}

extension CoreHarness {
    /// Reports an epoch with a checkpoint attached and settles the batch's files.
    func report(_ w: String, _ a: CoordinatorMessage.Assign, epoch: Int, checkpoint: [UInt8]) throws {
        try deliver(.report(.init(trial: a.trial, attempt: a.attempt, epoch: epoch, value: Double(epoch), metrics: ["value": Double(epoch)],
                                  checkpoint: checkpoint)), from: w)
        core.removeDroppedArtifacts()
        _ = take(w)
    }

    /// Lets `w` go silent until the coordinator declares it dead, while `alive` keeps talking.
    func loseWorker(keeping alive: String) throws {
        for _ in 0..<2 {
            now += 2
            try deliver(.heartbeat, from: alive)
        }
        try tick()
    }

    func curve(_ number: Int) throws -> [IntermediateRecord] {
        try store.read { q in try q.intermediates(trialID: try q.trials(studyID: core.study.id)[number].id) }
    }
}

@Suite struct CheckpointResumeTests {
    @Test func deadWorkersTrialResumesFromItsLatestCheckpointOnAnotherWorker() throws {
        let (h, dir) = try checkpointHarness()
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.hello("w2")
        try h.report("w1", a, epoch: 1, checkpoint: [1, 1])
        try h.report("w1", a, epoch: 2, checkpoint: [2, 2, 2])
        #expect(FileManager.default.fileExists(atPath: dir + "/trial-0.ckpt"))
        try h.loseWorker(keeping: "w2")
        let b = try #require(h.assignment("w2"))
        #expect(b.attempt == 2)
        #expect(b.resume == .init(epoch: 2, checkpoint: [2, 2, 2]))
        // The earlier attempt's epochs up to the checkpoint stay; the new attempt runs 3 and 4.
        #expect(try h.curve(0).map(\.step) == [1, 2])
        #expect(try h.attempts(0).map(\.resumedFromEpoch) == [nil, 2])
        #expect(try h.trials()[0].epochs == 2)
        _ = try h.report("w2", b, epoch: 3, value: 3)
        try h.finish("w2", b, value: 4, epochs: 4)
        h.core.removeDroppedArtifacts()
        #expect(try h.curve(0).map(\.step) == [1, 2, 3])
        #expect(try h.curve(0).map(\.attempt) == [1, 1, 2])
        // The trial ended: its checkpoint is gone.
        #expect(!FileManager.default.fileExists(atPath: dir + "/trial-0.ckpt"))
        #expect(h.core.counters.resumed == 1)
    }

    @Test func handedBackTrialResumesAndAnAttemptWithoutCheckpointStartsOver() throws {
        let (h, dir) = try checkpointHarness()
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.report("w1", a, epoch: 1, checkpoint: [9])
        try h.deliver(.bye(.init(reason: "SIGTERM", trial: a.trial, attempt: a.attempt)), from: "w1")
        try h.hello("w2")
        let b = try #require(h.assignment("w2"))
        #expect(b.resume?.epoch == 1)
        #expect(try h.attempts(0).map(\.outcome) == [.returned, nil])
        // A failure drops the checkpoint: a retry after an error would start at epoch 1.
        #expect(FileManager.default.fileExists(atPath: dir + "/trial-0.ckpt"))
        try h.deliver(.failure(.init(trial: b.trial, attempt: b.attempt, error: "boom", ready: true)), from: "w2")
        h.core.removeDroppedArtifacts()
        #expect(!FileManager.default.fileExists(atPath: dir + "/trial-0.ckpt"))
    }

    @Test func restartedCoordinatorResumesAnOrphanFromItsCheckpointFile() throws {
        let (h, _) = try checkpointHarness()
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.report("w1", a, epoch: 1, checkpoint: [1])
        try h.report("w1", a, epoch: 2, checkpoint: [2, 2])
        try h.restart()
        // w1 never comes back; after the grace period the trial goes to w2 with its checkpoint.
        try h.hello("w2")
        for _ in 0..<6 {
            h.now += 2
            try h.deliver(.heartbeat, from: "w2")
        }
        try h.tick()
        let b = try #require(h.assignment("w2"))
        #expect(b.attempt == 2 && b.resume == .init(epoch: 2, checkpoint: [2, 2]))
        #expect(try h.attempts(0).map(\.resumedFromEpoch) == [nil, 2])
    }

    @Test func checkpointsOverTheCapAreRefusedAndTheOlderOneStays() throws {
        let (h, _) = try checkpointHarness(checkpointBytes: 100)
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.hello("w2")
        try h.report("w1", a, epoch: 1, checkpoint: Array(repeating: 1, count: 40))
        try h.report("w1", a, epoch: 2, checkpoint: Array(repeating: 2, count: 90))
        #expect(h.core.counters.checkpointsRefused == 1)
        try h.loseWorker(keeping: "w2")
        let b = try #require(h.assignment("w2"))
        #expect(b.resume?.epoch == 1)
        // The epoch after the checkpoint is run again by the new attempt.
        #expect(try h.curve(0).map(\.step) == [1])
        let warnings = try h.store.read { try $0.events(studyID: h.core.study.id, kinds: [.warning]) }
        #expect(warnings.contains { $0.message.contains("not kept") })
    }

    @Test func inMemoryCoordinatorAsksForNoCheckpoints() throws {
        let h = try CoreHarness(sweep(trials: 1))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        #expect(a.checkpointEvery == 0 && a.resume == nil)
    }
}

@Suite struct CheckpointKeeperTests {
    private func keeper(cap: Int = 1 << 20) throws -> (CheckpointKeeper, ArtifactDirectory) {
        let dir = ArtifactDirectory(root: NSTemporaryDirectory() + "ckpt-keeper-\(UUID().uuidString)")
        return (CheckpointKeeper(directory: dir, study: "s", capBytes: cap), dir)
    }

    @Test func keepsTheLatestPerTrialAndFindsItAfterARestart() throws {
        let (k, dir) = try keeper()
        #expect(k.offer(trial: 3, epoch: 1, bytes: [1]) == nil)
        #expect(k.offer(trial: 3, epoch: 2, bytes: [2, 2]) == nil)
        #expect(k.flush().isEmpty)
        let again = CheckpointKeeper(directory: dir, study: "s", capBytes: 1 << 20)
        again.load { $0 == 3 }
        #expect(again.entries == [3: .init(epoch: 2, bytes: 2 + CheckpointKeeper.headerBytes + 4)])
        #expect(again.latest(trial: 3)?.bytes == [2, 2])
        // A trial that ended meanwhile loses its file on load.
        let other = CheckpointKeeper(directory: dir, study: "s", capBytes: 1 << 20)
        other.load { _ in false }
        #expect(other.entries.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.absolute("s/checkpoints/trial-3.ckpt")))
    }

    @Test func damagedFileIsNotResumedFrom() throws {
        let (k, dir) = try keeper()
        #expect(k.offer(trial: 0, epoch: 5, bytes: Array(repeating: 7, count: 64)) == nil)
        _ = k.flush()
        let path = dir.absolute("s/checkpoints/trial-0.ckpt")
        var bytes = Array(FileManager.default.contents(atPath: path)!)
        bytes[40] ^= 0xFF
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(k.latest(trial: 0) == nil)
        #expect(k.entries.isEmpty)
    }

    /// A stored file whose header or size is wrong when a study resumes is dropped and said
    /// (it was removed without a word; the trial started over "re-queued").
    @Test func aDamagedFileFoundOnLoadIsSaid() throws {
        let (k, dir) = try keeper()
        #expect(k.offer(trial: 4, epoch: 3, bytes: Array(repeating: 7, count: 64)) == nil)
        _ = k.flush()
        let path = dir.absolute("s/checkpoints/trial-4.ckpt")
        FileManager.default.createFile(atPath: path, contents: Data((0..<60).map { UInt8($0) }))
        let again = CheckpointKeeper(directory: dir, study: "s", capBytes: 1 << 20)
        again.load { _ in true }
        #expect(again.entries.isEmpty && !FileManager.default.fileExists(atPath: path))
        #expect(again.takeDamaged().map(\.trial) == [4])
    }

    @Test func formatRoundTripsAndRejectsTruncation() {
        let file = CheckpointKeeper.encode(epoch: 12, payload: [1, 2, 3])
        #expect(CheckpointKeeper.decode(file)?.epoch == 12)
        #expect(CheckpointKeeper.decode(file)?.bytes == [1, 2, 3])
        #expect(CheckpointKeeper.decode(Array(file.dropLast())) == nil)
    }
}

@Suite struct CheckpointCodecTests {
    let codec = WireCodec()
    let spec = TrialSpec.synthetic(SyntheticTask(function: .sphere, epochs: 2, inputs: [.init(name: "x", value: 0.5)]))

    @Test func reportCarriesItsCheckpointAsASecondFrame() throws {
        let report = WorkerMessage.report(.init(trial: 1, attempt: 2, epoch: 3, value: 0.5, metrics: ["loss": 0.25], checkpoint: [1, 2, 3]))
        let frames = codec.frames(report)
        #expect(frames.count == 2 && frames[1] == [1, 2, 3])
        #expect(try codec.decodeWorkerMessage(frames: frames[...]) == report)
        // The JSON alone declares an attachment that is missing: malformed.
        #expect(throws: ProtocolViolation.self) { try codec.decodeWorkerMessage(frames: [frames[0], [1, 2]][...]) }
    }

    @Test func assignCarriesBaseModelThenResumeCheckpoint() throws {
        let assign = CoordinatorMessage.assign(.init(study: "s", trial: 3, attempt: 2, seed: 1, params: [:], spec: spec, maxEpochs: 2, metric: "value",
                                                     baseModel: [9, 9], checkpointEvery: 2, resume: .init(epoch: 1, checkpoint: [4, 5, 6])))
        let frames = codec.frames(assign)
        #expect(frames.count == 3 && frames[1] == [9, 9] && frames[2] == [4, 5, 6])
        #expect(try codec.decodeCoordinatorMessage(frames: frames[...]) == assign)
        let resumeOnly = CoordinatorMessage.assign(.init(study: "s", trial: 3, attempt: 2, seed: 1, params: [:], spec: spec, maxEpochs: 2, metric: "value",
                                                         resume: .init(epoch: 1, checkpoint: [4])))
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(resumeOnly)[...]) == resumeOnly)
        // A resume checkpoint without the epoch it covers is refused.
        let json = String(decoding: codec.frames(resumeOnly)[0], as: UTF8.self).replacingOccurrences(of: "\"resume_epoch\":1,", with: "")
        #expect(throws: ProtocolViolation.self) { try codec.decodeCoordinatorMessage(frames: [Array(json.utf8), [4]][...]) }
    }

    @Test func checkpointOfTheLargestBenchNetworkFitsTheCoordinatorLimits() throws {
        // 784-300-100-10 with Adam: parameters and two slots, plus the training order.
        let checkpoint = [UInt8](repeating: 0xAB, count: 3_400_000)
        let options = CoordinatorOptions()
        let frames = codec.frames(.report(.init(trial: 0, attempt: 1, epoch: 1, value: 0.9, metrics: [:], checkpoint: checkpoint)))
        #expect(frames[0].count <= options.maxJSONBytes)
        #expect(frames.map(\.count).reduce(0, +) <= options.maxMessageBytes)
        // Several epochs' checkpoints a second stay within one connection's budget.
        #expect(10 * frames[1].count <= options.peerBytesPerSecond)
        #expect(try codec.decodeWorkerMessage(frames: frames[...]) == .report(.init(trial: 0, attempt: 1, epoch: 1, value: 0.9, metrics: [:], checkpoint: checkpoint)))
    }
}
