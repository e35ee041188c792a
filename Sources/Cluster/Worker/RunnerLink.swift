import Synchronization
import ZeroMQ

/// The link between a worker's network thread and its runner thread.
///
/// Messages cross as typed values, decoded once at the network edge (``Worker``) and
/// encoded once there on the way out, through two mailboxes; the `inproc://` PAIR sockets
/// (one end per thread, each used only by its thread) carry just a one-byte wake-up, so
/// each side can wait for the other in its poller alongside its other sockets and pipes.
final class RunnerLink: Sendable {
    /// What the network thread tells the runner.
    enum ToRunner: Sendable, Equatable {
        case command(WorkerCore.RunnerCommand)
        /// Leave the runner loop.
        case quit
    }

    /// What the runner tells the network thread.
    typealias FromRunner = WorkerCore.RunnerEvent

    private let toRunner = Mutex<[ToRunner]>([])
    private let fromRunner = Mutex<[FromRunner]>([])

    init() {}

    /// Network thread: queues `message` for the runner and wakes it through `socket`.
    func send(_ message: ToRunner, waking socket: Socket) {
        toRunner.withLock { $0.append(message) }
        Self.wake(socket)
    }

    /// Runner thread: queues `message` for the network thread and wakes it through `socket`.
    func send(_ message: FromRunner, waking socket: Socket) {
        queue(message)
        Self.wake(socket)
    }

    /// Runner thread: queues `message` without a wake-up; it goes with the next message
    /// sent with one (the network thread takes everything queued at each wake-up).
    func queue(_ message: FromRunner) {
        fromRunner.withLock { $0.append(message) }
    }

    /// Runner thread: the oldest message from the network thread, if any.
    func nextToRunner() -> ToRunner? {
        toRunner.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    /// Network thread: everything the runner queued, oldest first, after reading the
    /// wake-ups that `socket` holds.
    func takeFromRunner(_ socket: Socket) -> [FromRunner] {
        Self.readWakeUps(socket)
        return fromRunner.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
    }

    /// Reads the wake-ups waiting on `socket` (messages are in the mailboxes, not in them).
    static func readWakeUps(_ socket: Socket) {
        while (try? socket.receive(dontWait: true)) != nil {}
    }

    private static func wake(_ socket: Socket) {
        // An inproc PAIR with a live peer does not fail short of context termination; a
        // wake-up dropped at the high-water mark is harmless, the peer has others unread.
        _ = try? socket.send([[1]], dontWait: true)
    }
}
