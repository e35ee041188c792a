import Foundation
import Search
import SweepSupport

extension CommandTask {
    /// One argument of the program: a parameter (searched, fixed or conditional) of the
    /// trial, in the order of the file's `parameters` section.
    public struct Argument: Codable, Sendable, Hashable {
        /// The parameter's name (`lr`, or `model.width` for a nested mapping).
        public var name: String
        public var value: ParamValue
        /// Where it sits in the file's `parameters`: `["model", "width"]` for a nested
        /// mapping, `["model.width"]` for a name written with a dot (`${args_json}` nests the
        /// first, as W&B does, and keeps the second flat).
        public var path: [String]

        public init(name: String, value: ParamValue, path: [String]? = nil) {
            self.name = name
            self.value = value
            self.path = path ?? [name]
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            value = try c.decode(ParamValue.self, forKey: .value)
            path = try c.decodeIfPresent([String].self, forKey: .path) ?? [name]
        }
    }

    /// The keys of a command sweep's document besides the sweep sections.
    static let documentKeys = ["seed", "parameters"] + fileKeys

    /// The file keys read into the task (the rest are the sweep sections and `parameters`).
    static let fileKeys = ["program", "command", "environment", "working_directory", "timeout", "kill_grace", "summary", "argument_style"]

    /// The `command` list's words. A number or a flag is the text Python's `str` gives it, as
    /// W&B's agent passes it (`- --num-classes` then `- 10` was refused: "expected a text
    /// value"); every element that is a list, a mapping or null is named at once.
    public static func commandWords(_ node: ConfigNode) throws(ConfigError) -> [String] {
        guard let elements = node.elements else {
            throw ConfigError(mark: node.mark, path: ConfigPath([.key("command")]), message: "expected a list of the program and its arguments, e.g. [python3, train.py, \"${args}\"]")
        }
        var words: [String] = []
        var problems: [ConfigError] = []
        for (i, element) in elements.enumerated() {
            switch element.value {
            case .string(let s): words.append(s)
            case .int(let n): words.append(CommandMacros.text(.int(n)))
            case .double(let d): words.append(CommandMacros.text(.double(d)))
            case .bool(let b): words.append(CommandMacros.text(.bool(b)))
            default:
                problems.append(ConfigError(mark: element.mark, path: ConfigPath([.key("command"), .index(i)]),
                                            message: "expected a word of the command line (text or a number), got \(element.kindDescription)"))
            }
        }
        if let all = ConfigError.combining(problems) { throw all }
        return words
    }

