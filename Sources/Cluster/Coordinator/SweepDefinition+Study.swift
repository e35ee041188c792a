import Foundation
import Search
import Store
import SweepFile
import SweepSupport

/// One study definition: the sweep file stored with the study is the source of truth for
/// its settings; the record's columns (space, metric, direction, retry, epochs) are copies
/// for queries, checked to agree when a coordinator takes the study up again. Only the
/// budget lives in the record alone (`--add-trials` raises it).
extension SweepDefinition {
    /// The trial budget for `requested` trials: a grid has only so many points, so at most
    /// one trial per point.
    public func cappedBudget(_ requested: Int) -> Int {
        guard let grid = sampler.makeSampler(space: space) as? GridSampler else { return requested }
        return min(requested, grid.gridSize)
    }

    /// Why `--add-trials` cannot raise this study's budget, or nil. Population Based
    /// Training's budget is its population, members that train side by side and exploit one
    /// another: more trials would be members joining a population that is generations ahead.
    public static func addTrialsProblem(_ record: StudyRecord, adding: Int) throws -> String? {
        guard adding > 0 else { return nil }
        let definition = try stored(record)
        // A grid runs each point once: a budget past its size adds nothing (it said nothing).
        if let grid = definition.sampler.makeSampler(space: definition.space) as? GridSampler, record.definition.budgetTrials >= grid.gridSize {
            return "--add-trials: study '\(record.name)' is a grid search whose \(grid.gridSize) points are all in its budget already; more trials would repeat none of them. `sweep resume \(record.name) --retry-failed` runs the points whose trials failed again; queue chosen points with `sweep enqueue`, or start a new study with a larger grid"
        }
        guard case .pbt(let pbt)? = definition.scheduler else { return nil }
        return "--add-trials: study '\(record.name)' is Population Based Training, whose budget is its population (\(pbt.population) members training side by side); members added now would join generations behind. Start a new study with a larger population (scheduler.population and budget.trials) instead"
    }

    /// Why trials cannot be queued into this study by hand (`sweep enqueue`, the dashboard),
    /// or nil: a Population Based Training member queued now would train alone, never
    /// exploited, generations behind the population (as `--add-trials` would add).
    public static func enqueueProblem(_ record: StudyRecord) throws -> String? {
        guard case .pbt(let pbt)? = try stored(record).scheduler else { return nil }
        return "study '\(record.name)' is Population Based Training, whose \(pbt.population) members train side by side and exploit one another; a trial queued now would train alone, generations behind them. Start a new study with those parameters instead"
    }

