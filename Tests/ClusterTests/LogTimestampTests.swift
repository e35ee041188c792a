import Foundation
import Testing
@testable import SweepSupport

/// Log lines carry the date: a `--forever` worker's or a systemd unit's log spans days.
@Suite struct LogTimestampTests {
    @Test func aStampNamesTheLocalDateAndTime() {
        let noon = time_t(1_796_558_400) // 2026-12-06 12:00:00 UTC
        var local = tm()
        var copy = noon
        localtime_r(&copy, &local)
        let stamp = Log.timestamp(noon)
        #expect(stamp.count == 19)
        #expect(stamp.hasPrefix(String(format: "%04d-%02d-%02d ", local.tm_year + 1900, local.tm_mon + 1, local.tm_mday)))
        #expect(stamp.hasSuffix(String(format: " %02d:%02d:00", local.tm_hour, local.tm_min)))
    }

    @Test func stampsOfDifferentDaysDiffer() {
        let noon = time_t(1_796_558_400)
        #expect(Log.timestamp(noon) != Log.timestamp(noon + 86_400))
        #expect(Log.timestamp(noon).suffix(8) == Log.timestamp(noon + 86_400).suffix(8))
    }
}