    /// Reads the task's settings from a trial's document (ranges already replaced by values).
    /// `wholeValues`: paths below `parameters` holding a dict value (a W&B dict choice),
    /// passed as one argument rather than as their keys' dotted names.
    static func decode(document doc: ConfigNode, epochs: Int, direction: Direction, baseDirectory: String?, decoder: ConfigDecoder,
                       wholeValues: Set<[String]> = []) throws(ConfigError) -> CommandTask {
        func string(_ key: String) throws(ConfigError) -> String? {
            try doc[key].map { n throws(ConfigError) in try decoder.decode(String.self, from: n, at: ConfigPath([.key(key)])) }
        }
        func seconds(_ key: String) throws(ConfigError) -> Double? {
            guard let node = doc[key] else { return nil }
            let value: Double?
            switch node.value {
            case .int(let i): value = Double(i)
            case .double(let d): value = d
            case .string(let s): value = Budget.parseDuration(s)
            default: value = nil
            }
            guard let value, value > 0, value.isFinite else {
                let got = node.entries == nil && node.elements == nil ? "\(node.literal)" : node.kindDescription
                throw ConfigError(mark: node.mark, path: ConfigPath([.key(key)]), message: "expected a duration > 0 (seconds, or e.g. 90s, 30m, 2h), got \(got)")
            }
            return value
        }
        // Every setting's problem at once, in file order (they came one per run, out of order).
        var problems: [ConfigError] = []
        func check<T>(_ body: () throws(ConfigError) -> T) -> T? {
            do { return try body() } catch { problems.append(error); return nil }
        }
        let program = check { () throws(ConfigError) in try string("program") } ?? nil
        var command = CommandTask.defaultCommand
        // The file's own list (its elements' places name problems), when it reads as one.
        var given: (list: [String], elements: [ConfigNode])?
        if let node = doc["command"], let list = check({ () throws(ConfigError) in try commandWords(node) }) {
            if list.isEmpty {
                problems.append(ConfigError(mark: node.mark, path: ConfigPath([.key("command")]), message: "the command is empty; give at least the program to run"))
            } else {
                command = list
                given = (list, node.elements ?? [])
            }
        }
        func mark(_ i: Int) -> SourceMark? {
            given.flatMap { $0.elements.indices.contains(i) ? $0.elements[i].mark : nil } ?? doc["command"]?.mark ?? doc.mark
        }
        // Only for the file's own command: one that could not be read has its problems said,
        // and a file with neither (a W&B file) is told it needs a program; the default
        // command's ${program} was named besides, as if the file had written it.
        if program == nil, doc["program"] == nil, given != nil, let i = command.firstIndex(where: { $0.contains("${program}") }) {
            problems.append(ConfigError(mark: mark(i), path: ConfigPath([.key("command"), .index(i)]),
                                        message: "the command uses ${program} but the file has no 'program'"))
        }
        for (i, part) in (given?.list ?? []).enumerated() {
            let mark = mark(i)
            // An element that is one unknown macro is refused (a typo: `${arg}`); inside
            // longer text it is passed on as written, as W&B's agent does (Hydra's
            // `hydra.run.dir=outputs/${now:%Y-%m-%d}` is the program's to read).
            if part.hasPrefix("${"), part.hasSuffix("}"), part.firstIndex(of: "}") == part.index(before: part.endIndex),
               let bad = CommandMacros.unknownMacro(in: part) {
                problems.append(ConfigError(mark: mark, path: ConfigPath([.key("command"), .index(i)]),
                                            message: "unknown macro '\(bad)'; known: \(CommandMacros.macros.joined(separator: ", ")), ${param:NAME}, ${envvar:NAME}"))
            }
            if let list = CommandMacros.embeddedListMacro(in: part) {
                problems.append(ConfigError(mark: mark, path: ConfigPath([.key("command"), .index(i)]),
                                            message: "\(list) becomes one argument per parameter, so it must be a list element of its own, not part of '\(part)'"))
            }
        }
        let environment = doc["environment"].flatMap { n in check { () throws(ConfigError) in try environmentVariables(n) } } ?? [:]
        var summary = Summary.last
        if let text = check({ () throws(ConfigError) in try string("summary") }) ?? nil {
            if let s = Summary(rawValue: text) {
                summary = s
            } else {
                problems.append(ConfigError(mark: doc["summary"]?.mark, path: ConfigPath([.key("summary")]), message: "unknown summary '\(text)'; expected last or best"))
            }
        }
        // A relative working directory is relative to the sweep file.
        var directory = check { () throws(ConfigError) in try string("working_directory") } ?? nil
        if let d = directory, !d.hasPrefix("/"), let base = baseDirectory {
            directory = URL(fileURLWithPath: d, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
        }
        var argumentStyle: ArgumentStyle?
        if let text = check({ () throws(ConfigError) in try string("argument_style") }) ?? nil {
            argumentStyle = ArgumentStyle(rawValue: text)
            if argumentStyle == nil {
                problems.append(ConfigError(mark: doc["argument_style"]?.mark, path: ConfigPath([.key("argument_style")]),
                                            message: "unknown argument_style '\(text)'; expected dotted (--model.width=8) or nested (--model={'width': 8}, as W&B passes nested parameters)"))
            }
        }
        let timeout = check { () throws(ConfigError) in try seconds("timeout") } ?? nil
        let killGrace = check { () throws(ConfigError) in try seconds("kill_grace") } ?? nil
        let passed = check { () throws(ConfigError) in try Self.arguments(doc["parameters"], wholeValues: wholeValues, decoder: decoder) }
        if let all = ConfigError.combining(problems) { throw all }
        return CommandTask(program: program, command: command, environment: environment, workingDirectory: directory,
                           timeout: timeout, killGrace: killGrace ?? 10, summary: summary, direction: direction, epochs: epochs,
                           arguments: passed ?? [], argumentStyle: argumentStyle)
    }

    /// `environment`: names to values; a number or true/false is its text (`OMP_NUM_THREADS: 1`).
    static func environmentVariables(_ node: ConfigNode) throws(ConfigError) -> [String: String] {
        let path = ConfigPath([.key("environment")])
        guard let entries = node.entries else {
            throw ConfigError(mark: node.mark, path: path, message: "expected a mapping of variable names to values, got \(node.kindDescription)")
        }
        var out: [String: String] = [:]
        for e in entries {
            switch e.value.value {
            case .string(let s): out[e.key] = s
            case .int, .bool: out[e.key] = e.value.literal
            case .double:
                // YAML has read it as a number: 3.10 would reach the program as 3.1.
                throw ConfigError(mark: e.value.mark, path: path.appending(e.key), message: "quote a number with a decimal point or exponent ('\(e.value.literal)') so that it reaches the program as written")
            default:
                throw ConfigError(mark: e.value.mark, path: path.appending(e.key), message: "expected a text or a number, got \(e.value.kindDescription)")
            }
        }
        return out
    }

    /// The `parameters` section of a trial's document as arguments (nested mappings give
    /// dotted names, except at `wholeValues`, dict values passed whole; a list is passed as
    /// its JSON text).
    static func arguments(_ node: ConfigNode?, wholeValues: Set<[String]> = [], decoder: ConfigDecoder) throws(ConfigError) -> [Argument] {
        guard let node else { return [] }
        guard let entries = node.entries else {
            throw ConfigError(mark: node.mark, path: ConfigPath([.key("parameters")]), message: "expected a mapping of parameter names to values or ranges, got \(node.kindDescription)")
        }
        // (Mappings written as W&B parameters were refused when the file was read:
        // ``wandBLookalikes(in:)``.)
        var out: [Argument] = []
        func walk(_ entries: [ConfigNode.Entry], prefix: [String]) {
            for e in entries {
                let path = prefix + [e.key]
                let name = path.joined(separator: ".")
                switch e.value.value {
                case .mapping(let inner) where !wholeValues.contains(path): walk(inner, prefix: path)
                default: out.append(Argument(name: name, value: scalar(e.value), path: path))
                }
            }
        }
        walk(entries, prefix: [])
        return out
    }

    /// Text holding a NUL character where it reaches the program (the command's words, the
    /// program, the working directory, `environment:` and parameter values): a command line
    /// and the environment end each string at the first NUL, so the program got `x` of
    /// `"x\0y"` while `validate` called the file valid.
    static func nulCharacters(in root: ConfigNode) -> [ConfigError] {
        var found: [ConfigError] = []
        func walk(_ node: ConfigNode, path: ConfigPath) {
            switch node.value {
            case .string(let s) where s.contains("\0"):
                found.append(ConfigError(mark: node.mark, path: path,
                                         message: "holds a NUL character (\\0), which a command line and the environment cannot pass: the program would get only the text before it"))
            case .sequence(let elements):
                for (i, element) in elements.enumerated() { walk(element, path: path.appending(index: i)) }
            case .mapping(let entries):
                for e in entries { walk(e.value, path: path.appending(e.key)) }
            default: break
            }
        }
        for key in ["command", "program", "working_directory", "environment", "parameters"] {
            if let node = root[key] { walk(node, path: ConfigPath([.key(key)])) }
        }
        return found
    }

    /// Names a program cannot be given as written: an environment variable named with `=`
    /// (`A=B: x` reached the program as A = "B=x") or none, and parameters whose argument
    /// misreads (`-x` gave `---x=1`, `a=b` gave `--a=b=2`, a line break split the argument).
    static func nameProblems(in root: ConfigNode) -> [ConfigError] {
        var found: [ConfigError] = []
        // An empty program ran `python ''` (the working directory as a module) and failed
        // every trial: refused where the command names it (the default command does).
        if case .string(let program)? = root["program"]?.value, program.trimmingCharacters(in: .whitespaces).isEmpty,
           (root["command"]?.elements?.compactMap { if case .string(let s) = $0.value { s } else { nil } } ?? defaultCommand).contains(where: { $0.contains("${program}") }) {
            found.append(ConfigError(mark: root["program"]?.mark, path: ConfigPath([.key("program")]), message: "program is empty; give the script to run, e.g. train.py"))
        }
        for e in root["environment"]?.entries ?? [] where e.key.isEmpty || e.key.contains("=") || e.key.contains("\0") {
            found.append(ConfigError(mark: e.keyMark, path: ConfigPath([.key("environment"), .key(e.key)]),
                                     message: "'\(e.key)' is no environment variable name (it is empty or holds '=' or a NUL character)"))
        }
        func walk(_ node: ConfigNode, path: ConfigPath) {
            for e in node.entries ?? [] {
                let at = path.appending(e.key)
                if e.key.hasPrefix("-") || e.key.contains("=") || e.key.contains(where: { $0.isWhitespace || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }) {
                    found.append(ConfigError(mark: e.keyMark, path: at,
                                             message: "'\(e.key)' cannot be a parameter's name: it reaches the program as --\(e.key)=VALUE, which it misreads (a name has no leading '-', no '=', no spaces or line breaks)"))
                } else if !ParameterExtraction.isRange(e.value), !ParameterExtraction.isConditionalValue(e.value), e.value.entries != nil {
                    walk(e.value, path: at)
                }
            }
        }
        if let parameters = root["parameters"] { walk(parameters, path: ConfigPath([.key("parameters")])) }
        return found
    }

    /// Arguments the program would get twice (`a.b: 1` beside `a: {b: 2}` gave `--a.b=1
    /// --a.b=2`, the trial recording one), and a range whose `name:` is another parameter's
    /// (`x: {uniform: [0, 1], name: y}` beside `y: 1`: the program got `--y=1`, the trial
    /// recorded y as the draw, and `sweep best` showed a y the program never saw).
    /// (With `argument_style: nested`, W&B's, `a.b` and `a: {b: ...}` are two arguments.)
    static func argumentCollisions(in parameters: ConfigNode, nested: Bool) -> [ConfigError] {
        var found: [ConfigError] = []
        var seen: [String: SourceMark?] = [:]
        var named: [(name: String, path: String, mark: SourceMark?)] = []
        func walk(_ node: ConfigNode, prefix: [String]) {
            for e in node.entries ?? [] {
                let path = prefix + [e.key], name = path.joined(separator: ".")
                if ParameterExtraction.isRange(e.value) {
                    if case .string(let given)? = e.value["name"]?.value, given != name { named.append((given, name, e.keyMark)) }
                } else if !ParameterExtraction.isConditionalValue(e.value), let inner = e.value.entries {
                    // An empty group passes nothing (it was dropped without a word).
                    if inner.isEmpty {
                        found.append(ConfigError(mark: e.keyMark, path: ConfigPath([.key("parameters")] + path.map { .key($0) }),
                                                 message: "an empty mapping is a group of no parameters, so the program gets nothing for it: remove it, or write \(e.key): {fixed: {}} to pass --\(name)={}"))
                    }
                    walk(e.value, prefix: path)
                    continue
                }
                if let first = seen[name], !nested {
                    let line = first.map { " (also on line \($0.line))" } ?? ""
                    found.append(ConfigError(mark: e.keyMark, path: ConfigPath([.key("parameters")] + path.map { .key($0) }),
                                             message: "the program would get --\(name) twice\(line): a dotted key and a nested one name the same parameter; keep one"))
                } else {
                    seen[name] = e.keyMark
                }
            }
        }
        walk(parameters, prefix: [])
        for n in named where seen[n.name] != nil {
            found.append(ConfigError(mark: n.mark, path: ConfigPath([.key("parameters")] + n.path.split(separator: ".").map { .key(String($0)) }),
                                     message: "this range is named '\(n.name)', which another parameter here is called: the program gets --\(n.path)=DRAW and --\(n.name)=ITS VALUE, while the trial records \(n.name) as the draw; give the range another name"))
        }
        return found
    }

    /// Infinite and NaN numbers among a command sweep's plain values (`j: .inf`, a W&B
    /// `value: [.nan, 1]`): a program got the text `inf` or `[nan, 1]` (JSON has no such
    /// number), where a choice of them is refused. Ranges check their own values.
    static func nonFiniteValues(in parameters: ConfigNode) -> [ConfigError] {
        var found: [ConfigError] = []
        func walk(_ node: ConfigNode, path: ConfigPath) {
            if ParameterExtraction.isRange(node) { return }
            if ParameterExtraction.isConditionalValue(node) { // its value, whenever it applies
                if let value = node["value"] { walk(value, path: path.appending("value")) }
                return
            }
            switch node.value {
            case .double(let d) where !d.isFinite:
                found.append(ConfigError(mark: node.mark, path: path, message: "\(node.literal) is not a finite number, and a program cannot be given it as one (JSON has none): give a finite number, or quote it ('\(node.literal)') to pass the text"))
            case .sequence(let elements):
                for (i, e) in elements.enumerated() { walk(e, path: path.appending(index: i)) }
            case .mapping(let entries):
                for e in entries { walk(e.value, path: path.appending(e.key)) }
            default:
                break
            }
        }
        walk(parameters, path: ConfigPath([.key("parameters")]))
        return found
    }

    /// The mappings of a command sweep's `parameters` written as W&B writes a parameter
    /// (their paths below `parameters`), each with its problem: found while the file's
    /// sections are checked, so they are reported with the file's other problems.
    static func wandBLookalikes(in parameters: ConfigNode) -> [(path: [String], error: ConfigError)] {
        var found: [(path: [String], error: ConfigError)] = []
        func walk(_ node: ConfigNode, prefix: [String]) {
            for e in node.entries ?? [] where e.value.entries != nil {
                let path = prefix + [e.key]
                if let problem = wandBParameter(e.value, name: path.joined(separator: "."), path: path)
                    ?? misspelledRange(e.value, name: path.joined(separator: "."), path: path) {
                    found.append((path, problem))
                } else if !ParameterExtraction.isRange(e.value) && !ParameterExtraction.isConditionalValue(e.value) {
                    walk(e.value, prefix: path)
                }
            }
        }
        walk(parameters, prefix: [])
        return found
    }

    /// A mapping written as a W&B parameter (`{min: 1, max: 10}`, `{values: [a, b]}`,
    /// `{distribution: ...}`, `{log_uniform_values: [...]}`) in a file read in Sweep's format
    /// (no `method:`): it would reach the program as fixed `--lr.min=1 --lr.max=10`, every
    /// trial alike, and a program reading its configuration by name would run its defaults.
    static func wandBParameter(_ node: ConfigNode, name: String, path: [String]) -> ConfigError? {
        // (With Sweep's `when:` or `name:` beside them too: still not a Sweep range. A Sweep
        // range whose kind W&B also names, `{uniform: [0, 1]}`, is one, and `{value: V, when:
        // ...}` is Sweep's conditional value.)
        // (Keys holding a mapping are groups or ranges of their own: `nadam: {beta: {choice:
        // [0.9, 0.95]}}`, W&B's nested parameters converted, is a parameter `beta`; `value`
        // and `values` stay W&B's, whatever they hold: `{value: {name: cosine}}`.)
        // (A key holding a mapping besides those makes it a group: `{beta: 0.9, lr:
        // {loguniform: [...]}}` is a fixed `beta` beside a range, as docs/commands.md says.)
        // (A key holding a Sweep range, `{values: {choice: [1, 2]}}` or `{min: {fixed: -1}}`,
        // is a parameter of a group: W&B's keys hold no such mapping.)
        guard !ParameterExtraction.isRange(node), !ParameterExtraction.isConditionalValue(node),
              !(node.entries ?? []).contains(where: { ($0.value.entries != nil && !["when", "value", "values"].contains($0.key)) || ParameterExtraction.isRange($0.value) }),
              let keys = node.entries.map({ Set($0.filter { $0.value.entries == nil || ["when", "value", "values"].contains($0.key) }.map(\.key)) }), !keys.isEmpty,
              keys.isSubset(of: WandBSweep.parameterKeys.union(WandBSweep.distributions.keys).union(["when", "name"])) else { return nil }
        let decisive = keys.contains("values") || keys.contains("distribution") || keys.subtracting(["when", "name"]) == ["value"] || (keys.contains("min") && keys.contains("max"))
            // (A distribution's name as a key is W&B-like with a list only, `{log_uniform_values:
            // [1e-4, 1e-1]}`: `{beta: 0.9}` is a fixed value named beta.)
            || node.entries!.contains { WandBSweep.distributions.keys.contains($0.key) && $0.value.elements != nil }
        guard decisive else { return nil }
        let written = node.entries!.map(\.key).joined(separator: ", ")
        let fixed = node.entries!.first.map { "'\(name).\($0.key): ...'" } ?? ""
        return ConfigError(mark: node.mark, path: ConfigPath(([.key("parameters")] + path.map { .key($0) })),
                           message: "{\(written)} is how a W&B sweep writes a parameter, but this file has no 'method:' and is read in Sweep's format, where it would pass these keys to every trial as fixed values (--\(name).\(node.entries!.first!.key)=...): write a Sweep range ({uniform: [low, high]}, {int: [low, high]}, {loguniform: [low, high]}, {choice: [a, b]}), or add 'method: random' (or grid, bayes) to read the file as a W&B sweep; to pass such fixed values, write them as dotted keys (\(fixed))")
    }

    /// A mapping shaped like a range whose keyword is misspelled or another tool's
    /// (`{uniformm: [0, 1]}`, `{choices: [a, b]}`, Ray's `{randint: [1, 9]}`): read as
    /// written it passes `--lr.uniformm=[0, 1]` to every trial alike, and the sweep searches
    /// nothing (`sweep validate` said "0 searched parameter(s)" and exited 0).
    static func misspelledRange(_ node: ConfigNode, name: String, path: [String]) -> ConfigError? {
        guard !ParameterExtraction.isRange(node), !ParameterExtraction.isConditionalValue(node), let entries = node.entries else { return nil }
        let at = ConfigPath([.key("parameters")] + path.map { .key($0) })
        // Optuna's distribution fields (`FloatDistribution(low, high, log, step)`).
        let keys = entries.filter { $0.key != "when" }
        let names = Set(keys.map(\.key))
        if names.isSuperset(of: ["low", "high"]), names.isSubset(of: ["low", "high", "log", "step"]) {
            return ConfigError(mark: node.mark, path: at,
                               message: "{\(keys.map(\.key).joined(separator: ", "))} is how Optuna writes a range; Sweep writes {loguniform: [low, high]} (log: true), {uniform: [low, high]} or {int: [low, high]}, with step: s beside it for a step. As written, every trial gets the same fixed values \(name).low, \(name).high and nothing is searched")
        }
        guard let (key, hint) = rangeKeywordMistake(node) else { return nil }
        return ConfigError(mark: key.keyMark, path: at.appending(key.key),
                           message: "'\(key.key)' is not a range keyword; \(hint) As written, every trial gets the same fixed value \(name).\(key.key) and nothing is searched; to pass such a fixed value, write it as a dotted key ('\(name).\(key.key): ...')")
    }

    /// The entry of a mapping that reads as a range under a misspelled or another tool's
    /// keyword, with a sentence naming the keyword meant: `{suggest_int: [16, 128], step: 16}`
    /// gives "did you mean 'int' (or 'logint')?". A training study's template says it too,
    /// where a number was expected.
    public static func rangeKeywordMistake(_ node: ConfigNode) -> (entry: ConfigNode.Entry, hint: String)? {
        guard !ParameterExtraction.isRange(node), !ParameterExtraction.isConditionalValue(node), let entries = node.entries else { return nil }
        // One key besides a `when:` (with `name: adamw` beside it, `betas: [0.9, 0.999]` is an
        // optimizer's setting, not a misspelled `beta`).
        let keys = entries.filter { $0.key != "when" }
        let names = Set(keys.map(\.key))
        // A range's own modifiers beside the keyword (`{suggest_int: [16, 128], step: 16}`,
        // `{float: [1e-6, 0.1], log: true}` as Optuna's arguments read) hid it: refused only
        // when alone, it passed `--hidden.suggest_int=[16, 128] --hidden.step=16` to every trial.
        let modifiers: Set<String> = ["step", "q", "probabilities", "log"]
        let rest = keys.filter { !modifiers.contains($0.key) && $0.key != "name" }
        // Ray's derived value (`tune.sample_from(lambda spec: ...)`), whatever it holds.
        if keys.count == 1, let key = keys.first, key.key == "sample_from" {
            return (key, "Ray's sample_from has no counterpart in a sweep file: compute the value in the program from the others, or write a conditional value ({value: ..., when: {...}}).")
        }
        guard rest.count == 1, let key = rest.first, case .sequence(let bounds) = key.value.value else { return nil }
        let word = key.key.lowercased(), alone = keys.count == 1
        // Ray's (and numpy's) randint excludes its high end, Sweep's int includes it: the
        // hint's `{int: [1, 4]}` for `randint: [1, 4]` searched a 4 Ray never tried.
        if ["randint", "lograndint"].contains(word), alone, bounds.count == 2, case .int(let low) = bounds[0].value, case .int(let high) = bounds[1].value, high > low {
            let sweeps = word == "randint" ? "int" : "logint"
            return (key, "did you mean '\(sweeps)' with the high end one less, {\(sweeps): [\(low), \(high - 1)]}? \(word) excludes its high end, Sweep's ranges include it.")
        }
        // Ray's qrandint(low, high, q) rounds to multiples of q: the same values as Sweep's
        // step counted from the first multiple of q at or above low.
        if word == "qrandint", alone, bounds.count == 3, case .int(let low) = bounds[0].value, case .int(let high) = bounds[1].value,
           case .int(let q) = bounds[2].value, q > 0 {
            let first = Int((Double(low) / Double(q)).rounded(.up)) * q, last = Int((Double(high) / Double(q)).rounded(.down)) * q
            if first <= last {
                return (key, "did you mean {int: [\(first), \(last)], step: \(q)}? Ray's qrandint rounds to multiples of q; Sweep's step counts from the low end.")
            }
        }
        // Another tool's word is a range alone, or beside modifiers when no setting would be
        // named so (`suggest_int`, `randint`), or beside Optuna's `log: true`:
        // `{name: step, range: [1, 10], step: 2}` and `{range: [0, 255], q: 8}` are settings.
        let logScale: Bool = if case .bool(true)? = node["log"]?.value { true } else { false }
        let otherTool = Self.otherToolsRanges[word].flatMap {
            alone || (!names.contains("name") && (Self.otherToolsOnly.contains(word) || logScale)) ? $0 : nil
        }
        // Keywords of 6 letters or more, one edit away (or a different case): `{ids: [1, 2]}`,
        // `{norms: [...]}` and `{betas: [...]}` are plain values, not `int`, `normal`, `beta`;
        // beside a name, a keyword's plural is a setting too (`{name: x, choices: [a, b]}`).
        let typo = RangeKind.keys.first { k in
            k.count >= 6 && editDistance(word, k) <= 1 && key.key != k && (!names.contains("name") || word != k + "s")
        }
        var meant = otherTool ?? typo.map { "'\($0)'" }
        // Optuna's `log=True`: the log keyword of the range meant.
        if meant != nil, logScale, let log = Self.logKeyword(for: typo ?? word) { meant = log }
        return meant.map { (key, "did you mean \($0)?") }
    }

    /// Sweep's keyword for a log scale on the range `word` names (nil for choices).
    static func logKeyword(for word: String) -> String? {
        if ["choice", "choices", "categorical", "grid", "grid_search", "suggest_categorical"].contains(word) { return nil }
        if word.contains("int") || word == "range" { return "'logint' (Sweep's keyword for log=True on integers)" }
        if word.contains("normal") || word == "randn" { return "'lognormal'" }
        return "'loguniform' (Sweep's keyword for log=True)"
    }

    /// Other tools' range keywords that name nothing else (a setting named `range`, `grid`
    /// or `float` beside a `step` is plausible; one named `suggest_int` is not).
    static let otherToolsOnly: Set<String> = [
        "randint", "qrandint", "lograndint", "grid_search", "suggest_categorical", "suggest_float", "suggest_uniform",
        "suggest_loguniform", "suggest_int", "discrete_uniform", "suggest_discrete_uniform", "quniform", "qloguniform",
        "qnormal", "qlognormal", "qrandn", "qlograndint",
    ]

    /// Other tools' range keywords (Ray Tune, Optuna's `suggest_*`, Hyperopt), with how Sweep
    /// writes the same range.
    static let otherToolsRanges: [String: String] = [
        "randint": "'int' (with the high end one less: randint excludes it, Sweep's int includes it)", "qrandint": "'int' (with step: q, counted from the low end: {int: [3, 9], step: 3} for Ray's multiples of 3)", "lograndint": "'logint' (with the high end one less: lograndint excludes it)", "qlograndint": "'logint' (Sweep's log-int range has no q)",
        "grid_search": "'choice'", "grid": "'choice'", "choices": "'choice'", "suggest_categorical": "'choice'",
        "float": "'uniform' (or 'loguniform' for a log scale)", "suggest_float": "'uniform' (or 'loguniform' for a log scale)",
        "suggest_uniform": "'uniform'", "suggest_loguniform": "'loguniform'", "suggest_int": "'int' (or 'logint')",
        "discrete_uniform": "'uniform' (with step: q)", "suggest_discrete_uniform": "'uniform' (with step: q)",
        "quniform": "'uniform' (with step: q)", "qloguniform": "'loguniform' (with q: q)", "range": "'int' (or 'uniform')",
        "randn": "'normal'", "qrandn": "'normal' (with q: q)", "qnormal": "'normal' (with q: q)", "qlognormal": "'lognormal' (with q: q)",
    ]

    private static func scalar(_ node: ConfigNode) -> ParamValue {
        switch node.value {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .null: return .null
        default: return ParameterExtraction.paramValueOrCollection(node) ?? .string(node.literal)
        }
    }
}
