import Foundation

/// Writing progress that refreshes in place on a terminal and as plain lines elsewhere.
final class LiveDisplay {
    let isTerminal: Bool
    private var linesShown = 0

    init(fileDescriptor: Int32 = STDOUT_FILENO) {
        isTerminal = isatty(fileDescriptor) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// Replaces the block shown last by `lines` (terminal), or prints them (otherwise).
    func show(_ lines: [String]) {
        var out = ""
        if isTerminal {
            if linesShown > 0 { out += "\u{1B}[\(linesShown)F" } // to the start of the block
            for l in lines { out += "\u{1B}[2K" + l + "\n" }
            if lines.count < linesShown {
                for _ in 0..<(linesShown - lines.count) { out += "\u{1B}[2K\n" }
                out += "\u{1B}[\(linesShown - lines.count)F"
            }
            linesShown = lines.count
        } else {
            out = lines.joined(separator: "\n") + "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// Forgets the block so the next output starts below it.
    func finish() { linesShown = 0 }
}

/// A one-line progress bar: `[=========>          ]`.
func progressBar(_ fraction: Double, width: Int = 24) -> String {
    let f = min(max(fraction, 0), 1)
    let filled = Int(f * Double(width))
    let head = filled < width ? ">" : ""
    return "[" + String(repeating: "=", count: filled) + head + String(repeating: " ", count: max(0, width - filled - head.count)) + "]"
}