    /// `path` from the root: a study resumed from another directory still knows its file.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)).standardizedFileURL.path
    }

    /// Whether its trials need a worker that reads dict values and `argument_style`
    /// (``Wire/structuredParamsCapability``).
    var needsStructuredParams: Bool {
        if case .string(CommandTask.ArgumentStyle.nested.rawValue)? = template["argument_style"]?.value { return true }
        func holdsDict(_ v: ParamValue) -> Bool {
            switch v {
            case .dict: true
            case .list(let items): items.contains(where: holdsDict)
            default: false
            }
        }
        return space.parameters.contains { p in
            guard case .categorical(let choices, _) = p.distribution else { return false }
            return choices.contains(where: holdsDict)
        }
    }

    /// The record of a new study of this definition.
    var newStudy: NewStudy {
        NewStudy(name: study, direction: objective.direction, metric: objective.metric, sweepFile: text, sweepPath: file.map(Self.absolute), space: space,
                 seed: seed, budgetTrials: cappedBudget(budget.trials), maxEpochs: maxEpochs, wallTime: budget.wallTime,
                 maxAttempts: retry.maxAttempts)
    }

    /// The definition of a stored study: its stored sweep file, parsed, after checking that
    /// the record's columns say the same (else the database was edited by hand or written
    /// by an incompatible version, and resuming would mix two studies).
    public static func stored(_ record: StudyRecord) throws -> SweepDefinition {
        let d = record.definition
        let file = d.sweepPath ?? "\(record.name) (stored sweep file)"
        var definition = try SweepDefinition.parseStored(text: d.sweepFile, file: file)
        // A study begun before plain values were read as both YAML versions agree (`tRuE`,
        // `-0`, `.nAn`, `0X1F` in a choice), read as it was: its stored space tells.
        if !Self.sameSpace(definition.space, d.space),
           let older = try? SweepDefinition.parseStored(text: d.sweepFile, file: file, scalars: .yams), Self.sameSpace(older.space, d.space) {
            definition = older
        }
        // A W&B study an older Sweep started, read as it read it: its stored space (a constant
        // dict as dotted leaves, a grid's rounded q_uniform) and its dotted arguments.
        if definition.convertedFromWandB, !Self.sameSpace(definition.space, d.space),
           let older = try? SweepDefinition.parseStored(text: d.sweepFile, file: file, reading: .before20261206), Self.sameSpace(older.space, d.space) {
            definition = older
        }
        // A W&B file's epoch cap is Sweep's choice, not the file's (100 before 2026-12-05, no
        // practical cap since): a study keeps the one it began with.
        if definition.convertedFromWandB, let recorded = d.maxEpochs, recorded != definition.maxEpochs {
            definition.budget.maxEpochs = recorded
        }
        // The record's name is the study's: `sweep rename` changes it, not the stored file's
        // `study:` (a renamed study could not be resumed or take queued trials), and a W&B
        // name is made a study name by rules that have changed since.
        definition.study = record.name
        // A direction the file does not state is the one the study began with (the guess
        // from a metric's name has changed since: `perplexity` was maximized).
        if !definition.objective.directionStated { definition.objective.direction = d.direction }
        let expected = definition.newStudy
        var disagree: [String] = []
        if !Self.sameSpace(expected.space, d.space) { disagree.append("search space") }
        if expected.metric != d.metric || expected.direction != d.direction {
            disagree.append("objective \(expected.direction.rawValue) \(expected.metric) against \(d.direction.rawValue) \(d.metric)")
        }
        if expected.seed != d.seed { disagree.append("seed \(expected.seed) against \(d.seed)") }
        if expected.maxAttempts != d.maxAttempts { disagree.append("retry.max_attempts \(expected.maxAttempts) against \(d.maxAttempts)") }
        if expected.maxEpochs != d.maxEpochs { disagree.append("epochs \(expected.maxEpochs.map(String.init) ?? "none") against \(d.maxEpochs.map(String.init) ?? "none")") }
        if expected.wallTime != d.wallTime { disagree.append("budget.wall_time") }
        guard disagree.isEmpty else {
            // W&B files are read through a conversion that has changed between versions.
            let why = definition.convertedFromWandB
                ? "this version of Sweep reads its W&B sweep file differently from the one that started it (q_uniform bounds, a grid over a continuous range and the words nan and inf changed on 2026-12-05)"
                : "the database was changed outside sweep"
            throw StoreError.invalid("study '\(record.name)': its stored sweep file and its stored settings disagree (\(disagree.joined(separator: "; "))); \(why)")
        }
        return definition
    }

    /// Whether `space` is the `stored` one, also as databases before 2026-12-05 stored it.
    static func sameSpace(_ space: SearchSpace, _ stored: SearchSpace) -> Bool {
        if space == stored || wholeFloatsAsInts(space) == stored { return true }
        // Condition values stored before 2026-12-07 are as written (`when: {x: 1}` on a float
        // range: the int 1); they are read as the parent draws them now (1.0).
        let storedAsDrawn = conditionsAsDrawn(stored)
        return conditionsAsDrawn(space) == storedAsDrawn || conditionsAsDrawn(wholeFloatsAsInts(space)) == storedAsDrawn
    }

    /// `space` with each condition's values as its parent draws them (see
    /// `Distribution.conditionValue`); a value the parent never draws is kept as it is.
    static func conditionsAsDrawn(_ space: SearchSpace) -> SearchSpace {
        let parameters = space.parameters.map { p -> Parameter in
            guard let c = p.condition, let parent = space.parameter(named: c.parent) else { return p }
            var p = p
            p.condition?.values = c.values.map { parent.distribution.conditionValue($0) ?? $0 }
            return p
        }
        return (try? SearchSpace(parameters)) ?? space
    }

    /// `space` as databases written before 2026-12-05 stored it: a whole float choice or
    /// condition value (1.0) as an int (1). Their studies resume with the sweep file's floats.
    static func wholeFloatsAsInts(_ space: SearchSpace) -> SearchSpace {
        func int(_ v: ParamValue) -> ParamValue {
            switch v {
            case .double(let d) where d == d.rounded() && abs(d) < 9e15: return .int(Int(d))
            case .list(let items): return .list(items.map(int))
            default: return v
            }
        }
        let parameters = space.parameters.map { p -> Parameter in
            var p = p
            if case .categorical(let c, let probabilities) = p.distribution { p.distribution = .categorical(c.map(int), probabilities: probabilities) }
            if let values = p.condition?.values { p.condition?.values = values.map(int) }
            return p
        }
        return (try? SearchSpace(parameters)) ?? space
    }
}

