import CSupport
import SweepSupport
import Foundation

/// A command trial's program: a child in its own process group that dies with the worker
/// (PR_SET_PDEATHSIG), with its stdout, stderr and report channel on pipes the worker
/// reads, and a decision channel the worker writes.
final class ChildProcess {
    /// Descriptor numbers inside the child.
    static let reportFD: Int32 = 3
    static let decisionFD: Int32 = 4

    let pid: pid_t
    /// The worker's ends: read (stdout, stderr, reports) and write (decisions).
    let stdout: Int32
    let stderr: Int32
    let reports: Int32
    /// Readable once the child has ended (-1 without pidfd support: then poll with a timeout).
    let exited: Int32
    private(set) var decisions: Int32
    /// Set once reaped: exit status, or the killing signal.
    private(set) var exit: (code: Int32, signal: Int32)?

    /// Starts `argv` (argv[0] looked up in PATH) with exactly `environment`.
    init(argv: [String], environment: [String: String], directory: String?) throws {
        var pipes: [(read: Int32, write: Int32)] = []
        defer {
            // The child's ends are the child's now (or of nobody, on failure).
            for p in pipes.prefix(3) { close(p.write) }
            if pipes.count == 4 { close(pipes[3].read) }
        }
        for _ in 0..<4 {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw ChildError.spawn(argv[0], errno) }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            pipes.append((fds[0], fds[1]))
        }
        // Child: 0 = /dev/null, 1 = stdout pipe, 2 = stderr pipe, 3 = reports, 4 = decisions.
        let childFDs: [Int32] = [-1, pipes[0].write, pipes[1].write, pipes[2].write, pipes[3].read]
        // Which pipes descriptors 3 and 4 are (their inodes): a process a launcher started
        // may have them closed, or hold its own files there (Python's subprocess closes
        // them), and the client wrote reports into the program's log file.
        var environment = environment
        for (variable, fd) in [("SWEEP_REPORT_PIPE", pipes[2].write), ("SWEEP_DECISION_PIPE", pipes[3].read)] {
            var info = stat()
            if fstat(fd, &info) == 0 { environment[variable] = String(info.st_ino) }
        }
        let env = environment.map { "\($0.key)=\($0.value)" }
        var error: Int32 = 0
        let pid = withCStrings(argv) { cArgv in
            withCStrings(env) { cEnv in
                childFDs.withUnsafeBufferPointer { fdp in
                    sweep_spawn(cArgv, cEnv, directory, fdp.baseAddress, Int32(childFDs.count), &error)
                }
            }
        }
        guard pid > 0 else {
            for p in pipes { close(p.read) }
            close(pipes[3].write)
            pipes = []
            throw ChildError.spawn(argv[0], error, directory: directory)
        }
        self.pid = pid
        (stdout, stderr, reports, decisions) = (pipes[0].read, pipes[1].read, pipes[2].read, pipes[3].write)
        exited = sweep_exit_descriptor(pid)
        for fd in [stdout, stderr, reports, decisions] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit {
        for fd in [stdout, stderr, reports, decisions, exited] where fd >= 0 { close(fd) }
        if exit == nil {
            signalGroup(SIGKILL)
            while reap() == false { usleep(1000) }
        }
    }

    /// Signals the whole process group (the program and whatever it started).
    func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// Checks without blocking whether the child ended; true once it has.
    @discardableResult
    func reap() -> Bool {
        if exit != nil { return true }
        var code: Int32 = 0, sig: Int32 = 0
        let r = sweep_reap(pid, &code, &sig)
        if r == 1 || r == -1 { exit = (code, r == -1 ? SIGKILL : sig) }
        return exit != nil
    }

    /// Writes a line to the decision channel; dropped when the program does not read it
    /// (a full pipe) or has closed it.
    func writeDecision(_ line: String) {
        guard decisions >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(decisions, $0.baseAddress, $0.count) }
        if n < 0 && errno == EPIPE {
            close(decisions)
            decisions = -1
        }
    }

    /// The most one ``readAvailable(_:into:)`` takes.
    static let maxReadBytes = 1 << 20

    /// Whether `fd` has something to read now (or its end), without waiting.
    static func hasInput(_ fd: Int32) -> Bool {
        var item = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&item, 1, 0) == 1 && item.revents & Int16(POLLIN | POLLHUP) != 0
    }

    /// Reads what is available from `fd` (up to `limit`, in 64 KiB reads) into `buffer`;
    /// false at the end of the stream.
    static func readAvailable(_ fd: Int32, into buffer: inout [UInt8], limit: Int = maxReadBytes) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer += chunk[0..<n]
                // At most 1 MiB a call: a program writing without pause must not make the
                // worker hold all it writes (1.3 GB seen); the rest waits for the next poll.
                if n < chunk.count || buffer.count >= limit { return true }
            } else if n == 0 {
                return false
            } else {
                return errno == EAGAIN || errno == EINTR
            }
        }
    }
}

enum ChildError: Error, CustomStringConvertible {
    /// The program, errno, and the directory it was to run in (nil: the worker's).
    case spawn(String, Int32, directory: String? = nil)

    var description: String {
        switch self {
        case .spawn(let program, let error, let directory):
            return "could not start '\(program)': \(String(cString: strerror(error)))\(Self.hint(program, error, directory: directory))"
        }
    }

    /// What the user can do: a name without a slash is looked up in PATH only (a file of
    /// that name in the directory is not run: "No such file or directory" although it is
    /// there), and a file without execute permission runs through its interpreter.
    /// A file that is there but "No such file or directory": its `#!` line names an
    /// interpreter that is not (or ends with a carriage return: a file saved with Windows
    /// line endings); a directory is "Permission denied".
    static func hint(_ program: String, _ error: Int32, directory: String?) -> String {
        let dir = directory ?? FileManager.default.currentDirectoryPath
        let path = program.hasPrefix("/") ? program : dir + "/" + program
        var isDirectory: ObjCBool = false
        let inDirectory = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if error == ENOENT, !program.contains("/"), inDirectory {
            return " in PATH (a name without a slash is looked up there only); it is in \(dir): write ./\(program) in the command, or run it through its interpreter (e.g. [sh, \(program)] or [python3, \(program)])"
        }
        if error == ENOENT, program.contains("/"), inDirectory, !isDirectory.boolValue, let shebang = Shebang(file: path) {
            if shebang.endsWithCarriageReturn {
                return " (its #! line ends with a carriage return: the file has Windows line endings; convert it with dos2unix \(program) or sed -i 's/\\r$//' \(program))"
            }
            return " (the interpreter its #! line names, \(shebang.interpreter ?? "nothing"), does not exist here: install it, fix the line, or run the file through one, e.g. [python3, \(program)])"
        }
        if error == EACCES, isDirectory.boolValue {
            return " (it is a directory)"
        }
        if error == EACCES, inDirectory, !FileManager.default.isExecutableFile(atPath: path) {
            return " (it is not executable: chmod +x \(program), or run it through its interpreter, e.g. [python3, \(program)])"
        }
        return ""
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
