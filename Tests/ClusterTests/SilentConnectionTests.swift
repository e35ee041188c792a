import Foundation
import Store
import SweepFile
import SweepSupport
import Synchronization
import Testing
import ZeroMQ
@testable import Cluster

/// A connection that never says anything is closed: idle connections held a descriptor
/// each for good (20,000 reached the limit, and new workers could not join). A worker on
/// its own connection is not disturbed.
@Suite struct SilentConnectionTests {
    @Test(.timeLimit(.minutes(2))) func aConnectionThatSaysNothingIsClosedAndWorkersGoOn() throws {
        let text = """
            study: silent
            synthetic:
              function: sphere
              epochs: 1
              sleep: 0.05
              inputs: {x: {uniform: [-1, 1]}}
            sampler: {name: random, seed: 3}
            pruner: {name: none}
            budget: {trials: 100000}
            """
        let store = try SweepStore.inMemory()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:0", heartbeatMs: 1000, liveness: 5)
        options.silentConnectionSeconds = 0.5
        let coordinator = try Coordinator.create(try SweepDefinition.parse(text: text, file: "silent.yaml"), store: store, options: options,
                                                 log: Log(label: "coordinator", minimum: .error))
        // The silent peer: a DEALER that connects and sends nothing (libzmq reconnects it
        // each time it is closed; its monitor counts the closes). The run stops after two
        // (however long a loaded machine takes: a stall of the loop holds closing back 10 s).
        let context = try Context()
        let silent = try Socket(context, .dealer)
        let events = try silent.monitor([.disconnected], endpoint: "inproc://silent-peer-monitor", context: context)
        try silent.connect(coordinator.endpoint)
        let stop = AtomicFlag()
        let closes = Mutex(0)
        let monitor = HandedOver(events)
        let watcherDone = DispatchSemaphore(value: 0)
        let watcher = Thread {
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline && closes.withLock({ $0 }) < 2 {
                if (try? monitor.socket.receive(dontWait: true)).flatMap({ $0 }) != nil { closes.withLock { $0 += 1 } } else { usleep(20_000) }
            }
            stop.set()
            watcherDone.signal()
        }
        watcher.start()
        let workerDone = DispatchSemaphore(value: 0)
        let workerOptions = WorkerOptions(connect: coordinator.endpoint, id: "w1", giveUpAfterSeconds: 3)
        let worker = Thread {
            _ = try? Worker(options: workerOptions, log: Log(label: "worker", minimum: .error)).run()
            workerDone.signal()
        }
        worker.start()
        _ = try coordinator.run(stop: stop)
        coordinator.close()
        watcherDone.wait()
        #expect(workerDone.wait(timeout: .now() + 30) == .success, "the worker did not end")
        #expect(closes.withLock { $0 } >= 2, "closed \(closes.withLock { $0 }) time(s)")
        events.close() // (the watcher has ended: the socket is this thread's again)
        silent.close()
        // The worker's own connection was never cut: every trial it finished ran once.
        let trials = try store.read { q in try q.trials(studyID: try q.requireStudy(named: "silent").id) }
        let done = trials.filter { $0.state == .complete }
        #expect(done.count >= 5 && done.allSatisfy { $0.attempt == 1 }, "\(trials.map { ($0.number, $0.state, $0.attempt) })")
    }
}

/// A socket used by one thread at a time: the watcher's from its start to its end, this
/// test's before and after (ZeroMQ allows moving a socket between threads with a full memory
/// barrier between the uses, which the thread start and the semaphore give).
private final class HandedOver: @unchecked Sendable {
    let socket: Socket
    init(_ socket: Socket) { self.socket = socket }
}
