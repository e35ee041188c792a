import Foundation
import Randomness
import Search
import Training
import SweepSupport

/// A value of the document that is present only when a parameter takes certain values.
public struct ConditionalValueSpec: Sendable, Hashable {
    public var path: ConfigPath
    public var mark: SourceMark?
    public var value: ConfigNode
    public var condition: Condition
}

/// A validated sweep file: the study's settings, its search space, and the trial template
/// that becomes one ``TrialSpec`` per trial.
///
/// The file is the training file of `sweep train` plus the sweep sections (`study`,
/// `objective`, `sampler`, `pruner`, `budget`, `retry`), with search ranges such as
/// `{loguniform: [1e-4, 1e-1]}` in place of some values (docs/sweep-format.md).
/// Everything is checked before anything runs; every error names file, line and field.
public struct SweepDefinition: Sendable {
    /// The kind of trials the file describes.
    public enum Task: Sendable, Hashable {
        /// `data`, `model`, `training`: a network per trial.
        case training
        /// `synthetic`: a known function per trial.
        case synthetic
        /// `program` / `command`: the user's own program per trial (docs/commands.md).
        case command
    }

    public var file: String?
    /// The file text as given (stored with the study).
    public var text: String
    public var study: String
    public var description: String?
    public var objective: Objective
    /// The study seed: seeds the sampler and, per trial, the training.
    public var seed: UInt64
    public var sampler: SamplerConfig
    public var pruner: PrunerConfig
    /// Population Based Training (`scheduler: {name: pbt, ...}`), if the file asks for it.
    public var scheduler: SchedulerConfig?
    public var budget: Budget
    public var retry: RetryPolicy
    /// Which trained models are kept beside the database (training sweeps only).
    public var artifacts: ArtifactPolicy
    public var task: Task
    /// Searched parameters with their place in the document.
    public var parameters: [ParameterSpec]
    /// Values present only when a condition on a parameter holds (`{value: ..., when: ...}`).
    public var conditionalValues: [ConditionalValueSpec]
    public var space: SearchSpace
    /// The document without its sweep sections, ranges still in place.
    public var template: ConfigNode

    /// Whether the file is a W&B sweep file (read through `WandBSweep`).
    public var convertedFromWandB: Bool {
        (try? YAMLReader.parse(text, file: file, strict: false)).map(WandBSweep.isWandB) ?? false
    }

    static let sweepKeys = ["study", "description", "objective", "sampler", "pruner", "scheduler", "budget", "retry", "artifacts"]
    static let trainingKeys = ["seed", "data", "model", "training"]
    static let syntheticKeys = ["seed", "synthetic"]

    /// Metrics a training trial can report each epoch (classification and regression).
    public static let trainingMetrics = PredictionTask.allCases.reduce(into: [String]()) { names, task in
        names += TrainingMetric.epochMetricNames(task: task, binary: nil).filter { !names.contains($0) }
    }

    // MARK: Loading

    /// `data.task` when written as a plain value (classification when absent).
    static func predictionTask(of root: ConfigNode) -> PredictionTask? {
        guard let data = root["data"], data.entries != nil else { return .classification }
        guard let node = data["task"] else { return .classification }
        guard case .string(let text) = node.value else { return nil }
        return PredictionTask(rawValue: text)
    }

    /// Why `metric` is not an objective of these trials, with a "did you mean": another
    /// task's metric says which task reports it.
    static func unknownMetric(_ metric: String, reported: [String], task: PredictionTask?) -> String {
        // The class count is not known here: the metrics of two-class data only are said so
        // (a 10-class sweep was offered val_f1, which it then refuses).
        let anyData = task.map { Set(TrainingMetric.epochMetricNames(task: $0, binary: false)) } ?? Set(reported)
        let twoClassOnly = reported.filter { !anyData.contains($0) }
        let list = reported.filter(anyData.contains).joined(separator: ", ")
            + (twoClassOnly.isEmpty ? "" : "; for two-class data also \(twoClassOnly.joined(separator: ", "))")
        if let task, let known = TrainingMetric(name: metric), known.split != .test, !known.kind.isReported(task: task, binary: nil) {
            // The same split's main metric of this task.
            let counterpart = TrainingMetric(task == .regression ? .r2 : .accuracy, on: known.split).name
            return "'\(metric)' exists only for \(known.kind.availability), this sweep's data is task: \(task.rawValue); did you mean '\(counterpart)'? Its trials report: \(list)"
        }
        let hint = closestName(to: metric, in: reported).map { "; did you mean '\($0)'?" } ?? ""
        return "unknown metric '\(metric)'\(hint); trials report: \(list)"
    }

    /// Reads and validates the sweep file at `path`.
    public static func load(path: String) throws(ConfigError) -> SweepDefinition {
        try parse(text: try readText(path), file: path)
    }

    /// Reads a sweep or train file's text: refuses a directory, a file over
    /// ``SweepFileLimits/maxFileBytes`` (before reading it) and text that is not UTF-8.
    public static func readText(_ path: String) throws(ConfigError) -> String {
        func fail(_ message: String) -> ConfigError { ConfigError(file: path, mark: nil, path: ConfigPath(), message: message) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw fail("no such file") }
        if isDirectory.boolValue { throw fail("is a directory; give the sweep file (a .yaml file) itself") }
        // A pipe (`<(gen.py)`, /dev/stdin, a FIFO) said only "cannot read the file": a
        // study's file is read more than once, and its program is found beside it.
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            throw fail("is a pipe or device, not a file: a sweep file is read more than once and the paths in it are taken from its folder; write it to a file first (python3 gen.py > sweep.yaml)")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > SweepFileLimits.maxFileBytes {
            throw fail(YAMLReader.tooLarge(size))
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        guard data.count <= SweepFileLimits.maxFileBytes else { throw fail(YAMLReader.tooLarge(data.count)) }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("the file is not UTF-8 text") }
        return text
    }

