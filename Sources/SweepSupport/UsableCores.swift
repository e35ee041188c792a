import CSupport
import Foundation

/// The cores this process may use: those of its CPU affinity (`taskset`, a container's
/// cpuset), bounded by its cgroup's CPU quota (`docker --cpus 2`, `cpu.max`). `sweep run`
/// started one worker per core of the machine: `taskset -c 0 sweep run` ran two on one core.
public enum UsableCores {
    public static var count: Int {
        var cores = affinityCount() ?? ProcessInfo.processInfo.activeProcessorCount
        if let quota = quotaCores() { cores = min(cores, quota) }
        return max(1, cores)
    }

    private static func affinityCount() -> Int? {
        let cores = Int(sweep_affinity_cores())
        return cores > 0 ? cores : nil
    }

    /// The quota in whole cores, rounded up (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`).
    private static func quotaCores() -> Int? {
        guard let groups = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in groups.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = fields[2] == "/" ? "" : String(fields[2])
            if fields[0] == "0", fields[1].isEmpty,
               let text = try? String(contentsOfFile: "/sys/fs/cgroup\(path)/cpu.max", encoding: .utf8) {
                let parts = text.split(whereSeparator: \.isWhitespace)
                if parts.count == 2, let quota = Double(parts[0]), let period = Double(parts[1]), period > 0 { return Int((quota / period).rounded(.up)) }
            }
            if fields[1].split(separator: ",").contains("cpu"),
               let quota = (try? String(contentsOfFile: "/sys/fs/cgroup/cpu\(path)/cpu.cfs_quota_us", encoding: .utf8)).flatMap({ Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
               let period = (try? String(contentsOfFile: "/sys/fs/cgroup/cpu\(path)/cpu.cfs_period_us", encoding: .utf8)).flatMap({ Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
               quota > 0, period > 0 {
                return Int((quota / period).rounded(.up))
            }
        }
        return nil
    }
}
