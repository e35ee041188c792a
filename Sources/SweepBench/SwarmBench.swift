import ArgumentParser
import Cluster
import Foundation
import Randomness
import SweepSupport
import ZeroMQ

/// Many simulated workers against one coordinator: `sweep-bench cluster swarm`.
///
/// A few member processes each drive hundreds of DEALER sockets from one poll loop, each
/// socket playing a worker that follows docs/protocol.md: hello, then trials whose epochs
/// report every 100-1,000 ms (uniform), heartbeats when quiet, a result with `ready` at
/// the end. Measures what the coordinator does under that load: its CPU share, the report
/// round trip (report sent -> decision received) p50/p99, and false STALE verdicts (no
/// simulated worker ever dies, so every STALE attempt in the database is a false one).
extension ClusterBench {
    struct Swarm: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Simulated workers (many DEALER sockets in a few processes) against one coordinator.")

        @Option(help: "Simulated workers in all.") var workers = 1000
        @Option(help: "Member processes that share them.") var processes = 4
        @Option(help: "Seconds of load after every worker said hello.") var seconds = 30.0
        @Option(help: "Shortest and longest pause between a worker's reports, ms.") var reportMs = "100,1000"
        @Option(help: "Epochs per trial.") var epochs = 10
        @Flag(help: "One JSON object.") var json = false