    /// Validates sweep-file text.
    public static func parse(text: String, file: String? = nil) throws(ConfigError) -> SweepDefinition {
        try parse(text: text, file: file, strict: true)
    }

    /// A study's stored sweep file: read as it was when the study began (without the
    /// refusals that came since, see ``YAMLReader/parse(_:file:strict:)``); a W&B file as
    /// `reading` says (a study started by an older Sweep may need its reading), and without
    /// trying each parameter's values in a trial again (done when the study began).
    /// `scalars`: how its plain values are read (``YAMLReader/ScalarReading/yams`` for a study
    /// begun before the versions' agreed reading, see ``stored(_:)``).
    public static func parseStored(text: String, file: String?, reading: WandBSweep.Reading = .current,
                                   scalars: YAMLReader.ScalarReading = .agreed) throws(ConfigError) -> SweepDefinition {
        try parse(text: text, file: file, strict: false, reading: reading, scalars: scalars)
    }

    private static func parse(text: String, file: String?, strict: Bool, reading: WandBSweep.Reading = .current,
                              scalars: YAMLReader.ScalarReading = .agreed) throws(ConfigError) -> SweepDefinition {
        do throws(ConfigError) {
            return try parseUnlocated(text: text, file: file, strict: strict, reading: reading, scalars: scalars)
        } catch {
            throw error.fillingFile(file)
        }
    }

    private static func parseUnlocated(text: String, file: String?, strict: Bool, reading: WandBSweep.Reading,
                                       scalars: YAMLReader.ScalarReading) throws(ConfigError) -> SweepDefinition {
        let parsed = try YAMLReader.parse(text, file: file, strict: strict, scalars: scalars)
        guard WandBSweep.isWandB(parsed) else { return try parseDocument(parsed, text: text, file: file, strict: strict) }
        // A W&B sweep file runs as it is: read as the equivalent Sweep document, whose
        // problems are said in the file's terms (`values`, `run_cap`, not `choice`, `budget`).
        let root = try WandBSweep.convert(parsed, file: file, strict: strict, reading: reading)
        do throws(ConfigError) {
            return try parseDocument(root, text: text, file: file, strict: strict)
        } catch {
            throw WandBSweep.inFileTerms(error, file: parsed)
        }
    }

