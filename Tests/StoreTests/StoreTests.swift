import Foundation
import Search
import SweepTestSupport
import Testing
@testable import Store

func sampleSpace() throws -> SearchSpace {
    try SearchSpace([
        Parameter(name: "lr", distribution: .logUniform(low: 1e-4, high: 1e-1)),
        Parameter(name: "units", distribution: .int(low: 16, high: 256, step: 16)),
        Parameter(name: "optimizer", distribution: .categorical([.string("sgd"), .string("adam")])),
        Parameter(name: "momentum", distribution: .uniform(low: 0.8, high: 0.99, step: nil),
                  condition: Condition(parent: "optimizer", values: [.string("sgd")])),
    ])
}

func newStudy(_ name: String = "s", direction: Direction = .maximize) throws -> NewStudy {
    NewStudy(name: name, direction: direction, metric: "val_accuracy", sweepFile: "study: \(name)\n", space: try sampleSpace(),
             seed: UInt64.max - 3, budgetTrials: 10, maxEpochs: 5, wallTime: 3600, maxAttempts: 3)
}

/// A scratch folder (removed by the test's `defer { scratch.cleanUp() }`) with `db` in it.
func scratchFolder(_ name: String) throws -> SweepHarness { try SweepHarness(name, prefix: "sweep-store-tests") }

@Suite struct StoreRoundTripTests {
    @Test func studyRoundTripsEveryField() throws {
        let store = try SweepStore.inMemory()
        let created = try store.write { try $0.createStudy(try newStudy(), at: 100) }
        let loaded = try #require(try store.read { try $0.study(named: "s") })
        #expect(loaded == created)
        #expect(loaded.definition.seed == UInt64.max - 3)
        #expect(loaded.definition.space == (try sampleSpace()))
    }

