import Foundation
import SweepFile
import Training
import Search
import Store
import Testing
import ZeroMQ

/// Real multi-process sweeps: the `sweep` binary as users run it.
/// Serialized: these tests start processes and time heartbeats.
@Suite(.serialized) struct EndToEndTests {
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"

    @Test func trainingSweepOnFashionMNISTFinishesWithAQueryableBest() throws {
        try #require(FileManager.default.fileExists(atPath: Self.fashionMNIST), "Fashion-MNIST is missing: apt install dataset-fashion-mnist (make test does)")
        let h = try SweepHarness("training")
        defer { h.cleanUp() }
        let file = try h.write("small.yaml", """
            study: e2e-small
            objective: {metric: val_accuracy, direction: maximize}
            seed: 11
            data: {dataset: fashion_mnist, validation: 5000, train_limit: 1500, validation_limit: 500, test_limit: 200}
            model:
              hidden: [{int: [16, 48]}]
              activation: {choice: [relu, elu]}
            training:
              epochs: 3
              batch_size: 64
              optimizer: {name: adam, learning_rate: {loguniform: [1.0e-4, 3.0e-2]}}
            sampler: {name: tpe, n_startup_trials: 3}
            pruner: {name: median, n_startup_trials: 2}
            budget: {trials: 8}
            """)
        let (status, output) = try h.run(["run", file, "--workers", "2", "--db", h.db, "--no-progress"], timeout: 600)
        #expect(status == 0, "sweep run failed:\n\(output)")
        #expect(output.contains("best trials:"), "\(output)")

        let reader = try h.reader()
        let (study, trials, workers, curves) = try reader.read { q in
            let s = try q.requireStudy(named: "e2e-small")
            return (s, try q.trials(studyID: s.id), try q.workers(studyID: s.id), try q.allIntermediates(studyID: s.id))
        }
        #expect(study.state == .finished)
        #expect(trials.count == 8)
        #expect(trials.allSatisfy { $0.state == .complete || $0.state == .pruned })
        #expect(trials.contains { $0.state == .complete })
        for t in trials {
            let steps = (curves[t.number] ?? []).map(\.step)
            #expect(steps == Array(1...max(1, t.epochs)), "trial \(t.number) curve \(steps)")
            if t.state == .complete { #expect(t.epochs == 3) }
            if t.state == .pruned { #expect(t.pruneReason?.isEmpty == false) }
        }
        #expect(workers.count == 2)
        #expect(workers.reduce(0) { $0 + $1.trialsDone } == 8)

        // The best trial is queryable from another process, as JSON.
        let (bestStatus, bestOutput) = try h.run(["best", "e2e-small", "--db", h.db, "--format", "json"])
        #expect(bestStatus == 0)
        let json = try JSONSerialization.jsonObject(with: Data(bestOutput.utf8)) as? [[String: Any]]
        let bestValue = json?.first?["value"] as? Double
        let expected = trials.filter { $0.state == .complete }.compactMap(\.value).max()
        #expect(bestValue != nil && bestValue == expected)
        #expect(try reader.integrityCheck() == "ok")
    }

    @Test func medianPrunerStopsHopelessTrialsWithReasons() throws {
        let h = try SweepHarness("prune")
        defer { h.cleanUp() }
        let file = try h.write("prune.yaml", syntheticSweep(study: "prune", trials: 24, epochs: 4, sleep: 0.01,
                                                             pruner: "{name: median, n_startup_trials: 4}"))
        let (status, output) = try h.run(["run", file, "--workers", "2", "--db", h.db, "--no-progress"])
        #expect(status == 0, "\(output)")
        let (trials, events) = try h.reader().read { q in
            let s = try q.requireStudy(named: "prune")
            return (try q.trials(studyID: s.id), try q.events(studyID: s.id, kinds: [.pruned]))
        }
        #expect(trials.count == 24)
        let pruned = trials.filter { $0.state == .pruned }
        #expect(!pruned.isEmpty, "nothing was pruned")
        // The median rule may also prune at the last epoch (a trial above the median until
        // then), as Optuna's does; hopeless trials stop before it.
        #expect(pruned.allSatisfy { $0.epochs <= 4 && $0.pruneReason != nil })
        #expect(pruned.contains { $0.epochs < 4 }, "no trial was stopped before its last epoch")
        #expect(events.count == pruned.count)
    }

    @Test func killedWorkersTrialIsRequeuedAndFinishedByAnother() throws {
        let h = try SweepHarness("kill-worker")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let file = try h.write("kw.yaml", syntheticSweep(study: "kw", trials: 6, epochs: 4, sleep: 0.25))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--heartbeat-ms", "200", "--liveness", "4", "--no-progress"], log: "coordinator.log")
        var workers = [String: Process]()
        for id in ["wa", "wb"] {
            workers[id] = try h.start(["worker", "--connect", endpoint, "--id", id, "--heartbeat-ms", "200", "--liveness", "4"], log: "\(id).log")
        }
        defer { for p in workers.values where p.isRunning { p.terminate() }; if coordinator.isRunning { coordinator.terminate() } }

        // Wait for a trial in its second epoch, then kill its worker without warning.
        var victim: (trial: Int, worker: String)?
        h.waitFor(timeout: 60) {
            guard FileManager.default.fileExists(atPath: h.db), let r = try? h.reader(),
                  let t = try? r.read({ q -> TrialRecord? in
                      guard let s = try q.study(named: "kw") else { return nil }
                      return try q.trials(studyID: s.id, states: [.running]).first { $0.epochs >= 1 }
                  }), let w = t.worker else { return false }
            victim = (t.number, w)
            return true
        }
        let v = try #require(victim, "no trial reached its first epoch:\n\(h.logText("coordinator.log"))")
        kill(workers[v.worker]!.processIdentifier, SIGKILL)

        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "the coordinator did not finish:\n\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0)
        let (trials, attempts) = try h.reader().read { q in
            let s = try q.requireStudy(named: "kw")
            let ts = try q.trials(studyID: s.id)
            return (ts, try Dictionary(uniqueKeysWithValues: ts.map { ($0.number, try q.attempts(trialID: $0.id)) }))
        }
        #expect(trials.count == 6, "budget not respected")
        #expect(trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        let lost = attempts[v.trial] ?? []
        #expect(lost.first?.outcome == .stale && lost.first?.worker == v.worker)
        #expect(lost.last?.outcome == .complete && lost.last?.worker != v.worker)
        // No trial was completed twice.
        #expect(attempts.values.allSatisfy { $0.filter { $0.outcome == .complete }.count == 1 })
        #expect(try h.reader().integrityCheck() == "ok")
    }

    @Test func killedCoordinatorResumesKeepingFinishedAndAdoptingRunningTrials() throws {
        let h = try SweepHarness("kill-coordinator")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let file = try h.write("kc.yaml", syntheticSweep(study: "kc", trials: 10, epochs: 3, sleep: 0.3, sampler: "{name: tpe, n_startup_trials: 4}"))
        let timing = ["--heartbeat-ms", "200", "--liveness", "5"]
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        let workers = try ["w1", "w2"].map { try h.start(["worker", "--connect", endpoint, "--id", $0, "--give-up-after", "120"] + timing, log: "\($0).log") }
        defer { for p in workers where p.isRunning { p.terminate() }; if coordinator.isRunning { coordinator.terminate() } }

        var before: [Int: Double] = [:]
        h.waitFor(timeout: 90) {
            guard FileManager.default.fileExists(atPath: h.db), let r = try? h.reader(),
                  let ts = try? r.read({ q -> [TrialRecord] in
                      guard let s = try q.study(named: "kc") else { return [] }
                      return try q.trials(studyID: s.id)
                  }) else { return false }
            let done = ts.filter { $0.state == .complete }
            guard done.count >= 3, ts.contains(where: { $0.state == .running && $0.epochs >= 1 }) else { return false }
            before = Dictionary(uniqueKeysWithValues: done.map { ($0.number, $0.value!) })
            return true
        }
        #expect(before.count >= 3, "the sweep did not progress:\n\(h.logText("coordinator.log"))")
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()

        let (status, output) = try h.run(["resume", "kc", "--db", h.db, "--workers", "0", "--bind", endpoint, "--no-progress"] + timing, timeout: 180)
        #expect(status == 0, "resume failed:\n\(output)")
        let (trials, adopted, attempts) = try h.reader().read { q in
            let s = try q.requireStudy(named: "kc")
            let ts = try q.trials(studyID: s.id)
            return (ts, try q.events(studyID: s.id, kinds: [.adopted]), try ts.map { try q.attempts(trialID: $0.id) })
        }
        #expect(trials.count == 10, "the budget must hold exactly")
        #expect(trials.allSatisfy { $0.state == .complete })
        for (n, v) in before { #expect(trials[n].value == v, "trial \(n) changed after resume") }
        #expect(!adopted.isEmpty, "no running trial was re-adopted:\n\(output)")
        #expect(attempts.allSatisfy { $0.filter { $0.outcome == .complete }.count == 1 })
        #expect(try h.reader().integrityCheck() == "ok")
        for p in workers { #expect(h.waitFor(timeout: 30) { !p.isRunning }, "a worker did not leave after the study ended") }
    }

    @Test func stoppedWorkerHandsItsTrialBackAndANewWorkerJoins() throws {
        let h = try SweepHarness("restart-worker")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let file = try h.write("rw.yaml", syntheticSweep(study: "rw", trials: 5, epochs: 4, sleep: 0.2))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        let first = try h.start(["worker", "--connect", endpoint, "--id", "first"], log: "first.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }

        try #require(h.waitFor(timeout: 60) {
            guard FileManager.default.fileExists(atPath: h.db), let r = try? h.reader() else { return false }
            let running = try? r.read { q -> Int? in
                guard let s = try q.study(named: "rw") else { return nil }
                return try q.trials(studyID: s.id, states: [.running]).first { $0.epochs >= 1 }?.number
            }
            return running != nil
        }, "no trial reached its first epoch:\n\(h.logText("coordinator.log"))")
        kill(first.processIdentifier, SIGTERM)
        #expect(h.waitFor(timeout: 30) { !first.isRunning })
        #expect(first.terminationStatus == 0, "\(h.logText("first.log"))")
        #expect(h.logText("first.log").contains("trial handed back"), "\(h.logText("first.log"))")

        let second = try h.start(["worker", "--connect", endpoint, "--id", "second"], log: "second.log")
        defer { if second.isRunning { second.terminate() } }
        #expect(h.waitFor(timeout: 90) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let (trials, attempts) = try h.reader().read { q in
            let s = try q.requireStudy(named: "rw")
            let ts = try q.trials(studyID: s.id)
            return (ts, try ts.map { try q.attempts(trialID: $0.id) })
        }
        #expect(trials.count == 5 && trials.allSatisfy { $0.state == .complete })
        // Exactly one trial was handed back mid-run, and the new worker finished it.
        let handedBack = attempts.filter { $0.contains { $0.outcome == .returned } }
        #expect(handedBack.count == 1)
        #expect(handedBack.first?.map(\.outcome) == [.returned, .complete])
        #expect(handedBack.first?.map(\.worker) == ["first", "second"])
    }

    @Test func garbageOnTheCoordinatorPortIsDroppedAndTheSweepGoesOn() throws {
        let h = try SweepHarness("garbage")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let file = try h.write("g.yaml", syntheticSweep(study: "g", trials: 20, epochs: 2, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        try #require(h.waitFor(timeout: 30) { FileManager.default.fileExists(atPath: h.db) }, "the coordinator created no database")

        // Raw bytes on a plain TCP connection (not even ZMTP), once the port listens.
        var fd: Int32 = -1
        h.waitFor(timeout: 30) {
            fd = SweepHarness.connectTCP(port: port)
            return fd >= 0
        }
        try #require(fd >= 0, "the coordinator never listened:\n\(h.logText("coordinator.log"))")
        var junk = [UInt8](repeating: 0, count: 4096)
        for i in junk.indices { junk[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        _ = junk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)

        // Well-framed ZeroMQ messages with bad contents.
        let ctx = try Context()
        let evil = try Socket(ctx, .dealer)
        try evil.setRoutingID("evil")
        try evil.connect(endpoint)
        let bad: [[UInt8]] = [
            Array("not json at all".utf8),
            Array("{\"v\":1}".utf8),
            Array("{\"v\":1,\"type\":\"launch_missiles\"}".utf8),
            Array("{\"v\":99,\"type\":\"hello\"}".utf8),
            Array("{\"v\":1,\"type\":\"report\",\"trial\":-5,\"attempt\":0,\"epoch\":0,\"metrics\":{}}".utf8),
            Array("{\"v\":1,\"type\":\"hello\",\"worker\":\"\",\"host\":\"x\"}".utf8),
            [0xFF, 0xFE, 0x00, 0x7B],
            [],
        ]
        for m in bad { try evil.send([m]) }
        try evil.send([Array("part one".utf8), Array("part two".utf8), Array("part three".utf8)])

        // A real worker still gets all the work done.
        let worker = try h.start(["worker", "--connect", endpoint, "--id", "honest"], log: "worker.log")
        defer { if worker.isRunning { worker.terminate() } }
        for m in bad { try evil.send([m]) }
        #expect(h.waitFor(timeout: 120) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        #expect(coordinator.terminationStatus == 0)
        let log = h.logText("coordinator.log")
        #expect(log.contains("dropped messages:"), "\(log)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "g").id) }
        #expect(trials.count == 20 && trials.allSatisfy { $0.state == .complete })
        evil.close()
    }

    @Test func badInputExitsWithCodeTwoAndALocatedMessage() throws {
        let h = try SweepHarness("bad-input")
        defer { h.cleanUp() }
        let bad = try h.write("bad.yaml", "study: x\nsynthetic:\n  function: sphere\n  inputs: {x: {uniform: [1, 0]}}\nbudget: {trials: 3}\n")
        let (status, output) = try h.run(["run", bad, "--db", h.db, "--workers", "0", "--no-progress"])
        #expect(status == 2)
        #expect(output.contains("bad.yaml:4:"), "\(output)")
        #expect(output.contains("empty range"), "\(output)")
        let created = FileManager.default.fileExists(atPath: h.db) ? try h.reader().read { try $0.studies() }.count : 0
        #expect(created == 0, "a rejected file must not create a study")

        let good = try h.write("good.yaml", syntheticSweep(study: "ok", trials: 2, epochs: 1, sleep: 0))
        #expect(try h.run(["run", good, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let missingStudy = try h.run(["trials", "nope", "--db", h.db])
        #expect(missingStudy.status == 2 && missingStudy.output.contains("no study named 'nope'"))
        let missingTrial = try h.run(["show", "ok", "7", "--db", h.db])
        #expect(missingTrial.status == 2 && missingTrial.output.contains("no trial 7"))
        let again = try h.run(["run", good, "--db", h.db, "--workers", "1", "--no-progress"])
        #expect(again.status == 2 && again.output.contains("sweep resume ok"))
        let badOption = try h.run(["trials", "ok", "--db", h.db, "--limit", "0"])
        #expect(badOption.status == 2)
        let unknownFlag = try h.run(["trials", "ok", "--bogus"])
        #expect(unknownFlag.status == 2)
        // A format a command does not print is refused, not silently replaced by a table.
        for args in [["show", "ok", "0"], ["status", "ok"], ["export", "ok"]] {
            let format = args[0] == "export" ? "table" : "csv"
            let refused = try h.run(args + ["--db", h.db, "--format", format])
            // (Each command's own choices: ArgumentParser lists them, and so does its help.)
            let expected = args[0] == "export" ? "The value 'table' is invalid for '--format <format>'. Please provide one of 'csv' and 'json'."
                : "The value 'csv' is invalid for '--format <format>'. Please provide one of 'table' and 'json'."
            #expect(refused.status == 2 && refused.output.contains(expected), "\(args): \(refused.output)")
        }
    }
}

/// CURVE on loopback: listed workers join, unknown keys and plain clients get nothing.
@Suite(.serialized) struct CurveEndToEndTests {
    @Test func onlyListedWorkerKeysJoinAndRejectionsAreLogged() throws {
        let h = try SweepHarness("curve")
        defer { h.cleanUp() }
        #expect(try h.run(["keygen", "--out", "keys", "--workers", "2"]).status == 0)
        #expect(try h.run(["keygen", "--out", "other", "--workers", "1"]).status == 0)
        // The stranger knows the coordinator's public key but its own key is not listed.
        try FileManager.default.removeItem(atPath: h.directory.appendingPathComponent("other/coordinator.pub").path)
        try FileManager.default.copyItem(atPath: h.directory.appendingPathComponent("keys/coordinator.pub").path,
                                        toPath: h.directory.appendingPathComponent("other/coordinator.pub").path)
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("c.yaml", syntheticSweep(study: "curve", trials: 6, epochs: 2, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--keys", "keys", "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let plain = try h.run(["worker", "--connect", endpoint, "--id", "plain", "--give-up-after", "2"], timeout: 30)
        let stranger = try h.run(["worker", "--connect", endpoint, "--keys", "other", "--id", "stranger", "--give-up-after", "2"], timeout: 30)
        #expect(plain.status == 1 && plain.output.contains("0 trial(s) done"), "\(plain.output)")
        #expect(stranger.status == 1 && stranger.output.contains("0 trial(s) done"), "\(stranger.output)")
        let good = try h.run(["worker", "--connect", endpoint, "--keys", "keys", "--key-name", "worker-2", "--id", "good"], timeout: 60)
        #expect(good.status == 0, "\(good.output)")
        #expect(h.waitFor(timeout: 30) { !coordinator.isRunning })
        let log = h.logText("coordinator.log")
        #expect(log.contains("rejected a connection from 127.0.0.1"), "\(log)")
        #expect(log.contains("rejected a CURVE connection from 127.0.0.1"), "\(log)")
        let attempts = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "curve").id) }
        #expect(attempts.count == 6 && attempts.allSatisfy { $0.worker == "good" && $0.state == .complete })
    }

    /// A key removed from `authorized_workers` while the coordinator runs is revoked: its
    /// worker's connection is closed and its reconnects refused; a key added there is
    /// accepted, also under the worker id the revoked key used, all without a restart
    /// (revoking a key needed one).
    @Test func authorizedWorkersIsReadAgainWhenItChanges() throws {
        let h = try SweepHarness("curve-reload")
        defer { h.cleanUp() }
        #expect(try h.run(["keygen", "--out", "keys", "--workers", "1"]).status == 0)
        #expect(try h.run(["keygen", "--out", "later", "--workers", "1"]).status == 0)
        try FileManager.default.removeItem(atPath: h.path("later/coordinator.pub"))
        try FileManager.default.copyItem(atPath: h.path("keys/coordinator.pub"), toPath: h.path("later/coordinator.pub"))
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("c.yaml", syntheticSweep(study: "rk", trials: 300, epochs: 1, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--keys", "keys", "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let first = try h.start(["worker", "--connect", endpoint, "--keys", "keys", "--id", "first", "--give-up-after", "4"], log: "first.log")
        defer { if first.isRunning { first.terminate() } }
        let doneBy = { (worker: String) in
            (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "rk").id).filter { $0.state == .complete && $0.worker == worker }.count }) ?? 0
        }
        #expect(h.waitFor(timeout: 60) { doneBy("first") >= 3 }, "\(h.logText("coordinator.log"))")
        // Revoked: the line of `worker` goes, the key of `later` comes (written in place, as an editor may).
        let later = try #require(try String(contentsOfFile: h.path("later/authorized_workers"), encoding: .utf8).split(separator: "\n").last { $0.contains("=") })
        try "# rotated\nnewcomer-1 = \(later.split(separator: "=", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces))\n".write(toFile: h.path("keys/authorized_workers"), atomically: false, encoding: .utf8)
        #expect(h.waitFor(timeout: 30) { !first.isRunning }, "the revoked worker still runs:\n\(h.logText("first.log"))")
        #expect(first.terminationStatus == 1, "\(h.logText("first.log"))")
        let stoppedAt = doneBy("first")
        // The host's new key under the same worker id (a systemd unit's `--id %H-%i`): the
        // id is no longer bound to the revoked key.
        let newcomer = try h.run(["worker", "--connect", endpoint, "--keys", "later", "--id", "first"], timeout: 120)
        #expect(newcomer.status == 0, "\(newcomer.output)")
        #expect(h.waitFor(timeout: 30) { !coordinator.isRunning })
        let log = h.logText("coordinator.log")
        #expect(log.contains("keys/authorized_workers changed: 1 worker key(s) accepted (1 added, 1 revoked"), "\(log)")
        #expect(log.contains("closed the connection of worker first") && log.contains("rejected a CURVE connection from 127.0.0.1"), "\(log)")
        #expect(stoppedAt < 300 && doneBy("first") == 300, "\(stoppedAt) \(doneBy("first"))")
        // It left when its key was revoked, its trial handed back: no attempt counted a crash
        // (it was lost as silent seconds later, using up one of its trial's attempts).
        let (left, outcomes) = try h.reader().read { q in
            let s = try q.requireStudy(named: "rk")
            return (try q.events(studyID: s.id, kinds: [.workerLeft]).map(\.message),
                    try q.trials(studyID: s.id).flatMap { try q.attempts(trialID: $0.id).map(\.outcome) })
        }
        #expect(left.contains { $0.hasPrefix("worker first left: its key ") && $0.hasSuffix(" was revoked") }, "\(left)")
        #expect(!outcomes.contains(.stale), "\(outcomes.filter { $0 != .complete })")
    }

    /// `sweep run --keys` starts its local workers with an authorized worker key of that
    /// directory (they were refused before and no trial ever started); a directory without
    /// one is a usage error before anything is written.
    @Test func runWithKeysGivesItsLocalWorkersAnAuthorizedKey() throws {
        let h = try SweepHarness("curve-run")
        defer { h.cleanUp() }
        #expect(try h.run(["keygen", "--out", "keys", "--workers", "2"]).status == 0)
        let file = try h.write("k.yaml", syntheticSweep(study: "k", trials: 6, epochs: 2, sleep: 0.02))
        let run = try h.run(["run", file, "--db", h.db, "--keys", "keys", "--workers", "2", "--no-progress"], timeout: 120)
        #expect(run.status == 0, "\(run.output)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "k").id) }
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")

        // Only keys handed out to other hosts: refused, naming what is missing; no database.
        for name in ["worker-1", "worker-2"] {
            try FileManager.default.removeItem(atPath: h.path("keys/workers/\(name).key"))
        }
        let db = h.path("other.db")
        let refused = try h.run(["run", file, "--db", db, "--keys", "keys", "--workers", "2", "--no-progress"], timeout: 60)
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.output.contains("the local workers need a worker key in keys/workers/ that keys/authorized_workers lists"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    @Test func listeningBeyondLoopbackNeedsCurveOrInsecure() throws {
        let h = try SweepHarness("insecure")
        defer { h.cleanUp() }
        let file = try h.write("i.yaml", syntheticSweep(study: "i", trials: 1, epochs: 1, sleep: 0))
        let refused = try h.run(["coordinator", file, "--db", h.db, "--bind", "tcp://0.0.0.0:\(SweepHarness.freePort())", "--no-progress"])
        #expect(refused.status == 2)
        #expect(refused.output.contains("refusing to listen on tcp://0.0.0.0"), "\(refused.output)")
        #expect(try h.run(["keygen", "--out", "keys"]).status == 0)
        let again = try h.run(["keygen", "--out", "keys"])
        #expect(again.status == 2 && again.output.contains("exists already"))
    }
}

/// The store survives its writer being killed mid-write.
@Suite(.serialized) struct StoreCrashTests {
    @Test func killedWriterLeavesAnIntactDatabase() throws {
        let h = try SweepHarness("killed-writer")
        defer { h.cleanUp() }
        let bench = SweepHarness.executable.deletingLastPathComponent().appendingPathComponent("sweep-bench")
        try #require(FileManager.default.isExecutableFile(atPath: bench.path), "sweep-bench is not built next to sweep")
        // A writer committing reports as fast as it can, one per transaction.
        let p = Process()
        p.executableURL = bench
        p.arguments = ["store", "--reports", "100000000", "--batches", "1", "--path", h.db]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        // Kill it once it has committed a few thousand reports.
        let committed = h.waitFor(timeout: 60) {
            guard FileManager.default.fileExists(atPath: h.db), let r = try? SweepStore.openReadOnly(path: h.db) else { return false }
            return ((try? r.read { q in try q.allIntermediates(studyID: 1).values.reduce(0) { $0 + $1.count } }) ?? 0) > 3000
        }
        #expect(committed)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // It opens, passes the integrity check, and keeps every committed report.
        let reader = try SweepStore.openReadOnly(path: h.db)
        #expect(try reader.integrityCheck() == "ok")
        let count = try reader.read { q in try q.allIntermediates(studyID: 1).values.reduce(0) { $0 + $1.count } }
        #expect(count > 3000)
        // A writer can open it again and go on.
        let store = try SweepStore.open(path: h.db)
        let study = try #require(try store.read { try $0.study(named: "bench") })
        #expect(study.definition.budgetTrials > 0)
    }
}

/// Ctrl-C on `sweep run`, then `sweep resume`.
@Suite(.serialized) struct InterruptTests {
    @Test func interruptedRunHandsTrialsBackAndResumes() throws {
        let h = try SweepHarness("interrupt")
        defer { h.cleanUp() }
        let file = try h.write("i.yaml", syntheticSweep(study: "irq", trials: 12, epochs: 3, sleep: 0.3))
        let run = try h.start(["run", file, "--workers", "2", "--db", h.db, "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        try #require(h.waitFor(timeout: 60) {
            guard FileManager.default.fileExists(atPath: h.db), let r = try? h.reader() else { return false }
            let n = try? r.read { q -> Int in
                guard let s = try q.study(named: "irq") else { return 0 }
                return try q.trials(studyID: s.id, states: [.running]).filter { $0.epochs >= 1 }.count
            }
            return (n ?? 0) >= 2
        }, "two trials never ran at once:\n\(h.logText("run.log"))")
        kill(run.processIdentifier, SIGINT)
        #expect(h.waitFor(timeout: 60) { !run.isRunning }, "sweep run did not stop")
        #expect(run.terminationStatus == 130, "interrupted, not finished: \(h.logText("run.log"))")
        #expect(h.logText("run.log").contains("sweep resume irq"))
        let (states, returned) = try h.reader().read { q in
            let s = try q.requireStudy(named: "irq")
            let ts = try q.trials(studyID: s.id)
            return (ts.map(\.state), try ts.flatMap { try q.attempts(trialID: $0.id) }.filter { $0.outcome == .returned }.count)
        }
        #expect(!states.contains(.running), "trials were left running: \(states)")
        #expect(returned >= 1)

        let resumed = try h.run(["resume", "irq", "--db", h.db, "--workers", "2", "--no-progress"], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.output)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "irq").id) }
        #expect(trials.count == 12 && trials.allSatisfy { $0.state == .complete })
    }
}

/// `sweep retrain` on a small real training sweep.
@Suite(.serialized) struct RetrainTests {
    @Test func retrainRecordsATestAccuracyOnce() throws {
        let h = try SweepHarness("retrain")
        defer { h.cleanUp() }
        let file = try h.write("moons.yaml", """
            study: moons
            seed: 3
            data: {dataset: moons, samples: 600, validation: 150, noise: 0.2}
            model: {hidden: [{choice: [8, 16]}], activation: tanh}
            training:
              epochs: 8
              batch_size: 32
              optimizer: {name: adam, learning_rate: {loguniform: [3.0e-3, 3.0e-2]}}
              early_stopping: {monitor: val_loss, patience: 3, restore_best: true}
            sampler: {name: random}
            pruner: {name: none}
            budget: {trials: 3}
            """)
        #expect(try h.run(["run", file, "--workers", "2", "--db", h.db, "--no-progress"]).status == 0)
        let best = try #require(try h.reader().read { q in try q.best(study: try q.requireStudy(named: "moons"), top: 1).first })
        let out = try h.run(["retrain", "moons", "--db", h.db])
        #expect(out.status == 0, "\(out.output)")
        #expect(out.output.contains("trial \(best.number)"), "\(out.output)")
        let rows = try h.reader().read { q in try q.retrains(studyID: try q.requireStudy(named: "moons").id) }
        #expect(rows.count == 1)
        let r = try #require(rows.first)
        #expect(r.trialNumber == best.number)
        // Moons with a small net is easy: a working retrain is well above chance.
        #expect((r.testAccuracy ?? 0) > 0.75, "test accuracy \(String(describing: r.testAccuracy))")
        // Train + validation (600 + 150); a synthetic set's test split (as large as its
        // validation) as the trial had it (with validation 0 it was one sample).
        #expect(r.trainSamples == 750 && r.epochs >= 1 && r.epochs <= 8, "\(r.trainSamples)")
        #expect(out.output.contains("(750 training samples"), "\(out.output)")
        // The retrained model is kept and loads.
        let modelPath = try #require(r.modelPath)
        let model = try Model(path: h.db + ".artifacts/" + modelPath)
        #expect(model.classCount == 2)
        let listed = try h.run(["retrain", "moons", "--db", h.db, "--list"])
        #expect(listed.status == 0 && listed.output.contains("test accuracy") && listed.output.contains(modelPath), "\(listed.output)")
        // The model commands find it (they listed the trials' models only), and --out writes a copy.
        let models = try h.run(["model", "list", "moons", "--db", h.db])
        #expect(models.status == 0 && models.output.contains("retrained (sweep retrain):") && models.output.contains(modelPath), "\(models.output)")
        // With its test accuracy, as `retrain --list` shows it (it showed the loss alone).
        let accuracy = try #require(r.testAccuracy)
        #expect(models.output.contains("test accuracy") && models.output.contains(String(format: "%.4g", accuracy)), "\(models.output)")
        let copied = try h.run(["retrain", "moons", "--db", h.db, "--out", h.path("final.swm")])
        let copy = try Model(path: h.path("final.swm"))
        #expect(copied.status == 0 && copy.classCount == 2, "\(copied.output)")
        let overDatabase = try h.run(["retrain", "moons", "--db", h.db, "--out", h.db])
        #expect(overDatabase.status == 2 && overDatabase.output.contains("is an SQLite database") && !overDatabase.output.contains("retraining"), "\(overDatabase.output)")
        let missing = try h.run(["retrain", "moons", "--db", h.db, "--trial", "99"])
        #expect(missing.status == 2 && missing.output.contains("no trial 99"))
    }
}

extension RetrainTests {
    /// The trial's own splits, validation joined to training: with `validation_file` the
    /// retrain failed ("give either a validation size or a validation_file"), and with
    /// `train_limit` it trained on the first rows of the file (other samples than the trial's).
    @Test func retrainTrainsOnTheTrialsOwnTrainingAndValidationSamples() throws {
        let h = try SweepHarness("retrain-splits")
        defer { h.cleanUp() }
        func rows(_ range: Range<Int>) -> String {
            range.map { i in
                let c = i % 3
                return "\(Double(c) + Double((i * 37) % 11) / 20),\(Double(2 - c) + Double((i * 53) % 7) / 15),k\(c)"
            }.joined(separator: "\n")
        }
        let header = "a,b,kind\n"
        _ = try h.write("all.csv", header + rows(0..<300) + "\n")
        _ = try h.write("tr.csv", header + rows(0..<150) + "\n")
        _ = try h.write("va.csv", header + rows(150..<210) + "\n")
        _ = try h.write("te.csv", header + rows(210..<300) + "\n")
        func sweep(_ study: String, _ data: String) -> String {
            """
            study: \(study)
            seed: 1
            data: {dataset: csv, label: kind, scaling: standardize, \(data)}
            model: {hidden: [8]}
            training: {epochs: 3, batch_size: 16, optimizer: {name: adam, learning_rate: {loguniform: [0.003, 0.03]}}}
            sampler: {name: random}
            budget: {trials: 2}
            """
        }
        for (study, data, samples) in [("files", "train_file: tr.csv, validation_file: va.csv, test_file: te.csv", 210),
                                       ("limited", "train_file: all.csv, validation: 0.2, test: 0.3, train_limit: 50", 110)] {
            let file = try h.write("\(study).yaml", sweep(study, data))
            let run = try h.run(["run", file, "--workers", "1", "--db", h.db, "--no-progress"])
            try #require(run.status == 0, "\(run.output)")
            let out = try h.run(["retrain", study, "--db", h.db])
            #expect(out.status == 0 && out.output.contains("(\(samples) training samples"), "\(study): \(out.output)")
            let recorded = try h.reader().read { q in try q.retrains(studyID: try q.requireStudy(named: study).id) }
            #expect(recorded.map(\.trainSamples) == [samples], "\(study)")
        }
    }
}

/// `sweep status` gives no ETA while no worker is connected: nothing runs at that rate.
@Suite struct StatusWithoutWorkersTests {
    @Test func noWorkersMeansNoETA() throws {
        let h = try SweepHarness("status-no-workers")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("s.yaml", syntheticSweep(study: "nw", trials: 10, epochs: 1, sleep: 0.05))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let worker = try h.run(["worker", "--connect", endpoint, "--max-trials", "3"], timeout: 60)
        #expect(worker.status == 0, "\(worker.output)")
        var shown = ""
        #expect(h.waitFor(timeout: 30) {
            shown = (try? h.run(["status", "nw", "--db", h.db]).output) ?? ""
            return shown.contains("no workers connected")
        }, "\(shown)")
        #expect(shown.contains("3/10 trials") && shown.contains("throughput") && !shown.contains("ETA"), "\(shown)")
    }
}

