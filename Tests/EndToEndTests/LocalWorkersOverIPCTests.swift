import Foundation
import Store
import SweepTestSupport
import Testing

/// `sweep run` points its local workers at a Unix socket (`ipc://`) in a private directory.
/// Without `--bind` that socket is all it listens on; `--bind` adds a TCP endpoint, which
/// workers from elsewhere use.
@Suite(.serialized) struct LocalWorkersOverIPCTests {
    /// Without `--bind` no TCP port is open: any local user could connect to one (even on
    /// loopback) and be sent the command, its environment and the data. A worker of this
    /// user joins through the printed `ipc://` endpoint.
    @Test func withoutBindOnlyThePrivateSocketListens() throws {
        let h = try SweepHarness("private-only")
        defer { h.cleanUp() }
        let tmp = h.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let file = try h.write("p.yaml", syntheticSweep(study: "p", trials: 12, epochs: 2, sleep: 0.1))
        // (No local worker: the study waits for the one that joins, whatever the load.)
        let run = try h.start(SweepHarness.sweep, ["run", file, "--workers", "0", "--db", h.db, "--no-progress"],
                              log: "run.log", environment: ["TMPDIR": tmp])
        defer { if run.isRunning { run.terminate() } }
        var endpoint = ""
        try #require(h.waitFor(timeout: 60) {
            guard let m = h.logText("run.log").firstMatch(of: /listening on (\S+);/) else { return false }
            endpoint = String(m.1)
            return true
        }, "\(h.logText("run.log"))")
        #expect(endpoint.hasPrefix("ipc://\(tmp)/sweep-") && endpoint.hasSuffix("/coordinator.sock"), "\(endpoint)")
        #expect(try TCPListeners.ports(ofProcess: run.processIdentifier).isEmpty, "\(h.logText("run.log"))")
        // Another worker of this user joins through it, and `status` names it.
        let joined = try h.start(["worker", "--connect", endpoint, "--id", "joined"], log: "joined.log")
        defer { if joined.isRunning { joined.terminate() } }
        let status = try h.run(["status", "p", "--db", h.db])
        #expect(status.output.contains("sweep worker --connect \(endpoint)"), "\(status.output)")
        #expect(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))")
        #expect(run.terminationStatus == 0, "\(h.logText("run.log"))")
        let workers = try h.reader().read { q in try q.workers(studyID: try q.requireStudy(named: "p").id) }
        #expect(workers.map(\.worker) == ["joined"] && workers.first?.trialsDone == 12, "\(workers.map { ($0.worker, $0.trialsDone) })\n\(h.logText("joined.log"))")
    }

    /// An IPv6 address works where an IPv4 one does: libzmq refused `tcp://[::1]:P` ("No such
    /// device", exit 1) until the socket was told to take IPv6.
    @Test func aCoordinatorOnAnIPv6AddressServesAWorkerThatConnectsThere() throws {
        let h = try SweepHarness("ipv6")
        defer { h.cleanUp() }
        let endpoint = "tcp://[::1]:\(SweepHarness.freePort())"
        let file = try h.write("v6.yaml", syntheticSweep(study: "v6", trials: 6, epochs: 2, sleep: 0.05))
        let run = try h.start(SweepHarness.sweep, ["run", file, "--workers", "0", "--bind", endpoint, "--db", h.db, "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let worker = try h.start(["worker", "--connect", endpoint, "--id", "v6"], log: "worker.log")
        defer { if worker.isRunning { worker.terminate() } }
        #expect(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))\n\(h.logText("worker.log"))")
        #expect(run.terminationStatus == 0, "\(h.logText("run.log"))")
        let workers = try h.reader().read { q in try q.workers(studyID: try q.requireStudy(named: "v6").id) }
        // Without brackets (or without a port after them) a usage error says how to write it.
        let bare = try h.run(["worker", "--connect", "tcp://::1:5555"])
        #expect(bare.status == 2 && bare.output.contains("write an IPv6 address in brackets, e.g. tcp://[::1]:5555"), "\(bare.output)")
        let portless = try h.run(["worker", "--connect", "tcp://[::1]"])
        #expect(portless.status == 2 && portless.output.contains("an IPv6 address needs its port after the bracket"), "\(portless.output)")
        #expect(workers.map(\.worker) == ["v6"] && workers.first?.trialsDone == 6 && workers.first?.address == "::1",
                "\(workers.map { ($0.worker, $0.address ?? "-", $0.trialsDone) })")
    }

    @Test func localWorkersUseAUnixSocketWhileATCPWorkerJoinsBesideThem() throws {
        let h = try SweepHarness("local-ipc")
        defer { h.cleanUp() }
        let tmp = h.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
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
        // --bind adds the TCP endpoint.
        #expect(try TCPListeners.ports(ofProcess: run.processIdentifier) == [Int(port)], "\(h.logText("run.log"))")

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

/// The TCP ports a process listens on, from `/proc/PID/fd` and `/proc/net/tcp{,6}`.
enum TCPListeners {
    static func ports(ofProcess pid: Int32) throws -> [Int] {
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        let inodes = Set(fds.compactMap { fd -> String? in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                  target.hasPrefix("socket:[") else { return nil }
            return String(target.dropFirst("socket:[".count).dropLast())
        })
        var ports: [Int] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // local_address rem_address st ... inode: state 0A is LISTEN.
                guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])),
                      let port = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }) else { continue }
                ports.append(port)
            }
        }
        return ports
    }
}
