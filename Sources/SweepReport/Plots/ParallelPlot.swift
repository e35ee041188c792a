import Foundation
import Search
import Store

/// Parallel coordinates: one vertical axis per parameter and one for the objective; each
/// complete trial is a line across them, darker the better it is.
enum ParallelPlot {
    static let maxLines = 1000
    static let bestKept = 100
    /// Most parameter axes (more do not fit the plot's width apart).
    static let maxAxes = 24

    static func figure(_ data: ReportData) -> Figure {
        let caption = "Each line is a complete trial, crossing every parameter's axis at its value and ending at its \(data.metric);"
            + " darker lines are better, the best is orange. Log-scaled parameters have log axes; categories are spread evenly;"
            + " where a conditional parameter was inactive in a trial, its line breaks at that axis."
        let complete = data.complete
        guard !complete.isEmpty, !data.parameters.isEmpty else {
            return Figure(id: "parallel", title: "Parallel coordinates", caption: caption,
                          content: emptyMessage(data.parameters.isEmpty ? "The study searches no parameter." : "No complete trial yet."))
        }
        let W = 900.0, H = 400.0
        let top = 52.0, bottom = H - 58
        let left = 80.0, right = W - 70
        let (params, fewer) = data.plotted(limit: maxAxes)
        let dims = params.count + 1
        func ax(_ i: Int) -> Double { dims == 1 ? (left + right) / 2 : left + Double(i) * (right - left) / Double(dims - 1) }
        let axes = params.map { p in ParamAxis(p, start: bottom, end: top, observed: complete.compactMap { $0.params[p.name] }) }
        let objective = ValueAxis.scale(complete.map { $0.value! }, direction: data.direction, start: bottom, end: top)
        var svg = SVG(width: W, height: H)

        // Lines first, worst to best, so the best lie on top.
        let ranked = data.top(complete.count) // best first
        let rank = Dictionary(uniqueKeysWithValues: ranked.enumerated().map { ($1.number, $0) })
        var drawn = ranked
        if drawn.count > maxLines {
            let best = Array(ranked.prefix(bestKept))
            drawn = best + evenSample(Array(ranked.dropFirst(bestKept)), maxLines - bestKept)
        }
        let n = Double(max(1, complete.count - 1))
        let bestNumber = data.best?.number
        for t in drawn.reversed() {
            // An inactive parameter has no value to draw: the line breaks there instead of
            // gathering in a shared slot (which pulled most lines to one point).
            var points: [(Double, Double)?] = axes.enumerated().map { i, a in
                t.params[a.parameter.name].flatMap(a.position).map { (ax(i), $0) }
            }
            points.append((ax(dims - 1), objective(t.value!)))
            var p = PathData()
            polylines(&p, points)
            let title = trialTitle(t.number, "\(data.metric) \(Fmt.value(t.value))")
            if t.number == bestNumber {
                svg.path(p.d, cls: "pc-best", title: title)
            } else {
                let f = 1 - Double(rank[t.number]!) / n
                svg.path(p.d, cls: "pc-line", style: "stroke:\(ColorRamp.color(0.1 + 0.9 * f))", title: title)
            }
        }
        // Axes on top of the lines.
        let spacing = dims > 1 ? (right - left) / Double(dims - 1) : 400
        let stagger = spacing < 130
        let room = max(6, Int((stagger ? 2 * spacing : spacing) / 6.6))
        for (i, a) in axes.enumerated() {
            let x = ax(i)
            svg.line(x, top, x, bottom, cls: "pc-axis")
            if let s = a.scale {
                ticks(&svg, x, s.ticks(5).map { (s($0), s.label($0)) })
            } else {
                ticks(&svg, x, a.categories.enumerated().map { (a.categoryPosition($0), Axes.clip(ParamAxis.label($1), 12)) })
            }
            let inactive = complete.filter { $0.params[a.parameter.name] == nil }.count
            if inactive > 0 {
                // Below the axis, clear of the lowest tick label.
                svg.text(x, bottom + 22, "inactive in \(inactive) of \(complete.count)", cls: "pc-label muted", anchor: "middle", baseline: "middle")
            }
            axisTitle(&svg, x, top - (stagger && i % 2 == 1 ? 16 : 0), a.shortName + (a.isLog ? " (log)" : ""), full: a.parameter.name, room: room)
        }
        let ox = ax(dims - 1)
        svg.line(ox, top, ox, bottom, cls: "pc-axis objective")
        ticks(&svg, ox, objective.ticks(5).map { (objective($0), objective.label($0)) })
        axisTitle(&svg, ox, top - (stagger && (dims - 1) % 2 == 1 ? 16 : 0), data.metric, full: data.metric, room: room)
        var note: String? = fewer
        if drawn.count < complete.count {
            note = (fewer.map { $0 + " " } ?? "") + "Showing \(drawn.count) of \(complete.count) trials: the \(bestKept) best and an even sample of the rest (by rank)."
        }
        return Figure(id: "parallel", title: "Parallel coordinates", caption: caption,
                      content: svg.render(label: "Parallel coordinates of parameters and \(data.metric)"), note: note)
    }

    /// Draws each run of present points as one polyline; a point alone between gaps gets a
    /// short stub towards them, so that it stays visible and reads as a line's end.
    static func polylines(_ p: inout PathData, _ points: [(Double, Double)?]) {
        let stub = 14.0
        var i = 0
        while i < points.count {
            guard points[i] != nil else { i += 1; continue }
            var j = i
            while j + 1 < points.count, points[j + 1] != nil { j += 1 }
            let run = points[i...j].map { $0! }
            if run.count > 1 {
                p.polyline(run)
            } else {
                let (x, y) = run[0]
                p.polyline([(i > 0 ? x - stub : x, y), (j < points.count - 1 ? x + stub : x, y)])
            }
            i = j + 1
        }
    }

    /// Tick marks on the axis at `x`, labelled where the labels do not touch (log axes put
    /// 1, 2 and 5 times a power of ten close together).
    private static func ticks(_ svg: inout SVG, _ x: Double, _ marks: [(y: Double, label: String)]) {
        let shown = Axes.spaced(marks.map(\.y), sizes: marks.map { _ in Axes.lineHeight })
        for (i, m) in marks.enumerated() {
            svg.line(x - 3, m.y, x, m.y, cls: "axis")
            if shown[i] { svg.text(x - 5, m.y, m.label, cls: "pc-label", anchor: "end", baseline: "middle") }
        }
    }

    private static func axisTitle(_ svg: inout SVG, _ x: Double, _ top: Double, _ label: String, full: String, room: Int) {
        svg.raw("<g><title>\(html(full))</title>")
        svg.text(x, top - 14, Axes.clip(label, min(24, room)), cls: "pc-title", anchor: "middle")
        svg.raw("</g>")
    }
}
