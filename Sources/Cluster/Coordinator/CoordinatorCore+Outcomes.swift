import Store

/// A trial's outcome: a result (complete, or stopped early by its worker) or a failure, and
/// what they mean for retries and the worker's health.
extension CoordinatorCore {
    static let logTailsAwaitedAtMost = 4096

    /// Whether a pruned command trial's output tail is still on its way (a finished study
    /// waits a moment for it: the last trial is often pruned).
    var awaitsLogTails: Bool { prunedAwaitingLog.values.contains { workers[$0.worker] != nil } } // only from workers still there

    func handleResult(_ r: WorkerMessage.Result, from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        try catchUp(worker, to: r.trial, now: now, tx: tx)
        if let awaited = prunedAwaitingLog[r.trial], awaited.attempt == r.attempt, awaited.worker == worker {
            // Pruned by us at a report: only the output tail is left to keep.
            prunedAwaitingLog[r.trial] = nil
            if let tail = r.log { try tx.setAttemptLogTail(trialID: trials[r.trial].rowID, attempt: r.attempt, tail) }
        }
        guard trials.lease(r.trial, attempt: r.attempt, worker: worker) != nil else {
            // Already pruned by us, or no longer this worker's: nothing more to record. (A stale
            // attempt number must not detach the worker from a lease it still holds.)
            if workers[worker]?.trial == r.trial, !holdsLease(r.trial, worker) { workers[worker]?.trial = nil }
            return
        }
        let rowID = trials[r.trial].rowID
        if let started = trials[r.trial].lease?.startedAt { workers[worker]?.timeOutcome(now: now, started: started) }
        if let tail = r.log { try tx.setAttemptLogTail(trialID: rowID, attempt: r.attempt, tail) }
        var reported = r.value ?? r.metrics[metric]
        var metrics = r.metrics
        if reported == nil, r.state == .complete, let carried = try carriedResult(trial: r.trial, rowID: rowID, epochs: r.epochs, tx: tx) {
            // A resumed attempt that had nothing left to train reported nothing: the value
            // and final metrics are those of the trial's earlier epochs.
            reported = carried.value
            metrics = carried.metrics.merging(metrics) { $1 }
        }
        let value = bestOfWholeCurve(reported, trial: r.trial, epochs: r.epochs)
        // An infinite result is a result (the worst or the best there is); NaN or none is not.
        guard let value, !value.isNaN else {
            try fail(trial: r.trial, attempt: r.attempt, worker: worker, error: "the trial finished without a value of '\(metric)' (none, or NaN)", now: now, tx: tx)
            return
        }
        // A `summary: best` trial's objective among its final metrics is the value it is
        // ranked by (as W&B's summary of a metric defined with summary="min"), not the last
        // epoch's: exports showed the best in `value` and the last epoch's in its column.
        if metrics[metric] != nil, summarizedByBest(r.trial) { metrics[metric] = value }
        health.succeeded(worker)
        if let verdict = health.verdict(trial: r.trial, on: worker, reached: .max) {
            try apply(verdict, trial: r.trial, ranOn: worker, now: now, tx: tx, out: &out)
        }
        // (It ran and ended with a value, whoever stopped it: failures now do not stop the study.)
        runProgramRan = true
        if r.state == .pruned {
            // The worker stopped on its own before the end (we did not prune it).
            let reason = "stopped early by its worker after \(r.epochs) epoch(s)"
            history.finish(r.trial, state: .pruned, value: value)
            checkpoints.drop(trial: r.trial)
            try tx.finishTrial(trialID: rowID, attempt: r.attempt, state: .pruned, value: value,
                               metrics: metrics.isEmpty ? nil : metrics, pruneReason: reason, start: attemptStart(r.trial, now: now), at: now)
            endLease(r.trial, worker: worker, completed: true)
            noteTarget(trial: r.trial, value: value)
            return
        }
        history.finish(r.trial, state: .complete, value: value)
        checkpoints.drop(trial: r.trial)
        try tx.finishTrial(trialID: rowID, attempt: r.attempt, state: .complete, value: value,
                           metrics: metrics.isEmpty ? nil : metrics, start: attemptStart(r.trial, now: now), at: now)
        if let model = r.model {
            do {
                try models.keepModel(model, trial: r.trial, value: value, study: study, history: history, now: now, tx: tx)
            } catch let error as ArtifactError {
                // A full disk must not stop the sweep: the trial's result stands without its model.
                counters.modelsNotKept += 1
                try tx.appendEvent(studyID: study.id, kind: .warning, trialNumber: r.trial, worker: worker, message: "model of trial \(r.trial) not kept: \(error)", at: now)
            }
        }
        // No event: the trial row and its attempt record the completion (one write less per trial).
        endLease(r.trial, worker: worker, completed: true)
        noteTarget(trial: r.trial, value: value)
    }

