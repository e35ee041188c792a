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
        #expect(stamp.count == 24)
        #expect(stamp.hasPrefix(String(format: "%04d-%02d-%02d ", local.tm_year + 1900, local.tm_mon + 1, local.tm_mday)))
        let offset = abs(local.tm_gmtoff) / 60
        #expect(stamp.hasSuffix(String(format: " %02d:%02d:00%@%02d%02d", local.tm_hour, local.tm_min, local.tm_gmtoff < 0 ? "-" : "+", offset / 60, offset % 60)), "\(stamp)")
    }

    @Test func stampsOfDifferentDaysDiffer() {
        let noon = time_t(1_796_558_400)
        #expect(Log.timestamp(noon) != Log.timestamp(noon + 86_400))
        #expect(Log.timestamp(noon).suffix(13) == Log.timestamp(noon + 86_400).suffix(13))
    }
}
