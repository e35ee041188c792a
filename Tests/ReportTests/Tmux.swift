import Foundation
import Testing

/// A shell command in a private tmux server of a given size, watched screen by screen.
struct TmuxRun {
    /// Screens captured while `keep` held, in order.
    var screens: [String] = []
    /// The screen once the command printed its exit status.
    var final = ""

    /// Runs `command` (then `echo SWEEP-EXIT=$?`) in a `columns` x `rows` pane, capturing
    /// the screens that satisfy `keep` until the exit line appears.
    init(_ s: Scratch, command: String, columns: Int, rows: Int, keep: (String) -> Bool) throws {
        let tmux = try #require(Scratch.which("tmux"), "tmux is missing: apt install tmux (make test does)")
        // A private server whose socket lives (and is removed) with the scratch directory.
        let socket = s.path("tmux.sock")
        let shell = "cd '\(s.directory.path)' && \(command); echo SWEEP-EXIT=$?; sleep 300"
        let started = try s.spawn(tmux, ["-S", socket, "new-session", "-d", "-s", "t", "-x", "\(columns)", "-y", "\(rows)", shell], timeout: 30)
        try #require(started.status == 0, "tmux new-session failed: \(started.output)")
        defer { _ = try? s.spawn(tmux, ["-S", socket, "kill-server"]) }
        func capture() -> String { (try? s.spawn(tmux, ["-S", socket, "capture-pane", "-p", "-t", "t"]).output) ?? "" }
        var screens: [String] = [], final = ""
        let ended = Scratch.waitFor(timeout: 240) {
            let screen = capture()
            if screen.contains("SWEEP-EXIT=") { final = screen; return true }
            if keep(screen) { screens.append(screen) }
            return false
        }
        try #require(ended, "the command did not finish in tmux; last screen:\n\(capture())")
        self.screens = screens
        self.final = final
    }
}
