import Foundation
import Store
import Testing

/// Runs the real `sweep` executable (built next to the tests) in a scratch directory.
struct SweepHarness {
    let directory: URL
    let db: String

    static var executable: URL {
        // Tests run from the package root; the binary is in the same build folder as the tests.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var dir = bundle
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sweep")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/sweep")
    }

    /// A connected TCP socket to `port` on loopback, or -1.
    static func connectTCP(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc != 0 { close(fd); return -1 }
        return fd
    }

    init(_ name: String) throws {
        signal(SIGPIPE, SIG_IGN) // a peer closing a socket must not kill the test process
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-e2e-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        db = directory.appendingPathComponent("sweep.db").path
    }

    /// Writes a file into the scratch directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Starts `sweep ARGS` (or another program) in the background; output goes to a log file
    /// in the scratch directory.
    func start(_ arguments: [String], log: String, executable: URL = Self.executable) throws -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        let logURL = directory.appendingPathComponent(log)
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let h = try FileHandle(forWritingTo: logURL)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs `sweep ARGS` (or another program) to completion (bounded by `timeout`) and
    /// returns status and output.
    func run(_ arguments: [String], timeout: Double = 300, executable: URL = Self.executable) throws -> (status: Int32, output: String) {
        let log = "run-\(UUID().uuidString.prefix(6)).log"
        let p = try start(arguments, log: log, executable: executable)
        let finished = waitFor(timeout: timeout) { !p.isRunning }
        if !finished { p.terminate(); p.waitUntilExit() }
        p.waitUntilExit()
        let output = (try? String(contentsOf: directory.appendingPathComponent(log), encoding: .utf8)) ?? ""
        return (finished ? p.terminationStatus : -1, output)
    }

    func logText(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    func reader() throws -> StoreReader { try SweepStore.openReadOnly(path: db) }

    /// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
    @discardableResult
    func waitFor(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    /// A free TCP port on loopback.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A synthetic sweep whose trials take `sleep` seconds per epoch.
func syntheticSweep(study: String, trials: Int, epochs: Int, sleep: Double, pruner: String = "{name: none}",
                    sampler: String = "{name: random}", failProbability: Double = 0) -> String {
    """
    study: \(study)
    synthetic:
      function: sphere
      epochs: \(epochs)
      sleep: \(sleep)
      fail_probability: \(failProbability)
      inputs:
        x: {uniform: [-2, 2]}
        y: {uniform: [-2, 2]}
    sampler: \(sampler)
    pruner: \(pruner)
    budget: {trials: \(trials)}
    retry: {max_attempts: 3}
    """
}
