import SweepSupport
import CSupport
import Foundation

/// One small process per worker that outlives it just long enough to kill what its command
/// trials left: when the worker ends (even by kill -9), the guardian kills the running
/// trial's process group and every process carrying this worker's marker in its environment
/// (`SWEEP_GUARD`), which the programs' children inherit even when they double-fork or
/// `setsid` away from the group. PR_SET_PDEATHSIG covers only the direct child.
///
/// Started once, at the worker's first command trial; per trial it costs one pipe write at
/// start and one at the end. Used on the runner thread only.
final class ProcessGuardian {
    /// The environment variable every program of this worker gets, and its value.
    static let variable = "SWEEP_GUARD"
    let token: String
    private let pid: pid_t
    private var output: Int32

    init?(log: Log) {
        token = "\(getpid())-\(UInt64.random(in: 1...UInt64.max))"
        var fd: Int32 = -1
        let pid = sweep_guardian_start("\(Self.variable)=\(token)", &fd)
        guard pid > 0 else {
            log.warning("could not start the process guardian (\(String(cString: strerror(errno)))): a kill -9 of this worker may leave processes of its command trials behind")
            return nil
        }
        self.pid = pid
        output = fd
    }

    /// The process group of the trial running now (0: none).
    func record(group: pid_t) {
        sweep_guardian_record(output, group)
    }

    /// A trial ended: kills what it left running outside its process group (a `setsid` or
    /// double-forked descendant lived on until the worker exited, holding memory, GPUs or
    /// ports the next trial needs). Only this worker's programs carry the marker, and one
    /// trial runs at a time, so whatever carries it now belongs to the trial that ended.
    /// Costs one pass over /proc; returns how many processes it killed. The trial's own
    /// group (`group`, killed already and still exiting) is left out of the count.
    @discardableResult
    func killLeftovers(outside group: pid_t) -> Int {
        Int(sweep_kill_marked("\(Self.variable)=\(token)", group))
    }

    /// The worker ends normally: the guardian sweeps up and exits.
    func finish() {
        guard output >= 0 else { return }
        close(output)
        output = -1
        // It sweeps /proc once and exits; wait (bounded) so that no zombie is left.
        var code: Int32 = 0, signal: Int32 = 0
        var waited = 0
        while sweep_reap(pid, &code, &signal) == 0 && waited < 2000 {
            usleep(1000)
            waited += 1
        }
    }

    deinit { finish() }
}
