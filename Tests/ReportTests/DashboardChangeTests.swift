import Foundation
import Search
import Store
import Testing

/// The dashboard's state changes and heavier reads, with real processes: enqueueing a trial
/// (with the token, from the page's form and over HTTP), `sweep enqueue`, a command trial's
/// log tail on the trial page, and the JSON of a study of thousands of trials.
@Suite(.serialized) struct DashboardChangeTests {
    static let token = "0123456789abcdef-enqueue"

    /// The trials of `study`, its queue (taken or not) and its budget.
    static func stored(_ s: Scratch, _ study: String) throws -> (trials: [TrialRecord], queue: [EnqueuedTrialRecord], budget: Int) {
        try s.reader().read { q in
            let st = try q.requireStudy(named: study)
            return (try q.trials(studyID: st.id), try q.enqueuedTrials(studyID: st.id, all: true), st.definition.budgetTrials)
        }
    }

    static func json(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    /// A body announced over the bound is refused at once (413, saying why), and a request
    /// whose body never comes is closed once the connection is idle (both were waited for
    /// without end: a thousand such connections stayed open).
    @Test func anOversizedOrUnfinishedBodyIsNotWaitedFor() throws {
        let s = try Scratch("dashboard-body")
        defer { s.cleanUp() }
        let file = try s.write("b.yaml", syntheticSweep(study: "b", trials: 2, epochs: 1))
        #expect(try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0", "--token", Self.token], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        // Raw requests (URLSession sets its own Content-Length): the answer to a 100 GB
        // announcement, then how the connection of a body 100 bytes short ends.
        let script = try s.write("raw.py", """
            import socket, sys, time
            port, token = int(sys.argv[1]), sys.argv[2]
            def send(length, body):
                c = socket.create_connection(("127.0.0.1", port))
                c.sendall(("POST /api/studies/b/enqueue HTTP/1.1\\r\\nHost: localhost\\r\\nAuthorization: Bearer %s\\r\\n"
                           "Content-Length: %d\\r\\n\\r\\n%s" % (token, length, body)).encode())
                c.settimeout(90)
                return c
            short = send(102, "{}")
            big = send(99999999999, "{}")
            answer = b""
            big.settimeout(10)
            try:
                while b"}" not in answer:
                    part = big.recv(4096)
                    if not part: break
                    answer += part
            except socket.timeout:
                pass
            text = answer.decode(errors="replace")
            print(text.split("\\r\\n")[0], text[-200:].replace("\\n", " ").replace("\\r", " "))
            start = time.time()
            try:
                data = short.recv(4096)
                print("closed" if data == b"" else "answered " + data.decode(errors="replace").split("\\r\\n")[0])
            except socket.timeout:
                print("still open after 90 s")
            """)
        let raw = try s.run("/usr/bin/python3", [script, String(port), Self.token], timeout: 150)
        #expect(raw.status == 0, "\(raw.output)")
        let lines = raw.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("HTTP/1.1 413") == true && raw.output.contains("the body is over 64 KiB"), "\(raw.output)")
        #expect(lines.last == "closed", "\(raw.output)")
        #expect(try Self.stored(s, "b").queue.isEmpty)
    }

