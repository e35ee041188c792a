import Foundation

/// Worker processes started on this machine by `sweep run` / `sweep resume`: the same
/// executable with `sweep worker`, one BLAS thread each, stopped with the parent.
final class LocalWorkers {
    private(set) var processes: [Process] = []
    private let logDirectory: String?

    init(logDirectory: String?) {
        self.logDirectory = logDirectory
    }

    /// Starts `count` workers connecting to `endpoint`, with ids `PREFIX-1` ... (default
    /// prefix: `HOST-w` and this process id as a suffix).
    func start(count: Int, endpoint: String, idPrefix: String? = nil, extraArguments: [String] = []) throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
        let exe = FileManager.default.isExecutableFile(atPath: executable.path) ? executable : URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        for i in 0..<count {
            let p = Process()
            p.executableURL = exe
            let id = idPrefix.map { "\($0)-\(i + 1)" } ?? "\(hostShortName())-w\(i + 1)-\(getpid())"
            p.arguments = ["worker", "--connect", endpoint, "--parent-pid", "\(getpid())", "--id", id] + extraArguments
            var env = ProcessInfo.processInfo.environment
            env["OPENBLAS_NUM_THREADS"] = "1"
            p.environment = env
            p.standardInput = FileHandle.nullDevice
            if let dir = logDirectory {
                let path = "\(dir)/worker-\(i + 1).log"
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                let h = FileHandle(forWritingAtPath: path)
                p.standardOutput = h
                p.standardError = h
            } else {
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.standardError
            }
            try p.run()
            processes.append(p)
        }
    }

    /// Sends `signal` to every running worker.
    func signalAll(_ signal: Int32) {
        for p in processes where p.isRunning { kill(p.processIdentifier, signal) }
    }

    /// Asks every worker to finish its epoch and leave (SIGTERM), waiting up to `timeout`.
    func stop(timeout: Double) {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
    }

    /// Waits up to `timeout` for workers to exit by themselves (after the study's `stop`).
    func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        return !processes.contains(where: \.isRunning)
    }

    var running: Int { processes.filter(\.isRunning).count }

    /// Whether every worker has exited with status 0.
    var allSucceeded: Bool { processes.allSatisfy { !$0.isRunning && $0.terminationStatus == 0 } }
}

func hostShortName() -> String {
    ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
}
