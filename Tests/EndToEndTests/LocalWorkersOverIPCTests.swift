import Foundation
import Store
import SweepTestSupport
import Testing

/// `sweep run` points its local workers at a Unix socket (`ipc://`) in a private directory,
/// bound beside its TCP endpoint, which workers from elsewhere keep using.
@Suite(.serialized) struct LocalWorkersOverIPCTests {
    @Test func localWorkersUseAUnixSocketWhileATCPWorkerJoinsBesideThem() throws {
        let h = try SweepHarness("local-ipc")
        defer { h.cleanUp() }
        let tmp = h.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("ipc.yaml", syntheticSweep(study: "ipc", trials: 40, epochs: 2, sleep: 0.1))
        let run = try h.start(SweepHarness.sweep, ["run", file, "--workers", "2", "--bind", endpoint, "--db", h.db, "--no-progress"],
                              log: "run.log", environment: ["TMPDIR": tmp])
        defer { if run.isRunning { run.terminate() } }
        let remote = try h.start(["worker", "--connect", endpoint, "--id", "remote"], log: "remote.log")
        defer { if remote.isRunning { remote.terminate() } }

        // While it runs: one private directory (mode 0700) holding the socket.
        var directory: String?
        try #require(h.waitFor(timeout: 60) {
            guard let d = try? FileManager.default.contentsOfDirectory(atPath: tmp).first(where: { $0.hasPrefix("sweep-") }) else { return false }
            directory = "\(tmp)/\(d)"
            return FileManager.default.fileExists(atPath: "\(tmp)/\(d)/coordinator.sock")
        }, "no socket under \(tmp):\n\(h.logText("run.log"))")
        let mode = try FileManager.default.attributesOfItem(atPath: try #require(directory))[.posixPermissions] as? Int
        #expect(mode == 0o700)

        #expect(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))")
        #expect(run.terminationStatus == 0, "\(h.logText("run.log"))")
        #expect(h.waitFor(timeout: 30) { !remote.isRunning })
        let (trials, workers) = try h.reader().read { q in
            let s = try q.requireStudy(named: "ipc")
            return (try q.trials(studyID: s.id), try q.workers(studyID: s.id))
        }
        #expect(trials.count == 40 && trials.allSatisfy { $0.state == .complete })
        // libzmq names a TCP peer by its IP address and an ipc peer by its credentials.
        let tcp = workers.filter { $0.address == "127.0.0.1" }
        #expect(tcp.map(\.worker) == ["remote"], "\(workers.map { ($0.worker, $0.address ?? "-") })")
        #expect(tcp.first.map { $0.trialsDone > 0 } == true)
        let local = workers.filter { $0.worker != "remote" }
        #expect(local.count == 2 && local.allSatisfy { $0.address != nil && $0.trialsDone > 0 },
                "\(workers.map { ($0.worker, $0.address ?? "-", $0.trialsDone) })")
        #expect(workers.reduce(0) { $0 + $1.trialsDone } == 40)
        // The directory goes with the run.
        #expect(!FileManager.default.fileExists(atPath: try #require(directory)))
    }
}
