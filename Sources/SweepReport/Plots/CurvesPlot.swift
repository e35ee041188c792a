import Foundation
import Search
import Store

/// Intermediate curves: every trial's reported value per epoch; pruned trials end in a
/// red cross at the epoch where the pruner stopped them.
enum CurvesPlot {
    /// Most curves drawn: the best complete trials plus an even sample of the others.
    static let maxCurves = 300
    static let bestKept = 60
    /// Most points per curve (long curves are thinned evenly, keeping the last point).
    static let maxPointsPerCurve = 200

    static func figure(_ data: ReportData) -> Figure {
        let pruned = data.trials.filter { $0.state == .pruned }
        let caption = "The objective (\(data.metric)) each trial reported per epoch. Pruned trials are grey and end in a red ×"
            + " at the last epoch they ran; the best trial is orange."
        let withCurves = data.trials.filter { data.curves[$0.number]?.contains { $0.value != nil } == true }
        guard !withCurves.isEmpty else {
            return Figure(id: "curves", title: "Intermediate curves", caption: caption, content: emptyMessage("No trial has reported an epoch yet."))
        }
        let shown = selection(withCurves, data: data)
        let W = 900.0, H = 360.0
        let frame = Frame(width: W, height: H, margin: (28, 24, 46, 72))
        var svg = SVG(width: W, height: H)
        let maxStep = withCurves.flatMap { data.curves[$0.number]!.map(\.step) }.max() ?? 1
        let x = Scale(low: 1, high: Double(max(2, maxStep)), start: frame.left, end: frame.right).padded(0.015)
        let allValues = shown.flatMap { data.curves[$0.number]!.compactMap(\.value) } + pruned.compactMap { lastValue(data, $0) }
        let y = ValueAxis.scale(allValues, direction: data.direction, start: frame.bottom, end: frame.top)
        Axes.left(&svg, y, frame: frame, title: data.metric)
        Axes.bottom(&svg, x, frame: frame, title: "epoch", integers: true)

        let bestNumber = data.best?.number
        func points(_ t: TrialRecord) -> [(Double, Double)] {
            let pts = data.curves[t.number]!.compactMap { r in r.value.map { (x(Double(r.step)), y($0)) } }
            guard pts.count > maxPointsPerCurve else { return pts }
            return evenSample(pts, maxPointsPerCurve)
        }
        // Worst layers first: others, pruned, complete, then the best on top.
        let order: [TrialState] = [.fail, .stale, .waiting, .running, .pruned, .complete]
        for state in order {
            for t in shown where t.state == state && t.number != bestNumber {
                var p = PathData()
                p.polyline(points(t))
                let cls = state == .complete ? "curve" : state == .pruned ? "curve-pruned" : state == .running ? "curve-running" : "curve-other"
                svg.path(p.d, cls: cls, title: curveTitle(t, data))
            }
        }
        // A cross for every pruned trial, drawn or not: where the pruner stopped it.
        var crosses = PathData()
        for t in pruned {
            guard let last = data.curves[t.number]?.last(where: { $0.value != nil }), let v = last.value else { continue }
            crosses.cross(x(Double(last.step)), y(v), r: 3.5)
        }
        svg.path(crosses.d, cls: "prune-mark", title: "pruned trials stop here")
        if let b = data.best, data.curves[b.number] != nil {
            var p = PathData()
            p.polyline(points(b))
            svg.path(p.d, cls: "curve-best", title: curveTitle(b, data))
        }
        var legend = Legend()
        legend.items = [(.line("curve"), "complete"), (.line("curve-pruned"), "pruned"), (.cross("prune-mark"), "pruned here"), (.line("curve-best"), "best")]
        if shown.contains(where: { $0.state == .running }) { legend.items.insert((.dashed("curve-running"), "running"), at: 2) }
        legend.draw(&svg, frame: frame)

        var notes: [String] = []
        let histogram = Dictionary(grouping: pruned.compactMap { t in data.curves[t.number]?.last?.step }, by: { $0 })
        if !histogram.isEmpty {
            notes.append("Pruned at epoch: " + histogram.keys.sorted().map { "\($0): \(histogram[$0]!.count)" }.joined(separator: ", ") + ".")
        }
        if shown.count < withCurves.count {
            notes.append("Showing \(shown.count) of \(withCurves.count) curves (the \(min(bestKept, data.complete.count)) best complete trials and an even sample of the rest); every pruned trial keeps its ×.")
        }
        if withCurves.contains(where: { data.curves[$0.number]!.count > maxPointsPerCurve }) {
            notes.append("Curves longer than \(maxPointsPerCurve) epochs are thinned evenly.")
        }
        if y.kind == .log { notes.append("Log-scaled value axis.") }
        return Figure(id: "curves", title: "Intermediate curves", caption: caption,
                      content: svg.render(label: "Intermediate values per epoch"), note: notes.isEmpty ? nil : notes.joined(separator: " "))
    }

    /// The curves to draw: all when few, else the best complete ones and an even sample.
    static func selection(_ trials: [TrialRecord], data: ReportData) -> [TrialRecord] {
        guard trials.count > maxCurves else { return trials }
        let best = Set(data.top(bestKept).map(\.number))
        let rest = trials.filter { !best.contains($0.number) }
        let sample = Set(evenSample(rest, maxCurves - best.count).map(\.number))
        return trials.filter { best.contains($0.number) || sample.contains($0.number) }
    }

    static func lastValue(_ data: ReportData, _ t: TrialRecord) -> Double? {
        data.curves[t.number]?.last(where: { $0.value != nil })?.value
    }

    static func curveTitle(_ t: TrialRecord, _ data: ReportData) -> String {
        // The last epoch, not the points: a PBT member that skipped epochs with an exploit
        // (continued from a member ahead) trained to its last one ("9 epochs" of 12).
        let steps = data.curves[t.number]?.last?.step ?? 0
        switch t.state {
        case .pruned:
            return trialTitle(t.number, "pruned at epoch \(data.curves[t.number]?.last?.step ?? t.epochs)", t.pruneReason ?? "")
        case .complete:
            return trialTitle(t.number, "complete", "\(data.metric) \(Fmt.value(t.value))", "\(steps) epochs")
        default:
            return trialTitle(t.number, t.state.rawValue.lowercased(), "\(steps) epochs")
        }
    }
}
