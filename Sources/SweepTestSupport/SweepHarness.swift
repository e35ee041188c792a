import Foundation
import Store

/// A scratch directory (removed by ``cleanUp()``) in which a test runs the real `sweep`
/// executable and other programs, each with its output in a log file there, and reads the
/// study database `db` they write.
///
/// Two spellings of running, both kept for the tests that use them: `run(["run", file])` and
/// `start(["worker", ...], log:)` run `sweep` (or `executable:`), while `run(program, args)`,
/// `start(program, args, log:)` and `sweep(args)` name the program first.
public struct SweepHarness: Sendable {
    /// The scratch directory; programs start in it.
    public let directory: URL
    /// `sweep.db` in the scratch directory.
    public let db: String

    /// The `sweep` binary built next to the tests.
    public static var executable: URL { SweepBinary.url }
    /// ``executable``'s path.
    public static var sweep: String { SweepBinary.path }

    /// Creates `TMPDIR/PREFIX-NAME-XXXXXXXX`.
    public init(_ name: String, prefix: String = "sweep-test") throws {
        signal(SIGPIPE, SIG_IGN) // a peer closing a socket must not kill the test process
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        db = directory.appendingPathComponent("sweep.db").path
    }

    /// Removes the scratch directory and everything in it.
    public func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    // MARK: Files

    /// The path of `name` in the scratch directory.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes a file into the scratch directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// The text of `name` in the scratch directory ("" when missing).
    public func read(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }

    /// The text of the log `name` ("" when missing); the same as ``read(_:)``.
    public func logText(_ name: String) -> String { read(name) }

    // MARK: Programs

    /// Starts `sweep ARGS` (or `executable`) in the background; output goes to `log`.
    public func start(_ arguments: [String], log: String, executable: URL = SweepHarness.executable) throws -> Process {
        if executable == Self.executable { try SweepBinary.require() }
        return try TestProcess.start(executable.path, arguments, in: directory, output: path(log))
    }

    /// Starts `executable ARGS` in the background with output to `log`.
    public func start(_ executable: String, _ arguments: [String], log: String, environment: [String: String] = [:]) throws -> Process {
        if executable == Self.sweep { try SweepBinary.require() }
        return try TestProcess.start(executable, arguments, in: directory, output: path(log), environment: environment)
    }

    /// Runs `sweep ARGS` (or `executable`) to completion, killed after `timeout` seconds;
    /// its status (-1 when killed) and output.
    public func run(_ arguments: [String], timeout: Double = 300, executable: URL = SweepHarness.executable) throws -> (status: Int32, output: String) {
        let log = "run-\(UUID().uuidString.prefix(6)).log"
        let status = TestProcess.finish(try start(arguments, log: log, executable: executable), timeout: timeout)
        return (status, read(log))
    }

    /// Runs `executable ARGS` to completion, killed after `timeout` seconds; its status
    /// (-1 when killed) and output.
    @discardableResult
    public func run(_ executable: String, _ arguments: [String], timeout: Double = 180, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let log = "run-\(UUID().uuidString.prefix(6)).log"
        let status = TestProcess.finish(try start(executable, arguments, log: log, environment: environment), timeout: timeout)
        return (status, read(log))
    }

    /// Runs `sweep ARGS` (see ``run(_:_:timeout:environment:)``).
    @discardableResult
    public func sweep(_ arguments: [String], timeout: Double = 180) throws -> (status: Int32, output: String) {
        try run(Self.sweep, arguments, timeout: timeout)
    }

    /// Runs a short-lived program with posix_spawn (see ``TestProcess/spawn(_:_:output:timeout:)``);
    /// its status and output.
    public func spawn(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> (status: Int32, output: String) {
        let log = path("spawn-\(UUID().uuidString.prefix(6)).log")
        let status = try TestProcess.spawn(executable, arguments, output: log, timeout: timeout)
        defer { try? FileManager.default.removeItem(atPath: log) }
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Finds `name` on the PATH.
    public static func which(_ name: String) -> String? { TestProcess.which(name) }

    // MARK: Waiting

    /// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
    @discardableResult
    public func waitFor(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        try waitUntil(timeout: timeout, interval: 0.05, condition)
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` seconds pass.
    @discardableResult
    public static func waitFor(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        try waitUntil(timeout: timeout, interval: 0.1, condition)
    }

    // MARK: The study database

    /// A read-only connection to `db`.
    public func reader() throws -> StoreReader { try SweepStore.openReadOnly(path: db) }

    /// The study `name` as stored now; nil while the database or the study does not exist yet.
    public func study(named name: String) -> StudyRecord? {
        guard FileManager.default.fileExists(atPath: db) else { return nil }
        return try? reader().read { try $0.study(named: name) }
    }

    /// Waits up to `timeout` seconds for the study `name` to exist and satisfy `condition`
    /// (for example `{ $0.state == .complete }`); the study then, or nil.
    @discardableResult
    public func waitForStudy(_ name: String, timeout: Double, _ condition: (StudyRecord) -> Bool = { _ in true }) -> StudyRecord? {
        var found: StudyRecord?
        self.waitFor(timeout: timeout) {
            guard let s = study(named: name), condition(s) else { return false }
            found = s
            return true
        }
        return found
    }

    /// The trials of study `name`, by number.
    public func trials(of name: String) throws -> [TrialRecord] {
        try reader().read { q in try q.trials(studyID: try q.requireStudy(named: name).id) }
    }

    // MARK: Loopback

    /// A free TCP port on loopback.
    public static func freePort() -> Int { Loopback.freePort() }

    /// A socket listening on a free loopback port (close it when done) and the port.
    public static func occupiedPort() -> (socket: Int32, port: Int) { Loopback.occupiedPort() }

    /// A connected TCP socket to `port` on loopback, or -1.
    public static func connectTCP(port: Int) -> Int32 { Loopback.connectTCP(port: port) }
}
