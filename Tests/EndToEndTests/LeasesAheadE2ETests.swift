import Foundation
import Store
import SweepTestSupport
import Testing

/// Leases ahead through real processes: workers whose trials take milliseconds are sent
/// their next trials while they run the current one, and every trial still runs exactly once.
@Suite(.serialized) struct LeasesAheadE2ETests {
    /// Attempts per worker in start order, each with when its trial was created (a new
    /// trial is created as its first lease).
    static func attemptsByWorker(_ h: SweepHarness, study: String) throws -> [String: [(created: Double, attempt: AttemptRecord)]] {
        try h.reader().read { q in
            let s = try q.requireStudy(named: study)
            var byWorker: [String: [(created: Double, attempt: AttemptRecord)]] = [:]
            for t in try q.trials(studyID: s.id) {
                for a in try q.attempts(trialID: t.id) { byWorker[a.worker, default: []].append((t.createdAt, a)) }
            }
            return byWorker.mapValues { $0.sorted { $0.attempt.startedAt < $1.attempt.startedAt } }
        }
    }

    /// `sweep run` of `trials` one-epoch synthetic trials of `sleep` seconds on 2 local workers.
    static func runOnTwoWorkers(_ h: SweepHarness, study: String, trials: Int, sleep: Double) throws {
        let file = try h.write("\(study).yaml", syntheticSweep(study: study, trials: trials, epochs: 1, sleep: sleep))
        let (status, output) = try runSweep(["run", file, "--workers", "2", "--db", h.db, "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
    }

    @Test func fastTrialsAreLeasedAheadAndEachRunsOnce() throws {
        let h = try SweepHarness("ahead")
        defer { h.cleanUp() }
        try Self.runOnTwoWorkers(h, study: "fast", trials: 600, sleep: 0)
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "fast").id) }
        #expect(trials.count == 600 && trials.allSatisfy { $0.state == .complete && $0.attempt == 1 })
        // Held ahead: a worker's trial was leased (created as its lease) before its previous
        // one ended; it started when that one ended (a trial's time is how long it ran).
        let byWorker = try Self.attemptsByWorker(h, study: "fast")
        let overlapping = byWorker.values.map { attempts in
            zip(attempts, attempts.dropFirst()).filter { prev, next in next.created < (prev.attempt.endedAt ?? .infinity) }.count
        }
        #expect(byWorker.values.allSatisfy { attempts in
            zip(attempts, attempts.dropFirst()).allSatisfy { prev, next in next.attempt.startedAt >= prev.attempt.endedAt ?? .infinity }
        })
        #expect(overlapping.reduce(0, +) > 100, "attempts leased before the worker's previous one ended, per worker: \(overlapping)")
        #expect(byWorker.values.allSatisfy { $0.allSatisfy { $0.attempt.outcome == .complete } })
        // Each trial's one report, sent inside its result (`last_report`), is recorded.
        let steps = try h.reader().read { q in try trials.map { try q.intermediates(trialID: $0.id).map(\.step) } }
        #expect(steps.allSatisfy { $0 == [1] }, "\(steps.filter { $0 != [1] }.prefix(5))")
    }

    @Test func slowTrialsAreLeasedOneAtATime() throws {
        let h = try SweepHarness("one-at-a-time")
        defer { h.cleanUp() }
        try Self.runOnTwoWorkers(h, study: "slow", trials: 12, sleep: 0.15)
        for (worker, attempts) in try Self.attemptsByWorker(h, study: "slow") {
            for (prev, next) in zip(attempts, attempts.dropFirst()) {
                #expect(next.created >= prev.attempt.endedAt ?? .infinity, "worker \(worker): trial leased before its previous one ended")
            }
        }
    }
}
