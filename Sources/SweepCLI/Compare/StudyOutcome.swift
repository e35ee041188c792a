import Foundation
import Search
import Store
import SweepReport

/// What `sweep compare` needs to know about one study.
struct StudyOutcome {
    var study: StudyRecord
    var databasePath: String
    /// Running, interrupted or finished, as `sweep status` says (the record says RUNNING
    /// until the study finishes, whether or not a coordinator runs it).
    var phase: StudyPhase
    var counts: [TrialState: Int]
    var best: TrialRecord?
    var medianDuration: Double?
    /// From the first trial's start to the last trial's end, the time between runs (an
    /// interrupted study waiting for its resume) left out.
    var wallTime: Double?
    var firstStart: Double?
    /// Finished trials (COMPLETE, PRUNED, FAIL) in the order they finished.
    var finishOrder: [TrialRecord]
    /// When a coordinator ran the study: time while it was interrupted does not count.
    var runs: RunSegments

    static func load(_ reader: StoreReader, study name: String, databasePath: String) throws -> StudyOutcome {
        try reader.read { q in
            let s = try q.requireStudy(named: name)
            let trials = try q.trials(studyID: s.id)
            let finished = trials.filter { $0.state.isFinished }
                .sorted { ($0.finishedAt ?? .infinity, $0.number) < ($1.finishedAt ?? .infinity, $1.number) }
            let first = trials.compactMap(\.startedAt).min()
            let last = trials.compactMap(\.finishedAt).max()
            let runs = try q.runSegments(studyID: s.id)
            return StudyOutcome(study: s, databasePath: databasePath, phase: StudyPhase.of(s, databasePath: databasePath), counts: try q.stateCounts(studyID: s.id),
                                best: try q.best(study: s, top: 1).first, medianDuration: median(finished.compactMap(\.duration)),
                                wallTime: runs.trialSpan(firstStart: first, lastEnd: last),
                                firstStart: first, finishOrder: finished, runs: runs)
        }
    }

    var direction: Direction { study.direction }
    func count(_ s: TrialState) -> Int { counts[s] ?? 0 }
    var total: Int { counts.values.reduce(0, +) }

    /// When the study first had a COMPLETE trial at least as good as `target`: how many
    /// trials had finished by then (that one included) and the running seconds since its
    /// first start (interruptions left out, so a resumed study is not penalized).
    func reach(_ target: Double) -> (trials: Int, seconds: Double?, trial: Int)? {
        for (i, t) in finishOrder.enumerated() where t.state == .complete {
            guard let v = t.value, v.isFinite else { continue }
            if v == target || direction.isBetter(v, than: target) {
                // (A study without start events, written by other means: its whole span counts.)
                let seconds = runs.trialSpan(firstStart: firstStart, lastEnd: t.finishedAt)
                return (i + 1, seconds, t.number)
            }
        }
        return nil
    }

    /// The best COMPLETE value among the first `n` finished trials.
    func bestAfter(_ n: Int) -> Double? {
        finishOrder.prefix(n).filter { $0.state == .complete }.compactMap(\.value).filter(\.isFinite)
            .reduce(nil) { b, v in b.map { direction.isBetter(v, than: $0) ? v : $0 } ?? v }
    }
}
