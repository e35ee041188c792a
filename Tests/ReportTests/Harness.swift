import Foundation
import Store
import Testing

/// Runs the real `sweep` executable (and Chromium, tmux) in a scratch directory.
struct Scratch {
    let directory: URL
    let db: String

    init(_ name: String) throws {
        signal(SIGPIPE, SIG_IGN)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-report-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        db = directory.appendingPathComponent("sweep.db").path
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes a file into the scratch directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }

    /// The `sweep` binary built next to the tests.
    static var sweep: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sweep")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/sweep").path
    }

    /// Finds `name` on the PATH.
    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Starts `executable ARGS` with output to `log` in the scratch directory.
    func start(_ executable: String, _ arguments: [String], log: String, environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        _ = FileManager.default.createFile(atPath: path(log), contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path(log)))
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs a program to completion (bounded by `timeout`); returns its status and output.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], timeout: Double = 180, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let log = "run-\(UUID().uuidString.prefix(6)).log"
        let p = try start(executable, arguments, log: log, environment: environment)
        let finished = Self.waitFor(timeout: timeout) { !p.isRunning }
        if !finished { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return (finished ? p.terminationStatus : -1, read(log))
    }

    /// Runs `sweep ARGS`.
    @discardableResult
    func sweep(_ arguments: [String], timeout: Double = 180) throws -> (status: Int32, output: String) {
        try run(Self.sweep, arguments, timeout: timeout)
    }

    func reader() throws -> StoreReader { try SweepStore.openReadOnly(path: db) }

    /// Polls `condition` every 100 ms until it holds or `timeout` seconds pass.
    @discardableResult
    static func waitFor(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}

/// A synthetic sweep: three inputs (linear, log-uniform, a choice) and a median pruner.
func syntheticSweep(study: String, trials: Int, epochs: Int = 5, sleep: Double = 0, function: String = "rosenbrock",
                    pruner: String = "{name: median, n_startup_trials: 4}", sampler: String = "{name: random}", seed: Int = 3) -> String {
    """
    study: \(study)
    seed: \(seed)
    synthetic:
      function: \(function)
      epochs: \(epochs)
      sleep: \(sleep)
      inputs:
        x: {uniform: [-2, 2]}
        y: {loguniform: [0.01, 3]}
        z: {choice: [0.5, 1, 2]}
    sampler: \(sampler)
    pruner: \(pruner)
    budget: {trials: \(trials)}
    """
}