    @Test func duplicateStudyNameIsRejectedWithAHint() throws {
        let store = try SweepStore.inMemory()
        _ = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        #expect(throws: StoreError.studyExists("s")) {
            _ = try store.write { try $0.createStudy(try newStudy(), at: 2) }
        }
        // The failed transaction left nothing behind.
        #expect(try store.read { try $0.studies().count } == 1)
    }

    @Test func paramsKeepIntsFloatsStringsBoolsListsAndNull() throws {
        let store = try SweepStore.inMemory()
        let params: Params = ["lr": .double(1.0), "units": .int(32), "optimizer": .string("a \"quoted\" name"), "bn": .bool(true), "tiny": .double(1e-5),
                              "max_depth": .null, "layers": .list([.int(64), .null, .string("null")])]
        let study = try store.write { tx in try tx.createStudy(try newStudy(), at: 1) }
        try store.write { tx in _ = try tx.insertTrial(studyID: study.id, number: 0, state: .waiting, params: params, seed: 7, at: 1) }
        let t = try #require(try store.read { try $0.trial(studyID: study.id, number: 0) })
        #expect(t.params == params)
        #expect(t.state == .waiting)
        // Text with a NUL byte (a program's stderr) is kept whole, the NUL shown as ␀.
        try store.write { tx in
            try tx.startAttempt(trialID: t.id, attempt: 1, worker: "w", at: 2)
            try tx.finishTrial(trialID: t.id, attempt: 1, state: .fail, value: nil, metrics: nil, error: "exit 3\nerr\u{0}tail", at: 3)
            try tx.setAttemptLogTail(trialID: t.id, attempt: 1, "out\u{0}put")
        }
        let failed = try #require(try store.read { try $0.trial(studyID: study.id, number: 0) })
        #expect(failed.error == "exit 3\nerr\u{2400}tail")
        #expect(try store.read { try $0.attempts(trialID: t.id) }.first?.logTail == "out\u{2400}put")
        #expect(t.seed == 7)
    }

    /// A choice's probabilities are stored with the space; a space stored before they
    /// existed (no `probabilities` member) reads back without them.
    @Test func choiceProbabilitiesRoundTripAndOldSpacesStillRead() throws {
        let space = try SearchSpace([
            Parameter(name: "opt", distribution: .categorical([.string("adam"), .double(1.0), .int(2)], probabilities: [0.5, 0.25, 0.25])),
        ])
        let text = try JSONText.encodeSpace(space)
        #expect(text.contains("\"probabilities\":[0.5,0.25,0.25]"), "\(text)")
        #expect(try JSONText.decodeSpace(text) == space)
        let old = #"{"parameters":[{"distribution":{"categorical":{"_0":["adam",1.0,2]}},"name":"opt"}]}"#
        #expect(try JSONText.decodeSpace(old).parameters[0].distribution == .categorical([.string("adam"), .double(1.0), .int(2)]))
    }

    @Test func trialLifecycleRecordsAttemptsCurveAndOutcome() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let id = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .running, params: ["lr": .double(0.01)], seed: 1, at: 1) }
        try store.write { tx in
            try tx.startAttempt(trialID: id, attempt: 1, worker: "w1", at: 2)
            try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: 1, value: 0.5, metrics: ["val_accuracy": 0.5, "loss": .nan], pruned: false, reason: nil, recordedAt: 3))
            try tx.endAttempt(trialID: id, attempt: 1, outcome: .stale, at: 4)
            try tx.setTrialState(trialID: id, .stale)
            try tx.startAttempt(trialID: id, attempt: 2, worker: "w2", at: 5)
            // A repeated report for the same step overwrites, never duplicates.
            try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: 2, value: 0.55, metrics: ["val_accuracy": 0.55], pruned: false, reason: nil, recordedAt: 6))
            try tx.recordReport(trialID: id, IntermediateRecord(step: 2, attempt: 2, value: 0.4, metrics: ["val_accuracy": 0.4], pruned: true, reason: "below median", recordedAt: 7))
            try tx.finishTrial(trialID: id, attempt: 2, state: .pruned, value: 0.4, metrics: nil, pruneReason: "below median", at: 8)
        }
        do {
            let q = store.reader
            let t = try #require(try q.read { try $0.trial(studyID: study.id, number: 0) })
            #expect(t.state == .pruned)
            #expect(t.value == 0.4)
            #expect(t.attempt == 2)
            #expect(t.worker == "w2")
            #expect(t.epochs == 2)
            #expect(t.startedAt == 2)
            // The spans of its two attempts (2-4 and 5-8), not start to finish (2-8): the
            // second waited in the queue for a worker.
            #expect(t.duration == 5)
            #expect(t.pruneReason == "below median")
            let curve = try q.read { try $0.intermediates(trialID: id) }
            #expect(curve.map(\.step) == [1, 2])
            #expect(curve.map(\.value) == [0.55, 0.4])
            #expect(curve[1].pruned && curve[1].reason == "below median")
            let attempts = try q.read { try $0.attempts(trialID: id) }
            #expect(attempts.map(\.worker) == ["w1", "w2"])
            #expect(attempts.map(\.outcome) == [.stale, .pruned])
            let history = try q.read { try $0.history(studyID: study.id) }
            #expect(history.count == 1)
            #expect(history[0].intermediate == [1: 0.55, 2: 0.4])
        }
    }

    @Test func nonFiniteMetricsAreStoredAsNull() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let id = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .running, params: [:], seed: 1, at: 1) }
        try store.write { tx in
            try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: 1, value: .nan, metrics: ["loss": .infinity, "accuracy": 0.1], pruned: false, reason: nil, recordedAt: 1))
        }
        let curve = try store.read { try $0.intermediates(trialID: id) }
        #expect(curve[0].value == nil)
        #expect(curve[0].metrics == ["accuracy": 0.1])
    }

    @Test func bestAndSortingFollowTheDirection() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(direction: .maximize), at: 1) }
        let values: [Double?] = [0.7, 0.9, nil, 0.8, 0.95]
        let states: [TrialState] = [.complete, .complete, .fail, .complete, .pruned]
        try store.write { tx in
            for (i, v) in values.enumerated() {
                let id = try tx.insertTrial(studyID: study.id, number: i, state: .running, params: [:], seed: 1, at: Double(i))
                try tx.startAttempt(trialID: id, attempt: 1, worker: "w", at: Double(i))
                try tx.finishTrial(trialID: id, attempt: 1, state: states[i], value: v, metrics: ["val_loss": Double(10 - i)], at: Double(i) + Double(i))
            }
        }
        let q = store.reader
        #expect(try q.read { try $0.best(study: study, top: 2) }.map(\.number) == [1, 3])
        #expect(try q.read { try $0.trials(studyID: study.id, order: .value, direction: .maximize) }.map(\.number) == [4, 1, 3, 0, 2])
        #expect(try q.read { try $0.trials(studyID: study.id, order: .metric("val_loss", ascending: true)) }.map(\.number) == [4, 3, 2, 1, 0])
        #expect(try q.read { try $0.trials(studyID: study.id, states: [.fail, .pruned]) }.map(\.number) == [2, 4])
        #expect(try q.read { try $0.trials(studyID: study.id, limit: 2) }.map(\.number) == [0, 1])
        #expect(try q.read { try $0.stateCounts(studyID: study.id) } == [.complete: 3, .fail: 1, .pruned: 1])
    }

    @Test func eventsAndWorkersAreRecorded() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        try store.write { tx in
            try tx.upsertWorker(studyID: study.id, WorkerRecord(worker: "w1", host: "h1", pid: 10, cores: 2, firstSeen: 1, lastSeen: 1))
            try tx.updateWorker(studyID: study.id, worker: "w1", state: .alive, trialNumber: 3, epoch: 2, lastSeen: 5, finishedTrials: 1)
            try tx.appendEvent(studyID: study.id, kind: .pruned, trialNumber: 3, worker: "w1", message: "pruned at step 2", at: 5)
            try tx.appendEvent(studyID: study.id, kind: .requeued, trialNumber: 4, worker: "w1", message: "requeued", at: 6)
            try tx.markWorkersGone(studyID: study.id, as: .dead)
        }
        let w = try store.read { try $0.workers(studyID: study.id) }
        #expect(w.count == 1)
        #expect(w.first?.state == .dead)
        #expect(w.first?.trialsDone == 1)
        #expect(try store.read { try $0.events(studyID: study.id, trialNumber: 3) }.map(\.message) == ["pruned at step 2"])
        #expect(try store.read { try $0.events(studyID: study.id, kinds: [.requeued]) }.map(\.trialNumber) == [4])
    }
}

