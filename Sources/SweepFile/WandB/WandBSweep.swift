import Foundation
import Search
import Training
import SweepSupport

/// Reads a W&B sweep file (`method:`, `metric: {name, goal}`, `parameters` with
/// `value`/`values`/`min`/`max`/`distribution`, `early_terminate`, `run_cap`, `program`,
/// `command`) as the equivalent Sweep document (docs/commands.md has the mapping).
///
/// Every value keeps its place in the W&B file, so later errors still point into it. A
/// W&B key Sweep cannot honour is an error naming it, never a silent drop.
public enum WandBSweep {
    /// Whether a document is a W&B sweep file: W&B's `method` is required, and Sweep
    /// files have no such key.
    public static func isWandB(_ root: ConfigNode) -> Bool { root["method"] != nil }

    /// Keys Sweep reads from a W&B file; `project` and `entity` name the W&B project,
    /// `controller` (`{type: local}`) where W&B runs its search, and `apiVersion` and `kind`
    /// (`sweep`) label the document: none changes the search (Sweep's coordinator is always
    /// yours), so they are accepted and left out.
    static let topKeys = ["program", "command", "method", "metric", "parameters", "early_terminate", "run_cap", "name", "description",
                          "project", "entity", "controller", "apiVersion", "kind"]
    /// W&B Launch's keys (a sweep of queued jobs), which Sweep does not run.
    /// (A Launch `scheduler` names a `job`; Sweep's own `scheduler` is PBT's.)
    static let launchKeys = ["job", "image_uri", "launch"]
    /// Sweep's own keys, allowed in a W&B file to set what W&B has no word for.
    static let sweepExtensions = ["study", "seed", "budget", "retry", "environment", "working_directory", "timeout", "kill_grace", "summary", "argument_style"]

    /// A trial budget for a grid without `run_cap` (the grid's size caps it).
    static let gridTrials = 1_000_000

    /// How a W&B file is read: as this version reads it, or as Sweep did before 2026-12-06
    /// (a constant dict as its leaves' dotted names, nested parameters as dotted arguments,
    /// a grid's q_uniform as a rounded range), which the studies it started were stored with.
    public enum Reading: Sendable, CaseIterable {
        case current
        case before20261206
    }

