import Foundation
import Search
import Store

/// Slice plots: the objective against each parameter on its own, one small plot each.
enum SlicePlot {
    /// Most points per slice: the best trials and an even sample of the rest.
    static let maxPoints = 2500
    static let bestKept = 250
    /// Most slices (one small plot each).
    static let maxSlices = 48

    static func figure(_ data: ReportData) -> Figure {
        let caption = "The objective (\(data.metric)) against each parameter on its own. Darker points are later trials; the best is orange."
            + " Log-scaled parameters have log axes; categories are jittered sideways so points do not hide each other."
        let complete = data.complete
        guard !complete.isEmpty, !data.parameters.isEmpty else {
            return Figure(id: "slices", title: "Slices", caption: caption,
                          content: emptyMessage(data.parameters.isEmpty ? "The study searches no parameter." : "No complete trial yet."))
        }
        var shown = complete
        var note: String? = nil
        if complete.count > maxPoints {
            let best = Set(data.top(bestKept).map(\.number))
            let keep = best.union(evenSample(complete.filter { !best.contains($0.number) }, maxPoints - best.count).map(\.number))
            shown = complete.filter { keep.contains($0.number) }
            note = "Showing \(shown.count) of \(complete.count) trials per slice: the \(bestKept) best and an even sample of the rest."
        }
        let yValues = complete.map { $0.value! }
        let maxNumber = Double(max(1, complete.map(\.number).max() ?? 1))
        var plots = ""
        let (parameters, fewer) = data.plotted(limit: maxSlices)
        for p in parameters {
            plots += slice(p, data: data, trials: shown, allValues: yValues, total: complete, maxNumber: maxNumber)
        }
        let notes = [fewer, note].compactMap { $0 }
        return Figure(id: "slices", title: "Slices", caption: caption, content: "<div class=\"slices\">\(plots)</div>",
                      note: notes.isEmpty ? nil : notes.joined(separator: " "))
    }

    static func slice(_ p: Parameter, data: ReportData, trials: [TrialRecord], allValues: [Double], total: [TrialRecord], maxNumber: Double) -> String {
        let W = 290.0, H = 230.0
        // Title on the first line, the active count on the second: long names never run into it.
        let frame = Frame(width: W, height: H, margin: (36, 12, 50, 62))
        var svg = SVG(width: W, height: H)
        let active = trials.filter { $0.params[p.name] != nil }
        let axis = ParamAxis(p, start: frame.left, end: frame.right, observed: active.compactMap { $0.params[p.name] })
        let y = ValueAxis.scale(allValues, direction: data.direction, start: frame.bottom, end: frame.top)
        Axes.left(&svg, y, frame: frame, title: data.metric, ticks: 4)
        if let s = axis.scale {
            Axes.bottom(&svg, s, frame: frame, title: "", ticks: 4, grid: true)
        } else {
            Axes.bottomCategories(&svg, axis.categories.enumerated().map { (ParamAxis.label($1), axis.categoryPosition($0)) }, frame: frame, title: "")
        }
        svg.raw("<g><title>\(html(p.name))</title>")
        svg.text(8, 14, Axes.clip(p.name, Int((W - 16) / 8.4)), cls: "slice-title")
        svg.raw("</g>")
        let activeAll = total.filter { $0.params[p.name] != nil }.count
        if activeAll < total.count {
            svg.text(frame.right, 28, "active in \(activeAll)/\(total.count)", cls: "legend", anchor: "end")
        }
        let tooltips = active.count <= 400
        var off = PathData()
        // Without tooltips, points of similar colour share one path: small files at 10,000 trials.
        var buckets = [PathData](repeating: PathData(), count: 8)
        let bestNumber = data.best?.number
        for t in active where t.number != bestNumber {
            guard let v = t.params[p.name], let px0 = axis.position(v) else { continue }
            let x = axis.isCategorical ? px0 + jitter(t.number) * axis.bandWidth * 0.55 : px0
            let age = Double(t.number) / maxNumber
            let color = ColorRamp.color(0.15 + 0.85 * age)
            if !y.contains(t.value!) {
                var dots = PathData()
                ValueAxis.mark(&dots, &off, x: x, value: t.value!, y: y)
                continue
            }
            if tooltips {
                svg.circle(x, y(t.value!), r: 3, cls: "sp", style: "fill:\(color)",
                           title: trialTitle(t.number, "\(p.name) \(Fmt.param(v))", "\(data.metric) \(Fmt.value(t.value))"))
            } else {
                buckets[min(7, Int(age * 8))].dot(x, y(t.value!))
            }
        }
        for (i, d) in buckets.enumerated() {
            svg.path(d.d, cls: "sp-dot", style: "stroke:\(ColorRamp.color(0.15 + 0.85 * (Double(i) + 0.5) / 8))")
        }
        svg.path(off.d, cls: "offscale", title: "values beyond the axis")
        if let b = data.best, let v = b.params[p.name], let x = axis.position(v) {
            svg.circle(x, y(b.value!), r: 4.5, cls: "best-dot",
                       title: trialTitle(b.number, "best", "\(p.name) \(Fmt.param(v))", "\(data.metric) \(Fmt.value(b.value))"))
        }
        if !axis.isCategorical {
            svg.text((frame.left + frame.right) / 2, H - 8, axis.rangeDescription, cls: "legend", anchor: "middle")
        }
        return svg.render(label: "\(data.metric) against \(p.name)", cssClass: "plot slice")
    }
}