@Suite struct StoreFileTests {
    @Test func fileDatabaseUsesWALAndNormalSync() throws {
        let scratch = try scratchFolder("wal")
        defer { scratch.cleanUp() }
        let path = scratch.db
        let store = try SweepStore.open(path: path)
        let (mode, sync) = try store.database.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 1) // NORMAL
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func readOnlyStoreRejectsMissingAndForeignFiles() throws {
        #expect(throws: StoreError.self) { try SweepStore.openReadOnly(path: "/nonexistent/sweep.db") }
        let scratch = try scratchFolder("foreign")
        defer { scratch.cleanUp() }
        let path = scratch.db
        try Data("not a database at all, just text".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) { try SweepStore.openReadOnly(path: path) }
    }

    @Test func concurrentReadersNeverSeeLockedOrLostRows() async throws {
        let scratch = try scratchFolder("readers")
        defer { scratch.cleanUp() }
        let path = scratch.db
        let store = try SweepStore.open(path: path)
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let trialID = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .running, params: [:], seed: 1, at: 1) }
        let reports = 3000
        let writer = Task.detached {
            for step in 1...reports {
                try store.write { tx in
                    try tx.recordReport(trialID: trialID, IntermediateRecord(step: step, attempt: 1, value: Double(step), metrics: ["loss": 1 / Double(step)], pruned: false, reason: nil, recordedAt: Double(step)))
                }
            }
        }
        // Readers on their own read-only connections, as the CLI uses them.
        let readers = (0..<3).map { _ in
            Task.detached { () -> (reads: Int, monotonic: Bool) in
                let reader = try SweepStore.openReadOnly(path: path)
                var last = 0
                var reads = 0
                var monotonic = true
                while last < reports {
                    let n = try reader.read { q in try q.intermediates(trialID: trialID).count }
                    if n < last { monotonic = false }
                    // Every snapshot holds a prefix: steps 1...n, no gaps.
                    last = n
                    reads += 1
                }
                return (reads, monotonic)
            }
        }
        try await writer.value
        for r in readers {
            let result = try await r.value
            #expect(result.monotonic)
            #expect(result.reads > 0)
        }
        let steps = try store.read { try $0.intermediates(trialID: trialID).map(\.step) }
        #expect(steps == Array(1...reports))
        #expect(try store.integrityCheck() == "ok")
    }
}