    /// The Sweep document for a W&B one; `file` names the study when the file has no `name`.
    public static func convert(_ root: ConfigNode, file: String?, strict: Bool = true, reading: Reading = .current) throws(ConfigError) -> ConfigNode {
        guard let entries = root.entries else {
            throw ConfigError(mark: root.mark, path: ConfigPath(), message: "a W&B sweep file is a mapping, got \(root.kindDescription)")
        }
        // Every problem is reported, in file order (as for Sweep's own files).
        var problems: [ConfigError] = []
        func check(_ body: () throws(ConfigError) -> Void) {
            do throws(ConfigError) { try body() } catch { problems.append(error) }
        }
        for e in entries where !topKeys.contains(e.key) && !sweepExtensions.contains(e.key) {
            let near = (topKeys + sweepExtensions).filter { editDistance($0, e.key) <= 2 }.min { editDistance($0, e.key) < editDistance($1, e.key) }
            // Sweep's own sections (`sampler`, `objective`) in a file read as W&B's: say which
            // key of this format holds that.
            let ownKey: [String: String] = ["sampler": "method", "objective": "metric", "pruner": "early_terminate", "budget": "run_cap"]
            let isLaunch = launchKeys.contains(e.key) || (e.key == "scheduler" && e.value["job"] != nil)
            let message: String
            if let own = ownKey[e.key] {
                message = "'\(e.key)' is a section of Sweep's own format, but this file has 'method:' and is read as a W&B sweep file, which writes it as '\(own)' (or remove 'method:' to write the file in Sweep's format)"
            } else if isLaunch {
                message = "'\(e.key)' belongs to W&B Launch sweeps, which Sweep does not run; a sweep Sweep runs names its training script in 'program' (or 'command')"
            } else if let near {
                message = "unknown W&B key '\(e.key)'; did you mean '\(near)'?"
            } else {
                message = "unknown key '\(e.key)': not a key of W&B sweep files (W&B warns and goes on; Sweep refuses it, so that a misspelt key is not silently lost): remove it"
            }
            problems.append(unsupported(e.key, e.keyMark, ConfigPath([.key(e.key)]), message))
        }
        if let kind = root["kind"], kind.value != .string("sweep") {
            problems.append(ConfigError(mark: kind.mark, path: ConfigPath([.key("kind")]), message: "kind must be sweep (W&B's only kind of sweep file), got \(kind.number != nil ? kind.literal : kind.kindDescription)"))
        }
        var out: [ConfigNode.Entry] = []
        func add(_ key: String, _ node: ConfigNode) { out.append(.init(key: key, keyMark: node.mark, value: node)) }

        // study: W&B's name, made a valid study name; else the file's base name.
        if root["study"] == nil {
            let fileName = file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
            // (A name YAML reads as a number, `name: 2024`, stays the file's: a study begun so
            // is found again by `--resume` and `sweep run` under that name. Quoted, it is text.)
            let named: String? = if case .string(let n)? = root["name"]?.value { n } else { nil }
            // A name of no letters Sweep takes (`日本語`): the file's name, as without one.
            let name = [named, fileName].compactMap { $0.flatMap(studyName) }.first ?? "wandb-sweep"
            add("study", ConfigNode(.string(name), mark: root["name"]?.mark ?? root.mark))
        }
        for key in ["study", "seed", "description", "program", "command", "environment", "working_directory", "timeout", "kill_grace", "summary", "retry"] {
            if let node = root[key] { add(key, node) }
        }
        // W&B's agent passes a nested parameter as one dict (`--optimizer={'lr': 0.1}`): W&B's
        // own train-nested-cli.py failed on `--optimizer.lr=0.1` (unrecognized arguments).
        if reading == .current {
            add("argument_style", root["argument_style"] ?? ConfigNode(.string(CommandTask.ArgumentStyle.nested.rawValue), mark: root.mark))
        }
        if root["program"] == nil && root["command"] == nil {
            problems.append(ConfigError(mark: root.mark, path: ConfigPath([.key("program")]), message: "a W&B sweep file needs 'program' (or 'command'): the training script to run"))
        }

        let methodNode = root["method"]!
        var sampler = "random" // when the method is wrong, the rest is still checked as for random
        switch methodNode.value {
        case .string("grid"): sampler = "grid"
        case .string("random"): sampler = "random"
        case .string("bayes"): sampler = "tpe"
        default:
            problems.append(ConfigError(mark: methodNode.mark, path: ConfigPath([.key("method")]), message: "method must be grid, random or bayes, got \(methodNode.kindDescription)"))
        }
        add("sampler", mapping(["name": .string(sampler)], mark: methodNode.mark))

        check { () throws(ConfigError) in
            if let metric = root["metric"] {
                guard let me = metric.entries else {
                    throw ConfigError(mark: metric.mark, path: ConfigPath([.key("metric")]), message: "metric is {name, goal}, got \(metric.kindDescription)")
                }
                // impute and impute_while_running tell W&B's bayes what value a failed or
                // running run counts as; Sweep's samplers leave such trials out (accepted:
                // docs/commands.md says how Sweep differs).
                for e in me where !["name", "goal", "target", "impute", "impute_while_running"].contains(e.key) {
                    throw unsupported(e.key, e.keyMark, ConfigPath([.key("metric"), .key(e.key)]), "unknown key '\(e.key)' in metric; expected name, goal and target")
                }
                guard case .string(let name)? = metric["name"]?.value else {
                    throw ConfigError(mark: metric.mark, path: ConfigPath([.key("metric"), .key("name")]), message: "metric needs 'name', the metric your program logs")
                }
                var goal = "minimize" // W&B's default
                if let g = metric["goal"] {
                    guard case .string(let s) = g.value, s == "minimize" || s == "maximize" else {
                        throw ConfigError(mark: g.mark, path: ConfigPath([.key("metric"), .key("goal")]), message: "goal must be minimize or maximize, got \(g.kindDescription)")
                    }
                    goal = s
                }
                var objective = mapping(["metric": .string(name), "direction": .string(goal)], mark: metric.mark)
                // W&B: the sweep finishes once a run reaches it (running runs end as they do).
                if let target = metric.entry("target") { objective = objective.setting("target", to: target.value) }
                add("objective", objective)
            } else if sampler == "tpe" {
                throw ConfigError(mark: methodNode.mark, path: ConfigPath([.key("metric")]), message: "method bayes needs 'metric' ({name, goal}) to know what to optimize")
            } else {
                // W&B runs a grid or random sweep without one; Sweep ranks trials and ends a trial by it.
                throw ConfigError(mark: root.mark, path: ConfigPath([.key("metric")]),
                                  message: "Sweep needs 'metric' to rank the trials (W&B runs \(sampler) sweeps without one): add metric: {name: <what your program logs>, goal: minimize or maximize}")
            }
        }

        if let params = root["parameters"] {
            check { () throws(ConfigError) in add("parameters", try parameters(params, path: ConfigPath([.key("parameters")]), grid: sampler == "grid", strict: strict, reading: reading)) }
        } else {
            problems.append(ConfigError(mark: root.mark, path: ConfigPath([.key("parameters")]), message: "a W&B sweep file needs 'parameters'"))
        }

        if let et = root["early_terminate"] {
            check { () throws(ConfigError) in add("pruner", try earlyTerminate(et)) }
        } else {
            add("pruner", mapping(["name": .string("none")], mark: root.mark))
        }

        check { () throws(ConfigError) in
            // Sweep's `budget` may sit beside W&B's keys: its `trials` or `run_cap` (not both)
            // count the trials, and its other keys (max_epochs, wall_time) apply either way
            // (`run_cap` with `budget: {max_epochs: 5}` was refused, and without `run_cap` a
            // grid needed `trials` to bound its epochs).
            let budget = root["budget"]
            if budget?["trials"] != nil, root["run_cap"] != nil {
                throw ConfigError(mark: root.entry("run_cap")?.keyMark, path: ConfigPath([.key("run_cap")]), message: "give the trial budget once: run_cap or budget.trials")
            }
            var trials = ConfigNode(.int(gridTrials), mark: methodNode.mark)
            if let given = budget?["trials"] {
                trials = given
            } else if var cap = root["run_cap"] {
                // A whole number written as a float (`10.0`): W&B's schema takes it as an integer.
                if case .double(let d) = cap.value, d == d.rounded(), d >= 1, d <= Double(Budget.maxTrials) { cap = ConfigNode(.int(Int(d)), mark: cap.mark) }
                guard case .int(let n) = cap.value, n >= 1, n <= Budget.maxTrials else {
                    let got = cap.number != nil ? cap.literal : cap.kindDescription
                    throw ConfigError(mark: cap.mark, path: ConfigPath([.key("run_cap")]),
                                      message: "run_cap must be a whole number of runs from 1 to \(Budget.maxTrials), got \(got)")
                }
                trials = cap
            } else if sampler != "grid" {
                // W&B's agents run until stopped: so does Sweep, up to its largest budget.
                trials = ConfigNode(.int(Budget.maxTrials), mark: root.mark)
            }
            // W&B does not bound the steps of a run (hyperband's max_iter only ends its rungs):
            // unless the budget says, neither does Sweep.
            var entries: [ConfigNode.Entry] = [.init(key: "trials", value: trials)]
            if budget?["max_epochs"] == nil { entries.append(.init(key: "max_epochs", value: ConfigNode(.int(uncappedEpochs), mark: budget?.mark ?? root.mark))) }
            entries += (budget?.entries ?? []).filter { $0.key != "trials" }
            if let budget, budget.entries == nil {
                add("budget", budget) // not a mapping: refused where budgets are read, in Sweep's words
            } else {
                add("budget", ConfigNode(.mapping(entries), mark: budget?.mark ?? trials.mark))
            }
        }
        if !problems.isEmpty {
            // The command's settings (macros, timeout, summary, ...) are checked with the rest,
            // not in a second round once the W&B keys are right.
            let settings = ConfigNode(.mapping(out.filter { CommandTask.fileKeys.contains($0.key) }), mark: root.mark)
            do throws(ConfigError) {
                _ = try CommandTask.decode(document: settings, epochs: 1, direction: .minimize, baseDirectory: nil, decoder: ConfigDecoder(file: file))
            } catch {
                problems.append(error)
            }
        }
        if let problem = ConfigError.combining(problems) { throw problem }
        return ConfigNode(.mapping(out), mark: root.mark)
    }

