import Foundation
import Search
import Store
import Testing
@testable import SweepReport
@testable import SweepCLI

/// The report's HTML, rendered in-process from studies written straight into a database.
@Suite struct ReportContentTests {
    static func render(_ store: SweepStore, study: String = "fixture") throws -> (ReportData, String) {
        let data = try ReportData.load(store.reader, study: study, databasePath: "test.db", now: 1_800_000_000)
        return (data, ReportPage.render(data, version: "test"))
    }

    @Test func hostileTextFromTheDatabaseIsEscapedEverywhere() throws {
        let s = try Scratch("escape")
        defer { s.cleanUp() }
        let evil = "<img src=x onerror=alert(1)>"
        let space = try ReportFixture.space(paramName: "opt<i>", choices: [.string(evil), .string("a\"b'c&d")])
        let store = try ReportFixture.write(path: s.db, name: "<b>bold</b> & co", metric: "loss<&>", trials: 30, epochs: 3,
                                            sweepFile: "study: x\n</pre><script>console.error(\"injected\")</script>\n", space: space)
        let (_, page) = try Self.render(store, study: "<b>bold</b> & co")
        #expect(!page.contains("<img"))
        #expect(!page.contains("<b>bold"))
        #expect(!page.contains("<i>"))
        #expect(!page.contains("console.error(\"injected\")"))
        #expect(!page.contains("loss<&>"))
        #expect(HTMLScan.count("<script", in: page) == 1, "only the report's own script")
        #expect(page.contains("&lt;/pre&gt;&lt;script&gt;console.error(&quot;injected&quot;)&lt;/script&gt;"))
        #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(page.contains("a&quot;b&#39;c&amp;d"))
        #expect(page.contains("<title>&lt;b&gt;bold&lt;/b&gt; &amp; co · sweep report</title>"))
    }

    /// A categorical number in the top-trials table prints as `sweep best` prints it
    /// (`1.23e-30`; the axis label's `1.23457e-30` went into the table).
    @Test func categoricalNumbersInTheTopTrialsTableAreFormattedAsEverywhere() throws {
        let s = try Scratch("categorical-number")
        defer { s.cleanUp() }
        let space = try ReportFixture.space(paramName: "eps", choices: [.double(1.23456789e-30), .double(0.5)])
        let (_, page) = try Self.render(try ReportFixture.write(path: s.db, trials: 12, epochs: 2, space: space))
        let table = try #require(HTMLScan.first("(<table class=\"data sortable-table\" id=\"top-trials-table\">.*?</table>)", in: page))
        #expect(table.contains(">\(Fmt.param(.double(1.23456789e-30)))</td>") && Fmt.param(.double(1.23456789e-30)) == "1.23e-30", "\(table.prefix(2000))")
        #expect(!table.contains("1.23457e-30"))
    }

    @Test func theFileIsSelfContained() throws {
        let s = try Scratch("self-contained")
        defer { s.cleanUp() }
        let (_, page) = try Self.render(try ReportFixture.write(path: s.db, trials: 40, epochs: 4))
        // The only URL is the SVG namespace, which browsers never fetch.
        let urls = Set(HTMLScan.all("(https?://[^\"' )]+)", in: page))
        #expect(urls == ["http://www.w3.org/2000/svg"], "\(urls)")
        #expect(!page.contains(" src="))
        #expect(!page.contains("<link"))
        #expect(!page.contains("@import"))
        #expect(!page.contains("url("))
    }

    @Test func logCategoricalAndConditionalParametersAreDrawnSensibly() throws {
        let s = try Scratch("axes")
        defer { s.cleanUp() }
        let store = try ReportFixture.write(path: s.db, trials: 120, epochs: 4)
        let (data, page) = try Self.render(store)
        let parallel = try #require(HTMLScan.first("(<section class=\"part fig\" id=\"parallel\">.*?</section>)", in: page))
        // Long dotted names are shortened on axes, log parameters get log axes with decade ticks.
        #expect(parallel.contains(">learning_rate (log)</text>"))
        #expect(parallel.contains(">1e-5</text>") && parallel.contains(">0.01</text>"))
        // Categories by name, and a count of the trials where the conditional momentum was inactive.
        #expect(parallel.contains(">sgd</text>") && parallel.contains(">adam</text>"))
        #expect(HTMLScan.count(">inactive in ", in: parallel) == 1)
        let active = data.complete.filter { $0.params["momentum"] != nil }.count
        let slices = try #require(HTMLScan.first("(<section class=\"part fig\" id=\"slices\">.*?</section>)", in: page))
        #expect(slices.contains(">active in \(active)/\(data.complete.count)</text>"))
        #expect(HTMLScan.count("<svg class=\"plot slice\"", in: slices) == 4)
        // Top trials: inactive parameters say so.
        let adamRows = data.top(ReportPage.topTrials).filter { $0.params["momentum"] == nil }.count
        #expect(HTMLScan.count("class=\"param inactive\" data-param=\"momentum\"", in: page) == adamRows)
    }

