import Foundation
import Store
import SweepFile
import SweepSupport
import Synchronization
import Testing
@testable import Cluster

/// The poll loop gathers outcomes nobody waits for (of trials held ahead) into one
/// transaction, through a real coordinator and a real worker on ZeroMQ, in one process.
@Suite(.serialized) struct GatheredCommitsTests {
    /// Counts what each handled batch held, and whether the loop held it to gather more.
    final class BatchLog: CoordinatorMetricsSink {
        let batches = Mutex<[(messages: Int, held: Bool)]>([])
        func batchHandled(messages: Int, reports: Int, heldSeconds: Double, commitSeconds: Double, roundTripSeconds: Double, workersAlive: Int) {
            batches.withLock { $0.append((messages, heldSeconds > 0)) }
        }
    }

    /// Runs `trials` synthetic trials of `sleep` seconds on one in-process worker; returns the trials
    /// and the size of every batch the coordinator handled.
    func run(trials: Int, sleep: Double = 0, gatherSeconds: Double, aheadSeconds: Double = 0.005,
             gatherBelowLoad: Double = .infinity) throws -> (trials: [TrialRecord], batches: [(messages: Int, held: Bool)]) {
        let text = """
            study: gather
            synthetic:
              function: sphere
              epochs: 1
              sleep: \(sleep)
              inputs: {x: {uniform: [-1, 1]}}
            sampler: {name: random, seed: 3}
            pruner: {name: none}
            budget: {trials: \(trials)}
            """
        let store = try SweepStore.inMemory()
        let options = CoordinatorOptions(bind: "tcp://127.0.0.1:0", heartbeatMs: 1000, liveness: 5, aheadSeconds: aheadSeconds,
                                         gatherSeconds: gatherSeconds, gatherBelowLoad: gatherBelowLoad)
        let coordinator = try Coordinator.create(try SweepDefinition.parse(text: text, file: "gather.yaml"), store: store, options: options,
                                                 log: Log(label: "coordinator", minimum: .warning))
        let log = BatchLog()
        coordinator.metrics = log
        let workerOptions = WorkerOptions(connect: coordinator.endpoint, id: "w1")
        let workerDone = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = try? Worker(options: workerOptions, log: Log(label: "worker", minimum: .warning)).run()
            workerDone.signal()
        }
        thread.start()
        let summary = try coordinator.run()
        workerDone.wait()
        #expect(summary.finished, "\(summary.reason)")
        let records = try store.read { q in try q.trials(studyID: try q.requireStudy(named: "gather").id) }
        return (records, log.batches.withLock { $0 })
    }

    /// With a window far longer than the test, a gathered batch ends when its worker has
    /// used half of what it holds ahead (``CoordinatorCore/mayWait``, tested on its own in
    /// `LeasesAheadTests`) or at the loop's next tick. The time limit only guards against a
    /// hang.
    ///
    /// Trials of 0.5 ms: the coordinator keeps up with one worker, so without gathering it
    /// handles each trial's one message (its result, with its last report inside) as it
    /// comes, one per batch. Gathered, a batch holds the outcomes of about half of what the
    /// worker holds ahead: 50 ms of its work here (about 100 trials), so that a loaded machine,
    /// on which trials look slower, still leaves it several.
    @Test(.timeLimit(.minutes(1))) func outcomesOfTrialsHeldAheadAreCommittedTogether() throws {
        let (trials, batches) = try run(trials: 300, sleep: 0.0005, gatherSeconds: 30, aheadSeconds: 0.05)
        #expect(trials.count == 300 && trials.allSatisfy { $0.state == .complete && $0.attempt == 1 })
        let sizes = batches.map(\.messages).filter { $0 > 0 }.sorted()
        #expect(sizes.reduce(0, +) >= 300)
        #expect(sizes[sizes.count / 2] >= 3, "median batch of \(sizes[sizes.count / 2]) messages: \(batches.prefix(60).map(\.messages))")
    }

    /// The loop gathers only below ``CoordinatorOptions/gatherBelowLoad`` of the load its
    /// `LoadGauge` reads (the gauge's judgement on its own: `LoadGaugeTests`; whether a
    /// given run is busy depends on the machine). At a bound of 0 it never holds a batch
    /// and the trials run as before; without a bound it holds them.
    @Test(.timeLimit(.minutes(1))) func theLoopGathersOnlyBelowItsLoadBound() throws {
        let never = try run(trials: 1000, gatherSeconds: 0.05, aheadSeconds: 0.05, gatherBelowLoad: 0)
        #expect(never.trials.count == 1000 && never.trials.allSatisfy { $0.state == .complete && $0.attempt == 1 })
        #expect(!never.batches.contains { $0.held }, "\(never.batches.filter(\.held).count) of \(never.batches.count) batches held")
        let always = try run(trials: 1000, gatherSeconds: 0.05, aheadSeconds: 0.05)
        #expect(always.trials.count == 1000 && always.trials.allSatisfy { $0.state == .complete && $0.attempt == 1 })
        #expect(always.batches.contains { $0.held }, "no batch held: \(always.batches.prefix(60).map(\.messages))")
    }

    /// Zero-cost trials, gathered (up to 192 held ahead, up to half of them per batch): every trial
    /// still runs once, in one attempt. The time limit only guards against a hang.
    @Test(.timeLimit(.minutes(1))) func gatheredZeroCostTrialsEachRunOnce() throws {
        let (trials, _) = try run(trials: 2000, gatherSeconds: 30)
        #expect(trials.count == 2000 && trials.allSatisfy { $0.state == .complete && $0.attempt == 1 })
    }

    /// Without gathering, the same sweep runs and records the same: the window is a matter
    /// of cost, not of what is recorded.
    @Test(.timeLimit(.minutes(1))) func withoutGatheringTheSameTrialsAreRecorded() throws {
        let gathered = try run(trials: 120, gatherSeconds: 0.002).trials
        let plain = try run(trials: 120, gatherSeconds: 0).trials
        #expect(gathered.map(\.params) == plain.map(\.params))
        #expect(gathered.map(\.value) == plain.map(\.value))
        #expect(plain.allSatisfy { $0.state == .complete && $0.attempt == 1 })
    }
}