    @Test func aTrialEnqueuedDuringASweepRunsWithExactlyThoseValuesAndOnlyWithTheToken() throws {
        let s = try Scratch("dashboard-enqueue")
        defer { s.cleanUp() }
        let budget = 60
        // (z offers 1 and 1.0 apart: the dashboard read the choice 1.0 as the integer 1.)
        let file = try s.write("enq.yaml", syntheticSweep(study: "enq", trials: budget, epochs: 3, sleep: 0.15, pruner: "{name: none}")
            .replacingOccurrences(of: "z: {choice: [0.5, 1, 2]}", with: "z: {choice: [0.5, 1, 1.0, 2]}"))
        let (run, port) = try DashboardTests.startWithDashboard(
            s, ["run", file, "--workers", "1", "--db", s.db, "--no-progress", "--dashboard", "127.0.0.1:0", "--dashboard-token", Self.token], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let url = base + "/api/studies/enq/enqueue"
        let auth = ["Authorization": "Bearer " + Self.token, "Content-Type": "application/json"]
        let good = #"{"params": {"x": 0.123, "y": 0.5, "z": 2}}"#

        // Refused: no token, a wrong token, a bad value, a bad body, an unknown study.
        #expect(HTTP.request(url, method: "POST", body: good)?.status == 401)
        #expect(HTTP.request(url, method: "POST", headers: ["Authorization": "Bearer wrong-token-0123456789"], body: good)?.status == 401)
        let bad = HTTP.request(url, method: "POST", headers: auth, body: #"{"params": {"x": 5, "y": 0.5, "z": 2}}"#)
        #expect(bad?.status == 400)
        #expect(Self.json(bad?.body ?? "")["field"] as? String == "x", "\(bad?.body ?? "no answer")")
        #expect((Self.json(bad?.body ?? "")["error"] as? String)?.contains("5 is not in uniform [-2.0, 2.0]") == true, "\(bad?.body ?? "")")
        let missing = HTTP.request(url, method: "POST", headers: auth, body: #"{"params": {"x": 1, "y": 0.5}}"#)
        #expect(missing?.status == 400 && Self.json(missing?.body ?? "")["field"] as? String == "z", "\(missing?.body ?? "")")
        let garbage = HTTP.request(url, method: "POST", headers: auth, body: "x=1")
        #expect(garbage?.status == 400 && Self.json(garbage?.body ?? "")["field"] as? String == "params", "\(garbage?.body ?? "")")
        #expect(HTTP.request(base + "/api/studies/nope/enqueue", method: "POST", headers: auth, body: good)?.status == 404)
        #expect(try Self.stored(s, "enq").queue.isEmpty, "a refused request queued a trial")

        // Accepted over HTTP: it becomes one of the next trials.
        let before = try Self.stored(s, "enq").trials.count
        let accepted = HTTP.request(url, method: "POST", headers: auth, body: good)
        #expect(accepted?.status == 201, "\(accepted?.body ?? "no answer")")
        let float = HTTP.request(url, method: "POST", headers: auth, body: #"{"params": {"x": 0.25, "y": 0.5, "z": 1.0}}"#)
        #expect(float?.status == 201, "\(float?.body ?? "no answer")")
        #expect(try Self.stored(s, "enq").queue.last?.params["z"] == .double(1.0), "the float choice, not the integer 1")

        // And from the study page's form (the values typed as text, z chosen in its list).
        let fill = """
            (function () {
              function set(n, v) { document.querySelector('#enqueue-fields [data-param="' + n + '"]').value = v; }
              set('x', '-1.5'); set('y', '0.02'); set('z', '0.5');
              document.getElementById('token').value = '\(Self.token)';
              document.getElementById('enqueue-button').click();
              return document.querySelectorAll('#enqueue-fields [data-param]').length;
            })()
            """
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/study?name=enq"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "fields", "js": fill], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "stopOffered", "js": "!document.getElementById('stop-button').hidden"],
            ["do": "eval", "name": "result", "js": "document.getElementById('enqueue-result').textContent"],
            ["do": "screenshot", "file": "study-enqueue.png", "height": 3000],
        ], screenshots: DashboardTests.screenshots)
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect(browser.console.isEmpty, "console: \(browser.console)")
        #expect(browser.values["fields"] as? Int == 3)
        #expect(browser.values["stopOffered"] as? Bool == true, "the page of the study this coordinator runs offers to stop it")
        #expect((browser.values["result"] as? String)?.hasPrefix("queued") == true, "\(browser.values["result"] ?? "")")

        // Both run with exactly those values; then the sweep is stopped.
        let wanted: [Params] = [["x": .double(0.123), "y": .double(0.5), "z": .int(2)], ["x": .double(0.25), "y": .double(0.5), "z": .double(1.0)],
                                ["x": .double(-1.5), "y": .double(0.02), "z": .double(0.5)]]
        let ran = Scratch.waitFor(timeout: 90) {
            let trials = (try? Self.stored(s, "enq").trials) ?? []
            return wanted.allSatisfy { w in trials.contains { $0.params == w && $0.state == .complete } }
        }
        #expect(ran, "\(s.read("run.log").suffix(1500))")
        #expect(HTTP.request(base + "/api/stop", method: "POST", headers: auth)?.status == 202)
        #expect(Scratch.waitFor(timeout: 90) { !run.isRunning }, "the sweep did not stop")
        run.waitUntilExit()

        let (trials, queue, raised) = try Self.stored(s, "enq")
        #expect(queue.count == 3)
        for (w, q) in zip(wanted, queue) {
            let matching = trials.filter { $0.params == w }
            #expect(matching.count == 1, "\(w)")
            #expect(q.params == w && q.trialNumber == matching.first?.number, "\(q)")
        }
        #expect(queue.map(\.source) == ["dashboard", "dashboard", "dashboard"])
        // Taken before new samples: within the trial running when it was queued and the next.
        let first = try #require(queue.first?.trialNumber)
        #expect(first <= before + 3, "queued when \(before) trials existed, ran as trial \(first)")
        #expect(raised == budget + 3, "enqueued trials run on top of the budget")
    }

    @Test func sweepEnqueueQueuesForTheNextRunAndRefusesBadValues() throws {
        let s = try Scratch("cli-enqueue")
        defer { s.cleanUp() }
        let file = try s.write("cli.yaml", syntheticSweep(study: "cli", trials: 4, epochs: 2, pruner: "{name: none}"))
        let r = try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"])
        try #require(r.status == 0, "\(r.output)")
        let bad = try s.sweep(["enqueue", "cli", "x=0.5", "y=9", "z=1", "--db", s.db])
        #expect(bad.status == 2 && bad.output.contains("parameter y: 9 is not in loguniform [0.01, 3.0]"), "\(bad.output)")
        let unknown = try s.sweep(["enqueue", "cli", "x=0.5", "y=1", "z=1", "w=1", "--db", s.db])
        #expect(unknown.status == 2 && unknown.output.contains("parameter w: not a parameter of this study"), "\(unknown.output)")
        let noEquals = try s.sweep(["enqueue", "cli", "x", "--db", s.db])
        #expect(noEquals.status == 2 && noEquals.output.contains("'x': expected NAME=VALUE"), "\(noEquals.output)")
        #expect(try Self.stored(s, "cli").queue.isEmpty)

        let ok = try s.sweep(["enqueue", "cli", "x=0.75", "y=1", "z=1", "--db", s.db])
        #expect(ok.status == 0 && ok.output.contains("sweep resume cli"), "\(ok.output)")
        let resumed = try s.sweep(["resume", "cli", "--workers", "1", "--db", s.db, "--no-progress"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let (trials, queue, budget) = try Self.stored(s, "cli")
        #expect(trials.count == 5 && budget == 5)
        #expect(trials.last?.params == ["x": .double(0.75), "y": .double(1), "z": .int(1)])
        #expect(trials.last?.state == .complete)
        #expect(queue.first?.trialNumber == 4 && queue.first?.source == "sweep enqueue")
    }

    @Test func everyCommandTrialShowsItsOutputTailEscapedOnTheTrialPageFailedOrNot() throws {
        let s = try Scratch("dashboard-log")
        defer { s.cleanUp() }
        // Trial 1 succeeds (its output is kept too); trial 0 fails on every attempt.
        _ = try s.write("bad.sh", """
            if [ "$SWEEP_TRIAL" = 1 ]; then
              echo 'finished cleanly: <b id="done">done</b>'
              echo '{"epoch": 1, "loss": 1}' >&3
              echo '{"epoch": 2, "loss": 0.5}' >&3
              exit 0
            fi
            echo '{"epoch": 1, "loss": 2}' >&3
            echo "Traceback: attempt $SWEEP_ATTEMPT broke" >&2
            echo '<b id="injected">not markup</b> & <script>window.hacked = 1</script>' >&2
            exit 3
            """)
        let file = try s.write("cmd.yaml", """
            study: cmdlog
            objective: {metric: loss, direction: minimize}
            command: [sh, bad.sh]
            parameters:
              x: {uniform: [0, 10]}
            sampler: {name: random}
            budget: {trials: 2, max_epochs: 2}
            retry: {max_attempts: 2, retry_errors: true}
            """)
        let r = try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"])
        let attempts = try s.reader().read { q in try q.allAttempts(studyID: try q.requireStudy(named: "cmdlog").id)[0] ?? [] }
        try #require(!attempts.isEmpty, "\(r.output)")
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/trial?study=cmdlog&n=0"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "logs", "js": "Array.prototype.map.call(document.querySelectorAll('pre.attempt-log'), function (e) { return e.textContent; })"],
            ["do": "eval", "name": "messages", "js": "Array.prototype.map.call(document.querySelectorAll('#attempts-table tbody tr:not(.log-row) td:last-child'), function (e) { return e.textContent; })"],
            ["do": "eval", "name": "injected", "js": "[document.getElementById('injected') === null, window.hacked === undefined]"],
            ["do": "screenshot", "file": "trial-log.png", "height": 900],
            ["do": "open", "url": base + "/trial?study=cmdlog&n=1"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "okLogs", "js": "Array.prototype.map.call(document.querySelectorAll('pre.attempt-log'), function (e) { return e.textContent; })"],
            ["do": "eval", "name": "okShown", "js": "[document.getElementById('done') === null, !document.getElementById('log-note').hidden]"],
        ], screenshots: DashboardTests.screenshots)
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect(browser.console.isEmpty, "console: \(browser.console)")
        let logs = browser.values["logs"] as? [String] ?? []
        #expect(logs.count == attempts.count, "one log per attempt: \(logs)")
        for (i, log) in logs.enumerated() {
            #expect(log.contains("Traceback: attempt \(i + 1) broke"), "\(log)")
            #expect(log.contains(#"<b id="injected">not markup</b> & <script>window.hacked = 1</script>"#), "shown as text: \(log)")
        }
        #expect((browser.values["messages"] as? [String] ?? []).allSatisfy { $0 == "the program exited with status 3" }, "\(browser.values["messages"] ?? "")")
        #expect(browser.values["injected"] as? [Bool] == [true, true])
        // The successful trial's output, as text too.
        let okLogs = browser.values["okLogs"] as? [String] ?? []
        #expect(okLogs.count == 1 && okLogs[0].contains(#"finished cleanly: <b id="done">done</b>"#), "\(okLogs)")
        #expect(browser.values["okShown"] as? [Bool] == [true, true])
        // The study's JSON (polled every second) carries the messages, not the logs.
        let study = HTTP.request(base + "/api/study?name=cmdlog")?.body ?? ""
        #expect(study.contains("exited with status 3") && !study.contains("Traceback") && !study.contains("finished cleanly"), "\(study.prefix(800))")
    }

    @Test func theTrialJSONShowsTheStoredTailAndFallsBackToTheFailureTextOfOlderDatabases() throws {
        let s = try Scratch("dashboard-old-log")
        defer { s.cleanUp() }
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil))])
        let store = try SweepStore.open(path: s.db)
        try store.write { tx in
            let st = try tx.createStudy(NewStudy(name: "old", direction: .minimize, metric: "loss", sweepFile: "study: old\n", space: space,
                                                 seed: 1, budgetTrials: 2), at: 1000)
            // Trial 0 as written before `log_tail` existed: the stderr tail only inside the failure text.
            let before = try tx.insertTrial(studyID: st.id, number: 0, state: .waiting, params: ["x": .double(0.1)], seed: 1, at: 1000, leasedTo: "w0")
            try tx.finishTrial(trialID: before, attempt: 1, state: .fail, value: nil, metrics: nil,
                               error: "the program exited with status 3\n--- stderr (last 11 characters) ---\nold stderr\n", at: 1001)
            // Trial 1: the stored tail (stdout and stderr) wins over the failure text's stderr.
            let after = try tx.insertTrial(studyID: st.id, number: 1, state: .waiting, params: ["x": .double(0.2)], seed: 2, at: 1002, leasedTo: "w0")
            try tx.finishTrial(trialID: after, attempt: 1, state: .fail, value: nil, metrics: nil,
                               error: "the program exited with status 3\n--- stderr (last 11 characters) ---\nnew stderr\n", at: 1003)
            try tx.setAttemptLogTail(trialID: after, attempt: 1, "new stdout\nnew stderr\n")
        }
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        func attempts(_ n: Int) -> [[String: Any]] {
            Self.json(HTTP.request(base + "/api/trial?study=old&n=\(n)")?.body ?? "")["attempts"] as? [[String: Any]] ?? []
        }
        let old = attempts(0), new = attempts(1)
        #expect(old.map { $0["log"] as? String } == ["--- stderr (last 11 characters) ---\nold stderr\n"], "\(old)")
        #expect(new.map { $0["log"] as? String } == ["new stdout\nnew stderr\n"], "\(new)")
        #expect((old + new).map { $0["error"] as? String } == ["the program exited with status 3", "the program exited with status 3"])
        let study = HTTP.request(base + "/api/study?name=old")?.body ?? ""
        #expect(study.contains("exited with status 3") && !study.contains("stderr") && !study.contains("stdout"), "\(study.prefix(800))")
    }

    @Test func aStudyOfFiveThousandTrialsServesItsJSON() throws {
        let s = try Scratch("dashboard-big")
        defer { s.cleanUp() }
        let n = 5000
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil)),
                                     Parameter(name: "k", distribution: .int(low: 1, high: 9, step: 1))])
        let store = try SweepStore.open(path: s.db)
        try store.write { tx in
            let st = try tx.createStudy(NewStudy(name: "big", direction: .minimize, metric: "loss", sweepFile: "study: big\n", space: space,
                                                 seed: 1, budgetTrials: n), at: 1000)
            for i in 0..<n {
                let id = try tx.insertTrial(studyID: st.id, number: i, state: .waiting, params: ["x": .double(Double(i) / Double(n)), "k": .int(1 + i % 9)],
                                            seed: UInt64(i), at: 1000 + Double(i), leasedTo: "w\(i % 4)")
                if i % 10 == 0 {
                    try tx.endAttempt(trialID: id, attempt: 1, outcome: .stale, at: 1000.5 + Double(i))
                    try tx.startAttempt(trialID: id, attempt: 2, worker: "w\((i + 1) % 4)", at: 1000.6 + Double(i))
                }
                try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: i % 10 == 0 ? 2 : 1, value: Double(n - i), metrics: ["loss": Double(n - i)], pruned: false, reason: nil, recordedAt: 1001 + Double(i)))
                try tx.finishTrial(trialID: id, attempt: i % 10 == 0 ? 2 : 1, state: .complete, value: Double(n - i), metrics: ["loss": Double(n - i)], at: 1001 + Double(i))
            }
        }
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let reply = try #require(HTTP.request("http://127.0.0.1:\(port)/api/study?name=big", timeout: 60))
        #expect(reply.status == 200)
        let d = Self.json(reply.body)
        let trials = d["trials"] as? [[String: Any]] ?? []
        let attempts = d["attempts"] as? [[String: Any]] ?? []
        #expect(trials.count == n)
        #expect(attempts.count == n + n / 10, "one attempt per trial, two for every tenth")
        let t1234 = trials.first { $0["number"] as? Int == 1234 }
        #expect(t1234?["value"] as? Double == Double(n - 1234))
        #expect((t1234?["params"] as? [String: Any])?["k"] as? Int == 1 + 1234 % 9)
        let a10 = attempts.filter { $0["trial"] as? Int == 10 }
        #expect(a10.map { $0["outcome"] as? String } == ["STALE", "COMPLETE"])
        #expect(a10.map { $0["worker"] as? String } == ["w2", "w3"])
        let summary = d["summary"] as? [String: Any] ?? [:]
        #expect(summary["best"] as? Double == 1 && summary["bestTrial"] as? Int == n - 1)
    }
}