    @Test func pruneMarksAndHistoryPointsMatchTheTrials() throws {
        let s = try Scratch("marks")
        defer { s.cleanUp() }
        let store = try ReportFixture.write(path: s.db, trials: 90, epochs: 6)
        let (data, page) = try Self.render(store)
        let pruned = data.trials.filter { $0.state == .pruned }
        #expect(!pruned.isEmpty)
        // One cross (two strokes) per pruned trial, at its last epoch.
        let marks = try #require(HTMLScan.paths("prune-mark", in: page).first)
        #expect(HTMLScan.count("M", in: marks) == 2 * pruned.count)
        // One point per complete trial (plus off-scale triangles, none here).
        #expect(HTMLScan.all("(<circle class=\"pt\"[^>]*><title>trial)", in: page).count == data.complete.count)
        // The pruned-at histogram adds up.
        let histogram = try #require(HTMLScan.first("Pruned at epoch: ([^.]*)\\.", in: page))
        let total = histogram.split(separator: ",").compactMap { Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }.reduce(0, +)
        #expect(total == pruned.count)
    }

    @Test func tenThousandTrialsGiveASmallFileThatSaysWhatWasThinned() throws {
        let s = try Scratch("10k")
        defer { s.cleanUp() }
        let store = try ReportFixture.write(path: s.db, trials: 10_000, epochs: 8)
        let (data, page) = try Self.render(store)
        #expect(data.trials.count == 10_000)
        let megabytes = Double(page.utf8.count) / 1_048_576
        #expect(megabytes < 3, "report is \(megabytes) MB")
        #expect(page.contains("Showing \(CurvesPlot.maxCurves) of "))
        #expect(page.contains("Showing \(ParallelPlot.maxLines) of \(data.complete.count) trials"))
        #expect(page.contains("Showing ") && page.contains("trials per slice"))
        let curves = HTMLScan.count("<path class=\"curve", in: page)
        #expect(curves <= CurvesPlot.maxCurves + 1)
        // Every pruned trial still has its cross.
        let marks = try #require(HTMLScan.paths("prune-mark", in: page).first)
        #expect(HTMLScan.count("M", in: marks) == 2 * data.count(.pruned))
    }

    @Test func aStudyWithoutFinishedTrialsRendersMessages() throws {
        let store = try SweepStore.inMemory()
        try store.write { tx in
            let st = try tx.createStudy(NewStudy(name: "fresh", direction: .maximize, metric: "acc", sweepFile: "study: fresh\n",
                                                 space: try ReportFixture.space(), seed: 1, budgetTrials: 5), at: 1)
            try tx.insertTrial(studyID: st.id, number: 0, state: .running, params: ["units": .int(32)], seed: 1, at: 2, leasedTo: "w")
        }
        let data = try ReportData.load(store.reader, study: "fresh", databasePath: ":memory:", now: 10)
        let page = ReportPage.render(data, version: "test")
        #expect(page.contains("No complete trial yet."))
        #expect(page.contains("Needs at least 3 complete trials (has 0)."))
        #expect(HTMLScan.dataValue(id: "trial-count", in: page) == "1")
        #expect(HTMLScan.dataValue(id: "count-running", in: page) == "1")
    }

    @Test func ticksAreRoundAndLabelsShort() {
        #expect(Ticks.linear(0, 1, count: 5).map { ($0 * 10).rounded() / 10 } == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(Ticks.linear(-2, 2, count: 4) == [-2, -1, 0, 1, 2])
        #expect(Ticks.log(1e-5, 1e-1, count: 6) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
        #expect(Ticks.log(0.01, 3, count: 5) == [0.01, 0.1, 1])
        #expect(Ticks.log(0.5, 30, count: 5) == [0.5, 1, 2, 5, 10, 20])
        #expect(Ticks.logLabel(1e-5) == "1e-5")
        #expect(Ticks.logLabel(0.01) == "0.01")
        #expect(Ticks.logLabel(1e6) == "1e6")
        #expect(Ticks.label(0.30000000000000004, step: 0.1) == "0.3")
        #expect(Ticks.label(1500, step: 500) == "1500")
        let s = Scale(kind: .log, low: 1e-4, high: 1e-1, start: 0, end: 300)
        #expect(abs(s(1e-3) - 100) < 1e-9 && abs(s(1e-2) - 200) < 1e-9)
    }
}