    /// The first trial whose value reaches the objective's target stops the study taking
    /// new trials (W&B's `metric.target`; the running ones end as they do).
    func noteTarget(trial: Int, value: Double) {
        let objective = definition.objective
        guard targetReached == nil, let target = objective.target, objective.reachesTarget(value) else { return }
        targetReached = "trial \(trial) reached the target: \(objective.metric) \(value) \(objective.direction == .minimize ? "<=" : ">=") \(target)"
    }

    /// The last objective value a trial's stored curve holds up to `epochs`, with the metrics
    /// of its last epoch: the result of an attempt that resumed with nothing left to train.
    /// Nil when the curve has no objective value, or its last one is NaN (the result then
    /// fails, as any without a value).
    func carriedResult(trial: Int, rowID: Int64, epochs: Int, tx: StoreTransaction) throws -> (value: Double, metrics: [String: Double])? {
        guard epochs >= 1, history.trial(trial)?.intermediate.isEmpty == false else { return nil }
        let curve = try tx.queries.intermediates(trialID: rowID).filter { $0.step <= epochs }
        guard let value = curve.last(where: { $0.value != nil })?.value, !value.isNaN else { return nil }
        return (value, curve.last?.metrics ?? [:])
    }

    /// A command trial summarized by its best epoch (`summary: best`) is valued over its whole
    /// curve: an attempt resumed from a checkpoint only saw its own epochs, so the same run
    /// was valued differently when the coordinator had restarted.
    func bestOfWholeCurve(_ value: Double?, trial: Int, epochs: Int) -> Double? {
        guard let value, !value.isNaN, summarizedByBest(trial),
              let earlier = history.trial(trial)?.intermediate.filter({ $0.key <= epochs && !$0.value.isNaN }).values else { return value }
        return study.direction == .minimize ? min(value, earlier.min() ?? value) : max(value, earlier.max() ?? value)
    }

    /// Whether the trial is a command trial with `summary: best`. `summary` is a setting of the
    /// file, not a search range, so the study's first answer holds for every trial: the
    /// trial document is built once, not for every result in the poll loop.
    func summarizedByBest(_ trial: Int) -> Bool {
        if let known = summaryIsBest { return known }
        guard definition.task == .command else { summaryIsBest = false; return false }
        guard let params = history.trial(trial)?.params,
              case .command(let task)? = try? definition.spec(for: params, trialSeed: 0) else { return false }
        summaryIsBest = task.summary == .best
        return task.summary == .best
    }