extension DashboardChangeTests {
    /// A PBT member's page shows its exploit steps (the dashboard had them only among the
    /// study's report plots); a trial of a study without lineage shows no such section.
    @Test func aMembersPageShowsItsLineage() throws {
        let s = try Scratch("dashboard-member-lineage")
        defer { s.cleanUp() }
        let (store, study, _) = try DashboardIncrementalTests.makeStudy(s, trials: 3)
        try store.write { tx in
            _ = try tx.recordLineage(studyID: study, LineageStep(sequence: 0, member: 2, epoch: 4, source: 1, sourceEpoch: 4, oldParams: ["x": .double(0.02)],
                                                                 params: ["x": .double(0.012)], changes: ["x": "x1.2"]), at: 3000)
        }
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/trial?study=inc&n=2"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "shown", "js": "!document.getElementById('lineage-part').hidden"],
            ["do": "eval", "name": "steps", "js": "Array.prototype.map.call(document.querySelectorAll('#exploit-table tbody td'), function (e) { return e.textContent; })"],
        ], screenshots: DashboardTests.screenshots)
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect(browser.values["shown"] as? Bool == true)
        #expect(browser.values["steps"] as? [String] == ["4", "1", "4", "x: 0.01 → 0.012 (x1.2; before: 0.02)"], "\(browser.values["steps"] ?? "")")
    }
}
