import Foundation

/// How many processes the kernel's OOM killer has ended: in this process's memory cgroup
/// (`memory.events` of cgroup v2, `memory.oom_control` of v1: a container's limit), else
/// on the whole machine (`oom_kill` in /proc/vmstat, Linux 4.13 on). A trial program killed
/// by SIGKILL while it went up most likely ran out of memory, which "killed by signal 9" did
/// not say. (The cgroup's count first: the machine's counts other containers' kills too.)
enum OOMKills {
    /// The count, or nil where the kernel does not tell.
    static func count() -> Int? {
        cgroupCount() ?? counter("oom_kill", in: "/proc/vmstat")
    }

    private static func cgroupCount() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0", fields[1].isEmpty, let n = counter("oom_kill", in: "/sys/fs/cgroup\(path == "/" ? "" : path)/memory.events") { return n }
            if fields[1].split(separator: ",").contains("memory"), let n = counter("oom_kill", in: "/sys/fs/cgroup/memory\(path == "/" ? "" : path)/memory.oom_control") { return n }
        }
        return nil
    }

    /// The number after `name ` on its own line of the file at `path`.
    private static func counter(_ name: String, in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(line.dropFirst(name.count + 1))
        }
        return nil
    }
}