    private static func parseDocument(_ root: ConfigNode, text: String, file: String?, strict: Bool) throws(ConfigError) -> SweepDefinition {
        guard let entries = root.entries else {
            throw ConfigError(mark: root.mark, path: ConfigPath(), message: "a sweep file is a mapping of sections (study, objective, data, model, training, ...), got \(root.kindDescription)")
        }
        // Sections are checked independently and every problem is reported, in file order,
        // as a compiler does; the trial template is probed only when they all pass.
        var problems: [ConfigError] = []
        func check<T>(_ body: () throws(ConfigError) -> T) -> T? {
            do { return try body() } catch { problems.append(error); return nil }
        }
        let task: Task = root["synthetic"] != nil ? .synthetic : (root["program"] != nil || root["command"] != nil) ? .command : .training
        let allowed = sweepKeys + (task == .synthetic ? syntheticKeys : task == .command ? CommandTask.documentKeys : trainingKeys)
        for e in entries where !allowed.contains(e.key) {
            var message = "unknown section '\(e.key)'"
            if task == .synthetic && trainingKeys.contains(e.key) {
                message = "'\(e.key)' does not apply to a synthetic sweep (it has a 'synthetic' section)"
            } else if let hint = closestName(to: e.key, in: allowed) {
                message += "; did you mean '\(hint)'?"
            } else {
                message += "; expected one of: \(allowed.joined(separator: ", "))"
            }
            problems.append(ConfigError(mark: e.keyMark, path: ConfigPath([.key(e.key)]), message: message))
        }
        let decoder = ConfigDecoder(file: file)

        let study = check { () throws(ConfigError) -> String in
            guard let studyNode = root["study"] else {
                throw ConfigError(mark: root.mark, path: ConfigPath([.key("study")]), message: "missing required field 'study' (the study's name)")
            }
            let study = try decoder.decode(String.self, from: studyNode, at: ConfigPath([.key("study")]))
            try checkStudyName(study, mark: root.entry("study")?.keyMark ?? studyNode.mark, new: strict)
            return study
        }
        let description = check { () throws(ConfigError) -> String? in
            try root["description"].map { node throws(ConfigError) in try decoder.decode(String.self, from: node, at: ConfigPath([.key("description")])) }
        } ?? nil

        // The data's task decides which metrics trials report (nil: searched or invalid, the
        // data section's own check reports that).
        let predictionTask: PredictionTask? = task == .training ? Self.predictionTask(of: root) : nil
        let objective = check { () throws(ConfigError) -> Objective in
            let objective: Objective
            if let node = root["objective"] {
                objective = try decoder.decode(Objective.self, from: node, at: ConfigPath([.key("objective")]))
            } else if task == .synthetic {
                objective = Objective(metric: "value", direction: .minimize)
            } else {
                objective = predictionTask == .regression ? Objective(metric: "val_rmse", direction: .minimize) : Objective(metric: "val_accuracy", direction: .maximize)
            }
            let metrics = task == .synthetic ? ["value"] : predictionTask.map { TrainingMetric.epochMetricNames(task: $0, binary: nil) } ?? trainingMetrics
            // A command's metric whose name does not say which way is better: the direction
            // must be stated (a new study; a stored one keeps the direction it began with).
            if task == .command, strict, let problem = objective.unstatedDirectionProblem {
                throw ConfigError(mark: root["objective"]?.mark, path: ConfigPath([.key("objective")]), message: problem)
            }
            // A command's program reports whatever metrics it has.
            guard task == .command || metrics.contains(objective.metric) else {
                throw ConfigError(mark: root["objective"]?.entry("metric")?.keyMark ?? root.entry("objective")?.keyMark,
                                  path: ConfigPath([.key("objective"), .key("metric")]),
                                  message: Self.unknownMetric(objective.metric, reported: metrics, task: predictionTask))
            }
            return objective
        }

        let seed = check { () throws(ConfigError) -> UInt64 in
            try root["seed"].map { node throws(ConfigError) in try decoder.decode(UInt64.self, from: node, at: ConfigPath([.key("seed")])) } ?? 0
        }
        let budget = check { () throws(ConfigError) -> Budget in
            guard let budgetNode = root["budget"] else {
                throw ConfigError(mark: root.mark, path: ConfigPath([.key("budget")]), message: "missing required section 'budget' (at least budget.trials)")
            }
            return try decoder.decode(Budget.self, from: budgetNode, at: ConfigPath([.key("budget")]))
        }
        let retry = check { () throws(ConfigError) -> RetryPolicy in
            try root["retry"].map { node throws(ConfigError) in try decoder.decode(RetryPolicy.self, from: node, at: ConfigPath([.key("retry")])) } ?? RetryPolicy()
        }
        let artifacts = check { () throws(ConfigError) -> ArtifactPolicy in
            let artifacts = try root["artifacts"].map { node throws(ConfigError) in try decoder.decode(ArtifactPolicy.self, from: node, at: ConfigPath([.key("artifacts")])) } ?? ArtifactPolicy()
            guard task != .training else { return artifacts }
            if root["artifacts"] != nil {
                throw ConfigError(mark: root.entry("artifacts")?.keyMark, path: ConfigPath([.key("artifacts")]), message: "\(task) trials have no model to keep")
            }
            return ArtifactPolicy(keep: 0)
        }
        // The sampler draws from the study seed unless its own seed is given.
        let sampler = check { () throws(ConfigError) -> SamplerConfig in
            var samplerNode = root["sampler"] ?? ConfigNode(.mapping([.init(key: "name", value: ConfigNode(.string("tpe")))]))
            if samplerNode.entries != nil && samplerNode["seed"] == nil {
                samplerNode = samplerNode.setting("seed", to: ConfigNode(.int(Int(truncatingIfNeeded: seed ?? 0))))
            }
            return try decoder.decode(SamplerConfig.self, from: samplerNode, at: ConfigPath([.key("sampler")]))
        }
        let scheduler = check { () throws(ConfigError) -> SchedulerConfig? in
            try root["scheduler"].map { node throws(ConfigError) in
                try decoder.decode(SchedulerConfig.self, from: node, at: ConfigPath([.key("scheduler")]))
            }
        } ?? nil
        // Population Based Training replaces pruning: no pruner unless one is named.
        let defaultPruner = scheduler == nil ? "median" : "none"
        let pruner = check { () throws(ConfigError) -> PrunerConfig in
            try decoder.decode(PrunerConfig.self, from: root["pruner"] ?? ConfigNode(.mapping([.init(key: "name", value: ConfigNode(.string(defaultPruner)))])),
                               at: ConfigPath([.key("pruner")]))
        }

        // The trial template: everything but the sweep sections.
        let templateEntries = entries.filter { !sweepKeys.contains($0.key) }
        var template = ConfigNode(.mapping(templateEntries), mark: root.mark)
        if task == .command, strict { problems += CommandTask.nulCharacters(in: root) }
        if task == .command, let parameters = root["parameters"] {
            let lookalikes = CommandTask.wandBLookalikes(in: parameters)
            problems += lookalikes.map(\.error)
            if strict { problems += CommandTask.nonFiniteValues(in: parameters) + CommandTask.nameProblems(in: root) + CommandTask.argumentCollisions(in: parameters, nested: root["argument_style"]?.value == .string(CommandTask.ArgumentStyle.nested.rawValue)) }
            // What they hold is no range of this file ("'beta' takes a list of two numbers" of
            // a `when:` in one): left out of the search space's probe.
            for l in lookalikes { template = template.setting(path: (["parameters"] + l.path)[...], to: ConfigNode(.null)) }
        }
        let searched: ([ParameterSpec], [ConditionalValueSpec], SearchSpace)?
        var searchProblems: [ConfigError] = []
        do throws(ConfigError) {
            searched = try searchSpace(of: template, strict: strict)
        } catch {
            searched = nil
            problems.append(error)
            searchProblems = error.all
        }
        if let sampler, let space = searched?.2, let problem = sampler.problem(with: space) {
            problems.append(ConfigError(mark: root.entry("sampler")?.keyMark, path: ConfigPath([.key("sampler")]), message: problem))
        }
        if let space = searched?.2, let budget {
            let epochs = budget.maxEpochs ?? Self.templateEpochs(task: task, template: ConfigNode(.mapping(entries.filter { !sweepKeys.contains($0.key) })))
            problems += SchedulingRules.problems(root: root, task: task, scheduler: scheduler, pruner: pruner, budget: budget, space: space,
                                                 maxEpochs: epochs, parameters: searched?.0 ?? [], newStudy: strict)
        }
        // A range in error is set aside for the probe below (its default applies), so that the
        // template's other problems come in the same round (`batch_sise` came only once a
        // `loguniform: [0, 0.1]` elsewhere was fixed).
        var probeTemplate = ConfigNode(.mapping(templateEntries.filter { allowed.contains($0.key) }), mark: root.mark) // unknown sections are reported above
        var setAside: [ConfigPath] = []
        var probeSpace = searched
        if searched == nil, !searchProblems.isEmpty {
            (probeTemplate, setAside) = Self.settingAsideRanges(of: searchProblems, in: probeTemplate)
            // (A condition naming a range set aside is no problem of the probe's.)
            let names = Set(setAside.flatMap { [$0.description, defaultParameterName($0)] })
            probeSpace = try? searchSpace(of: probeTemplate, strict: strict, unresolvable: names)
        }
        if !problems.isEmpty, task != .command, let searched = probeSpace,
           let noPruner = try? decoder.decode(PrunerConfig.self, from: ConfigNode(.mapping([.init(key: "name", value: ConfigNode(.string("none")))]))) {
            // The trial template's problems come with the sections' (they came in a second
            // round, once the sections were right): the template at the base point.
            let provisional = SweepDefinition(
                file: file, text: text, study: study ?? "provisional", description: nil,
                objective: objective ?? Objective(metric: "value", direction: .minimize), seed: seed ?? 0,
                sampler: sampler ?? SamplerConfig(), pruner: pruner ?? noPruner, scheduler: nil, budget: budget ?? Budget(trials: 1),
                retry: RetryPolicy(), artifacts: ArtifactPolicy(), task: task,
                parameters: searched.0, conditionalValues: searched.1, space: searched.2, template: probeTemplate)
            do throws(ConfigError) { _ = try provisional.spec(for: provisional.baseAssignment(), trialSeed: 1) } catch {
                // Not what a set-aside range's absence caused: in it, around it (a section left
                // without its only input), or beside it (its default checked against a sibling:
                // a default validation share with the file's test share): reported already.
                problems += error.all.filter { e in
                    !setAside.contains { aside in
                        let mapping = aside.components.dropLast()
                        return e.path.components.starts(with: mapping) || aside.components.starts(with: e.path.components)
                    }
                }
            }
        }
        if let problem = ConfigError.combining(problems) { throw problem }
        guard let study, let objective, let seed, let budget, let retry, let artifacts, let sampler, let pruner, let searched else {
            preconditionFailure("every section either decoded or recorded a problem")
        }
        var definition = SweepDefinition(
            file: file, text: text, study: study, description: description, objective: objective, seed: seed,
            sampler: sampler, pruner: pruner, scheduler: scheduler, budget: budget, retry: retry, artifacts: artifacts, task: task,
            parameters: searched.0, conditionalValues: searched.1, space: searched.2, template: template)
        // A stored file was checked when its study began; trying every parameter at its
        // bounds again made `status` and `show` of a study of 1,000 parameters take 5 s.
        if strict { try definition.validateTemplate() }
        return definition
    }

