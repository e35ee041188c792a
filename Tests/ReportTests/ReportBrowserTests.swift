import Foundation
import Search
import Store
import Testing
@testable import SweepReport
@testable import SweepCLI

/// `sweep report` on a real sweep, opened in headless Chromium.
@Suite(.serialized) struct ReportBrowserTests {
    /// Colours of the plot marks (see ReportStyle): best/accent orange, prune-mark red, bars blue.
    static let accent = (221, 107, 32)
    static let pruneRed = (197, 48, 48)
    static let blue = (43, 108, 176)

    @Test func reportOfARealSweepRendersInChromiumAndItsNumbersMatchTheDatabase() throws {
        let s = try Scratch("browser")
        defer { s.cleanUp() }
        let file = try s.write("demo.yaml", syntheticSweep(study: "demo", trials: 40, epochs: 5))
        let run = try s.sweep(["run", file, "--workers", "2", "--db", s.db, "--no-progress"])
        try #require(run.status == 0, "sweep run failed:\n\(run.output)")
        let report = try s.sweep(["report", "demo", "--db", s.db, "--out", s.path("report.html")])
        try #require(report.status == 0, "sweep report failed:\n\(report.output)")
        #expect(report.output.contains("wrote \(s.path("report.html"))"))
        let page = s.read("report.html")

        // The numbers in the HTML are the database's.
        let (trials, counts, top, curves, study) = try s.reader().read { q in
            let st = try q.requireStudy(named: "demo")
            return (try q.trials(studyID: st.id), try q.stateCounts(studyID: st.id), try q.best(study: st, top: ReportPage.topTrials),
                    try q.allIntermediates(studyID: st.id), st)
        }
        let best = try #require(top.first)
        #expect(HTMLScan.dataValue(id: "best-value", in: page).flatMap(Double.init) == best.value)
        #expect(HTMLScan.dataValue(id: "best-trial", in: page) == "\(best.number)")
        #expect(page.contains(">\(Fmt.value(best.value))</span>"), "the best value as printed by `sweep best`")
        #expect(HTMLScan.dataValue(id: "trial-count", in: page) == "\(trials.count)")
        #expect(trials.count == 40)
        for (id, state) in [("count-complete", TrialState.complete), ("count-pruned", .pruned), ("count-fail", .fail), ("count-running", .running)] {
            #expect(HTMLScan.dataValue(id: id, in: page) == "\(counts[state] ?? 0)", "\(id)")
        }
        let rows = HTMLScan.all("(<tr(?: class=\"best\")? data-trial=\"[0-9]+\" data-value=\"[^\"]+\">.*?</tr>)", in: page)
        #expect(rows.count == top.count)
        for (row, t) in zip(rows, top) {
            #expect(HTMLScan.first("data-trial=\"([0-9]+)\"", in: row) == "\(t.number)")
            #expect(HTMLScan.first("data-value=\"([^\"]+)\"", in: row).flatMap(Double.init) == t.value)
            #expect(row.contains("<td class=\"num value\" data-sort=\"\(t.value!)\">\(Fmt.value(t.value))</td>"))
            for name in ["x", "y", "z"] {
                let cell = HTMLScan.first("data-param=\"\(name)\" data-sort=\"([^\"]+)\"", in: row).flatMap(Double.init)
                #expect(cell != nil && cell == t.params[name]?.number, "trial \(t.number) \(name)")
            }
        }
        let pruned = trials.filter { $0.state == .pruned }
        #expect(!pruned.isEmpty, "the median pruner pruned nothing; the curves plot would not show its marks")
        let marks = try #require(HTMLScan.paths("prune-mark", in: page).first)
        #expect(HTMLScan.count("M", in: marks) == 2 * pruned.filter { curves[$0.number]?.isEmpty == false }.count)
        let observations = trials.filter { $0.state == .complete }.map { ImportanceObservation(params: $0.params, value: $0.value!) }
        let importance = ImportanceAnalysis.compute(space: study.definition.space, observations: observations)
        #expect(HTMLScan.all("<tr data-param=\"([^\"]+)\" data-share=", in: page) == importance.map(\.name))
        #expect(page.contains(html(study.definition.sweepFile)))

        // Chromium: the page loads without console messages or errors, with every plot in the DOM.
        let chromium = Chromium(scratch: s)
        let url = URL(fileURLWithPath: s.path("report.html")).absoluteString
        let dom = try chromium.dumpDOM(url)
        #expect(dom.status == 0, "\(dom.log.suffix(3000))")
        #expect(dom.consoleLines.isEmpty, "console: \(dom.consoleLines)")
        #expect(dom.stdout.contains("id=\"top-trials-table\""))
        #expect(HTMLScan.count("<svg", in: dom.stdout) == HTMLScan.count("<svg", in: page))
        #expect(HTMLScan.count("<svg", in: page) == 4 + 3, "history, curves, parallel, importance and one slice per parameter")

        // One screenshot per plot (report.html#ID shows that figure alone); each has coloured marks.
        let expectations: [(String, (Int, Int, Int), Int)] = [
            ("history", Self.accent, 40), ("curves", Self.pruneRed, 20), ("parallel", Self.accent, 40),
            ("importance", Self.blue, 200), ("slices", Self.accent, 10),
        ]
        for (id, color, minimum) in expectations {
            let (image, result) = try chromium.screenshot(url + "#" + id, name: "\(id).png")
            #expect(result.consoleLines.isEmpty, "\(id): \(result.consoleLines)")
            #expect(image.nonBackground > 2000, "\(id): \(image.nonBackground) non-background pixels")
            #expect(image.saturated > 300, "\(id): \(image.saturated) coloured pixels")
            let marks = image.near(color.0, color.1, color.2)
            #expect(marks >= minimum, "\(id): \(marks) pixels of its mark colour \(color)")
            if id == "importance" {
                // Only that figure is shown: no orange from the other plots.
                #expect(image.near(Self.accent.0, Self.accent.1, Self.accent.2) == 0)
            }
        }
    }

    @Test func injectedMarkupInTheStudyStaysTextInTheBrowser() throws {
        let s = try Scratch("browser-escape")
        defer { s.cleanUp() }
        let space = try ReportFixture.space(paramName: "opt<script>console.error(1)</script>",
                                            choices: [.string("<img src=x onerror=console.error(2)>"), .string("b")])
        try ReportFixture.write(path: s.db, name: "x\"><script>console.error(3)</script>", metric: "loss", trials: 20, epochs: 3,
                                sweepFile: "</pre><script>console.error(\"injected\")</script>", space: space)
        let report = try s.sweep(["report", "x\"><script>console.error(3)</script>", "--db", s.db, "--out", s.path("r.html")])
        try #require(report.status == 0, "\(report.output)")
        let dom = try Chromium(scratch: s).dumpDOM(URL(fileURLWithPath: s.path("r.html")).absoluteString)
        #expect(dom.status == 0)
        #expect(dom.consoleLines.isEmpty, "markup from the database ran: \(dom.consoleLines)")
        #expect(HTMLScan.count("<script", in: dom.stdout) == 1)
        #expect(HTMLScan.count("<img", in: dom.stdout) == 0)
    }
}
