import Search
import Store

/// The lineage section of `sweep show` for a Population Based Training member: the epochs
/// it trained with which parameters, its exploit/explore steps, and the schedule its final
/// weights went through.
enum LineageText {
    static func lines(member: TrialRecord, steps: [LineageStep], params: [Int: Params], names: [String]) -> [String] {
        let lineage = PopulationLineage(steps: steps, currentParams: params)
        let own = lineage.steps(of: member.number)
        guard !steps.isEmpty else { return [] }
        var out: [String] = []
        func describe(_ p: Params) -> String {
            names.compactMap { n in p[n].map { "\(n)=\(Fmt.param($0))" } }.joined(separator: "  ")
        }
        let epochs = max(member.epochs, 0)
        out.append("schedule (epochs this member trained):")
        for s in lineage.ownSchedule(of: member.number, through: epochs) {
            out.append("  epochs \(s.firstEpoch)-\(s.lastEpoch)  \(describe(s.params))")
        }
        if !own.isEmpty {
            out.append("lineage (exploit/explore steps):")
            for s in own {
                // A change applies to the source's value; the member's own comes after "before".
                let changes = lineage.changes(of: s).map { c in
                    "\(c.name) \(c.copied.map(Fmt.param) ?? "unset") -> \(c.value.map(Fmt.param) ?? "unset") (\(c.change); "
                        + "before: \(c.before.map(Fmt.param) ?? "unset"))"
                }.joined(separator: ", ")
                out.append("  epoch \(s.epoch): continued from trial \(s.source)'s checkpoint of epoch \(s.sourceEpoch); \(changes)")
            }
        }
        out.append("effective schedule (the lineage of its final weights):")
        for s in lineage.effectiveSchedule(of: member.number, through: epochs) {
            out.append("  epochs \(s.firstEpoch)-\(s.lastEpoch)  trial \(s.member)  \(describe(s.params))")
        }
        return out
    }
}
