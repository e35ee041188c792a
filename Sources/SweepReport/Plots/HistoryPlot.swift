import Foundation
import Search
import Store

/// Optimization history: each COMPLETE trial's value by trial number, and the best so far.
enum HistoryPlot {
    /// Above this many points, dots are drawn as one path without tooltips.
    static let tooltipLimit = 1500

    static func figure(_ data: ReportData) -> Figure {
        let complete = data.complete
        let caption = "Objective value (\(data.metric), \(data.direction.rawValue)) of every complete trial by trial number, with the best value so far. "
            + "Pruned (\(data.count(.pruned))) and failed (\(data.count(.fail))) trials are not drawn: their values are not final."
        guard !complete.isEmpty else {
            return Figure(id: "history", title: "Optimization history", caption: caption, content: emptyMessage("No complete trial yet."))
        }
        let W = 900.0, H = 340.0
        let frame = Frame(width: W, height: H, margin: (28, 24, 46, 72))
        var svg = SVG(width: W, height: H)
        let maxNumber = Double(max(1, data.trials.map(\.number).max() ?? 1))
        let x = Scale(low: 0, high: maxNumber, start: frame.left, end: frame.right).padded(0.01)
        let y = ValueAxis.scale(complete.map { $0.value! }, direction: data.direction, start: frame.bottom, end: frame.top)
        Axes.left(&svg, y, frame: frame, title: data.metric)
        Axes.bottom(&svg, x, frame: frame, title: "trial number", integers: true)

        var dots = PathData(), off = PathData()
        if complete.count <= tooltipLimit {
            for t in complete where y.contains(t.value!) {
                svg.circle(x(Double(t.number)), y(t.value!), r: 3.2, cls: "pt", title: trialTitle(t.number, "\(data.metric) \(Fmt.value(t.value))"))
            }
            for t in complete where !y.contains(t.value!) { ValueAxis.mark(&dots, &off, x: x(Double(t.number)), value: t.value!, y: y) }
        } else {
            for t in complete { ValueAxis.mark(&dots, &off, x: x(Double(t.number)), value: t.value!, y: y) }
        }
        svg.path(dots.d, cls: "dots")
        svg.path(off.d, cls: "offscale", title: "values beyond the axis")

        // Best so far: a step line that only moves when a trial improves on it.
        var line = PathData()
        var best: Double?
        for t in complete {
            let v = t.value!
            if let b = best {
                if data.direction.isBetter(v, than: b) {
                    line.line(x(Double(t.number)), y(b))
                    line.line(x(Double(t.number)), y(v))
                    best = v
                }
            } else {
                line.move(x(Double(t.number)), y(v))
                best = v
            }
        }
        if let b = best { line.line(x(maxNumber), y(b)) }
        svg.path(line.d, cls: "best-line")
        if let b = data.best {
            svg.circle(x(Double(b.number)), y(b.value!), r: 5.5, cls: "best-ring", title: trialTitle(b.number, "best", "\(data.metric) \(Fmt.value(b.value))"))
        }
        var legend = Legend()
        legend.items = [(.dot("pt"), "complete trial"), (.line("best-line"), "best so far"), (.dot("best-ring"), "best trial")]
        legend.draw(&svg, frame: frame)
        let note = y.kind == .log ? "Log-scaled value axis (the values span more than two decades)." : nil
        return Figure(id: "history", title: "Optimization history", caption: caption,
                      content: svg.render(label: "Optimization history of \(data.study.name)"), note: note)
    }
}

/// A figure body saying there is nothing to draw yet.
func emptyMessage(_ s: String) -> String {
    "<p class=\"empty\">\(html(s))</p>"
}