/// `sweep worker --workers-per-host N` starts N worker processes and stops them together.
@Suite(.serialized) struct WorkersPerHostTests {
    @Test func oneCommandStartsSeveralWorkersOnAHost() throws {
        let h = try SweepHarness("per-host")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("p.yaml", syntheticSweep(study: "perhost", trials: 9, epochs: 2, sleep: 0.1))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        #expect(try h.run(["worker", "--connect", endpoint, "--threads", "0"]).status == 2)
        // An id the coordinator would refuse is a usage error at once (one with a line break
        // waited for good; an empty or long one failed in libzmq: "set ROUTING_ID").
        for bad in ["bad\nid", "", String(repeating: "w", count: 300)] {
            let refused = try h.run(["worker", "--connect", endpoint, "--id", bad, "--give-up-after", "3"], timeout: 30)
            #expect(refused.status == 2 && refused.output.contains("worker id must have 1-255 bytes and no control characters"), "\(refused.output)")
        }
        let out = try h.run(["worker", "--connect", endpoint, "--workers-per-host", "3", "--threads", "2", "--id", "node", "--host", "node-a"], timeout: 120)
        #expect(out.status == 0, "\(out.output)")
        #expect(h.waitFor(timeout: 30) { !coordinator.isRunning })
        let (workers, joins) = try h.reader().read { q in
            let id = try q.requireStudy(named: "perhost").id
            return (try q.workers(studyID: id), try q.events(studyID: id, kinds: [.workerJoined]))
        }
        // Each process passes --threads on and announces it.
        #expect(joins.count == 3 && joins.allSatisfy { $0.message.contains("with 2 thread(s)") }, "\(joins.map(\.message))")
        #expect(Set(workers.map(\.worker)) == ["node-1", "node-2", "node-3"])
        #expect(Set(workers.map(\.host)) == ["node-a"])
        #expect(workers.reduce(0) { $0 + $1.trialsDone } == 9)
        #expect(workers.filter { $0.trialsDone > 0 }.count >= 2, "the work was not shared: \(workers.map { ($0.worker, $0.trialsDone) })")
    }
}

