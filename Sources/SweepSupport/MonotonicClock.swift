import Foundation

/// Seconds since 1970 that never jump: the wall time at creation plus the monotonic time
/// elapsed since. Liveness deadlines and heartbeats use it, so an NTP step (or a manual
/// clock change) cannot declare every worker dead at once; timestamps written to the
/// database stay within the drift of one run.
public struct MonotonicClock: Sendable {
    private let wallAtStart: Double
    private let monotonicAtStart: Double

    public init() {
        wallAtStart = Date().timeIntervalSince1970
        monotonicAtStart = Self.monotonic()
    }

    /// The current time in seconds since 1970.
    public var now: Double { wallAtStart + (Self.monotonic() - monotonicAtStart) }

    private static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
