import Foundation
import SweepTestSupport
import Testing
@testable import Training

/// OpenBLAS older than the CPU: generic kernels are replaced by the best the CPU runs.
@Suite struct BLASKernelsTests {
    static let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]

    @Test func genericKernelsOnACPUWithAVXAreReplacedByTheBestItRuns() {
        #expect(BLASKernels.replacement(picked: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.replacement(picked: "Core2", cpuFlags: ["sse3", "avx", "avx2", "fma"]) == "Haswell")
        #expect(BLASKernels.replacement(picked: "Nehalem", cpuFlags: ["sse4_2", "avx"]) == "Sandybridge")
        // AVX2 without FMA is not Haswell's.
        #expect(BLASKernels.replacement(picked: "Prescott", cpuFlags: ["avx", "avx2"]) == "Sandybridge")
        // A CPU without AVX keeps what OpenBLAS chose, and so does one OpenBLAS recognised.
        #expect(BLASKernels.replacement(picked: "Prescott", cpuFlags: ["sse3", "ssse3"]) == nil)
        // AMD's AVX families are recognised choices too (Excavator was "restarted" as Haswell).
        for known in ["Sandybridge", "Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "Bulldozer", "Piledriver", "Steamroller", "Excavator"] {
            #expect(BLASKernels.replacement(picked: known, cpuFlags: Self.avx512) == nil, "\(known)")
        }
    }

    @Test func cpuFlagsAreTheFirstProcessorsFlags() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "processor\t: 0\nmodel\t\t: 207\nflags\t\t: fpu sse3 avx2 fma avx512f\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(BLASKernels.cpuFlags(cpuinfo: file) == ["fpu", "sse3", "avx2", "fma", "avx512f"])
        #expect(BLASKernels.cpuFlags(cpuinfo: file + ".missing").isEmpty)
    }

    /// The `sweep` binary multiplies with kernels this machine's CPU runs best (Debian 12's
    /// OpenBLAS chose its SSE3 kernels on an AVX-512 CPU it did not know), says which in
    /// `--version`, and leaves a choice the user made alone.
    @Test func theSweepBinaryUsesKernelsFitForThisCPU() throws {
        let h = try SweepHarness("blas-kernels")
        defer { h.cleanUp() }
        let version = try h.sweep(["--version"])
        #expect(version.status == 0, "\(version.output)")
        let core = try #require(version.output.firstMatch(of: /\(OpenBLAS [0-9.]+, (\w+) kernels\)/)?.1, "\(version.output)")
        #expect(BLASKernels.replacement(picked: String(core), cpuFlags: BLASKernels.cpuFlags()) == nil, "\(version.output)")
        let chosen = try h.run(SweepHarness.sweep, ["--version"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(chosen.output.contains("Prescott kernels)"), "\(chosen.output)")
    }
}
