import Foundation
import Search

/// Parameter importance as horizontal bars, most important first.
enum ImportancePlot {
    static func figure(_ data: ReportData) -> Figure {
        let n = data.complete.count
        let caption = "How much of the variation in \(data.metric) each parameter explains on its own, over \(n) complete trials"
            + " (variance of the objective's ranks between bins of the parameter, corrected for chance; shares sum to 100%)."
            + " A guide, not a proof: interactions and correlated sampling are not separated (see docs/cli.md, \"sweep report\")."
        guard !data.importance.isEmpty else {
            return Figure(id: "importance", title: "Parameter importance", caption: caption,
                          content: emptyMessage(data.parameters.isEmpty ? "The study searches no parameter." : "Needs at least 3 complete trials (has \(n))."))
        }
        let rows = data.importance
        let W = 900.0, rowH = 26.0
        let H = Double(rows.count) * rowH + 50
        let labelW = 230.0
        let frame = Frame(width: W, height: H, margin: (10, 90, 34, labelW))
        var svg = SVG(width: W, height: H)
        let maxShare = max(0.05, rows.map(\.share).max() ?? 0)
        let x = Scale(low: 0, high: min(1, Ticks.step(0, maxShare, count: 5) * ceil(maxShare / Ticks.step(0, maxShare, count: 5))),
                      start: frame.left, end: frame.right)
        for v in x.ticks(5) {
            svg.line(x(v), frame.top, x(v), frame.bottom, cls: "grid")
            svg.text(x(v), frame.bottom + 16, String(format: "%.0f%%", v * 100), anchor: "middle")
        }
        svg.text((frame.left + frame.right) / 2, frame.bottom + 30, "share of explained variance", cls: "axis-title", anchor: "middle")
        for (i, r) in rows.enumerated() {
            let yMid = frame.top + (Double(i) + 0.5) * rowH
            let title = "\(r.name): \(String(format: "%.1f%%", r.share * 100)) of the explained variance; explains \(String(format: "%.1f%%", r.explained * 100)) of the rank variance; active in \(r.activeTrials) trials, \(r.bins) bins"
            svg.rect(frame.left, yMid - rowH * 0.32, x(r.share) - frame.left, rowH * 0.64, cls: i == 0 && r.share > 0 ? "bar top" : "bar", title: title)
            svg.text(frame.left - 8, yMid, Axes.clip(r.name, 28), cls: "bar-label", anchor: "end", baseline: "middle")
            svg.text(x(r.share) + 6, yMid, String(format: "%.1f%%", r.share * 100), cls: "bar-value", baseline: "middle")
        }
        svg.line(frame.left, frame.top, frame.left, frame.bottom, cls: "axis")
        var note: String? = nil
        if n < 20 { note = "Only \(n) complete trials: treat the ranking as rough." }
        if rows.allSatisfy({ $0.share == 0 }) { note = "No parameter explains more of the objective than chance would." }
        let table = importanceTable(rows)
        return Figure(id: "importance", title: "Parameter importance", caption: caption,
                      content: svg.render(label: "Parameter importance") + table, note: note)
    }

    /// The same numbers as a compact table (for copying, and for screen readers).
    static func importanceTable(_ rows: [ParameterImportance]) -> String {
        var s = "<details class=\"numbers\"><summary>Numbers</summary><table class=\"data\" id=\"importance-table\"><thead><tr><th>parameter</th><th>share</th><th>explained</th><th>active trials</th><th>bins</th></tr></thead><tbody>"
        for r in rows {
            s += "<tr data-param=\"\(html(r.name))\" data-share=\"\(r.share)\"><td>\(html(r.name))</td><td class=\"num\">\(String(format: "%.1f%%", r.share * 100))</td>"
            s += "<td class=\"num\">\(String(format: "%.3f", r.explained))</td><td class=\"num\">\(r.activeTrials)</td><td class=\"num\">\(r.bins)</td></tr>"
        }
        return s + "</tbody></table></details>"
    }
}
