import ZeroMQ

/// The messages between a worker's network thread and its runner thread, over an
/// `inproc://` PAIR socket: a kind frame, then the frames of a protocol message in its wire
/// encoding (JSON and an optional attachment), forwarded untouched.
enum RunnerLink {
    enum ToRunner: String {
        /// Payload: an `assign` message.
        case assign
        /// Payload: a `decision` message.
        case decision
        /// Payload: a `cancel` message.
        case cancel
        /// Finish the current epoch, then hand the trial back (SIGTERM).
        case stopAfterEpoch = "stop_after_epoch"
        /// Leave the runner loop.
        case quit
        /// Payload: a `data_manifest`, `data_chunk` or `data_refused` message.
        case data
    }

    enum FromRunner: String {
        /// Payload: a `report`, `result` or `failure` message for the coordinator.
        case forward
        /// The trial was stopped before its end on request (SIGTERM); payload: report of it as a `bye`.
        case returned
        /// The trial was dropped after a `cancel`.
        case aborted
    }

    /// Sends a kind and the frames of a message (its JSON, and an attachment if any).
    static func send(_ socket: Socket, _ kind: String, _ frames: [[UInt8]] = [[]]) {
        // An inproc PAIR with a live peer does not fail short of context termination.
        _ = try? socket.send([Array(kind.utf8)] + frames)
    }

    static func parse(_ m: Message) -> (kind: String, frames: [[UInt8]])? {
        guard m.frames.count >= 2 else { return nil }
        return (String(decoding: m.frames[0], as: UTF8.self), Array(m.frames.dropFirst()))
    }
}
