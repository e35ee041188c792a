import Foundation
import Testing

/// `status --watch` says when the coordinator holding a study records no running time: one
/// stopped with SIGSTOP (a suspended terminal) showed RUNNING with its numbers standing still.
@Suite(.serialized) struct StatusStallTests {
    @Test func aStoppedCoordinatorIsSaidToBeStopped() throws {
        let h = try SweepHarness("status-stall")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 4, epochs: 1, sleep: 0))
        // No workers: it runs, waiting for them, and records its running time every second.
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", "tcp://127.0.0.1:0", "--no-progress"], log: "c.log")
        defer {
            kill(coordinator.processIdentifier, SIGCONT)
            if coordinator.isRunning { coordinator.terminate() }
        }
        try #require(h.waitFor(timeout: 60) { h.logText("c.log").contains("listening on") }, "\(h.logText("c.log"))")
        let watch = try h.start(["status", "s", "--db", h.db, "--watch", "--interval", "0.3", "--stalled-after", "2"], log: "watch.log")
        defer { if watch.isRunning { watch.terminate() } }
        // Running: no note, however long it waits for workers.
        Thread.sleep(forTimeInterval: 4)
        #expect(h.logText("watch.log").contains("[RUNNING]"), "\(h.logText("watch.log"))")
        #expect(!h.logText("watch.log").contains("recorded no running time"), "\(h.logText("watch.log"))")
        kill(coordinator.processIdentifier, SIGSTOP)
        // On this machine its process state says so at once, to a one-shot `status` too.
        let pid = coordinator.processIdentifier
        #expect(h.waitFor(timeout: 30) { h.logText("watch.log").contains("the coordinator (pid \(pid) on ") && h.logText("watch.log").contains(") is stopped (SIGSTOP") },
                "\(h.logText("watch.log").suffix(800))")
        let once = try h.run(["status", "s", "--db", h.db])
        #expect(once.status == 0 && once.output.contains("[RUNNING]") && once.output.contains("the coordinator (pid \(pid) on ") && once.output.contains("`kill -CONT \(pid)` resumes it"), "\(once.output)")
        // One on another machine (the lock file names its host) is judged by the running
        // time it records.
        let lock = URL(fileURLWithPath: h.db).resolvingSymlinksInPath().path + ".locks/s.lock"
        let holder = try String(contentsOfFile: lock, encoding: .utf8)
        try holder.replacingOccurrences(of: " on \(ProcessInfo.processInfo.hostName)", with: " on elsewhere").write(toFile: lock, atomically: false, encoding: .utf8)
        #expect(h.waitFor(timeout: 30) { h.logText("watch.log").contains("(pid \(pid) on elsewhere) has recorded no running time for") }, "\(h.logText("watch.log").suffix(800))")
        try holder.write(toFile: lock, atomically: false, encoding: .utf8)
        // Resumed, it records again and the note goes.
        kill(coordinator.processIdentifier, SIGCONT)
        let mark = h.logText("watch.log").count
        #expect(h.waitFor(timeout: 30) {
            let after = h.logText("watch.log").dropFirst(mark)
            // A whole block after the one that had the note, without it.
            return after.components(separatedBy: "[RUNNING]").dropFirst(2).contains { !$0.contains("recorded no running time") && !$0.contains("is stopped") }
        }, "\(h.logText("watch.log").suffix(800))")
    }
}
