import Foundation
import Search
import Store
import Testing
@testable import SweepCLI

/// `sweep run --dashboard` and `sweep dashboard`: real processes, pages driven in headless
/// Chromium, `/metrics` scraped during a sweep. Screenshots stay in /tmp/sweep-dashboard-screenshots.
@Suite(.serialized) struct DashboardTests {
    static let screenshots: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-dashboard-screenshots").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    static let countAndBest = "[document.getElementById('trial-count').getAttribute('data-value'), document.getElementById('best-value').getAttribute('data-value')]"

    /// Starts `sweep ARGS` and waits for the dashboard line; returns the process and port.
    static func startWithDashboard(_ s: Scratch, _ arguments: [String], log: String) throws -> (Process, Int) {
        let p = try s.start(Scratch.sweep, arguments, log: log)
        var port: Int?
        Scratch.waitFor(timeout: 60) { port = dashboardPort(in: s.read(log)); return port != nil || !p.isRunning }
        guard let port else {
            if p.isRunning { p.terminate() }
            Issue.record("no dashboard line in:\n\(s.read(log))")
            throw CancellationError()
        }
        return (p, port)
    }

    @Test func theDashboardFollowsARealSweepAndMetricsMatchTheDatabase() throws {
        let s = try Scratch("dashboard-live")
        defer { s.cleanUp() }
        let budget = 40
        let file = try s.write("live.yaml", syntheticSweep(study: "live", trials: budget, epochs: 4, sleep: 0.4))
        let (run, port) = try Self.startWithDashboard(s, ["run", file, "--workers", "2", "--db", s.db, "--no-progress", "--dashboard", "127.0.0.1:0", "--dashboard-linger", "3"], log: "run.log")
        let base = "http://127.0.0.1:\(port)"

        // Scrape /metrics until the sweep's process is gone.
        let scrapes = ScrapeLog()
        let scraper = Thread {
            while run.isRunning {
                if let r = HTTP.request(base + "/metrics", timeout: 2), r.status == 200 { scrapes.append(PrometheusText(r.body)) }
                usleep(40_000)
            }
        }
        scraper.start()

        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "studyRow", "js": "(document.querySelector('tr[data-study=\"live\"]') || {}).textContent || ''"],
            ["do": "screenshot", "file": "live-studies.png", "height": 500],
            ["do": "open", "url": base + "/study?name=live"],
            ["do": "sample", "name": "samples", "js": Self.countAndBest, "seconds": 12, "every": 0.5],
            ["do": "screenshot", "file": "live-study.png", "height": 2400],
        ], screenshots: Self.screenshots)
        let finished = Scratch.waitFor(timeout: 180) { !run.isRunning }
        if !finished { run.terminate() }
        run.waitUntilExit()
        Scratch.waitFor(timeout: 10) { scraper.isFinished }
        #expect(run.terminationStatus == 0, "\(s.read("run.log").suffix(2000))")

        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect(browser.console.isEmpty, "console: \(browser.console)")
        #expect((browser.values["studyRow"] as? String)?.contains("live") == true)

        // While trials finished, the page's trial count rose and its best value improved.
        let samples = (browser.values["samples"] as? [[Any]] ?? []).compactMap { pair -> (Int, Double?)? in
            guard pair.count == 2, let c = (pair[0] as? String).flatMap({ Int($0) }) else { return nil }
            return (c, (pair[1] as? String).flatMap(Double.init))
        }
        let counts = samples.map(\.0), bests = samples.compactMap(\.1)
        #expect(Set(counts).count >= 3, "trial counts seen: \(counts)")
        #expect(counts == counts.sorted(), "the count went down: \(counts)")
        #expect(Set(bests).count >= 2, "best values seen: \(bests)")
        #expect(zip(bests, bests.dropFirst()).allSatisfy { $1 <= $0 }, "the best (minimized) got worse: \(bests)")

        // Every best value shown was a real trial's value; the final numbers are the database's.
        let (trials, counts_, reports) = try s.reader().read { q in
            let st = try q.requireStudy(named: "live")
            return (try q.trials(studyID: st.id), try q.stateCounts(studyID: st.id), try q.allIntermediates(studyID: st.id).values.reduce(0) { $0 + $1.count })
        }
        let values = Set(trials.compactMap(\.value))
        #expect(bests.allSatisfy { values.contains($0) })
        #expect(trials.count == budget)

        // /metrics: counters never go back; once every trial had finished, they match the database.
        let all = scrapes.all
        #expect(all.count >= 10, "only \(all.count) scrapes")
        let totals = all.compactMap { $0["sweep_reports_total"] }
        #expect(totals == totals.sorted(), "sweep_reports_total went down")
        func gauge(_ m: PrometheusText, _ state: String) -> Double { m["sweep_trials{study=\"live\",state=\"\(state)\"}"] ?? -1 }
        let done = all.filter { m in ["complete", "pruned", "fail"].map { gauge(m, $0) }.reduce(0, +) == Double(budget) }
        let last = try #require(done.last, "no scrape after the last trial finished (\(all.count) scrapes)")
        for state in TrialState.allCases {
            #expect(gauge(last, state.rawValue.lowercased()) == Double(counts_[state] ?? 0), "\(state)")
        }
        #expect(last["sweep_reports_total"] == Double(reports), "reports: metrics \(last["sweep_reports_total"] ?? -1), database \(reports)")
        #expect(last["sweep_report_round_trip_seconds_count"] == Double(reports))
        #expect((last["sweep_db_commit_seconds_count"] ?? 0) > 0)
        #expect((last["sweep_coordinator_messages_total"] ?? 0) >= Double(reports))
        #expect(all.contains { ($0["sweep_workers_alive"] ?? 0) == 2 }, "two workers were never seen alive")
        #expect(all.contains { ($0["sweep_reports_per_second"] ?? 0) > 0 })
        // While it lingers after the end, /metrics shows the end (it showed 2 workers alive).
        #expect(all.last?["sweep_workers_alive"] == 0 && all.last?["sweep_reports_per_second"] == 0,
                "last scrape: workers \(all.last?["sweep_workers_alive"] ?? -1), rate \(all.last?["sweep_reports_per_second"] ?? -1)")
    }

    /// A page open on `sweep run --dashboard` (no linger) sees the study end, plots
    /// included; list choices keep the commas inside their strings (two such choices were
    /// swapped when enqueued), have one axis category each, and enqueue as they are written.
    @Test func anOpenPageSeesTheEndAndListChoicesStayAsWritten() throws {
        let s = try Scratch("dashboard-end")
        defer { s.cleanUp() }
        _ = try s.write("t.sh", "sleep 0.5\necho \"{\\\"epoch\\\": 1, \\\"loss\\\": $SWEEP_TRIAL}\" >&\"$SWEEP_REPORT_FD\"\n")
        let file = try s.write("ends.yaml", """
            study: ends
            objective: {metric: loss, direction: minimize}
            command: [sh, t.sh]
            working_directory: .
            parameters:
              layers: {choice: [["a,b"], ["a, b"], [1.0, 2.0]]}
              x: {uniform: [0, 0.5], step: 0.1}
            sampler: {name: random}
            budget: {trials: 8, max_epochs: 1}
            """)
        let (run, port) = try Self.startWithDashboard(s, ["run", file, "--workers", "1", "--db", s.db, "--no-progress", "--dashboard", "127.0.0.1:0"], log: "run.log")
        let base = "http://127.0.0.1:\(port)"
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/study?name=ends"], ["do": "wait", "seconds": 2.5],
            ["do": "eval", "name": "options", "js": "Array.prototype.map.call(document.querySelectorAll('#enqueue-fields select[data-param=layers] option'), function (o) { return o.value; })"],
            ["do": "eval", "name": "ticks", "js": "Array.prototype.map.call(document.querySelectorAll(\"[data-axis='layers'] text.tick\"), function (t) { return t.textContent; })"],
            ["do": "eval", "name": "placeholder", "js": "document.querySelector('#enqueue-fields input[data-param=x]').getAttribute('placeholder')"],
            ["do": "sample", "name": "ends", "js": "document.getElementById('study-sub').textContent + ' | ' + document.getElementById('figures-box').textContent.indexOf('running')", "seconds": 9, "every": 0.5],
        ], screenshots: Self.screenshots)
        #expect(Scratch.waitFor(timeout: 60) { !run.isRunning })
        run.waitUntilExit()
        #expect(run.terminationStatus == 0, "\(s.read("run.log").suffix(1500))")
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect(browser.values["options"] as? [String] == ["", #"["a,b"]"#, #"["a, b"]"#, "[1.0, 2.0]"], "\(browser.values["options"] ?? "")")
        #expect(browser.values["ticks"] as? [String] == [#"["a,b"]"#, #"["a, b"]"#, "[1, 2]"], "\(browser.values["ticks"] ?? "")")
        #expect(browser.values["placeholder"] as? String == "uniform [0.0, 0.5] step 0.1")
        // The last thing the page showed: the study finished, and plots of no running trial.
        let seen = (browser.values["ends"] as? [String] ?? []).filter { !$0.hasPrefix("loading") }
        #expect(seen.last?.contains("finished | -1") == true, "\(seen.suffix(3))")
        // Each list choice enqueues as itself (`sweep enqueue` reads the texts the form sends).
        for text in [#"["a,b"]"#, #"["a, b"]"#, "[1.0, 2.0]"] {
            #expect(try s.sweep(["enqueue", "ends", "layers=" + text, "x=0.1", "--db", s.db]).status == 0)
        }
        let queued = try s.reader().read { q in try q.enqueuedTrials(studyID: try q.requireStudy(named: "ends").id).map { $0.params["layers"] } }
        #expect(queued == [.list([.string("a,b")]), .list([.string("a, b")]), .list([.double(1), .double(2)])], "\(queued)")
    }

    /// While a dashboard lingers after its sweep, the study is free: a queued trial is run by
    /// `sweep resume` at once, as `sweep enqueue` says (the lingering process held the study
    /// lock, and the resume was refused until the dashboard went away).
    @Test func aLingeringDashboardLeavesTheStudyFreeForResume() throws {
        let s = try Scratch("dashboard-linger")
        defer { s.cleanUp() }
        let file = try s.write("free.yaml", syntheticSweep(study: "free", trials: 3, epochs: 1))
        let (run, port) = try Self.startWithDashboard(s, ["run", file, "--workers", "1", "--db", s.db, "--no-progress", "--bind", "tcp://127.0.0.1:0", "--dashboard", "127.0.0.1:0", "--dashboard-linger", "120", "--dashboard-token", DashboardChangeTests.token], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        #expect(Scratch.waitFor(timeout: 60) { s.read("run.log").contains("study 'free' finished") }, "\(s.read("run.log"))")
        // The database file alone holds every commit (the log beside it held the last ones
        // while the lingering process kept its connections: a copy of the file lacked them).
        let copy = s.db + ".copy"
        try FileManager.default.copyItem(atPath: s.db, toPath: copy)
        let copied = try SweepStore.openReadOnly(path: copy).read { q in try q.stateCounts(studyID: try q.requireStudy(named: "free").id) }
        #expect(copied[.complete] == 3, "\(copied)")
        let enqueued = try s.sweep(["enqueue", "free", "x=0.5", "y=1", "z=2", "--db", s.db])
        #expect(enqueued.status == 0 && enqueued.output.contains("sweep resume"), "\(enqueued.output)")
        // The page's answer names the database too (`sweep resume free` alone resumed ./sweep.db).
        let fromPage = HTTP.request("http://127.0.0.1:\(port)/api/studies/free/enqueue", method: "POST",
                                    headers: ["Authorization": "Bearer " + DashboardChangeTests.token, "Content-Type": "application/json"],
                                    body: #"{"params": {"x": 0.25, "y": 1, "z": 2}}"#)
        let note = DashboardChangeTests.json(fromPage?.body ?? "")["note"] as? String ?? ""
        #expect(fromPage?.status == 201 && note.contains("sweep resume free --db \(s.db)"), "\(fromPage?.body ?? "no answer")")
        // On the port the lingering process listened on: its socket is closed too.
        let endpoint = try #require(s.read("run.log").firstMatch(of: /listening on (tcp:\/\/[0-9.]+:[0-9]+)/)?.1, "\(s.read("run.log"))")
        let resumed = try s.sweep(["resume", "free", "--workers", "1", "--db", s.db, "--no-progress", "--bind", String(endpoint)])
        #expect(resumed.status == 0, "\(resumed.output)")
        let trials = try s.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "free").id) }
        #expect(trials.count == 5 && trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state) })")
        #expect(trials.suffix(2).map { $0.params["x"] } == [.double(0.5), .double(0.25)])
        // The dashboard still lingers, and shows the trial the resume ran.
        #expect(run.isRunning)
        #expect(HTTP.request("http://127.0.0.1:\(port)/api/study?name=free")?.body.contains("\"number\":3,") == true,
                "\(HTTP.request("http://127.0.0.1:\(port)/api/study?name=free")?.body.prefix(600) ?? "")")
        run.terminate()
        run.waitUntilExit()
        #expect(run.terminationStatus == 0, "\(s.read("run.log").suffix(1500))")
    }

    /// A dashboard started on an empty database file (one `sweep run` has just created)
    /// waits for its studies, as for a missing file (it exited 2: "holds no study yet").
    @Test func aDashboardOnAnEmptyDatabaseWaitsForItsStudies() throws {
        let s = try Scratch("dashboard-empty")
        defer { s.cleanUp() }
        #expect(FileManager.default.createFile(atPath: s.db, contents: Data()))
        let (server, port) = try Self.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        #expect(s.read("dashboard.log").contains("holds no study yet"), "\(s.read("dashboard.log"))")
        let base = "http://127.0.0.1:\(port)"
        #expect(HTTP.request(base + "/api/studies")?.body == "[]")
        let file = try s.write("e.yaml", syntheticSweep(study: "late", trials: 2, epochs: 1))
        #expect(try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        #expect(HTTP.request(base + "/api/studies")?.body.contains("\"name\":\"late\"") == true)
        #expect(server.isRunning)
    }

    /// A page of a study or trial that does not exist says so once (it said "cannot reach the
    /// dashboard (... HTTP 404); retrying" forever).
    @Test func pagesOfMissingStudiesAndTrialsSaySo() throws {
        let s = try Scratch("dashboard-missing")
        defer { s.cleanUp() }
        let file = try s.write("demo.yaml", syntheticSweep(study: "demo", trials: 3, epochs: 1))
        // Started before the sweep created its database (it exited): no studies yet, then the sweep's.
        let (server, port) = try Self.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(HTTP.request(base + "/api/studies")?.body == "[]")
        #expect(HTTP.request(base + "/api/study?name=demo")?.status == 404)
        // /metrics answers (no study yet), and the plots of a study are not found (both were 500).
        #expect(HTTP.request(base + "/metrics")?.status == 200)
        #expect(HTTP.request(base + "/api/figures?name=demo")?.status == 404)
        #expect(!FileManager.default.fileExists(atPath: s.db), "the dashboard created the database")
        #expect(try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        #expect(HTTP.request(base + "/api/studies")?.body.contains("\"name\":\"demo\"") == true)
        #expect(HTTP.request(base + "/api/study?name=nope")?.body.contains("no study named 'nope'") == true)
        #expect(HTTP.request(base + "/api/trial?study=demo&n=999")?.status == 404)
        // `best`, `last` and `-1`, as the page takes them (the API answered 400 and 404).
        let last = HTTP.request(base + "/api/trial?study=demo&n=-1")
        #expect(last?.status == 200 && last?.body == HTTP.request(base + "/api/trial?study=demo&n=last")?.body, "\(String(describing: last))")
        #expect(HTTP.request(base + "/api/trial?study=demo&n=best")?.status == 200)
        #expect(HTTP.request(base + "/api/trial?study=demo&n=worst")?.status == 400)
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/study?name=nope"], ["do": "wait", "seconds": 2],
            ["do": "eval", "name": "study", "js": "document.getElementById('status').textContent"],
            ["do": "eval", "name": "studySub", "js": "document.getElementById('study-sub').textContent"],
            ["do": "open", "url": base + "/trial?study=demo&n=999"], ["do": "wait", "seconds": 2],
            ["do": "eval", "name": "trial", "js": "document.getElementById('status').textContent"],
        ], screenshots: Self.screenshots)
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect((browser.values["study"] as? String)?.hasPrefix("no study named 'nope'") == true, "\(browser.values["study"] ?? "")")
        #expect(browser.values["studySub"] as? String == "not found")
        #expect((browser.values["trial"] as? String)?.hasPrefix("no trial 999 in a study named 'demo'") == true, "\(browser.values["trial"] ?? "")")
        // HEAD answers as GET does, without the body (health checks; it was 404).
        #expect(HTTP.request(base + "/", method: "HEAD")?.status == 200)
        #expect(HTTP.request(base + "/api/studies", method: "HEAD").map { ($0.status, $0.body) } ?? (0, "x") == (200, ""))
        // A database removed and created anew is the one shown (the removed file's studies
        // were served on, and the new ones were "not found").
        // Removed, it is said to be (an empty list hid it), by a dashboard that answers.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: s.db + suffix) }
        // Every answer that reads it says so: a study page said "no study named 'demo'",
        // /metrics answered 200 with nothing.
        for path in ["/api/studies", "/api/study?name=demo", "/api/trial?study=demo&n=0", "/api/trial?study=demo&n=best", "/api/figures?name=demo", "/metrics", "/trial?study=demo&n=last"] {
            let gone = HTTP.request(base + path)
            #expect(gone?.status == 503 && gone?.body.contains("cannot read the database: the database \(s.db) was removed (or moved) since the dashboard read it") == true, "\(path): \(String(describing: gone))")
        }
        let other = try s.write("other.yaml", syntheticSweep(study: "other", trials: 2, epochs: 1))
        #expect(try s.sweep(["run", other, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        let studies = HTTP.request(base + "/api/studies")?.body ?? ""
        #expect(studies.contains("\"name\":\"other\"") && !studies.contains("\"name\":\"demo\""), "\(studies)")
        #expect(HTTP.request(base + "/api/study?name=other")?.status == 200)
    }

    @Test func brushingFiltersTheTableAndEveryPageRendersWithoutErrors() throws {
        let s = try Scratch("dashboard-pages")
        defer { s.cleanUp() }
        let file = try s.write("demo.yaml", syntheticSweep(study: "demo", trials: 40, epochs: 4))
        let r = try s.sweep(["run", file, "--workers", "2", "--db", s.db, "--no-progress"])
        try #require(r.status == 0, "\(r.output)")
        let file2 = try s.write("other.yaml", syntheticSweep(study: "other", trials: 20, epochs: 4, seed: 9))
        let r2 = try s.sweep(["run", file2, "--workers", "2", "--db", s.db, "--no-progress"])
        try #require(r2.status == 0, "\(r2.output)")
        let (server, port) = try Self.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let (trials, best, reports) = try s.reader().read { q in
            let st = try q.requireStudy(named: "demo")
            let best = try #require(try q.best(study: st, top: 1).first)
            return (try q.trials(studyID: st.id), best, try q.intermediates(trialID: best.id))
        }
        let rowNumbers = "Array.prototype.map.call(document.querySelectorAll('#trials-table tbody tr'), function (r) { return Number(r.getAttribute('data-trial')); })"
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/study?name=demo"], ["do": "wait", "seconds": 2],
            ["do": "eval", "name": "before", "js": rowNumbers],
            ["do": "drag", "selector": "[data-axis='x'] .pc-hit", "from": 0.15, "to": 0.6],
            ["do": "eval", "name": "after", "js": rowNumbers],
            ["do": "eval", "name": "brush", "js": "(function () { var b = document.querySelector(\"[data-axis='x'] .pc-brush\"), h = document.querySelector(\"[data-axis='x'] .pc-hit\"); return b && h ? [Number(h.getAttribute('y')), Number(h.getAttribute('height')), Number(b.getAttribute('y')), Number(b.getAttribute('height'))] : null; })()"],
            ["do": "eval", "name": "svgs", "js": "['pc','contour-svg','edf-svg','timeline-svg'].filter(function (id) { return document.getElementById(id); }).length"],
            ["do": "eval", "name": "stopOffered", "js": "!document.getElementById('stop-button').hidden"],
            ["do": "eval", "name": "figures", "js": "document.querySelectorAll('#figures-box section.fig svg').length"],
            ["do": "screenshot", "file": "study-brushed.png", "height": 1400],
            ["do": "eval", "name": "sorted", "js": "document.querySelector('#trials-table th[data-key=\"value\"]').click(); " + rowNumbers],
            ["do": "open", "url": base + "/trial?study=demo&n=\(best.number)"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "curves", "js": "Array.prototype.map.call(document.querySelectorAll('svg.metric-curve'), function (e) { return e.getAttribute('data-metric'); })"],
            ["do": "eval", "name": "trialSub", "js": "document.getElementById('trial-sub').getAttribute('data-state')"],
            ["do": "screenshot", "file": "trial.png", "height": 900],
            // (An unknown study among them is named, and the others compared: it blanked the page.)
            ["do": "open", "url": base + "/compare?study=demo&study=nosuch&study=other"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "compareSub", "js": "document.getElementById('compare-sub').textContent"],
            ["do": "eval", "name": "compared", "js": "Array.prototype.map.call(document.querySelectorAll('#compare-table tbody tr'), function (r) { return r.getAttribute('data-study'); })"],
            ["do": "eval", "name": "compareLines", "js": "document.querySelectorAll('#compare-svg path.compare-line').length"],
            ["do": "screenshot", "file": "compare.png", "height": 900],
            ["do": "open", "url": base + "/"], ["do": "wait", "seconds": 1.5],
            ["do": "eval", "name": "studies", "js": "document.querySelectorAll('#studies-table tbody tr').length"],
            ["do": "screenshot", "file": "studies.png", "height": 600],
        ], screenshots: Self.screenshots)
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        // (The unknown study's 404 is the only message.)
        #expect(browser.console.filter { !$0.contains("name=nosuch") }.isEmpty, "console: \(browser.console)")

        // The range is the band dragged over (15% to 60% of the axis; every move redraws the
        // plot, and the range once ran to the axis's end).
        let brush = browser.values["brush"] as? [Double] ?? []
        if brush.count == 4 {
            #expect(abs(brush[2] - (brush[0] + 0.15 * brush[1])) < 3 && abs(brush[3] - 0.45 * brush[1]) < 4, "axis \(brush[0])+\(brush[1]), range \(brush[2])+\(brush[3])")
        } else { Issue.record("no brushed range: \(String(describing: browser.values["brush"]))") }
        // Brushing the x axis keeps exactly the complete trials whose x lies in one range.
        let before = browser.values["before"] as? [Int] ?? []
        let after = browser.values["after"] as? [Int] ?? []
        #expect(before.count == trials.count)
        #expect(!after.isEmpty && after.count < before.count, "before \(before.count), after \(after.count)")
        let byNumber = Dictionary(uniqueKeysWithValues: trials.map { ($0.number, $0) })
        let xs = after.compactMap { byNumber[$0]?.params["x"]?.number }
        if let lo = xs.min(), let hi = xs.max() {
            let expected = trials.filter { $0.state == .complete && ($0.params["x"]?.number).map { $0 >= lo && $0 <= hi } == true }.map(\.number)
            #expect(Set(after) == Set(expected), "shown \(after.sorted()), expected \(expected.sorted())")
        }
        #expect(browser.values["svgs"] as? Int == 4, "parallel, contour, EDF and timeline")
        #expect((browser.values["figures"] as? Int ?? 0) >= 5, "the report's plots")
        // Sorting by value puts the shown trials best first.
        let sorted = browser.values["sorted"] as? [Int] ?? []
        let sortedValues = sorted.compactMap { byNumber[$0]?.value }
        #expect(sorted.count == after.count && sortedValues == sortedValues.sorted(), "\(sorted)")

        // The trial page draws every metric the trial reported; compare shows both studies.
        let metrics = Set(reports.flatMap { $0.metrics.keys })
        #expect(Set(browser.values["curves"] as? [String] ?? []) == metrics)
        #expect(browser.values["trialSub"] as? String == best.state.rawValue)
        #expect(browser.values["compared"] as? [String] == ["demo", "other"])
        // No coordinator here: no study page offers to stop one (each stopped the run's study).
        #expect(browser.values["stopOffered"] as? Bool == false)
        #expect((browser.values["compareSub"] as? String)?.hasSuffix("Not found: nosuch.") == true, "\(browser.values["compareSub"] ?? "")")
        #expect(browser.values["compareLines"] as? Int == 2)
        #expect(browser.values["studies"] as? Int == 2)

        // A trial named as `sweep show` names it: best, last, -1 (sent on to its number).
        #expect(HTTP.request(base + "/trial?study=demo&n=best")?.body.contains("data-trial=\"\(best.number)\"") == true)
        #expect(HTTP.request(base + "/trial?study=demo&n=-1")?.body.contains("data-trial=\"\(trials.count - 1)\"") == true)
        #expect(HTTP.request(base + "/trial?study=demo&n=last")?.body.contains("data-trial=\"\(trials.count - 1)\"") == true)
        #expect(HTTP.request(base + "/trial?study=demo&n=-999")?.status == 404)
        #expect(HTTP.request(base + "/trial?study=demo&n=first")?.status == 400)

        // Read-only: no token was given, so the stop action is refused.
        #expect(HTTP.request(base + "/api/stop", method: "POST")?.status == 403)
        #expect(HTTP.request(base + "/api/study?name=nope")?.status == 404)
        #expect(HTTP.request(base + "/api/study?name=demo")?.status == 200)
        #expect(HTTP.request(base + "/api/stop")?.status == 405, "GET never changes state")
        #expect(HTTP.request(base + "/api/studies/demo/enqueue")?.status == 405)

        // Ctrl-C ends it cleanly.
        kill(server.processIdentifier, SIGINT)
        #expect(Scratch.waitFor(timeout: 20) { !server.isRunning })
        server.waitUntilExit()
        #expect(server.terminationStatus == 0, "\(s.read("dashboard.log"))")
    }

    @Test func stoppingTheSweepNeedsTheToken() throws {
        let s = try Scratch("dashboard-token")
        defer { s.cleanUp() }
        let file = try s.write("slow.yaml", syntheticSweep(study: "slow", trials: 200, epochs: 4, sleep: 0.3))
        let token = "0123456789abcdef-test"
        let (run, port) = try Self.startWithDashboard(
            s, ["run", file, "--workers", "1", "--db", s.db, "--no-progress", "--dashboard", "127.0.0.1:0", "--dashboard-token", token,
                "--dashboard-linger", "4"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(HTTP.request(base + "/api/stop", method: "POST")?.status == 401)
        #expect(HTTP.request(base + "/api/stop", method: "POST", headers: ["Authorization": "Bearer wrong-token-0123456"])?.status == 401)
        // The page of another study may not stop this one (any study page stopped it).
        #expect(Scratch.waitFor(timeout: 30) { HTTP.request(base + "/api/coordinator")?.body.contains("\"study\":\"slow\"") == true })
        let other = HTTP.request(base + "/api/stop?study=other", method: "POST", headers: ["Authorization": "Bearer " + token])
        #expect(other?.status == 409 && other?.body.contains("runs study 'slow', not 'other': nothing was stopped") == true, "\(String(describing: other))")
        #expect(run.isRunning, "a refused request stopped the sweep")
        // The scheme's name in any case (RFC 7235).
        let accepted = HTTP.request(base + "/api/stop?study=slow", method: "POST", headers: ["Authorization": "bearer " + token])
        #expect(accepted?.status == 202, "\(accepted?.body ?? "no answer")")
        // Stopped from the dashboard, it lingers as after a finished sweep (the page that
        // stopped it sees the end): the coordinator is done, the dashboard still answers.
        #expect(Scratch.waitFor(timeout: 90) { HTTP.request(base + "/api/coordinator")?.body.contains("\"ended\":true") == true }, "\(s.read("run.log").suffix(1500))")
        #expect(Scratch.waitFor(timeout: 3) { HTTP.request(base + "/api/studies")?.body.contains("\"state\":\"INTERRUPTED\"") == true },
                "\(String(describing: HTTP.request(base + "/api/studies")))")
        #expect(Scratch.waitFor(timeout: 90) { !run.isRunning }, "the sweep did not stop")
        run.waitUntilExit()
        #expect(run.terminationStatus == 130, "stopped, not finished")
        #expect(s.read("run.log").contains("interrupted"), "\(s.read("run.log").suffix(1500))")
        let state = try s.reader().read { try $0.requireStudy(named: "slow").state }
        #expect(state != .finished)
    }

    @Test func listeningBeyondLoopbackNeedsATokenOrInsecure() throws {
        let s = try Scratch("dashboard-bind")
        defer { s.cleanUp() }
        let file = try s.write("x.yaml", syntheticSweep(study: "x", trials: 3))
        let run = try s.sweep(["run", file, "--db", s.db, "--dashboard", "0.0.0.0:0"])
        #expect(run.status == 2)
        #expect(run.output.contains("--dashboard '0.0.0.0:0' is beyond loopback: pass --dashboard-token TOKEN (state changes need it) or --dashboard-insecure"), "\(run.output)")
        let shortFlag = try s.sweep(["run", file, "--db", s.db, "--dashboard", "--dashboard-token", "short"])
        #expect(shortFlag.status == 2 && shortFlag.output.contains("--dashboard-token (or $SWEEP_DASHBOARD_TOKEN): at least 16 characters"), "\(shortFlag.output)")
        // A dashboard option without --dashboard is refused (it was ignored).
        for alone in [["--dashboard-linger", "5"], ["--dashboard-token", String(repeating: "t", count: 20)], ["--dashboard-insecure"], ["--dashboard-allow-host", "proxy"]] {
            let refused = try s.sweep(["run", file, "--db", s.db] + alone)
            #expect(refused.status == 2 && refused.output.contains("\(alone[0]) needs --dashboard"), "\(refused.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.db), "a refused command wrote the database")
        let bad = try s.sweep(["run", file, "--db", s.db, "--dashboard", "127.0.0.1:99999"])
        #expect(bad.status == 2 && bad.output.contains("port from 0 to 65535"), "\(bad.output)")
        // A ZeroMQ endpoint is said to be one (it was "beyond loopback", the host read as "tcp").
        let endpoint = try s.sweep(["dashboard", "--db", s.db, "--bind", "tcp://127.0.0.1:0"])
        #expect(endpoint.status == 2 && endpoint.output.contains("--bind 'tcp://127.0.0.1:0': the dashboard listens on HOST:PORT (HTTP), not a ZeroMQ endpoint; e.g. 127.0.0.1:0"), "\(endpoint.output)")
        // A database no sweep can create (its directory is missing) is not waited for.
        let missing = try s.sweep(["dashboard", "--db", "/nonexistent-\(getpid())/x.db", "--bind", "127.0.0.1:0"])
        #expect(missing.status == 2 && missing.output.contains("the directory /nonexistent-\(getpid()) does not exist"), "\(missing.output)")
        let r = try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"])
        try #require(r.status == 0, "\(r.output)")
        let dash = try s.sweep(["dashboard", "--db", s.db, "--bind", "0.0.0.0:0"])
        #expect(dash.status == 2 && dash.output.contains("--token"), "\(dash.output)")
        let short = try s.sweep(["dashboard", "--db", s.db, "--bind", "0.0.0.0:0", "--token", "short"])
        #expect(short.status == 2 && short.output.contains("--token (or $SWEEP_DASHBOARD_TOKEN): at least 16 characters"), "\(short.output)")
        // A token on the command line is in `ps` for every user of the host: said.
        #expect(short.output.contains("note: a token on the command line is visible to every user of this host (ps): set SWEEP_DASHBOARD_TOKEN instead"), "\(short.output)")
        // (A missing database is waited for: `pagesOfMissingStudiesAndTrialsSaySo`.) Another
        // program's file is refused.
        let foreign = try s.write("notes.txt", "hello\n")
        let refused = try s.sweep(["dashboard", "--db", foreign])
        #expect(refused.status == 2 && refused.output.contains("is not a Sweep database"), "\(refused.output)")
    }
}

/// Scrapes collected on another thread.
final class ScrapeLog: @unchecked Sendable {
    // Guarded by `lock`.
    private var items: [PrometheusText] = []
    private let lock = NSLock()

    func append(_ m: PrometheusText) { lock.lock(); items.append(m); lock.unlock() }
    var all: [PrometheusText] { lock.lock(); defer { lock.unlock() }; return items }
}

/// `--dashboard` with and without an address.
@Suite struct DashboardArgumentTests {
    @Test func aBareDashboardFlagGetsTheDefaultAddress() {
        #expect(DashboardFlags.normalize(["run", "f.yaml", "--dashboard"]) == ["run", "f.yaml", "--dashboard", "127.0.0.1:8080"])
        #expect(DashboardFlags.normalize(["run", "--dashboard", "f.yaml"]) == ["run", "--dashboard", "127.0.0.1:8080", "f.yaml"])
        #expect(DashboardFlags.normalize(["run", "--dashboard", "--workers", "2"]) == ["run", "--dashboard", "127.0.0.1:8080", "--workers", "2"])
        #expect(DashboardFlags.normalize(["run", "f.yaml", "--dashboard", "0.0.0.0:9000"]) == ["run", "f.yaml", "--dashboard", "0.0.0.0:9000"])
        #expect(DashboardFlags.normalize(["run", "f.yaml", "--dashboard", ":0"]) == ["run", "f.yaml", "--dashboard", ":0"])
    }
}

/// A study of thousands of trials lists the first 500 matching rows and more on request
/// (every row was drawn at every trial's end: a busy 6,000-trial page kept the browser 84%
/// busy).
@Suite struct DashboardLargeTableTests {
    @Test func theTrialsTableListsRowsInPages() throws {
        let s = try Scratch("dashboard-rows")
        defer { s.cleanUp() }
        _ = try ReportFixture.write(path: s.db, trials: 1_200, epochs: 1)
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let rows = "document.querySelectorAll('#trials-table tbody tr[data-trial]').length"
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": "http://127.0.0.1:\(port)/study?name=fixture"], ["do": "wait", "seconds": 3],
            ["do": "eval", "name": "first", "js": rows],
            ["do": "eval", "name": "shown", "js": "document.getElementById('trials-shown').textContent"],
            ["do": "eval", "name": "more", "js": "document.getElementById('more-rows').click(); " + rows],
            ["do": "eval", "name": "all", "js": "document.getElementById('more-rows').click(); " + rows + " + ':' + !!document.getElementById('more-rows')"],
        ], screenshots: DashboardTests.screenshots)
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect(browser.values["first"] as? Int == 500)
        #expect(browser.values["shown"] as? String == "1200 of 1200 trials shown (the first 500 listed)", "\(browser.values["shown"] ?? "")")
        #expect(browser.values["more"] as? Int == 1000)
        #expect(browser.values["all"] as? String == "1200:false", "\(browser.values["all"] ?? "")")
    }
}
