import Foundation

/// The plotting area of a chart inside its SVG, with margins for ticks and titles.
struct Frame {
    var left: Double
    var top: Double
    var right: Double
    var bottom: Double

    /// A frame in a `width` x `height` SVG with the given margins.
    init(width: Double, height: Double, margin: (top: Double, right: Double, bottom: Double, left: Double) = (16, 20, 46, 64)) {
        left = margin.left
        top = margin.top
        right = width - margin.right
        bottom = height - margin.bottom
    }

    var width: Double { right - left }
    var height: Double { bottom - top }
}

/// Axes, grid lines and titles.
enum Axes {
    /// A bottom axis: grid lines, ticks with labels, and a title.
    static func bottom(_ svg: inout SVG, _ x: Scale, frame: Frame, title: String, ticks: Int = 8, grid: Bool = true, integers: Bool = false) {
        let values = integers ? x.integerTicks(ticks) : x.ticks(ticks)
        let labels = values.map { integers ? String(Int($0)) : x.label($0) }
        let shown = spaced(values.map { x($0) }, sizes: labels.map(textWidth))
        for (i, v) in values.enumerated() {
            let p = x(v)
            if grid { svg.line(p, frame.top, p, frame.bottom, cls: "grid") }
            svg.line(p, frame.bottom, p, frame.bottom + 4, cls: "axis")
            if shown[i] { svg.text(p, frame.bottom + 16, labels[i], anchor: "middle") }
        }
        svg.line(frame.left, frame.bottom, frame.right, frame.bottom, cls: "axis")
        svg.text((frame.left + frame.right) / 2, frame.bottom + 36, title, cls: "axis-title", anchor: "middle")
    }

    /// A left axis: grid lines, ticks with labels, and a rotated title.
    static func left(_ svg: inout SVG, _ y: Scale, frame: Frame, title: String, ticks: Int = 5, grid: Bool = true) {
        let values = y.ticks(ticks)
        let shown = spaced(values.map { y($0) }, sizes: values.map { _ in lineHeight })
        for (i, v) in values.enumerated() {
            let p = y(v)
            if grid { svg.line(frame.left, p, frame.right, p, cls: "grid") }
            svg.line(frame.left - 4, p, frame.left, p, cls: "axis")
            if shown[i] { svg.text(frame.left - 7, p, y.label(v), anchor: "end", baseline: "middle") }
        }
        svg.line(frame.left, frame.top, frame.left, frame.bottom, cls: "axis")
        svg.text(frame.left - 50, (frame.top + frame.bottom) / 2, title, cls: "axis-title", anchor: "middle", rotate: -90)
    }

    /// A bottom axis of categories at the given pixel positions.
    static func bottomCategories(_ svg: inout SVG, _ labels: [(String, Double)], frame: Frame, title: String) {
        let rotate = labels.count > 6 || labels.contains { $0.0.count > 8 }
        for (label, p) in labels {
            svg.line(p, frame.bottom, p, frame.bottom + 4, cls: "axis")
            if rotate {
                svg.text(p + 3, frame.bottom + 10, clip(label, 14), anchor: "end", rotate: -35)
            } else {
                svg.text(p, frame.bottom + 16, label, anchor: "middle")
            }
        }
        svg.line(frame.left, frame.bottom, frame.right, frame.bottom, cls: "axis")
        if !rotate { svg.text((frame.left + frame.right) / 2, frame.bottom + 36, title, cls: "axis-title", anchor: "middle") }
    }

    /// Height of an 11px tick label, with a little air.
    static let lineHeight = 13.0

    /// About how wide an 11px tick label is (digits and lowercase average 6.2px in the
    /// report's fonts); generous so that neighbours never touch.
    static func textWidth(_ s: String) -> Double { Double(s.count) * 6.6 + 4 }

    /// Which of the labels centred at `positions` (pixels along an axis, in order) to draw
    /// so that none touches the one before it; `sizes` are their extents along the axis.
    /// Ticks whose label is left out keep their tick mark.
    static func spaced(_ positions: [Double], sizes: [Double]) -> [Bool] {
        var keep = [Bool](repeating: false, count: positions.count)
        var last: (pos: Double, size: Double)? = nil
        for (i, p) in positions.enumerated() {
            if let l = last, abs(p - l.pos) < (l.size + sizes[i]) / 2 { continue }
            keep[i] = true
            last = (p, sizes[i])
        }
        return keep
    }

    /// `s` cut to `n` characters with an ellipsis.
    static func clip(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }
}

/// A legend row drawn at the top right of a frame.
struct Legend {
    enum Mark { case dot(String), line(String), cross(String), dashed(String) }
    var items: [(Mark, String)] = []

    func draw(_ svg: inout SVG, frame: Frame) {
        guard !items.isEmpty else { return }
        var x = frame.right
        let y = frame.top - 4
        // Right to left, so the legend hugs the right edge.
        for (mark, label) in items.reversed() {
            let w = Double(label.count) * 6.2 + 26
            x -= w
            switch mark {
            case .dot(let cls): svg.circle(x + 6, y, r: 3.5, cls: cls)
            case .line(let cls): svg.line(x, y, x + 14, y, cls: cls)
            case .dashed(let cls): svg.line(x, y, x + 14, y, cls: cls)
            case .cross(let cls):
                var p = PathData()
                p.cross(x + 6, y, r: 3.5)
                svg.path(p.d, cls: cls)
            }
            svg.text(x + 18, y, label, cls: "legend", baseline: "middle")
        }
    }
}

extension Scale {
    /// Ticks restricted to whole numbers (trial numbers, epochs).
    func integerTicks(_ count: Int) -> [Double] {
        let t = ticks(count).filter { $0 == $0.rounded() }
        return t.isEmpty ? [low.rounded(.up)] : t
    }
}
