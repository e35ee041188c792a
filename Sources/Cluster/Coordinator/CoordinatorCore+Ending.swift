import Store

/// Ending a run: the study finished, interrupted, or every lease handed back.
extension CoordinatorCore {
    func finish(reason: String, now: Double, tx: StoreTransaction, out: inout Outbox) throws {
        finished = true
        // (Paused trials keep their checkpoints: `sweep resume --add-trials` may promote them.)
        finishReason = reason
        // Warnings since the last tick (a checkpoint the last trials' pauses could not keep):
        // recorded before the end, or lost with the process.
        try recordCheckpointWarnings(now: now, tx: tx)
        try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
        lastRunSecondsFlush = now
        // A study that gave up with budget left is not finished: it waits for `sweep resume`
        // once its program is fixed, and reads as interrupted (it read FINISHED, as one whose
        // budget was spent).
        if givenUp == nil || !hasBudgetLeft {
            try tx.setStudyState(study.id, .finished, at: now)
            study.state = .finished
            let best = history.best.map { "; best trial \($0.number) with \(metric) = \($0.value.map { "\($0)" } ?? "?")" } ?? ""
            try tx.appendEvent(studyID: study.id, kind: .studyFinished, message: "study finished: \(reason)\(best)", at: now)
        }
        try flushWorkers(tx: tx)
        for id in workers.keys.sorted() {
            out.send(.stop(reason: reason), to: id)
        }
        // Every worker of the study is gone now, connected or not.
        try tx.markWorkersGone(studyID: study.id, as: .left)
    }

    /// Stops handing out work (Ctrl-C): running trials stay RUNNING for a later resume;
    /// workers are no longer tracked (a resumed coordinator re-adopts them).
    func interrupt(now: Double, tx: StoreTransaction) throws {
        try recordCheckpointWarnings(now: now, tx: tx)
        try flushWorkers(tx: tx)
        try tx.addRunSeconds(study.id, now - lastRunSecondsFlush)
        lastRunSecondsFlush = now
        try tx.markWorkersGone(studyID: study.id, as: .left)
    }

    /// A second Ctrl-C: every trial still held (leased, or waiting for its worker after a
    /// restart) is recorded as handed back and re-queued, so a resume starts it at once.
    func handBackAll(reason: String, now: Double, tx: StoreTransaction) throws {
        for t in trials.leased.sorted() {
            if let worker = trials[t].lease?.worker { try releaseLease(t, worker: worker, reason: reason, now: now, tx: tx) }
        }
        for t in trials.orphans.sorted() {
            trials.update(t) { $0.orphanDeadline = nil }
            try crashed(trial: t, attempt: trials[t].attempt, worker: nil, reason: reason, outcome: .returned,
                        endedAt: orphanAttempts.removeValue(forKey: t)?.lastSeen, now: now, tx: tx)
        }
    }
}