    /// `template` without the ranges `problems` are about (the innermost range holding each
    /// problem's path, else the node at the path), and the paths removed.
    static func settingAsideRanges(of problems: [ConfigError], in template: ConfigNode) -> (ConfigNode, [ConfigPath]) {
        var removed: [ConfigPath] = []
        for problem in problems where !problem.path.isEmpty {
            var components = problem.path.components
            var range: ConfigPath?
            while !components.isEmpty {
                let prefix = ConfigPath(components)
                if let node = template.node(at: prefix), ParameterExtraction.isRange(node) { range = prefix; break }
                components.removeLast()
            }
            let path = range ?? problem.path
            if template.node(at: path) != nil, !removed.contains(where: { path.components.starts(with: $0.components) }) { removed.append(path) }
        }
        // (Each path once, and none inside another: a removal walks the whole document.)
        var repaired = template
        for path in removed { repaired = repaired.replacing(at: path, with: nil) }
        return (repaired, removed)
    }

    /// The searched parameters of `template`, its conditional values and the search space.
    /// `strict` (a new study): a condition on a continuous range is refused; a stored study
    /// began before that rule and keeps its (never holding) condition.
    /// `unresolvable`: names and paths of ranges left out, which conditions may name.
    private static func searchSpace(of template: ConfigNode, strict: Bool, unresolvable: Set<String> = []) throws(ConfigError) -> ([ParameterSpec], [ConditionalValueSpec], SearchSpace) {
        let (raw, rawConditional, problems, failed) = try ParameterExtraction.extractCollecting(from: template, at: ConfigPath(), defaultName: defaultParameterName)
        let parameters: [ParameterSpec]
        do {
            parameters = try ParameterExtraction.resolve(raw, unresolvable: failed.union(unresolvable), refuseContinuousConditions: strict)
        } catch {
            throw ConfigError.combining(problems + [error])!
        }
        if let all = ConfigError.combining(problems) { throw all }
        var conditionalValues: [ConditionalValueSpec] = []
        for c in rawConditional where !unresolvable.contains(c.parentReference) {
            guard let parent = parameters.first(where: { $0.parameter.name == c.parentReference || $0.path.description == c.parentReference }) else {
                let hint = closestName(to: c.parentReference, in: parameters.map(\.parameter.name)).map { "; did you mean '\($0)'?" }
                    ?? "; searched parameters are: \(parameters.map(\.parameter.name).joined(separator: ", "))"
                throw ConfigError(mark: c.whenMark, path: c.path.appending("when"), message: "condition on unknown parameter '\(c.parentReference)'\(hint)")
            }
            let values = try ParameterExtraction.conditionValues(c.values, on: parent.parameter.name, parent.parameter.distribution,
                                                                 refuseContinuous: strict, mark: c.whenMark, at: c.path.appending("when"))
            conditionalValues.append(ConditionalValueSpec(path: c.path, mark: c.mark, value: c.value,
                                                          condition: Condition(parent: parent.parameter.name, values: values)))
        }
        do {
            return (parameters, conditionalValues, try SearchSpace(parameters.map(\.parameter)))
        } catch {
            throw ConfigError(mark: parameters.first?.mark, path: ConfigPath(), message: "\(error)")
        }
    }

