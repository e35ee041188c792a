import Search
import Store
import SweepFile

/// One study definition: the sweep file stored with the study is the source of truth for
/// its settings; the record's columns (space, metric, direction, retry, epochs) are copies
/// for queries, checked to agree when a coordinator takes the study up again. Only the
/// budget lives in the record alone (`--add-trials` raises it).
extension SweepDefinition {
    /// The trial budget for `requested` trials: a grid has only so many points, so at most
    /// one trial per point.
    func cappedBudget(_ requested: Int) -> Int {
        guard let grid = sampler.makeSampler(space: space) as? GridSampler else { return requested }
        return min(requested, grid.gridSize)
    }

    /// The record of a new study of this definition.
    var newStudy: NewStudy {
        NewStudy(name: study, direction: objective.direction, metric: objective.metric, sweepFile: text, sweepPath: file, space: space,
                 seed: seed, budgetTrials: cappedBudget(budget.trials), maxEpochs: maxEpochs, wallTime: budget.wallTime,
                 maxAttempts: retry.maxAttempts)
    }

    /// The definition of a stored study: its stored sweep file, parsed, after checking that
    /// the record's columns say the same (else the database was edited by hand or written
    /// by an incompatible version, and resuming would mix two studies).
    static func stored(_ record: StudyRecord) throws -> SweepDefinition {
        let d = record.definition
        let definition = try SweepDefinition.parse(text: d.sweepFile, file: d.sweepPath ?? "\(record.name) (stored sweep file)")
        let expected = definition.newStudy
        var disagree: [String] = []
        if expected.name != d.name { disagree.append("study name '\(expected.name)' against '\(d.name)'") }
        if expected.space != d.space { disagree.append("search space") }
        if expected.metric != d.metric || expected.direction != d.direction {
            disagree.append("objective \(expected.direction.rawValue) \(expected.metric) against \(d.direction.rawValue) \(d.metric)")
        }
        if expected.seed != d.seed { disagree.append("seed \(expected.seed) against \(d.seed)") }
        if expected.maxAttempts != d.maxAttempts { disagree.append("retry.max_attempts \(expected.maxAttempts) against \(d.maxAttempts)") }
        if expected.maxEpochs != d.maxEpochs { disagree.append("epochs \(expected.maxEpochs.map(String.init) ?? "none") against \(d.maxEpochs.map(String.init) ?? "none")") }
        if expected.wallTime != d.wallTime { disagree.append("budget.wall_time") }
        guard disagree.isEmpty else {
            throw StoreError.invalid("study '\(record.name)': its stored sweep file and its stored settings disagree (\(disagree.joined(separator: "; "))); the database was changed outside sweep")
        }
        return definition
    }
}
