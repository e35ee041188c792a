import Search

/// A searched parameter as written in a sweep file: where it is, and what it draws.
public struct ParameterSpec: Hashable, Sendable {
    /// The parameter as the search side sees it.
    public var parameter: Parameter
    /// Where the range sits in the document (its value is replaced per trial).
    public var path: ConfigPath
    public var mark: SourceMark?
}

/// Finds search ranges (`{uniform: [0.1, 0.5]}`, `{choice: [relu, elu]}`, ...) in a
/// document and turns them into ``ParameterSpec``s.
///
/// A mapping is a search range when it has exactly one of the distribution keys; it may
/// add `step` (uniform and int), `name` (the parameter's name; default: the path without
/// its section, e.g. `optimizer.learning_rate`) and `when` (a condition on an earlier
/// parameter: `when: {optimizer.name: [momentum, nesterov]}`).
enum ParameterExtraction {
    static let distributionKeys: [String: String] = [
        "uniform": "uniform", "loguniform": "loguniform", "log_uniform": "loguniform",
        "int": "int", "logint": "logint", "log_int": "logint",
        "choice": "choice", "categorical": "choice", "fixed": "fixed",
    ]
    static let modifierKeys: Set<String> = ["step", "name", "when"]
    /// The most values a `choice` may list. Every choice is tried once by `sweep validate`,
    /// shown by `sweep show` and weighed by TPE at each suggestion, so costs grow with the
    /// list; a larger set is better searched as an `int` range over indices.
    static let maxChoices = 10_000

    /// A parameter before its condition's parent is resolved to a name.
    struct RawParameter {
        var name: String
        var path: ConfigPath
        var mark: SourceMark?
        var distribution: Distribution
        var when: (parentReference: String, values: [ParamValue], mark: SourceMark?)?
    }

    /// A value that is part of a trial only when a condition holds:
    /// `boundaries: {value: [5, 15], when: {schedule.name: [piecewise]}}`. Not a searched
    /// parameter (nothing is drawn or recorded); lists and mappings are allowed.
    struct ConditionalValue {
        var path: ConfigPath
        var mark: SourceMark?
        var value: ConfigNode
        var parentReference: String
        var values: [ParamValue]
        var whenMark: SourceMark?
    }

    /// Whether `node` is exactly `{value: ..., when: ...}`.
    static func isConditionalValue(_ node: ConfigNode) -> Bool {
        guard let entries = node.entries, entries.count == 2 else { return false }
        return Set(entries.map(\.key)) == ["value", "when"]
    }

    /// Whether `node` is a mapping that uses at least one distribution key.
    static func isRange(_ node: ConfigNode) -> Bool {
        guard let entries = node.entries else { return false }
        return entries.contains { distributionKeys[$0.key] != nil }
    }

    /// Extracts every range under `node` (at `path`), in document order.
    static func extract(from node: ConfigNode, at path: ConfigPath, defaultName: (ConfigPath) -> String) throws(ConfigError) -> [RawParameter] {
        var found: [RawParameter] = []
        var conditional: [ConditionalValue] = []
        try walk(node, path: path, insideSequence: false, defaultName: defaultName, into: &found, conditional: &conditional)
        return found
    }

    /// Extracts every range and every conditional value under `node`, in document order.
    static func extractAll(from node: ConfigNode, at path: ConfigPath, defaultName: (ConfigPath) -> String) throws(ConfigError) -> ([RawParameter], [ConditionalValue]) {
        var found: [RawParameter] = []
        var conditional: [ConditionalValue] = []
        try walk(node, path: path, insideSequence: false, defaultName: defaultName, into: &found, conditional: &conditional)
        return (found, conditional)
    }