    /// `new`: the name of a study about to begin (a stored study's file keeps the rule it began under).
    static func checkStudyName(_ name: String, mark: SourceMark?, new: Bool) throws(ConfigError) {
        do {
            if new { try StudyName.checkNew(name) } else { try StudyName.check(name) }
        } catch {
            throw ConfigError(mark: mark, path: ConfigPath([.key("study")]), message: error.description)
        }
    }

    /// `training.optimizer.learning_rate` -> `optimizer.learning_rate`; `synthetic.inputs.x` -> `x`.
    static func defaultParameterName(_ path: ConfigPath) -> String {
        var comps = path.components
        if comps.count > 2, comps[0] == .key("synthetic"), comps[1] == .key("inputs") {
            comps.removeFirst(2)
        } else if comps.count > 1 {
            comps.removeFirst()
        }
        return ConfigPath(comps).description
    }

    // MARK: Trials

    /// Reports a command trial makes at most when `budget.max_epochs` does not say.
    public static let defaultCommandEpochs = 100

    /// A note for a command sweep with ASHA or Hyperband and no `budget.max_epochs`: their
    /// rungs (and `auto` resources) assume trials of ``defaultCommandEpochs``, while the
    /// program decides how many it runs; a rung at the program's last epoch would prune
    /// trials that trained them all, and a resumed or promoted trial would not know where
    /// it ends. Nil when it does not apply.
    public var rungEpochsNote: String? {
        guard task == .command, budget.maxEpochs == nil else { return nil }
        let rungs: String
        switch pruner {
        case .asha(let c): rungs = "ASHA's rungs end at epochs \(c.promotionSteps(maxSteps: maxEpochs).map(String.init).joined(separator: ", "))"
        case .hyperband: rungs = "Hyperband's brackets are computed"
        default: return nil
        }
        return "budget.max_epochs is not set: \(rungs) for trials of up to \(maxEpochs) epochs (the default for command trials). Set budget.max_epochs to the epochs your program runs, so that no rung ends at its last epoch (a trial that trained them all completes) and the rungs fit its length"
    }

    /// Epochs per trial: the budget's cap, else the template's own count.
    public var maxEpochs: Int { budget.maxEpochs ?? Self.templateEpochs(task: task, template: template) }

    /// The epochs every trial runs, when the file fixes them: its `epochs` under the epoch
    /// cap. Nil when `epochs` is searched (each trial runs its own, up to ``maxEpochs``) and
    /// for command trials (the program decides; ``maxEpochs`` bounds its reports).
    public var epochsPerTrial: Int? {
        guard task != .command, epochsParameter == nil else { return nil }
        return min(Self.templateEpochs(task: task, template: template), maxEpochs)
    }

    /// The name of the searched parameter that sets a trial's epochs (`training.epochs` or
    /// `synthetic.epochs` as a range), nil when they are fixed or the program's own.
    public var epochsParameter: String? {
        guard task != .command else { return nil }
        let epochsPath = ConfigPath(parsing: task == .synthetic ? "synthetic.epochs" : "training.epochs")
        return parameters.first { $0.path == epochsPath }?.parameter.name
    }

    /// The last epoch a trial with these parameters runs: the file's fixed epochs, its own
    /// searched epochs, else the cap (a command program's own count is not known here);
    /// always under the cap.
    public func lastEpoch(params: Params) -> Int {
        if let fixed = epochsPerTrial { return fixed }
        if let name = epochsParameter, case .int(let epochs)? = params[name] { return min(max(epochs, 1), maxEpochs) }
        return maxEpochs
    }

    /// The epochs a trial runs to its end, which the pruners' rungs (ASHA, Hyperband) are
    /// built for: the file's fixed `epochs` (a 9-epoch trial under `max_epochs: 27` had a
    /// rung at its last epoch, and was pruned there), else the cap.
    public var prunerEpochs: Int { epochsPerTrial ?? maxEpochs }

    /// The epochs the template itself asks for.
    static func templateEpochs(task: Task, template: ConfigNode) -> Int {
        if task == .command { return Self.defaultCommandEpochs }
        if case .int(let e)? = template.node(at: ConfigPath(parsing: task == .synthetic ? "synthetic.epochs" : "training.epochs"))?.value { return e }
        return task == .synthetic ? 1 : TrainingConfig().epochs
    }

    /// The seed of trial `number`: fixed by the study seed, different per trial, the same
    /// on every retry of the trial.
    public func trialSeed(number: Int) -> UInt64 {
        var g = SeededGenerator(seed: seed, stream: UInt64(number) &+ 1)
        return g.next() >> 1 // keep it positive as a signed 64-bit SQLite integer
    }

    /// The document for `params`: ranges replaced by values, inactive parameters removed,
    /// the trial seed and the epoch cap applied.
    public func document(for params: Params, trialSeed: UInt64) -> ConfigNode {
        var replacements: [(path: ConfigPath, node: ConfigNode?)] = []
        replacements.reserveCapacity(conditionalValues.count + parameters.count)
        for c in conditionalValues {
            let holds = params[c.condition.parent].map { c.condition.holds(for: $0) } ?? false
            replacements.append((c.path, holds ? c.value : nil))
        }
        for spec in parameters {
            replacements.append((spec.path, params[spec.parameter.name].map { ParameterExtraction.node(for: $0, mark: spec.mark) }))
        }
        var doc = template.replacing(all: replacements)
        doc = doc.setting("seed", to: nil)
        switch task {
        case .training:
            doc = doc.setting("seed", to: ConfigNode(.int(Int(trialSeed))))
            if let cap = budget.maxEpochs {
                doc = doc.setting("training", to: Self.capEpochs(doc["training"] ?? ConfigNode(.mapping([])), cap))
            }
        case .synthetic:
            if let cap = budget.maxEpochs, let synthetic = doc["synthetic"] {
                doc = doc.setting("synthetic", to: Self.capEpochs(synthetic, cap))
            }
        case .command:
            break
        }
        return doc
    }

