/// A value given for a trial by a user (`sweep enqueue`, the dashboard) that the search
/// space refuses, with the parameter (`field`) it is about.
public struct GivenParamError: Error, Equatable, CustomStringConvertible {
    /// The parameter's name (or the unknown name given).
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension SearchSpace {
    /// Checks the values given for one trial, as Optuna's `enqueue_trial` takes them: every
    /// active parameter must be given, inside its distribution; unknown and inactive ones are
    /// refused. Strings are read as the parameter's kind (`"0.5"` for a float, `"32"` for an
    /// int, a choice by its text), so command-line and form values work as JSON ones do.
    /// Returns the values normalized to the space's kinds (an int given for a float range
    /// becomes a float).
    public func check(given: Params) throws(GivenParamError) -> Params {
        let names = Set(parameters.map(\.name))
        if let unknown = given.keys.sorted().first(where: { !names.contains($0) }) {
            throw GivenParamError(field: unknown, message: "not a parameter of this study (its parameters: \(parameters.map(\.name).joined(separator: ", ")))")
        }
        var out: Params = [:]
        for p in parameters {
            let active = isActive(p, given: out)
            switch (active, given[p.name]) {
            case (true, nil):
                throw GivenParamError(field: p.name, message: "missing: give a value in \(p.distribution.summary)")
            case (false, .some):
                let c = p.condition!
                throw GivenParamError(field: p.name, message: "inactive: only used when \(c.parent) is \(c.values.map(\.description).joined(separator: " or "))")
            case (true, .some(let v)):
                guard let value = p.distribution.normalize(v), p.distribution.contains(value) else {
                    if case .string(let s) = v, p.distribution.isNumeric, Distribution.decimalNumber(s) == nil {
                        throw GivenParamError(field: p.name, message: "\(v.shownAsGiven) is not a number; give one in \(p.distribution.summary)")
                    }
                    throw GivenParamError(field: p.name, message: "\(v.shownAsGiven) is not in \(p.distribution.summary)")
                }
                out[p.name] = value
            case (false, nil):
                break
            }
        }
        return out
    }
}

extension Distribution {
    /// `value`, written in a `when:` condition, as this distribution draws it (`4.0` for the
    /// int 4, `2` for the choice 2.0), or nil when the distribution never draws it. Unlike
    /// values given for a trial, text stays text: a quoted `"4"` in a sweep file is not 4.
    public func conditionValue(_ value: ParamValue) -> ParamValue? {
        if case .string = value { return contains(value) ? value : nil }
        guard let v = normalize(value), contains(v) else { return nil }
        return v
    }

    /// Whether the distribution draws from a continuum (a float range without a step or
    /// `q`): a condition on one of its values would almost never hold.
    public var isContinuous: Bool {
        switch self {
        case .uniform(_, _, let step): return step == nil
        case .logUniform(_, _, let q), .normal(_, _, let q), .logNormal(_, _, let q), .beta(_, _, let q): return q == nil
        case .int, .logInt, .categorical: return false
        }
    }

    /// Whether the distribution draws numbers (every kind but choices).
    var isNumeric: Bool { if case .categorical = self { false } else { true } }

    /// `text` as a decimal number (`0.5`, ` -3`, `1e-4`), or nil: Swift's `Double` also
    /// reads hexadecimal (`0x1` was queued as 1), `nan` and `inf`, none of which a person
    /// giving a value means.
    static func decimalNumber(_ text: String) -> Double? {
        let t = text.trimmingSpaces
        guard t.contains(where: \.isNumber), t.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
        return Double(t)
    }

    /// `value` as this distribution's kind, or nil when it cannot be one (range not checked).
    func normalize(_ value: ParamValue) -> ParamValue? {
        switch self {
        case .uniform, .logUniform, .normal, .logNormal, .beta:
            switch value {
            case .double, .int: return value.number.map(ParamValue.double)
            case .string(let s): return Self.decimalNumber(s).map(ParamValue.double) // "x= 0.5" as 0.5
            case .bool, .list, .dict, .null: return nil
            }
        case .int, .logInt:
            switch value {
            case .int: return value
            case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? .int(Int(d)) : nil
            case .string(let s):
                // "4.0" too, as the number 4.0 is read (and as `when:` reads it).
                if let i = Int(s.trimmingSpaces) { return .int(i) }
                return Self.decimalNumber(s).flatMap { normalize(.double($0)) }
            case .bool, .list, .dict, .null: return nil
            }
        case .categorical(let choices, _):
            if choices.contains(value) { return value }
            // Text in quotes is the text choice (`k='"true"'` beside the flag true).
            if case .string(let s) = value, s.count >= 2, s.first == "\"", s.last == "\"",
               case let text = ParamValue.string(String(s.dropFirst().dropLast())), choices.contains(text) { return text }
            if let c = choices.first(where: { $0.description == value.description }) { return c } // "adam", "true"
            // A flag as programs get it on their command line (`True`, W&B's form).
            if case .string(let s) = value, let flag = Bool(s.lowercased()), choices.contains(.bool(flag)) { return .bool(flag) }
            // No value as Python writes it (`None`, what the program got in `${args}`).
            if value == .string("None"), choices.contains(.null) { return .null }
            // A list or dict choice given as text, however spaced: "[64,32]" for [64, 32],
            // `{"name":"cosine"}` for {name: cosine}.
            func unspaced(_ v: ParamValue) -> String { v.description.filter { !$0.isWhitespace } }
            func isCollection(_ v: ParamValue) -> Bool { switch v { case .list, .dict: true; default: false } }
            if case .string = value, let c = choices.first(where: { isCollection($0) && unspaced($0) == unspaced(value) }) { return c }
            // The same number as another kind or as text: 2.0 or "2" for the choice 2.
            let n: Double? = if case .string(let s) = value { Self.decimalNumber(s) } else { value.isBool ? nil : value.number }
            guard let n else { return nil }
            return choices.first { !$0.isBool && $0.number == n }
        }
    }

