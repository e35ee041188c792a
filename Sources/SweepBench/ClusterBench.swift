import ArgumentParser
import Cluster
import Foundation
import Store
import SweepSupport
import ZeroMQ

/// End-to-end speed of the sweep machinery (coordinator + ZeroMQ + SQLite + workers),
/// measured with synthetic trials so that training does not hide it.
struct ClusterBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Trials per second, report round-trip latency, and overhead against the ideal time.",
        subcommands: [Throughput.self, Latency.self, Overhead.self, Swarm.self, SwarmMember.self, ResumeMemory.self])

    /// The `sweep` executable next to this one.
    static var sweepExecutable: String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("sweep").path
    }

    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func sweepFile(study: String, trials: Int, epochs: Int, sleep: Double) -> String {
        """
        study: \(study)
        synthetic:
          function: sphere
          epochs: \(epochs)
          sleep: \(sleep)
          inputs:
            x: {uniform: [-2, 2]}
            y: {uniform: [-2, 2]}
        sampler: {name: random}
        pruner: {name: none}
        budget: {trials: \(trials)}
        """
    }

    /// `sweep ARGS` in `dir`, its output discarded, not started yet.
    static func sweepProcess(_ executable: String, _ arguments: [String], in dir: URL) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        return p
    }

    /// Runs `sweep ARGS` to completion, returning its wall time.
    @discardableResult
    static func runSweep(_ arguments: [String], in dir: URL) throws -> Double {
        let p = sweepProcess(sweepExecutable, arguments, in: dir)
        let start = Date()
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("sweep \(arguments.joined(separator: " ")) exited with \(p.terminationStatus)") }
        return Date().timeIntervalSince(start)
    }

    /// Trials, and seconds from the first start to the last finish, read from the database.
    static func span(db: String, study: String) throws -> (trials: Int, seconds: Double) {
        let reader = try SweepStore.openReadOnly(path: db)
        let trials = try reader.read { q in try q.trials(studyID: try q.requireStudy(named: study).id) }
        let start = trials.compactMap(\.startedAt).min() ?? 0
        let end = trials.compactMap(\.finishedAt).max() ?? 0
        return (trials.filter { $0.state == .complete }.count, end - start)
    }
}

extension ClusterBench {
    struct Throughput: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Zero-cost trials per second with N local workers (`sweep run`).")