    /// `epochs` limited to `cap` (set to it when absent); a malformed value is left for the
    /// decoder to report.
    static func capEpochs(_ section: ConfigNode, _ cap: Int) -> ConfigNode {
        switch section["epochs"]?.value {
        case nil, .null?: return section.setting("epochs", to: ConfigNode(.int(cap)))
        case .int(let e)? where e > cap: return section.setting("epochs", to: ConfigNode(.int(cap), mark: section["epochs"]?.mark))
        default: return section
        }
    }

    /// The `data` section of a training sweep as every trial reads it, for fingerprinting,
    /// shipping and checking its files once: decoded at the search space's base point. Nil
    /// when a searched value changes which files are read (e.g. `train_file` is a choice:
    /// each trial loads its own), or for a sweep without one. Searched values that leave the
    /// files alone (`scaling`, a limit) do not matter: the files are what is fingerprinted.
    public var sharedDataConfig: DataConfig? {
        guard task == .training, template["data"] != nil else { return nil }
        // A data value present only for some trials: each trial loads its own (as before).
        let underData = { (path: ConfigPath) in path.components.first == .key("data") }
        if conditionalValues.contains(where: { underData($0.path) })
            || parameters.contains(where: { underData($0.path) && $0.parameter.condition != nil }) { return nil }
        let decoder = ConfigDecoder(file: file)
        func data(_ params: Params) -> DataConfig? {
            guard let node = document(for: params, trialSeed: 1)["data"] else { return nil }
            return try? decoder.decode(DataConfig.self, from: node, at: ConfigPath([.key("data")]))
        }
        let base = baseAssignment()
        guard let shared = data(base) else { return nil }
        for spec in parameters where spec.path.components.first == .key("data") {
            for value in probeValues(spec.parameter.distribution) {
                var params = base
                params[spec.parameter.name] = value
                guard let other = data(completed(params)) else { continue } // an invalid probe: validateTemplate reports it
                if other.dataset != shared.dataset || other.files?.allPaths != shared.files?.allPaths { return nil }
            }
        }
        return shared
    }

    /// One `data` section the search can give besides its base point's: a searched `data`
    /// value at one of its probe values (each choice; a range's bounds), the others at the
    /// base point.
    public struct DataVariant: Sendable {
        /// The searched field (`data.label`), and the value it has here.
        public var parameter: String
        public var value: ParamValue
        public var config: DataConfig
    }

    /// The `data` fields that change how the data reads, or whether it can (not `scaling`,
    /// `limit`, `noise`: one read of a large file each, for nothing new).
    static let dataFieldsThatRead: Set<String> = ["label", "task", "columns", "ignore", "missing", "classes", "header", "separator",
                                                   "decimal", "validation", "test", "stratify", "features_array", "labels_array"]

    /// The data sections of ``sharedDataConfig``'s search other than the base point's (at
    /// most `limit`), so that `sweep validate` reads the data as each choice of a searched
    /// `label`, `task`, `columns` or `missing` makes it: it read the base point's only, and
    /// trials failed (`no label column 'nosuch'`) that it had called valid.
    public func dataVariants(limit: Int) -> [DataVariant] {
        guard let shared = sharedDataConfig else { return [] }
        let decoder = ConfigDecoder(file: file)
        var seen: Set<DataConfig> = [shared]
        var out: [DataVariant] = []
        for spec in parameters where spec.path.components.count == 2 && spec.path.components.first == .key("data") {
            guard case .key(let field) = spec.path.components[1], Self.dataFieldsThatRead.contains(field) else { continue }
            for value in probeValues(spec.parameter.distribution) {
                var params = baseAssignment()
                params[spec.parameter.name] = value
                guard out.count < limit, let node = document(for: completed(params), trialSeed: 1)["data"],
                      let config = try? decoder.decode(DataConfig.self, from: node, at: ConfigPath([.key("data")])),
                      seen.insert(config).inserted else { continue }
                out.append(DataVariant(parameter: spec.path.description, value: value, config: config))
            }
        }
        return out
    }

    /// The trial to run for `params` (only active parameters set).
    public func spec(for params: Params, trialSeed: UInt64) throws(ConfigError) -> TrialSpec {
        let doc = document(for: params, trialSeed: trialSeed)
        let decoder = ConfigDecoder(file: file)
        switch task {
        case .training:
            return .training(try decoder.decode(TrialConfig.self, from: doc))
        case .synthetic:
            return .synthetic(try decoder.decode(SyntheticTask.self, from: doc["synthetic"]!, at: ConfigPath([.key("synthetic")])))
        case .command:
            let base = file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            // A dict value reaches the program whole (`--sched={'name': 'cosine'}`), as W&B's agent passes it.
            let wholeValues = Set(parameters.compactMap { spec -> [String]? in
                guard case .dict? = params[spec.parameter.name] else { return nil }
                let keys = spec.path.components.compactMap { if case .key(let k) = $0 { k } else { nil } }
                return keys.first == "parameters" && keys.count == spec.path.components.count ? Array(keys.dropFirst()) : nil
            })
            return .command(try CommandTask.decode(document: doc, epochs: maxEpochs, direction: objective.direction, baseDirectory: base,
                                                   decoder: decoder, wholeValues: wholeValues))
        }
    }

