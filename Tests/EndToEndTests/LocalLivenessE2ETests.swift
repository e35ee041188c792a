import Foundation
import Store
import Testing

/// Workers on the coordinator's machine are watched through their process, not only their
/// heartbeats (default timing here: 5 missed heartbeats of 1 s), with the real binary.
@Suite(.serialized) struct LocalLivenessE2ETests {
    /// The pid of the local worker running a trial with at least one epoch done.
    static func busyWorkerPID(_ h: SweepHarness, study: String) -> pid_t? {
        guard FileManager.default.fileExists(atPath: h.db), let r = try? h.reader() else { return nil }
        return try? r.read { q -> pid_t? in
            guard let s = try q.study(named: study),
                  let t = try q.trials(studyID: s.id, states: [.running]).first(where: { $0.epochs >= 1 }),
                  let w = try q.workers(studyID: s.id).first(where: { $0.worker == t.worker && $0.state == .alive }),
                  let pid = w.pid else { return nil }
            return pid_t(pid)
        }
    }

    /// `sweep run --workers 2`: one worker is killed with SIGKILL; the coordinator says it
    /// exited (it saw the process go, rather than waiting out its heartbeats) and the other
    /// worker finishes the study.
    @Test func aKilledLocalWorkerIsSeenToExit() throws {
        let h = try SweepHarness("local-exit")
        defer { h.cleanUp() }
        let file = try h.write("le.yaml", syntheticSweep(study: "le", trials: 4, epochs: 6, sleep: 0.5))
        let run = try h.start(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        var victim: pid_t?
        try #require(h.waitFor(timeout: 60) { victim = Self.busyWorkerPID(h, study: "le"); return victim != nil },
                     "no worker ran a trial:\n\(h.logText("run.log"))")
        kill(try #require(victim), SIGKILL)
        #expect(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))")
        #expect(run.terminationStatus == 0, "\(h.logText("run.log"))")
        let (lost, trials) = try h.reader().read { q in
            let s = try q.requireStudy(named: "le")
            return (try q.events(studyID: s.id, kinds: [.workerLost]), try q.trials(studyID: s.id))
        }
        #expect(lost.count == 1 && lost[0].message.contains("exited (its process, pid \(victim!) on this machine, is gone)"),
                "\(lost.map(\.message))")
        #expect(trials.count == 4 && trials.allSatisfy { $0.state == .complete })
    }

    /// `sweep run` killed with SIGKILL takes its local workers with it; `sweep resume`
    /// re-queues their trials as soon as it sees their processes are gone, instead of
    /// waiting for them to come back (20 s with the default timing).
    @Test func aResumeAfterAKilledRunDoesNotWaitForItsDeadWorkers() throws {
        let h = try SweepHarness("local-resume")
        defer { h.cleanUp() }
        let file = try h.write("lr.yaml", syntheticSweep(study: "lr", trials: 3, epochs: 6, sleep: 0.5))
        let run = try h.start(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        try #require(h.waitFor(timeout: 60) { Self.busyWorkerPID(h, study: "lr") != nil }, "no worker ran a trial:\n\(h.logText("run.log"))")
        kill(run.processIdentifier, SIGKILL)
        run.waitUntilExit()
        let killedAt = Date().timeIntervalSince1970
        sleep(2) // the coordinator is down a while: no time any trial ran

        let resumed = try h.run(["resume", "lr", "--db", h.db, "--workers", "1", "--no-progress"], timeout: 240)
        #expect(resumed.status == 0, "\(resumed.output)")
        let (events, trials) = try h.reader().read { q in
            let s = try q.requireStudy(named: "lr")
            return (try q.events(studyID: s.id), try q.trials(studyID: s.id))
        }
        let requeued = events.filter { $0.message.contains("it was running when the coordinator stopped") }
        #expect(!requeued.isEmpty && requeued.allSatisfy { $0.message.contains("its worker's process (pid") && $0.message.contains("is gone") },
                "\(requeued.map(\.message))")
        #expect(trials.count == 3 && trials.allSatisfy { $0.state == .complete })
        // The lost attempts end when they were last heard of, before the kill, not at the resume.
        let lostAttempts = try h.reader().read { q in try trials.flatMap { try q.attempts(trialID: $0.id) } }.filter { $0.outcome == .returned }
        #expect(!lostAttempts.isEmpty && lostAttempts.allSatisfy { ($0.endedAt ?? .infinity) <= killedAt }, "\(lostAttempts.map { ($0.attempt, $0.endedAt ?? -1, killedAt) })")
    }
}
