/// A command trial's attempt stores its message and the tail of the program's output in one
/// column (`trial_attempts.error`: "the program exited with status 3" then a
/// `--- stderr (last N characters) ---` block; see CommandLogs). Where the attempt's stored
/// `log_tail` (stdout and stderr, every outcome) is shown as well, only the message is
/// (the dashboard, `sweep show`); databases written before that column have only this tail.
public enum AttemptLog {
    /// The message (nil when there is none) and the log tail (nil when there is none).
    public static func split(_ text: String?) -> (message: String?, log: String?) {
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
