import COpenBLAS
import Foundation

/// Which of OpenBLAS's kernels this process multiplies with, and a remedy for a library
/// older than the CPU.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks its kernels for the CPU when the
/// library loads. A build that does not know the CPU falls back to its generic SSE3
/// kernels ("Prescott"): Debian 12's 0.3.21 on Intel's Emerald Rapids (family 6, model
/// 207) did, and every product ran 3-4x slower than with the AVX-512 kernels the CPU has
/// (the MLP at batch 32 trained at 21k samples/s instead of ~50k). `OPENBLAS_CORETYPE`
/// names the kernels, but the library reads it only as it loads, before `main`: so
/// ``restartWithFittingKernelsIfNeeded()`` starts the process again with it set.
public enum BLASKernels {
    /// The kernels OpenBLAS uses in this process ("SkylakeX", "Haswell", "Prescott").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's version and build options, as it reports them.
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// Kernel families with AVX, from the slowest up, and what the CPU needs for each.
    private static let tiers: [(core: String, needs: Set<String>)] = [
        ("Sandybridge", ["avx"]),
        ("Haswell", ["avx2", "fma"]),
        ("SkylakeX", ["avx512f", "avx512bw", "avx512dq", "avx512vl"]),
    ]

    /// OpenBLAS's kernels without AVX (`openblas_get_corename()`): what it falls back to on
    /// a CPU it does not know. Any other name is a choice it made for a CPU it knows (AMD's
    /// Bulldozer to Excavator and Zen included), and kept.
    private static let generic: Set<String> = [
        "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine", "Northwood",
        "Banias", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Bobcat", "Nano", "Unknown",
    ]

    /// The kernels to ask for instead of `picked`, or nil to keep it: only when OpenBLAS
    /// fell back to generic kernels without AVX on a CPU whose `flags` (as `/proc/cpuinfo`
    /// lists them: features the kernel enabled) have AVX or more.
    public static func replacement(picked: String, cpuFlags: Set<String>) -> String? {
        guard generic.contains(picked) else { return nil }
        return tiers.last { $0.needs.isSubset(of: cpuFlags) }?.core
    }

    /// The feature flags of the first CPU in `/proc/cpuinfo` (empty when unreadable).
    static func cpuFlags(cpuinfo: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: cpuinfo, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Replaces the process image with itself, `OPENBLAS_CORETYPE` set, when OpenBLAS chose
    /// generic kernels for a CPU it did not know (``replacement(picked:cpuFlags:)``). Call it
    /// first thing in `main`, before Sweep opens anything (the exec keeps open descriptors;
    /// the threads OpenBLAS started as it loaded end with the old image). A value the user set is
    /// left alone; when the restart fails the process goes on as it is. Processes started
    /// from this one inherit the setting, so workers and trial programs load the right
    /// kernels at once.
    public static func restartWithFittingKernelsIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let core = replacement(picked: coreName, cpuFlags: cpuFlags()),
              let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              // Started through the dynamic loader (`ld-linux-x86-64.so.2 ./sweep ...`), the
              // executable is the loader, which would take the arguments for a program.
              !(executable as NSString).lastPathComponent.hasPrefix("ld-"),
              setenv("OPENBLAS_CORETYPE", core, 1) == 0 else { return }
        // (The process's real arguments: `runMain(arguments)` is only ever called with them.)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the restart failed. The generic kernels are correct, only slow.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