        @Option(help: "Worker counts, comma separated.") var workers = "1,4,16"
        @Option(help: "Trials per run.") var trials = 5000
        @Option(help: "Runs per worker count (each is printed; harnesses interleave rounds with --repeats 1).") var repeats = 1
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            for n in workers.split(separator: ",").compactMap({ Int($0) }) {
                for r in 0..<repeats {
                    let dir = try ClusterBench.scratch("throughput")
                    defer { try? FileManager.default.removeItem(at: dir) }
                    let study = "zero\(n)r\(r)"
                    try ClusterBench.sweepFile(study: study, trials: trials, epochs: 1, sleep: 0).write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
                    let wall = try ClusterBench.runSweep(["run", "s.yaml", "--workers", "\(n)", "--db", "s.db", "--no-progress"], in: dir)
                    let (done, seconds) = try ClusterBench.span(db: dir.appendingPathComponent("s.db").path, study: study)
                    guard done == trials else { throw ValidationError("only \(done) of \(trials) trials completed") }
                    // Steady state: trials over the span from the first start to the last finish
                    // in the database; whole command: `sweep run` from exec to exit.
                    let steady = Double(done) / seconds, whole = Double(done) / wall
                    if json {
                        print("{\"bench\":\"throughput\",\"workers\":\(n),\"trials\":\(trials),\"trials_per_s\":\(steady),\"command_seconds\":\(wall),\"command_trials_per_s\":\(whole)}")
                    } else {
                        print(String(format: "%3d workers: %8.0f trials/s steady, %8.0f whole command (%d trials, %.2f s)", n, steady, whole, trials, wall))
                    }
                }
            }
        }
    }

    struct Overhead: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A sweep of sleep trials against its ideal time (trials / workers x sleep).")

        @Option(help: "Local workers.") var workers = 16
        @Option(help: "Trials.") var trials = 480
        @Option(help: "Seconds each trial sleeps.") var sleep = 0.5
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            let dir = try ClusterBench.scratch("overhead")
            defer { try? FileManager.default.removeItem(at: dir) }
            try ClusterBench.sweepFile(study: "sleep", trials: trials, epochs: 1, sleep: sleep).write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
            let wall = try ClusterBench.runSweep(["run", "s.yaml", "--workers", "\(workers)", "--db", "s.db", "--no-progress"], in: dir)
            let (done, seconds) = try ClusterBench.span(db: dir.appendingPathComponent("s.db").path, study: "sleep")
            let ideal = (Double(trials) / Double(workers)).rounded(.up) * sleep
            let overhead = (seconds - ideal) / ideal
            if json {
                print("{\"bench\":\"overhead\",\"workers\":\(workers),\"trials\":\(done),\"sleep\":\(sleep),\"ideal_s\":\(ideal),\"sweep_s\":\(seconds),\"overhead\":\(overhead),\"command_s\":\(wall)}")
            } else {
                print(String(format: "%d sleep trials of %.2f s on %d workers: %.2f s against %.2f s ideal: overhead %.2f%% (whole command %.1f s)",
                             done, sleep, workers, seconds, ideal, overhead * 100, wall))
            }
        }
    }

    struct Latency: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report round trip (report -> decision, committed to SQLite) as a worker sees it.")

        @Option(help: "Reports to time.") var reports = 3000
        @Option(help: "Coordinator endpoint to use (default: a local coordinator on a free port).") var connect: String?
        @Option(help: "CURVE key directory (with --connect to a coordinator that uses --keys).") var keys: String?
        @Option(help: "Worker key name in the key directory.") var keyName = "worker"
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            let dir = try ClusterBench.scratch("latency")
            defer { try? FileManager.default.removeItem(at: dir) }
            var coordinator: Process?
            let endpoint: String
            if let connect {
                endpoint = connect
            } else {
                let port = Int.random(in: 20000..<60000)
                endpoint = "tcp://127.0.0.1:\(port)"
                try ClusterBench.sweepFile(study: "latency", trials: 1, epochs: reports, sleep: 0).write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
                let p = Process()
                p.executableURL = URL(fileURLWithPath: ClusterBench.sweepExecutable)
                p.arguments = ["coordinator", "s.yaml", "--db", "s.db", "--bind", endpoint, "--no-progress"]
                p.currentDirectoryURL = dir
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                coordinator = p
            }
            defer { if let c = coordinator, c.isRunning { c.terminate(); c.waitUntilExit() } }

            let codec = WireCodec()
            let ctx = try Context()
            let socket = try Socket(ctx, .dealer)
            try socket.setRoutingID("latency-probe")
            if let keys {
                let k = try KeyDirectory(path: keys).workerKeys(name: keyName)
                try socket.setCurveClient(publicKey: k.publicKey, secretKey: k.secretKey, serverKey: k.serverKey)
            }
            try socket.connect(endpoint)
            func receive(timeoutMs: Int = 10_000) throws -> CoordinatorMessage? {
                var poller = Poller([socket])
                guard try poller.poll(timeoutMilliseconds: timeoutMs) > 0, let m = try socket.receive(dontWait: true), let f = m.frames.last else { return nil }
                return try codec.decodeCoordinatorMessage(f)
            }
            try socket.send([codec.encode(.hello(.init(worker: "latency-probe", host: "bench", pid: Int(getpid()), version: sweepVersion, cores: 1,
                                                         threads: 1, capabilities: ["synthetic"], running: nil)))])
            var assign: CoordinatorMessage.Assign?
            let deadline = Date().addingTimeInterval(20)
            while assign == nil && Date() < deadline {
                if case .assign(let a)? = try receive(timeoutMs: 1000) { assign = a }
            }
            guard let a = assign else { throw ValidationError("no assignment from \(endpoint)") }
            var rtts: [Double] = []
            rtts.reserveCapacity(reports)
            for epoch in 1...min(reports, a.maxEpochs) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try socket.send([codec.encode(.report(.init(trial: a.trial, attempt: a.attempt, epoch: epoch, value: 1.0 / Double(epoch), metrics: ["value": 1.0 / Double(epoch)])))])
                while true {
                    guard let m = try receive() else { throw ValidationError("no decision for epoch \(epoch)") }
                    if case .decision(let d) = m, d.epoch == epoch { break }
                }
                rtts.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
            }
            try socket.send([codec.encode(.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: 0, metrics: [:], epochs: rtts.count, ready: false)))])
            try socket.send([codec.encode(.bye(.init(reason: "bench done")))])
            rtts.sort()
            func pct(_ p: Double) -> Double { rtts[min(rtts.count - 1, Int(Double(rtts.count) * p))] }
            if json {
                print("{\"bench\":\"latency\",\"reports\":\(rtts.count),\"p50_us\":\(pct(0.5)),\"p90_us\":\(pct(0.9)),\"p99_us\":\(pct(0.99)),\"max_us\":\(rtts.last!)}")
            } else {
                print(String(format: "report round trip over %d reports: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us", rtts.count, pct(0.5), pct(0.9), pct(0.99), rtts.last!))
            }
            socket.close()
        }
    }
}
