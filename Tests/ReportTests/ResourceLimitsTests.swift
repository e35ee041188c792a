import Foundation
import Testing
@testable import SweepCLI

/// Limits too low to run are refused up front, naming each and what it needs (under them
/// `sweep run` hung deaf to SIGTERM, crashed, or failed with "Bad file descriptor").
struct ResourceLimitsTests {
    @Test func limitsBelowTheNeedsAreNamed() throws {
        let needs = ResourceLimits.Needs.coordinator
        #expect(ResourceLimits.problem(needs, openFiles: nil, processes: nil, addressSpace: nil) == nil)
        #expect(ResourceLimits.problem(needs, openFiles: 1_048_576, processes: 4_096, addressSpace: 8 << 30) == nil)
        let low = try #require(ResourceLimits.problem(needs, openFiles: 128, processes: 12, addressSpace: 300_000 << 10))
        #expect(low.contains("open files (hard limit 128, needs 256: `ulimit -n 4096`)") && low.contains("threads (12, needs 64: `ulimit -u 4096`)")
                && low.contains("address space (300000 KiB, needs 524288: `ulimit -v unlimited`)") && low.contains("raise them"), "\(low)")
        let one = try #require(ResourceLimits.problem(.worker, openFiles: 64, processes: nil, addressSpace: nil))
        #expect(one.contains("needs 128") && !one.contains("ulimit -u") && !one.contains("ulimit -v"), "\(one)")
    }

    /// End to end: a `sweep run` under a low hard descriptor limit exits 2 with the reason,
    /// and leaves no database behind.
    @Test func aRunUnderALowDescriptorLimitIsRefusedBeforeAnythingIsWritten() throws {
        let s = try Scratch("limits")
        defer { s.cleanUp() }
        let file = try s.write("t.yaml", "study: t\nsynthetic:\n  function: sphere\n  epochs: 1\n  inputs:\n    x: {uniform: [-2.0, 2.0]}\nbudget: {trials: 2}\n")
        let r = try s.run("/bin/sh", ["-c", "ulimit -n 200 && exec \"$0\" run \"$1\" --db \"$2\" --workers 1 --no-progress", Scratch.sweep, file, s.db])
        #expect(r.status == 2 && r.output.contains("open files (hard limit 200, needs 256"), "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: s.db))
    }
}
