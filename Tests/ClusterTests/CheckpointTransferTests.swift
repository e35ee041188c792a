import Foundation
import Testing
import SweepFile
import Training
@testable import Cluster

/// Large checkpoints in parts (``CheckpointTransfer``): the messages, and the coordinator's
/// keeping of an upload, its chunks and its copies. (A checkpoint over 12 MiB was not sent
/// at all, so PBT and promotions could not pause the trials of real models.)
@Suite struct CheckpointTransferTests {
    let codec = WireCodec(maxMessageBytes: 1 << 20)

    @Test func messagesRoundTripWithTheirBytesAsASecondFrame() throws {
        let part = WorkerMessage.checkpoint(.part(.init(trial: 3, attempt: 2, epoch: 4, offset: 8, total: 11, bytes: [1, 2, 3])))
        let frames = codec.frames(part)
        #expect(frames.count == 2 && frames[1] == [1, 2, 3])
        #expect(try codec.decodeWorkerMessage(frames: frames[...]) == part)
        let fetch = WorkerMessage.checkpoint(.fetch(.init(trial: 3, attempt: 2, offset: 4 << 20)))
        #expect(try codec.decodeWorkerMessage(frames: codec.frames(fetch)[...]) == fetch)
        for ack in [CheckpointTransfer.Ack(trial: 3, attempt: 2, epoch: 4, received: 11),
                    CheckpointTransfer.Ack(trial: 3, attempt: 2, epoch: 4, received: 0, refused: "cap")] {
            #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(.checkpoint(.ack(ack)))[...]) == .checkpoint(.ack(ack)))
        }
        let chunk = CoordinatorMessage.checkpoint(.chunk(.init(trial: 3, attempt: 2, offset: 0, total: 5, bytes: [9, 8])))
        #expect(codec.frames(chunk).count == 2)
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(chunk)[...]) == chunk)
        let none = CoordinatorMessage.checkpoint(.chunk(.init(trial: 3, attempt: 2, offset: 0, total: 0, bytes: [], refused: "no checkpoint")))
        #expect(codec.frames(none).count == 1)
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(none)[...]) == none)
        // The report and the assignment name the size instead of attaching the bytes.
        let report = WorkerMessage.report(.init(trial: 3, attempt: 2, epoch: 4, value: 1, metrics: ["v": 1], checkpointParts: 40 << 20))
        #expect(codec.frames(report).count == 1)
        #expect(try codec.decodeWorkerMessage(frames: codec.frames(report)[...]) == report)
        let spec = TrialSpec.synthetic(SyntheticTask(function: .sphere, epochs: 2, inputs: []))
        let assign = CoordinatorMessage.assign(.init(study: "s", trial: 3, attempt: 3, seed: 1, params: [:], spec: spec, maxEpochs: 9, metric: "v",
                                                     resume: .init(epoch: 4, checkpoint: [], parts: 40 << 20), pauseEpochs: [1, 3]))
        #expect(codec.frames(assign).count == 1)
        #expect(try codec.decodeCoordinatorMessage(frames: codec.frames(assign)[...]) == assign)
        // A part without its bytes, with other bytes than declared, or past its total is refused.
        #expect(throws: ProtocolViolation.self) { try codec.decodeWorkerMessage(frames: [frames[0]][...]) }
        #expect(throws: ProtocolViolation.self) { try codec.decodeWorkerMessage(frames: [frames[0], [1]][...]) }
        let past = codec.frames(.checkpoint(.part(.init(trial: 3, attempt: 2, epoch: 4, offset: 10, total: 11, bytes: [1, 2]))))
        #expect(throws: ProtocolViolation.self) { try codec.decodeWorkerMessage(frames: past[...]) }
        // Sizes near Int.max are refused before any arithmetic (an overflow crashed the coordinator).
        let crafted = #"{"v":1,"type":"checkpoint_part","trial":0,"attempt":1,"epoch":1,"offset":9223372036854775806,"total":9223372036854775807,"part_bytes":2}"#
        #expect(throws: ProtocolViolation.self) { try codec.decodeWorkerMessage(frames: [Array(crafted.utf8), [1, 2]][...]) }
        let chunkNearMax = #"{"v":1,"type":"checkpoint_chunk","trial":0,"attempt":1,"offset":9223372036854775806,"total":9223372036854775807,"chunk_bytes":2}"#
        #expect(throws: ProtocolViolation.self) { try codec.decodeCoordinatorMessage(frames: [Array(chunkNearMax.utf8), [1, 2]][...]) }
    }

    func keeper(cap: Int = 1 << 30) throws -> (CheckpointKeeper, ArtifactDirectory) {
        let dir = NSTemporaryDirectory() + "ckpt-transfer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let artifacts = ArtifactDirectory(root: dir)
        return (CheckpointKeeper(directory: artifacts, study: "s", capBytes: cap), artifacts)
    }

    func upload(_ k: CheckpointKeeper, trial: Int, epoch: Int, _ archive: [UInt8], part: Int = 5) -> [CheckpointTransfer.Ack] {
        stride(from: 0, to: archive.count, by: part).map { offset in
            k.receive(.init(trial: trial, attempt: 1, epoch: epoch, offset: offset, total: archive.count,
                            bytes: Array(archive[offset..<min(archive.count, offset + part)])))
        }
    }

    @Test func anUploadBecomesTheTrialsCheckpointWhenItsReportComes() throws {
        let (k, artifacts) = try keeper()
        defer { try? FileManager.default.removeItem(atPath: artifacts.root) }
        let archive = (0..<23).map { UInt8($0 * 7 % 251) }
        let acks = upload(k, trial: 2, epoch: 3, archive)
        #expect(acks.map(\.received) == [5, 10, 15, 20, 23] && acks.allSatisfy { $0.refused == nil })
        #expect(k.entries[2] == nil, "not the trial's checkpoint before its report")
        #expect(k.completeUpload(trial: 2, attempt: 1, epoch: 3, total: 23) == nil)
        #expect(k.entries[2] == .init(epoch: 3, bytes: CheckpointKeeper.headerBytes + 23 + 4))
        // Readable in chunks before and after the flush that renames it into place.
        let whole = try #require(k.chunk(trial: 2, offset: 0, count: 1000))
        #expect(CheckpointKeeper.decode(whole)?.bytes == archive && CheckpointKeeper.decode(whole)?.epoch == 3)
        #expect(k.flush().isEmpty)
        #expect(k.chunk(trial: 2, offset: 0, count: 1000) == whole)
        #expect(k.chunk(trial: 2, offset: 10, count: 4) == Array(whole[10..<14]))
        #expect(k.latest(trial: 2)?.bytes == archive)
        // PBT: another trial continues from it (a link made at the flush).
        #expect(k.copyLarge(from: 2, to: 5) == 3)
        #expect(k.chunk(trial: 5, offset: 0, count: 1000) == whole)
        #expect(k.flush().isEmpty)
        k.drop(trial: 2)
        #expect(k.flush().isEmpty)
        #expect(k.chunk(trial: 5, offset: 0, count: 1000) == whole, "the copy outlives its source")
        #expect(k.chunk(trial: 2, offset: 0, count: 10) == nil)
    }

    /// An upload its worker gave up (the lease ended, the report came without it) frees its
    /// file and its room at once (it held both until the trial checkpointed again).
    @Test func anAbandonedUploadFreesItsFileAndRoom() throws {
        let (k, artifacts) = try keeper(cap: 100)
        defer { try? FileManager.default.removeItem(atPath: artifacts.root) }
        _ = k.receive(.init(trial: 1, attempt: 1, epoch: 3, offset: 0, total: 60, bytes: [1]))
        #expect(k.totalBytes == CheckpointKeeper.headerBytes + 60 + 4)
        k.abandonUpload(1, upTo: 2)
        #expect(k.totalBytes > 0, "a report of an earlier epoch leaves a later upload alone")
        k.abandonUpload(1, upTo: 3)
        #expect(k.totalBytes == 0 && !FileManager.default.fileExists(atPath: artifacts.absolute("s/checkpoints/trial-1.1.3.upload")))
        #expect(k.receive(.init(trial: 2, attempt: 1, epoch: 1, offset: 0, total: 60, bytes: [1])).refused == nil)
    }

    /// A copy made from an upload that arrives in the same batch, whose source is then
    /// dropped: the member gets that upload's file (it got the source's older one, or none).
    @Test func aCopyOfAnUploadArrivedInTheSameBatchOutlivesItsSource() throws {
        let (k, artifacts) = try keeper()
        defer { try? FileManager.default.removeItem(atPath: artifacts.root) }
        let old = [UInt8](repeating: 1, count: 12), new = [UInt8](repeating: 2, count: 12)
        _ = upload(k, trial: 4, epoch: 1, old)
        #expect(k.completeUpload(trial: 4, attempt: 1, epoch: 1, total: 12) == nil)
        #expect(k.flush().isEmpty)
        _ = upload(k, trial: 4, epoch: 2, new)
        #expect(k.completeUpload(trial: 4, attempt: 1, epoch: 2, total: 12) == nil)
        #expect(k.copyLarge(from: 4, to: 9) == 2)
        k.drop(trial: 4)
        #expect(k.flush().isEmpty)
        #expect(k.latest(trial: 9)?.bytes == new && k.latest(trial: 9)?.epoch == 2)
        let left = try FileManager.default.contentsOfDirectory(atPath: artifacts.absolute("s/checkpoints"))
        #expect(left == ["trial-9.ckpt"], "\(left)")
    }

    @Test func partsOutOfOrderOverTheCapOrWithoutTheirReportAreNotKept() throws {
        let (k, artifacts) = try keeper(cap: 100)
        defer { try? FileManager.default.removeItem(atPath: artifacts.root) }
        let archive = [UInt8](repeating: 7, count: 20)
        // A gap: refused, and the upload is abandoned (its file removed).
        #expect(k.receive(.init(trial: 1, attempt: 1, epoch: 2, offset: 0, total: 20, bytes: Array(archive[0..<5]))).received == 5)
        #expect(k.receive(.init(trial: 1, attempt: 1, epoch: 2, offset: 10, total: 20, bytes: Array(archive[10..<15]))).refused?.contains("where byte 5 was next") == true)
        #expect(k.completeUpload(trial: 1, attempt: 1, epoch: 2, total: 20) == "its parts did not all arrive")
        #expect(!FileManager.default.fileExists(atPath: artifacts.absolute("s/checkpoints/trial-1.1.2.upload")))
        // Over the cap (100 bytes for all checkpoints together).
        let big = k.receive(.init(trial: 1, attempt: 1, epoch: 2, offset: 0, total: 90, bytes: [1]))
        #expect(big.refused?.contains("would pass --checkpoint-limit") == true, "\(big)")
        // Two uploads at once: the second finds the first's room taken (both fitted before).
        #expect(k.receive(.init(trial: 6, attempt: 1, epoch: 1, offset: 0, total: 40, bytes: [1])).refused == nil)
        #expect(k.receive(.init(trial: 7, attempt: 1, epoch: 1, offset: 0, total: 40, bytes: [1])).refused?.contains("would pass --checkpoint-limit") == true)
        // An upload whose parts stop coming gives its room back (a peer that announced a huge
        // one and went quiet held the whole cap while its lease lasted).
        #expect(k.receive(.init(trial: 6, attempt: 1, epoch: 1, offset: 1, total: 40, bytes: [1]), now: 30).refused == nil)
        #expect(k.abandonStalledUploads(olderThan: 60, now: 80).isEmpty)
        #expect(k.abandonStalledUploads(olderThan: 60, now: 91) == [6])
        #expect(k.receive(.init(trial: 7, attempt: 1, epoch: 1, offset: 0, total: 40, bytes: [1]), now: 91).refused == nil)
        k.drop(trial: 7)
        // A report whose parts did not all arrive keeps the older checkpoint.
        _ = upload(k, trial: 1, epoch: 2, archive)
        #expect(k.completeUpload(trial: 1, attempt: 1, epoch: 2, total: 20) == nil)
        _ = upload(k, trial: 1, epoch: 3, Array(archive[0..<10]) + [1])
        #expect(k.completeUpload(trial: 1, attempt: 1, epoch: 3, total: 30) != nil)
        #expect(k.entries[1]?.epoch == 2)
        #expect(k.flush().isEmpty)
        // A restarted coordinator removes an upload a crash cut short.
        _ = k.receive(.init(trial: 4, attempt: 1, epoch: 1, offset: 0, total: 20, bytes: [1, 2]))
        let restarted = CheckpointKeeper(directory: artifacts, study: "s", capBytes: 100)
        restarted.load { _ in true }
        #expect(restarted.entries.keys.sorted() == [1])
        #expect(!FileManager.default.fileExists(atPath: artifacts.absolute("s/checkpoints/trial-4.1.1.upload")))
    }
}
