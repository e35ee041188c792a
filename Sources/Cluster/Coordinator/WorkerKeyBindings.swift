/// With CURVE, a worker id belongs to the key that first used it: another authorized key
/// cannot take it over (ROUTER_HANDOVER is off then, too).
///
/// Bounded: an authorized key that connects with a fresh id again and again (a worker a
/// scheduler restarts) would otherwise grow the table for as long as the study runs. Past
/// ``limit`` ids, the bindings of workers no longer connected are forgotten (such an id may
/// then be taken by another authorized key; its trials were handed back or lost).
struct WorkerKeyBindings {
    /// Ids kept before those of workers that are gone are forgotten.
    var limit = 8192
    private(set) var keyOfWorker: [String: String] = [:]

    /// Whether a message for worker `id` from `key` is let through: `id` is new (it is
    /// bound to `key` now) or already bound to `key`.
    mutating func admit<Session>(_ id: String, key: String, connected: [String: Session]) -> Bool {
        if let owner = keyOfWorker[id] { return owner == key }
        keyOfWorker[id] = key
        if keyOfWorker.count > limit {
            keyOfWorker = keyOfWorker.filter { connected[$0.key] != nil || $0.key == id }
        }
        return true
    }
}
