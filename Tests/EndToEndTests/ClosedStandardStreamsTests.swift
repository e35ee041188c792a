import Foundation
import Store
import Testing

/// A command started with standard input, output or error closed (`2>&-`, `>&-`, `<&-`):
/// the database opened next took that descriptor, and the command's own text was written
/// into it (an error message over the header made the database unreadable). Now each
/// closed one is `/dev/null` that refuses its use: lost output exits 1, a prompt gets no
/// answer (exit 2), and the database keeps every byte it should.
@Suite(.serialized) struct ClosedStandardStreamsTests {
    /// Runs `sweep ARGUMENTS` through the shell with `redirection` (e.g. `2>&-`).
    static func sweep(_ h: SweepHarness, _ arguments: [String], _ redirection: String) throws -> (status: Int32, output: String) {
        try h.run("/bin/sh", ["-c", "exec \"$@\" \(redirection)", "sh", SweepHarness.sweep] + arguments)
    }

    static func isIntact(_ h: SweepHarness) throws -> Bool {
        let header = try FileHandle(forReadingFrom: URL(fileURLWithPath: h.db)).read(upToCount: 16) ?? Data()
        guard header == Data("SQLite format 3\0".utf8) else { return false }
        let study = try h.reader().read { try $0.study(named: "s") }
        return study != nil
    }

    @Test func closedStreamsNeverReachTheDatabase() throws {
        let h = try SweepHarness("closed-streams")
        defer { h.cleanUp() }
        let file = try h.write("s.yaml", syntheticSweep(study: "s", trials: 2, epochs: 1, sleep: 0))
        #expect(try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        #expect(try Self.isIntact(h))

        // An error with stderr closed: exit 2, and the message went nowhere.
        let enqueue = try Self.sweep(h, ["enqueue", "s", "nosuch=1", "--db", h.db], "2>&-")
        #expect(enqueue.status == 2, "\(enqueue.output)")
        #expect(try Self.isIntact(h))
        // Output with stdout closed: it could not be written (exit 1).
        let trials = try Self.sweep(h, ["trials", "s", "--db", h.db], ">&-")
        #expect(trials.status == 1 && trials.output.contains("cannot write the output"), "\(trials.output)")
        #expect(try Self.isIntact(h))
        // A prompt with stdin closed: no answer, nothing deleted.
        let delete = try Self.sweep(h, ["delete", "s", "--db", h.db], "<&-")
        #expect(delete.status == 2, "\(delete.output)")
        #expect(try Self.isIntact(h))
        // A whole run with its output closed: the study is recorded whole, and the lost
        // output is said (exit 1).
        let second = try h.write("t.yaml", syntheticSweep(study: "t", trials: 3, epochs: 2, sleep: 0))
        let run = try Self.sweep(h, ["run", second, "--db", h.db, "--workers", "1"], ">&-")
        #expect(run.status == 1 && run.output.contains("cannot write the output"), "\(run.output)")
        #expect(try Self.isIntact(h))
        let t = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "t").id) }
        #expect(t.count == 3 && t.allSatisfy { $0.state == .complete }, "\(t.map(\.state))")
    }

    /// `status --watch` whose writes fail (a full disk) ends with exit 1 at once: it went on
    /// polling, every write failing, until the study finished.
    @Test func aWatchWhoseOutputFailsEnds() throws {
        let h = try SweepHarness("watch-full")
        defer { h.cleanUp() }
        let file = try h.write("w.yaml", syntheticSweep(study: "w", trials: 60, epochs: 2, sleep: 0.3))
        let run = try h.start(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        try #require(h.waitFor(timeout: 60) { (try? h.reader().read { try $0.study(named: "w") }) != nil })
        let watch = try Self.sweep(h, ["status", "w", "--watch", "--db", h.db], ">/dev/full")
        #expect(watch.status == 1 && watch.output.contains("cannot write the output (No space left on device)"), "\(watch.output)")
        #expect(run.isRunning, "the watch ended before the study: \(h.logText("run.log"))")
    }

    /// A file name that is not UTF-8: Swift's command line replaced its bytes, so another
    /// file was made (and two such names opened one). It is refused, naming the bytes.
    @Test func anArgumentThatIsNotUTF8IsRefused() throws {
        let h = try SweepHarness("non-utf8")
        defer { h.cleanUp() }
        let r = try h.run("/bin/sh", ["-c", "cd \"$1\" && exec \"$0\" studies --db \"$(printf 'a\\377.db')\"", SweepHarness.sweep, h.path(".")])
        #expect(r.status == 2 && r.output.contains("argument 3 ('a\\xff.db') is not UTF-8 text"), "\(r.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.path(".")).allSatisfy { !$0.hasSuffix(".db") })
        // The same for a path in the environment.
        let variable = try h.run("/bin/sh", ["-c", "cd \"$1\" && SWEEP_DB=\"$(printf 'b\\376.db')\" exec \"$0\" studies", SweepHarness.sweep, h.path(".")])
        #expect(variable.status == 2 && variable.output.contains("$SWEEP_DB ('b\\xfe.db') is not UTF-8 text"), "\(variable.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.path(".")).allSatisfy { !$0.hasSuffix(".db") })
    }
}
