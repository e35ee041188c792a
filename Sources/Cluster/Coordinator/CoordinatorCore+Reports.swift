import Foundation
import Search
import Store

/// Per-epoch reports: the pruners' and schedulers' decisions, checkpoints kept, pauses.
extension CoordinatorCore {
    /// The answer already given to this report, if it is a repeat: from memory while the
    /// attempt runs, from the store once it ended (pruned, finished, or before a restart).
    func earlierAnswer(_ r: WorkerMessage.Report, tx: StoreTransaction) throws -> PruneDecision? {
        guard trials.contains(r.trial) else { return nil }
        let entry = trials[r.trial]
        guard entry.attempt == r.attempt else { return nil }
        if let earlier = entry.decisions[r.epoch] { return earlier }
        guard entry.lease == nil, entry.orphanDeadline == nil,
              let recorded = try tx.queries.intermediate(trialID: entry.rowID, step: r.epoch, attempt: r.attempt) else { return nil }
        return PruneDecision(prune: recorded.pruned, reason: recorded.reason ?? "answered before")
    }

    func handleReport(_ r: WorkerMessage.Report, from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        let ref = TrialRef(trial: r.trial, attempt: r.attempt)
        if let earlier = try earlierAnswer(r, tx: tx) {
            // A repeated report (e.g. re-sent after a reconnect): same answer, nothing recorded.
            counters.duplicateReports += 1
            out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: earlier.action, reason: earlier.reason)), to: worker)
            return
        }
        guard trials.lease(r.trial, attempt: r.attempt, worker: worker) != nil else {
            counters.staleReports += 1
            out.send(.cancel(ref, reason: "no lease for \(ref) on this worker"), to: worker)
            return
        }
        // (Before the lease is read: catching up starts it, and a copy read earlier and
        // written back below undid that, so a trial that ran was recorded as never started.)
        try catchUp(worker, to: r.trial, now: now, tx: tx)
        guard var lease = trials[r.trial].lease else { return }
        guard r.epoch <= maxEpochs else {
            counters.malformed += 1
            out.send(.error("epoch \(r.epoch) of \(ref) is beyond its \(maxEpochs) epoch(s); report ignored"), to: worker)
            return
        }
        if lease.resumedFrom > 0, r.epoch <= lease.resumedFrom {
            // A resumed attempt reporting an epoch its checkpoint covered started over: its
            // worker could not use the checkpoint (damaged where it is kept, or not restorable
            // there). Dropped, so that a later attempt does not fetch it again, and said (only
            // the worker's log said so).
            try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: r.trial, worker: worker,
                               message: "trial \(r.trial) (attempt \(r.attempt)) started over from epoch 1: its worker could not use the checkpoint of epoch \(lease.resumedFrom) it was given (see its log)", at: now)
            checkpoints.drop(trial: r.trial)
            lease.resumedFrom = 0
        }
        let value = r.value ?? r.metrics[metric]
        // A report of other metrics without the objective (a program that validates every few
        // epochs) is no step for the pruners, as Optuna's see only the steps reported to them;
        // it was NaN, and every such trial was pruned. A report with nothing finite is NaN to
        // the pruners, which ignore other trials' NaN (as Optuna does); infinities are values.
        let withoutObjective = value == nil && !r.metrics.isEmpty
        if !withoutObjective { history.report(r.trial, step: r.epoch, value: value ?? .nan) }
        let decision: PruneDecision
        let pause = wallTimeSpent(now: now) ? nil : pausing?.pauseReason(epoch: r.epoch, maxEpochs: maxEpochs)
        if wallTimeSpent(now: now) {
            // A trial at its last epoch has done its work: it completes (pruned there, a study
            // whose trials all ran to the end could finish without a complete one). Its own
            // last epoch: a 9-epoch trial under `max_epochs: 27` ends at 9. (Read from the
            // store only once the budget is spent.)
            let params = try tx.queries.trial(studyID: study.id, number: r.trial)?.params ?? [:]
            decision = r.epoch >= definition.lastEpoch(params: params)
                ? .keep("the wall-time budget is spent, but this was its last epoch")
                : PruneDecision(prune: true, reason: "the wall-time budget of \(String(format: "%g", study.definition.wallTime ?? 0)) s is spent")
        } else if let pause {
            decision = .keep(pause)
        } else if withoutObjective {
            decision = .keep("no \(metric) reported at epoch \(r.epoch)")
        } else if case .promotions? = pausing {
            // ASHA with promotions never stops a trial: it pauses at the ends of rungs (above)
            // and a promoted trial runs on to its next rung, or to the end, whatever its value.
            decision = .keep("promoted by ASHA: it runs to its next rung")
        } else {
            decision = pruner.decide(trial: r.trial, step: r.epoch, history: history)
        }
        lease.epoch = r.epoch
        if !withoutObjective {
            lease.objectiveReported = true
            runProgramRan = true
        }
        trials.update(r.trial) {
            $0.decisions[r.epoch] = decision
            $0.lease = lease
        }
        let rowID = trials[r.trial].rowID
        try tx.recordReport(trialID: rowID, IntermediateRecord(step: r.epoch, attempt: r.attempt, value: value, metrics: r.metrics,
                                                               pruned: decision.prune, reason: decision.prune ? decision.reason : nil, recordedAt: now))
        touch(worker)
        if let verdict = health.verdict(trial: r.trial, on: worker, reached: r.epoch) {
            try apply(verdict, trial: r.trial, ranOn: worker, now: now, tx: tx, out: &out)
        }
        // Why the coordinator did not keep this report's checkpoint (the pause warning names it).
        var notKept: String?
        if let checkpoint = r.checkpoint, !decision.prune {
            notKept = keepCheckpoint(checkpoint, trial: r.trial, epoch: r.epoch)
        }
        if let total = r.checkpointParts, !decision.prune {
            if let why = checkpoints.completeUpload(trial: r.trial, attempt: r.attempt, epoch: r.epoch, total: total) {
                notKept = why
                checkpointWarnings.append((r.trial, "checkpoint of trial \(r.trial) after epoch \(r.epoch) (\(total) bytes, sent in parts) not kept: \(why)"))
            }
        } else {
            // The worker gave its upload up (or the trial was pruned): its parts go.
            checkpoints.abandonUpload(r.trial, upTo: r.epoch)
        }
        // A trial pauses only with a kept checkpoint of this epoch to continue from.
        if let pause, checkpoints.entries[r.trial]?.epoch == r.epoch {
            try self.pause(r.trial, attempt: r.attempt, epoch: r.epoch, value: value, metrics: r.metrics, reason: pause, worker: worker, now: now, tx: tx)
            out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: .pause, reason: pause)), to: worker)
            return
        }
        if pause != nil, unpausedTrials.insert(r.trial).inserted {
            // Said once per trial: a program that saves nothing makes PBT a plain random search.
            counters.pausesWithoutCheckpoint += 1
            let hint = !checkpoints.enabled
                ? " (this coordinator keeps no checkpoints: \(checkpoints.capBytes == 0 ? "--checkpoint-limit 0" : "it has no folder for them beside the database"))"
                : notKept.map { " (the coordinator did not keep it: \($0))" } ?? r.checkpointSkipped.map { " (\($0); docs/commands.md, \"Checkpoints\")" } ?? (definition.task == .command
                ? " (its program saves nothing in SWEEP_CHECKPOINT_DIR before reporting, or the checkpoint was over 1 GiB, unreadable, or skipped to keep to 16 MiB/s; docs/commands.md, \"Checkpoints\")" : "")
            try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: r.trial, worker: worker,
                               message: "trial \(r.trial) reached epoch \(r.epoch), where it would pause, without a checkpoint of that epoch: it goes on without pausing\(hint)", at: now)
        }
        if decision.prune {
            history.finish(r.trial, state: .pruned, value: value)
            checkpoints.drop(trial: r.trial)
            try tx.finishTrial(trialID: rowID, attempt: r.attempt, state: .pruned, value: value, metrics: r.metrics,
                               pruneReason: decision.reason, start: attemptStart(r.trial, now: now), at: now)
            var detail = "{\"step\":\(r.epoch)"
            if let rung = decision.rung { detail += ",\"rung\":\(rung)" }
            if let cutoff = decision.cutoff, cutoff.isFinite { detail += ",\"cutoff\":\(cutoff)" }
            detail += "}"
            try tx.appendEvent(studyID: study.id, kind: .pruned, trialNumber: r.trial, worker: worker,
                               message: "trial \(r.trial) pruned at epoch \(r.epoch): \(decision.reason)", detail: detail, at: now)
            if definition.task == .command {
                if prunedAwaitingLog.count >= Self.logTailsAwaitedAtMost { prunedAwaitingLog.removeAll() } // results that never came
                prunedAwaitingLog[r.trial] = (r.attempt, worker)
            }
            health.succeeded(worker)
            endLease(r.trial, worker: worker, completed: true)
        }
        out.send(.decision(.init(trial: r.trial, attempt: r.attempt, epoch: r.epoch, action: decision.action, reason: decision.reason)), to: worker)
    }
}
