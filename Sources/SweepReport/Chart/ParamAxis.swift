import Foundation
import Search

/// One parameter on an axis: a (log) scale over its search range, or evenly spaced
/// categories. Inactive values (conditional parameters) get their own slot past the end.
struct ParamAxis {
    let parameter: Parameter
    /// Set for numeric parameters.
    let scale: Scale?
    /// Choice labels for categorical parameters, in the order of the sweep file.
    let categories: [ParamValue]
    let start: Double
    let end: Double

    init(_ p: Parameter, start: Double, end: Double, observed: [ParamValue]) {
        parameter = p
        self.start = start
        self.end = end
        switch p.distribution {
        case .categorical(let choices, _):
            var cats = choices
            for v in observed where !cats.contains(v) { cats.append(v) }
            categories = cats
            scale = nil
        case .uniform(let lo, let hi, _):
            scale = Self.numeric(.linear, lo, hi, observed, start, end)
            categories = []
        case .int(let lo, let hi, _):
            scale = Self.numeric(.linear, Double(lo), Double(hi), observed, start, end)
            categories = []
        case .logUniform(let lo, let hi, _):
            scale = Self.numeric(.log, lo, hi, observed, start, end)
            categories = []
        case .logInt(let lo, let hi):
            scale = Self.numeric(.log, Double(lo), Double(hi), observed, start, end)
            categories = []
        case .normal, .logNormal, .beta:
            // The probable range, widened to the values drawn (these are unbounded).
            let r = p.distribution.probableRange ?? (0, 1, false)
            scale = Self.numeric(r.isLog ? .log : .linear, r.low, r.high, observed, start, end)
            categories = []
        }
    }

    /// The search range, widened to any stored value outside it.
    private static func numeric(_ kind: Scale.Kind, _ lo: Double, _ hi: Double, _ observed: [ParamValue],
                                _ start: Double, _ end: Double) -> Scale {
        let xs = observed.compactMap(\.number).filter { kind == .linear || $0 > 0 }
        let l = min(lo, xs.min() ?? lo), h = max(hi, xs.max() ?? hi)
        return Scale(kind: kind, low: l, high: h, start: start, end: end)
    }

    var isCategorical: Bool { scale == nil }
    var isLog: Bool { scale?.kind == .log }

    /// The position of category `i` (centred in equal bands).
    func categoryPosition(_ i: Int) -> Double {
        start + (Double(i) + 0.5) / Double(max(1, categories.count)) * (end - start)
    }

    /// Width of one category band in pixels.
    var bandWidth: Double { abs(end - start) / Double(max(1, categories.count)) }

    /// The position of `v`, or nil if it cannot be placed.
    func position(_ v: ParamValue) -> Double? {
        if let scale {
            guard let x = v.number, scale.kind == .linear || x > 0 else { return nil }
            return scale(x)
        }
        return categories.firstIndex(of: v).map(categoryPosition)
    }

    /// The label of a categorical value.
    static func label(_ v: ParamValue) -> String {
        if case .double(let d) = v { return Ticks.compact(d) }
        return v.description
    }

    /// A short form of the parameter's name for axis titles: the last dotted component when
    /// the full name is too long.
    var shortName: String {
        let n = parameter.name
        return n.count <= 18 ? n : String(n.split(separator: ".").last ?? Substring(n))
    }

    /// A one-line description of the search range (`log-uniform 1e-4 … 0.1`).
    var rangeDescription: String {
        switch parameter.distribution {
        case .uniform(let lo, let hi, let step): return "uniform \(Ticks.compact(lo)) … \(Ticks.compact(hi))" + (step.map { " step \(Ticks.compact($0))" } ?? "")
        case .logUniform(let lo, let hi, _): return "log-uniform \(Ticks.compact(lo)) … \(Ticks.compact(hi))"
        case .int(let lo, let hi, let step): return "int \(lo) … \(hi)" + (step == 1 ? "" : " step \(step)")
        case .logInt(let lo, let hi): return "log-int \(lo) … \(hi)"
        case .categorical(let c, _): return "choice of \(c.count)"
        case .normal, .logNormal, .beta: return parameter.distribution.summary
        }
    }
}