    // MARK: Problems in the file's terms

    /// A problem of the Sweep document a W&B file converts to, said in the file's terms: its
    /// path names W&B's keys (`parameters.opt.values[1]`, `parameters.lr`, `run_cap`) where
    /// Sweep's would name keys the file does not have (`choice[1]`, `parameters.lr.normal`,
    /// `budget.trials`). Its place in the file (`mark`) is already the W&B value's.
    public static func inFileTerms(_ error: ConfigError, file root: ConfigNode) -> ConfigError {
        var mapped = error.all.map { e in
            var e = e
            e.path = filePath(of: e.path, in: root)
            if e.path.components.contains(.key("values")), let hint = valuesHints.first(where: { e.message.contains($0.key) })?.value {
                e.message += hint
            }
            // The sampler is the file's `method`.
            if e.path.components.first == .key("sampler") {
                e.path = ConfigPath([.key("method")])
                e.message = e.message.replacingOccurrences(of: "or use another sampler", with: "or use method: random or bayes (Sweep enumerates a grid before it starts, and refuses one this large whatever run_cap says)")
            }
            return e
        }
        var first = mapped.removeFirst()
        first.others = mapped
        return first
    }

    /// What Sweep's refusals of a `values` entry mean for a W&B file, by a phrase of them.
    private static let valuesHints: [String: String] = [
        "appears twice": " (W&B weights a value listed twice; Sweep's choices are distinct: list it once, and weigh the values with `probabilities`)",
    ]