@Suite struct StoreTypedValueTests {
    /// Writes raw SQL, as a hand edit or a newer version might.
    private func tamper(_ store: SweepStore, _ sql: String) throws {
        try store.database.write { db in try db.execute(sql: sql) }
    }

    @Test func unknownStoredOutcomeFailsLoudlyInsteadOfDefaulting() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let id = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .waiting, params: [:], seed: 1, at: 1, leasedTo: "w") }
        try store.write { try $0.endAttempt(trialID: id, attempt: 1, outcome: .returned, at: 2) }
        #expect(try store.read { try $0.attempts(trialID: id) }.map(\.outcome) == [.returned])
        try tamper(store, "UPDATE trial_attempts SET outcome = 'EXPLODED'")
        #expect(throws: (any Error).self) { _ = try store.read { try $0.attempts(trialID: id) } }
    }

    @Test func unknownStoredDirectionOrStateFailsLoudly() throws {
        let store = try SweepStore.inMemory()
        _ = try store.write { try $0.createStudy(try newStudy(direction: .maximize), at: 1) }
        try tamper(store, "PRAGMA ignore_check_constraints = ON; UPDATE studies SET direction = 'sideways'")
        // Before: read as minimize, silently turning "best" upside down.
        #expect(throws: (any Error).self) { _ = try store.read { try $0.study(named: "s") } }
    }

    @Test func decisionsAreTyped() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let id = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .waiting, params: [:], seed: 1, at: 1, leasedTo: "w") }
        try store.write { tx in
            try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: 1, value: 1, metrics: [:], pruned: true, reason: "r", recordedAt: 2))
        }
        let r = try #require(try store.read { try $0.intermediate(trialID: id, step: 1, attempt: 1) })
        #expect(r.decision == .prune)
        #expect(try store.read { try $0.intermediate(trialID: id, step: 1, attempt: 2) } == nil)
    }

    @Test func infinitiesAreStoredAsInfinitiesAndNaNAsNull() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let id = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .waiting, params: [:], seed: 1, at: 1, leasedTo: "w") }
        try store.write { tx in
            try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: 1, value: .infinity, metrics: [:], pruned: false, reason: nil, recordedAt: 2))
            try tx.recordReport(trialID: id, IntermediateRecord(step: 2, attempt: 1, value: -.infinity, metrics: [:], pruned: false, reason: nil, recordedAt: 3))
            try tx.recordReport(trialID: id, IntermediateRecord(step: 3, attempt: 1, value: .nan, metrics: [:], pruned: false, reason: nil, recordedAt: 4))
            try tx.finishTrial(trialID: id, attempt: 1, state: .complete, value: .infinity, metrics: nil, at: 5)
        }
        #expect(try store.read { try $0.intermediates(trialID: id) }.map(\.value) == [.infinity, -.infinity, nil])
        #expect(try store.read { try $0.trial(studyID: study.id, number: 0) }?.value == .infinity)
        // The history keeps a NULL (not finite) report as NaN, which the pruners ignore.
        let curve = try store.read { try $0.history(studyID: study.id) }[0].intermediate
        #expect(curve[1] == .infinity && curve[2] == -.infinity && curve[3]?.isNaN == true && curve.count == 3)
    }

    @Test func aNewAttemptDropsTheEpochsOfEarlierAttempts() throws {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 1) }
        let id = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .waiting, params: [:], seed: 1, at: 1, leasedTo: "w1") }
        try store.write { tx in
            for step in 1...3 {
                try tx.recordReport(trialID: id, IntermediateRecord(step: step, attempt: 1, value: Double(step), metrics: ["val_accuracy": Double(step)],
                                                                    pruned: false, reason: nil, recordedAt: Double(step)))
            }
            try tx.endAttempt(trialID: id, attempt: 1, outcome: .stale, at: 4)
            try tx.startAttempt(trialID: id, attempt: 2, worker: "w2", at: 5)
            try tx.recordReport(trialID: id, IntermediateRecord(step: 1, attempt: 2, value: 9, metrics: ["val_accuracy": 9], pruned: true, reason: "r", recordedAt: 6))
        }
        let curve = try store.read { try $0.intermediates(trialID: id) }
        #expect(curve.map(\.step) == [1] && curve.map(\.attempt) == [2])
        let t = try #require(try store.read { try $0.trial(studyID: study.id, number: 0) })
        #expect(t.epochs == 1 && t.metrics == ["val_accuracy": 9])
        #expect(try store.read { try $0.allIntermediates(studyID: study.id) }[0]?.count == 1)
    }
}

