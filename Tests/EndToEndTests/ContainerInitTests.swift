import Foundation
import SweepTestSupport
import Testing

/// Sweep as process 1 of a pid namespace, as a container's entry point is: an init forwards
/// signals to the command and reaps orphans (see CSupport/pid_one.c). `unshare --user
/// --map-root-user` makes the namespace without privileges.
@Suite(.serialized) struct ContainerInitTests {
    /// The children of process `pid` (its main thread's, from /proc).
    static func children(of pid: Int32) -> [Int32] {
        ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
    }

    /// The first child of `pid`, waiting up to `seconds` for one.
    static func firstChild(of pid: Int32, waiting seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let child = children(of: pid).first { return child }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    /// Orphans of trial programs (a `sleep &` left behind) were re-parented to sweep and never
    /// reaped: 10 zombies after 5 trials. Each trial's program counts the zombies it sees.
    @Test func orphansOfTrialProgramsAreReapedWhenSweepIsProcessOne() throws {
        let h = try SweepHarness("pid-one")
        defer { h.cleanUp() }
        let counts = h.path("zombies.txt")
        let script = try h.write("orphan.sh", """
            sleep 300 &
            ( sleep 300 & )
            grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l >> '\(counts)'
            echo '{"epoch": 1, "loss": 1.5}' >&"$SWEEP_REPORT_FD"; read -r d <&"$SWEEP_DECISION_FD"; sleep 0.2

            """)
        let file = try h.write("o.yaml", """
            study: orph
            objective: {metric: loss, direction: minimize}
            command: [sh, \(script)]
            parameters: {x: {uniform: [0, 1]}}
            sampler: {name: random}
            pruner: {name: none}
            budget: {trials: 5, max_epochs: 1}
            """)
        let run = try h.run("/usr/bin/unshare", ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc", SweepHarness.sweep,
                                                 "run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(run.status == 0, "\(run.output)")
        let seen = h.read("zombies.txt").split(separator: "\n").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        #expect(seen.count == 5 && seen.allSatisfy { $0 == 0 }, "zombies seen by each trial: \(seen)")
    }

    /// SIGTERM to process 1 reaches the command: a worker waiting for its coordinator
    /// stops (exit 0) instead of running on; its status is the init's.
    @Test func aStopSignalToProcessOneStopsTheCommand() throws {
        let h = try SweepHarness("pid-one-signal")
        defer { h.cleanUp() }
        let outer = try h.start("/usr/bin/unshare", ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc", SweepHarness.sweep,
                                                     "worker", "--connect", "tcp://127.0.0.1:9", "--forever"], log: "worker.log")
        defer { if outer.isRunning { kill(outer.processIdentifier, SIGKILL) } }
        // Process 1 of the namespace is unshare's child; the command runs in its child.
        let pidOne = try #require(Self.firstChild(of: outer.processIdentifier, waiting: 5))
        Thread.sleep(forTimeInterval: 1)
        #expect(Self.children(of: pidOne).count == 1, "the command runs in a child of process 1")
        kill(pidOne, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while outer.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!outer.isRunning, "stopped by SIGTERM: \(h.read("worker.log"))")
        if !outer.isRunning { #expect(outer.terminationStatus == 0, "\(h.read("worker.log"))") }
    }

    /// The init's status is the command's: 128 + N when signal N killed it. With
    /// SWEEP_NO_INIT set, process 1 runs the command itself (no child).
    @Test func theInitExitsWithTheCommandsStatusAndCanBeTurnedOff() throws {
        let h = try SweepHarness("pid-one-status")
        defer { h.cleanUp() }
        func start(_ environment: [String: String]) throws -> (Process, Int32) {
            let outer = try h.start("/usr/bin/unshare", ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc", SweepHarness.sweep,
                                                         "worker", "--connect", "tcp://127.0.0.1:9", "--forever"], log: "w.log", environment: environment)
            return (outer, try #require(Self.firstChild(of: outer.processIdentifier, waiting: 5)))
        }
        let (outer, pidOne) = try start([:])
        defer { if outer.isRunning { kill(outer.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 1)
        let command = try #require(Self.children(of: pidOne).first)
        kill(command, SIGKILL)
        outer.waitUntilExit()
        #expect(outer.terminationStatus == 128 + SIGKILL)
        let (plain, plainOne) = try start(["SWEEP_NO_INIT": "1"])
        defer { if plain.isRunning { kill(plain.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 1)
        #expect(Self.children(of: plainOne).isEmpty, "no init: process 1 is the worker itself")
        kill(plainOne, SIGTERM)
        plain.waitUntilExit()
        #expect(plain.terminationStatus == 0, "\(h.read("w.log"))")
    }
}
