import SweepSupport
import Foundation
import Search
import Store
import SweepFile

/// The lines of `sweep status` and of the live display of `sweep run`, from the database.
enum StatusView {
    /// What a first Ctrl-C does while it waits (a second one hands the trials back at once).
    static func stoppingNote(running: Int) -> String {
        running == 0 ? "stopping: no trial is running"
            : "stopping: \(running) running trial(s) finish their epoch (programs get SIGTERM, then their kill_grace) and are handed back; Ctrl-C again records them as handed back at once"
    }

    static func lines(_ snapshot: StatusSnapshot) -> [String] {
        let p = snapshot.progress
        let s = p.study
        let budget = s.definition.budgetTrials
        var out: [String] = []
        // A sweep without a budget (W&B without run_cap) runs until stopped: no bar toward a million.
        let progress = if let pop = p.population {
            // Members end together at the last epoch: "0/8 trials" until then said nothing.
            "\(progressBar(Double(pop.epochsDone) / Double(max(1, pop.epochsTotal)))) \(pop.epochsDone)/\(pop.epochsTotal) epochs of \(pop.members) members"
        } else if TrialBudget.isUnbounded(budget) {
            "\(p.finished) trials (no budget)"
        } else {
            "\(progressBar(Double(p.finished) / Double(max(1, budget)))) \(p.finished)/\(budget) trials"
        }
        out.append("\(s.name) \(progress)  [\(snapshot.stopping && snapshot.phase == .running ? "STOPPING" : snapshot.phase.rawValue)]")
        // Trials left RUNNING by an interrupted run are not running: they continue on resume.
        let running = snapshot.phase == .interrupted ? "interrupted \(p.count(.running))" : "running \(p.count(.running))"
        out.append("  done \(p.count(.complete))  pruned \(p.count(.pruned))  \(running)  failed \(p.count(.fail))  stale \(p.count(.stale))  waiting \(p.count(.waiting))")
        let elapsed = snapshot.elapsed.map { "  elapsed " + Fmt.seconds($0) } ?? ""
        let throughput = p.population == nil ? p.throughput.map { Fmt.rate($0, of: "trials") } : p.epochRate.map { Fmt.rate($0, of: "epochs") }
        var rate = elapsed + "  throughput " + (throughput ?? "-")
        switch snapshot.phase {
        // (No ETA without workers: nothing runs at that rate; "no workers connected" follows.)
        case .running: if let eta = p.eta, !p.workers.isEmpty { rate += "  ETA \(Fmt.seconds(eta))" }
        case .interrupted: rate += "  interrupted: continue with `\(ShellCommand.resume(s.name, database: snapshot.databasePath.isEmpty ? nil : snapshot.databasePath))`"
        case .finished: break
        }
        out.append(rate)
        // A trial's parameters in the order of the search space, `name=value`.
        func shown(_ params: Params) -> String {
            s.definition.space.parameters.compactMap { q in params[q.name].map { "\(q.name)=\(TrialListing.display($0))" } }.joined(separator: " ")
        }
        if let b = p.best {
            out.append("  best: trial \(b.number)  \(s.definition.metric) \(Fmt.value(b.value))  \(shown(b.params))")
        } else if let leader = p.population?.leader {
            // No member has ended yet: the one ahead now, at its latest epoch.
            out.append("  leading: trial \(leader.trial.number)  \(s.definition.metric) \(Fmt.value(leader.value)) at epoch \(leader.epoch)  \(shown(leader.trial.params))")
        } else {
            out.append("  best: -")
        }
        if snapshot.stopping && snapshot.phase == .running {
            out.append("  " + StatusView.stoppingNote(running: p.count(.running)))
        }
        if !p.workers.isEmpty && snapshot.phase == .running {
            let byHost = Dictionary(grouping: p.workers, by: \.host)
            for host in byHost.keys.sorted() {
                let ws = byHost[host]!
                let busy = ws.filter { $0.trialNumber != nil }.map { w in "trial \(w.trialNumber!) ep \(w.epoch ?? 0)" }
                out.append("  \(host): \(ws.count) worker(s)" + (busy.isEmpty ? ", idle" : ": " + busy.joined(separator: ", ")))
            }
        } else if snapshot.phase == .running {
            out.append("  no workers connected")
        }
        if snapshot.phase == .running, !snapshot.stopping, let join = snapshot.joinEndpoint {
            out.append("  more workers: sweep worker --connect \(ShellCommand.quoted(join))")
        }
        for w in p.quarantined {
            // Its first line: the output after it (a stderr tail) showed as literal \n's.
            let error = (w.lastError ?? "").prefix { !$0.isNewline }
            out.append("  QUARANTINED \(w.worker) on \(w.host): \(error.prefix(100))\(error.count > 100 ? "..." : "")")
        }
        // Each line one line, control characters shown escaped as in tables: a text choice
        // holding a line break split the block (the live display then moved up one row too
        // few and crept down the screen) and an escape sequence reached the terminal.
        return out.map(TextTable.oneLine)
    }
}
