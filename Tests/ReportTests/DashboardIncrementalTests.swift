import Foundation
import Search
import Store
import Synchronization
import Testing
@testable import SweepDashboard

/// The study JSON's `since` cursor: after the first load a page gets only the trials that
/// changed, and merging those answers (as the page's script does) gives what a full load gives.
@Suite struct DashboardIncrementalTests {
    /// A study of `n` trials: all leased once; every third finished, trial 1 failed.
    static func makeStudy(_ s: Scratch, trials n: Int) throws -> (store: SweepStore, study: Int64, trials: [Int64]) {
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil))])
        let store = try SweepStore.open(path: s.db)
        let (study, ids) = try store.write { tx in
            let st = try tx.createStudy(NewStudy(name: "inc", direction: .minimize, metric: "loss", sweepFile: "study: inc\n", space: space,
                                                 seed: 1, budgetTrials: 100), at: 1000)
            return (st.id, try (0..<n).map { i -> Int64 in
                let id = try tx.insertTrial(studyID: st.id, number: i, state: .waiting, params: ["x": .double(Double(i) / 100)],
                                            seed: UInt64(i), at: 1000 + Double(i), leasedTo: "w\(i % 2)")
                if i % 3 == 0 {
                    try tx.finishTrial(trialID: id, attempt: 1, state: .complete, value: Double(i), metrics: ["loss": Double(i)], at: 1001 + Double(i))
                } else if i == 1 {
                    try tx.finishTrial(trialID: id, attempt: 1, state: .fail, value: nil, metrics: nil, error: "boom", at: 1001)
                }
                return id
            })
        }
        return (store, study, ids)
    }

    /// One change of each kind the coordinator makes, finished trials included: trials 1, 2,
    /// 4, 5, 7 and 9 change and trial 12 is new.
    static func changeOneOfEachKind(_ store: SweepStore, study: Int64, _ ids: [Int64]) throws {
        try store.write { tx in
            try tx.recordReport(trialID: ids[2], IntermediateRecord(step: 1, attempt: 1, value: 5, metrics: ["loss": 5], pruned: false, reason: nil, recordedAt: 2000))
            try tx.finishTrial(trialID: ids[4], attempt: 1, state: .pruned, value: 7, metrics: nil, pruneReason: "median", at: 2001)
            try tx.endAttempt(trialID: ids[5], attempt: 1, outcome: .stale, at: 2002)   // attempts only
            try tx.startAttempt(trialID: ids[7], attempt: 2, worker: "w9", at: 2003)
            try tx.forgiveFailures(trialID: ids[1], worker: "w1")                      // FAIL becomes STALE
            try tx.setTrialParams(trialID: ids[9], ["x": .double(0.5)])                 // a finished trial's row
            _ = try tx.insertTrial(studyID: study, number: 12, state: .waiting, params: ["x": .double(0.3)], seed: 12, at: 2004, leasedTo: nil)
        }
    }

    static func object(_ data: Data?) throws -> [String: Any] {
        let data = try #require(data)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The page's merge (`mergeStudy` in the dashboard's script): trials replaced by number,
    /// each changed trial's attempts replaced whole; a full answer starts over.
    struct Page {
        var cursor: String?
        var trials: [Int: [String: Any]] = [:]
        var attempts: [Int: [[String: Any]]] = [:]

        mutating func merge(_ d: [String: Any]) {
            if d["full"] as? Bool == true { trials = [:]; attempts = [:] }
            for t in d["trials"] as? [[String: Any]] ?? [] {
                let n = t["number"] as! Int
                trials[n] = t
                attempts[n] = []
            }
            for a in d["attempts"] as? [[String: Any]] ?? [] { attempts[a["trial"] as! Int]!.append(a) }
            cursor = d["cursor"] as? String
        }

        /// Trials and attempts in the order of a full answer, as canonical JSON.
        var canonical: String {
            let numbers = trials.keys.sorted()
            let all: [String: Any] = ["trials": numbers.map { trials[$0]! }, "attempts": numbers.flatMap { attempts[$0]! }]
            return String(decoding: try! JSONSerialization.data(withJSONObject: all, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    static func numbers(_ d: [String: Any]) -> Set<Int> {
        Set((d["trials"] as? [[String: Any]] ?? []).map { $0["number"] as! Int })
    }

    @Test func anIncrementalAnswerCarriesExactlyTheChangedTrialsAndMergesToAFullLoad() throws {
        let s = try Scratch("dashboard-incremental")
        defer { s.cleanUp() }
        let (store, study, ids) = try Self.makeStudy(s, trials: 12)
        // Reread whole on every request, so each answer sees the writes before it.
        let feed = StudyFeed(databasePath: s.db, maxAge: 0, costFactor: 0, fullRereadAge: 0)
        var page = Page()
        let first = try Self.object(try feed.study("inc", since: nil))
        #expect(first["full"] as? Bool == true)
        #expect(Self.numbers(first) == Set(0..<12))
        page.merge(first)

        // Nothing changed: nothing sent, the summary still is.
        let idle = try Self.object(try feed.study("inc", since: page.cursor))
        #expect(idle["full"] as? Bool == false && Self.numbers(idle).isEmpty && idle["summary"] != nil)
        page.merge(idle)

        try Self.changeOneOfEachKind(store, study: study, ids)
        let changed = try Self.object(try feed.study("inc", since: page.cursor))
        #expect(changed["full"] as? Bool == false)
        #expect(Self.numbers(changed) == [1, 2, 4, 5, 7, 9, 12], "every changed trial, and only those")
        page.merge(changed)
        let t5 = try #require((changed["attempts"] as? [[String: Any]])?.first { $0["trial"] as? Int == 5 })
        #expect(t5["outcome"] as? String == "STALE")

        var fresh = Page()
        fresh.merge(try Self.object(try feed.study("inc", since: nil)))
        #expect(page.canonical == fresh.canonical)
        #expect(page.trials[12] != nil && page.attempts[7]?.count == 2)
    }

    /// Between full rereads the log reads only the new trials, the ones it last saw
    /// unsettled, the unfinished ones and those an event names: it still sees every change
    /// the coordinator makes, old trials included; a finished trial edited without an event
    /// waits for the next full reread.
    @Test func anIncrementalRereadSeesTheCoordinatorsChangesAndTheFullRereadTheRest() throws {
        let s = try Scratch("dashboard-partial")
        defer { s.cleanUp() }
        let (store, study, ids) = try Self.makeStudy(s, trials: 12)
        var log = StudyLog(studyID: study, createdAt: 0)
        let encoder = StudyFeed.encoder()
        func reread(full: Bool) throws -> [String: Any] {
            let cursor = "\(log.token).\(log.sequence)"
            #expect(try store.read { q in try log.update(q, encoder: encoder, full: full) })
            return try Self.object(log.answer(since: cursor))
        }
        #expect(try store.read { q in try log.update(q, encoder: encoder, full: true) })
        var page = Page()
        page.merge(try Self.object(log.answer(since: nil)))
        // Trial 10 finishes but its attempt is closed in a later commit.
        try store.write { tx in try tx.finishTrial(trialID: ids[10], attempt: 0, state: .complete, value: 3, metrics: nil, at: 1500) }
        var d = try reread(full: false)
        #expect(Self.numbers(d) == [10])
        page.merge(d)
        try store.write { tx in try tx.endAttempt(trialID: ids[10], attempt: 1, outcome: .complete, at: 1501) }
        d = try reread(full: false)
        #expect(Self.numbers(d) == [10], "the open attempt of a finished trial is watched")
        page.merge(d)

        try Self.changeOneOfEachKind(store, study: study, ids)
        // A finished trial promoted, run and finished again between two rereads: its event names it.
        try store.write { tx in
            try tx.startAttempt(trialID: ids[3], attempt: 2, worker: "w0", resumedFrom: 1, at: 2010)
            try tx.finishTrial(trialID: ids[3], attempt: 2, state: .complete, value: 1, metrics: nil, at: 2011)
            try tx.appendEvent(studyID: study, kind: .promoted, trialNumber: 3, message: "trial 3 promoted", at: 2010)
        }
        d = try reread(full: false)
        #expect(Self.numbers(d) == [1, 2, 3, 4, 5, 7, 12], "all but trial 9, finished and edited without an event")
        page.merge(d)
        #expect(Self.numbers(try reread(full: false)).isEmpty)
        d = try reread(full: true)
        #expect(Self.numbers(d) == [9], "the full reread catches the rest")
        page.merge(d)

        var fresh = Page()
        fresh.merge(try Self.object(try StudyFeed(databasePath: s.db).study("inc", since: nil)))
        #expect(page.canonical == fresh.canonical)
        #expect(page.attempts[3]?.count == 2 && page.trials[3]?["value"] as? Double == 1)
    }

    @Test func aCursorOfAnotherDashboardOrNoneAtAllGetsTheFullAnswer() throws {
        let s = try Scratch("dashboard-cursor")
        defer { s.cleanUp() }
        _ = try Self.makeStudy(s, trials: 5)
        let feed = StudyFeed(databasePath: s.db, maxAge: 0, costFactor: 0)
        let cursor = try #require(try Self.object(try feed.study("inc"))["cursor"] as? String)
        // A restarted dashboard has a new log: its cursor tokens differ.
        let restarted = StudyFeed(databasePath: s.db, maxAge: 0, costFactor: 0)
        for since in [cursor, "garbage", "", cursor + "9"] {
            let d = try Self.object(try restarted.study("inc", since: since))
            #expect(d["full"] as? Bool == true && Self.numbers(d) == Set(0..<5), "since \(since)")
        }
        #expect(try feed.study("nope", since: cursor) == nil)
    }

    @Test func aStampChangesWithTheLeastChangeOfARowAndOnlyThen() throws {
        let s = try Scratch("dashboard-stamps")
        defer { s.cleanUp() }
        let (store, study, ids) = try Self.makeStudy(s, trials: 3)
        func stamps() throws -> [RowStamp] {
            try store.read { q in try q.stampedTrials(studyID: study) { _, _ in false }.map(\.stamp) }
        }
        let first = try stamps()
        #expect(try stamps() == first)
        // 0.1 and the next double print alike with 15 digits: the stamp must still differ.
        try store.write { tx in try tx.finishTrial(trialID: ids[0], attempt: 1, state: .complete, value: 0.1, metrics: nil, at: 3000) }
        let a = try stamps()
        try store.write { tx in try tx.finishTrial(trialID: ids[0], attempt: 1, state: .complete, value: 0.1.nextUp, metrics: nil, at: 3000) }
        let b = try stamps()
        #expect(a[0] != first[0] && b[0] != a[0])
        #expect(b[1...] == first[1...], "the other trials did not change")
    }

    @Test func theAttemptQueryLeavesTheOutputTailsToTheTrialPage() throws {
        let s = try Scratch("dashboard-tails")
        defer { s.cleanUp() }
        let (store, study, ids) = try Self.makeStudy(s, trials: 2)
        try store.write { tx in try tx.setAttemptLogTail(trialID: ids[1], attempt: 1, "a long output") }
        let (all, one) = try store.read { q in (try q.allAttempts(studyID: study), try q.attempts(trialID: ids[1])) }
        #expect(one.first?.logTail == "a long output")
        #expect(all[1]?.first?.logTail == nil && all[1]?.first?.worker == "w1")
    }

    @Test func theStudyPageMergesTheChangesIntoWhatAReloadShows() throws {
        let s = try Scratch("dashboard-merge")
        defer { s.cleanUp() }
        let (store, study, ids) = try Self.makeStudy(s, trials: 12)
        let (server, port) = try DashboardTests.startWithDashboard(s, ["dashboard", "--db", s.db, "--bind", "127.0.0.1:0"], log: "dashboard.log")
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        // The changes land once the page has shown the study (its screenshot is the signal).
        let signal = DashboardTests.screenshots + "/merge-before.png"
        try? FileManager.default.removeItem(atPath: signal)
        let wrote = Mutex<Bool>(false)
        let writer = Thread {
            guard Scratch.waitFor(timeout: 120, { FileManager.default.fileExists(atPath: signal) }) else { return }
            if (try? Self.changeOneOfEachKind(store, study: study, ids)) != nil { wrote.withLock { $0 = true } }
        }
        writer.start()
        let rows = "Array.prototype.map.call(document.querySelectorAll('#trials-table tbody tr[data-trial]'), function (r) { return r.getAttribute('data-trial') + ':' + r.getAttribute('data-state'); })"
        let bars = "Array.prototype.map.call(document.querySelectorAll('rect.gantt[data-trial]'), function (r) { return r.getAttribute('data-trial') + ':' + r.getAttribute('class'); }).sort()"
        let browser = try BrowserSession(scratch: s).run([
            ["do": "open", "url": base + "/study?name=inc"], ["do": "wait", "seconds": 2],
            ["do": "eval", "name": "before", "js": rows],
            ["do": "screenshot", "file": "merge-before.png", "height": 400],
            ["do": "wait", "seconds": 5],
            ["do": "eval", "name": "after", "js": rows], ["do": "eval", "name": "bars", "js": bars],
            ["do": "open", "url": base + "/study?name=inc"], ["do": "wait", "seconds": 2],
            ["do": "eval", "name": "reloaded", "js": rows], ["do": "eval", "name": "reloadedBars", "js": bars],
        ], screenshots: DashboardTests.screenshots)
        Scratch.waitFor(timeout: 10) { writer.isFinished }
        #expect(wrote.withLock { $0 }, "the changes were not written")
        #expect(browser.errors.isEmpty, "\(browser.errors)")
        #expect(browser.console.isEmpty, "console: \(browser.console)")
        let before = browser.values["before"] as? [String] ?? [], after = browser.values["after"] as? [String] ?? []
        #expect(before.count == 12 && before.contains("1:FAIL") && before.contains("4:RUNNING"), "\(before)")
        #expect(after.count == 13 && after.contains("12:WAITING") && after.contains("4:PRUNED") && after.contains("1:STALE"), "\(after)")
        #expect(Set(after) == Set(browser.values["reloaded"] as? [String] ?? ["none"]))
        // One bar per attempt: 12 first leases and trial 7's second.
        let merged = browser.values["bars"] as? [String] ?? []
        #expect(merged.count == 13 && merged == browser.values["reloadedBars"] as? [String], "\(merged) vs \(browser.values["reloadedBars"] ?? "")")
    }
}

extension DashboardIncrementalTests {
    /// A study deleted and created again under its name gets the deleted one's id from
    /// SQLite: the feed starts a new log for it, so no trial of the deleted study is shown
    /// (its trials 2 and 3, loss 100, stayed until the full reread 30 s later).
    @Test func aStudyCreatedAgainUnderItsNameShowsOnlyItsOwnTrials() throws {
        let s = try Scratch("dashboard-recreated")
        defer { s.cleanUp() }
        let (store, old, ids) = try Self.makeStudy(s, trials: 4)
        try store.write { tx in // all settled: an incremental reread asks for none of them again
            for i in [2, 3] { try tx.finishTrial(trialID: ids[i], attempt: 1, state: .complete, value: 100, metrics: ["loss": 100], at: 1100) }
        }
        let feed = StudyFeed(databasePath: s.db, maxAge: 0, costFactor: 0, fullRereadAge: 3600)
        let first = try Self.object(try #require(try feed.study("inc")))
        #expect((first["trials"] as? [[String: Any]])?.count == 4)
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil))])
        let new = try store.write { tx in
            try tx.deleteStudy(old)
            let st = try tx.createStudy(NewStudy(name: "inc", direction: .minimize, metric: "loss", sweepFile: "study: inc\n", space: space,
                                                 seed: 2, budgetTrials: 2), at: 5000)
            for i in 0..<2 {
                let id = try tx.insertTrial(studyID: st.id, number: i, state: .waiting, params: ["x": .double(0.5)], seed: 9, at: 5000, leasedTo: "w")
                try tx.finishTrial(trialID: id, attempt: 1, state: .complete, value: 5, metrics: ["loss": 5], at: 5001)
            }
            return st.id
        }
        #expect(new == old, "SQLite reuses the id (the case this test is about)")
        let answer = try Self.object(try #require(try feed.study("inc")))
        let trials = answer["trials"] as? [[String: Any]] ?? []
        #expect(trials.count == 2 && trials.allSatisfy { $0["value"] as? Double == 5 }, "\(trials)")
    }

    /// A Population Based Training study's lineage (the report's exploit/explore table and
    /// every member's schedules) is on the dashboard with the report's plots; a study
    /// without one has none. A change reads from the source's value (`x1.2` multiplied
    /// trial 1's 0.01), the member's own after "before" (it showed 0.02 → 0.012 (x1.2)).
    @Test func theDashboardShowsAPopulationsLineage() throws {
        let s = try Scratch("dashboard-lineage")
        defer { s.cleanUp() }
        let (store, study, _) = try Self.makeStudy(s, trials: 4)
        let feed = StudyFeed(databasePath: s.db, maxAge: 0, costFactor: 0)
        let before = try #require(try feed.figures("inc"))
        #expect(!before.contains("id=\"lineage\"") && before.contains("section class=\"part fig\""))
        #expect(try Self.object(try #require(try feed.trial("inc", number: 2)))["lineage"] == nil, "no lineage without PBT")
        try store.write { tx in
            _ = try tx.recordLineage(studyID: study, LineageStep(sequence: 0, member: 2, epoch: 4, source: 1, sourceEpoch: 4, oldParams: ["x": .double(0.02)],
                                                                 params: ["x": .double(0.012)], changes: ["x": "x1.2"]), at: 3000)
        }
        let after = try #require(try StudyFeed(databasePath: s.db, maxAge: 0, costFactor: 0).figures("inc"))
        #expect(after.contains("id=\"lineage-table\"") && after.contains("id=\"schedules-table\""), "\(after.suffix(2000))")
        #expect(after.contains("<td class=\"num\">2</td><td class=\"num\">4</td><td class=\"num\">1</td><td class=\"num\">4</td><td>x: 0.01 → 0.012 (x1.2; before: 0.02)</td>"), "\(after.suffix(1500))")
        // The member's own page has its lineage too (it had parameters, curves and attempts only).
        let fresh = StudyFeed(databasePath: s.db, maxAge: 0, costFactor: 0)
        let member = try Self.object(try #require(try fresh.trial("inc", number: 2)))
        let lineage = try #require(member["lineage"] as? [String: Any], "\(member.keys)")
        let steps = lineage["steps"] as? [[String: Any]] ?? []
        #expect(steps.count == 1 && steps.first?["sourceTrial"] as? Int == 1 && steps.first?["changes"] as? String == "x: 0.01 → 0.012 (x1.2; before: 0.02)", "\(lineage)")
        // (The fixture's trials record no epochs: no schedule segments, but the lists are there.)
        #expect(lineage["effectiveSchedule"] is [Any] && lineage["schedule"] is [Any], "\(lineage)")
        let other = try Self.object(try #require(try fresh.trial("inc", number: 0)))
        #expect(((other["lineage"] as? [String: Any])?["steps"] as? [Any])?.count == 0, "\(other)")
    }
}

extension DashboardIncrementalTests {
    /// A sweep without a budget (a W&B file without `run_cap`) is no "12/1000000" on the
    /// dashboard: the summary says it has none.
    @Test func aStudyWithoutABudgetSaysSo() throws {
        let s = try Scratch("dashboard-unbudgeted")
        defer { s.cleanUp() }
        let space = try SearchSpace([Parameter(name: "x", distribution: .uniform(low: 0, high: 1, step: nil))])
        let store = try SweepStore.open(path: s.db)
        try store.write { tx in
            _ = try tx.createStudy(NewStudy(name: "capped", direction: .minimize, metric: "loss", sweepFile: "", space: space, seed: 1, budgetTrials: 50), at: 1)
            _ = try tx.createStudy(NewStudy(name: "open", direction: .minimize, metric: "loss", sweepFile: "", space: space, seed: 1, budgetTrials: TrialBudget.max), at: 2)
        }
        let list = String(decoding: try StudyFeed(databasePath: s.db).studies(), as: UTF8.self)
        #expect(list.contains(#""budget":50,"budgeted":true"#) && list.contains(#""budget":1000000,"budgeted":false"#), "\(list)")
    }
}
