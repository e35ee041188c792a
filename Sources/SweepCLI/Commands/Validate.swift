import ArgumentParser
import Foundation
import Search
import SweepFile
import Training

/// `sweep validate FILE`: checks a sweep or train file without running it.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a sweep file (or train file) and print its search space.",
        discussion: "Exit code 0 when the file is valid; 2 when not, with every problem of the file\non its own file:line:column line, in file order.\n\nExample:\n  sweep validate sweeps/quickstart.yaml")

    @Argument(help: "The sweep or train file.", completion: .file(extensions: ["yaml", "yml"])) var file: String

    func run() throws {
        let root = try YAMLReader.parse(try SweepDefinition.readText(file), file: file)
        if root["study"] != nil || root["budget"] != nil || root["synthetic"] != nil || WandBSweep.isWandB(root) || root["program"] != nil || root["command"] != nil {
            let d = try DataPreflight.sweep(file)
            // The coordinator runs a grid's points once each, so a larger budget is capped.
            // (A W&B file without run_cap runs until stopped: its cap is no budget to print.)
            var trials = TrialBudget.isUnbounded(d.budget.trials) ? "no trial budget (runs until stopped)" : d.budget.trials == 1 ? "1 trial" : "\(d.budget.trials) trials"
            if let grid = d.sampler.makeSampler(space: d.space) as? GridSampler, grid.gridSize < d.budget.trials {
                trials = "\(grid.gridSize) trials (the grid's points; budget \(d.budget.trials))"
            }
            let epochs = d.epochsPerTrial.map { "\($0) epoch(s) each" } ?? "up to \(d.maxEpochs) epoch(s) each"
            print("\(file): valid sweep '\(d.study)': \(trials), \(epochs), objective \(d.objective.direction.rawValue) \(d.objective.metric)\(d.objective.target.map { " (target \(Fmt.value($0)): the study stops taking trials once one reaches it)" } ?? "")")
            if let pbt = d.scheduler?.pbt { print(describe(pbt)) }
            // A one-choice parameter (`{fixed: 3}`, `values: [3]`) takes no search: counted apart.
            let fixed = d.space.parameters.filter { Self.isFixed($0.distribution) }.count
            let searched = d.space.parameters.count - fixed
            print("sampler \(d.sampler.name.rawValue), pruner \(d.pruner.name.rawValue); \(searched) searched parameter(s)\(fixed > 0 ? ", \(fixed) fixed" : ""):")
            for p in d.space.parameters {
                let cond = p.condition.map { " when \($0.parent) in \(Self.listed($0.values))" } ?? ""
                // Names and choices come from the file: an escape sequence in one would reach the terminal.
                print(TextTable.oneLine("  \(p.name): \(describe(p.distribution))\(cond)"))
            }
            if let (message, _) = ProgramLocation.problem(for: d, file: file) { print("note: " + message) }
            for p in d.space.parameters { if let note = Self.yesNoNote(p) { print(TextTable.oneLine("note: " + note)) } }
            // A `${...}` Sweep does not know inside a longer word goes to the program as
            // written (Hydra's `${now:...}`): said, since it may be a typo of one Sweep knows.
            for (i, node) in (d.template["command"]?.elements ?? []).enumerated() {
                guard case .string(let word) = node.value, let unknown = CommandMacros.unknownMacro(in: word) else { continue }
                print(TextTable.oneLine("note: command[\(i)]: \(unknown) is not a Sweep macro: the program gets it as written (as W&B's agent passes it)"))
            }
            // W&B's ${args_no_boolean_flags} leaves a false flag out: a program whose flag
            // defaults to true (Click's --x/--no-x) runs with it, recorded as false.
            let words = (d.template["command"]?.elements ?? []).compactMap { if case .string(let s) = $0.value { s } else { nil } }
            if words.contains("${args_no_boolean_flags}") {
                let flags = d.space.parameters.filter { p in
                    if case .categorical(let choices, _) = p.distribution { choices.contains { if case .bool = $0 { true } else { false } } } else { false }
                }
                if let first = flags.first {
                    print(TextTable.oneLine("note: ${args_no_boolean_flags} passes --\(first.name) when true and leaves it out when false (as W&B's agent does): a program whose --\(first.name) defaults to true runs with it when the trial records false; for --\(first.name)/--no-\(first.name), search a choice of the two words ({choice: [--\(first.name), --no-\(first.name)]}) and put ${param:NAME} in the command"))
                }
            }
            if let note = d.rungEpochsNote { print("note: " + note) }
            if WandBSweep.isWandB(root) { for note in Self.logUniformNotes(root["parameters"]) { print(TextTable.oneLine("note: " + note)) } }
            // The data every trial reads (loaded once by the check above: the loader caches it).
            if let config = d.sharedDataConfig, let dataset = try DataPreflight.load(config, file: file, node: d.template["data"]) {
                print(Self.dataLine(dataset))
            }
        } else {
            let (c, dataset, _) = try DataPreflight.trainFile(file)
            print("\(file): valid train file: \(c.data.dataset.rawValue), \(c.training.epochs) epochs, \(c.training.optimizer.name.rawValue)")
            if let dataset { print(Self.dataLine(dataset)) }
        }
    }

    /// A choice list that mixes text with true/false: YAML read an unquoted `yes`, `no`, `on`
    /// or `off` among words as a flag (`[stop, yes, later]` is `[stop, true, later]`, and the
    /// program got `--m=True`), as W&B's PyYAML does; said, since a list is rarely meant so.
    static func yesNoNote(_ p: Search.Parameter) -> String? {
        guard case .categorical(let choices, _) = p.distribution,
              choices.contains(where: { if case .bool = $0 { true } else { false } }),
              choices.contains(where: { if case .string = $0 { true } else { false } }) else { return nil }
        return "the choices of \(p.name) mix text with true/false: YAML reads an unquoted yes, no, on or off as true or false (as W&B's PyYAML does); quote them ('yes') to keep them text"
    }

    /// W&B's `log_uniform` takes natural-log exponents: `min: 0.0001, max: 0.1`, written as
    /// the values meant, searches [1.0001, 1.105] (as W&B does). Said when both bounds lie in
    /// [0, 1], where exponents are rarely meant.
    static func logUniformNotes(_ parameters: ConfigNode?, prefix: String = "") -> [String] {
        var notes: [String] = []
        for e in parameters?.entries ?? [] {
            let name = prefix + e.key
            if let nested = e.value["parameters"] { notes += logUniformNotes(nested, prefix: name + "."); continue }
            guard case .string(let dist)? = e.value["distribution"]?.value, ["log_uniform", "q_log_uniform", "inv_log_uniform"].contains(dist),
                  let low = e.value["min"]?.number, let high = e.value["max"]?.number, low >= 0, high <= 1 else { continue }
            let (a, b) = dist == "inv_log_uniform" ? (exp(-high), exp(-low)) : (exp(low), exp(high))
            notes.append("parameters.\(name): \(dist) takes natural-log exponents (as in W&B), so min \(Fmt.value(low)) and max \(Fmt.value(high)) search [\(Fmt.value(a)), \(Fmt.value(b))]; for the values themselves write distribution: \(dist)_values")
        }
        return notes
    }

    /// The split sizes, sample shape and classes of the data a file reads.
    static func dataLine(_ dataset: Dataset) -> String {
        let labels = dataset.task == .regression ? "a regression target" : "\(dataset.classCount) classes: \(dataset.classNames.joined(separator: ", "))"
        return "data: \(dataset.train.count) training, \(dataset.validation.count) validation, \(dataset.test.count) test samples of shape \(dataset.sampleShape); \(labels)"
    }

    /// One line with every setting of `scheduler: {name: pbt, ...}`, defaults filled in.
    func describe(_ p: PopulationBasedTrainingConfig) -> String {
        "scheduler pbt: population \(p.population), perturbation every \(p.perturbationInterval) epoch(s), quantile \(p.quantile), "
            + "resample probability \(p.resampleProbability), perturbation factors [\(p.perturbationFactors.map { "\($0)" }.joined(separator: ", "))], "
            + "mutations [\(p.mutations.joined(separator: ", "))]"
    }

    /// Choices listed in full up to this many, each in up to `choiceWidth` characters.
    static let choicesShown = 20
    static let choiceWidth = 40

    /// Values in brackets, a long list by its ends (10,000 choices made one line of 58,902
    /// characters) and each value cut (20 texts of 300 characters made a line of 6,242).
    static func listed(_ values: [ParamValue]) -> String {
        func cut(_ v: ParamValue) -> String {
            let text = v.quotedWhenAmbiguous
            return text.count <= choiceWidth ? text : text.prefix(choiceWidth - 3) + "..."
        }
        let shown = values.count <= choicesShown ? values.map(cut)
            : values.prefix(choicesShown - 2).map(cut) + ["... (\(values.count - choicesShown + 1) more)", cut(values.last!)]
        return "[\(shown.joined(separator: ", "))]"
    }

    static func isFixed(_ d: Search.Distribution) -> Bool {
        if case .categorical(let choices, _) = d { choices.count == 1 } else { false }
    }

    func describe(_ d: Search.Distribution) -> String {
        switch d {
        case .uniform(let l, let h, let s): return "uniform [\(l), \(h)]" + (s.map { " step \($0)" } ?? "")
        case .logUniform(let l, let h, let q): return "log-uniform [\(l), \(h)]\(q.map { ", rounded to multiples of \($0)" } ?? "")"
        case .int(let l, let h, let s): return "int [\(l), \(h)]" + (s == 1 ? "" : " step \(s)")
        case .logInt(let l, let h): return "log-int [\(l), \(h)]"
        case .categorical(let c, _) where c.count == 1: return "fixed \(Self.listed(c).dropFirst().dropLast())"
        case .categorical(let c, let p):
            return "one of \(c.count > Self.choicesShown ? "\(c.count) choices " : "")\(Self.listed(c))" + Search.Distribution.probabilitiesSummary(p)
        case .normal, .logNormal, .beta: return d.summary
        }
    }
}