/// The sweep file given to `coordinator FILE --resume` differs from the one the study
/// began with: what changed, line by line. Refused unless forced; a changed objective or
/// search space is refused even then (the stored values and parameters would not mean
/// what the new file says).
public struct SweepFileChange: Error, CustomStringConvertible, Sendable {
    public var study: String
    public var file: String
    /// `-N: old line` and `+N: new line`, in file order.
    public var lines: [String]
    /// Why the change cannot be forced, if it cannot.
    public var unforceable: String?
    /// The database, for the command that resumes with the stored file (nil: the default).
    public var database: String?

    public var description: String {
        let shown = lines.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = lines.count > 20 ? "\n  ... and \(lines.count - 20) more changed line(s)" : ""
        let what = "\(file) changed since study '\(study)' began:\n\(shown)\(more)\n"
        if let unforceable {
            return what + "\(unforceable) cannot change in a study that has begun: start a new study (another `study:` name)"
        }
        return what + "resume with the stored file (`\(ShellCommand.resume(study, database: database))`), or pass --force to continue with the new one"
    }
}

extension SweepDefinition {
    /// How this file differs from the one `record` began with; nil when it is the same text
    /// (line ends aside: a file saved again with CRLF is the same file).
    public func change(from record: StudyRecord) throws -> SweepFileChange? {
        let old = record.definition.sweepFile
        guard text.textLines != old.textLines else { return nil }
        let stored = try SweepDefinition.stored(record)
        var unforceable: [String] = []
        if objective != stored.objective { unforceable.append("the objective") }
        if space != stored.space { unforceable.append("the search space") }
        // A grid runs its points in order and counts the study's trials as points run: over
        // trials another sampler chose it skipped points, and its budget cap refused the rest.
        if sampler.name == .grid, sampler != stored.sampler { unforceable.append("the sampler (to a grid, or the grid's points)") }
        return SweepFileChange(study: record.name, file: file ?? "the sweep file", lines: LineDiff.changes(from: old, to: text),
                               unforceable: unforceable.isEmpty ? nil : unforceable.joined(separator: " and "))
    }

    /// Makes this file the study's definition (`--resume --force`), after ``change(from:)``
    /// found nothing that cannot change.
    public func replaceStored(_ record: StudyRecord, in store: SweepStore, changedLines: [String], at time: Double) throws {
        // Not under a running coordinator of the same study.
        let lock = try store.path.map { try StudyLock(database: $0, study: record.name) }
        try store.write { tx in try tx.replaceDefinition(record.id, newStudy, changedLines: changedLines, at: time) }
        withExtendedLifetime(lock) {}
    }
}

/// Changed lines between two texts (a longest-common-subsequence diff; sweep files are small).
enum LineDiff {
    static func changes(from old: String, to new: String) -> [String] {
        let a = old.textLines.prefix(5000).map(String.init)
        let b = new.textLines.prefix(5000).map(String.init)
        // common[i][j]: length of the longest common subsequence of a[i...] and b[j...].
        var common = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                i += 1; j += 1
            } else if j < b.count, i == a.count || common[i][j + 1] > common[i + 1][j] {
                out.append("+\(j + 1): \(b[j])"); j += 1
            } else {
                out.append("-\(i + 1): \(a[i])"); i += 1
            }
        }
        return out
    }
}
