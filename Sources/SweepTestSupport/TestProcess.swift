import Foundation

/// Starting programs from tests: output to files (never a pipe, which a chatty child could
/// fill and block on), no standard input, bounded waits that kill what overstays.
public enum TestProcess {
    /// Starts `executable ARGS` in `directory`. Standard output goes to the file `output`
    /// (created or truncated), standard error to `errors` (default: the same file), standard
    /// input comes from `input` (default: /dev/null). `environment` adds to the test's own,
    /// which gets `OPENBLAS_NUM_THREADS=1` (many processes share few cores).
    public static func start(_ executable: String, _ arguments: [String], in directory: URL? = nil, output: String,
                             errors: String? = nil, input: String? = nil, environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = try truncatedFile(output)
        p.standardOutput = out
        p.standardError = try errors.map(truncatedFile) ?? out
        p.standardInput = try input.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) } ?? FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Waits up to `timeout` seconds for `process` to exit; kills it (SIGKILL) if it has not.
    /// Its exit status, or -1 when it was killed for overstaying.
    @discardableResult
    public static func finish(_ process: Process, timeout: Double) -> Int32 {
        let exited = waitUntil(timeout: timeout, interval: 0.05) { !process.isRunning }
        if !exited { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return exited ? process.terminationStatus : -1
    }

    /// Runs a program with posix_spawn and waitpid, output (and error) to the file `output`.
    /// Unlike Foundation's `Process`, whose end is only noticed once every process that
    /// inherited its descriptors has exited, this returns when the program itself exits, even
    /// if it left a daemon behind (a tmux server). Its exit status, or -1 after `timeout`.
    public static func spawn(_ executable: String, _ arguments: [String], output: String, timeout: Double) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        // Test threads may block or ignore signals; the child (and a tmux server's panes, which
        // must die on SIGHUP when the server is killed) starts with none blocked and defaults.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for s in [SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return -1
            }
            usleep(20_000)
        }
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
    }

    /// Finds `name` on the PATH.
    public static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    private static func truncatedFile(_ path: String) throws -> FileHandle {
        FileManager.default.createFile(atPath: path, contents: nil)
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }
}

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass;
/// whether it held.
@discardableResult
public func waitUntil(timeout: Double, interval: Double = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(useconds_t(interval * 1_000_000))
    }
    return try condition()
}
