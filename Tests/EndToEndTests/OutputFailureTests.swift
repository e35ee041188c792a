import Foundation
import Testing
import SweepTestSupport

/// Output that cannot be written (a full disk) is no success, and never a crash: `sweep
/// export > full-disk/file` wrote a truncated file and exited 0, and `sweep run | head -2`
/// trapped in Foundation's FileHandle.write (exit 132, the study left interrupted). A
/// reader that leaves (`| head`) ends a command quietly with 141, as SIGPIPE would, once
/// its work is done.
@Suite struct OutputFailureTests {
    /// A file size limit (`ulimit -f`, as a quota refuses writes) stops a run with a message
    /// that says so and exit 1: SIGXFSZ killed the process without a word (exit 153).
    @Test func aFileSizeLimitIsNamedAndTheRunStops() throws {
        let h = try SweepHarness("file-size-limit")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 20_000, epochs: 20, sleep: 0))
        let limited = "ulimit -f 1000; exec \(SweepHarness.executable.path) run \(file) --db \(h.db) --workers 2 --no-progress"
        let (status, output) = try h.run("/bin/sh", ["-c", limited], timeout: 180)
        #expect(status == 1 && output.contains("a write failed (a disk quota, a file size limit such as `ulimit -f`"), "\(status) \(output.suffix(600))")
    }

    @Test func aFullDiskIsAnErrorAndAClosedPipeDoesNotStopTheRun() throws {
        let h = try SweepHarness("output-failure")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 30, epochs: 2, sleep: 0.01))
        // The run's output goes to a pipe closed after its first line.
        let shell = "\(SweepHarness.executable.path) run \(file) --db \(h.db) --workers 2 | head -1"
        let (status, output) = try h.run("/bin/bash", ["-c", "\(shell); exit ${PIPESTATUS[0]}"], timeout: 120)
        // The reader took what it wanted: no error message, the status of a SIGPIPE.
        #expect(status == 141 && !output.contains("error:") && !output.contains("Fatal error"), "\(status) \(output)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 30 && trials.allSatisfy { $0.state.isFinished }, "the study finished: \(trials.map(\.state))")
        for command in [["export", "s", "--db", h.db, "--format", "json"], ["trials", "s", "--db", h.db]] {
            let (code, text) = try h.run("/bin/sh", ["-c", ([SweepHarness.executable.path] + command).joined(separator: " ") + " > /dev/full"], timeout: 60)
            #expect(code == 1 && text.contains("error: cannot write the output"), "\(command): \(code) \(text)")
            // A reader that leaves (`| true`) got the process killed by SIGPIPE (exit 141).
            // (A pipe whose reader is gone before the command starts: `| true` races.)
            let closedPipe = "import os, subprocess, sys; r, w = os.pipe(); os.close(r); sys.exit(subprocess.call(sys.argv[1:], stdout=w))"
            let (piped, said) = try h.run("/usr/bin/python3", ["-c", closedPipe, SweepHarness.executable.path] + command, timeout: 60)
            #expect(piped == 141 && !said.contains("error:"), "\(command) | true: \(piped) \(said)")
        }
    }

    /// Help and completion scripts to a reader that leaves end as other output does, with
    /// 141 and no message (they said "error: cannot write the output" and exited 1).
    @Test func helpToAReaderThatLeavesEndsQuietly() throws {
        let h = try SweepHarness("help-pipe")
        defer { h.cleanUp() }
        let closedPipe = "import os, subprocess, sys; r, w = os.pipe(); os.close(r); sys.exit(subprocess.call(sys.argv[1:], stdout=w))"
        for command in [["--help"], ["help", "run"], ["--generate-completion-script", "bash"]] {
            let (piped, said) = try h.run("/usr/bin/python3", ["-c", closedPipe, SweepHarness.executable.path] + command, timeout: 60)
            #expect(piped == 141 && !said.contains("error:"), "\(command): \(piped) \(said)")
        }
    }
}
