import Foundation
import Search
import Store

/// The best complete trials with their parameters, sortable by column.
enum TopTrialsTable {
    static func section(_ data: ReportData, count: Int) -> String {
        let top = data.top(count)
        var s = "<section class=\"part fig\" id=\"top-trials\"><h2>Top trials</h2>"
        s += "<p class=\"caption\">The \(top.count) best of \(data.complete.count) complete trials by \(html(data.metric)) (\(html(data.direction.rawValue)))."
        s += " Click a column to sort. All trials: <code>sweep trials \(html(shellQuote(data.study.name))) --sort value</code>.</p>"
        guard !top.isEmpty else { return s + emptyMessage("No complete trial yet.") + "</section>\n" }
        let params = data.parameters
        s += "<div class=\"table-wrap\"><table class=\"data sortable-table\" id=\"top-trials-table\"><thead><tr>"
        s += "<th class=\"sortable num\">rank</th><th class=\"sortable num\">trial</th><th class=\"sortable num\">\(html(data.metric))</th>"
        s += "<th class=\"sortable num\">epochs</th><th class=\"sortable num\">time</th>"
        for p in params { s += "<th class=\"sortable\" title=\"\(html(p.name))\">\(html(Axes.clip(p.name, 24)))</th>" }
        s += "</tr></thead><tbody>"
        for (i, t) in top.enumerated() {
            s += "<tr\(i == 0 ? " class=\"best\"" : "") data-trial=\"\(t.number)\" data-value=\"\(t.value!)\">"
            s += "<td class=\"num\" data-sort=\"\(i + 1)\">\(i + 1)</td><td class=\"num\" data-sort=\"\(t.number)\">\(t.number)</td>"
            s += "<td class=\"num value\" data-sort=\"\(t.value!)\">\(html(Fmt.value(t.value)))</td>"
            s += "<td class=\"num\" data-sort=\"\(t.epochs)\">\(t.epochs)</td><td class=\"num\" data-sort=\"\(t.duration ?? 0)\">\(html(Fmt.seconds(t.duration)))</td>"
            for p in params {
                if let v = t.params[p.name] {
                    let sort = v.number.map { "\($0)" } ?? v.description
                    s += "<td class=\"param\" data-param=\"\(html(p.name))\" data-sort=\"\(html(sort))\">\(html(Fmt.param(v)))</td>"
                } else {
                    s += "<td class=\"param inactive\" data-param=\"\(html(p.name))\" data-sort=\"\">inactive</td>"
                }
            }
            s += "</tr>"
        }
        return s + "</tbody></table></div></section>\n"
    }

    /// `name` quoted for a POSIX shell when it needs it.
    static func shellQuote(_ name: String) -> String {
        name.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) } ? name : "'" + name.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
