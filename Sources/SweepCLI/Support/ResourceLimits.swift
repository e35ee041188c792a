import Foundation

/// The process limits below which a coordinator or worker cannot run, checked before
/// anything is written: under them the failures were a hang deaf to SIGTERM (a thread or a
/// worker process that could not be made, `ulimit -u 8`, `ulimit -v 300000`), a crash
/// (`ulimit -n 24`) or Foundation's "Bad file descriptor" for the local workers (hard
/// `ulimit -n` below 252), each leaving the study half started.
enum ResourceLimits {
    /// What a command needs at least.
    struct Needs {
        /// Open descriptors (the hard limit: the soft one is raised to it).
        var openFiles: UInt64
        /// Threads and processes of this user (`ulimit -u`; not enforced for root).
        var processes: UInt64
        /// Address space in bytes (`ulimit -v`): thread stacks, BLAS buffers, data.
        var addressSpace: UInt64

        /// `sweep run`, `resume`, `coordinator` (measured: 252 descriptors with two local
        /// workers; some 16 threads in all; hangs below about 440 MiB).
        static let coordinator = Needs(openFiles: 256, processes: 64, addressSpace: 512 << 20)
        /// `sweep worker` (its command trials failed below 72 descriptors).
        static let worker = Needs(openFiles: 128, processes: 32, addressSpace: 512 << 20)
    }

    /// The limits in force: (hard open files, soft processes, soft address space); nil
    /// for none (unlimited, or unknown).
    static func current() -> (openFiles: UInt64?, processes: UInt64?, addressSpace: UInt64?) {
        func limit(_ resource: Int32, hard: Bool) -> UInt64? {
            var l = rlimit()
            guard getrlimit(resource, &l) == 0 else { return nil }
            let value = hard ? l.rlim_max : l.rlim_cur
            return value == rlim_t.max ? nil : UInt64(value) // (RLIM_INFINITY: all bits set)
        }
        return (limit(Int32(RLIMIT_NOFILE.rawValue), hard: true),
                geteuid() == 0 ? nil : limit(Int32(__RLIMIT_NPROC.rawValue), hard: false),
                limit(Int32(RLIMIT_AS.rawValue), hard: false))
    }

    /// Why `needs` cannot be met under the given limits (nil: they can).
    static func problem(_ needs: Needs, openFiles: UInt64?, processes: UInt64?, addressSpace: UInt64?) -> String? {
        var short: [String] = []
        if let openFiles, openFiles < needs.openFiles {
            short.append("open files (hard limit \(openFiles), needs \(needs.openFiles): `ulimit -n 4096`)")
        }
        if let processes, processes < needs.processes {
            short.append("processes and threads (\(processes), needs \(needs.processes): `ulimit -u 4096`)")
        }
        if let addressSpace, addressSpace < needs.addressSpace {
            short.append("address space (\(addressSpace >> 10) KiB, needs \(needs.addressSpace >> 10): `ulimit -v unlimited`)")
        }
        guard !short.isEmpty else { return nil }
        return "this process's limits are too low to run: \(short.joined(separator: "; ")); raise them in the shell or job script that starts sweep, and run the command again"
    }

    /// Throws a usage error when this process's limits are below `needs`.
    static func check(_ needs: Needs) throws {
        let (openFiles, processes, addressSpace) = current()
        if let problem = problem(needs, openFiles: openFiles, processes: processes, addressSpace: addressSpace) { throw UsageError(problem) }
    }
}