    func handleFailure(_ f: WorkerMessage.Failure, from worker: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        try catchUp(worker, to: f.trial, now: now, tx: tx)
        guard trials.lease(f.trial, attempt: f.attempt, worker: worker) != nil else {
            if workers[worker]?.trial == f.trial, !holdsLease(f.trial, worker) { workers[worker]?.trial = nil }
            return
        }
        // How far it got here (a resumed attempt starts past its checkpoint's epoch), for a
        // worker held back if it fails on another one (see WorkerHealth).
        let reached = max(trials[f.trial].lease?.epoch ?? 0, history.trial(f.trial)?.lastStep ?? 0)
        // (Reports without the objective do not count: a metric named otherwise in the
        // program failed all 30 trials of a budget, each with "never reported the objective".)
        let reportedThisAttempt = trials[f.trial].lease?.objectiveReported ?? false
        trials.update(f.trial) { $0.failures += 1 }
        if let tail = f.log { try tx.setAttemptLogTail(trialID: trials[f.trial].rowID, attempt: f.attempt, tail) }
        // A retry continues from the trial's last checkpoint, as Ray Tune restores a failed
        // trial: a program the OOM killer ended after 5 epochs started over from epoch 1.
        // Unless attempts failed twice in a row before they reported: the checkpoint they
        // resumed from may be what fails, and the next retry leaves it out. (Once is no
        // evidence: a broken host fails before its first report too.) A checkpoint the trial
        // paused, was promoted or exploited at (PBT's boundary, a rung's end) is kept either
        // way: its curve and lineage up to it are recorded.
        let atPause = checkpoints.entries[f.trial].map { pausing?.pauseReason(epoch: $0.epoch, maxEpochs: maxEpochs) != nil } ?? false
        if reportedThisAttempt || checkpoints.entries[f.trial] == nil {
            failedBeforeReporting[f.trial] = nil
        } else if !atPause {
            failedBeforeReporting[f.trial, default: 0] += 1
            if failedBeforeReporting[f.trial]! >= 2 {
                checkpoints.drop(trial: f.trial)
                failedBeforeReporting[f.trial] = nil
            }
        }
        if retriesAfterError(f.trial) {
            try tx.endAttempt(trialID: trials[f.trial].rowID, attempt: f.attempt, outcome: .fail, error: f.error, start: attemptStart(f.trial, now: now), at: now)
            try requeue(f.trial, as: .stale, message: "trial \(f.trial) failed on attempt \(f.attempt) and is re-queued: \(f.error)", worker: worker, now: now, tx: tx)
            endLease(f.trial, worker: worker, completed: false)
        } else {
            try fail(trial: f.trial, attempt: f.attempt, worker: worker, error: f.error, now: now, tx: tx)
            if !reportedThisAttempt && !f.trialFault { runEarlyFailures[f.trial] = worker }
        }
        if reportedThisAttempt { runProgramRan = true }
        // Another worker held back for this trial: it failed here too, so the trials are at fault.
        if let verdict = health.verdict(trial: f.trial, on: worker, failed: true) {
            try apply(verdict, trial: f.trial, ranOn: worker, now: now, tx: tx, out: &out)
        }
        // A program that failed by itself says nothing about the worker that ran it, nor one
        // that ran there for an epoch or more: a broken host (a missing package, no GPU, a bad
        // data copy) fails before the first report.
        if reached > 0 || siblingRunsFine(worker) {
            health.failedMidRun(worker)
        } else if !f.trialFault, let streak = health.failed(worker, trial: f.trial, epoch: reached, error: f.error, connected: workers.compactMap { $0.value.exitedAt == nil ? $0.key : nil }) {
            try holdBack(worker, streak: streak, now: now, tx: tx, out: &out)
        }
        try giveUpIfEveryTrialFails(lastError: f.error, reportedOtherMetrics: f.objectiveMissing, now: now, tx: tx)
    }

    /// Whether a trial that raised an error runs again (`retry.retry_errors` and attempts left).
    func retriesAfterError(_ trial: Int) -> Bool {
        definition.retry.retryErrors && trials[trial].spentAttempts < maxAttempts
    }

    func fail(trial: Int, attempt: Int, worker: String?, error: String, now: Double, tx: StoreTransaction) throws {
        history.finish(trial, state: .fail, value: nil)
        checkpoints.drop(trial: trial)
        try tx.finishTrial(trialID: trials[trial].rowID, attempt: attempt, state: .fail, value: nil, metrics: nil, error: error, start: attemptStart(trial, now: now), at: now)
        try tx.appendEvent(studyID: study.id, kind: .failed, trialNumber: trial, worker: worker, message: "trial \(trial) failed: \(error)", at: now)
        if let worker {
            endLease(trial, worker: worker, completed: true)
        } else {
            trials.update(trial) {
                $0.lease = nil
                $0.decisions = [:]
            }
            checkpoints.abandonUpload(trial)
        }
    }
}
