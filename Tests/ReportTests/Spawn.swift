import Foundation

/// Runs a program with posix_spawn and waitpid. Unlike Foundation's `Process`, whose end
/// is only noticed once every process that inherited its descriptors has exited, this
/// returns when the program itself exits, even if it left a daemon behind (a tmux server).
enum Spawn {
    static func run(_ executable: String, _ arguments: [String], output: String, timeout: Double) throws -> Int32 {
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
}

extension Scratch {
    /// Runs a short-lived program (see ``Spawn``) and returns its status and output.
    func spawn(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> (status: Int32, output: String) {
        let log = path("spawn-\(UUID().uuidString.prefix(6)).log")
        let status = try Spawn.run(executable, arguments, output: log, timeout: timeout)
        defer { try? FileManager.default.removeItem(atPath: log) }
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
