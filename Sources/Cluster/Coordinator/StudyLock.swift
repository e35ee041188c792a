import Foundation

/// One coordinator per study: an exclusive `flock` on `DB.locks/STUDY.lock`, held for the
/// coordinator's life. The kernel releases it when the process dies (even `kill -9`), so a
/// crash never leaves a stale lock behind.
public final class StudyLock {
    private let fd: Int32
    public let path: String

    /// Takes the lock, or fails naming the process that holds it.
    public init(database: String, study: String) throws {
        path = Self.path(database: database, study: study)
        try FileManager.default.createDirectory(atPath: database + ".locks", withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw StudyLockError.cannotOpen(path, String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw StudyLockError.held(study: study, holder: holder)
        }
        self.fd = fd
        // Who holds it, for the message another coordinator gets.
        let me = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(fd, 0)
        _ = me.withCString { write(fd, $0, strlen($0)) }
    }

    /// Where the lock of `study` lives (also read by `sweep status` to tell a running study
    /// from an interrupted one).
    public static func path(database: String, study: String) -> String {
        "\(database).locks/\(study).lock"
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

public enum StudyLockError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(String, String)
    case held(study: String, holder: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let why): return "cannot open the study lock \(path): \(why)"
        case .held(let study, let holder):
            return "study '\(study)' is already being run by another coordinator\(holder.isEmpty ? "" : " (\(holder))"); stop it first, or add workers to it with `sweep worker --connect`"
        }
    }
}
