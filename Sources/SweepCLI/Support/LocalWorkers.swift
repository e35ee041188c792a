import Foundation
import SweepSupport

/// Worker processes started on this machine by `sweep run` / `sweep resume` (and `sweep
/// worker --workers-per-host`): the same executable with `sweep worker`, one BLAS thread
/// each, stopped with the parent.
///
/// A worker killed by a signal (the OOM killer, a `kill -9`, a crash) is started again, so
/// a run does not go on at a fraction of its workers, or wait for none, without a word (the
/// coordinator hands the dead worker's trial to another). A worker that exits by itself
/// (the study ended, it was quarantined or refused) is not. A slot whose worker dies
/// ``restartsPerMinute`` times within a minute is given up, and said so.
///
/// `@unchecked Sendable`: the slots are read and changed only under `lock`; the supervisor
/// thread restarts workers while the calling thread may signal or stop them.
final class LocalWorkers: @unchecked Sendable {
    /// Restarts of one worker within a minute before it is given up.
    static let restartsPerMinute = 3

    private struct Slot {
        var process: Process
        /// The first worker's id; a restarted one gets `-r1`, `-r2`, ... after it.
        let baseID: String
        /// When it was restarted within the last minute.
        var restarts: [Date] = []
        var restarted = 0
        var givenUp = false
        var id: String { restarted == 0 ? baseID : "\(baseID)-r\(restarted)" }
    }

    private let lock = NSLock()
    private var slots: [Slot] = []
    private var launch: (endpoint: String, extraArguments: [String])?
    private var supervising = false
    private var saidNoneLeft = false
    /// Since when no local worker runs (nil: one does).
    private var noneLeftSince: Date?
    /// Where other workers can join the study (the coordinator's TCP endpoint), for the
    /// message when no local worker is left (`sweep run`); set by ``start(count:endpoint:idPrefix:extraArguments:joinEndpoint:)``.
    private var joinEndpoint: String?
    private let logDirectory: String?

    init(logDirectory: String?) {
        self.logDirectory = logDirectory
    }

    /// Starts `count` workers connecting to `endpoint`, with ids `PREFIX-1` ... (default
    /// prefix: `HOST-w` and this process id as a suffix).
    func start(count: Int, endpoint: String, idPrefix: String? = nil, extraArguments: [String] = [], joinEndpoint: String? = nil) throws {
        lock.lock()
        defer { lock.unlock() }
        launch = (endpoint, extraArguments)
        self.joinEndpoint = joinEndpoint
        for i in 0..<count {
            let id = idPrefix.map { "\($0)-\(i + 1)" } ?? "\(hostShortName())-w\(i + 1)-\(getpid())"
            slots.append(Slot(process: try spawn(slot: i, id: id), baseID: id))
        }
    }

    private func spawn(slot i: Int, id: String) throws -> Process {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
        let exe = FileManager.default.isExecutableFile(atPath: executable.path) ? executable : URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let p = Process()
        p.executableURL = exe
        p.arguments = ["worker", "--connect", launch?.endpoint ?? "", "--parent-pid", "\(getpid())", "--id", id] + (launch?.extraArguments ?? [])
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        if let dir = logDirectory {
            let path = "\(dir)/worker-\(i + 1).log"
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let h = FileHandle(forWritingAtPath: path)
            _ = try? h?.seekToEnd() // a restarted worker's log follows the killed one's
            p.standardOutput = h
            p.standardError = h
        } else {
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.standardError
        }
        try p.run()
        return p
    }

    /// Restarts, until ``stop(timeout:)``, workers killed by a signal while `keepGoing`
    /// says the study runs (checked every 0.2 s on a thread of its own).
    func superviseInBackground(while keepGoing: @escaping @Sendable () -> Bool) {
        lock.lock()
        supervising = true
        lock.unlock()
        Thread.detachNewThread { [self] in
            while keepGoing() && restartPass() { usleep(200_000) }
            // Workers it started die with this thread (PR_SET_PDEATHSIG is per thread):
            // it lives until they have exited.
            while processes.contains(where: \.isRunning) { usleep(100_000) }
        }
    }

