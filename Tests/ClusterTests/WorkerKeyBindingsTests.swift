import Testing
@testable import Cluster

@Suite struct WorkerKeyBindingsTests {
    @Test func anIdBelongsToTheKeyThatFirstUsedIt() {
        var bindings = WorkerKeyBindings()
        let none: [String: Int] = [:]
        let first = bindings.admit("w1", key: "A", connected: none)
        let again = bindings.admit("w1", key: "A", connected: none)
        let takeover = bindings.admit("w1", key: "B", connected: none)
        let other = bindings.admit("w2", key: "B", connected: none)
        #expect(first && again && other)
        #expect(!takeover, "another key cannot take w1 over")
    }

    /// A key that connects with a fresh id again and again grows the table only up to the
    /// limit; the connected workers' bindings (and the newcomer's) survive the clean-up.
    @Test func idsOfWorkersThatAreGoneAreForgottenPastTheLimit() {
        var bindings = WorkerKeyBindings(limit: 100)
        let connected = ["w0": 0, "w1": 0]
        _ = bindings.admit("w0", key: "A", connected: connected)
        _ = bindings.admit("w1", key: "B", connected: connected)
        var admitted = 0
        for i in 0..<10_000 where bindings.admit("restarted-\(i)", key: "A", connected: connected) { admitted += 1 }
        #expect(admitted == 10_000)
        #expect(bindings.keyOfWorker.count <= 101, "\(bindings.keyOfWorker.count) bindings")
        let recentTakeover = bindings.admit("restarted-9990", key: "B", connected: connected)
        #expect(!recentTakeover, "an id seen lately (not connected yet) stays bound")
        let connectedTakeover = bindings.admit("w1", key: "A", connected: connected)
        let newestTakeover = bindings.admit("restarted-9999", key: "B", connected: connected)
        #expect(!connectedTakeover, "a connected worker's id stays bound to its key")
        #expect(!newestTakeover, "the newest id stays bound too")
    }
}
