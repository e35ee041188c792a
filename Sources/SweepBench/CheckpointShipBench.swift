import Cluster
import Foundation
import ZeroMQ

/// What shipping one checkpoint costs in a sweep, end to end on one host: the report with
/// its checkpoint frame goes from a worker's DEALER over TCP loopback to a coordinator's
/// ROUTER, is decoded, and is stored beside a database as the coordinator stores it
/// (``CheckpointKeeper``, atomic replace). Used by `sweep-bench training --ship-checkpoint`.
final class CheckpointShipper {
    private let context: Context
    private let router: Socket
    private let dealer: Socket
    private let codec = WireCodec()
    private let keeper: CheckpointKeeper
    private let directory: String

    init() throws {
        context = try Context()
        router = try Socket(context, .router)
        try router.bind("tcp://127.0.0.1:0")
        dealer = try Socket(context, .dealer)
        try dealer.setRoutingID("bench-worker")
        try dealer.connect(router.lastEndpoint)
        directory = NSTemporaryDirectory() + "sweep-bench-ship-\(getpid())"
        keeper = CheckpointKeeper(directory: ArtifactDirectory(root: directory), study: "bench", capBytes: 1 << 30)
    }

    deinit {
        dealer.close()
        router.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Sends `checkpoint` with an epoch's report and waits until the coordinator side has
    /// stored it.
    func ship(_ checkpoint: [UInt8], epoch: Int) throws {
        let report = WorkerMessage.report(.init(trial: 0, attempt: 1, epoch: epoch, value: 0.5, metrics: ["loss": 0.5], checkpoint: checkpoint))
        _ = try dealer.send(codec.frames(report))
        guard let m = try router.receive(), case .report(let r) = try codec.decodeWorkerMessage(frames: m.frames.dropFirst()),
              let received = r.checkpoint, keeper.offer(trial: r.trial, epoch: r.epoch, bytes: received) == nil else {
            throw ShipError.notStored
        }
        if let failure = keeper.flush().first { throw failure.error }
    }

    enum ShipError: Error { case notStored }
}
