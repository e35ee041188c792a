import Foundation
import SweepSupport

/// How many processes the kernel's OOM killer has ended: in this process's memory cgroup
/// (`memory.events` of cgroup v2, `memory.oom_control` of v1: a container's limit), else
/// on the whole machine (`oom_kill` in /proc/vmstat, Linux 4.13 on). A trial program killed
/// by SIGKILL while it went up most likely ran out of memory, which "killed by signal 9" did
/// not say. (The cgroup's count first: the machine's counts other containers' kills too.)
enum OOMKills {
    /// The count, or nil where the kernel does not tell.
    static func count() -> Int? {
        for folder in ControlGroups.folders(for: "memory") {
            if let n = ControlGroups.counter("oom_kill", in: folder + "/memory.events") ?? ControlGroups.counter("oom_kill", in: folder + "/memory.oom_control") {
                return n
            }
        }
        return ControlGroups.counter("oom_kill", in: "/proc/vmstat")
    }
}