@Suite struct LRFindTests {
    @Test func suggestsARateInsideTheRangeAndWritesTheCurve() throws {
        let h = try SweepHarness("lr-find")
        defer { h.cleanUp() }
        let file = try h.write("lr.yaml", "data: {dataset: moons, samples: 640, noise: 0.2}\nmodel: {hidden: [16]}\ntraining: {batch_size: 16, optimizer: {name: sgd, learning_rate: 0.01}}\n")
        let table = try h.run(["lr-find", file])
        #expect(table.status == 0, "\(table.output)")
        let line = try #require(table.output.split(separator: "\n").first { $0.hasPrefix("suggested learning rate:") })
        let suggestion = try #require(Double(line.split(separator: " ").last.map(String.init) ?? ""))
        #expect(suggestion > 1e-5 && suggestion < 10)
        let csv = try h.run(["lr-find", file, "--format", "csv"])
        let rows = csv.output.split(separator: "\n")
        #expect(rows.first == "learning_rate,loss,smoothed_loss")
        // One row per step of one epoch (640 samples less the validation split, batch 16).
        #expect(rows.count > 20)
        let rates = rows.dropFirst().compactMap { Double($0.split(separator: ",")[0]) }
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 < $1 }, "the rate must grow")
        #expect(try h.run(["lr-find", file, "--min", "1", "--max", "0.1"]).status == 2)
        // JSON in snake_case, as every other JSON output.
        let json = try h.run(["lr-find", file, "--format", "json"])
        let stdout = json.output.components(separatedBy: "\nnote: ")[0] // (the output holds stderr's note too)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "\(json.output)")
        #expect(Set(document.keys) == ["learning_rates", "losses", "smoothed_losses", "suggestion"], "\(document.keys)")
        // A loss that never falls gives no suggestion (batch noise suggested a rate below --min).
        let none = try h.run(["lr-find", file, "--min", "100", "--max", "1000"])
        #expect(none.status == 0 && none.output.contains("no suggestion: the smoothed loss was lowest at the first rate counted") && !none.output.contains("suggested learning rate"), "\(none.output)")
        let noneJSON = try h.run(["lr-find", file, "--min", "100", "--max", "1000", "--format", "json"])
        let empty = try #require(try JSONSerialization.jsonObject(with: Data(noneJSON.output.components(separatedBy: "\nnote: ")[0].utf8)) as? [String: Any], "\(noneJSON.output)")
        #expect(empty["suggestion"] is NSNull, "null, not left out: \(empty.keys)")
        // The loss shot up at once: the note says so (it advised a smaller batch_size).
        #expect(none.output.contains("step(s): the loss shot up at rate") && none.output.contains("a lower --max"), "\(none.output)")
    }
}