    private static func walk(_ node: ConfigNode, path: ConfigPath, insideSequence: Bool, defaultName: (ConfigPath) -> String,
                             into found: inout [RawParameter], conditional: inout [ConditionalValue]) throws(ConfigError) {
        if isConditionalValue(node) {
            if insideSequence {
                throw ConfigError(mark: node.mark, path: path, message: "a value inside a list cannot have a 'when' condition (the list element cannot be left out)")
            }
            let w = node["when"]!
            guard let we = w.entries, we.count == 1 else {
                throw ConfigError(mark: w.mark, path: path.appending("when"), message: "'when' takes one condition, e.g. when: {schedule.name: [piecewise]}")
            }
            var values: [ParamValue] = []
            for v in we[0].value.elements ?? [we[0].value] {
                guard let pv = paramValue(v) else {
                    throw ConfigError(mark: v.mark, path: path.appending("when").appending(we[0].key), message: "condition values must be single values, got \(v.kindDescription)")
                }
                values.append(pv)
            }
            conditional.append(ConditionalValue(path: path, mark: node.mark, value: node["value"]!, parentReference: we[0].key,
                                                values: values, whenMark: we[0].keyMark ?? w.mark))
            return
        }
        if isRange(node) {
            let p = try parse(node, path: path, defaultName: defaultName)
            if p.when != nil && insideSequence {
                throw ConfigError(mark: node.mark, path: path, message: "a parameter inside a list cannot have a 'when' condition (the list element cannot be left out)")
            }
            found.append(p)
            return
        }
        switch node.value {
        case .mapping(let entries):
            for e in entries { try walk(e.value, path: path.appending(e.key), insideSequence: false, defaultName: defaultName, into: &found, conditional: &conditional) }
        case .sequence(let elements):
            for (i, e) in elements.enumerated() { try walk(e, path: path.appending(index: i), insideSequence: true, defaultName: defaultName, into: &found, conditional: &conditional) }
        default:
            break
        }
    }

