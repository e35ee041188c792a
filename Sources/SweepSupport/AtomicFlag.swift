import Synchronization

/// A flag one thread sets and another reads: a signal handler asking a poll loop to stop,
/// the worker's network thread telling its runner whether a coordinator is connected.
public final class AtomicFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func set() { flag.store(true, ordering: .relaxed) }
    public func clear() { flag.store(false, ordering: .relaxed) }
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}