/// One coordinator per study; a busy port leaves no study behind.
@Suite(.serialized) struct CoordinatorExclusionTests {
    @Test func aSecondCoordinatorForTheSameStudyIsRefused() throws {
        let h = try SweepHarness("exclusive")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("x.yaml", syntheticSweep(study: "x", trials: 3, epochs: 1, sleep: 0))
        let first = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "first.log")
        defer { if first.isRunning { first.terminate() } }
        try #require(h.waitFor(timeout: 30) { (try? h.reader().read { try $0.study(named: "x") }) != nil }, "the study was never created")
        let second = try h.run(["resume", "x", "--db", h.db, "--workers", "0", "--no-progress"])
        #expect(second.status == 2)
        #expect(second.output.contains("already being run by another coordinator"), "\(second.output)")
        // The port is taken: a new study must not be created half-way.
        let busy = try h.write("y.yaml", syntheticSweep(study: "y", trials: 3, epochs: 1, sleep: 0))
        let third = try h.run(["coordinator", busy, "--db", h.db, "--bind", endpoint, "--no-progress"])
        #expect(third.status != 0)
        #expect(try h.reader().read { try $0.study(named: "y") } == nil, "a study was left behind by a coordinator that could not bind")
        // A busy dashboard port is the machine's state too: exit 1 (it was 2, a usage error).
        let (listener, port) = SweepHarness.occupiedPort()
        defer { close(listener) }
        try #require(listener >= 0)
        let dashboard = try h.run(["run", busy, "--db", h.db, "--workers", "0", "--dashboard", "127.0.0.1:\(port)", "--no-progress"])
        #expect(dashboard.status == 1 && dashboard.output.contains("--dashboard: cannot listen on 127.0.0.1:\(port): address already in use"), "\(dashboard.output)")
        #expect(try h.reader().read { try $0.study(named: "y") } == nil)
        first.terminate()
    }
}

