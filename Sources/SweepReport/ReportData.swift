import Foundation
import Search
import Store

/// Everything a report shows, read from the database in one transaction.
public struct ReportData: Sendable {
    public var study: StudyRecord
    /// Running, interrupted (no coordinator holds it) or finished, when the data was read.
    public var phase: StudyPhase
    /// Every trial, by number.
    public var trials: [TrialRecord]
    /// Each trial's objective per epoch (other metrics are not read: `metrics` is empty).
    public var curves: [Int: [IntermediateRecord]]
    public var counts: [TrialState: Int]
    public var importance: [ParameterImportance]
    /// Population Based Training's exploit/explore steps (empty for other studies).
    public var lineage: [LineageStep] = []
    /// When coordinators ran the study (for the wall time).
    public var runs = RunSegments([])
    public var databasePath: String
    public var generatedAt: Double

    /// Reads study `name` from `reader`.
    public static func load(_ reader: StoreReader, study name: String, databasePath: String, now: Double) throws -> ReportData {
        try reader.read { q in try load(q, study: name, databasePath: databasePath, now: now) }
    }

    /// Reads study `name` inside a read transaction the caller holds.
    public static func load(_ q: StoreQueries, study name: String, databasePath: String, now: Double) throws -> ReportData {
        let s = try q.requireStudy(named: name)
        let trials = try q.trials(studyID: s.id)
        let curves = try q.allObjectiveCurves(studyID: s.id)
        let counts = try q.stateCounts(studyID: s.id)
        let observations = trials.compactMap { t -> ImportanceObservation? in
            guard t.state == .complete, let v = t.value, v.isFinite else { return nil }
            return ImportanceObservation(params: t.params, value: v)
        }
        let importance = ImportanceAnalysis.compute(space: s.definition.space, observations: observations)
        return ReportData(study: s, phase: StudyPhase.of(s, databasePath: databasePath), trials: trials, curves: curves, counts: counts, importance: importance,
                          lineage: try q.lineage(studyID: s.id), runs: try q.runSegments(studyID: s.id), databasePath: databasePath, generatedAt: now)
    }

    /// Whether the study trains the built-in network (what `sweep export-schedule` writes a
    /// train file for): its sweep file has no top-level `program`, `command` (a command sweep)
    /// or `synthetic` section. (Read from the stored text: the report does not parse sweep files.)
    public var trainsBuiltInNetwork: Bool {
        !study.definition.sweepFile.split(whereSeparator: \.isNewline).contains {
            $0.hasPrefix("program:") || $0.hasPrefix("command:") || $0.hasPrefix("synthetic:") || $0.hasPrefix("{")
        }
    }

    public var direction: Direction { study.direction }
    public var metric: String { study.definition.metric }
    public var parameters: [Parameter] { study.definition.space.parameters }

    /// At most `limit` parameters to draw, the most important ones (``importance``, then the
    /// space's order), in the space's order: a plot per parameter of a study of 1,000 made
    /// a 43 MB report. nil for a note when all are drawn, else what it says.
    func plotted(limit: Int) -> (parameters: [Parameter], note: String?) {
        guard parameters.count > limit else { return (parameters, nil) }
        let rank = Dictionary(importance.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let order = parameters.indices.sorted { (rank[parameters[$0].name] ?? Int.max, $0) < (rank[parameters[$1].name] ?? Int.max, $1) }
        let kept = Set(order.prefix(limit))
        let which = importance.isEmpty ? "the first ones of the search space (importance needs more complete trials)" : "the most important ones (see Parameter importance)"
        return (parameters.indices.filter(kept.contains).map { parameters[$0] }, "Showing \(limit) of \(parameters.count) parameters: \(which).")
    }

    /// COMPLETE trials with a finite value, by number.
    public var complete: [TrialRecord] {
        trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
    }

    /// The best COMPLETE trial (lowest number among equals), as `sweep best` picks it.
    public var best: TrialRecord? {
        complete.reduce(nil) { b, t in
            guard let b else { return t }
            return direction.isBetter(t.value!, than: b.value!) ? t : b
        }
    }

    /// The best COMPLETE trials, best first (ties by number).
    public func top(_ n: Int) -> [TrialRecord] {
        Array(complete.sorted { a, b in
            a.value! != b.value! ? direction.isBetter(a.value!, than: b.value!) : a.number < b.number
        }.prefix(n))
    }

    /// Trials that ended (COMPLETE, PRUNED, FAIL).
    public var finished: Int { count(.complete) + count(.pruned) + count(.fail) }

    public func count(_ s: TrialState) -> Int { counts[s] ?? 0 }

    /// From the first trial's start to the last one's end (or now while running), the time
    /// the study stood interrupted left out: ``RunSegments/trialSpan(firstStart:lastEnd:)``,
    /// as `sweep compare` counts it (the report counted a pause between runs).
    public var wallTime: Double? {
        guard let first = trials.compactMap(\.startedAt).min() else { return nil }
        let last = phase == .running ? generatedAt : (trials.compactMap(\.finishedAt).max() ?? first)
        return (phase == .running ? runs.extendingLast(to: generatedAt) : runs).trialSpan(firstStart: first, lastEnd: last)
    }

    /// Median duration of finished trials.
    public var medianDuration: Double? {
        median(trials.filter { $0.state.isFinished }.compactMap(\.duration))
    }
}

/// The median of `xs`, or nil when empty.
public func median(_ xs: [Double]) -> Double? {
    guard !xs.isEmpty else { return nil }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
