import Foundation
import Store
import Testing
@testable import Cluster

/// The `workers` rows are written on ticks, not in every batch's commit, and a worker's
/// finished trials are never lost when its row changes state in between.
@Suite struct WorkerRowTickTests {
    private func row(_ h: CoreHarness, _ w: String) throws -> WorkerRecord {
        try #require(try h.store.read { try $0.workers(studyID: h.core.study.id) }.first { $0.worker == w })
    }

    @Test func finishedTrialsReachTheWorkerRowOnTheNextTick() throws {
        let h = try CoreHarness(sweep(trials: 3))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.finish("w1", a, value: 0.5)
        let b = try #require(h.assignment("w1"))
        #expect(try row(h, "w1").trialsDone == 0, "not written in the result's commit")
        try h.tick()
        let r = try row(h, "w1")
        #expect(r.trialsDone == 1)
        #expect(r.trialNumber == b.trial, "the row names the trial it runs now")
    }

    @Test func aResultAndAByeInOneBatchKeepTheFinishedTrial() throws {
        let h = try CoreHarness(sweep(trials: 3))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        var out = Outbox()
        try h.store.write { tx in
            try h.core.handle(.result(.init(trial: a.trial, attempt: a.attempt, state: .complete, value: 0.5, metrics: ["value": 0.5], epochs: 1, ready: false)),
                              from: "w1", peerAddress: nil, now: h.now, tx: tx, out: &out)
            try h.core.handle(.bye(.init(reason: "done 1 trial(s)")), from: "w1", peerAddress: nil, now: h.now, tx: tx, out: &out)
            try h.core.dispatch(now: h.now, tx: tx, out: &out)
        }
        let r = try row(h, "w1")
        #expect(r.state == .left)
        #expect(r.trialsDone == 1)
    }

    @Test func aLostWorkerKeepsItsFinishedTrials() throws {
        let h = try CoreHarness(sweep(trials: 3))
        try h.hello("w1")
        let a = try #require(h.assignment("w1"))
        try h.finish("w1", a, value: 0.5)
        h.now += 10 // past heartbeat x liveness: the next tick declares it dead
        try h.tick()
        let r = try row(h, "w1")
        #expect(r.state == .dead)
        #expect(r.trialsDone == 1)
    }
}
