import Foundation

/// How many processes the kernel's OOM killer has ended since boot (`oom_kill` in
/// /proc/vmstat, Linux 4.13 on; it counts a cgroup's own limit too): a trial program killed
/// by SIGKILL while it went up most likely ran out of memory, which "killed by signal 9"
/// did not say.
enum OOMKills {
    /// The count, or nil where the kernel does not tell.
    static func count() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/vmstat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
            return Int(line.dropFirst("oom_kill ".count))
        }
        return nil
    }
}
