import Foundation
import Search
import Store

/// Parallel coordinates: one vertical axis per parameter and one for the objective; each
/// complete trial is a line across them, darker the better it is.
enum ParallelPlot {
    static let maxLines = 1000
    static let bestKept = 100

    static func figure(_ data: ReportData) -> Figure {
        let caption = "Each line is a complete trial, crossing every parameter's axis at its value and ending at its \(data.metric);"
            + " darker lines are better, the best is orange. Log-scaled parameters have log axes; categories are spread evenly;"
            + " a parameter that was inactive in a trial (conditional) is drawn at \"inactive\" below its axis."
        let complete = data.complete
        guard !complete.isEmpty, !data.parameters.isEmpty else {
            return Figure(id: "parallel", title: "Parallel coordinates", caption: caption,
                          content: emptyMessage(data.parameters.isEmpty ? "The study searches no parameter." : "No complete trial yet."))
        }
        let W = 900.0, H = 400.0
        let top = 52.0, bottom = H - 58, inactiveY = H - 30
        let left = 80.0, right = W - 70
        let params = data.parameters
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
            var p = PathData()
            var pts: [(Double, Double)] = []
            for (i, a) in axes.enumerated() {
                let y = t.params[a.parameter.name].flatMap(a.position) ?? inactiveY
                pts.append((ax(i), y))
            }
            pts.append((ax(dims - 1), objective(t.value!)))
            p.polyline(pts)
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
        let anyInactive = complete.contains { t in params.contains { t.params[$0.name] == nil } }
        for (i, a) in axes.enumerated() {
            let x = ax(i)
            svg.line(x, top, x, bottom, cls: "pc-axis")
            if let s = a.scale {
                for v in s.ticks(5) { tick(&svg, x, s(v), s.label(v)) }
            } else {
                for (k, c) in a.categories.enumerated() { tick(&svg, x, a.categoryPosition(k), Axes.clip(ParamAxis.label(c), 12)) }
            }
            if anyInactive && complete.contains(where: { $0.params[a.parameter.name] == nil }) {
                svg.circle(x, inactiveY, r: 2.5, cls: "pc-inactive")
                svg.text(x - 6, inactiveY, "inactive", cls: "pc-label muted", anchor: "end", baseline: "middle")
            }
            axisTitle(&svg, x, top - (stagger && i % 2 == 1 ? 16 : 0), a.shortName + (a.isLog ? " (log)" : ""), full: a.parameter.name, room: room)
        }
        let ox = ax(dims - 1)
        svg.line(ox, top, ox, bottom, cls: "pc-axis objective")
        for v in objective.ticks(5) { tick(&svg, ox, objective(v), objective.label(v)) }
        axisTitle(&svg, ox, top - (stagger && (dims - 1) % 2 == 1 ? 16 : 0), data.metric, full: data.metric, room: room)
        var note: String? = nil
        if drawn.count < complete.count {
            note = "Showing \(drawn.count) of \(complete.count) trials: the \(bestKept) best and an even sample of the rest (by rank)."
        }
        return Figure(id: "parallel", title: "Parallel coordinates", caption: caption,
                      content: svg.render(label: "Parallel coordinates of parameters and \(data.metric)"), note: note)
    }

    private static func tick(_ svg: inout SVG, _ x: Double, _ y: Double, _ label: String) {
        svg.line(x - 3, y, x, y, cls: "axis")
        svg.text(x - 5, y, label, cls: "pc-label", anchor: "end", baseline: "middle")
    }

    private static func axisTitle(_ svg: inout SVG, _ x: Double, _ top: Double, _ label: String, full: String, room: Int) {
        svg.raw("<g><title>\(html(full))</title>")
        svg.text(x, top - 14, Axes.clip(label, min(24, room)), cls: "pc-title", anchor: "middle")
        svg.raw("</g>")
    }
}
