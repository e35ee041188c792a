import Foundation

/// Which process a worker is, in terms that a coordinator on the same machine can check
/// without waiting for heartbeats: the kernel it runs on (boot id), its pid namespace, and
/// its start time (so a reused pid is not taken for the worker).
///
/// A worker sends it in `hello` (the `process` field). A coordinator whose own ``machine`` is
/// the same sees the worker's exit within a fraction of a second, instead of after
/// `heartbeat_ms x liveness`; a worker elsewhere (another machine, container or pid
/// namespace) is judged by its heartbeats only. Linux only (`/proc`); elsewhere ``current``
/// is nil and nothing changes.
public struct ProcessIdentity: Sendable, Equatable {
    /// The kernel's boot id and the pid namespace: equal only for processes that see the
    /// same pids.
    public var machine: String
    public var pid: Int
    /// Clock ticks after boot when the process started (`/proc/PID/stat`, field 22).
    public var startTicks: UInt64

    public init(machine: String, pid: Int, startTicks: UInt64) {
        self.machine = machine
        self.pid = pid
        self.startTicks = startTicks
    }

    /// This process, or nil where `/proc` does not tell.
    public static let current: ProcessIdentity? = {
        guard let machine = localMachine, let start = startTicks(of: Int(getpid())) else { return nil }
        return ProcessIdentity(machine: machine, pid: Int(getpid()), startTicks: start)
    }()

    /// Whether this process of this machine is a child of the calling one (a local worker
    /// `sweep run` started, not a `sweep worker` started beside it).
    public var isChildOfThisProcess: Bool { parentPid == Int(getpid()) }

    /// The pid of this process's parent, when it runs on this machine (nil otherwise, or
    /// gone: a pid reused by another process is not it).
    public var parentPid: Int? {
        guard machine == Self.localMachine, case .process(let start, false, let parent) = Self.stat(of: pid), start == startTicks else { return nil }
        return parent
    }

    /// Any process of this machine by its pid, or nil if there is none (or no `/proc`).
    public static func of(pid: Int) -> ProcessIdentity? {
        guard let machine = localMachine, let start = startTicks(of: pid) else { return nil }
        return ProcessIdentity(machine: machine, pid: pid, startTicks: start)
    }

    /// This machine's boot id and pid namespace, e.g. `1c2d…/4026531836`.
    public static let localMachine: String? = {
        guard let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !boot.isEmpty else { return nil }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let namespace = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // "pid:[4026531836]" -> "4026531836"
        let inode = namespace.filter(\.isNumber)
        guard !inode.isEmpty else { return nil }
        return "\(boot)/\(inode)"
    }()

    /// Whether this identity names a process of the machine (and pid namespace) this
    /// process runs in, so that ``hasExited`` can be asked.
    public var isLocal: Bool { Self.localMachine != nil && machine == Self.localMachine }

    /// What this machine sees of the process now.
    public enum Observation: Sendable, Equatable {
        /// It runs (same pid, same start time, not a zombie).
        case running
        /// It is gone: its pid is free, taken by another process (another start time), or a
        /// zombie.
        case gone
        /// This machine cannot tell: the identity is not local, or `/proc/PID/stat` could not
        /// be read for another reason (`hidepid`, no file descriptor left).
        case unknown
    }

    /// What this machine sees of the process now (``Observation``).
    public var observed: Observation {
        guard isLocal else { return .unknown }
        switch Self.stat(of: pid) {
        case .missing: return .gone
        case .unreadable: return .unknown
        case .process(let start, let zombie, _): return zombie || start != startTicks ? .gone : .running
        }
    }

    /// True only when the process is known to be gone (see ``Observation``): a process this
    /// machine cannot see is never taken for dead.
    public var hasExited: Bool { observed == .gone }

    private enum Stat {
        /// No such process (ENOENT, ESRCH).
        case missing
        /// It may exist, but its stat could not be read or parsed.
        case unreadable
        case process(startTicks: UInt64, zombie: Bool, parent: Int?)
    }

    /// `/proc/PID/stat`: after the command name (which may hold spaces and parentheses),
    /// the state is field 3, the parent field 4 and the start time field 22.
    private static func stat(of pid: Int) -> Stat {
        guard pid > 0 else { return .missing }
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno == ENOENT || errno == ESRCH ? .missing : .unreadable }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return n == 0 || errno == ESRCH ? .missing : .unreadable }
        let text = String(decoding: buffer[..<n], as: UTF8.self)
        guard let paren = text.lastIndex(of: ")") else { return .unreadable }
        let fields = text[text.index(after: paren)...].split(separator: " ")
        guard fields.count > 19, let start = UInt64(fields[19]) else { return .unreadable }
        return .process(startTicks: start, zombie: fields[0] == "Z" || fields[0] == "X", parent: Int(fields[1]))
    }

    /// The start time of a live (not zombie) process.
    static func startTicks(of pid: Int) -> UInt64? {
        guard case .process(let start, false, _) = stat(of: pid) else { return nil }
        return start
    }

    /// The wire form, `MACHINE:PID:START`.
    public var token: String { "\(machine):\(pid):\(startTicks)" }

    /// Reads the wire form; nil for anything else.
    public init?(token: String) {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let pid = Int(parts[1]), pid > 0, let start = UInt64(parts[2]) else { return nil }
        self.init(machine: String(parts[0]), pid: pid, startTicks: start)
    }
}
