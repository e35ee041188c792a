import Foundation
import Search
import Store

/// The side-by-side numbers of two studies.
struct Comparison {
    var a: StudyOutcome
    var b: StudyOutcome
    /// The target and where it came from.
    var target: Double?
    var targetSource: String
    /// Finished trials both studies have (for "best after N").
    var commonTrials: Int

    init(a: StudyOutcome, b: StudyOutcome, givenTarget: Double?) {
        self.a = a
        self.b = b
        if let givenTarget {
            target = givenTarget
            targetSource = "given"
        } else if let x = a.best?.value, let y = b.best?.value {
            target = a.direction.isBetter(x, than: y) ? y : x
            targetSource = "the worse of the two bests"
        } else {
            target = a.best?.value ?? b.best?.value
            targetSource = target == nil ? "none (no complete trial)" : "the only best"
        }
        commonTrials = min(a.finishOrder.count, b.finishOrder.count)
    }

    var rows: [(String, String, String)] {
        func both(_ f: (StudyOutcome) -> String) -> (String, String) { (f(a), f(b)) }
        var r: [(String, String, String)] = []
        func add(_ label: String, _ f: (StudyOutcome) -> String) { let (x, y) = both(f); r.append((label, x, y)) }
        if a.databasePath != b.databasePath { add("database") { $0.databasePath } }
        add("objective") { "\($0.direction.rawValue) \($0.study.definition.metric)" }
        add("best value") { s in s.best.map { "\(Fmt.value($0.value)) (trial \($0.number))" } ?? "-" }
        let targetText = target.map { Fmt.value($0) } ?? "-"
        r.append(("target", targetText, targetText))
        add("trials to target") { s in target.flatMap { s.reach($0) }.map { "\($0.trials) (trial \($0.trial))" } ?? "not reached" }
        add("time to target") { s in target.flatMap { s.reach($0) }.map { Fmt.seconds($0.seconds) } ?? "not reached" }
        add("best after \(commonTrials) trials") { Fmt.value($0.bestAfter(commonTrials)) }
        add("trials finished") { Fmt.trials($0.finishOrder.count, budget: $0.study.definition.budgetTrials) }
        add("complete/pruned/failed") { "\($0.count(.complete))/\($0.count(.pruned))/\($0.count(.fail))" }
        add("running/waiting") { "\($0.count(.running))/\($0.count(.waiting) + $0.count(.stale))" }
        add("median trial time") { Fmt.seconds($0.medianDuration) }
        add("wall time") { Fmt.seconds($0.wallTime) }
        add("state") { $0.phase.rawValue.lowercased() }
        return r
    }

    /// A study as the verdict names it: by name, and by database too when both have the
    /// same name.
    func label(_ s: StudyOutcome) -> String {
        a.study.name == b.study.name && a.databasePath != b.databasePath ? "'\(s.study.name)' of \(s.databasePath)" : "'\(s.study.name)'"
    }

    /// One sentence: which study reached the target first.
    var verdict: String? {
        guard let target else { return nil }
        let ra = a.reach(target), rb = b.reach(target)
        let t = Fmt.value(target)
        switch (ra, rb) {
        case (nil, nil): return "Neither study reached \(t)."
        case (_?, nil): return "Only \(label(a)) reached \(t)."
        case (nil, _?): return "Only \(label(b)) reached \(t)."
        case (let x?, let y?):
            let byTrials = x.trials == y.trials ? "both after \(x.trials) trials" : "\(x.trials < y.trials ? label(a) : label(b)) in fewer trials (\(min(x.trials, y.trials)) vs \(max(x.trials, y.trials)))"
            guard let sx = x.seconds, let sy = y.seconds else { return "To reach \(t): \(byTrials)." }
            if Fmt.seconds(sx) == Fmt.seconds(sy) { return "To reach \(t): \(byTrials); both in \(Fmt.seconds(sx))." }
            let faster = sx <= sy ? label(a) : label(b)
            return "To reach \(t): \(byTrials); \(faster) sooner (\(Fmt.seconds(min(sx, sy))) vs \(Fmt.seconds(max(sx, sy))))."
        }
    }

    struct JSON: Encodable {
        var metric: String
        var direction: String
        var target: Double?
        var target_source: String
        var common_trials: Int
        var studies: [StudyJSON]
    }

    struct StudyJSON: Encodable {
        var name: String
        var database: String
        var metric: String
        var state: String
        var best_value: Double?
        var best_trial: Int?
        var reached_target: Bool
        var trials_to_target: Int?
        var seconds_to_target: Double?
        var best_after_common_trials: Double?
        var trials: Int
        var budget_trials: Int
        var complete: Int
        var pruned: Int
        var failed: Int
        var running: Int
        var median_trial_seconds: Double?
        var wall_seconds: Double?
    }

    /// The CSV's columns: the JSON's fields of a study, with the comparison's target.
    static let csvHeaders = ["study", "database", "metric", "direction", "state", "best_value", "best_trial", "target", "target_source",
                             "reached_target", "trials_to_target", "seconds_to_target", "common_trials", "best_after_common_trials",
                             "trials", "budget_trials", "complete", "pruned", "failed", "running", "median_trial_seconds", "wall_seconds"]

    /// One row per study, values as data (full precision, empty when there is none), not the
    /// table's text ("0.4699 (trial 3)", "12.5 s").
    var csvRows: [[String]] {
        let doc = json
        func text(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        func text(_ v: Int?) -> String { v.map(String.init) ?? "" }
        return doc.studies.map { s in
            [s.name, s.database, s.metric, doc.direction, s.state, text(s.best_value), text(s.best_trial), text(doc.target), doc.target_source,
             "\(s.reached_target)", text(s.trials_to_target), text(s.seconds_to_target), "\(doc.common_trials)", text(s.best_after_common_trials),
             "\(s.trials)", "\(s.budget_trials)", "\(s.complete)", "\(s.pruned)", "\(s.failed)", "\(s.running)",
             text(s.median_trial_seconds), text(s.wall_seconds)]
        }
    }

    var json: JSON {
        func s(_ o: StudyOutcome) -> StudyJSON {
            let r = target.flatMap { o.reach($0) }
            return StudyJSON(name: o.study.name, database: o.databasePath, metric: o.study.definition.metric, state: o.phase.rawValue,
                             best_value: o.best?.value, best_trial: o.best?.number, reached_target: r != nil, trials_to_target: r?.trials,
                             seconds_to_target: r?.seconds, best_after_common_trials: o.bestAfter(commonTrials), trials: o.total,
                             budget_trials: o.study.definition.budgetTrials, complete: o.count(.complete), pruned: o.count(.pruned),
                             failed: o.count(.fail), running: o.count(.running), median_trial_seconds: o.medianDuration, wall_seconds: o.wallTime)
        }
        return JSON(metric: a.study.definition.metric, direction: a.direction.rawValue, target: target, target_source: targetSource,
                    common_trials: commonTrials, studies: [s(a), s(b)])
    }
}
