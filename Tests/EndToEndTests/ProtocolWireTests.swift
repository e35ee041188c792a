import Foundation
import Store
import Testing
import ZeroMQ

/// A worker written against docs/protocol.md alone: a raw DEALER socket and JSON text.
private final class RawWorker {
    let context: Context
    let socket: Socket
    /// Types of every message received so far, in order.
    private(set) var seen: [String] = []

    init(id: String, endpoint: String) throws {
        context = try Context()
        socket = try Socket(context, .dealer)
        try socket.setRoutingID(id)
        try socket.setReceiveTimeout(milliseconds: 500)
        try socket.setLinger(milliseconds: 0)
        try socket.connect(endpoint)
    }

    func send(_ json: String) throws { _ = try socket.send([Array(json.utf8)]) }

    /// The next message of one of `types` (heartbeats and others skipped), as a JSON object.
    func next(_ types: Set<String>, timeout: Double = 30) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let m = try socket.receive(), let frame = m.frames.first,
                  let object = try JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any],
                  let type = object["type"] as? String else { continue }
            seen.append(type)
            if types.contains(type) { return object }
        }
        throw RawWorkerError.timeout(types.sorted().joined(separator: "|"))
    }

    func close() {
        socket.close()
    }
}

private enum RawWorkerError: Error { case timeout(String) }

