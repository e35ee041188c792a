import Foundation
import Search
import Testing
@testable import Store

/// Studies over their life: models and retrains, the best trial, an interrupted run and its
/// resume, rename and delete.
@Suite struct StoreStudyTests {
    /// A study with trials finished at `values` (nil: FAIL), each with one attempt.
    private func studyWithTrials(_ store: SweepStore, direction: Direction, values: [Double?]) throws -> StudyRecord {
        try store.write { tx in
            let study = try tx.createStudy(try newStudy(direction: direction), at: 1)
            for (i, v) in values.enumerated() {
                let id = try tx.insertTrial(studyID: study.id, number: i, state: .running, params: ["lr": .double(Double(i))], seed: UInt64(i), at: Double(10 * i))
                try tx.startAttempt(trialID: id, attempt: 1, worker: "w", at: Double(10 * i))
                try tx.finishTrial(trialID: id, attempt: 1, state: v == nil ? .fail : .complete, value: v, metrics: nil, at: Double(10 * i + 5))
            }
            return study
        }
    }

    @Test func theBestTrialFollowsTheDirectionAndSkipsFailures() throws {
        let values: [Double?] = [0.3, nil, 0.1, 0.5]
        let minimizing = try SweepStore.inMemory()
        let low = try studyWithTrials(minimizing, direction: .minimize, values: values)
        #expect(try minimizing.read { try $0.best(study: low, top: 4) }.map(\.number) == [2, 0, 3])
        let maximizing = try SweepStore.inMemory()
        let high = try studyWithTrials(maximizing, direction: .maximize, values: values)
        #expect(try maximizing.read { try $0.best(study: high, top: 1) }.map(\.number) == [3])
        let progress = try maximizing.read { try $0.progress(study: high, now: 100) }
        #expect(progress.best?.number == 3)
        #expect(progress.finished == 4 && progress.count(.fail) == 1 && progress.remaining == 6)
        #expect(progress.firstStart == 0 && progress.lastFinish == 35)
    }

    /// A finished study's throughput is over its running time: one interrupted between its
    /// trials (4 trials from 0 to 35 s, but it ran 20 s) did not run in between.
    @Test func aFinishedStudysThroughputLeavesItsInterruptionsOut() throws {
        let store = try SweepStore.inMemory()
        let study = try studyWithTrials(store, direction: .maximize, values: [0.3, 0.1, 0.2, 0.5])
        try store.write { tx in
            try tx.addRunSeconds(study.id, 20)
            try tx.setStudyState(study.id, .finished, at: 40)
        }
        let finished = try store.read { q in try q.progress(study: try q.requireStudy(named: study.name), now: 100) }
        #expect(finished.throughput == 4.0 / 20)
        // Without a recorded running time (an older database), first start to last end.
        let other = try SweepStore.inMemory()
        let plain = try studyWithTrials(other, direction: .maximize, values: [0.3, 0.1])
        try other.write { try $0.setStudyState(plain.id, .finished, at: 40) }
        #expect(try other.read { q in try q.progress(study: try q.requireStudy(named: plain.name), now: 100) }.throughput == 2.0 / 15)
    }

