import Foundation
import Store
import Testing
import ZeroMQ

/// Hostile peers, links to the database and signals against the real `sweep` binary.
@Suite(.serialized) struct ReliabilityTests {
    /// A peer streaming 4 MiB frames (valid JSON, so each one would be parsed whole) is cut
    /// off; the coordinator's memory stays bounded and an honest worker finishes the sweep.
    @Test func aPeerFloodingBigFramesIsCutOffAndMemoryStaysBounded() throws {
        let h = try SweepHarness("flood-memory")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("fm.yaml", syntheticSweep(study: "fm", trials: 12, epochs: 2, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        try #require(h.waitFor(timeout: 30) { FileManager.default.fileExists(atPath: h.db) }, "no database:\n\(h.logText("coordinator.log"))")
        let pid = coordinator.processIdentifier
        let baseline = try #require(residentBytes(pid))

        let ctx = try Context()
        let flood = try Socket(ctx, .dealer)
        try flood.setSendHighWaterMark(8)
        try flood.setRoutingID("flood")
        try flood.connect(endpoint)
        let frame = Array("{\"v\":1,\"type\":\"heartbeat\",\"pad\":\"".utf8) + [UInt8](repeating: 0x61, count: 4 << 20) + Array("\"}".utf8)
        var offered = 0
        var peak = baseline
        // At least 4 s, and until 400 MiB were offered (a loaded machine offers less per second).
        let start = Date()
        var nextSample = Date()
        while Date() < start.addingTimeInterval(4) || (offered <= 400 << 20 && Date() < start.addingTimeInterval(30)) {
            if try flood.send([frame], dontWait: true) { offered += frame.count } else { usleep(500) }
            if Date() >= nextSample {
                peak = max(peak, residentBytes(pid) ?? 0)
                nextSample = Date().addingTimeInterval(0.02)
            }
        }
        flood.close()
        #expect(offered > 400 << 20, "the flood did not happen: \(offered) bytes offered")
        #expect(coordinator.isRunning, "the coordinator died under the flood:\n\(h.logText("coordinator.log"))")
        // A bound far below what was offered (the unbounded queue held gigabytes).
        print("flood: coordinator RSS \(baseline >> 20) MiB before, peak \(peak >> 20) MiB; \(offered >> 20) MiB offered")
        #expect(peak - baseline < 300 << 20, "RSS grew from \(baseline >> 20) MiB to \(peak >> 20) MiB")

        let worker = try h.start(["worker", "--connect", endpoint, "--id", "honest"], log: "worker.log")
        defer { if worker.isRunning { worker.terminate() } }
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0)
        let log = h.logText("coordinator.log")
        #expect(log.contains("disconnected 127.0.0.1"), "\(log)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "fm").id) }
        #expect(trials.count == 12 && trials.allSatisfy { $0.state == .complete })
    }

    /// A registered worker asking for chunks of the shipped data set and reading none of them
    /// gets a few (``Receipts``: at most 8 unconfirmed), not a queue of hundreds of MiB: the
    /// coordinator's memory stays where it was, and it says what it dropped.
    @Test func aWorkerAskingForChunksWithoutReadingThemIsSentOnlyAFew() throws {
        let h = try SweepHarness("unread-chunks")
        defer { h.cleanUp() }
        let shipping = try ShippingCoordinator(h)
        let (coordinator, endpoint) = (shipping.process, shipping.endpoint)
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let ctx = try Context()
        let greedy = try shipping.hoarder(ctx, id: "greedy")
        defer { greedy.close() }
        let key = try shipping.fingerprint(from: greedy, h)
        let pid = coordinator.processIdentifier
        let baseline = try #require(residentBytes(pid))
        // 600 requests of 1 MiB each: unanswered by receipts, libzmq would queue them all.
        for i in 0..<600 { _ = try greedy.send([ShippingCoordinator.dataRequest(key, chunk: i % 20)]) }
        var peak = baseline
        let until = Date().addingTimeInterval(4)
        while Date() < until {
            peak = max(peak, residentBytes(pid) ?? 0)
            let heartbeat = #"{"v":1,"type":"heartbeat"}"#
            _ = try greedy.send([Array(heartbeat.utf8)], dontWait: true)
            usleep(50_000)
        }
        #expect(coordinator.isRunning, "\(h.logText("coordinator.log"))")
        print("unread chunks: coordinator RSS \(baseline >> 20) MiB before, peak \(peak >> 20) MiB after 600 requests of 1 MiB")
        #expect(peak - baseline < 80 << 20, "RSS grew from \(baseline >> 20) MiB to \(peak >> 20) MiB")
        let log = h.logText("coordinator.log")
        #expect(log.contains("dropped a chunk request of greedy"), "\(log)")

        // A worker that returns no receipts (an older version) is told to update, not sent
        // chunks: refused at hello by this study of data files (its trials failed for good).
        let old = try Socket(ctx, .dealer)
        try old.setReceiveTimeout(milliseconds: 200)
        try old.setRoutingID("old")
        try old.connect(endpoint)
        defer { old.close() }
        let oldHello = #"{"v":1,"type":"hello","worker":"old","host":"h2","pid":2,"version":"8","cores":1,"threads":1,"capabilities":["training","synthetic"],"running":null}"#
        _ = try old.send([Array(oldHello.utf8)])
        let request = #"{"v":1,"type":"data_request","fingerprint":"\#(key)","file":0,"offset":0}"#
        var answer: String?
        let until2 = Date().addingTimeInterval(20)
        var asked = false
        while answer == nil, Date() < until2 {
            if let m = try old.receive(), let text = m.frames.first.flatMap({ String(bytes: $0, encoding: .utf8) }) {
                if text.contains("\"welcome\"") && !asked { _ = try old.send([Array(request.utf8)]); asked = true }
                if text.contains("data_") || text.contains("\"refuse\"") { answer = text }
            }
        }
        #expect(answer?.contains("\"refuse\"") == true && answer?.contains("no `receipts` capability): update Sweep on h2") == true, "\(answer ?? "no answer")")
    }

    /// With a peer flooding small messages all along, a silent worker is still found dead
    /// (and its trial re-queued) while the flood goes on, not only after it stops. (It is
    /// stopped, not killed: a killed process of this machine would be seen to exit without
    /// the heartbeats this is about.)
    @Test func aKilledWorkerIsFoundDeadDuringAFlood() throws {
        let h = try SweepHarness("flood-liveness")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let timing = ["--heartbeat-ms", "200", "--liveness", "4"]
        let file = try h.write("fl.yaml", syntheticSweep(study: "fl", trials: 6, epochs: 4, sleep: 0.3))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        let victim = try h.start(["worker", "--connect", endpoint, "--id", "victim"] + timing, log: "victim.log")
        defer { if coordinator.isRunning { coordinator.terminate() }; if victim.isRunning { kill(victim.processIdentifier, SIGKILL) } }
        try #require(h.waitFor(timeout: 60) { (try? runningTrial(h, study: "fl", worker: "victim")) != nil },
                     "the victim never ran a trial:\n\(h.logText("coordinator.log"))")

        let ctx = try Context()
        let flood = try Socket(ctx, .dealer)
        try flood.setRoutingID("flood")
        try flood.connect(endpoint)
        let junk = Array("{\"v\":1,\"type\":\"no_such_type\"}".utf8)
        for _ in 0..<20_000 { _ = try flood.send([junk], dontWait: true) }
        kill(victim.processIdentifier, SIGSTOP)
        // The liveness timeout is 0.8 s; the flood lasts up to 12 s and must not hide the death.
        var lost = false
        let end = Date().addingTimeInterval(12)
        var nextCheck = Date()
        while Date() < end && !lost {
            if !(try flood.send([junk], dontWait: true)) { usleep(100) }
            if Date() >= nextCheck {
                lost = (try? lostEvents(h, study: "fl"))?.contains { $0.worker == "victim" } ?? false
                nextCheck = Date().addingTimeInterval(0.1)
            }
        }
        let dropped = h.logText("coordinator.log")
        flood.close()
        #expect(lost, "the silent worker was not found dead while the flood went on:\n\(dropped)")
        #expect((try? lostEvents(h, study: "fl"))?.first?.message.contains("sent nothing for") == true, "found dead by its heartbeats")

        let other = try h.start(["worker", "--connect", endpoint, "--id", "other"] + timing, log: "other.log")
        defer { if other.isRunning { other.terminate() } }
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "fl").id) }
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete })
        // The coordinator's own log says it too (it said only its start and its end).
        let log = h.logText("coordinator.log")
        #expect(log.contains("warning: worker victim on ") && log.contains("sent nothing for") && log.contains("is stale: worker victim"), "\(log)")
        // Listening on TCP without keys is said (any user of the host can take its trials).
        #expect(log.contains("note: without --keys, any worker that reaches \(endpoint) takes trials"), "\(log)")
    }

    /// A symlink to the database is the same study: a second coordinator through it is
    /// refused while the first runs. A hard link is refused as a second name of the file.
    @Test func linksToTheDatabaseMeetTheSameStudyLock() throws {
        let h = try SweepHarness("lock-links")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("x.yaml", syntheticSweep(study: "x", trials: 3, epochs: 1, sleep: 0))
        // A finished study (checkpointed into the database file, so a hard link shows it too),
        // then a first coordinator that continues it and waits for workers.
        #expect(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let first = try h.start(["resume", "x", "--db", h.db, "--add-trials", "3", "--workers", "0", "--bind", endpoint, "--no-progress"], log: "first.log")
        defer { if first.isRunning { first.terminate() } }
        try #require(h.waitFor(timeout: 30) { h.logText("first.log").contains("listening on") }, "the first coordinator did not start:\n\(h.logText("first.log"))")
        let symlink = h.directory.appendingPathComponent("symlink.db").path
        let hardlink = h.directory.appendingPathComponent("other-dir")
        try FileManager.default.createDirectory(at: hardlink, withIntermediateDirectories: true)
        let hard = hardlink.appendingPathComponent("hard.db").path
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: h.db)
        try FileManager.default.linkItem(atPath: h.db, toPath: hard)
        let hardRun = try h.run(["resume", "x", "--db", hard, "--workers", "0", "--no-progress"])
        #expect(hardRun.status == 2 && hardRun.output.contains("has 2 names (hard links)"), "\(hardRun.output)")
        try FileManager.default.removeItem(atPath: hard)
        let second = try h.run(["resume", "x", "--db", symlink, "--workers", "0", "--no-progress"])
        #expect(second.status == 2, "\(second.output)")
        #expect(second.output.contains("already being run by another coordinator"), "\(second.output)")
        // `coordinator FILE` without --resume says so too (it said "pass --resume", which then refused).
        let again = try h.run(["coordinator", file, "--db", h.db, "--no-progress"])
        #expect(again.status == 2 && again.output.contains("is being run by another coordinator"), "\(again.output)")
        #expect(again.output.contains("sweep worker --connect \(endpoint)`"), "\(again.output)")
        #expect(first.isRunning)
        first.terminate()
        first.waitUntilExit()
        // Once the first coordinator is gone, the lock is free again (through a link, too).
        let after = try h.run(["resume", "x", "--db", symlink, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(after.status == 0, "\(after.output)")
    }

    /// Under CURVE, another authorized key claiming a running worker's id is not routed:
    /// it receives nothing meant for the victim, and the victim's trials run undisturbed.
    @Test func anotherKeyClaimingAWorkerIdGetsNothingAndTheVictimRunsOn() throws {
        let h = try SweepHarness("curve-claim")
        defer { h.cleanUp() }
        #expect(try h.run(["keygen", "--out", "keys", "--workers", "2"]).status == 0)
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("c.yaml", syntheticSweep(study: "claim", trials: 6, epochs: 3, sleep: 0.3))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--keys", "keys", "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let victim = try h.start(["worker", "--connect", endpoint, "--keys", "keys", "--key-name", "worker-1", "--id", "victim"], log: "victim.log")
        defer { if victim.isRunning { victim.terminate() } }
        try #require(h.waitFor(timeout: 60) { (try? runningTrial(h, study: "claim", worker: "victim")) != nil },
                     "the victim never ran a trial:\n\(h.logText("coordinator.log"))")

        let keys = h.directory.appendingPathComponent("keys")
        let ctx = try Context()
        var received = 0
        // The intruder reconnects again and again with the victim's id, as a claim would.
        for _ in 0..<6 {
            let intruder = try Socket(ctx, .dealer)
            try intruder.setCurveClient(publicKey: try keyValue(keys.appendingPathComponent("workers/worker-2.key").path, "public"),
                                        secretKey: try keyValue(keys.appendingPathComponent("workers/worker-2.key").path, "secret"),
                                        serverKey: try keyValue(keys.appendingPathComponent("coordinator.pub").path, "public"))
            try intruder.setRoutingID("victim")
            try intruder.connect(endpoint)
            let end = Date().addingTimeInterval(0.5)
            while Date() < end {
                _ = try intruder.send([Array("{\"v\":1,\"type\":\"heartbeat\"}".utf8)], dontWait: true)
                while try intruder.receive(dontWait: true) != nil { received += 1 }
                usleep(20_000)
            }
            intruder.close()
        }
        #expect(received == 0, "the intruder received \(received) message(s) meant for the victim")
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let attempts = try h.reader().read { q in
            try q.trials(studyID: try q.requireStudy(named: "claim").id).flatMap { try q.attempts(trialID: $0.id) }
        }
        #expect(attempts.count == 6, "trials were interrupted: \(attempts.map { ($0.worker, $0.outcome?.rawValue ?? "-") })")
        #expect(attempts.allSatisfy { $0.worker == "victim" && $0.outcome == .complete })
        #expect(!h.logText("coordinator.log").contains("without --keys"), "with keys, no such note")
    }

    /// SIGHUP (an ssh session that dropped) stops `sweep run` like Ctrl-C: trials are
    /// handed back and the command exits 130 (not finished: a script must not go on).
    @Test func hangupStopsARunGracefully() throws {
        let h = try SweepHarness("sighup")
        defer { h.cleanUp() }
        let file = try h.write("hup.yaml", syntheticSweep(study: "hup", trials: 8, epochs: 3, sleep: 0.3))
        let run = try h.start(["run", file, "--workers", "2", "--db", h.db, "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        try #require(h.waitFor(timeout: 60) { ((try? runningCount(h, study: "hup")) ?? 0) >= 1 }, "no trial ran:\n\(h.logText("run.log"))")
        kill(run.processIdentifier, SIGHUP)
        #expect(h.waitFor(timeout: 60) { !run.isRunning }, "sweep run did not stop")
        #expect(run.terminationReason == .exit && run.terminationStatus == 130, "\(h.logText("run.log"))")
        #expect(h.logText("run.log").contains("sweep resume hup"))
        #expect(try runningCount(h, study: "hup") == 0)
    }

    /// A second Ctrl-C while the first waits for trials to finish their epoch: every held
    /// trial is recorded as handed back, the command exits 130, and a resume re-runs those
    /// trials at once (no lease to wait out).
    @Test func aSecondInterruptHandsRunningTrialsBackAndExits() throws {
        let h = try SweepHarness("double-interrupt")
        defer { h.cleanUp() }
        let file = try h.write("di.yaml", syntheticSweep(study: "di", trials: 6, epochs: 3, sleep: 3))
        let run = try h.start(["run", file, "--workers", "2", "--db", h.db, "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        try #require(h.waitFor(timeout: 60) { ((try? runningCount(h, study: "di")) ?? 0) >= 2 }, "two trials never ran:\n\(h.logText("run.log"))")
        kill(run.processIdentifier, SIGINT)
        usleep(300_000)
        kill(run.processIdentifier, SIGINT)
        #expect(h.waitFor(timeout: 30) { !run.isRunning }, "sweep run did not stop")
        #expect(run.terminationStatus == 130, "\(h.logText("run.log"))")
        #expect(try runningCount(h, study: "di") == 0, "trials were left RUNNING:\n\(h.logText("run.log"))")
        let returned = try h.reader().read { q in
            try q.trials(studyID: try q.requireStudy(named: "di").id).flatMap { try q.attempts(trialID: $0.id) }
                .filter { $0.outcome == .returned }
        }
        // Both handed back; by the second interrupt, unless one ended its epoch (3 s) in the
        // 0.3 s between the two and was handed back by the first.
        #expect(returned.count == 2 && returned.contains { ($0.error ?? "").contains("interrupted twice") }, "\(returned)")

        let resumed = try h.run(["resume", "di", "--db", h.db, "--workers", "2", "--no-progress"], timeout: 180)
        #expect(resumed.status == 0, "\(resumed.output)")
        let (trials, orphaned) = try h.reader().read { q in
            let s = try q.requireStudy(named: "di")
            return (try q.trials(studyID: s.id), try q.events(studyID: s.id, kinds: [.stale]))
        }
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete })
        // Nothing waited for a lease: no trial was found stale after the restart.
        #expect(orphaned.isEmpty, "\(orphaned.map(\.message))")
    }

    /// A coordinator that was not running for several liveness timeouts (SIGSTOP here; a
    /// suspended VM or a machine starved of CPU alike) does not take its silence for its
    /// worker's: it keeps its trial, which completes in its first attempt.
    @Test func aCoordinatorStoppedForAWhileKeepsItsWorkerAndItsTrial() throws {
        let h = try SweepHarness("stopped-coordinator")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let timing = ["--heartbeat-ms", "200", "--liveness", "3"]
        let file = try h.write("p.yaml", syntheticSweep(study: "p", trials: 1, epochs: 12, sleep: 0.5)
            .replacingOccurrences(of: "max_attempts: 3", with: "max_attempts: 1"))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGCONT); coordinator.terminate() } }
        let worker = try h.start(["worker", "--connect", endpoint, "--id", "w1"], log: "w1.log")
        defer { if worker.isRunning { worker.terminate() } }
        try #require(h.waitFor(timeout: 60) { (try? runningTrial(h, study: "p", worker: "w1")) != nil },
                     "the worker never ran its trial:\n\(h.logText("coordinator.log"))")
        // 3 s is five times the 0.6 s liveness timeout: the worker gives up on it meanwhile.
        usleep(UInt32.random(in: 0..<600_000)) // anywhere in its loop
        kill(coordinator.processIdentifier, SIGSTOP)
        usleep(3_000_000)
        kill(coordinator.processIdentifier, SIGCONT)
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        #expect(h.logText("w1.log").contains("the coordinator went silent"), "\(h.logText("w1.log"))")
        let lost = try lostEvents(h, study: "p")
        #expect(lost.isEmpty, "\(lost.map(\.message))")
        let (trials, attempts) = try h.reader().read { q in
            let study = try q.requireStudy(named: "p")
            let trials = try q.trials(studyID: study.id)
            return (trials, try trials.flatMap { try q.attempts(trialID: $0.id) })
        }
        #expect(trials.count == 1 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
        #expect(attempts.count == 1 && attempts.allSatisfy { $0.outcome == .complete }, "\(attempts.map { ($0.outcome, $0.error) })")
    }

    /// A program writing its reports faster than the coordinator takes them (50,000 epochs
    /// in 4 s), the coordinator stalled meanwhile: its reports wait in their pipe instead of
    /// overflowing the queues to the coordinator. The overflow was dropped, the last reports
    /// and the result with it, and the trial stayed RUNNING for good (3 runs in 3).
    @Test func aProgramFloodingReportsWhileTheCoordinatorStallsLosesNone() throws {
        let h = try SweepHarness("flood-stall")
        defer { h.cleanUp() }
        _ = try h.write("p.py", """
            import os, time
            time.sleep(1)
            w = os.fdopen(3, "w", buffering=1 << 16)
            for e in range(1, 30001):
                w.write('{"epoch":%d,"loss":%f}\\n' % (e, 1.0 / e))
            w.flush()
            """)
        // Its first epochs recorded: the flood is under way.
        let run = try runStalled(h, seconds: 3)
        defer { if run.isRunning { kill(run.processIdentifier, SIGCONT); run.terminate() } }
        #expect(h.waitFor(timeout: 120) { !run.isRunning }, "the sweep never ended:\n\(h.logText("run.log"))")
        #expect(run.terminationStatus == 0 && !h.logText("run.log").contains("is full"), "\(h.logText("run.log"))")
        let trials = try h.trials(of: "f")
        #expect(trials.map(\.state) == [.complete] && trials.first?.epochs == 30000, "\(trials.map { ($0.state, $0.epochs) })")
    }

    /// A program that wrote its last reports and exited while they waited in the pipe for
    /// decisions (the coordinator stalled): they are all read once decisions come. They were
    /// dropped 1 s after the exit, and the trial COMPLETEd with fewer epochs and another value.
    @Test func reportsLeftInThePipeByAProgramThatExitedAreAllRead() throws {
        let h = try SweepHarness("exit-unread")
        defer { h.cleanUp() }
        _ = try h.write("p.py", """
            import os, time
            os.write(3, b'{"epoch": 1, "loss": 1.0}\\n')
            time.sleep(1.5)
            for part in (range(2, 1002), range(1002, 2002)):
                os.write(3, "".join('{"epoch":%d,"loss":%f}\\n' % (e, 1.0 / e) for e in part).encode())
                time.sleep(0.3)
            """)
        // Its first epoch recorded; stalled before the rest come, until the program has exited.
        let run = try runStalled(h, seconds: 4)
        defer { if run.isRunning { kill(run.processIdentifier, SIGCONT); run.terminate() } }
        #expect(h.waitFor(timeout: 120) { !run.isRunning }, "the sweep never ended:\n\(h.logText("run.log"))")
        let trials = try h.trials(of: "f")
        #expect(trials.map(\.state) == [.complete] && trials.first?.epochs == 2001, "\(trials.map { ($0.state, $0.epochs) })\n\(h.logText("run.log"))")
        #expect(!h.logText("run.log").contains("ignored"), "\(h.logText("run.log"))")
    }

    /// Two processes with one `--id` (cloned machines), the first paused meanwhile: each
    /// time one took the id, the other's connection was closed, and its socket reconnected
    /// by itself with what it had sent lost, its result among them. Its trial stayed RUNNING
    /// for good, the worker asking for work (4 runs in 5). A worker speaking on a new
    /// connection without a hello is asked who it is, and sends again what is unanswered.
    @Test func aWorkerWhoseConnectionAnotherProcessWithItsIdClosedLosesNothing() throws {
        let h = try SweepHarness("id-clash")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("d.yaml", syntheticSweep(study: "d", trials: 6, epochs: 4, sleep: 1))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let a = try h.start(["worker", "--connect", endpoint, "--id", "X", "--host", "hostA"], log: "a.log")
        defer { if a.isRunning { kill(a.processIdentifier, SIGCONT); a.terminate() } }
        usleep(2_500_000)
        let refused = try h.run(["worker", "--connect", endpoint, "--id", "X", "--host", "hostB"], timeout: 60)
        #expect(refused.status == 1 && refused.output.contains("in use by another worker"), "\(refused.output)")
        kill(a.processIdentifier, SIGSTOP)
        usleep(3_000_000)
        let b = try h.start(["worker", "--connect", endpoint, "--id", "X", "--host", "hostB"], log: "b.log")
        defer { if b.isRunning { b.terminate() } }
        usleep(3_000_000)
        kill(a.processIdentifier, SIGCONT)
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "the study never ended:\n\(h.logText("coordinator.log"))\n\(h.logText("b.log"))")
        let trials = try h.trials(of: "d")
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
    }

    /// Workers on `ipc://` that all reconnect while their coordinator is stopped, their new
    /// connections given the numbers of each other's old ones: each is welcomed at once and
    /// the study ends. The coordinator took a message still queued from a closed connection
    /// for one of the new connection that had its number, and cut that connection as its
    /// worker moved on: the worker whose hello it was never heard back, holding its trial,
    /// and the sweep never ended (about one stall in three).
    @Test func ipcWorkersAllReconnectingAfterACoordinatorStallAreEachWelcomed() throws {
        let h = try SweepHarness("stall-ipc")
        defer { h.cleanUp() }
        let endpoint = "ipc://\(h.path("c.sock"))"
        let timing = ["--heartbeat-ms", "200", "--liveness", "3"]
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 200, epochs: 4, sleep: 0.02))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGCONT); coordinator.terminate() } }
        let ids = ["w1", "w2", "w3"]
        let workers = try ids.map { try h.start(["worker", "--connect", endpoint, "--id", $0], log: "\($0).log") }
        defer { for w in workers where w.isRunning { w.terminate() } }
        for round in 1...4 {
            try #require(h.waitFor(timeout: 60) { ids.allSatisfy { (try? runningTrial(h, study: "s", worker: $0)) != nil } || !coordinator.isRunning },
                         "round \(round):\n\(h.logText("coordinator.log"))")
            guard coordinator.isRunning else { break }
            kill(coordinator.processIdentifier, SIGSTOP)
            usleep(1_500_000) // more than the 0.6 s liveness timeout: every worker reconnects
            kill(coordinator.processIdentifier, SIGCONT)
            usleep(1_000_000)
        }
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "the sweep did not end:\n\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0)
        for id in ids {
            // Each reconnected and was welcomed at once (not after saying hello again).
            let log = h.logText("\(id).log")
            #expect(log.contains("the coordinator went silent") && !log.contains("saying hello again"), "\(id): \(log)")
        }
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 200 && trials.allSatisfy { $0.state.isFinished }, "\(trials.filter { !$0.state.isFinished }.map(\.number))")
    }

    /// When the study ends, every worker hears `stop` and exits 0, although the coordinator
    /// no longer waits a fixed second before it leaves.
    @Test func workersHearStopAndExitCleanlyWhenTheStudyEnds() throws {
        let h = try SweepHarness("stop-workers")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 12, epochs: 1, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let ids = ["s1", "s2", "s3"]
        let workers = try ids.map { try h.start(["worker", "--connect", endpoint, "--id", $0], log: "\($0).log") }
        defer { for w in workers where w.isRunning { w.terminate() } }
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0)
        for (id, w) in zip(ids, workers) {
            #expect(h.waitFor(timeout: 10) { !w.isRunning }, "worker \(id) did not leave")
            #expect(w.terminationStatus == 0, "\(id): \(h.logText("\(id).log"))")
            #expect(h.logText("\(id).log").contains("study over"), "\(id): \(h.logText("\(id).log"))")
        }
    }
}