    /// `path` in the converted document as the W&B file `root` names it.
    static func filePath(of path: ConfigPath, in root: ConfigNode) -> ConfigPath {
        let c = path.components
        if c == [.key("budget"), .key("trials")], root["run_cap"] != nil, root["budget"] == nil { return ConfigPath([.key("run_cap")]) }
        if c == [.key("objective"), .key("target")], root["metric"] != nil { return ConfigPath([.key("metric"), .key("target")]) }
        guard c.first == .key("parameters"), var node = root["parameters"] else { return path }
        var out: [ConfigPath.Component] = [.key("parameters")]
        var rest = c.dropFirst()
        while case .key(let key)? = rest.first {
            if let child = node[key] {
                out.append(.key(key))
                node = child
                rest = rest.dropFirst()
                // W&B nests parameters under `parameters`; Sweep under the name itself.
                if let nested = node["parameters"], case .key(let next)? = rest.first, nested[next] != nil {
                    out.append(.key("parameters"))
                    node = nested
                }
                continue
            }
            // A Sweep key the conversion wrote: a choice is W&B's value at the same index;
            // problems of a range (`int`, `normal`, ...) are the parameter's, at the place
            // in the file their mark gives.
            rest = rest.dropFirst()
            if key == "choice", let index = rest.first { return ConfigPath(out + [.key("values"), index] + rest.dropFirst()) }
            return ConfigPath(out)
        }
        return ConfigPath(out + rest)
    }

    // MARK: Parameters

    /// W&B distributions and their Sweep range key.
    static let distributions: [String: String] = [
        "constant": "fixed", "categorical": "choice", "int_uniform": "int", "uniform": "uniform", "q_uniform": "uniform",
        "log_uniform_values": "loguniform", "log_uniform": "loguniform", "q_log_uniform_values": "loguniform",
        "inv_log_uniform": "loguniform", "inv_log_uniform_values": "loguniform", "q_log_uniform": "loguniform",
        "normal": "normal", "q_normal": "normal", "log_normal": "lognormal", "q_log_normal": "lognormal",
        "beta": "beta", "q_beta": "beta", "categorical_w_probabilities": "choice",
    ]

    /// `strict`: W&B's schema rules Sweep came to check later (parameter names, an empty
    /// mapping) apply; a stored study's file is read without them, so it still resumes.
    private static func parameters(_ node: ConfigNode, path: ConfigPath, grid: Bool, strict: Bool, reading: Reading) throws(ConfigError) -> ConfigNode {
        guard let entries = node.entries else {
            throw ConfigError(mark: node.mark, path: path, message: "parameters is a mapping of names to {value | values | min/max | distribution}, got \(node.kindDescription)")
        }
        // W&B's schema: at least one parameter, named `^[A-Za-z_][A-Za-z0-9_.-]*$`.
        guard !entries.isEmpty || !strict else {
            throw ConfigError(mark: node.mark, path: path, message: "parameters needs at least one parameter (W&B refuses an empty mapping)")
        }
        var out: [ConfigNode.Entry] = []
        var problems: [ConfigError] = []
        for e in entries {
            do throws(ConfigError) {
                guard Self.isParameterName(e.key) || !strict else {
                    throw ConfigError(mark: e.keyMark, path: path.appending(e.key),
                                      message: "'\(e.key)' is no W&B parameter name: it starts with an ASCII letter or '_' and holds ASCII letters, digits, '_', '.' and '-' (W&B refuses it too)")
                }
                if let literal = e.value["value"], literal.entries != nil,
                   Set(e.value.entries?.map(\.key) ?? []).isSubset(of: ["value", "distribution"]),
                   e.value["distribution"].map({ $0.value == .string("constant") }) ?? true {
                    // A constant dict (`value: {name: adam, beta: 0.9}`) is a literal in W&B;
                    // as a Sweep mapping its keys could read as ranges (`beta`, `int`, `name`).
                    // `fixed` holds it as one value, passed whole as W&B passes it.
                    if reading == .before20261206 {
                        out += Self.dottedLeaves(of: literal, prefix: e.key, keyMark: e.keyMark)
                    } else {
                        out.append(fixed(e, holding: literal, markedAt: literal.mark))
                    }
                    continue
                }
                out.append(.init(key: e.key, keyMark: e.keyMark, value: try parameter(e.value, path: path.appending(e.key), grid: grid, strict: strict, reading: reading)))
            } catch {
                problems.append(error)
            }
        }
        if let problem = ConfigError.combining(problems) { throw problem }
        // Constants named like Sweep's range keywords (a beta-VAE's `beta: {value: 4}`,
        // `normal`, `int`) made a group of constants (`{beta: 4, eps: 1e-8}`) read as a
        // range, refused: they are `fixed`, passed as the plain values they are. (Only then:
        // a group that read well keeps the space a study stored with it began with, and a
        // study read as an older Sweep read it, as before.)
        if reading == .current, ParameterExtraction.isRange(ConfigNode(.mapping(out), mark: node.mark)) {
            out = out.map { e in
                guard RangeKind(key: e.key) != nil, !ParameterExtraction.isRange(e.value) else { return e }
                return fixed(e, holding: e.value, markedAt: e.keyMark)
            }
        }
        // A nested group of constants named as W&B's keys (`clip: {parameters: {min: {value:
        // -1}, max: {value: 1}}}`) read as a W&B parameter written in Sweep's format, refused
        // with "this file has no 'method:'": they are `fixed` too.
        if reading == .current, path.components.count > 1,
           CommandTask.wandBParameter(ConfigNode(.mapping(out), mark: node.mark), name: "", path: []) != nil {
            out = out.map { e in
                guard e.value.entries == nil else { return e }
                return fixed(e, holding: e.value, markedAt: e.keyMark)
            }
        }
        return ConfigNode(.mapping(out), mark: node.mark)
    }

