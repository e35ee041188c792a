import Search
import Store

/// Population Based Training in the report: every member's hyperparameter schedule over
/// epochs (as it trained, and the effective one of its final weights) and the table of
/// exploit/explore steps. Empty for studies without lineage.
public enum LineageSection {
    /// A segment's parameters, `lr = 0.01, dropout = 0.2` (the report's and the dashboard's).
    public static func describe(_ p: Params, names: [String]) -> String {
        names.compactMap { n in p[n].map { "\(n) = \(Fmt.param($0))" } }.joined(separator: ", ")
    }

    /// An exploit step's changes, `lr: 0.01 → 0.012 (x1.2; before: 0.02)`: a change applies
    /// to the source's value (it said the member's own, before it).
    public static func describe(_ changes: [ParameterChange]) -> String {
        changes.map { c in
            "\(c.name): \(c.copied.map(Fmt.param) ?? "unset") → \(c.value.map(Fmt.param) ?? "unset") (\(c.change); before: \(c.before.map(Fmt.param) ?? "unset"))"
        }.joined(separator: "; ")
    }

    static func section(_ data: ReportData) -> String {
        guard !data.lineage.isEmpty else { return "" }
        let lineage = PopulationLineage(steps: data.lineage, currentParams: Dictionary(uniqueKeysWithValues: data.trials.map { ($0.number, $0.params) }))
        let names = data.parameters.map(\.name)
        func describe(_ p: Params) -> String { Self.describe(p, names: names) }
        func segments(_ list: [ScheduleSegment], member: Bool) -> String {
            list.map { s in "epochs \(s.firstEpoch)–\(s.lastEpoch)\(member ? " (trial \(s.member))" : ""): \(describe(s.params))" }
                .map(html).joined(separator: "<br>")
        }
        var s = "<section class=\"part fig\" id=\"lineage\"><h2>PBT lineage</h2>"
        s += "<p class=\"caption\">Each member's parameters over epochs as it trained them, and the effective schedule of its final weights"
        s += " (following the checkpoints it continued from back to epoch 1)."
        // (A train file is for the built-in trainer: export-schedule refuses command studies.)
        if data.trainsBuiltInNetwork {
            s += " The best member's learning-rate schedule as a train file: <code>sweep export-schedule \(html(TopTrialsTable.shellQuote(data.study.name)))</code>."
        }
        s += "</p>"
        s += "<div class=\"table-wrap\"><table class=\"data\" id=\"schedules-table\"><thead><tr><th class=\"num\">trial</th>"
        s += "<th class=\"num\">\(html(data.metric))</th><th>schedule as trained</th><th>effective schedule</th></tr></thead><tbody>"
        for t in data.trials {
            let best = t.number == data.best?.number
            s += "<tr\(best ? " class=\"best\"" : "") data-trial=\"\(t.number)\"><td class=\"num\">\(t.number)</td><td class=\"num value\">\(html(Fmt.value(t.value)))</td>"
            s += "<td>\(segments(lineage.ownSchedule(of: t.number, through: t.epochs), member: false))</td>"
            s += "<td>\(segments(lineage.effectiveSchedule(of: t.number, through: t.epochs), member: true))</td></tr>"
        }
        s += "</tbody></table></div>"
        s += "<div class=\"table-wrap\"><table class=\"data\" id=\"lineage-table\"><thead><tr><th class=\"num\">trial</th><th class=\"num\">epoch</th>"
        s += "<th class=\"num\">from trial</th><th class=\"num\">its epoch</th><th>changes</th></tr></thead><tbody>"
        for step in data.lineage {
            let changes = Self.describe(lineage.changes(of: step))
            s += "<tr data-trial=\"\(step.member)\"><td class=\"num\">\(step.member)</td><td class=\"num\">\(step.epoch)</td>"
            s += "<td class=\"num\">\(step.source)</td><td class=\"num\">\(step.sourceEpoch)</td><td>\(html(changes))</td></tr>"
        }
        return s + "</tbody></table></div></section>\n"
    }
}
