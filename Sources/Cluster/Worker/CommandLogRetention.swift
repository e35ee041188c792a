import Foundation

/// Keeps a worker's command logs (`DIR/STUDY/trial-N.attempt-M.{out,err,params.json}`)
/// under a size and a number of attempts in all: when an attempt ends, the files of the
/// oldest attempts are removed until the rest fit. A long-lived worker (the systemd unit's
/// `/var/log/sweep`, a shared `$TMPDIR`) otherwise kept every attempt's output for as long
/// as it ran; each file is bounded (`maxLogBytes`), their number was not (22,700 files of
/// short trials, and this list of them grew the worker by 0.7 KB an attempt). The coordinator keeps the last 4,000
/// characters of every attempt's output in the database either way (`sweep logs`).
///
/// The folder is read once, at the first attempt's end; after that the worker counts what
/// its own attempts add. Several workers sharing a folder each keep their view under the
/// bound, so the folder holds at most about workers x bound. Used from the runner's thread
/// only.
final class CommandLogRetention {
    let directory: String
    let maxBytes: Int
    /// Attempts kept at most (each up to three files).
    let maxAttempts: Int
    static let defaultMaxAttempts = 10_000
    /// One attempt's log files, removed together.
    private struct Attempt {
        var paths: [String]
        var bytes: Int
        /// The newest of its files' modification times.
        var modified: Double
        /// Found by the scan (another worker's, or from before): one written to in the last
        /// ``busySeconds`` may be running under a sibling (`--workers-per-host`) and is kept.
        var found = false
    }
    static let busySeconds = 600.0
    /// Known attempts, oldest first.
    private var attempts: [Attempt]?
    /// The files of the attempt that ended when the folder was scanned (this worker's).
    private var ownPaths: [String] = []
    private var total = 0
    /// Files removed so far (for the worker's log).
    private(set) var removed = 0

    init(directory: String, maxBytes: Int, maxAttempts: Int = defaultMaxAttempts) {
        // As ``CommandLogs`` names the files (absolute): with `--log-dir logs` the scan's
        // `logs/...` paths did not match the attempt's own, and a worker's first attempt,
        // taken for a sibling's running one, was never removed.
        self.directory = URL(fileURLWithPath: directory).path
        self.maxBytes = maxBytes
        self.maxAttempts = maxAttempts
    }

    /// An attempt's logs (`paths`) are complete: counts them, then removes the oldest
    /// attempts' files (never these) while the logs take more than ``maxBytes`` or more
    /// than ``maxAttempts`` attempts are kept.
    func attemptEnded(_ paths: [String]) {
        if attempts == nil {
            ownPaths = paths
            attempts = scan() // (it finds these too)
        } else if let a = Self.attempt(paths) {
            attempts!.append(a)
            total += a.bytes
        }
        var count = attempts!.count
        guard total > maxBytes || count > maxAttempts else { return }
        let keep = Set(paths)
        let now = Date().timeIntervalSince1970
        var kept: [Attempt] = []
        kept.reserveCapacity(attempts!.count)
        for a in attempts! {
            let busy = a.found && now - a.modified < Self.busySeconds
            if total > maxBytes || count > maxAttempts, keep.isDisjoint(with: a.paths), !busy {
                // Gone already (another worker of this folder removed it) counts as removed.
                for path in a.paths where unlink(path) == 0 || errno == ENOENT { removed += 1 }
                total -= a.bytes
                count -= 1
            } else {
                kept.append(a)
            }
        }
        attempts = kept
    }

    /// The attempts whose logs are under the folder, oldest first.
    private func scan() -> [Attempt] {
        var byBase: [String: [String]] = [:]
        let manager = FileManager.default
        let root = URL(fileURLWithPath: directory)
        for study in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
            let folder = root.appendingPathComponent(study)
            for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] {
                guard let base = Self.attemptName(name) else { continue }
                byBase[folder.appendingPathComponent(base).path, default: []].append(folder.appendingPathComponent(name).path)
            }
        }
        let own = Set(ownPaths)
        let found = byBase.values.compactMap(Self.attempt).map { a -> Attempt in
            var a = a
            a.found = own.isDisjoint(with: a.paths)
            return a
        }.sorted { ($0.modified, $0.paths[0]) < ($1.modified, $1.paths[0]) }
        total = found.reduce(0) { $0 + $1.bytes }
        return found
    }

    /// `trial-N.attempt-M` of one of the files ``CommandLogs`` writes; nil for any other
    /// file (nothing else is removed).
    static func attemptName(_ name: String) -> String? {
        guard name.hasPrefix("trial-"), name.contains(".attempt-") else { return nil }
        for suffix in [".out", ".err", ".params.json"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return nil
    }

    /// The attempt of the regular files among `paths` (nil when there are none).
    private static func attempt(_ paths: [String]) -> Attempt? {
        var a = Attempt(paths: [], bytes: 0, modified: 0)
        for path in paths {
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            a.paths.append(path)
            a.bytes += Int(info.st_size)
            a.modified = max(a.modified, Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        }
        return a.paths.isEmpty ? nil : a
    }
}
