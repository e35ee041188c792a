import Foundation

/// This process's control groups (`/proc/self/cgroup`), for the limits a container sets.
public enum ControlGroups {
    /// The folders of this process's groups that may hold `controller`'s files, in the order
    /// /proc lists them: a cgroup v1 group of that controller
    /// (`/sys/fs/cgroup/memory/PATH`), or the unified v2 group (`/sys/fs/cgroup/PATH`).
    public static func folders(for controller: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let path = fields[2] == "/" ? "" : String(fields[2])
            if fields[0] == "0", fields[1].isEmpty { return "/sys/fs/cgroup\(path)" }
            return fields[1].split(separator: ",").contains(Substring(controller)) ? "/sys/fs/cgroup/\(controller)\(path)" : nil
        }
    }

    /// The number after `name ` on its own line of the file at `path` (`oom_kill 3`).
    public static func counter(_ name: String, in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(line.dropFirst(name.count + 1))
        }
        return nil
    }
}
