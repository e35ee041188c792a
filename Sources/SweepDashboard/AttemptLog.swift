/// A command trial's attempt stores its message and the tail of the program's output in one
/// column (`trial_attempts.error`: "the program exited with status 3" then a
/// `--- stderr (last N characters) ---` block; see CommandLogs). The study page shows only the
/// message. The trial page shows the attempt's stored `log_tail` (stdout and stderr, every
/// outcome) and falls back to this stderr tail for databases written before that column.
enum AttemptLog {
    /// The message (nil when there is none) and the log tail (nil when there is none).
    static func split(_ text: String?) -> (message: String?, log: String?) {
        guard let text else { return (nil, nil) }
        let start: String.Index?
        if text.hasPrefix("--- std") {
            start = text.startIndex
        } else {
            start = text.range(of: "\n--- std")?.lowerBound
        }
        guard let start else { return (text, nil) }
        let message = String(text[..<start])
        let log = String(text[start...].drop { $0 == "\n" })
        return (message.isEmpty ? nil : message, log)
    }
}
