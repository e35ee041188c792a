/// With CURVE, a worker id belongs to the key that first used it: another authorized key
/// cannot take it over (ROUTER_HANDOVER is off then, too).
///
/// Bounded: an authorized key that connects with a fresh id again and again (a worker a
/// scheduler restarts) would otherwise grow the table for as long as the study runs. Past
/// ``limit`` ids, the bindings kept are those of connected workers and of the `limit / 2`
/// ids seen last (a worker admitted in the same batch, not connected yet, or one whose
/// trial waits for it to come back); an older id may then be taken by another authorized key.
struct WorkerKeyBindings {
    /// Ids kept before old ones of workers that are gone are forgotten.
    let limit: Int
    private(set) var keyOfWorker: [String: (key: String, seen: Int)] = [:]
    private var seen = 0

    init(limit: Int = 8192) {
        self.limit = limit
    }

    /// Whether a message for worker `id` from `key` is let through: `id` is new (it is
    /// bound to `key` now) or already bound to `key`.
    mutating func admit<Session>(_ id: String, key: String, connected: [String: Session]) -> Bool {
        seen += 1
        if let owner = keyOfWorker[id] {
            guard owner.key == key else { return false }
            keyOfWorker[id]?.seen = seen
            return true
        }
        keyOfWorker[id] = (key, seen)
        if keyOfWorker.count > limit {
            let recent = seen - limit / 2
            keyOfWorker = keyOfWorker.filter { connected[$0.key] != nil || $0.value.seen > recent }
        }
        return true
    }

    /// Frees the ids bound to `keys` (revoked): a host whose key is replaced keeps its
    /// worker ids (`--id %H-%i`), now under the new key.
    mutating func release(keys: Set<String>) {
        guard !keys.isEmpty else { return }
        keyOfWorker = keyOfWorker.filter { !keys.contains($0.value.key) }
    }
}