@Suite(.serialized) struct ProtocolWireTests {
    @Test func aRawWorkerGetsClearErrorsIdempotentAnswersAndKeepsItsLease() throws {
        let h = try SweepHarness("wire")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("w.yaml", syntheticSweep(study: "wire", trials: 3, epochs: 3, sleep: 0, pruner: "{name: threshold, upper: 1.0}"))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let w = try RawWorker(id: "raw", endpoint: endpoint)
        defer { w.close() }

        // Item 8: a missing or textual version is named, not "version 0".
        try w.send(#"{"type":"ready"}"#)
        let missing = try w.next(["error"])["message"] as? String ?? ""
        #expect(missing.contains("no \"v\" field") && !missing.contains("version 0"), "\(missing)")
        try w.send(#"{"v":"1","type":"ready"}"#)
        let text = try w.next(["error"])["message"] as? String ?? ""
        #expect(text.contains("must be an integer"), "\(text)")

        try w.send(#"{"v":1,"type":"hello","worker":"raw","host":"h","pid":1,"version":"x","cores":1,"threads":1,"capabilities":["synthetic"],"running":null}"#)
        _ = try w.next(["welcome"])
        let first = try w.next(["assign"])
        let trial = first["trial"] as? Int, attempt = first["attempt"] as? Int
        #expect(trial == 0 && attempt == 1)
        // Item 9: a repeated ready keeps the lease; the unstarted assignment comes again.
        try w.send(#"{"v":1,"type":"ready"}"#)
        let again = try w.next(["assign"])
        #expect(again["trial"] as? Int == 0 && again["attempt"] as? Int == 1)
        for epoch in 1...3 {
            try w.send(#"{"v":1,"type":"report","trial":0,"attempt":1,"epoch":\#(epoch),"value":0.5,"metrics":{}}"#)
            #expect(try w.next(["decision", "cancel"])["action"] as? String == "continue")
        }
        // Item 7: an infinite result is a result (minimizing: the worst one), not FAIL.
        try w.send(#"{"v":1,"type":"result","trial":0,"attempt":1,"state":"complete","value":"inf","metrics":{},"epochs":3,"ready":true}"#)
        let second = try w.next(["assign"])
        #expect(second["trial"] as? Int == 1)
        // Item 6: a report answered prune, sent again, gets prune again (not cancel).
        let report = #"{"v":1,"type":"report","trial":1,"attempt":1,"epoch":1,"value":"inf","metrics":{}}"#
        try w.send(report)
        let pruned = try w.next(["decision", "cancel"])
        #expect(pruned["type"] as? String == "decision" && pruned["action"] as? String == "prune", "\(pruned)")
        try w.send(report)
        let repeated = try w.next(["decision", "cancel"])
        #expect(repeated["type"] as? String == "decision" && repeated["action"] as? String == "prune", "\(repeated)")
        #expect(repeated["reason"] as? String == pruned["reason"] as? String)
        try w.send(#"{"v":1,"type":"result","trial":1,"attempt":1,"state":"pruned","value":"inf","metrics":{},"epochs":1,"ready":true}"#)
        // The last trial runs to the end; then the study is over (the coordinator exits at
        // once, so the repeated report above had to come while a trial was still to run).
        #expect(try w.next(["assign"])["trial"] as? Int == 2)
        try w.send(#"{"v":1,"type":"result","trial":2,"attempt":1,"state":"complete","value":0.5,"metrics":{},"epochs":3,"ready":true}"#)
        if !w.seen.contains("stop") { _ = try w.next(["stop"]) }
        #expect(h.waitFor(timeout: 60) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")

        let (trials, attempts, curve) = try h.reader().read { q in
            let ts = try q.trials(studyID: try q.requireStudy(named: "wire").id)
            return (ts, try ts.map { try q.attempts(trialID: $0.id).map(\.outcome) }, try q.intermediates(trialID: ts[1].id))
        }
        #expect(trials.map(\.state) == [.complete, .pruned, .complete])
        #expect(trials[0].value == .infinity)
        #expect(attempts == [[.complete], [.pruned], [.complete]], "no lease was revoked by the repeated ready")
        #expect(curve.map(\.value) == [.infinity])
    }

    /// `worker` takes three trials and fails each before a report; their numbers.
    private func failThree(_ worker: RawWorker, error: String) throws -> [Int] {
        var failed: [Int] = []
        for _ in 1...3 {
            let m = try worker.next(["assign"])
            failed.append(m["trial"] as! Int)
            try worker.send(#"{"v":1,"type":"failure","trial":\#(m["trial"] as! Int),"attempt":\#(m["attempt"] as! Int),"error":"\#(error)","ready":true}"#)
        }
        return failed
    }

    /// Waits until the coordinator has held `worker` back (its warning is in the store): the
    /// third failure and the good worker's next message travel on different connections, so
    /// without this the coordinator may read the good one's first and hand it a fresh trial.
    private func waitUntilHeldBack(_ h: SweepHarness, worker: String) -> Bool {
        h.waitFor(timeout: 30) {
            let events = try? h.reader().read { q in try q.events(studyID: try q.requireStudy(named: "q").id, kinds: [.warning]) }
            return events?.contains { $0.worker == worker && $0.message.contains("gets no work until") } ?? false
        }
    }

    private func hello(_ id: String) -> String {
        #"{"v":1,"type":"hello","worker":"\#(id)","host":"host-\#(id)","pid":1,"version":"x","cores":1,"threads":1,"capabilities":["synthetic"],"running":null}"#
    }

    @Test func aWorkerFailingWhileAnotherSucceedsIsQuarantinedAndShownInStatus() throws {
        let h = try SweepHarness("quarantine")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("q.yaml", syntheticSweep(study: "q", trials: 6, epochs: 1, sleep: 0))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let good = try RawWorker(id: "good", endpoint: endpoint)
        defer { good.close() }
        try good.send(hello("good"))
        var g = try good.next(["assign"])
        try good.send(#"{"v":1,"type":"result","trial":\#(g["trial"] as! Int),"attempt":\#(g["attempt"] as! Int),"state":"complete","value":1,"metrics":{},"epochs":1,"ready":false}"#)
        let bad = try RawWorker(id: "bad", endpoint: endpoint)
        defer { bad.close() }
        try bad.send(hello("bad"))
        let failedOnBad = try failThree(bad, error: "CUDA out of memory")
        #expect(waitUntilHeldBack(h, worker: "bad"), "\(h.logText("coordinator.log"))")
        // Held back: its trials run first on the good worker, and the first that ends well
        // there has it quarantined.
        try good.send(#"{"v":1,"type":"ready"}"#)
        g = try good.next(["assign"])
        #expect(g["trial"] as? Int == failedOnBad[0])
        try good.send(#"{"v":1,"type":"result","trial":\#(g["trial"] as! Int),"attempt":\#(g["attempt"] as! Int),"state":"complete","value":1,"metrics":{},"epochs":1,"ready":true}"#)
        let quarantine = try bad.next(["quarantine"])
        #expect((quarantine["reason"] as? String)?.contains("CUDA out of memory") == true)
        let status = try h.run(["status", "q", "--db", h.db])
        #expect(status.output.contains("QUARANTINED bad on host-bad: CUDA out of memory"), "\(status.output)")
        let json = try h.run(["status", "q", "--db", h.db, "--format", "json"])
        let quarantined = (try? JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])?["quarantined"] as? [[String: Any]]
        #expect(quarantined?.first?["worker"] as? String == "bad" && quarantined?.first?["last_error"] as? String == "CUDA out of memory", "\(json.output)")
        // The good worker finishes every trial, those that failed on the bad one included.
        while true {
            g = try good.next(["assign", "stop"])
            guard g["type"] as? String == "assign" else { break }
            try good.send(#"{"v":1,"type":"result","trial":\#(g["trial"] as! Int),"attempt":\#(g["attempt"] as! Int),"state":"complete","value":1,"metrics":{},"epochs":1,"ready":true}"#)
        }
        #expect(h.waitFor(timeout: 60) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "q").id) }
        #expect(trials.count == 6 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
    }

    /// At a study's start a broken host fails three trials while the other worker still runs
    /// its first: they are given back (no FAIL, none of the budget used), and the first of
    /// them that ends well on the other worker has the broken one quarantined.
    @Test func aHostFailingWhileTheOtherRunsItsFirstTrialUsesUpNoBudget() throws {
        let h = try SweepHarness("quarantine-start")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("q.yaml", syntheticSweep(study: "q", trials: 5, epochs: 1, sleep: 0))
        // Raw workers send no heartbeats: a loaded machine must not see them die mid-test.
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress", "--heartbeat-ms", "10000", "--liveness", "6"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let good = try RawWorker(id: "good", endpoint: endpoint)
        defer { good.close() }
        try good.send(hello("good"))
        var g = try good.next(["assign"]) // still running while the other fails
        let bad = try RawWorker(id: "bad", endpoint: endpoint)
        defer { bad.close() }
        try bad.send(hello("bad"))
        let failedOnBad = try failThree(bad, error: "ModuleNotFoundError: No module named 'torch'")
        #expect(waitUntilHeldBack(h, worker: "bad"), "\(h.logText("coordinator.log"))")
        var ranOnGood: [Int] = []
        while true {
            ranOnGood.append(g["trial"] as! Int)
            try good.send(#"{"v":1,"type":"result","trial":\#(g["trial"] as! Int),"attempt":\#(g["attempt"] as! Int),"state":"complete","value":1,"metrics":{},"epochs":1,"ready":true}"#)
            g = try good.next(["assign", "stop"])
            guard g["type"] as? String == "assign" else { break }
        }
        #expect(Array(ranOnGood.dropFirst().prefix(3)) == failedOnBad, "the broken host's trials ran next on the good one: \(ranOnGood)")
        let quarantine = try bad.next(["quarantine"])
        #expect((quarantine["reason"] as? String)?.contains("No module named 'torch'") == true)
        #expect(h.waitFor(timeout: 60) { !coordinator.isRunning }, "\(h.logText("coordinator.log"))")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "q").id) }
        #expect(trials.count == 5 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
    }

    @Test func sweepWorkerExitsNonZeroWhenQuarantined() throws {
        let h = try SweepHarness("quarantined-worker")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        // A coordinator that quarantines whoever says hello.
        let context = try Context()
        let router = try Socket(context, .router)
        try router.setLinger(milliseconds: 0)
        try router.setReceiveTimeout(milliseconds: 500)
        try router.bind(endpoint)
        defer { router.close() }
        let worker = try h.start(["worker", "--connect", endpoint, "--id", "doomed"], log: "worker.log")
        defer { if worker.isRunning { worker.terminate() } }
        var greeted = false
        let deadline = Date().addingTimeInterval(30)
        while !greeted && Date() < deadline {
            guard let m = try router.receive(), m.frames.count >= 2, String(decoding: m.frames[1], as: UTF8.self).contains("\"hello\"") else { continue }
            let id = m.frames[0]
            _ = try router.send([id, Array(#"{"v":1,"type":"welcome","study":"s","heartbeat_ms":1000,"liveness":5,"adopted":null}"#.utf8)])
            _ = try router.send([id, Array(#"{"v":1,"type":"quarantine","reason":"quarantined after 3 consecutive failed trials; last error: disk full"}"#.utf8)])
            greeted = true
        }
        try #require(greeted, "the worker never said hello:\n\(h.logText("worker.log"))")
        #expect(h.waitFor(timeout: 30) { !worker.isRunning }, "the quarantined worker kept running")
        #expect(worker.terminationStatus != 0)
        #expect(h.logText("worker.log").contains("disk full"), "\(h.logText("worker.log"))")
    }
}
