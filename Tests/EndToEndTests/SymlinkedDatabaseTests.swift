import Foundation
import Testing

/// A `--db` that is a symbolic link keeps the study's folders beside the file it names:
/// through the link, models and command logs went beside the link, and through the real
/// path `sweep model export` said the model file was missing and `sweep logs` found none.
@Suite struct SymlinkedDatabaseTests {
    @Test func modelsAndLogsAreFoundThroughEveryNameOfTheFile() throws {
        let h = try SweepHarness("symlinked-db")
        defer { h.cleanUp() }
        try FileManager.default.createDirectory(atPath: h.path("real"), withIntermediateDirectories: true)
        let real = h.path("real/s.db"), link = h.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let builtIn = try h.write("m.yaml", """
            study: m
            seed: 3
            data: {dataset: moons, samples: 200, validation: 50}
            model: {hidden: [{choice: [4, 8]}]}
            training: {epochs: 1}
            budget: {trials: 1}
            """)
        let script = try h.write("t.sh", "echo said-on-stdout\necho '{\"epoch\": 1, \"loss\": 0.5}' >&\"$SWEEP_REPORT_FD\"\n")
        let command = try h.write("c.yaml", """
            study: c
            objective: {metric: loss, direction: minimize}
            command: [sh, \(script)]
            parameters: {x: {uniform: [0, 1]}}
            budget: {trials: 1, max_epochs: 1}
            """)
        for file in [builtIn, command] {
            let run = try h.run(["run", file, "--db", link, "--workers", "1", "--no-progress"])
            try #require(run.status == 0, "\(run.output)")
        }
        #expect(FileManager.default.fileExists(atPath: real + ".artifacts") && !FileManager.default.fileExists(atPath: link + ".artifacts"))
        #expect(FileManager.default.fileExists(atPath: real + ".logs") && !FileManager.default.fileExists(atPath: link + ".logs"))
        for name in [link, real] {
            let exported = try h.run(["model", "export", "m", "best", "--db", name, "--out", h.path("best-\(name.hasSuffix("link.db") ? "l" : "r").swm")])
            #expect(exported.status == 0, "\(name): \(exported.output)")
            let logs = try h.run(["logs", "c", "0", "--db", name])
            #expect(logs.status == 0 && logs.output.contains("said-on-stdout"), "\(name): \(logs.output)")
        }
    }
}

/// A current directory whose path is not UTF-8, or that was removed: refused up front (a
/// database was made, then "cannot lock the study in .../lat\u{FFFD}n/q.db"; every command
/// trial failed to start in a removed one).
@Suite struct UnusableCurrentDirectoryTests {
    @Test func aNonUTF8OrRemovedCurrentDirectoryIsRefused() throws {
        let h = try SweepHarness("odd-cwd")
        defer { h.cleanUp() }
        let file = try h.write("t.yaml", "study: t\nsynthetic:\n  function: sphere\n  epochs: 1\n  inputs:\n    x: {uniform: [-2.0, 2.0]}\nbudget: {trials: 1}\n")
        let latin = try h.run("/bin/sh", ["-c", "d=\"$(printf 'lat\\351n')\"; mkdir \"$d\" && cd \"$d\" && \"$0\" run \"$1\" --db q.db --no-progress; s=$?; cd .. && rm -rf \"$d\"; exit $s", SweepHarness.sweep, file])
        #expect(latin.status == 2 && latin.output.contains("the current directory's path ('\(h.directory.path)/lat\\xe9n') is not UTF-8 text"), "\(latin.output)")
        let gone = try h.run("/bin/sh", ["-c", "mkdir gone && cd gone && rmdir ../gone && exec \"$0\" run \"$1\" --db q.db --no-progress", SweepHarness.sweep, file])
        #expect(gone.status == 2 && gone.output.contains("the current directory no longer exists"), "\(gone.output)")
        let contents = try FileManager.default.contentsOfDirectory(atPath: h.directory.path)
        #expect(!contents.contains { $0.hasSuffix(".db") }, "\(contents)")
    }
}

/// An empty or missing TMPDIR: the private socket, command logs, checkpoints and the
/// program's own temporary files go to /tmp (an empty one meant `/`; a missing one failed
/// every command trial).
@Suite struct UnusableTemporaryFolderTests {
    @Test(arguments: ["", "/nonexistent/sweep-tmp"]) func commandTrialsRunWithAnUnusableTMPDIR(tmpdir: String) throws {
        let h = try SweepHarness("odd-tmpdir")
        defer { h.cleanUp() }
        // The program's own temporary file too (mktemp took the missing TMPDIR as given).
        let script = try h.write("t.sh", "f=$(mktemp) || exit 3; rm -f \"$f\"\necho '{\"epoch\": 1, \"loss\": 0.5}' >&\"$SWEEP_REPORT_FD\"\n")
        let file = try h.write("c.yaml", """
            study: c
            objective: {metric: loss, direction: minimize}
            command: [sh, \(script)]
            parameters: {x: {uniform: [0, 1]}}
            budget: {trials: 2, max_epochs: 1}
            """)
        let run = try runSweep(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], environment: ["TMPDIR": tmpdir])
        #expect(run.status == 0 && run.output.contains("listening on ipc:///tmp/sweep-"), "\(run.output)")
        #expect(try h.trials(of: "c").map(\.state) == [.complete, .complete])
    }

    /// A worker removes its checkpoint folder as it leaves (an empty one was left by each,
    /// and those of workers in containers were never removed).
    @Test func aWorkerLeavesNoCheckpointFolderBehind() throws {
        let h = try SweepHarness("checkpoint-folder")
        defer { h.cleanUp() }
        let script = try h.write("t.sh", "echo x > \"$SWEEP_CHECKPOINT_DIR/state\"\necho '{\"epoch\": 1, \"loss\": 0.5}' >&\"$SWEEP_REPORT_FD\"\n")
        let file = try h.write("c.yaml", """
            study: c
            objective: {metric: loss, direction: minimize}
            command: [sh, \(script)]
            parameters: {x: {uniform: [0, 1]}}
            budget: {trials: 2, max_epochs: 1}
            """)
        let tmp = h.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let run = try runSweep(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], environment: ["TMPDIR": tmp])
        #expect(run.status == 0, "\(run.output)")
        let folder = "\(tmp)/sweep-checkpoints-\(getuid())"
        #expect(FileManager.default.fileExists(atPath: folder), "the workers made their folder there")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? ["?"]).isEmpty, "\((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])")
    }
}
