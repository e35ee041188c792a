import Store
import SweepFile

/// The early give-up: a run whose first trials all fail (a broken program, an environment
/// without it, configurations that cannot run) stops before it spends its budget.
extension CoordinatorCore {
    /// Failed trials of a run with none ending well after which the study stops.
    static let initialFailuresBeforeGivingUp = 5 // W&B's agent: MAX_INITIAL_FAILURES

    /// Whether the study stopped before its budget because every trial of this run failed.
    var hasGivenUp: Bool { givenUp != nil }

    /// Invalid configurations failed in one dispatch at most (each is a trial inserted and
    /// failed in the same transaction).
    static let invalidConfigurationsPerDispatch = 100

    /// A study whose first ``initialFailuresBeforeGivingUp`` trials of this run all failed
    /// before reporting their objective (not by the program's own verdict, such as a diverged
    /// loss), with every connected worker's last trial failed, stops taking new trials, as
    /// W&B's agent stops after failing runs and Optuna at a trial's exception: a broken
    /// program, a typo in `program` or a resume from a shell without the program's
    /// environment failed the whole budget in seconds (37 of 40 trials, and exit 0 for the 3
    /// of an earlier run). A budgeted study keeps the rest of its budget for `sweep resume`;
    /// a search whose early trials diverge goes on.
    func giveUpIfEveryTrialFails(lastError: String, reportedOtherMetrics: Bool = false, now: Double, tx: StoreTransaction) throws {
        // Every connected worker fails (a broken host among good ones is held back instead).
        // (With the budget spent the study ends anyway, and says all its trials failed.)
        guard givenUp == nil, !runProgramRan, hasBudgetLeft, runEarlyFailures.count >= Self.initialFailuresBeforeGivingUp,
              !workers.keys.contains(where: { health.runsFine($0) || !health.hasFailed($0) }) else { return }
        let failed = runEarlyFailures.filter { history.trial($0.key)?.state == .fail }
        guard failed.count >= Self.initialFailuresBeforeGivingUp else { return }
        // All on one remote worker: a broken host that joined before the others (the study
        // does not wait for workers that have not joined) is told apart from a broken program.
        // (Not a local worker of `sweep run`: its host is the coordinator's, and the first of
        // them fails five at once before the others say hello when the program is broken.)
        let ids = Set(failed.values)
        // (A `sweep worker` of this machine is named: only this process's own children are not.)
        let onlyOn = ids.count == 1 ? ids.first.flatMap { id in
            workers[id].flatMap { w in w.localProcess?.isChildOfThisProcess == true ? nil : "worker \(id) on \(w.host)" }
        } : nil
        // A program that runs and reports, but not the objective: the name is wrong in the
        // program or in the sweep file, and a study's objective cannot change.
        try giveUp(failed: failed.count, lastError: lastError, fix: reportedOtherMetrics ? .reportTheObjective : .program,
                   onlyOn: onlyOn, now: now, tx: tx)
    }

    /// What a study that gave up early tells its user to fix.
    enum EarlyFailureFix {
        /// The program (or the environment it runs in) fails.
        case program
        /// The program reports other metrics, not the objective.
        case reportTheObjective
        /// Sampled configurations cannot run (a base model that does not resolve).
        case configuration
    }

    /// Stops the study before its budget: its first `failed` trials of this run all failed.
    /// `onlyOn`: the one worker that failed them all (`worker on host`), when it was one.
    func giveUp(failed: Int, lastError: String, fix kind: EarlyFailureFix, onlyOn: String? = nil, now: Double, tx: StoreTransaction) throws {
        // (With --retry-failed the failed trials' parameters run again too: a grid has no
        // other way back to the points that failed.)
        let rest = budgetTrials >= Budget.maxTrials ? "continues it" : "runs the rest of the budget"
        // (Population Based Training refuses it: its members train side by side.)
        let pbt: Bool = if case .pbt? = definition.scheduler { true } else { false }
        let retry = pbt ? "" : " (with --retry-failed, the failed trials' parameters again too)"
        let fix = switch kind {
        case .reportTheObjective:
            "make the program report '\(definition.objective.metric)', then `\(options.resumeCommand(study.name))` \(rest)\(retry); or, if the sweep file names the wrong metric, fix its objective and start a new study (a study's objective cannot change)"
        case .program:
            "fix the program (or the environment it runs in), then `\(options.resumeCommand(study.name))` \(rest)\(retry)"
        case .configuration:
            "fix what the error names, then `\(options.resumeCommand(study.name))` \(rest)\(retry)"
        }
        // The error's first line in the sentence, its output (a stderr tail) after it: spliced
        // in, the tail ran into the fix ("...df93d): make the program report ...").
        let lines = lastError.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let output = lines.count > 1 ? "\n" + lines[1].prefix(1200) : ""
        let what = kind == .configuration ? "had configurations that cannot run"
            : onlyOn.map { "all failed, all on \($0) (a study does not wait for workers yet to join: if that host is the broken one, fix it or start the others first)" } ?? "all failed"
        let reason = budgetTrials >= Budget.maxTrials
            ? "the first \(failed) trials of this run \(what) (the last: \(lines[0].prefix(300))) and it has no trial budget to end it: \(fix)\(output)"
            : "the first \(failed) trials of this run \(what) (the last: \(lines[0].prefix(300))): \(fix)\(output)"
        givenUp = reason
        try tx.appendEvent(studyID: study.id, kind: .warning, message: "study '\(study.name)' stops: \(reason)", at: now)
    }

    /// Stops taking trials because the study's data changed under it (see
    /// ``DataShelf/dataChange(now:)``): its trials so far trained on the old data. The
    /// budget left waits for `sweep resume` once the data is restored.
    func stopForChangedData(_ change: String, now: Double, tx: StoreTransaction) throws {
        guard givenUp == nil else { return }
        dataChanged = true
        givenUp = "\(change): the study's trials trained on the data it started with; restore it, then `\(options.resumeCommand(study.name))` runs the rest of the budget (for the new data, start a new study)"
        try tx.appendEvent(studyID: study.id, kind: .warning, message: "study '\(study.name)' stops: \(givenUp!)", at: now)
    }
}