    @Test func modelsAndRetrainsAreKeptReplacedAndForgotten() throws {
        let store = try SweepStore.inMemory()
        let study = try studyWithTrials(store, direction: .maximize, values: [0.7, 0.9])
        try store.write { tx in
            try tx.upsertArtifact(studyID: study.id, ArtifactRecord(trialNumber: 1, path: "s/trial-1.swm", bytes: 100, value: 0.9, createdAt: 20))
            try tx.upsertArtifact(studyID: study.id, ArtifactRecord(trialNumber: 0, path: "s/trial-0.swm", bytes: 90, value: 0.7, createdAt: 10))
            // A second model for a trial replaces the first.
            try tx.upsertArtifact(studyID: study.id, ArtifactRecord(trialNumber: 1, path: "s/trial-1.swm", bytes: 120, value: 0.91, createdAt: 30))
        }
        let models = try store.read { try $0.artifacts(studyID: study.id) }
        #expect(models == [ArtifactRecord(trialNumber: 0, path: "s/trial-0.swm", bytes: 90, value: 0.7, createdAt: 10),
                           ArtifactRecord(trialNumber: 1, path: "s/trial-1.swm", bytes: 120, value: 0.91, createdAt: 30)])
        try store.write { try $0.deleteArtifact(studyID: study.id, trialNumber: 0) }
        #expect(try store.read { try $0.artifacts(studyID: study.id) }.map(\.trialNumber) == [1])

        let retrain = RetrainRecord(trialNumber: 1, epochs: 4, trainSamples: 900, testAccuracy: 0.88, testLoss: nil,
                                    metrics: ["accuracy": 0.88, "loss": 0.31], seconds: 2.5, modelPath: "s/retrain-1.swm", createdAt: 40)
        let first = try store.write { try $0.insertRetrain(studyID: study.id, retrain) }
        let second = try store.write { try $0.insertRetrain(studyID: study.id, RetrainRecord(trialNumber: 0, epochs: 1, trainSamples: 10, testAccuracy: nil,
                                                                                            testLoss: 1, metrics: [:], seconds: 0, modelPath: nil, createdAt: 41)) }
        let stored = try store.read { try $0.retrains(studyID: study.id) }
        #expect(stored.map(\.id) == [first, second])
        var expected = retrain
        expected.id = first
        #expect(stored[0] == expected)
        #expect(stored[1].modelPath == nil && stored[1].testAccuracy == nil && stored[1].metrics.isEmpty)
    }

    @Test func anInterruptedStudyKeepsItsRunningTrialAndOpenAttempt() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        // The first run: started, one trial mid-way, then the process died (nothing more written).
        let id = try store.write { tx in
            try tx.appendEvent(studyID: study.id, kind: .studyStarted, message: "started", at: 100)
            let id = try tx.insertTrial(studyID: study.id, number: 0, state: .running, params: [:], seed: 1, at: 101, leasedTo: "w1")
            try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: 1, value: 0.4, metrics: [:], pruned: false, reason: nil, recordedAt: 125))
            try tx.upsertWorker(studyID: study.id, WorkerRecord(worker: "w1", host: "h", pid: 1, cores: 1, firstSeen: 100, lastSeen: 130))
            try tx.addRunSeconds(study.id, 30)
            return id
        }
        let interrupted = try #require(try store.read { try $0.study(named: "s") })
        #expect(interrupted.state == .running && interrupted.finishedAt == nil && interrupted.runSeconds == 30)
        #expect(try store.read { try $0.trials(studyID: study.id, states: [.running]) }.map(\.worker) == ["w1"])
        let open = try store.read { try $0.attempts(trialID: id) }
        #expect(open.count == 1 && open[0].endedAt == nil && open[0].outcome == nil)
        // The crashed run ends at the last thing it recorded.
        #expect(try store.read { try $0.runSegments(studyID: study.id) } == RunSegments([(100, 130)]))

        // The resume: the lost attempt is closed STALE, the trial re-queued and finished by another worker.
        try store.write { tx in
            try tx.appendEvent(studyID: study.id, kind: .studyResumed, message: "resumed", at: 500)
            try tx.endAttempt(trialID: id, attempt: 1, outcome: .stale, at: 500)
            try tx.setTrialState(trialID: id, .waiting)
            try tx.startAttempt(trialID: id, attempt: 2, worker: "w2", at: 501)
            try tx.finishTrial(trialID: id, attempt: 2, state: .complete, value: 0.6, metrics: nil, at: 520)
            try tx.addRunSeconds(study.id, 20)
            try tx.setStudyState(study.id, .finished, at: 521)
        }
        let done = try #require(try store.read { try $0.study(named: "s") })
        #expect(done.state == .finished && done.finishedAt == 521 && done.runSeconds == 50)
        #expect(try store.read { try $0.attempts(trialID: id) }.map(\.outcome) == [.stale, .complete])
        let segments = try store.read { try $0.runSegments(studyID: study.id) }
        // (The re-run dropped attempt 1's epoch; the worker's last heartbeat still ends the first run.)
        #expect(segments == RunSegments([(100, 130), (500, 520)]))
        #expect(segments.total == 50)
        // The wall time of `compare` and `report`: the first start (101, say) to the last end,
        // the 370 s the study stood interrupted left out.
        #expect(segments.trialSpan(firstStart: 101, lastEnd: 520) == 49)
        #expect(RunSegments([]).trialSpan(firstStart: 101, lastEnd: 520) == 419, "no recorded runs: all of it")
        #expect(segments.trialSpan(firstStart: nil, lastEnd: 520) == nil)
    }

    @Test func forgivenFailuresReturnTheTrialToTheQueue() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let id = try store.write { tx in
            let id = try tx.insertTrial(studyID: study.id, number: 0, state: .running, params: [:], seed: 1, at: 1, leasedTo: "bad")
            try tx.finishTrial(trialID: id, attempt: 1, state: .fail, value: nil, metrics: nil, error: "boom", at: 2)
            return id
        }
        #expect(try store.write { try $0.forgiveFailures(trialID: id, worker: "bad") } == 1)
        #expect(try store.read { try $0.trial(studyID: study.id, number: 0) }?.state == .stale)
        #expect(try store.read { try $0.attempts(trialID: id) }.map(\.outcome) == [.quarantined])
        // Another worker's failures are not forgiven.
        #expect(try store.write { try $0.forgiveFailures(trialID: id, worker: "other") } == 0)
    }

    @Test func renameMovesModelPathsAndDeleteRemovesEverything() throws {
        let store = try SweepStore.inMemory()
        let study = try studyWithTrials(store, direction: .maximize, values: [0.5])
        let other = try store.write { try $0.createStudy(try newStudy("other"), at: 2) }
        try store.write { tx in
            try tx.upsertArtifact(studyID: study.id, ArtifactRecord(trialNumber: 0, path: "s/trial-0.swm", bytes: 1, value: 0.5, createdAt: 3))
            try tx.insertRetrain(studyID: study.id, RetrainRecord(trialNumber: 0, epochs: 1, trainSamples: 1, testAccuracy: nil, testLoss: nil,
                                                                  metrics: [:], seconds: 0, modelPath: "s/retrain.swm", createdAt: 4))
            try tx.appendEvent(studyID: study.id, kind: .warning, message: "w", at: 5)
        }
        #expect(throws: StoreError.studyExists("other")) { try store.write { try $0.renameStudy(study.id, from: "s", to: "other") } }
        try store.write { try $0.renameStudy(study.id, from: "s", to: "renamed") }
        #expect(try store.read { try $0.study(named: "s") } == nil)
        #expect(try store.read { try $0.artifacts(studyID: study.id) }.map(\.path) == ["renamed/trial-0.swm"])
        #expect(try store.read { try $0.retrains(studyID: study.id) }.map(\.modelPath) == ["renamed/retrain.swm"])

        try store.write { try $0.deleteStudy(study.id) }
        #expect(try store.read { try $0.studies() }.map(\.name) == ["other"])
        let leftovers = try store.database.read { db in
            try ["trials", "intermediate_values", "trial_attempts", "events", "artifacts", "retrains"].map {
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0) WHERE \($0 == "intermediate_values" || $0 == "trial_attempts" ? "trial_id IN (SELECT id FROM trials)" : "study_id = ?")",
                                 arguments: $0 == "intermediate_values" || $0 == "trial_attempts" ? [] : [study.id]) ?? -1
            }
        }
        #expect(leftovers == [0, 0, 0, 0, 0, 0])
        #expect(try store.read { try $0.study(named: "other") } == other)
    }

    @Test func budgetAndDefinitionChangesAreStored() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        var changed = try newStudy()
        changed.sweepFile = "study: s\n# edited\n"
        changed.maxAttempts = 5
        changed.budgetTrials = 25
        try store.write { try $0.replaceDefinition(study.id, changed, changedLines: ["+2: # edited"], at: 2) }
        #expect(try store.read { try $0.study(named: "s") }?.definition.budgetTrials == 25)
        try store.write { try $0.setBudget(study.id, trials: 40) }
        let s = try #require(try store.read { try $0.study(named: "s") })
        #expect(s.definition.budgetTrials == 40)
        #expect(s.definition.sweepFile == "study: s\n# edited\n" && s.definition.maxAttempts == 5)
        #expect(s.definition.space == study.definition.space && s.definition.seed == study.definition.seed)
    }

    /// A replaced sweep file is kept as the study's earlier version, each attempt records the
    /// version it ran (a retry after the change runs the new one), the event log names the
    /// change, and deleting the study removes the versions.
    @Test func replacedSweepFilesAreKeptWithTheVersionEachAttemptRan() throws {
        let store = try SweepStore.inMemory()
        let study = try studyWithTrials(store, direction: .maximize, values: [0.5, nil])
        var changed = try newStudy()
        changed.sweepFile = "study: s\nepochs: 3\n"
        try store.write { tx in
            // Trial 2 was leased before the change; trial 1 (failed) is retried after it.
            let id = try tx.insertTrial(studyID: study.id, number: 2, state: .running, params: ["lr": .double(2)], seed: 2, at: 20, leasedTo: "w")
            try tx.replaceDefinition(study.id, changed, changedLines: ["+2: epochs: 3"], at: 30)
            try tx.startAttempt(trialID: try #require(try tx.queries.trial(studyID: study.id, number: 1)).id, attempt: 2, worker: "w", at: 31)
            _ = try tx.insertTrial(studyID: study.id, number: 3, state: .running, params: ["lr": .double(3)], seed: 3, at: 32, leasedTo: "w")
            _ = id
        }
        let (earlier, versions, events) = try store.read { q in
            (try q.earlierSweepFiles(studyID: study.id), try q.attemptFileVersions(studyID: study.id), try q.events(studyID: study.id, kinds: [.sweepFileChanged]))
        }
        #expect(earlier.keys.sorted() == [1] && earlier[1]?.text == "study: s\n" && earlier[1]?.replacedAt == 30)
        #expect(versions == [0: 1, 1: 2, 2: 1, 3: 2], "\(versions)")
        // An attempt recorded before versions were kept (NULL) ran version 1, not the current.
        try store.database.write { db in try db.execute(sql: "UPDATE trial_attempts SET file_version = NULL WHERE attempt = 1 AND trial_id = (SELECT id FROM trials WHERE number = 0)") }
        #expect(try store.read { try $0.attemptFileVersions(studyID: study.id) }[0] == 1)
        #expect(events.count == 1 && events[0].message.contains("version 2") && events[0].detail == "+2: epochs: 3", "\(events)")
        try store.write { try $0.deleteStudy(study.id) }
        #expect(try store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sweep_file_versions") } == 0)
    }
}
