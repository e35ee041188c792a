import Foundation
import Synchronization

/// Minimal leveled logging to standard error, each line stamped with local date and time.
///
/// Rate-limited per key, so a flood of garbage messages cannot flood the log.
public final class Log: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var label: String { ["debug", "info", "warning", "error"][rawValue] }
    }

    public let label: String
    public let minimum: Level
    private let lastByKey = Mutex<[String: Double]>([:])

    public init(label: String, minimum: Level = .info) {
        self.label = label
        self.minimum = minimum
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard level >= minimum else { return }
        let stamp = Log.timestamp()
        StandardStream.error.write("\(stamp) \(label) \(level.label): \(message())\n")
    }

    public func debug(_ m: @autoclosure () -> String) { log(.debug, m()) }
    public func info(_ m: @autoclosure () -> String) { log(.info, m()) }
    public func warning(_ m: @autoclosure () -> String) { log(.warning, m()) }
    public func error(_ m: @autoclosure () -> String) { log(.error, m()) }

    /// Logs at most once per `interval` seconds for `key`.
    public func limited(_ level: Level, key: String, interval: Double = 10, _ message: @autoclosure () -> String) {
        let now = Date().timeIntervalSince1970
        let allowed = lastByKey.withLock { last -> Bool in
            if let t = last[key], now - t < interval { return false }
            last[key] = now
            if last.count > 10_000 { last.removeAll() }
            return true
        }
        if allowed { log(level, message()) }
    }

    /// Local date and time with the offset from UTC, `2026-12-07 14:35:02+0100`: workers and
    /// coordinators run for days (`--forever`, systemd units), where a time of day alone is
    /// ambiguous, and logs of machines in several time zones are read side by side.
    static func timestamp(_ seconds: time_t = time(nil)) -> String {
        var t = seconds
        var tmv = tm()
        localtime_r(&t, &tmv)
        let offset = abs(tmv.tm_gmtoff) / 60
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d%@%02d%02d", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec,
                      tmv.tm_gmtoff < 0 ? "-" : "+", offset / 60, offset % 60)
    }
}