/// Trained models: kept beside the database, exported, reused by another study.
@Suite(.serialized) struct ModelArtifactTests {
    static func moons(study: String, hidden: String = "{choice: [8, 16]}", extra: String = "", keep: String = "{keep: 2}") -> String {
        """
        study: \(study)
        seed: 5
        data: {dataset: moons, samples: 400, validation: 100, noise: 0.15}
        model:
          hidden: [\(hidden)]
          activation: tanh
        \(extra)
        training:
          epochs: 4
          batch_size: 32
          optimizer: {name: adam, learning_rate: {loguniform: [3.0e-3, 3.0e-2]}}
        sampler: {name: random}
        pruner: {name: none}
        budget: {trials: 4}
        artifacts: \(keep)
        """
    }

    /// Models (and checkpoints) that cannot be written (`DB.artifacts` a file here; a full
    /// disk alike) are said at the end of the run, with the reason: the run exited 0 and the
    /// reason was only in the events, until `sweep model list` said "kept no models".
    @Test func modelsThatCannotBeWrittenAreSaidAtTheEnd() throws {
        let h = try SweepHarness("artifacts-unwritable")
        defer { h.cleanUp() }
        _ = try h.write("sweep.db.artifacts", "not a directory")
        let a = try h.write("a.yaml", Self.moons(study: "moons-u"))
        let run = try h.run(["run", a, "--workers", "2", "--db", h.db, "--no-progress"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("trained model(s) not kept, e.g. model of trial") && run.output.contains("Not a directory"), "\(run.output)")
        #expect(!run.output.contains("NSCocoaErrorDomain"), "\(run.output)")
    }

    @Test func keptModelsMatchWhatTheWorkerComputedAndSeedAnotherStudy() throws {
        let h = try SweepHarness("artifacts")
        defer { h.cleanUp() }
        let a = try h.write("a.yaml", Self.moons(study: "moons-a"))
        let run = try h.run(["run", a, "--workers", "2", "--db", h.db, "--no-progress"])
        #expect(run.status == 0, "\(run.output)")
        let (study, trials, kept) = try h.reader().read { q in
            let s = try q.requireStudy(named: "moons-a")
            return (s, try q.trials(studyID: s.id), try q.artifacts(studyID: s.id))
        }
        // The best two complete trials kept their models, and only they.
        let best2 = trials.filter { $0.state == .complete }.sorted { ($0.value ?? 0) > ($1.value ?? 0) }.prefix(2).map(\.number)
        #expect(Set(kept.map(\.trialNumber)) == Set(best2))
        let dir = h.db + ".artifacts"
        for k in kept { #expect(FileManager.default.fileExists(atPath: "\(dir)/\(k.path)")) }
        #expect((try FileManager.default.contentsOfDirectory(atPath: "\(dir)/moons-a")).filter { $0.hasSuffix(".swm") }.count == 2)

        // Exported, the best model reproduces the validation metrics the worker reported.
        let out = h.directory.appendingPathComponent("best.swm").path
        let export = try h.run(["model", "export", "moons-a", "best", "--out", out, "--db", h.db])
        #expect(export.status == 0, "\(export.output)")
        // A trial counted from the end, as `show` takes it (`-1` was read as an option).
        let lastNumber = trials.count - 1
        let last = try h.run(["model", "export", "moons-a", "-1", "--out", out + ".last", "--db", h.db])
        if kept.contains(where: { $0.trialNumber == lastNumber }) {
            #expect(last.status == 0 && last.output.contains("wrote \(out).last: trial \(lastNumber),"), "\(last.output)")
        } else {
            #expect(last.status == 2 && last.output.contains("has no stored model for trial \(lastNumber) "), "\(last.output)")
        }
        let best = try #require(trials.filter { $0.state == .complete }.max { ($0.value ?? 0) < ($1.value ?? 0) })
        let model = try Model(path: out)
        let definition = try SweepDefinition.parse(text: study.definition.sweepFile)
        guard case .training(let config) = try definition.spec(for: best.params, trialSeed: best.seed) else { Issue.record("not training"); return }
        let data = try DatasetLoader.load(config.data)
        let v = data.validation
        let p = model.predict(v.features, count: v.count)
        var loss = 0.0, correct = 0
        for i in 0..<v.count {
            let row = Array(p.mean[(i * p.width)..<((i + 1) * p.width)])
            let label = Int(v.labels[i])
            loss -= log(max(Double(row[label]), 1e-7))
            if row.indices.max(by: { row[$0] < row[$1] }) == label { correct += 1 }
        }
        loss /= Double(v.count)
        #expect(abs(Double(correct) / Double(v.count) - (best.metrics["val_accuracy"] ?? -1)) < 1e-9)
        #expect(abs(loss - (best.metrics["val_loss"] ?? -1)) < 1e-4, "model \(loss) vs worker \(best.metrics["val_loss"] ?? -1)")

        // A second study starts from it by reference; the coordinator ships the model.
        // (Its hidden layer must have the base model's width: other widths fail, by design.)
        let width = best.params["hidden[0]"]?.description ?? "16"
        let b = try h.write("b.yaml", Self.moons(study: "moons-b", hidden: width, extra: "  transfer: {from: \"study:moons-a/best\", freeze_epochs: 2}", keep: "none"))
        let runB = try h.run(["run", b, "--workers", "2", "--db", h.db, "--no-progress"])
        #expect(runB.status == 0, "\(runB.output)")
        let bTrials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "moons-b").id) }
        #expect(bTrials.count == 4 && bTrials.allSatisfy { $0.state == .complete }, "\(bTrials.map { ($0.state, $0.error ?? "") })")
        // Its best trial retrains from the same stored model (the retrain read only files).
        let retrainB = try h.run(["retrain", "moons-b", "--db", h.db])
        #expect(retrainB.status == 0 && retrainB.output.contains("test_accuracy")
                && retrainB.output.contains("base model: study:moons-a/best is trial \(best.number) of study 'moons-a' now"), "\(retrainB.output)")
        // A reference to a model that does not exist fails its trials with the reason.
        let c = try h.write("c.yaml", Self.moons(study: "moons-c", extra: "  transfer: {from: \"study:nope/best\", freeze_epochs: 1}", keep: "none"))
        // Every trial failed: the run says so and exits 1.
        let runC = try h.run(["run", c, "--workers", "1", "--db", h.db, "--no-progress"])
        #expect(runC.status == 1 && runC.output.contains("all 4 trials of study 'moons-c' failed"), "\(runC.output)")
        let cTrials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "moons-c").id) }
        #expect(cTrials.count == 4)
        #expect(cTrials.allSatisfy { $0.state == .fail && ($0.error ?? "").contains("no study named 'nope'") }, "\(cTrials.map { $0.error ?? "" })")
    }
}
