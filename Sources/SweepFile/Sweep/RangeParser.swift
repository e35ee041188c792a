import Search
import SweepSupport

/// The distribution a search range names by its key.
enum RangeKind {
    case uniform, logUniform, int, logInt, choice, fixed, normal, logNormal, beta

    /// Every key that names a distribution, aliases included.
    static let keys = ["uniform", "loguniform", "log_uniform", "int", "logint", "log_int", "choice", "categorical", "fixed",
                       "normal", "lognormal", "log_normal", "beta"]

    /// The kind `key` names (`log_uniform`, `log_int` and `categorical` are aliases).
    init?(key: String) {
        switch key {
        case "uniform": self = .uniform
        case "loguniform", "log_uniform": self = .logUniform
        case "int": self = .int
        case "logint", "log_int": self = .logInt
        case "choice", "categorical": self = .choice
        case "fixed": self = .fixed
        case "normal": self = .normal
        case "lognormal", "log_normal": self = .logNormal
        case "beta": self = .beta
        default: return nil
        }
    }

    /// Whether the range may add `step`.
    var takesStep: Bool { self == .uniform || self == .int }
    /// Whether the range may add `q` (W&B's rounding to a multiple of q).
    var takesQ: Bool { self == .normal || self == .logNormal || self == .beta || self == .logUniform }
}

/// Reads one search range, e.g. `{uniform: [0.1, 0.5], step: 0.1, name: x, when: {...}}`,
/// into a parameter, with each error at the key it is about.
struct RangeParser {
    static let modifierKeys = ["step", "q", "probabilities", "name", "when"]
    /// Bounds stay within ±2^53 so every value is exact as a double and no range arithmetic
    /// can overflow.
    static let intLimit = 1 << 53

    let node: ConfigNode
    let path: ConfigPath
    let kind: RangeKind
    /// The distribution's entry (`uniform: [0.1, 0.5]`).
    let kindEntry: ConfigNode.Entry
    private var argument: ConfigNode { kindEntry.value }
    private var key: String { kindEntry.key }

    /// Checks the range's keys: exactly one distribution, only known modifiers, `step` only
    /// where it applies. `node` must have at least one distribution key.
    init(_ node: ConfigNode, at path: ConfigPath) throws(ConfigError) {
        self.node = node
        self.path = path
        let entries = node.entries ?? []
        let kinds = entries.filter { RangeKind(key: $0.key) != nil }
        kindEntry = kinds[0]
        kind = RangeKind(key: kindEntry.key)!
        if kinds.count > 1 {
            throw fail("a parameter has exactly one distribution; found \(kinds.map { "'\($0.key)'" }.joined(separator: " and "))")
        }
        for e in entries where RangeKind(key: e.key) == nil && !Self.modifierKeys.contains(e.key) {
            // `{beta: 0.9, eps: 1.0e-8}`: a group whose value is named like a range keyword.
            let group = kindEntry.value.elements == nil && kind != .fixed
                ? "; if this is a group of values with one named '\(kindEntry.key)', write that one as '\(kindEntry.key): {fixed: \(kindEntry.value.literal)}'" : nil
            // (Optuna's `log=True` is a keyword of its own here; "did you mean 'logint'" sent
            // float ranges to integers.)
            let logKeyword = e.key != "log" ? nil
                : [.logUniform, .logInt, .logNormal].contains(kind) ? "; '\(kindEntry.key)' is on a log scale already: drop 'log'"
                : "; a log scale is a keyword of its own: {\(kind == .int ? "logint" : "loguniform"): [low, high]} (Optuna's log=True)"
            let hint = group ?? logKeyword ?? closestName(to: e.key, in: RangeKind.keys + Self.modifierKeys).map { "; did you mean '\($0)'?" }
                ?? "; a range allows only one distribution plus step (or q, or probabilities), name and when"
            throw fail("unknown key '\(e.key)' in a search range\(hint)", at: e.key)
        }
        if node["step"] != nil && !kind.takesStep {
            throw fail("'step' applies only to 'uniform' and 'int' ranges", at: "step")
        }
        if node["probabilities"] != nil && kind != .choice {
            throw fail("'probabilities' applies only to 'choice' (one per choice)", at: "probabilities")
        }
        if node["q"] != nil && !kind.takesQ {
            throw fail("'q' applies only to 'loguniform', 'normal', 'lognormal' and 'beta' distributions (use 'step' for 'uniform' and 'int')", at: "q")
        }
    }