    /// Checks that every value each parameter can take gives a valid trial, so that a
    /// mistake shows now, with its line, instead of as failed trials hours later.
    ///
    /// Each parameter is probed at its bounds (every choice for categorical ones; a list of
    /// more than ``probedChoices`` numbers at its extremes and the values conditions name)
    /// while the others sit at a base point; conditions are respected.
    mutating func validateTemplate() throws(ConfigError) {
        // Values past Double's range reach trials as inf (`loguniform: [1e-300, 1e300]` with
        // `q: 1e-300`, a W&B `log_normal` with `mu: 800`): half the trials failed with "got inf".
        for p in parameters where Self.reachesInfinity(p.parameter.distribution) {
            throw ConfigError(file: file, mark: p.mark, path: p.path,
                              message: "the values of this range reach infinity (past \(Double.greatestFiniteMagnitude)): narrow it")
        }
        let base = baseAssignment()
        if task == .command { try checkCommandParameterMacros(base: base) }
        if (try? spec(for: base, trialSeed: 1)) == nil {
            // Blame the parameter at (or above) the failing field, with its context.
            var culprit: ParameterSpec?
            do { _ = try spec(for: base, trialSeed: 1) } catch {
                culprit = parameters.first { error.path.description.hasPrefix($0.path.description) }
            }
            if let culprit { try checkParameter(culprit, base: base) }
            try checkProbe(base, parameter: nil, value: nil, hintCondition: false)
        }
        for parameter in parameters {
            try checkParameter(parameter, base: base)
        }
    }

    /// A validation objective (`val_accuracy`) for trials without a validation split: every
    /// trial failed ("finished without a value of 'val_accuracy'") after `sweep validate`
    /// said valid. Checked at the base point and at every value of a searched `data` value,
    /// which names the parameter. (Not part of parsing: a stored study stays readable.)
    public func validationSplitProblem() -> ConfigError? {
        guard task == .training, objective.metric.hasPrefix("val_") else { return nil }
        let base = baseAssignment()
        func lacksValidation(_ params: Params) -> Bool {
            guard case .training(let config)? = try? spec(for: params, trialSeed: 1) else { return false }
            return !config.data.hasValidation
        }
        let root = try? YAMLReader.parse(text, file: file, strict: false)
        let fix = "give it one (data.validation: 0.2, or a validation_file), or rank by a training metric (objective: \(objective.metric.dropFirst(4)))"
        for parameter in parameters where parameter.path.components.first == .key("data") {
            let name = parameter.parameter.name
            for value in probeValues(parameter.parameter.distribution) {
                var params = base
                params[name] = value
                guard lacksValidation(completed(params)) else { continue }
                return ConfigError(file: file, mark: parameter.mark, path: parameter.path,
                                   message: "with \(name) = \(value) the trials have no validation split, and the objective '\(objective.metric)' is measured on it: \(fix)")
            }
        }
        guard lacksValidation(base) else { return nil }
        let objectiveNode = root?["objective"]
        return ConfigError(file: file, mark: objectiveNode?.entry("metric")?.keyMark ?? root?.entry("objective")?.keyMark ?? root?["data"]?.entry("validation")?.keyMark ?? root?.entry("data")?.keyMark,
                           path: objectiveNode == nil ? ConfigPath([.key("data"), .key("validation")]) : ConfigPath([.key("objective"), .key("metric")]),
                           message: "the objective '\(objective.metric)' is measured on the validation split, but the data has none (data.validation is 0): \(fix)")
    }

    /// Every `${param:NAME}` of the command names a parameter: searched (active or not for
    /// some trials) or a plain value.
    private func checkCommandParameterMacros(base: Params) throws(ConfigError) {
        guard let command = template["command"], let parts = command.elements else { return }
        var known = Set(parameters.compactMap { spec -> String? in
            guard spec.path.components.first == .key("parameters") else { return nil }
            return ConfigPath(Array(spec.path.components.dropFirst())).description
        })
        if let plain = try? CommandTask.arguments(document(for: base, trialSeed: 1)["parameters"], decoder: ConfigDecoder(file: file)) {
            known.formUnion(plain.map(\.name))
        }
        for c in conditionalValues where c.path.components.first == .key("parameters") {
            known.insert(ConfigPath(Array(c.path.components.dropFirst())).description) // present when its condition holds
        }
        // Every one in the same round (the second was said only once the first was fixed).
        var problems: [ConfigError] = []
        for (i, part) in parts.enumerated() {
            guard case .string(let text) = part.value else { continue }
            for name in CommandMacros.parameterNames(in: text) where !known.contains(name) {
                let hint = known.filter { editDistance($0, name) <= 3 }.min { editDistance($0, name) < editDistance($1, name) }.map { "; did you mean '\($0)'?" } ?? ""
                problems.append(ConfigError(mark: part.mark, path: ConfigPath([.key("command"), .index(i)]),
                                            message: "${param:\(name)} names no parameter\(hint) (the parameters: \(known.sorted().joined(separator: ", ")))"))
            }
        }
        if let all = ConfigError.combining(problems) { throw all }
    }

    /// Probes one parameter's values with the others at `base`.
    private func checkParameter(_ parameter: ParameterSpec, base: Params) throws(ConfigError) {
        let name = parameter.parameter.name
        var values = probeValues(parameter.parameter.distribution)
        // Each probe is a whole trial document: 1,000 parameters of 100 numbers each took
        // 210 s. The numbers of a long list are probed at their extremes per type, as a range
        // is (a field's limits are intervals); every other choice, and every value a
        // condition names (of a parameter or a conditional value: it turns something on), is
        // still probed.
        if values.count > Self.probedChoices {
            let conditions = parameters.compactMap(\.parameter.condition) + conditionalValues.map(\.condition)
            let named = Set(conditions.filter { $0.parent == name }.flatMap(\.values))
            let kept = Set(Self.extremes(of: values))
            values = values.filter { kept.contains($0) || named.contains($0) || named.contains(parameter.parameter.distribution.conditionValue($0) ?? $0) }
        }
        let probes = values.map { value -> (ParamValue, Params) in
            var params = base
            params[name] = value
            return (value, completed(params))
        }.filter { $0.1[name] != nil } // inactive at this base point
        // When no value of the parameter works here but leaving it out does, the parameter
        // applies only to some values of another one: suggest a condition.
        var withoutIt = base
        withoutIt[name] = nil
        let neverWorks = parameters.count > 1
            && probes.allSatisfy { (try? spec(for: $0.1, trialSeed: 1)) == nil }
            && (try? spec(for: activeOnly(withoutIt), trialSeed: 1)) != nil
        for (value, params) in probes {
            try checkProbe(params, parameter: parameter, value: value, hintCondition: neverWorks)
        }
    }

