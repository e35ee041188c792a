import Foundation
import Search

/// Expands a command template's macros for one trial, as W&B defines them
/// (docs/commands.md), plus Sweep's `${trial}`, `${seed}` and `${param:NAME}`.
///
/// An element that is exactly one of ``listMacros`` (`${args}`, ...) becomes one argument
/// per parameter (two for `${args_no_equals}`); `${env}` alone is dropped when there is no
/// `/usr/bin/env`; other macros, `${envvar:NAME}` (the worker's environment) among them, are
/// replaced inside the element.
public enum CommandMacros {
    /// A trial's seed as programs get it (`${seed}`, `SWEEP_SEED`): its low 32 bits, the range
    /// numpy's `seed` and scikit-learn's `random_state` take (a 63-bit seed made
    /// `np.random.seed(int(os.environ["SWEEP_SEED"]))` raise ValueError in every trial).
    public static func programSeed(_ seed: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: seed) }

    public static let macros = ["${env}", "${interpreter}", "${program}", "${args}", "${args_no_hyphens}", "${args_no_boolean_flags}",
                                "${args_no_equals}", "${args_append_hydra}", "${args_override_hydra}",
                                "${args_json}", "${args_json_file}", "${trial}", "${seed}"]

    /// What the worker knows when it expands a command.
    public struct Context: Sendable {
        public var program: String?
        public var arguments: [CommandTask.Argument]
        public var trial: Int
        public var seed: UInt64
        /// The file holding `${args_json}` (written by the worker).
        public var argsJSONFile: String
        /// `${interpreter}`: W&B says `python`; a host with only `python3` gets that.
        public var interpreter: String
        /// How the list macros pass nested parameters.
        public var style: CommandTask.ArgumentStyle
        /// The program's environment, which `${envvar:NAME}` reads (nil: this process's):
        /// `${envvar:SWEEP_TRIAL}` and the sweep file's `environment:` were empty.
        public var environment: [String: String]?

        public init(program: String?, arguments: [CommandTask.Argument], trial: Int, seed: UInt64, argsJSONFile: String, interpreter: String,
                    style: CommandTask.ArgumentStyle = .dotted, environment: [String: String]? = nil) {
            self.environment = environment
            self.program = program
            self.arguments = arguments
            self.style = style
            self.trial = trial
            self.seed = seed
            self.argsJSONFile = argsJSONFile
            self.interpreter = interpreter
        }
    }

    /// `${interpreter}` on this host: `python` as W&B says, or `python3` on hosts (like
    /// Debian) that have only that.
    public static let hostInterpreter: String = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let hasPython = path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/python") }
        return hasPython ? "python" : "python3"
    }()

    /// The first `${...}` in `part` that is not a known macro, if any.
    public static func unknownMacro(in part: String) -> String? {
        var rest = Substring(part)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { return String(rest[open.lowerBound...]) }
            let macro = String(rest[open.lowerBound...close])
            if !macros.contains(macro) && !macro.hasPrefix("${param:") && !macro.hasPrefix("${envvar:") { return macro }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    /// The macros that become one argument per parameter: only as a whole list element.
    public static let listMacros = ["${args}", "${args_no_hyphens}", "${args_no_boolean_flags}", "${args_no_equals}",
                                    "${args_append_hydra}", "${args_override_hydra}"]

    /// A list macro inside a longer element (`"--all ${args}"`), which cannot expand there.
    public static func embeddedListMacro(in part: String) -> String? {
        listMacros.contains(part) ? nil : listMacros.first { part.contains($0) }
    }

    /// The NAMEs of the `${param:NAME}` macros in `part`.
    public static func parameterNames(in part: String) -> [String] {
        var names: [String] = []
        var rest = Substring(part)
        while let open = rest.range(of: "${param:"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            names.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The argument vector for one trial.
    public static func expand(_ template: [String], _ c: Context) -> [String] {
        var argv: [String] = []
        // (`${args_json}` nests by path in either style; `${param:NAME}` names a parameter.)
        let passed = passed(c.arguments, style: c.style)
        for part in template {
            switch part {
            case "${env}":
                if FileManager.default.isExecutableFile(atPath: "/usr/bin/env") { argv.append("/usr/bin/env") }
            case "${args}":
                argv += passed.map { "--\($0.name)=\(text($0.value))" }
            case "${args_no_hyphens}":
                argv += passed.map { "\($0.name)=\(text($0.value))" }
            case "${args_no_equals}":
                argv += passed.flatMap { ["--\($0.name)", text($0.value)] }
            case "${args_append_hydra}":
                argv += passed.map { "+\($0.name)=\(hydraText($0.value))" }
            case "${args_override_hydra}":
                argv += passed.map { "++\($0.name)=\(hydraText($0.value))" }
            case "${args_no_boolean_flags}":
                argv += passed.compactMap { a in
                    if case .bool(let b) = a.value { return b ? "--\(a.name)" : nil }
                    return "--\(a.name)=\(text(a.value))"
                }
            default:
                // An element naming an inactive parameter (`--momentum=${param:momentum}` while
                // the optimizer is sgd) is left out, as the list macros leave the parameter out:
                // the program got the text `${param:momentum}`.
                if parameterNames(in: part).contains(where: { name in !c.arguments.contains { $0.name == name } }) { continue }
                argv.append(substitute(part, c))
            }
        }
        return argv
    }

    /// A value in Hydra's override grammar: `null`, `true`, numbers, `[64,32]`, `{name:step}`,
    /// and text quoted when Hydra would read it otherwise (`'x=y'`, `'a,b'`, `'null'`). The
    /// Python literals of the other macros were read by Hydra as the text `'None'`, or
    /// failed its parser (`{'name': 'step'}`, `x=y`).
    public static func hydraText(_ v: ParamValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double: return pythonLiteral(v)
        case .list(let items): return "[" + items.map(hydraText).joined(separator: ",") + "]"
        case .dict(let members): return "{" + members.keys.sorted().map { hydraText(.string($0)) + ":" + hydraText(members[$0]!) }.joined(separator: ",") + "}"
        case .string(let s):
            let bare = s.first.map { $0.isLetter || $0 == "_" || $0 == "/" } == true
                && s.allSatisfy { $0.isLetter || $0.isNumber || "_-./".contains($0) }
                && !["true", "false", "null", "none", "nan", "inf", "yes", "no", "on", "off"].contains(s.lowercased())
            if bare { return s }
            // Quoted: a quote escaped, backslashes before a quote or the end doubled, and an
            // interpolation `${` escaped (OmegaConf resolves it inside quotes too).
            let chars = Array(s)
            var out = "'"
            var i = 0
            while i < chars.count {
                if chars[i] == "\\" {
                    var n = 0
                    while i < chars.count, chars[i] == "\\" { n += 1; i += 1 }
                    out += String(repeating: "\\", count: i == chars.count || chars[i] == "'" ? 2 * n : n)
                    continue
                }
                switch chars[i] {
                case "'": out += "\\'"
                case "$" where i + 1 < chars.count && chars[i + 1] == "{": out += "\\$"
                default: out.append(chars[i])
                }
                i += 1
            }
            return out + "'"
        }
    }

    /// `part` with its macros replaced, in one pass from left to right: what a macro gives
    /// (a parameter's value, an environment variable, the JSON of the arguments) is never
    /// read for macros again. (Replaced one kind after another, a choice `"${envvar:TOKEN}"`
    /// reached `${args_json}` as the worker's secret, and `${param:a}` holding `${param:b}`
    /// became b's value.) An unknown macro stays as written.
    private static func substitute(_ part: String, _ c: Context) -> String {
        guard part.contains("${") else { return part }
        var out = ""
        var rest = Substring(part)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close]
            if let value = macroValue(name, c) {
                out += value
            } else {
                out += rest[open.lowerBound...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// What the macro `${name}` stands for; nil for none Sweep knows.
    private static func macroValue(_ name: Substring, _ c: Context) -> String? {
        switch name {
        case "interpreter": return c.interpreter
        case "program": return c.program ?? ""
        case "args_json_file": return c.argsJSONFile
        case "args_json": return nestedJSON(c.arguments)
        case "trial": return String(c.trial)
        case "seed": return String(programSeed(c.seed))
        case "env": return "/usr/bin/env"
        default:
            if name.hasPrefix("param:") {
                let parameter = name.dropFirst("param:".count)
                return c.arguments.first { $0.name == parameter }.map { text($0.value) }
            }
            // W&B's `${envvar:NAME}`: the program's environment (empty when unset).
            if name.hasPrefix("envvar:") { return (c.environment ?? ProcessInfo.processInfo.environment)[String(name.dropFirst("envvar:".count))] ?? "" }
            return nil
        }
    }

    /// A value as the program sees it on its command line, as W&B's agent writes it (Python's
    /// `str`): booleans `True`/`False`, lists as Python literals (`[64, 32]`, `['relu',
    /// 'tanh']`, `[True, False]`), which `ast.literal_eval` and `sweep_client` read back.
    public static func text(_ v: ParamValue) -> String {
        switch v {
        case .string(let s): return s
        default: return pythonLiteral(v)
        }
    }

    /// `v` as Python's `repr` writes it (inside lists, strings are quoted).
    static func pythonLiteral(_ v: ParamValue) -> String {
        switch v {
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        case .list(let items): return "[" + items.map(pythonLiteral).joined(separator: ", ") + "]"
        case .dict(let members):
            return "{" + members.keys.sorted().map { pythonLiteral(.string($0)) + ": " + pythonLiteral(members[$0]!) }.joined(separator: ", ") + "}"
        case .string(let s):
            // Python quotes with ' unless the text holds ' and no ".
            let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = String(quote)
            for u in s.unicodeScalars {
                switch u {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where Character(u) == quote: out += "\\" + String(quote)
                case _ where u.value < 0x20 || u.value == 0x7F: out += String(format: "\\x%02x", u.value)
                default: out.unicodeScalars.append(u)
                }
            }
            return out + String(quote)
        }
    }

    /// The arguments the list macros (and `SWEEP_PARAMS`) pass in `style`.
    public static func passed(_ arguments: [CommandTask.Argument], style: CommandTask.ArgumentStyle) -> [CommandTask.Argument] {
        style == .nested ? grouped(arguments) : arguments
    }

    /// `arguments` one per top-level key, in file order: a nested group (`optimizer.lr`,
    /// `optimizer.nadam.beta`) becomes one dict argument (`optimizer: {lr: .., nadam: {beta: ..}}`);
    /// a name written with a dot stays as it is. W&B's agent passes nested parameters so.
    public static func grouped(_ arguments: [CommandTask.Argument]) -> [CommandTask.Argument] {
        var order: [String] = []
        var top: [String: ParamValue] = [:]
        func inserting(_ value: ParamValue, at path: ArraySlice<String>, into existing: ParamValue?) -> ParamValue {
            guard let key = path.first else { return value }
            var members: [String: ParamValue] = if case .dict(let m)? = existing { m } else { [:] }
            members[key] = inserting(value, at: path.dropFirst(), into: members[key])
            return .dict(members)
        }
        for a in arguments {
            let key = a.path[0]
            if top[key] == nil { order.append(key) }
            top[key] = a.path.count == 1 ? a.value : inserting(a.value, at: a.path.dropFirst(), into: top[key])
        }
        return order.map { CommandTask.Argument(name: $0, value: top[$0]!) }
    }

    /// The parameters as one JSON object, in file order, flat: `SWEEP_PARAMS` (dotted names
    /// for nested parameters).
    public static func json(_ arguments: [CommandTask.Argument]) -> String {
        nestedJSON(arguments.map { CommandTask.Argument(name: $0.name, value: $0.value) }) // every path one name long
    }

    /// The parameters as W&B's `${args_json}` gives them: nested parameters as nested objects
    /// (`{"optimizer": {"lr": 0.01}}`), a name written with a dot as it is, in file order.
    public static func nestedJSON(_ arguments: [CommandTask.Argument]) -> String {
        // An ordered tree of the paths; a leaf and a group never share a key (a YAML mapping
        // has each key once).
        final class Node {
            var keys: [String] = []
            var leaves: [String: ParamValue] = [:]
            var groups: [String: Node] = [:]
            func text() -> String {
                "{" + keys.map { k in "\(ParamValue.jsonQuoted(k)): " + (leaves[k].map(\.jsonText) ?? groups[k]!.text()) }.joined(separator: ", ") + "}"
            }
        }
        let root = Node()
        for a in arguments {
            var node = root
            for (i, key) in a.path.enumerated() {
                let last = i == a.path.count - 1
                if node.leaves[key] == nil && node.groups[key] == nil { node.keys.append(key) }
                if last {
                    if node.groups[key] == nil { node.leaves[key] = a.value }
                } else {
                    if node.leaves[key] != nil { break } // cannot happen in a file; keep the leaf
                    let child = node.groups[key] ?? Node()
                    node.groups[key] = child
                    node = child
                }
            }
        }
        return root.text()
    }
}
