import Foundation
import SweepSupport

/// A study as users see it. The database says RUNNING until the study finishes; whether a
/// coordinator is running it right now is whether one holds its lock (a Ctrl-C or a crash
/// releases it): `status`, the dashboard and reports all ask here.
public enum StudyPhase: String, Sendable {
    case running = "RUNNING"
    case interrupted = "INTERRUPTED"
    case finished = "FINISHED"

    /// The phase of `study` in the database at `databasePath`.
    public static func of(_ study: StudyRecord, databasePath: String) -> StudyPhase {
        if study.state == .finished { return .finished }
        return StudyLockBytes.isHeld(database: databasePath, study: study.name) ? .running : .interrupted
    }
}

/// Where a coordinator's per-study lock lies in the database file (`StudyLock` takes it):
/// one byte per study, from 2^40 up (far beyond any database and SQLite's lock bytes at
/// 1 GiB; the two bytes below are ``DatabaseFileUse``'s).
public enum StudyLockBytes {
    public static let base: Int64 = 1 << 40

    /// A stable byte per study name (FNV-1a, 40 bits): two names sharing one would only
    /// make their coordinators exclude each other, never let two run one study.
    public static func byte(of study: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in study.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return base + Int64(hash & ((1 << 40) - 1))
    }

    /// Whether a coordinator holds the lock of `study` right now. Asks the kernel whether the
    /// lock could be taken (`F_OFD_GETLK`) without taking it, so a coordinator starting at
    /// that instant never fails because of the probe; it needs only read access.
    public static func isHeld(database: String, study: String) -> Bool {
        let real = RealPath.of(database)
        // A kept descriptor, not one opened and closed: closing would drop SQLite's locks of
        // this process on the file (a dashboard asks from inside the coordinator's process).
        guard case .success(let d) = DatabaseDescriptors.checkOut(path: real, writable: false) else { return false }
        defer { DatabaseDescriptors.checkIn(d.fd, writable: d.writable) }
        return FileByteLock.isHeld(d.fd, byte: byte(of: study))
    }
}

/// What `REALPATH.locks/STUDY.lock` says of the coordinator holding a study's lock:
/// `pid 123 on host, listening on tcp://10.0.0.5:5555` (informational: the lock itself is
/// on the database file, see ``StudyLockBytes``; the file outlives a killed coordinator).
public enum StudyLockHolder {
    /// Between the process and the endpoint in the file.
    public static let listeningMark = ", listening on "

    /// The file's text for `study` of the database at `database`, if any.
    public static func text(database: String, study: String) -> String? {
        let real = RealPath.of(database)
        return (try? String(contentsOfFile: "\(real).locks/\(study).lock", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Where workers join the coordinator of `study` (as its lock file says), if known.
    public static func endpoint(database: String, study: String) -> String? {
        text(database: database, study: study).flatMap(endpoint(in:))
    }

    /// The process named in a holder's text (`pid 123 on vm`), if any.
    public static func process(in text: String) -> (pid: Int32, host: String)? {
        guard let m = text.firstMatch(of: /pid (\d+) on ([^,\s]+)/), let pid = Int32(m.1) else { return nil }
        return (pid, String(m.2))
    }

    /// The endpoint named in a holder's text.
    public static func endpoint(in text: String) -> String? {
        guard let range = text.range(of: listeningMark) else { return nil }
        // To the line's end: an `ipc://` path may hold spaces (a TMPDIR with one).
        let rest = text[range.upperBound...].prefix { !$0.isNewline }
        return rest.isEmpty ? nil : String(rest)
    }
}
