import Foundation
import Store
import Testing
@testable import Cluster

/// A worker on the coordinator's own machine says which process it is (`hello.process`):
/// when that process is gone the coordinator declares it dead at once, and a resumed
/// coordinator re-queues the trials of such workers without waiting for them to come back.
/// Real processes (`sleep`) stand in for the workers, so `/proc` is read as in a real run.
@Suite struct LocalProcessLivenessTests {
    /// A process of this machine that runs until `stop()` (spawned and reaped by hand:
    /// the exit must be complete, reaped, when `stop()` returns).
    final class Sleeper {
        let pid: pid_t
        private var reaped = false
        init() throws {
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("600"), nil]
            defer { argv.forEach { free($0) } }
            let status = posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ)
            guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL) }
            self.pid = pid
        }
        var identity: ProcessIdentity? { ProcessIdentity.of(pid: Int(pid)) }
        func stop() {
            guard !reaped else { return }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            reaped = true
        }
    }

    func hello(_ h: CoreHarness, _ w: String, process: ProcessIdentity?, running: WorkerMessage.Hello.Running? = nil) throws {
        try h.deliver(.hello(.init(worker: w, host: "h", pid: process?.pid ?? 1, version: "t", cores: 2, threads: 1,
                                   capabilities: ["synthetic"], running: running, process: process)), from: w)
    }

    @Test func theWireFormRoundTripsAndNonsenseIsRefused() throws {
        let me = try #require(ProcessIdentity.current, "this test runs on Linux, which has /proc")
        #expect(me.pid == Int(getpid()))
        #expect(me.isLocal && !me.hasExited)
        #expect(ProcessIdentity(token: me.token) == me)
        for bad in ["", "a:b", "m:0:1", "m:-3:1", ":5:1", "m:5:x", "m:5:1:2"] {
            #expect(ProcessIdentity(token: bad) == nil, "\(bad)")
        }
        // Through the codec: sent by a worker, read by the coordinator; a bad token is dropped.
        let codec = WireCodec(maxMessageBytes: 4096)
        let hello = WorkerMessage.hello(.init(worker: "w", host: "h", pid: me.pid, version: "t", cores: 1, threads: 1,
                                              capabilities: [], running: nil, process: me))
        #expect(try codec.decodeWorkerMessage(codec.encode(hello)) == hello)
        let forged = Array(#"{"v":1,"type":"hello","worker":"w","host":"h","pid":3,"version":"t","cores":1,"threads":1,"capabilities":[],"running":null,"process":"junk"}"#.utf8)
        guard case .hello(let h) = try codec.decodeWorkerMessage(forged) else { Issue.record("not a hello"); return }
        #expect(h.process == nil)
    }

    @Test func aProcessOfThisMachineIsSeenToExitAndAReusedPidIsNotTakenForIt() throws {
        let s = try Sleeper()
        let identity = try #require(s.identity)
        #expect(!identity.hasExited)
        // Another start time on the same pid is another process.
        #expect(ProcessIdentity(machine: identity.machine, pid: identity.pid, startTicks: identity.startTicks + 1).hasExited)
        // Another machine (or pid namespace) cannot be judged here: never "exited".
        #expect(!ProcessIdentity(machine: "elsewhere/1", pid: 999_999, startTicks: 1).hasExited)
        s.stop()
        #expect(identity.hasExited)
    }

    /// The exit is seen within a second, long before 3 missed heartbeats (3 s), and the
    /// trial goes to another worker; the event says why.
    @Test func aLocalWorkerWhoseProcessExitsIsDeclaredDeadAtOnce() throws {
        let h = try CoreHarness(sweep(trials: 1, epochs: 3))
        let victim = try Sleeper()
        defer { victim.stop() }
        try hello(h, "w1", process: try #require(victim.identity))
        let a = try #require(h.assignment("w1"))
        try hello(h, "w2", process: nil)
        h.now += 0.5
        try h.tick()
        #expect(h.assignment("w2") == nil, "w1 is alive: its trial stays with it")
        victim.stop()
        h.now += 0.3
        try h.tick() // found gone
        #expect(h.assignment("w2") == nil, "what it sent before exiting may still be on its way")
        h.now += 0.6
        try h.tick()
        let b = try #require(h.assignment("w2"), "declared dead 0.9 s after it exited, not after the 3 s liveness timeout")
        #expect(b.trial == a.trial && b.attempt == 2)
        let lost = try h.store.read { q in try q.events(studyID: h.core.study.id, kinds: [.workerLost]) }
        #expect(lost.map(\.worker) == ["w1"])
        #expect(lost.first?.message.contains("exited (its process, pid \(victim.pid) on this machine, is gone)") == true,
                "\(lost.map(\.message))")
    }

    /// Work that appears in the moment between a local worker's exit being seen and its
    /// being declared dead is not leased to it (it was, and counted as the trial's crash).
    @Test func anExitedLocalWorkerGetsNoTrialBeforeItIsDeclaredDead() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 3))
        let victim = try Sleeper()
        defer { victim.stop() }
        try hello(h, "other", process: nil)
        let a = try #require(h.assignment("other"))
        try hello(h, "w1", process: try #require(victim.identity))
        let b = try #require(h.assignment("w1"))
        try h.finish("w1", b, value: 0.5, epochs: 3) // idle now: nothing left to run
        victim.stop()
        h.now += 0.3
        try h.tick() // its exit is seen
        try h.deliver(.bye(.init(reason: "SIGTERM", trial: a.trial, attempt: a.attempt)), from: "other") // trial 0 back in the queue
        #expect(h.assignment("w1") == nil, "w1's process is gone")
        h.now += 0.6
        try h.tick()
        try hello(h, "w2", process: nil)
        let c = try #require(h.assignment("w2"))
        #expect(c.trial == a.trial)
        #expect(try h.attempts(a.trial).map(\.outcome) == [.returned, nil], "no crash counted, and w2 runs it")
    }

    /// A worker whose process is gone but whose last messages arrive before it is declared
    /// dead keeps what it sent: its result counts.
    @Test func aResultSentJustBeforeTheExitIsKept() throws {
        let h = try CoreHarness(sweep(trials: 1))
        let victim = try Sleeper()
        defer { victim.stop() }
        try hello(h, "w1", process: try #require(victim.identity))
        let a = try #require(h.assignment("w1"))
        victim.stop()
        h.now += 0.3
        try h.tick()
        try h.finish("w1", a, value: 0.25)
        h.now += 1
        try h.tick()
        #expect(try h.trials().map(\.state) == [.complete])
        #expect(try h.attempts(0).map(\.outcome) == [.complete])
    }

    /// A worker elsewhere (or one that did not say) is judged by its heartbeats only.
    @Test func aWorkerOfAnotherMachineIsJudgedByHeartbeats() throws {
        let h = try CoreHarness(sweep(trials: 1))
        let elsewhere = ProcessIdentity(machine: "another-machine/4026531836", pid: 999_999, startTicks: 7)
        try hello(h, "w1", process: elsewhere)
        _ = try #require(h.assignment("w1"))
        try hello(h, "w2", process: nil)
        for _ in 0..<5 {
            h.now += 0.5
            try h.deliver(.heartbeat, from: "w1")
            try h.tick()
        }
        #expect(h.assignment("w2") == nil)
        let rows = try h.store.read { try $0.workers(studyID: h.core.study.id) }
        #expect(rows.first { $0.worker == "w1" }?.process == elsewhere.token, "the identity is recorded for a resume")
    }

    /// After a restart, a trial whose worker ran on this machine and is gone is re-queued on
    /// the first tick; one whose worker still runs waits for it (the grace is 10 s here).
    @Test func aResumeRequeuesAtOnceTheTrialsOfLocalWorkersThatAreGone() throws {
        let h = try CoreHarness(sweep(trials: 2, epochs: 3))
        let gone = try Sleeper(), alive = try Sleeper()
        defer { gone.stop(); alive.stop() }
        try hello(h, "gone", process: try #require(gone.identity))
        let g = try #require(h.assignment("gone"))
        try hello(h, "alive", process: try #require(alive.identity))
        let a = try #require(h.assignment("alive"))
        _ = try h.report("gone", g, epoch: 1, value: 0.5)
        try h.restart()
        gone.stop()
        h.now += 0.3
        try h.tick()
        let events = try h.store.read { q in try q.events(studyID: h.core.study.id) }
        #expect(try h.trials()[g.trial].state == .stale)
        #expect(events.contains { $0.trialNumber == g.trial && $0.message.contains("its worker's process (pid \(gone.pid) on this machine) is gone") },
                "\(events.map(\.message))")
        #expect(try h.trials()[a.trial].state == .running, "a live worker gets its grace to come back")
        // The live one comes back and keeps its trial (see below for one that does not).
        try hello(h, "alive", process: alive.identity, running: .init(trial: a.trial, attempt: a.attempt, epoch: 0))
        guard case .welcome(let w)? = h.take("alive").first else { Issue.record("no welcome"); return }
        #expect(w.adopted == TrialRef(trial: a.trial, attempt: a.attempt))
    }

    /// A local worker whose process still runs but never comes back (connected elsewhere,
    /// stopped): its trial is re-queued at the deadline, and the event does not say it is gone.
    @Test func anOrphanOfALiveLocalProcessWaitsForItsDeadline() throws {
        let h = try CoreHarness(sweep(trials: 1, epochs: 3))
        let alive = try Sleeper()
        defer { alive.stop() }
        try hello(h, "alive", process: try #require(alive.identity))
        let a = try #require(h.assignment("alive"))
        try h.restart()
        h.now += 5
        try h.tick()
        #expect(try h.trials()[a.trial].state == .running, "within the grace (10 s here)")
        h.now += 6
        try h.tick()
        #expect(try h.trials()[a.trial].state == .stale)
        let events = try h.store.read { q in try q.events(studyID: h.core.study.id, trialNumber: a.trial) }
        let requeued = try #require(events.first { $0.message.contains("it was running when the coordinator stopped") })
        #expect(requeued.message.hasSuffix("its worker did not come back"), "\(requeued.message)")
    }
}
