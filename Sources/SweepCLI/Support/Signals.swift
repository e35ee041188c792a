import CSupport
import Cluster
import Foundation
import SweepSupport
import Synchronization

/// The process-wide stop flag that SIGINT, SIGTERM and SIGHUP set.
let processStop = AtomicFlag()
/// Set by the second signal in a process that can still shut down in order (a coordinator
/// records its running trials as handed back; a worker hands its trial back at once).
let processForce = AtomicFlag()
/// Counts signals (see `installStopSignals`).
/// (Atomic: the handler and the dashboard's stop, on another thread, both count. Its
/// operations are lock-free, so safe in a signal handler.)
private let signalCount = Atomic<Int32>(0)
/// Whether the second signal sets `processForce` (a third exits) or exits at once.
/// (Atomic: set again while the first handler is installed, `sweep run` then its session,
/// and read by the handler; lock-free loads are async-signal-safe.)
private let secondSignalForces = Atomic<Bool>(false)

/// Installs SIGINT/SIGTERM/SIGHUP handlers (SIGHUP: an ssh session that dropped). The
/// first signal asks the running loop to stop cleanly. The second exits at once (status
/// 130), or, with `forceOnSecond`, sets `processForce` so a coordinator records its running
/// trials as handed back before leaving; a third then exits at once.
func installStopSignals(forceOnSecond: Bool = false) {
    secondSignalForces.store(forceOnSecond, ordering: .relaxed)
    let handler: @convention(c) (Int32) -> Void = { _ in
        // Only async-signal-safe work here: a counter (the handler blocks the other stop
        // signals while it runs, so one runs at a time), atomic stores, and _exit.
        let count = signalCount.add(1, ordering: .relaxed).newValue
        if count == 1 {
            processStop.set()
        } else if count == 2 && secondSignalForces.load(ordering: .relaxed) {
            processForce.set()
        } else {
            _exit(130)
        }
    }
    let signals = [SIGINT, SIGTERM, SIGHUP]
    var action = sigaction()
    action.__sigaction_handler.sa_handler = handler
    sigemptyset(&action.sa_mask)
    for s in signals { sigaddset(&action.sa_mask, s) }
    for s in signals { sigaction(s, &action, nil) }
    signal(SIGPIPE, SIG_IGN)
    // A parent may have started us with these signals blocked (the mask is inherited).
    sigprocmask(SIG_UNBLOCK, &action.sa_mask, nil)
}

/// Gives SIGINT, SIGTERM and SIGHUP back their default action (the process ends), for the
/// part of a command after its stoppable loop.
func restoreDefaultStopSignals() {
    for s in [SIGINT, SIGTERM, SIGHUP] { signal(s, SIG_DFL) }
}

/// A stop asked for without a signal (the dashboard's Stop): as a first Ctrl-C, so that the
/// next Ctrl-C counts as the second (it ends a linger, or hands trials back at once).
func requestStop() {
    _ = signalCount.compareExchange(expected: 0, desired: 1, ordering: .relaxed)
    processStop.set()
}

/// Asks Linux to send SIGTERM to this process when its parent dies (local workers of
/// `sweep run`), so that killing the parent never leaves workers behind.
func dieWithParent(_ parentPID: Int32) {
    _ = sweep_terminate_with_parent()
    if getppid() != parentPID { processStop.set() } // the parent is already gone
}