    private static func parse(_ node: ConfigNode, path: ConfigPath, defaultName: (ConfigPath) -> String) throws(ConfigError) -> RawParameter {
        let entries = node.entries ?? []
        func fail(_ message: String, at sub: String? = nil) -> ConfigError {
            let subPath = sub.map { path.appending($0) } ?? path
            return ConfigError(mark: sub.flatMap { node.entry($0)?.value.mark ?? node.entry($0)?.keyMark } ?? node.mark, path: subPath, message: message)
        }
        let kinds = entries.filter { distributionKeys[$0.key] != nil }
        if kinds.count > 1 {
            throw fail("a parameter has exactly one distribution; found \(kinds.map { "'\($0.key)'" }.joined(separator: " and "))")
        }
        let kindEntry = kinds[0]
        let kind = distributionKeys[kindEntry.key]!
        for e in entries where distributionKeys[e.key] == nil && !modifierKeys.contains(e.key) {
            let all = Array(distributionKeys.keys) + Array(modifierKeys)
            let hint = closest(to: e.key, in: all).map { "; did you mean '\($0)'?" } ?? "; a range allows only one distribution plus step, name and when"
            throw fail("unknown key '\(e.key)' in a search range\(hint)", at: e.key)
        }
        let arg = kindEntry.value
        let argPath = kindEntry.key

        func bounds() throws(ConfigError) -> (ConfigNode, ConfigNode) {
            guard let e = arg.elements, e.count == 2 else {
                throw fail("'\(kindEntry.key)' takes a list of two bounds, [low, high]; got \(arg.kindDescription)", at: argPath)
            }
            return (e[0], e[1])
        }
        func double(_ n: ConfigNode) throws(ConfigError) -> Double {
            switch n.value {
            case .int(let i): return Double(i)
            case .double(let d) where d.isFinite && abs(d) <= 1e300: return d
            default: throw ConfigError(mark: n.mark ?? arg.mark, path: path.appending(argPath), message: "bounds must be finite numbers, got \(n.kindDescription)")
            }
        }
        // Bounds stay within ±2^53 so every value is exact as a double and no range
        // arithmetic can overflow.
        let limit = 1 << 53
        func int(_ n: ConfigNode) throws(ConfigError) -> Int {
            switch n.value {
            case .int(let i) where abs(i) <= limit: return i
            case .int(let i):
                throw ConfigError(mark: n.mark ?? arg.mark, path: path.appending(argPath), message: "integer bounds must be within ±2^53, got \(i)")
            case .double(let d) where d == d.rounded() && abs(d) <= Double(limit): return Int(d)
            case .double(let d) where d == d.rounded():
                throw ConfigError(mark: n.mark ?? arg.mark, path: path.appending(argPath), message: "integer bounds must be within ±2^53, got \(d)")
            default: throw ConfigError(mark: n.mark ?? arg.mark, path: path.appending(argPath), message: "'\(kindEntry.key)' bounds must be whole numbers, got \(n.kindDescription)")
            }
        }
        let stepNode = node["step"]
        if stepNode != nil && kind != "uniform" && kind != "int" {
            throw fail("'step' applies only to 'uniform' and 'int' ranges", at: "step")
        }

        let distribution: Distribution
        switch kind {
        case "uniform":
            let (l, h) = try bounds()
            let low = try double(l), high = try double(h)
            guard low <= high else { throw fail("empty range: low \(low) is greater than high \(high)", at: argPath) }
            var step: Double?
            if let stepNode {
                let s = try double(stepNode)
                guard s > 0 else { throw fail("step must be > 0, got \(s)", at: "step") }
                guard s <= high - low || low == high else { throw fail("step \(s) is larger than the range \(low)...\(high)", at: "step") }
                let k = (high - low) / s
                guard abs(k - k.rounded()) < 1e-9 * max(1, k) else {
                    throw fail("the range \(low)...\(high) is not a whole number of steps of \(s)", at: "step")
                }
                step = s
            }
            distribution = .uniform(low: low, high: high, step: step)
        case "loguniform":
            let (l, h) = try bounds()
            let low = try double(l), high = try double(h)
            guard low > 0 else { throw fail("a log range needs low > 0, got \(low)", at: argPath) }
            guard low <= high else { throw fail("empty range: low \(low) is greater than high \(high)", at: argPath) }
            distribution = .logUniform(low: low, high: high)
        case "int":
            let (l, h) = try bounds()
            let low = try int(l), high = try int(h)
            guard low <= high else { throw fail("empty range: low \(low) is greater than high \(high)", at: argPath) }
            var step = 1
            if let stepNode {
                guard case .int(let s) = stepNode.value, s > 0 else { throw fail("step must be a whole number > 0, got \(stepNode.literal)", at: "step") }
                guard (high - low) % s == 0 else { throw fail("the range \(low)...\(high) is not a whole number of steps of \(s)", at: "step") }
                step = s
            }
            distribution = .int(low: low, high: high, step: step)
        case "logint":
            let (l, h) = try bounds()
            let low = try int(l), high = try int(h)
            guard low >= 1 else { throw fail("a log range needs low >= 1, got \(low)", at: argPath) }
            guard low <= high else { throw fail("empty range: low \(low) is greater than high \(high)", at: argPath) }
            distribution = .logInt(low: low, high: high)
        case "choice":
            guard let elements = arg.elements else { throw fail("'\(kindEntry.key)' takes a list of choices, got \(arg.kindDescription)", at: argPath) }
            guard !elements.isEmpty else { throw fail("'\(kindEntry.key)' needs at least one choice", at: argPath) }
            guard elements.count <= maxChoices else {
                throw fail("'\(kindEntry.key)' has \(elements.count) choices; at most \(maxChoices) are allowed (search a larger set as an int range)", at: argPath)
            }
            var values: [ParamValue] = []
            var seen = Set<ParamValue>(minimumCapacity: elements.count)
            for (i, e) in elements.enumerated() {
                guard let v = paramValue(e) else {
                    throw ConfigError(mark: e.mark, path: path.appending(argPath).appending(index: i), message: "choices must be single values (numbers, text, true/false), got \(e.kindDescription)")
                }
                guard seen.insert(v).inserted else { throw ConfigError(mark: e.mark, path: path.appending(argPath).appending(index: i), message: "choice \(v) appears twice") }
                values.append(v)
            }
            distribution = .categorical(values)
        default: // fixed
            guard let v = paramValue(arg) else { throw fail("'fixed' takes a single value, got \(arg.kindDescription)", at: argPath) }
            distribution = .categorical([v])
        }

        var name = defaultName(path)
        if let n = node["name"] {
            guard case .string(let s) = n.value, !s.isEmpty else { throw fail("name must be text, got \(n.kindDescription)", at: "name") }
            name = s
        }

        var when: (String, [ParamValue], SourceMark?)?
        if let w = node["when"] {
            guard let we = w.entries, we.count == 1 else {
                throw fail("'when' takes one condition, e.g. when: {optimizer.name: [momentum, nesterov]}", at: "when")
            }
            let parent = we[0]
            var values: [ParamValue] = []
            let valueNodes = parent.value.elements ?? [parent.value]
            for v in valueNodes {
                guard let pv = paramValue(v) else {
                    throw ConfigError(mark: v.mark, path: path.appending("when").appending(parent.key), message: "condition values must be single values, got \(v.kindDescription)")
                }
                values.append(pv)
            }
            guard !values.isEmpty else { throw fail("'when' needs at least one value", at: "when") }
            when = (parent.key, values, parent.keyMark ?? w.mark)
        }
        return RawParameter(name: name, path: path, mark: node.mark, distribution: distribution, when: when)
    }