    private func checkProbe(_ params: Params, parameter: ParameterSpec?, value: ParamValue?, hintCondition: Bool) throws(ConfigError) {
        do throws(ConfigError) {
            _ = try spec(for: params, trialSeed: 1)
        } catch {
            var e = error
            if let parameter, let value {
                // Point at the range that produced the bad value.
                if e.path == parameter.path || e.path.description.hasPrefix(parameter.path.description) || e.mark == nil {
                    e.mark = parameter.mark
                }
                let others = params.filter { $0.key != parameter.parameter.name && parameters.count > 1 }
                    .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                e.message += " (when \(parameter.parameter.name) = \(value)\(others.isEmpty ? "" : "; with \(others)"))"
                if hintCondition {
                    e.message += "; if \(parameter.parameter.name) applies only to some values of another parameter, add a 'when:' condition"
                }
            }
            throw e
        }
    }

    /// Choices beyond which a list's numbers are probed at their extremes only.
    static let probedChoices = 16

    /// `choices` with their numbers cut to the smallest and largest of each kind (ints, whole
    /// floats, fractional floats: a field may take 2.0 and refuse 2.5); the rest as they
    /// are, in order.
    static func extremes(of choices: [ParamValue]) -> [ParamValue] {
        func bounds(_ values: [ParamValue]) -> Set<ParamValue> {
            let less: (ParamValue, ParamValue) -> Bool = { ($0.number ?? 0) < ($1.number ?? 0) }
            guard let low = values.min(by: less), let high = values.max(by: less) else { return [] }
            return [low, high]
        }
        var ints: [ParamValue] = [], wholeFloats: [ParamValue] = [], fractions: [ParamValue] = []
        for value in choices {
            switch value {
            case .int: ints.append(value)
            case .double(let d): if d == d.rounded() { wholeFloats.append(value) } else { fractions.append(value) }
            default: break
            }
        }
        let kept = bounds(ints).union(bounds(wholeFloats)).union(bounds(fractions))
        var seen = Set<ParamValue>()
        return choices.filter { value in
            switch value {
            case .int, .double: return kept.contains(value) && seen.insert(value).inserted
            default: return true
            }
        }
    }

    /// The values probed for a distribution: its bounds, or all its choices. A normal
    /// range has no bounds: its median and mu ± 3 sigma (drawn outside them about once in
    /// 370 trials), so that `learning_rate: {normal: [0.001, 0.01]}`, negative a third of
    /// the time, is refused up front instead of failing trials.
    private func probeValues(_ d: Distribution) -> [ParamValue] {
        switch d {
        case .uniform(let l, let h, _), .logUniform(let l, let h, _): return l == h ? [.double(l)] : [.double(l), .double(h)]
        case .int(let l, let h, _), .logInt(let l, let h): return l == h ? [.int(l)] : [.int(l), .int(h)]
        case .categorical(let c, _): return c
        case .normal(let mu, let sigma, let q):
            func rounded(_ x: Double) -> Double { q.map { ($0 * (x / $0).rounded()) } ?? x }
            return (d.median.map { [$0] } ?? []) + [.double(rounded(mu - 3 * sigma)), .double(rounded(mu + 3 * sigma))]
        case .logNormal, .beta: return d.median.map { [$0] } ?? []
        }
    }

    /// Whether `d` can give a value that is not finite (a quantum so small that value / q
    /// overflows, a log-normal whose spread passes Double's range).
    private static func reachesInfinity(_ d: Distribution) -> Bool {
        switch d {
        case .uniform(let l, let h, let q), .logUniform(let l, let h, let q):
            return q.map { !(h / $0).isFinite || !(l / $0).isFinite } ?? false
        case .normal(let mu, let sigma, let q):
            let ends = [mu - 3 * sigma, mu + 3 * sigma]
            return ends.contains { !$0.isFinite } || (q.map { q in ends.contains { !($0 / q).isFinite } } ?? false)
        case .logNormal(let mu, let sigma, let q):
            let high = exp(mu + 3 * sigma)
            return !high.isFinite || (q.map { !(high / $0).isFinite } ?? false)
        case .int, .logInt, .categorical, .beta:
            return false
        }
    }

    /// Every parameter at its first probe value, inactive ones removed.
    private func baseAssignment() -> Params { completed([:]) }

    /// `params` with inactive parameters removed and active ones that are missing set to
    /// their first probe value (in space order, so a choice activates its dependents).
    private func completed(_ params: Params) -> Params {
        var out: Params = [:]
        for p in space.parameters where space.isActive(p, given: out) {
            out[p.name] = params[p.name] ?? probeValues(p.distribution)[0]
        }
        return out
    }

    /// Drops parameters whose condition does not hold (in space order, so chains resolve).
    public func activeOnly(_ params: Params) -> Params {
        var out: Params = [:]
        for p in space.parameters where space.isActive(p, given: out) {
            if let v = params[p.name] { out[p.name] = v }
        }
        return out
    }
}