    /// `, probabilities [0.7, 0.3]` for choices with probabilities; empty for uniform ones.
    public static func probabilitiesSummary(_ probabilities: [Double]?) -> String {
        probabilities.map { ", probabilities [" + $0.map(formatParamNumber).joined(separator: ", ") + "]" } ?? ""
    }

    /// `uniform [-2, 2]`, `int [1, 8] step 1`, `choice {a, b}`: for messages.
    public var summary: String {
        switch self {
        case .uniform(let lo, let hi, let step): return "uniform [\(formatParamNumber(lo)), \(formatParamNumber(hi))]" + (step.map { " step \(formatParamNumber($0))" } ?? "")
        case .logUniform(let lo, let hi, let q): return "loguniform [\(formatParamNumber(lo)), \(formatParamNumber(hi))]\(q.map { ", q \(formatParamNumber($0))" } ?? "")"
        case .int(let lo, let hi, let step): return "int [\(lo), \(hi)]" + (step == 1 ? "" : " step \(step)")
        case .logInt(let lo, let hi): return "logint [\(lo), \(hi)]"
        case .categorical(let c, let p): return "choice {\(c.map(\.quotedWhenAmbiguous).joined(separator: ", "))}" + Self.probabilitiesSummary(p)
        case .normal(let mu, let sigma, let q): return "normal(mu \(formatParamNumber(mu)), sigma \(formatParamNumber(sigma)))" + Self.quantumSummary(q)
        case .logNormal(let mu, let sigma, let q): return "lognormal(mu \(formatParamNumber(mu)), sigma \(formatParamNumber(sigma)))" + Self.quantumSummary(q)
        case .beta(let a, let b, let q): return "beta(a \(formatParamNumber(a)), b \(formatParamNumber(b)))" + Self.quantumSummary(q)
        }
    }
}

extension Distribution {
    private static func quantumSummary(_ q: Double?) -> String { q.map { " q \(formatParamNumber($0))" } ?? "" }
}

extension String {
    /// Without white space (spaces, tabs, line breaks) at either end.
    fileprivate var trimmingSpaces: Substring {
        let head = drop(while: \.isWhitespace)
        return head.dropLast(head.reversed().prefix(while: \.isWhitespace).count)
    }
}

extension ParamValue {
    /// A given value for a message: text as typed, in quotes when spaces at its ends or
    /// nothing would be unseen (`" 0.5"`, `""`).
    fileprivate var shownAsGiven: String {
        guard case .string(let s) = self, s.isEmpty || s.first!.isWhitespace || s.last!.isWhitespace else { return description }
        return Self.quotedForMessages(s)
    }

    /// `s` in double quotes for a message: quotes and backslashes escaped, and control
    /// characters as Swift writes them (`\n`, `\u{1B}`), so a line break or an escape
    /// sequence cannot break or recolour the message.
    fileprivate static func quotedForMessages(_ s: String) -> String {
        "\"" + s.unicodeScalars.map { u -> String in
            switch u {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case _ where u.properties.generalCategory == .control: return u.escaped(asASCII: true)
            default: return String(u)
            }
        }.joined() + "\""
    }

    fileprivate var isBool: Bool { if case .bool = self { return true } else { return false } }

    /// The value as messages list choices: text that reads as a number, a flag or no value
    /// in quotes (`{true, "true", null, "None"}` read `{true, true, null, None}`), and so is
    /// text a list would misread (a comma, a brace, a quote, spaces at an end, nothing) or
    /// that holds control characters, shown escaped (a line break split the message).
    public var quotedWhenAmbiguous: String {
        guard case .string(let s) = self else { return description }
        let ambiguous = Double(s) != nil || Bool(s.lowercased()) != nil || ["null", "none", "nan", "inf", "-inf"].contains(s.lowercased())
        let misread = s.isEmpty || s.first!.isWhitespace || s.last!.isWhitespace
            || s.unicodeScalars.contains { ",{}[]\"".unicodeScalars.contains($0) || $0.properties.generalCategory == .control }
        return ambiguous || misread ? Self.quotedForMessages(s) : s
    }
}