        func run() throws {
            raiseFileLimit()
            let dir = try ClusterBench.scratch("swarm")
            defer { try? FileManager.default.removeItem(at: dir) }
            let endpoint = "tcp://127.0.0.1:\(Int.random(in: 20000..<60000))"
            // The largest budget a sweep file may give: more than the swarm can run.
            try ClusterBench.sweepFile(study: "swarm", trials: 1_000_000, epochs: epochs, sleep: 0)
                .write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
            let coordinator = Process()
            coordinator.executableURL = URL(fileURLWithPath: ClusterBench.sweepExecutable)
            coordinator.arguments = ["coordinator", "s.yaml", "--db", "s.db", "--bind", endpoint, "--no-progress"]
            coordinator.currentDirectoryURL = dir
            coordinator.standardOutput = FileHandle.nullDevice
            coordinator.standardError = FileHandle.nullDevice
            try coordinator.run()
            defer { if coordinator.isRunning { coordinator.terminate(); coordinator.waitUntilExit() } }
            usleep(500_000)
            guard coordinator.isRunning else {
                throw ValidationError("the coordinator exited with status \(coordinator.terminationStatus) before the swarm started (its output is discarded: run `sweep coordinator` on ClusterBench.sweepFile's text to see why)")
            }

            let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let perMember = (workers + processes - 1) / processes
            var members: [(Process, Pipe)] = []
            let cpuBefore = Self.cpuSeconds(pid: coordinator.processIdentifier)
            let started = Date()
            for i in 0..<processes {
                let count = min(perMember, workers - i * perMember)
                guard count > 0 else { break }
                let p = Process(), pipe = Pipe()
                p.executableURL = URL(fileURLWithPath: me)
                p.arguments = ["cluster", "swarm-member", "--connect", endpoint, "--workers", "\(count)", "--first", "\(i * perMember)",
                               "--seconds", "\(seconds)", "--report-ms", reportMs, "--seed", "\(i + 1)"]
                p.standardOutput = pipe
                try p.run()
                members.append((p, pipe))
            }
            var rtts: [Double] = []
            var totals: [String: Int] = [:]
            for (p, pipe) in members {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw ValidationError("a swarm member printed no result")
                }
                rtts += (object["rtt_us"] as? [Double]) ?? []
                for (key, value) in object where key != "rtt_us" { totals[key, default: 0] += (value as? Int) ?? 0 }
            }
            let wall = Date().timeIntervalSince(started)
            let cpu = Self.cpuSeconds(pid: coordinator.processIdentifier) - cpuBefore
            coordinator.terminate()
            coordinator.waitUntilExit()
            let stale = try Self.count("SELECT count(*) FROM trial_attempts WHERE outcome = 'STALE'", db: dir.appendingPathComponent("s.db").path)
            rtts.sort()
            func pct(_ p: Double) -> Double { rtts.isEmpty ? .nan : rtts[min(rtts.count - 1, Int(Double(rtts.count) * p))] }
            let reportsPerSecond = Double(rtts.count) / wall
            if json {
                var object: [String: Any] = [
                    "bench": "swarm", "workers": workers, "processes": processes, "seconds": wall, "reports": rtts.count,
                    "reports_per_s": reportsPerSecond, "p50_us": pct(0.5), "p99_us": pct(0.99), "max_us": rtts.last ?? .nan,
                    "coordinator_cpu_share": cpu / wall, "false_stale": stale,
                ]
                for (key, value) in totals { object[key] = value }
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print(String(format: "%d simulated workers in %d processes, %.0f s: %d reports (%.0f/s), round trip p50 %.2f ms, p99 %.2f ms, max %.1f ms; coordinator CPU %.0f%% of one core; false STALE %d; %@",
                             workers, processes, wall, rtts.count, reportsPerSecond, pct(0.5) / 1000, pct(0.99) / 1000, (rtts.last ?? .nan) / 1000,
                             100 * cpu / wall, stale, totals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            }
        }

        /// Raises the open-file limit to the hard limit (a thousand connections need fds);
        /// the coordinator inherits it.
        func raiseFileLimit() {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }

        /// User + system CPU seconds of a process (/proc/PID/stat).
        static func cpuSeconds(pid: Int32) -> Double {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return 0 }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        static func count(_ sql: String, db: String) throws -> Int {
            let p = Process(), pipe = Pipe()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            p.arguments = [db, sql]
            p.standardOutput = pipe
            try p.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw ValidationError("sqlite3 answered '\(text)'") }
            return n
        }
    }

    /// One member process of `swarm`: `workers` sockets in one poll loop.
    struct SwarmMember: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "swarm-member", abstract: "One process of simulated workers (used by swarm).", shouldDisplay: false)

        @Option var connect: String
        @Option var workers: Int
        @Option var first: Int
        @Option var seconds: Double
        @Option var reportMs = "100,1000"
        @Option var seed: UInt64 = 1

        /// One simulated worker.
        struct Member {
            var socket: Socket
            var name: String
            var running: CoordinatorMessage.Assign?
            var epoch = 0
            var nextReport: UInt64 = .max
            /// When the unanswered report was sent (µs), if there is one.
            var pendingSince: UInt64?
            var lastSent: UInt64 = 0
        }

        func run() throws {
            let bounds = reportMs.split(separator: ",").compactMap { UInt64($0) }
            guard bounds.count == 2, bounds[0] <= bounds[1] else { throw ValidationError("--report-ms: two numbers, e.g. 100,1000") }
            let codec = WireCodec()
            let context = try Context()
            var rng = SeededGenerator(seed: seed)
            func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds / 1_000_000 }
            func pause() -> UInt64 { bounds[0] + UInt64(rng.nextInt(below: Int(bounds[1] - bounds[0]) + 1)) }

            var members: [Member] = []
            for i in 0..<workers {
                let socket = try Socket(context, .dealer)
                let name = "swarm-\(first + i)"
                try socket.setRoutingID(name)
                try socket.connect(connect)
                members.append(Member(socket: socket, name: name))
            }
            var poller = Poller(members.map(\.socket))
            var rtts: [Double] = []
            var counts = ["decisions": 0, "prunes": 0, "cancels": 0, "identifies": 0, "no_work": 0, "errors": 0, "trials": 0]

            func send(_ i: Int, _ message: WorkerMessage) throws {
                _ = try members[i].socket.send([codec.encode(message)], dontWait: true)
                members[i].lastSent = now()
            }
            func hello(_ i: Int) throws {
                let running = members[i].running.map { WorkerMessage.Hello.Running(trial: $0.trial, attempt: $0.attempt, epoch: members[i].epoch) }
                try send(i, .hello(.init(worker: members[i].name, host: "swarm", pid: Int(getpid()), version: sweepVersion, cores: 1,
                                         threads: 1, capabilities: ["synthetic"], running: running)))
            }
            for i in members.indices { try hello(i) }

            let end = now() + UInt64(seconds * 1000)
            while now() < end {
                try poller.poll(timeoutMilliseconds: 5)
                let t = now()
                for i in members.indices where poller.isReadable(i) {
                    while let message = try members[i].socket.receive(dontWait: true) {
                        guard let frame = message.frames.last, let decoded = try? codec.decodeCoordinatorMessage(frame) else {
                            counts["errors"]! += 1
                            continue
                        }
                        switch decoded {
                        case .assign(let a):
                            members[i].running = a
                            members[i].epoch = 0
                            members[i].nextReport = t + pause()
                            counts["trials"]! += 1
                        case .decision(let d):
                            guard let a = members[i].running, d.trial == a.trial, d.epoch == members[i].epoch, let sent = members[i].pendingSince else { break }
                            rtts.append(Double(DispatchTime.now().uptimeNanoseconds / 1000 - sent))
                            members[i].pendingSince = nil
                            counts["decisions"]! += 1
                            if d.prune || members[i].epoch >= a.maxEpochs {
                                if d.prune { counts["prunes"]! += 1 }
                                try send(i, .result(.init(trial: a.trial, attempt: a.attempt, state: d.prune ? .pruned : .complete,
                                                          value: 1, metrics: ["value": 1], epochs: members[i].epoch, ready: true)))
                                members[i].running = nil
                                members[i].nextReport = .max
                            } else {
                                members[i].nextReport = t + pause()
                            }
                        case .cancel:
                            counts["cancels"]! += 1
                            members[i].running = nil
                            members[i].pendingSince = nil
                            members[i].nextReport = .max
                            try send(i, .ready)
                        case .identify:
                            counts["identifies"]! += 1
                            try hello(i)
                        case .noWork:
                            counts["no_work"]! += 1
                        case .error:
                            counts["errors"]! += 1
                        case .welcome, .heartbeat, .stop, .quarantine, .refuse, .data, .checkpoint:
                            break
                        }
                    }
                }
                for i in members.indices {
                    if let a = members[i].running, members[i].pendingSince == nil, t >= members[i].nextReport {
                        members[i].epoch += 1
                        let value = Double(rng.nextInt(below: 1000)) / 1000
                        // The round trip is measured in microseconds from this send.
                        members[i].pendingSince = DispatchTime.now().uptimeNanoseconds / 1000
                        try send(i, .report(.init(trial: a.trial, attempt: a.attempt, epoch: members[i].epoch, value: value, metrics: ["value": value])))
                    } else if t >= members[i].lastSent + 1000 {
                        try send(i, .heartbeat)
                    }
                }
            }
            for i in members.indices {
                try send(i, .bye(.init(reason: "swarm done", trial: members[i].running?.trial, attempt: members[i].running?.attempt)))
                members[i].socket.close()
            }
            var object: [String: Any] = ["rtt_us": rtts]
            for (key, value) in counts { object[key] = value }
            FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: object))
        }
    }
}