    /// The parameter, named `defaultName` unless the range has `name:`.
    func parameter(defaultName: String) throws(ConfigError) -> ParameterExtraction.RawParameter {
        let distribution = try self.distribution()
        var name = defaultName
        if let n = node["name"] {
            guard case .string(let s) = n.value, !s.isEmpty else { throw fail("name must be text, got \(n.kindDescription)", at: "name") }
            name = s
        }
        let when = try node["when"].map { w throws(ConfigError) in
            try WhenClause(w, at: path, example: "when: {optimizer.name: [momentum, nesterov]}")
        }
        return .init(name: name, path: path, mark: node.mark, distribution: distribution, when: when)
    }

    func distribution() throws(ConfigError) -> Distribution {
        switch kind {
        case .uniform:
            let (low, high) = try doubleBounds()
            return .uniform(low: low, high: high, step: try node["step"].map { s throws(ConfigError) in try uniformStep(s, low, high) })
        case .logUniform:
            let (low, high) = try doubleBounds(lowest: 0, "a log range needs low > 0", inclusive: false)
            return .logUniform(low: low, high: high, q: try quantum())
        case .int:
            let (low, high) = try intBounds()
            return .int(low: low, high: high, step: try node["step"].map { s throws(ConfigError) in try intStep(s, low, high) } ?? 1)
        case .logInt:
            let (low, high) = try intBounds(lowest: 1, "a log range needs low >= 1")
            return .logInt(low: low, high: high)
        case .choice:
            let values = try choices()
            return .categorical(values, probabilities: try node["probabilities"].map { p throws(ConfigError) in try probabilities(p, choices: values.count) })
        case .fixed:
            // (A mapping or a list is one value too: a W&B constant dict, passed whole.)
            guard let v = ParameterExtraction.paramValueOrCollection(argument) else {
                if let shown = Self.nonFinite(argument) { throw fail("'fixed' takes a finite number, got \(shown)", at: key) }
                throw fail("'fixed' takes one value (a number, text, true/false, null, or a list or mapping of them), got \(argument.kindDescription)", at: key)
            }
            return .categorical([v])
        case .normal:
            let (mu, sigma) = try pair(first: "mu", second: "sigma", secondPositive: true)
            return .normal(mu: mu, sigma: sigma, q: try quantum())
        case .logNormal:
            let (mu, sigma) = try pair(first: "mu", second: "sigma", secondPositive: true)
            return .logNormal(mu: mu, sigma: sigma, q: try quantum())
        case .beta:
            let (a, b) = try pair(first: "a", second: "b", firstPositive: true, secondPositive: true)
            return .beta(a: a, b: b, q: try quantum())
        }
    }

    /// The two parameters of a normal/log-normal (`[mu, sigma]`) or beta (`[a, b]`)
    /// distribution; those required positive are checked, each error at its element.
    private func pair(first: String, second: String, firstPositive: Bool = false,
                      secondPositive: Bool) throws(ConfigError) -> (Double, Double) {
        guard let e = argument.elements, e.count == 2 else {
            throw fail("'\(key)' takes a list of two numbers, [\(first), \(second)]; got \(argument.kindDescription)", at: key)
        }
        let x = try double(e[0]), y = try double(e[1])
        if firstPositive && !(x > 0) { throw failBound(e[0], "'\(key)' needs \(first) > 0, got \(x)") }
        if secondPositive && !(y > 0) { throw failBound(e[1], "'\(key)' needs \(second) > 0, got \(y)") }
        return (x, y)
    }