/// When attempts start (``AttemptStart``): one held ahead and never run takes no time and
/// does not start its trial; one that ran later than its lease starts the trial then,
/// unless an earlier attempt ran.
@Suite struct AttemptStartTests {
    func run(_ steps: (StoreTransaction, Int64) throws -> Void) throws -> (TrialRecord, [AttemptRecord]) {
        let store = try SweepStore.inMemory()
        let study = try store.write { try $0.createStudy(try newStudy(), at: 0) }
        let id = try store.write { try $0.insertTrial(studyID: study.id, number: 0, state: .waiting, params: [:], seed: 1, at: 0) }
        try store.write { try steps($0, id) }
        return try store.read { q in (try #require(try q.trial(studyID: study.id, number: 0)), try q.attempts(trialID: id)) }
    }

    @Test func attemptsHeldAheadAndNeverRunLeaveTheTrialUnstartedUntilOneRuns() throws {
        let (trial, attempts) = try run { tx, id in
            try tx.startAttempt(trialID: id, attempt: 1, worker: "a", at: 1)
            try tx.endAttempt(trialID: id, attempt: 1, outcome: .returned, start: .never(2), at: 2)
            try tx.startAttempt(trialID: id, attempt: 2, worker: "a", at: 3)
            try tx.endAttempt(trialID: id, attempt: 2, outcome: .returned, start: .never(4), at: 4)
            try tx.startAttempt(trialID: id, attempt: 3, worker: "b", at: 5)
            try tx.finishTrial(trialID: id, attempt: 3, state: .complete, value: 1, metrics: nil, start: .at(6), at: 7)
        }
        #expect(trial.startedAt == 6 && trial.duration == 1, "\(trial)")
        #expect(attempts.map(\.startedAt) == [2, 4, 6] && attempts.map(\.endedAt) == [2, 4, 7])
    }

    @Test func anEarlierAttemptThatRanKeepsTheTrialsStart() throws {
        let (trial, attempts) = try run { tx, id in
            try tx.startAttempt(trialID: id, attempt: 1, worker: "a", at: 1)
            try tx.endAttempt(trialID: id, attempt: 1, outcome: .stale, at: 3)
            try tx.startAttempt(trialID: id, attempt: 2, worker: "b", at: 4)
            try tx.finishTrial(trialID: id, attempt: 2, state: .complete, value: 1, metrics: nil, start: .at(5), at: 6)
        }
        #expect(trial.startedAt == 1, "\(trial)")
        #expect(attempts.map(\.startedAt) == [1, 5])
    }
}
