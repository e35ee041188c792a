import Search
import SweepSupport

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
    /// The most values a `choice` may list. Every choice is tried once by `sweep validate`,
    /// shown by `sweep show` and weighed by TPE at each suggestion, so costs grow with the
    /// list; a larger set is better searched as an `int` range over indices.
    static let maxChoices = 10_000

    /// The most parameters a file may search. `sweep validate` (and every run and resume)
    /// tries each one at its bounds in a whole trial document, a cost that grows with the
    /// square of the count (1,000 take about 2 s), and TPE weighs every one at each
    /// suggestion; 1,000 is far beyond any real search.
    static let maxParameters = 1_000

    /// A parameter before its condition's parent is resolved to a name.
    struct RawParameter {
        var name: String
        var path: ConfigPath
        var mark: SourceMark?
        var distribution: Distribution
        var when: WhenClause?
    }

    /// A value that is part of a trial only when a condition holds:
    /// `boundaries: {value: [5, 15], when: {schedule.name: [piecewise]}}`. Not a searched
    /// parameter (nothing is drawn or recorded); lists and mappings are allowed.
    struct ConditionalValue {
        var path: ConfigPath
        var mark: SourceMark?
        var value: ConfigNode
        var when: WhenClause
        var parentReference: String { when.parentReference }
        var values: [ParamValue] { when.values }
        var whenMark: SourceMark? { when.mark }
    }

    /// Whether `node` is exactly `{value: ..., when: ...}`.
    static func isConditionalValue(_ node: ConfigNode) -> Bool {
        guard let entries = node.entries, entries.count == 2 else { return false }
        return Set(entries.map(\.key)) == ["value", "when"]
    }

    /// Whether `node` is a mapping that uses at least one distribution key. A mapping with a
    /// key that holds ranges itself is a group of parameters, not a range, even when another
    /// key is named like a distribution: `model: {beta: {uniform: [0.5, 4]}}` (a beta-VAE's
    /// beta), a program's `parameters` with Adam's `beta: 0.9` beside `lr: {loguniform: ...}`
    /// (read as one range, it was "unknown key 'lr' in a search range").
    static func isRange(_ node: ConfigNode) -> Bool {
        guard let entries = node.entries else { return false }
        // (A condition's mapping is not a range: `when: {beta: [0.9]}` names a parameter. A
        // `fixed` value is a literal, even a mapping of range-like keys: a W&B constant dict.)
        return entries.contains { RangeKind(key: $0.key) != nil }
            && !entries.contains { !RangeParser.modifierKeys.contains($0.key) && RangeKind(key: $0.key) != .fixed && containsRange($0.value) }
    }

    /// Whether `node` is, or holds somewhere in its mappings, a range.
    private static func containsRange(_ node: ConfigNode) -> Bool {
        guard let entries = node.entries else { return false }
        return isRange(node) || entries.contains { containsRange($0.value) }
    }

    /// Why a fixed value (a choice, a conditional `value:`) may not hold a range: it reaches
    /// the program as written, `{'lr': {'loguniform': [...]}}`, and nothing is searched
    /// (Ray Tune's nested spaces, written so, were called valid). Nil when it holds none.
    static func rangeInsideFixedValue(_ node: ConfigNode, what: String) -> String? {
        func holds(_ n: ConfigNode) -> Bool {
            // A range keyword with its list of bounds or choices (`lr: {loguniform: [...]}`);
            // a setting named like one (Adam's `beta: 0.9`) or `{fixed: ...}` is a literal.
            if let entries = n.entries {
                return entries.contains { e in
                    guard let kind = RangeKind(key: e.key), kind != .fixed else { return false }
                    return e.value.elements != nil
                } || entries.contains { holds($0.value) }
            }
            return n.elements?.contains(where: holds) ?? false
        }
        guard holds(node) else { return nil }
        return "\(what) holds a search range, which is not searched there: a \(what) is a fixed value, used as written. Search it as a parameter of its own, with `when:` naming the choice it belongs to (e.g. adam_lr: {loguniform: [1.0e-4, 1.0e-2], when: {optimizer: [adam]}} for a program's parameters; docs/sweep-format.md)"
    }

    /// Extracts every range and every conditional value under `node`, in document order.
    static func extractAll(from node: ConfigNode, at path: ConfigPath, defaultName: (ConfigPath) -> String) throws(ConfigError) -> ([RawParameter], [ConditionalValue]) {
        let (found, conditional, problems, _) = try extractCollecting(from: node, at: path, defaultName: defaultName)
        if let all = ConfigError.combining(problems) { throw all }
        return (found, conditional)
    }

    /// The ranges and conditional values under `node` that read well, the problems of the
    /// others (every one at once: one per edit was four rounds of `sweep validate`), and
    /// the names and paths of the ranges in error (a condition on one of them is not also
    /// "on an unknown parameter"). Throws only for too many parameters.
    static func extractCollecting(from node: ConfigNode, at path: ConfigPath, defaultName: (ConfigPath) -> String) throws(ConfigError)
        -> (found: [RawParameter], conditional: [ConditionalValue], problems: [ConfigError], failed: Set<String>) {
        var found: [RawParameter] = []
        var conditional: [ConditionalValue] = []
        var problems: [ConfigError] = []
        walk(node, path: path, insideSequence: false, defaultName: defaultName, into: &found, conditional: &conditional, problems: &problems)
        var failed: Set<String> = []
        for p in problems {
            // The range's path: the error's path up to the range (it may name a key in it).
            var components = p.path.components
            while !components.isEmpty {
                let prefix = ConfigPath(components)
                failed.insert(prefix.description)
                failed.insert(defaultName(prefix))
                components.removeLast()
            }
        }
        if found.count > maxParameters {
            let extra = found[maxParameters]
            throw ConfigError(mark: extra.mark, path: extra.path, message: "the file searches \(found.count) parameters; at most \(maxParameters) can be searched (each is tried at its bounds when the file is checked, and weighed at every suggestion): fix values that need not be searched")
        }
        return (found, conditional, problems, failed)
    }

    private static func walk(_ node: ConfigNode, path: ConfigPath, insideSequence: Bool, defaultName: (ConfigPath) -> String,
                             into found: inout [RawParameter], conditional: inout [ConditionalValue], problems: inout [ConfigError]) {
        do throws(ConfigError) {
            if isConditionalValue(node) {
                if insideSequence {
                    throw ConfigError(mark: node.mark, path: path, message: "a value inside a list cannot have a 'when' condition (the list element cannot be left out)")
                }
                if let problem = rangeInsideFixedValue(node["value"]!, what: "conditional value") {
                    throw ConfigError(mark: node["value"]!.mark, path: path.appending("value"), message: problem)
                }
                let when = try WhenClause(node["when"]!, at: path, example: "when: {schedule.name: [piecewise]}")
                conditional.append(ConditionalValue(path: path, mark: node.mark, value: node["value"]!, when: when))
                return
            }
            if isRange(node) {
                let p = try RangeParser(node, at: path).parameter(defaultName: defaultName(path))
                if p.when != nil && insideSequence {
                    throw ConfigError(mark: node.mark, path: path, message: "a parameter inside a list cannot have a 'when' condition (the list element cannot be left out)")
                }
                found.append(p)
                return
            }
        } catch {
            problems.append(error)
            return
        }
        switch node.value {
        case .mapping(let entries):
            for e in entries { walk(e.value, path: path.appending(e.key), insideSequence: false, defaultName: defaultName, into: &found, conditional: &conditional, problems: &problems) }
        case .sequence(let elements):
            for (i, e) in elements.enumerated() { walk(e, path: path.appending(index: i), insideSequence: true, defaultName: defaultName, into: &found, conditional: &conditional, problems: &problems) }
        default:
            break
        }
    }

    /// A scalar node as a parameter value.
    static func paramValue(_ node: ConfigNode) -> ParamValue? {
        switch node.value {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d) where d.isFinite: return .double(d)
        case .string(let s): return .string(s)
        case .null: return .null
        default: return nil
        }
    }

    /// A scalar node, or a list or mapping of scalars, lists and mappings, as a parameter
    /// value (a W&B choice may be a list, `values: [[64, 32], [128]]`, or a dict,
    /// `values: [{name: cosine, warmup: 5}]`).
    static func paramValueOrCollection(_ node: ConfigNode) -> ParamValue? {
        if let entries = node.entries {
            var members: [String: ParamValue] = [:]
            for e in entries {
                guard let v = paramValueOrCollection(e.value) else { return nil }
                members[e.key] = v
            }
            return .dict(members)
        }
        guard let elements = node.elements else { return paramValue(node) }
        var items: [ParamValue] = []
        for e in elements {
            guard let v = paramValueOrCollection(e) else { return nil }
            items.append(v)
        }
        return .list(items)
    }

    /// A parameter value as a document node (placed where the range was).
    static func node(for value: ParamValue, mark: SourceMark?) -> ConfigNode {
        switch value {
        case .bool(let b): return ConfigNode(.bool(b), mark: mark)
        case .int(let i): return ConfigNode(.int(i), mark: mark)
        case .double(let d): return ConfigNode(.double(d), mark: mark)
        case .string(let s): return ConfigNode(.string(s), mark: mark)
        case .null: return ConfigNode(.null, mark: mark)
        case .list(let items): return ConfigNode(.sequence(items.map { node(for: $0, mark: mark) }), mark: mark)
        case .dict(let members):
            return ConfigNode(.mapping(members.keys.sorted().map { .init(key: $0, keyMark: mark, value: node(for: members[$0]!, mark: mark)) }), mark: mark)
        }
    }

    /// Resolves conditions to parameter names and orders parents before children.
    /// `unresolvable`: names and paths of ranges in error; conditions on them are skipped.
    static func resolve(_ raw: [RawParameter], unresolvable: Set<String> = [], refuseContinuousConditions: Bool = true) throws(ConfigError) -> [ParameterSpec] {
        var problems: [ConfigError] = []
        var byName: [String: Int] = [:]
        for (i, p) in raw.enumerated() {
            if let j = byName[p.name] {
                let firstLine = raw[j].mark.map { " (first on line \($0.line))" } ?? ""
                problems.append(ConfigError(mark: p.mark, path: p.path, message: "parameter name '\(p.name)' is used twice\(firstLine); give one of them another 'name:'"))
                continue
            }
            byName[p.name] = i
        }
        // A condition may name its parent by parameter name or by document path.
        var byPath: [String: Int] = [:]
        for (i, p) in raw.enumerated() { byPath[p.path.description] = i }

        var parentIndex: [Int?] = Array(repeating: nil, count: raw.count)
        // By index in `raw` (nil: left out, its condition naming a range in error, reported
        // by the caller: an array of the others was indexed by `raw`'s indices, and crashed).
        var specs: [ParameterSpec?] = Array(repeating: nil, count: raw.count)
        for (i, p) in raw.enumerated() {
            var condition: Condition?
            if let w = p.when {
                guard let j = byName[w.parentReference] ?? byPath[w.parentReference] else {
                    if unresolvable.contains(w.parentReference) { continue }
                    // (Not the parameter itself: a parameter cannot depend on itself.)
                    let hint = closestName(to: w.parentReference, in: byName.keys.filter { $0 != p.name }).map { "; did you mean '\($0)'?" }
                        ?? "; searched parameters are: \(raw.map(\.name).joined(separator: ", "))"
                    problems.append(ConfigError(mark: w.mark, path: p.path.appending("when"), message: "condition on unknown parameter '\(w.parentReference)'\(hint)"))
                    continue
                }
                guard j != i else {
                    problems.append(ConfigError(mark: w.mark, path: p.path.appending("when"), message: "a parameter cannot depend on itself"))
                    continue
                }
                let values: [ParamValue]
                do throws(ConfigError) {
                    values = try conditionValues(w.values, on: raw[j].name, raw[j].distribution, refuseContinuous: refuseContinuousConditions,
                                                 mark: w.mark, at: p.path.appending("when"))
                } catch {
                    problems.append(error)
                    continue
                }
                parentIndex[i] = j
                condition = Condition(parent: raw[j].name, values: values)
            }
            specs[i] = ParameterSpec(parameter: Parameter(name: p.name, distribution: p.distribution, condition: condition), path: p.path, mark: p.mark)
        }
        if let all = ConfigError.combining(problems) { throw all }
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
        return ordered.compactMap { specs[$0] }
    }

    /// The values of a `when:` on parameter `parent`, as its distribution draws them (`4.0`
    /// for the int 4). A condition on a continuous range is refused: it would almost never
    /// hold, and the dependent parameter would silently never be used.
    static func conditionValues(_ values: [ParamValue], on parent: String, _ distribution: Distribution, refuseContinuous: Bool,
                                mark: SourceMark?, at path: ConfigPath) throws(ConfigError) -> [ParamValue] {
        if refuseContinuous && distribution.isContinuous {
            throw ConfigError(mark: mark, path: path, message: "'\(parent)' is continuous (\(describe(distribution))): a condition on one of its values would almost never hold; condition on a choice, an int range or a range with a step")
        }
        var out: [ParamValue] = []
        for v in values {
            guard let drawn = distribution.conditionValue(v) else {
                // Text quoted: a quoted "4" is not the int 4 ("can never be 4; its values are 1...4").
                let shown = if case .string = v { v.jsonText } else { v.description }
                // `when: {m: [on]}` beside choices "on" and "off": YAML read the unquoted word as a flag.
                var hint = ""
                if case .bool(let b) = v, case .categorical(let choices, _) = distribution,
                   let word = choices.compactMap({ c -> String? in if case .string(let s) = c { s } else { nil } })
                       .first(where: { YAMLReader.plainBool($0) == b }) {
                    hint = " (YAML reads the unquoted \(word) as \(b): quote it, '\(word)')"
                }
                throw ConfigError(mark: mark, path: path, message: "'\(parent)' can never be \(shown); its values are \(describe(distribution))\(hint)")
            }
            out.append(drawn)
        }
        return out
    }

    /// "0.001...0.1 (log)", "[relu, elu]" for messages.
    static func describe(_ d: Distribution) -> String {
        switch d {
        case .uniform(let l, let h, let s): return "\(l)...\(h)" + (s.map { " step \($0)" } ?? "")
        case .logUniform(let l, let h, let q): return "\(l)...\(h) (log\(q.map { ", q \($0)" } ?? ""))"
        case .int(let l, let h, let s): return "\(l)...\(h)" + (s == 1 ? "" : " step \(s)")
        case .logInt(let l, let h): return "\(l)...\(h) (log)"
        case .categorical(let c, let p): return "[" + c.map(\.description).joined(separator: ", ") + "]" + Distribution.probabilitiesSummary(p)
        case .normal, .logNormal, .beta: return d.summary
        }
    }
}
