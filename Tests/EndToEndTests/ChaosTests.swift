import Foundation
import Store
import Testing

/// Workers and the coordinator killed with SIGKILL at random (seeded) moments during a
/// sweep of near-zero-cost trials, the coordinator resumed after each kill. `make test`
/// runs a short version; `make test-chaos` a longer one through the environment:
/// SWEEP_CHAOS_SEED, SWEEP_CHAOS_TRIALS, SWEEP_CHAOS_KILLS, SWEEP_CHAOS_PRUNE=1 for a
/// median pruner and failing trials (attempts that end early, so a re-run that stops
/// sooner than a dead attempt must not keep that attempt's later epochs), and
/// SWEEP_CHAOS_SLEEP, the seconds per epoch (0.03; 0 makes trials short enough for
/// workers to hold several leases ahead when they are killed).
@Suite(.serialized) struct ChaosTests {
    @Test func killsAtRandomMomentsLoseAndDuplicateNothing() throws {
        let env = ProcessInfo.processInfo.environment
        let seed = UInt64(env["SWEEP_CHAOS_SEED"] ?? "") ?? 19
        let trialCount = Int(env["SWEEP_CHAOS_TRIALS"] ?? "") ?? 100
        let killCount = Int(env["SWEEP_CHAOS_KILLS"] ?? "") ?? 6
        let endsEarly = env["SWEEP_CHAOS_PRUNE"] == "1"
        let sleep = Double(env["SWEEP_CHAOS_SLEEP"] ?? "") ?? 0.03
        let maxAttempts = 3
        let h = try SweepHarness("chaos")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let timing = ["--heartbeat-ms", "100", "--liveness", "5"]
        let file = try h.write("chaos.yaml", syntheticSweep(study: "chaos", trials: trialCount, epochs: 3, sleep: sleep,
                                                            pruner: endsEarly ? "{name: median, n_startup_trials: 4}" : "{name: none}",
                                                            failProbability: endsEarly ? 0.05 : 0))
        var rng = SplitMix64(seed: seed)
        var coordinatorRuns = 0
        func startCoordinator(resume: Bool) throws -> Process {
            coordinatorRuns += 1
            let args = resume ? ["resume", "chaos", "--workers", "0"] : ["coordinator", file]
            return try h.start(args + ["--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator-\(coordinatorRuns).log")
        }
        var workerRuns = 0
        func startWorker() throws -> Process {
            workerRuns += 1
            return try h.start(["worker", "--connect", endpoint, "--id", "w\(workerRuns)", "--give-up-after", "60"] + timing, log: "w\(workerRuns).log")
        }
        var coordinator = try startCoordinator(resume: false)
        var workers = try (0..<3).map { _ in try startWorker() }
        defer {
            for w in workers where w.isRunning { w.terminate() }
            if coordinator.isRunning { coordinator.terminate() }
        }
        try #require(h.waitFor(timeout: 30) { FileManager.default.fileExists(atPath: h.db) }, "no database:\n\(h.logText("coordinator-1.log"))")

        var kills: [String] = []
        for _ in 0..<killCount {
            usleep(UInt32(100_000 + rng.next() % 700_000))
            guard coordinator.isRunning else { break } // the study finished first
            if rng.next() % 3 == 0 {
                kill(coordinator.processIdentifier, SIGKILL)
                coordinator.waitUntilExit()
                kills.append("coordinator")
                coordinator = try startCoordinator(resume: true)
            } else {
                let i = Int(rng.next() % UInt64(workers.count))
                kill(workers[i].processIdentifier, SIGKILL)
                workers[i].waitUntilExit()
                kills.append("worker")
                workers[i] = try startWorker()
            }
        }
        #expect(kills.contains("coordinator") && kills.contains("worker"), "the sweep ended before both kinds of kill: \(kills)")
        // The last coordinator runs the study to its end (a resume also ends a study that
        // finished just before a kill).
        let last = "coordinator-\(coordinatorRuns).log"
        #expect(h.waitFor(timeout: 240) { !coordinator.isRunning }, "the sweep did not finish after \(kills):\n\(h.logText(last))")
        #expect(coordinator.terminationStatus == 0, "\(h.logText(last))")

        try checkExactlyOnce(h, study: "chaos", trials: trialCount, maxAttempts: maxAttempts, context: "seed \(seed), kills \(kills)")
    }
}

/// Every trial ended exactly once (COMPLETE, PRUNED or FAIL), its epochs are its final
/// attempt's (or, up to the checkpoint it resumed from, earlier attempts'), its crashed attempts stay within the retry limit, and the file is intact.
func checkExactlyOnce(_ h: SweepHarness, study: String, trials count: Int, maxAttempts: Int, context: String) throws {
    let reader = try h.reader()
    let rows = try reader.read { q in
        let s = try q.requireStudy(named: study)
        return try q.trials(studyID: s.id).map { t in (t, try q.attempts(trialID: t.id), try q.intermediates(trialID: t.id)) }
    }
    #expect(rows.count == count, "\(context): \(rows.count) trials for a budget of \(count)")
    #expect(Set(rows.map(\.0.number)) == Set(0..<count), "\(context): trial numbers \(rows.map(\.0.number))")
    let terminalOutcomes: Set<AttemptOutcome> = [.complete, .pruned, .fail]
    for (trial, attempts, epochs) in rows {
        let what = "\(context): trial \(trial.number) (\(trial.state), attempts \(attempts.map { "\($0.attempt):\($0.outcome?.rawValue ?? "open")" }))"
        #expect([.complete, .pruned, .fail].contains(trial.state), "\(what)")
        let ended = attempts.filter { $0.outcome.map(terminalOutcomes.contains) ?? false }
        // A trial that ran out of retries fails without a finishing attempt.
        let ranOutOfRetries = trial.state == .fail && ended.isEmpty && (trial.error ?? "").contains("retry limit")
        #expect(ended.count == 1 || ranOutOfRetries, "\(what): ended \(ended.count) times")
        #expect(attempts.allSatisfy { $0.outcome != nil }, "\(what): an attempt was left open")
        #expect(attempts.filter { $0.outcome == .stale }.count <= maxAttempts, "\(what): more crashes than retry.max_attempts")
        #expect(Set(attempts.map(\.attempt)).count == attempts.count, "\(what): an attempt number was used twice")
        // A final attempt that resumed from a checkpoint keeps the earlier attempts' epochs up to it.
        let resumedFrom = attempts.first { $0.attempt == trial.attempt }?.resumedFromEpoch ?? 0
        #expect(epochs.allSatisfy { $0.step <= resumedFrom ? $0.attempt < trial.attempt : $0.attempt == trial.attempt },
                "\(what): epoch rows of attempts \(Set(epochs.map(\.attempt))) for final attempt \(trial.attempt) (resumed after epoch \(resumedFrom))")
    }
    #expect(try reader.integrityCheck() == "ok")
}

/// A small seeded generator (SplitMix64), so a failing seed can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