    /// The optional `q` (> 0).
    private func quantum() throws(ConfigError) -> Double? {
        guard let n = node["q"] else { return nil }
        let q = try double(n)
        guard q > 0 else { throw fail("q must be > 0, got \(q)", at: "q") }
        return q
    }

    // MARK: Pieces

    /// An error at the range, or at its key `sub`.
    private func fail(_ message: String, at sub: String? = nil) -> ConfigError {
        let subPath = sub.map { path.appending($0) } ?? path
        return ConfigError(mark: sub.flatMap { node.entry($0)?.value.mark ?? node.entry($0)?.keyMark } ?? node.mark, path: subPath, message: message)
    }

    /// An error about one bound (or a step read like one).
    private func failBound(_ n: ConfigNode, _ message: String) -> ConfigError {
        ConfigError(mark: n.mark ?? argument.mark, path: path.appending(key), message: message)
    }

    private func bounds() throws(ConfigError) -> (ConfigNode, ConfigNode) {
        guard let e = argument.elements, e.count == 2 else {
            throw fail("'\(key)' takes a list of two bounds, [low, high]; got \(argument.kindDescription)", at: key)
        }
        return (e[0], e[1])
    }

    private func double(_ n: ConfigNode) throws(ConfigError) -> Double {
        switch n.value {
        case .int(let i): return Double(i)
        case .double(let d) where d.isFinite && abs(d) <= 1e300: return d
        case .double(let d) where d.isNaN: throw failBound(n, "bounds must be finite numbers, got NaN")
        case .double(let d): throw failBound(n, "bounds must be numbers within ±1e300 (a range's width must stay finite), got \(d)")
        default: throw failBound(n, "bounds must be finite numbers, got \(n.kindDescription)")
        }
    }

    private func int(_ n: ConfigNode) throws(ConfigError) -> Int {
        switch n.value {
        case .int(let i) where i.magnitude <= UInt(Self.intLimit): return i
        case .int(let i): throw failBound(n, "integer bounds must be within ±2^53, got \(i)")
        case .double(let d) where d == d.rounded() && abs(d) <= Double(Self.intLimit): return Int(d)
        case .double(let d) where d == d.rounded(): throw failBound(n, "integer bounds must be within ±2^53, got \(d)")
        case .double(let d): throw failBound(n, "'\(key)' bounds must be whole numbers, got \(d)")
        default: throw failBound(n, "'\(key)' bounds must be whole numbers, got \(n.kindDescription)")
        }
    }

    /// [low, high] as numbers, low above `lowest` (or at it when `inclusive`) and low <= high.
    private func doubleBounds(lowest: Double = -.infinity, _ rule: String = "", inclusive: Bool = true) throws(ConfigError) -> (Double, Double) {
        let (l, h) = try bounds()
        let low = try double(l), high = try double(h)
        guard inclusive ? low >= lowest : low > lowest else { throw fail("\(rule), got \(low)", at: key) }
        guard low <= high else { throw fail("empty range: low \(low) is greater than high \(high)", at: key) }
        return (low, high)
    }

    /// [low, high] as whole numbers, low >= `lowest` and low <= high.
    private func intBounds(lowest: Int = .min, _ rule: String = "") throws(ConfigError) -> (Int, Int) {
        let (l, h) = try bounds()
        let low = try int(l), high = try int(h)
        guard low >= lowest else { throw fail("\(rule), got \(low)", at: key) }
        guard low <= high else { throw fail("empty range: low \(low) is greater than high \(high)", at: key) }
        return (low, high)
    }

    /// A `step` that divides [low, high] into a whole number of steps.
    private func uniformStep(_ node: ConfigNode, _ low: Double, _ high: Double) throws(ConfigError) -> Double {
        let s = try double(node)
        guard s > 0 else { throw fail("step must be > 0, got \(s)", at: "step") }
        guard s <= high - low || low == high else { throw fail("step \(s) is larger than the range \(low)...\(high)", at: "step") }
        let k = (high - low) / s
        guard abs(k - k.rounded()) < 1e-9 * max(1, k) else {
            throw fail("the range \(low)...\(high) is not a whole number of steps of \(s)", at: "step")
        }
        return s
    }