    /// One pass of the supervisor; false once it is to stop.
    private func restartPass() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard supervising else { return false }
        restartKilled()
        return true
    }

    /// (Under `lock`.) One pass: workers that died by a signal start again.
    private func restartKilled(now: Date = Date()) {
        for i in slots.indices where !slots[i].givenUp && !slots[i].process.isRunning && slots[i].process.terminationReason == .uncaughtSignal {
            let old = slots[i]
            let signal = old.process.terminationStatus
            let recent = old.restarts.filter { now.timeIntervalSince($0) < 60 }
            guard recent.count < Self.restartsPerMinute else {
                slots[i].givenUp = true
                StandardStream.error.write("warning: local worker \(old.id) was killed by signal \(signal) \(recent.count + 1) times within a minute; it is not started again\n")
                continue
            }
            // A new id: the coordinator has the old one's trial to re-queue, not to hand back.
            var next = old
            next.restarted += 1
            next.restarts = recent + [now]
            do {
                next.process = try spawn(slot: i, id: next.id)
                slots[i] = next
                StandardStream.error.write("note: local worker \(old.id) (pid \(old.process.processIdentifier)) was killed by signal \(signal); started \(next.id) in its place\n")
            } catch {
                slots[i].givenUp = true
                StandardStream.error.write("warning: local worker \(old.id) was killed by signal \(signal) and cannot be started again: \(error)\n")
            }
        }
        // None left: said once. Workers that exited by themselves (on a SIGTERM, or
        // quarantined) left `sweep run` waiting without a word: said after 2 s there, so
        // that workers leaving at the study's end (before the supervisor stops) are not.
        if slots.isEmpty || slots.contains(where: { $0.process.isRunning }) {
            noneLeftSince = nil
        } else if !saidNoneLeft {
            let since = noneLeftSince ?? now
            noneLeftSince = since
            let killed = slots.filter { $0.process.terminationReason == .uncaughtSignal }.count
            let waits = joinEndpoint.map { "; the study waits for workers: add some with `sweep worker --connect \(ShellCommand.quoted($0))`, or stop it with Ctrl-C (`sweep resume` continues it)" } ?? ""
            // (In `sweep run` after the same 2 s: a slot given up before the study's end.)
            if killed > 0, joinEndpoint == nil || now.timeIntervalSince(since) >= 2 {
                saidNoneLeft = true
                let why = killed == slots.count ? "each was killed again and again" : "\(slots.count - killed) exited, \(killed) killed again and again"
                StandardStream.error.write("warning: no local worker is left running (\(why))\(waits)\n")
            } else if joinEndpoint != nil, now.timeIntervalSince(since) >= 2 {
                saidNoneLeft = true
                StandardStream.error.write("warning: no local worker is left running (they exited)\(waits)\n")
            }
        }
    }

    private var processes: [Process] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map(\.process)
    }

    /// Sends `signal` to every running worker.
    func signalAll(_ signal: Int32) {
        for p in processes where p.isRunning { kill(p.processIdentifier, signal) }
    }

    /// Asks every worker to finish its epoch and leave (SIGTERM), waiting up to `timeout`.
    func stop(timeout: Double) {
        lock.lock()
        supervising = false
        lock.unlock()
        let processes = self.processes
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        // Foundation reaps them, normally at once. A child it lost track of (its watch failed
        // while the process had run out of descriptors) is reaped here, and none is waited on
        // for ever: `sweep run` hung after its study finished, on a dead worker left <defunct>.
        // (After Foundation had a second: reaping before it would leave it without the status.)
        var gone = Set<pid_t>()
        let ownReapFrom = Date().addingTimeInterval(1), reapBy = Date().addingTimeInterval(5)
        while let left = Optional(processes.filter { $0.isRunning && !gone.contains($0.processIdentifier) }), !left.isEmpty, Date() < reapBy {
            for p in left where Date() >= ownReapFrom {
                var status: Int32 = 0
                let r = waitpid(p.processIdentifier, &status, WNOHANG)
                if r == p.processIdentifier || (r < 0 && errno == ECHILD) { gone.insert(p.processIdentifier) }
            }
            usleep(20_000)
        }
    }

    /// Waits up to `timeout` for workers to exit by themselves (after the study's `stop`).
    func waitForExit(timeout: Double) -> Bool {
        lock.lock()
        supervising = false
        lock.unlock()
        let processes = self.processes
        let deadline = Date().addingTimeInterval(timeout)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        return !processes.contains(where: \.isRunning)
    }

    /// Workers running, or killed and about to be started again.
    var running: Int {
        lock.lock()
        defer { lock.unlock() }
        return slots.filter { $0.process.isRunning || (supervising && !$0.givenUp && $0.process.terminationReason == .uncaughtSignal) }.count
    }

    /// Whether every worker has exited with status 0.
    var allSucceeded: Bool { processes.allSatisfy { !$0.isRunning && $0.terminationStatus == 0 } }
}

func hostShortName() -> String {
    ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
}
