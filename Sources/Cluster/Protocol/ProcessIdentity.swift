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

    /// True when the process is known to be gone: a local identity whose pid is free, taken
    /// by another process (a different start time), or a zombie. False when it runs or
    /// when this machine cannot tell (not local).
    public var hasExited: Bool {
        guard isLocal else { return false }
        return Self.startTicks(of: pid) != startTicks
    }

    /// The start time of a live (not zombie) process, from `/proc/PID/stat`.
    static func startTicks(of pid: Int) -> UInt64? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces and parentheses): state is field 3,
        // start time field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return UInt64(fields[19])
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