    private func intStep(_ node: ConfigNode, _ low: Int, _ high: Int) throws(ConfigError) -> Int {
        guard case .int(let s) = node.value, s > 0 else { throw fail("step must be a whole number > 0, got \(node.literal)", at: "step") }
        guard (high - low) % s == 0 else { throw fail("the range \(low)...\(high) is not a whole number of steps of \(s)", at: "step") }
        return s
    }

    /// `.nan` or `.inf` as written, with how to pass it as text; nil for anything else. (A
    /// NaN or infinity is a number YAML reads, and no value a parameter can hold.)
    private static func nonFinite(_ node: ConfigNode) -> String? {
        guard case .double(let n) = node.value, !n.isFinite else { return nil }
        return "\(node.literal) (quote it to pass the text)"
    }

    /// `probabilities: [0.7, 0.2, 0.1]`: one number per choice, from 0 to 1, summing to 1
    /// (``ChoiceProbabilities``), each error at the element it is about.
    private func probabilities(_ node: ConfigNode, choices: Int) throws(ConfigError) -> [Double] {
        let at = path.appending("probabilities")
        guard let elements = node.elements else {
            throw ConfigError(mark: node.mark, path: at, message: "'probabilities' takes a list of numbers, one per choice; got \(node.kindDescription)")
        }
        var values: [Double] = []
        for (i, e) in elements.enumerated() {
            guard let v = e.number else {
                throw ConfigError(mark: e.mark, path: at.appending(index: i), message: "a probability is a number from 0 to 1, got \(e.kindDescription)")
            }
            values.append(v)
        }
        guard let problem = ChoiceProbabilities.problem(values, choices: choices) else { return values }
        // At the element it is about, or at the list.
        if case .notAProbability(let i, _) = problem {
            throw ConfigError(mark: elements[i].mark, path: at.appending(index: i), message: problem.description)
        }
        throw ConfigError(mark: node.mark, path: at, message: problem.description)
    }

    /// Distinct single values, at most `ParameterExtraction.maxChoices` (checked in linear time).
    private func choices() throws(ConfigError) -> [ParamValue] {
        guard let elements = argument.elements else { throw fail("'\(key)' takes a list of choices, got \(argument.kindDescription)", at: key) }
        guard !elements.isEmpty else { throw fail("'\(key)' needs at least one choice", at: key) }
        let limit = ParameterExtraction.maxChoices
        guard elements.count <= limit else {
            throw fail("'\(key)' has \(elements.count) choices; at most \(limit) are allowed (search a larger set as an int range)", at: key)
        }
        var values: [ParamValue] = []
        var seen = Set<ParamValue>(minimumCapacity: elements.count)
        for (i, e) in elements.enumerated() {
            let at = path.appending(key).appending(index: i)
            guard let v = ParameterExtraction.paramValueOrCollection(e) else {
                if let shown = Self.nonFinite(e) {
                    throw ConfigError(mark: e.mark, path: at, message: "a choice must be a finite number, got \(shown)")
                }
                throw ConfigError(mark: e.mark, path: at, message: "choices must be values (numbers, text, true/false, null) or lists or mappings of them, got \(e.kindDescription)")
            }
            if let problem = ParameterExtraction.rangeInsideFixedValue(e, what: "choice") {
                throw ConfigError(mark: e.mark, path: at, message: problem)
            }
            // (1 and 1.0 stay two choices: a program gets `1` or `1.0`, which it may read apart.)
            guard seen.insert(v).inserted else { throw ConfigError(mark: e.mark, path: at, message: "choice \(v) appears twice") }
            values.append(v)
        }
        return values
    }
}
