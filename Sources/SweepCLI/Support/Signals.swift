import CSupport
import Cluster
import Foundation

/// The process-wide stop flag that SIGINT and SIGTERM set.
let processStop = AtomicFlag()
/// Counts signals: a second one exits at once.
nonisolated(unsafe) private var signalCount: Int32 = 0

/// Installs SIGINT/SIGTERM handlers: the first asks the running loop to stop cleanly,
/// the second exits immediately (status 130).
func installStopSignals() {
    let handler: @convention(c) (Int32) -> Void = { _ in
        // Only async-signal-safe work here: a counter (only this handler touches it; the two
        // signals are handled one at a time), an atomic store, and _exit.
        signalCount += 1
        if signalCount > 1 { _exit(130) }
        processStop.set()
    }
    signal(SIGINT, handler)
    signal(SIGTERM, handler)
    signal(SIGPIPE, SIG_IGN)
    // A parent may have started us with these signals blocked (the mask is inherited).
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    sigprocmask(SIG_UNBLOCK, &set, nil)
}

/// Asks Linux to send SIGTERM to this process when its parent dies (local workers of
/// `sweep run`), so that killing the parent never leaves workers behind.
func dieWithParent(_ parentPID: Int32) {
    _ = sweep_terminate_with_parent()
    if getppid() != parentPID { processStop.set() } // the parent is already gone
}