    /// A scalar node as a parameter value.
    static func paramValue(_ node: ConfigNode) -> ParamValue? {
        switch node.value {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d) where d.isFinite: return .double(d)
        case .string(let s): return .string(s)
        default: return nil
        }
    }

    /// A parameter value as a document node (placed where the range was).
    static func node(for value: ParamValue, mark: SourceMark?) -> ConfigNode {
        switch value {
        case .bool(let b): return ConfigNode(.bool(b), mark: mark)
        case .int(let i): return ConfigNode(.int(i), mark: mark)
        case .double(let d): return ConfigNode(.double(d), mark: mark)
        case .string(let s): return ConfigNode(.string(s), mark: mark)
        }
    }

    /// Resolves conditions to parameter names and orders parents before children.
    static func resolve(_ raw: [RawParameter]) throws(ConfigError) -> [ParameterSpec] {
        var byName: [String: Int] = [:]
        for (i, p) in raw.enumerated() {
            if let j = byName[p.name] {
                let firstLine = raw[j].mark.map { " (first on line \($0.line))" } ?? ""
                throw ConfigError(mark: p.mark, path: p.path, message: "parameter name '\(p.name)' is used twice\(firstLine); give one of them another 'name:'")
            }
            byName[p.name] = i
        }
        // A condition may name its parent by parameter name or by document path.
        var byPath: [String: Int] = [:]
        for (i, p) in raw.enumerated() { byPath[p.path.description] = i }

        var parentIndex: [Int?] = Array(repeating: nil, count: raw.count)
        var specs: [ParameterSpec] = []
        for (i, p) in raw.enumerated() {
            var condition: Condition?
            if let w = p.when {
                guard let j = byName[w.parentReference] ?? byPath[w.parentReference] else {
                    let hint = closest(to: w.parentReference, in: Array(byName.keys)).map { "; did you mean '\($0)'?" }
                        ?? "; searched parameters are: \(raw.map(\.name).joined(separator: ", "))"
                    throw ConfigError(mark: w.mark, path: p.path.appending("when"), message: "condition on unknown parameter '\(w.parentReference)'\(hint)")
                }
                guard j != i else { throw ConfigError(mark: w.mark, path: p.path.appending("when"), message: "a parameter cannot depend on itself") }
                for v in w.values where !raw[j].distribution.contains(v) {
                    throw ConfigError(mark: w.mark, path: p.path.appending("when"), message: "'\(raw[j].name)' can never be \(v); its values are \(describe(raw[j].distribution))")
                }
                parentIndex[i] = j
                condition = Condition(parent: raw[j].name, values: w.values)
            }
            specs.append(ParameterSpec(parameter: Parameter(name: p.name, distribution: p.distribution, condition: condition), path: p.path, mark: p.mark))
        }
        // Stable topological order: each parameter after its parent chain.
        var ordered: [Int] = []
        var state = Array(repeating: 0, count: raw.count) // 0 new, 1 visiting, 2 done
        func visit(_ i: Int) throws(ConfigError) {
            if state[i] == 2 { return }
            if state[i] == 1 { throw ConfigError(mark: raw[i].mark, path: raw[i].path.appending("when"), message: "conditions form a cycle through '\(raw[i].name)'") }
            state[i] = 1
            if let j = parentIndex[i] { try visit(j) }
            state[i] = 2
            ordered.append(i)
        }
        for i in raw.indices { try visit(i) }
        return ordered.map { specs[$0] }
    }

    /// "0.001...0.1 (log)", "[relu, elu]" for messages.
    static func describe(_ d: Distribution) -> String {
        switch d {
        case .uniform(let l, let h, let s): return "\(l)...\(h)" + (s.map { " step \($0)" } ?? "")
        case .logUniform(let l, let h): return "\(l)...\(h) (log)"
        case .int(let l, let h, let s): return "\(l)...\(h)" + (s == 1 ? "" : " step \(s)")
        case .logInt(let l, let h): return "\(l)...\(h) (log)"
        case .categorical(let c): return "[" + c.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
