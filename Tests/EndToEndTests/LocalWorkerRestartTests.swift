import Foundation
import Store
import Testing

/// `sweep run --workers N` starts a local worker again when it is killed (the OOM killer,
/// a `kill -9`): with both killed, the run waited for none, saying nothing, for as long as
/// one let it.
@Suite struct LocalWorkerRestartTests {
    /// The worker processes `sweep run` (pid) started, from /proc (no procps needed).
    private func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { child in
            guard let status = try? String(contentsOfFile: "/proc/\(child)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("PPid:") }),
                  Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) == pid,
                  let cmdline = try? String(contentsOfFile: "/proc/\(child)/cmdline", encoding: .utf8) else { return false }
            return cmdline.contains("worker\u{0}--connect")
        }
    }

    /// SIGSEGV sent with kill(2): Swift's runtime printed a backtrace and let the worker run
    /// on, holding its trial.
    @Test(arguments: [SIGKILL, SIGSEGV])
    func killedLocalWorkersAreStartedAgainAndTheStudyEnds(signal: Int32) throws {
        let h = try SweepHarness("local-restart")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 40, epochs: 2, sleep: 0.2))
        let run = try h.start(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        #expect(h.waitFor(timeout: 60) { self.children(of: run.processIdentifier).count == 2 && (try? h.reader().read { q in
            try q.trials(studyID: try q.requireStudy(named: "s").id).count }) ?? 0 >= 2 })
        let first = children(of: run.processIdentifier)
        for pid in first { kill(pid, signal) }
        try #require(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))")
        #expect(run.terminationStatus == 0, "\(h.logText("run.log"))")
        let log = h.logText("run.log")
        #expect(log.components(separatedBy: "was killed by signal \(signal); started").count == 3, "both were started again: \(log)")
        #expect(h.waitFor(timeout: 5) { first.allSatisfy { kill($0, 0) != 0 } }, "the killed workers are gone")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 40 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
    }

    /// A one-worker TPE study whose worker is killed runs the same trials as without the
    /// crash: the lost trial is re-run before anything new is sampled. The replacement `sweep
    /// run` starts was handed a new trial first; the lost one ran after it, and TPE saw another
    /// history (every later trial differed).
    @Test func aKilledWorkersTrialRunsAgainBeforeNewOnes() throws {
        let h = try SweepHarness("local-restart-order")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 12, epochs: 3, sleep: 0.15, sampler: "{name: tpe, n_startup_trials: 3}"))
        #expect(try h.run(["run", file, "--db", h.path("reference.db"), "--workers", "1", "--no-progress"], timeout: 120).status == 0)
        let run = try h.start(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        // Killed while trial 5 runs (in its second epoch, after a report).
        try #require(h.waitFor(timeout: 60) { (try? h.reader().read { q in
            try q.trials(studyID: try q.requireStudy(named: "s").id).contains { $0.number == 5 && $0.state == .running && $0.epochs >= 1 } }) ?? false },
                     "\(h.logText("run.log"))")
        for pid in children(of: run.processIdentifier) { kill(pid, SIGKILL) }
        try #require(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))")
        #expect(run.terminationStatus == 0, "\(h.logText("run.log"))")
        func trials(_ db: String) throws -> [TrialRecord] {
            let store = try SweepStore.openReadOnly(path: db)
            return try store.read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        }
        let (reference, crashed) = (try trials(h.path("reference.db")), try trials(h.db))
        #expect(crashed.count == 12 && crashed.map(\.params) == reference.map(\.params), "the same trials as without the crash")
        #expect(crashed.first { $0.number == 5 }?.attempt == 2, "trial 5 ran again")
        // Its second attempt came before trial 6 (it came after trials 6 and 7).
        let starts = try h.reader().read { q -> (Double?, Double?) in
            let ids = Dictionary(uniqueKeysWithValues: try q.trials(studyID: try q.requireStudy(named: "s").id).map { ($0.number, $0.id) })
            return (try q.attempts(trialID: ids[5]!).first { $0.attempt == 2 }?.startedAt, try q.attempts(trialID: ids[6]!).first?.startedAt)
        }
        #expect(starts.0 != nil && starts.1 != nil && starts.0! < starts.1!, "trial 5 again at \(String(describing: starts.0)), trial 6 at \(String(describing: starts.1))")
    }

    /// Local workers that exit by themselves (a SIGTERM hands the trial back) are not
    /// started again, and the run says that it waits and how to go on (it waited without a
    /// word, for good); a worker that joins then finishes the study. A run whose workers
    /// leave at its end says nothing of the kind.
    @Test func aRunWhoseLocalWorkersAllExitedSaysItWaitsAndHowToGoOn() throws {
        let h = try SweepHarness("local-exited")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 12, epochs: 2, sleep: 0.2))
        let run = try h.start(["run", file, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        #expect(h.waitFor(timeout: 60) { self.children(of: run.processIdentifier).count == 2 && (try? h.reader().read { q in
            try q.trials(studyID: try q.requireStudy(named: "s").id).count }) ?? 0 >= 2 })
        for pid in children(of: run.processIdentifier) { kill(pid, SIGTERM) }
        #expect(h.waitFor(timeout: 30) { h.logText("run.log").contains("warning: no local worker is left running (they exited); the study waits for workers") },
                "\(h.logText("run.log"))")
        let log = h.logText("run.log")
        let endpoint = try #require(log.firstMatch(of: /sweep worker --connect (ipc:\/\/[^\s`]+)/)?.1, "\(log)")
        #expect(run.isRunning, "it waits")
        // (Through the run's private socket: it listens on no TCP port without --bind.)
        let worker = try h.start(["worker", "--connect", String(endpoint)], log: "w.log")
        defer { if worker.isRunning { worker.terminate() } }
        try #require(h.waitFor(timeout: 120) { !run.isRunning }, "\(h.logText("run.log"))")
        #expect(run.terminationStatus == 0, "\(h.logText("run.log"))")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 12 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
        // An ordinary run: its workers leave as it ends, and that is no warning.
        let plain = try h.sweep(["run", try h.write("p.yaml", syntheticSweep(study: "p", trials: 4, epochs: 1, sleep: 0)), "--db", h.db, "--workers", "2", "--no-progress"])
        #expect(plain.status == 0 && !plain.output.contains("no local worker"), "\(plain.output)")
    }

    /// `sweep worker --workers-per-host` restarts its killed workers too (with all of them
    /// killed it exited: "a worker process failed").
    @Test func workersPerHostRestartsAKilledWorker() throws {
        let h = try SweepHarness("per-host-restart")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 30, epochs: 2, sleep: 0.2))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "c.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let host = try h.start(["worker", "--connect", endpoint, "--workers-per-host", "2"], log: "w.log")
        defer { if host.isRunning { host.terminate() } }
        #expect(h.waitFor(timeout: 60) { self.children(of: host.processIdentifier).count == 2 && (try? h.reader().read { q in
            try q.trials(studyID: try q.requireStudy(named: "s").id).count }) ?? 0 >= 2 })
        for pid in children(of: host.processIdentifier) { kill(pid, SIGKILL) }
        try #require(h.waitFor(timeout: 120) { !coordinator.isRunning && !host.isRunning }, "\(h.logText("w.log"))")
        #expect(host.terminationStatus == 0, "\(h.logText("w.log"))")
        #expect(h.logText("w.log").contains("was killed by signal 9; started"), "\(h.logText("w.log"))")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 30 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
    }
}
