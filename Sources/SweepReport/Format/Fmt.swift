import Foundation
import Search

/// Number and time formatting shared by the report, the dashboard and the commands
/// (`sweep best`, `sweep trials`, the live display), so one value prints one way everywhere.
public enum Fmt {
    /// A metric or parameter value in significant digits: 4 for ordinary magnitudes
    /// (`0.1234`, `12.35`, `1234`), 3 in exponent form below 0.001 and from a million up
    /// (`3.46e-4`, `3.00e-4`, `1.25e6`), so that small values stay distinguishable.
    public static func value(_ v: Double?) -> String {
        guard let v else { return "-" }
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == 0 { return "0" }
        let a = abs(v)
        if a < 1e-3 || a >= 1e6 {
            // Rounded up past the largest double (1.7977e308 showed as 1.80e308, a value no
            // double holds): rounded toward zero instead.
            let text = String(format: "%.2e", v)
            return exponent(Double(text)?.isFinite == false ? String(format: "%.2e", v * 0.997) : text)
        }
        if a >= 1e4 { return String(format: "%.0f", v) }
        return String(format: "%.4g", v)
    }

    /// A parameter value: numbers as `value`, choices and flags as written in the sweep file;
    /// text that would read as a number, a flag or null in quotes (`"1"` beside `1`, `"null"`
    /// beside `null`: a table showed both alike, and `enqueue` did not say which it queued).
    public static func param(_ v: ParamValue) -> String {
        switch v {
        case .double(let d): return value(d)
        case .string(let s) where readsAsAnotherKind(s): return "\"" + s + "\""
        default: return v.description
        }
    }

    /// Whether `text` shown bare would look like a number, a flag, null or nothing.
    static func readsAsAnotherKind(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, !first.isWhitespace, !last.isWhitespace else { return true }
        return Double(text) != nil || ["true", "false", "null", "none", "nil", "yes", "no", "on", "off", "~"].contains(text.lowercased())
    }

    /// Trials toward the budget: `12/50`; without a budget (a W&B sweep without `run_cap`,
    /// which runs until stopped) `12 (no budget)`, not `12/1000000`.
    public static func trials(_ count: Int, budget: Int) -> String {
        TrialBudget.isUnbounded(budget) ? "\(count) (no budget)" : "\(count)/\(budget)"
    }

    /// A duration: `12.3s`, `4m05s`, `2h10m`.
    public static func seconds(_ s: Double?) -> String {
        guard let s, s.isFinite else { return "-" }
        if s < 60 { return String(format: "%.1fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
    }

    /// A rate of `unit` (trials, epochs): per second from one a second up, per minute below
    /// (`2.5 trials/s`, `12.0 epochs/min`).
    public static func rate(_ perSecond: Double, of unit: String) -> String {
        perSecond >= 1 ? String(format: "%.1f", perSecond) + " \(unit)/s" : String(format: "%.1f", perSecond * 60) + " \(unit)/min"
    }

    /// A local date and time, `yyyy-MM-dd HH:mm:ss`.
    public static func time(_ t: Double?) -> String {
        guard let t else { return "-" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    /// `3.46e-04` -> `3.46e-4`, `1.25e+06` -> `1.25e6` (the mantissa keeps its digits).
    static func exponent(_ s: String) -> String {
        guard let e = s.firstIndex(of: "e") else { return s }
        let mantissa = s[..<e]
        var exp = s[s.index(after: e)...]
        let negative = exp.hasPrefix("-")
        exp = exp.drop { $0 == "+" || $0 == "-" || $0 == "0" }
        return mantissa + "e" + (negative ? "-" : "") + (exp.isEmpty ? "0" : exp)
    }
}
