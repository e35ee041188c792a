import Foundation

/// Escapes text for HTML and SVG element content and attribute values.
public func html(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            // Control characters other than tab and newlines have no place in HTML.
            if c.value < 0x20 && c != "\n" && c != "\t" && c != "\r" { out += "\u{FFFD}" } else { out.unicodeScalars.append(c) }
        }
    }
    return out
}

/// A coordinate with one decimal: enough for screens, short for 10,000-point plots.
func px(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
}

/// Builds one inline `<svg>` element as text. Every string that reaches it is escaped.
struct SVG {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// The finished element; `label` becomes its accessible name.
    func render(label: String, cssClass: String = "plot") -> String {
        "<svg class=\"\(cssClass)\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(px(width)) \(px(height))\" width=\"\(px(width))\" height=\"\(px(height))\" role=\"img\" aria-label=\"\(html(label))\">"
            + body + "</svg>"
    }

    mutating func raw(_ s: String) { body += s }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String) {
        body += "<line class=\"\(cls)\" x1=\"\(px(x1))\" y1=\"\(px(y1))\" x2=\"\(px(x2))\" y2=\"\(px(y2))\"/>"
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, cls: String, title: String? = nil) {
        body += "<rect class=\"\(cls)\" x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(px(max(0, w)))\" height=\"\(px(max(0, h)))\""
        body += title.map { "><title>\(html($0))</title></rect>" } ?? "/>"
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double, cls: String, style: String? = nil, title: String? = nil) {
        body += "<circle class=\"\(cls)\" cx=\"\(px(x))\" cy=\"\(px(y))\" r=\"\(px(r))\""
        if let style { body += " style=\"\(html(style))\"" }
        body += title.map { "><title>\(html($0))</title></circle>" } ?? "/>"
    }

    /// Text; `anchor` is start, middle or end; `rotate` turns it about its anchor point.
    mutating func text(_ x: Double, _ y: Double, _ s: String, cls: String = "tick", anchor: String = "start", rotate: Double? = nil,
                       baseline: String? = nil) {
        body += "<text class=\"\(cls)\" x=\"\(px(x))\" y=\"\(px(y))\" text-anchor=\"\(anchor)\""
        if let baseline { body += " dominant-baseline=\"\(baseline)\"" }
        if let rotate { body += " transform=\"rotate(\(px(rotate)) \(px(x)) \(px(y)))\"" }
        body += ">\(html(s))</text>"
    }

    /// A path from `d` (built with ``PathData``).
    mutating func path(_ d: String, cls: String, style: String? = nil, title: String? = nil, attributes: String = "") {
        guard !d.isEmpty else { return }
        body += "<path class=\"\(cls)\" d=\"\(d)\""
        if let style { body += " style=\"\(html(style))\"" }
        if !attributes.isEmpty { body += " " + attributes }
        body += title.map { "><title>\(html($0))</title></path>" } ?? "/>"
    }
}

/// Path data for `<path d="...">`: polylines, and many dots or markers as one element.
struct PathData {
    private(set) var d = ""

    var isEmpty: Bool { d.isEmpty }

    mutating func move(_ x: Double, _ y: Double) { d += "M\(px(x)) \(px(y))" }
    mutating func line(_ x: Double, _ y: Double) { d += "L\(px(x)) \(px(y))" }

    /// A polyline through `points`.
    mutating func polyline(_ points: [(Double, Double)]) {
        for (i, p) in points.enumerated() { if i == 0 { move(p.0, p.1) } else { line(p.0, p.1) } }
    }

    /// A dot drawn by a zero-length segment (with `stroke-linecap: round`).
    mutating func dot(_ x: Double, _ y: Double) { d += "M\(px(x)) \(px(y))h0" }

    /// An x-shaped marker of half-size `r`.
    mutating func cross(_ x: Double, _ y: Double, r: Double) {
        d += "M\(px(x - r)) \(px(y - r))L\(px(x + r)) \(px(y + r))M\(px(x - r)) \(px(y + r))L\(px(x + r)) \(px(y - r))"
    }

    /// A small triangle pointing up (`up`) or down: values off the scale.
    mutating func triangle(_ x: Double, _ y: Double, r: Double, up: Bool) {
        let s = up ? -1.0 : 1.0
        d += "M\(px(x - r)) \(px(y - s * r * 0.3))L\(px(x + r)) \(px(y - s * r * 0.3))L\(px(x)) \(px(y + s * r))Z"
    }
}
