import Foundation

/// The `sweep` executable the tests run: the one in the build folder of the tests
/// (`swift build --build-tests` builds it next to them). A missing binary fails the test
/// that needs it with how to build it; no test skips itself.
public enum SweepBinary {
    /// The binary's location (it may be missing; ``require()`` says so).
    public static let url: URL = {
        // Tests run from the package root; the binary is in the same build folder as the tests.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sweep")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return repositoryRoot.appendingPathComponent(".build/debug/sweep")
    }()

    /// ``url``'s path.
    public static var path: String { url.path }

    /// The package's root folder (where Package.swift, sweeps/ and cluster/ are).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Throws ``SweepBinaryMissing`` when the binary is not there.
    public static func require() throws {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw SweepBinaryMissing() }
    }
}

/// The `sweep` binary is missing: build it (`swift build --build-tests`) before the tests.
public struct SweepBinaryMissing: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "no sweep binary at \(SweepBinary.path): run `swift build --build-tests` first" }
}

/// The `sweep` binary's path (``SweepBinary/path``).
public var sweepBinary: String { SweepBinary.path }

/// Runs the built `sweep` with `arguments` (in `directory`, bounded by `timeout` seconds);
/// its exit status (-1 after a timeout) and its output (standard output and error);
/// `environment` adds to (or replaces) the test's variables.
public func runSweep(_ arguments: [String], in directory: String? = nil, timeout: Double = 300, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    try SweepBinary.require()
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-run-\(UUID().uuidString).log").path
    defer { try? FileManager.default.removeItem(atPath: log) }
    let process = try TestProcess.start(SweepBinary.path, arguments, in: directory.map { URL(fileURLWithPath: $0) }, output: log, environment: environment)
    let status = TestProcess.finish(process, timeout: timeout)
    return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}
