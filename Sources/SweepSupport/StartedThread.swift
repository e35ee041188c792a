import Foundation

/// A thread started with `pthread_create`, whose failure is known: Foundation's `Thread`
/// gives no sign when the thread cannot be made (a process limit, `ulimit -u`, or an
/// address-space limit too small for its stack), and a caller that then waited for the
/// thread to finish waited for good (`sweep run` hung at its end, deaf to SIGTERM).
public enum StartedThread {
    /// Runs `body` on a new detached thread named `name`; false when none could be made.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var thread = pthread_t()
        let made = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            Thread.current.name = body.name
            body.run()
            return nil
        }, box)
        guard made == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
