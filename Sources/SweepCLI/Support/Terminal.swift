import CSupport
import Foundation
import SweepSupport

/// Writing progress that refreshes in place on a terminal and as plain lines elsewhere.
///
/// In place means: move the cursor up by the screen rows the last block took, and write the
/// new block over it. Rows, not lines: each line is cut to the terminal's width, so it takes
/// exactly one row, and the block to its height (the cursor cannot move above the screen).
/// If the terminal got narrower since, the old lines wrapped: their rows are counted again.
final class LiveDisplay {
    let isTerminal: Bool
    private let fileDescriptor: Int32
    /// Lengths (in columns) of the lines of the block on screen.
    private var shown: [Int] = []

    init(fileDescriptor: Int32 = STDOUT_FILENO) {
        self.fileDescriptor = fileDescriptor
        isTerminal = isatty(fileDescriptor) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// Replaces the block shown last by `lines` (terminal), or prints them (otherwise).
    func show(_ lines: [String]) {
        guard isTerminal else {
            write(lines.joined(separator: "\n") + "\n")
            return
        }
        let size = terminalSize()
        var out = moveToBlockStart(columns: size.columns)
        let fitted = Self.fit(lines, columns: size.columns, rows: size.rows)
        for l in fitted { out += "\u{1B}[2K" + l + "\n" }
        out += "\u{1B}[J" // a longer block before: clear what is left of it
        shown = fitted.map(TerminalWidth.of)
        write(out)
    }

    /// Leaves the block: kept on screen (`keep`), or erased so that what is printed next
    /// (a final summary) is not shown twice.
    func finish(keep: Bool) {
        if isTerminal && !keep && !shown.isEmpty {
            write(moveToBlockStart(columns: terminalSize().columns) + "\u{1B}[J")
        }
        shown = []
    }

    /// The escape sequence to the first row of the block on screen.
    private func moveToBlockStart(columns: Int) -> String {
        let rows = shown.reduce(0) { $0 + max(1, ($1 + columns - 1) / columns) }
        return rows > 0 ? "\u{1B}[\(rows)F" : ""
    }

    /// Lines cut to `columns - 1` terminal columns (a line that fills the last column wraps
    /// on some terminals; a CJK character or an emoji takes two), and at most `rows - 1` of
    /// them (the cursor stays on the screen).
    static func fit(_ lines: [String], columns: Int, rows: Int) -> [String] {
        var block = lines
        let height = max(2, rows - 1)
        if block.count > height {
            let hidden = block.count - (height - 1)
            block = Array(block.prefix(height - 1)) + ["  (\(hidden) more line(s); make the terminal taller)"]
        }
        let width = max(10, columns - 1)
        return block.map { TerminalWidth.cut(keepingPhase(in: narrowingBar(in: $0, to: width), to: width), columns: width) }
    }

    /// The headline (`name [bar] 3/20 trials  [RUNNING]`) fitted to `columns` by giving up
    /// its bar, then the middle of the study's name, before the counts and the phase tag: at
    /// 30 columns the cut end took `[RUNNING]`, the one word a watcher looks for. Other lines
    /// are returned as they are.
    static func keepingPhase(in line: String, to columns: Int) -> String {
        guard TerminalWidth.of(line) > columns,
              let parts = line.wholeMatch(of: /(\S+) (?:\[[=> ]*\] )?(.*)(  \[[A-Z]+\])/) else { return line }
        let (name, counts, phase) = (String(parts.output.1), String(parts.output.2), String(parts.output.3))
        let withoutBar = "\(name) \(counts)\(phase)"
        let excess = TerminalWidth.of(withoutBar) - columns
        guard excess > 0 else { return withoutBar }
        let nameColumns = max(4, TerminalWidth.of(name) - excess)
        return TerminalWidth.cutInside(name, columns: nameColumns) + " \(counts)\(phase)"
    }

    private func terminalSize() -> (columns: Int, rows: Int) {
        var columns: Int32 = 0, rows: Int32 = 0
        guard sweep_terminal_size(fileDescriptor, &columns, &rows) == 0 else { return (80, 24) }
        return (Int(columns), Int(max(rows, 2)))
    }

    /// `line` with its progress bar narrowed (to 6 columns at least) so that the line fits
    /// in `columns`: at 30 columns the 26-column bar crowded out the counts after it.
    static func narrowingBar(in line: String, to columns: Int) -> String {
        let excess = TerminalWidth.of(line) - columns
        guard excess > 0, let bar = line.firstMatch(of: /\[(=*)(>?)( *)\]/), bar.output.0.count > 8 else { return line }
        let width = bar.output.0.count - 2
        let narrower = max(4, width - excess)
        guard narrower < width else { return line }
        let fraction = Double(bar.output.1.count) / Double(width)
        return line.replacingCharacters(in: bar.range, with: progressBar(fraction, width: narrower))
    }

    private func write(_ text: String) {
        StandardStream.output.write(text)
    }
}

/// A one-line progress bar: `[=========>          ]`.
func progressBar(_ fraction: Double, width: Int = 24) -> String {
    let f = min(max(fraction, 0), 1)
    let filled = Int(f * Double(width))
    let head = filled < width ? ">" : ""
    return "[" + String(repeating: "=", count: filled) + head + String(repeating: " ", count: max(0, width - filled - head.count)) + "]"
}