/// The resident set size of a process (VmRSS in /proc/PID/status), in bytes.
func residentBytes(_ pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
    return kb * 1024
}

/// The number of a trial `worker` is running with at least one epoch done, if any.
/// Runs study `f` of one trial of `p.py` (in `h`'s directory) with one local worker, and
/// stops the `sweep run` process (its coordinator) for `seconds` once the trial's first epoch
/// is recorded; returns the run, still going.
func runStalled(_ h: SweepHarness, seconds: Double) throws -> Process {
    let file = try h.write("f.yaml", """
        study: f
        objective: {metric: loss, direction: minimize}
        program: p.py
        command: [python3, "${program}"]
        parameters: {a: {uniform: [0, 1]}}
        pruner: {name: none}
        budget: {trials: 1, max_epochs: 1000000}
        """)
    let run = try h.start(["run", file, "--workers", "1", "--db", h.db, "--no-progress"], log: "run.log")
    do {
        try #require(h.runningTrial(study: "f", timeout: 60) != nil, "\(h.logText("run.log"))")
    } catch {
        run.terminate()
        throw error
    }
    kill(run.processIdentifier, SIGSTOP)
    usleep(UInt32(seconds * 1_000_000))
    kill(run.processIdentifier, SIGCONT)
    return run
}

func runningTrial(_ h: SweepHarness, study: String, worker: String) throws -> Int? {
    guard FileManager.default.fileExists(atPath: h.db) else { return nil }
    return try h.reader().read { q -> Int? in
        guard let s = try q.study(named: study) else { return nil }
        return try q.trials(studyID: s.id, states: [.running]).first { $0.worker == worker && $0.epochs >= 1 }?.number
    }
}

/// How many trials are RUNNING in the database.
func runningCount(_ h: SweepHarness, study: String) throws -> Int {
    guard FileManager.default.fileExists(atPath: h.db) else { return 0 }
    return try h.reader().read { q -> Int in
        guard let s = try q.study(named: study) else { return 0 }
        return try q.trials(studyID: s.id, states: [.running]).count
    }
}

/// The `worker_lost` events of a study.
func lostEvents(_ h: SweepHarness, study: String) throws -> [EventRecord] {
    try h.reader().read { q in try q.events(studyID: try q.requireStudy(named: study).id, kinds: [.workerLost]) }
}

/// A `name = value` line of a key file made by `sweep keygen`.
func keyValue(_ path: String, _ name: String) throws -> String {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count == 2 && parts[0] == name { return parts[1] }
    }
    throw KeyFileError(path: path, name: name)
}

struct KeyFileError: Error, CustomStringConvertible {
    var path: String
    var name: String
    var description: String { "no '\(name) =' line in \(path)" }
}
