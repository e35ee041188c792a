import Foundation
import Store
import SweepFile
import SweepSupport
import Testing
import ZeroMQ
@testable import Cluster

/// A connection that never says anything is closed: idle connections held a descriptor
/// each for good (20,000 reached the limit, and new workers could not join). A worker on
/// its own connection is not disturbed.
@Suite struct SilentConnectionTests {
    @Test(.timeLimit(.minutes(1))) func aConnectionThatSaysNothingIsClosedAndWorkersGoOn() throws {
        let text = """
            study: silent
            synthetic:
              function: sphere
              epochs: 1
              sleep: 0.2
              inputs: {x: {uniform: [-1, 1]}}
            sampler: {name: random, seed: 3}
            pruner: {name: none}
            budget: {trials: 20}
            """
        let store = try SweepStore.inMemory()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:0", heartbeatMs: 200, liveness: 5)
        options.silentConnectionSeconds = 0.5
        let coordinator = try Coordinator.create(try SweepDefinition.parse(text: text, file: "silent.yaml"), store: store, options: options,
                                                 log: Log(label: "coordinator", minimum: .error))
        // The silent peer: a DEALER that connects and sends nothing (libzmq reconnects it
        // each time it is closed; its monitor counts the closes).
        let context = try Context()
        let silent = try Socket(context, .dealer)
        let events = try silent.monitor([.disconnected], endpoint: "inproc://silent-peer-monitor", context: context)
        try silent.connect(coordinator.endpoint)
        let workerDone = DispatchSemaphore(value: 0)
        let workerOptions = WorkerOptions(connect: coordinator.endpoint, id: "w1", heartbeatMs: 200, liveness: 5)
        let thread = Thread {
            _ = try? Worker(options: workerOptions,
                            log: Log(label: "worker", minimum: .error)).run()
            workerDone.signal()
        }
        thread.start()
        let summary = try coordinator.run()
        workerDone.wait()
        var closes = 0
        while (try? events.receive(dontWait: true)).flatMap({ $0 }) != nil { closes += 1 }
        events.close()
        silent.close()
        #expect(summary.finished, "\(summary.reason)")
        // 20 trials of 0.2 s take 4 s: the silent connection was closed several times.
        #expect(closes >= 2, "closed \(closes) time(s)")
        let trials = try store.read { q in try q.trials(studyID: try q.requireStudy(named: "silent").id) }
        #expect(trials.count == 20 && trials.allSatisfy { $0.state == .complete && $0.attempt == 1 }, "the worker was disturbed")
    }
}