    /// Entry `e` with `value` as Sweep's `{fixed: value}`: one value passed as it is, whatever
    /// keys it holds (a constant dict, a group of constants named as range keywords).
    private static func fixed(_ e: ConfigNode.Entry, holding value: ConfigNode, markedAt mark: SourceMark?) -> ConfigNode.Entry {
        .init(key: e.key, keyMark: e.keyMark, value: ConfigNode(.mapping([.init(key: "fixed", keyMark: mark, value: value)]), mark: e.value.mark))
    }

    /// The leaves of a literal mapping as entries named by their dotted path (how a constant
    /// dict was read before 2026-12-06).
    private static func dottedLeaves(of node: ConfigNode, prefix: String, keyMark: SourceMark?) -> [ConfigNode.Entry] {
        guard let entries = node.entries, !entries.isEmpty else { return [.init(key: prefix, keyMark: keyMark, value: node)] }
        return entries.flatMap { dottedLeaves(of: $0.value, prefix: prefix + "." + $0.key, keyMark: $0.keyMark) }
    }

    /// Whether W&B's schema takes `name` for a parameter: ASCII letters, digits, `_`, `.`,
    /// `-`, not starting with a digit, `.` or `-`.
    static func isParameterName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }
    }

    /// The keys of a W&B parameter (besides a nested `parameters`).
    static let parameterKeys: Set<String> = ["value", "values", "min", "max", "distribution", "q", "mu", "sigma", "probabilities", "a", "b"]

    /// The keys W&B's schema takes for distribution `dist` besides `distribution`, in the
    /// order they are named.
    static func keys(of dist: String) -> [String] {
        let quantum = dist.hasPrefix("q_") ? ["q"] : []
        switch dist {
        case "constant": return ["value"]
        case "categorical": return ["values", "probabilities"]
        case "normal", "q_normal", "log_normal", "q_log_normal": return ["mu", "sigma"] + quantum
        case "beta", "q_beta": return ["a", "b"] + quantum
        default: return ["min", "max"] + quantum // the uniform and log-uniform families
        }
    }

    /// Distributions a grid can enumerate, as W&B's grid does.
    static let gridDistributions: Set<String> = ["constant", "categorical", "int_uniform", "q_uniform"]

    private static func parameter(_ node: ConfigNode, path: ConfigPath, grid: Bool, strict: Bool, reading: Reading) throws(ConfigError) -> ConfigNode {
        guard let entries = node.entries else {
            throw ConfigError(mark: node.mark, path: path, message: "a W&B parameter is {value: V}, {values: [...]}, {min, max} or {distribution: ...}, got \(node.kindDescription)")
        }
        if let nested = node["parameters"] {
            // W&B's param_dict holds `parameters` alone: `values` beside it was dropped.
            if strict, let other = entries.first(where: { $0.key != "parameters" }) {
                throw ConfigError(mark: other.keyMark, path: path.appending(other.key),
                                  message: "'\(other.key)' beside 'parameters': a W&B parameter is either a group of nested parameters or a value, values, range or distribution, not both (W&B refuses it too)")
            }
            return try parameters(nested, path: path.appending("parameters"), grid: grid, strict: strict, reading: reading)
        }
        let known = Self.parameterKeys.sorted()
        for e in entries where !Self.parameterKeys.contains(e.key) {
            let near = known.filter { editDistance($0, e.key) <= 2 }.min { editDistance($0, e.key) < editDistance($1, e.key) }
            throw unsupported(e.key, e.keyMark, path.appending(e.key), "unknown key '\(e.key)' in a W&B parameter" + (near.map { "; did you mean '\($0)'?" } ?? ""))
        }
        var dist: String
        if case .string(let d)? = node["distribution"]?.value {
            guard distributions[d] != nil else {
                let hint = closestName(to: d, in: distributions.keys).map { "; did you mean '\($0)'?" } ?? "; W&B's are \(distributions.keys.sorted().joined(separator: ", "))"
                throw ConfigError(mark: node["distribution"]?.mark, path: path.appending("distribution"), message: "unknown W&B distribution '\(d)'\(hint)")
            }
            dist = d
        } else if node["value"] != nil {
            dist = "constant"
        } else if node["values"] != nil {
            dist = "categorical"
        } else if case .int? = node["min"]?.value, case .int? = node["max"]?.value {
            dist = "int_uniform"
        } else if node["min"] != nil || node["max"] != nil {
            dist = "uniform"
        } else {
            throw ConfigError(mark: node.mark, path: path, message: "a W&B parameter needs value, values, min/max or distribution")
        }
        if dist == "categorical_w_probabilities" {
            guard node["probabilities"] != nil else {
                throw ConfigError(mark: node.mark, path: path.appending("probabilities"), message: "distribution categorical_w_probabilities needs 'probabilities'")
            }
            dist = "categorical"
        }
        if let p = node.entry("probabilities") {
            guard dist == "categorical" else {
                throw ConfigError(mark: p.keyMark, path: path.appending(p.key), message: "'probabilities' weigh the entries of 'values' (distribution categorical), not distribution \(dist)")
            }
            if grid {
                throw ConfigError(mark: p.keyMark, path: path.appending(p.key), message: "method grid tries every value once, so 'probabilities' mean nothing there (W&B refuses them too); remove them or use method random")
            }
        }
        // W&B's schema takes only its own keys for each distribution: `min`/`max` on a
        // normal, `values` beside `value` or `q` on log_uniform_values were dropped without
        // a word, and the space searched was not the one written.
        if strict, let odd = entries.first(where: { $0.key != "distribution" && !Self.keys(of: dist).contains($0.key) }) {
            let how = node["distribution"] == nil ? " (read as \(dist) from its '\(Self.keys(of: dist).first { node[$0] != nil } ?? "")')" : ""
            let q = odd.key == "q" && ["uniform", "log_uniform", "log_uniform_values", "normal", "log_normal", "beta"].contains(dist) ? "; did you mean distribution q_\(dist)?" : ""
            throw ConfigError(mark: odd.keyMark, path: path.appending(odd.key),
                              message: "'\(odd.key)' does not apply to distribution \(dist)\(how), which takes \(Self.keys(of: dist).joined(separator: ", ")) (W&B refuses it too)\(q)")
        }
        if grid && !gridDistributions.contains(dist) {
            throw ConfigError(mark: node.mark, path: path, message: "method grid cannot enumerate \(dist == "uniform" ? "a continuous min/max" : "distribution \(dist)") (W&B refuses it too): give values, integer min and max, or q_uniform with q")
        }
        func need(_ key: String) throws(ConfigError) -> ConfigNode {
            guard let v = node[key] else { throw ConfigError(mark: node.mark, path: path.appending(key), message: "distribution \(dist) needs '\(key)'") }
            return v
        }
        /// min and max as Sweep's range takes them, checked in W&B's words where they stand
        /// (checked after the conversion, they were reported as Sweep's `loguniform`'s low,
        /// and only once the file's other problems were fixed).
        func bounds() throws(ConfigError) -> ConfigNode {
            let (min, max) = (try need("min"), try need("max"))
            if let lo = min.number, let hi = max.number {
                if dist.contains("log_uniform_values") && lo <= 0 {
                    throw ConfigError(mark: min.mark, path: path.appending("min"), message: "\(dist) needs min > 0 (it samples the logarithm), got \(min.literal)")
                }
                if lo > hi {
                    throw ConfigError(mark: min.mark, path: path.appending("min"), message: "min \(min.literal) is greater than max \(max.literal)")
                }
            }
            return ConfigNode(.sequence([min, max]), mark: node.mark)
        }
        func exponents() throws(ConfigError) -> (Double, Double) {
            guard let lo = try need("min").number, let hi = try need("max").number else {
                throw ConfigError(mark: node.mark, path: path, message: "\(dist) takes numbers (exponents of e) as min and max")
            }
            return (lo, hi)
        }
        /// W&B's q for the q_ distributions (default 1): Sweep's `q`, round(x / q) * q.
        func quantum() -> [ConfigNode.Entry] {
            guard dist.hasPrefix("q_") else { return [] }
            return [.init(key: "q", value: node["q"] ?? ConfigNode(.int(1), mark: node.mark))]
        }
        func range(_ key: String, _ value: ConfigNode, extra: [ConfigNode.Entry] = []) -> ConfigNode {
            ConfigNode(.mapping([.init(key: key, value: value)] + extra), mark: node.mark)
        }
        switch dist {
        case "constant":
            return try need("value") // a plain value: passed to the program, not searched
        case "categorical":
            let values = try need("values")
            if case .sequence(let list) = values.value, list.isEmpty {
                throw ConfigError(mark: values.mark, path: path.appending("values"), message: "values needs at least one value")
            }
            // W&B's probabilities (random search draws by them) are Sweep's, checked there.
            return range("choice", values, extra: node.entry("probabilities").map { [$0] } ?? [])
        case "int_uniform":
            return range("int", try bounds())
        case "uniform":
            return range("uniform", try bounds())
        case "q_uniform":
            // round(U(min, max) / q) * q. With a whole q and whole bounds that are multiples
            // of it, these are the integers of an int range with that step (W&B gives ints
            // for an integer q); otherwise min + k * q, the same values when min is a multiple of q.
            // round(x / q) * q for x in [min, max] takes (with a positive probability) the
            // multiples k q with (k - 1/2) q < max and (k + 1/2) q > min, which may step outside
            // [min, max]; here each is as likely as the next (in W&B the two ends are less so).
            let q = node["q"] ?? ConfigNode(.int(1), mark: node.mark)
            guard let step = q.number, step > 0, step.isFinite else {
                throw ConfigError(mark: q.mark, path: path.appending("q"), message: "q must be a number > 0, got \(q.number != nil ? q.literal : q.kindDescription)")
            }
            guard let min = try need("min").number, let max = try need("max").number, min <= max else {
                throw ConfigError(mark: node.mark, path: path, message: "q_uniform takes numbers min <= max")
            }
            if grid && reading == .current {
                // W&B's grid tries `np.arange(min, max, q)`: min, min + q, ... below max (max
                // itself excluded; ints when all three are ints). Rounding its draws instead
                // gave other points, some outside [min, max] (0 and 32 for min 1, max 30, q 8).
                // (Counted before any conversion to Int: a span of 1e30 trapped.)
                let span = ((max - min) / step).rounded(.up)
                guard span.isFinite, span >= 1, span <= Double(ParameterExtraction.maxChoices) else {
                    throw ConfigError(mark: node.mark, path: path, message: "q_uniform in a grid tries np.arange(min, max, q): give min < max and at most \(ParameterExtraction.maxChoices) values")
                }
                let count = Int(span)
                // Whole numbers from the file's own ints (through Double, large ones drifted).
                let ints: (min: Int, q: Int)? = if case .int(let lo)? = node["min"]?.value, case .int = node["max"]?.value, case .int(let s) = q.value,
                    abs(lo) < 1 << 53, abs(s) < 1 << 53 { (lo, s) } else { nil }
                let values = (0..<count).map { i in
                    ints.map { ConfigNode(.int($0.min + i * $0.q), mark: node.mark) } ?? ConfigNode(.double(min + Double(i) * step), mark: node.mark)
                }
                return values.count == 1 ? values[0] : range("choice", ConfigNode(.sequence(values), mark: node.mark))
            }
            let lo = (min / step - 0.5).rounded(.down) + 1, hi = (max / step + 0.5).rounded(.up) - 1
            if lo >= hi {
                // min and max within one step: a single value, passed as a plain one.
                let lo = (min / step).rounded()
                return step == step.rounded() && abs(lo * step) < 0x1p53 ? ConfigNode(.int(Int(lo * step)), mark: node.mark) : ConfigNode(.double(lo * step), mark: node.mark)
            }
            if step == step.rounded(), abs(lo * step) < 0x1p53, abs(hi * step) < 0x1p53 {
                let ints = [lo, hi].map { ConfigNode(.int(Int($0 * step)), mark: node.mark) }
                return range("int", ConfigNode(.sequence(ints), mark: node.mark), extra: [.init(key: "step", value: ConfigNode(.int(Int(step)), mark: q.mark))])
            }
            let values = [lo, hi].map { ConfigNode(.double($0 * step), mark: node.mark) }
            return range("uniform", ConfigNode(.sequence(values), mark: node.mark), extra: [.init(key: "step", value: q)])
        case "log_uniform_values":
            return range("loguniform", try bounds())
        case "inv_log_uniform_values":
            // log(1/X) uniform in [log(1/max), log(1/min)] is log(X) uniform in [log(min), log(max)].
            return range("loguniform", try bounds())
        case "log_uniform", "inv_log_uniform":
            // W&B's min/max are natural-log exponents here (of 1/X for inv_log_uniform).
            let (lo, hi) = try exponents()
            let bounds = dist == "log_uniform" ? (exp(lo), exp(hi)) : (exp(-hi), exp(-lo))
            return range("loguniform", ConfigNode(.sequence([ConfigNode(.double(bounds.0), mark: node.mark), ConfigNode(.double(bounds.1), mark: node.mark)]), mark: node.mark))
        case "q_log_uniform_values":
            // round(X / q) * q with X log-uniform in [min, max].
            return range("loguniform", try bounds(), extra: quantum())
        case "q_log_uniform":
            // The same with X = exp(U(min, max)): min and max are exponents of e.
            let (lo, hi) = try exponents()
            let values = [exp(lo), exp(hi)].map { ConfigNode(.double($0), mark: node.mark) }
            return range("loguniform", ConfigNode(.sequence(values), mark: node.mark), extra: quantum())
        case "normal", "q_normal", "log_normal", "q_log_normal":
            // W&B: mu defaults to 0 and sigma to 1; log_normal is exp of normal(mu, sigma).
            let pair = ConfigNode(.sequence([node["mu"] ?? ConfigNode(.int(0), mark: node.mark),
                                             node["sigma"] ?? ConfigNode(.int(1), mark: node.mark)]), mark: node.mark)
            return range(dist.hasSuffix("log_normal") ? "lognormal" : "normal", pair, extra: quantum())
        case "beta", "q_beta":
            // W&B: a and b default to 1 (the uniform distribution on [0, 1]).
            let one = ConfigNode(.int(1), mark: node.mark)
            return range("beta", ConfigNode(.sequence([node["a"] ?? one, node["b"] ?? one]), mark: node.mark), extra: quantum())
        default:
            throw ConfigError(mark: node.mark, path: path, message: "W&B distribution '\(dist)' has no Sweep equivalent")
        }
    }

    // MARK: Early termination

    /// The reports a run of a W&B file may make: W&B has no bound, Sweep needs one (the
    /// most any trial may run).
    public static let uncappedEpochs = TrainingConfig.maxEpochs

    private static func earlyTerminate(_ node: ConfigNode) throws(ConfigError) -> ConfigNode {
        let path = ConfigPath([.key("early_terminate")])
        guard let entries = node.entries else {
            throw ConfigError(mark: node.mark, path: path, message: "early_terminate is {type: hyperband, min_iter | max_iter and s, eta}, got \(node.kindDescription)")
        }
        guard case .string("hyperband")? = node["type"]?.value else {
            throw ConfigError(mark: node["type"]?.mark ?? node.mark, path: path.appending("type"), message: "early_terminate.type must be hyperband (the only type W&B has)")
        }
        for e in entries where !["type", "min_iter", "max_iter", "s", "eta", "strict"].contains(e.key) {
            throw unsupported(e.key, e.keyMark, path.appending(e.key), "unknown key '\(e.key)' in early_terminate")
        }
        var strict = true // W&B's default
        if let n = node["strict"] {
            guard case .bool(let b) = n.value else {
                throw ConfigError(mark: n.mark, path: path.appending("strict"), message: "strict must be true or false, got '\(n.literal)'")
            }
            strict = b
        }
        func int(_ key: String, atLeast low: Int = 1, why: String = "") throws(ConfigError) -> Int? {
            guard let n = node[key] else { return nil }
            guard case .int(let i) = n.value, i >= low else {
                let got = if case .int(let i) = n.value { "\(i)" } else { n.value == .null ? "null" : "'\(n.literal)'" }
                throw ConfigError(mark: n.mark, path: path.appending(key), message: "\(key) must be a whole number >= \(low)\(why), got \(got)")
            }
            return i
        }
        var eta = 3.0
        if let n = node["eta"] {
            guard let e = n.number, e > 1, e.isFinite else {
                throw ConfigError(mark: n.mark, path: path.appending("eta"), message: "eta must be a number above 1, got '\(n.literal)'")
            }
            eta = e
        }
        // W&B's controller: max_iter and s first, else min_iter (hyperband_stopping.py).
        let bands: [Int]
        if let m = try int("max_iter"), let s = try int("s", atLeast: 0) {
            bands = WandBHyperbandPruner.Config.bands(maxIter: m, s: s, eta: eta)
        } else if try int("max_iter") != nil {
            // W&B's controller takes max_iter first, whatever min_iter says, and fails without s.
            throw ConfigError(mark: node.mark, path: path.appending("s"), message: "with max_iter, W&B's hyperband needs s (the number of brackets; W&B uses max_iter and s even when min_iter is given)")
        } else if let m = try int("min_iter") {
            bands = WandBHyperbandPruner.Config.bands(minIter: m, eta: eta, upTo: uncappedEpochs)
        } else {
            throw ConfigError(mark: node.mark, path: path, message: "hyperband needs min_iter, or max_iter and s")
        }
        guard !bands.isEmpty else {
            throw ConfigError(mark: node.mark, path: path, message: "these settings give W&B's hyperband no band (W&B refuses them too): increase s or min_iter, or decrease eta")
        }
        let list = ConfigNode(.sequence(bands.map { ConfigNode(.int($0), mark: node.mark) }), mark: node.mark)
        return ConfigNode(.mapping([
            .init(key: "name", value: ConfigNode(.string("wandb_hyperband"), mark: node.mark)),
            .init(key: "bands", value: list),
            .init(key: "eta", value: ConfigNode(eta == eta.rounded() ? .int(Int(eta)) : .double(eta), mark: node.mark)),
            .init(key: "strict", value: ConfigNode(.bool(strict), mark: node.mark)),
        ]), mark: node.mark)
    }

    // MARK: Helpers

    private static func mapping(_ pairs: KeyValuePairs<String, ConfigNode.Value>, mark: SourceMark?) -> ConfigNode {
        ConfigNode(.mapping(pairs.map { .init(key: $0.key, value: ConfigNode($0.value, mark: mark)) }), mark: mark)
    }

    private static func unsupported(_ key: String, _ mark: SourceMark?, _ path: ConfigPath, _ message: String) -> ConfigError {
        ConfigError(mark: mark, path: path, message: message)
    }

    /// A W&B sweep name as a study name: accents dropped (`Ünïcode` is `Unicode`), then
    /// letters, digits, `_ - .`, the rest as `-`, without leading dashes
    /// (``StudyName/checkNew(_:)``); nil when nothing of it is left.
    static func studyName(_ raw: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        let folded = raw.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
        let name = String(folded.map { allowed.contains($0) ? $0 : "-" }.drop { $0 == "-" }.prefix(StudyName.maxLength))
        return name.allSatisfy({ $0 == "-" || $0 == "." }) ? nil : name
    }
}
