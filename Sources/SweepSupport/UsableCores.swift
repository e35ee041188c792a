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
        func number(_ path: String) -> Double? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        for folder in ControlGroups.folders(for: "cpu") {
            if let text = try? String(contentsOfFile: folder + "/cpu.max", encoding: .utf8) {
                let parts = text.split(whereSeparator: \.isWhitespace)
                if parts.count == 2, let quota = Double(parts[0]), let period = Double(parts[1]), period > 0 { return Int((quota / period).rounded(.up)) }
            }
            if let quota = number(folder + "/cpu.cfs_quota_us"), let period = number(folder + "/cpu.cfs_period_us"), quota > 0, period > 0 {
                return Int((quota / period).rounded(.up))
            }
        }
        return nil
    }
}
