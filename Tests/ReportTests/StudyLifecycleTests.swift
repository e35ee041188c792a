import Foundation
import Store
import Testing

/// A study's life from the command line: failing sweeps, interruptions, delete, rename and
/// the study-name rule, with the real `sweep` binary.
@Suite(.serialized) struct StudyLifecycleTests {
    static let nameRule = "a study name uses ASCII letters, digits, '_', '-' and '.' (1-100 characters), and is not '.' or '..'"

    /// Runs `sweep ARGS` with `input` on its standard input.
    static func sweep(_ s: Scratch, _ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Scratch.sweep)
        p.arguments = arguments
        p.currentDirectoryURL = s.directory
        let log = s.path("stdin-run.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = h
        p.standardError = h
        let pipe = Pipe()
        p.standardInput = pipe
        try p.run()
        pipe.fileHandleForWriting.write(Data(input.utf8))
        try pipe.fileHandleForWriting.close()
        let done = Scratch.waitFor(timeout: 60) { !p.isRunning }
        if !done { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return (done ? p.terminationStatus : -1, s.read("stdin-run.log"))
    }

    static func studyNames(_ s: Scratch) throws -> [String] {
        try s.reader().read { q in try q.studies().map(\.name) }
    }

    /// A private socket's path with a space (a TMPDIR of `t mp`) is quoted where it is given
    /// to paste into `sweep worker --connect` (pasted as printed, it was two arguments).
    @Test func aJoinEndpointWithASpaceIsQuoted() throws {
        let s = try Scratch("quoted-endpoint")
        defer { s.cleanUp() }
        try FileManager.default.createDirectory(atPath: s.path("t mp"), withIntermediateDirectories: true)
        let file = try s.write("q.yaml", syntheticSweep(study: "q", trials: 2, epochs: 1))
        let run = try s.start(Scratch.sweep, ["run", file, "--db", s.db, "--workers", "0", "--no-progress"], log: "run.log", environment: ["TMPDIR": s.path("t mp")])
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        try #require(Scratch.waitFor(timeout: 60) { s.read("run.log").contains("listening on") }, "\(s.read("run.log"))")
        let status = try s.sweep(["status", "q", "--db", s.db])
        #expect(status.output.contains("more workers: sweep worker --connect 'ipc://\(s.path("t mp"))/sweep-"), "\(status.output)")
        run.terminate()
        #expect(Scratch.waitFor(timeout: 30) { !run.isRunning })
    }

    @Test func aSweepWhoseTrialsAllFailExitsOne() throws {
        let s = try Scratch("allfail")
        defer { s.cleanUp() }
        let file = try s.write("f.yaml", """
            study: allfail
            synthetic:
              function: sphere
              epochs: 1
              fail_probability: 1
              inputs:
                x: {uniform: [-1, 1]}
            budget: {trials: 3}
            """)
        let r = try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"], timeout: 120)
        #expect(r.status == 1, "\(r.output)")
        #expect(r.output.contains("error: all 3 trials of study 'allfail' failed; the first error: "), "\(r.output)")
        let fails = try s.reader().read { q in try q.stateCounts(studyID: try q.requireStudy(named: "allfail").id)[.fail] }
        #expect(fails == 3)

        // The same through `sweep coordinator` with a worker of its own.
        let port = 20_000 + Int(getpid() % 20_000)
        let endpoint = "tcp://127.0.0.1:\(port)"
        let again = try s.write("g.yaml", s.read("f.yaml").replacingOccurrences(of: "study: allfail", with: "study: allfail2"))
        let coordinator = try s.start(Scratch.sweep, ["coordinator", again, "--bind", endpoint, "--db", s.db, "--no-progress"], log: "coordinator.log")
        let worker = try s.start(Scratch.sweep, ["worker", "--connect", endpoint, "--quiet"], log: "worker.log")
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        #expect(Scratch.waitFor(timeout: 120) { !coordinator.isRunning }, "\(s.read("coordinator.log"))")
        #expect(coordinator.terminationStatus == 1, "\(s.read("coordinator.log"))")
        #expect(s.read("coordinator.log").contains("all 3 trials of study 'allfail2' failed"), "\(s.read("coordinator.log"))")
    }

    @Test func studyNamesFollowOneRuleEverywhere() throws {
        let s = try Scratch("names")
        defer { s.cleanUp() }
        // `..` would put the models in the database's own folder (DB.artifacts/../trial-N.swm).
        let dots = try s.write("dots.yaml", syntheticSweep(study: "..", trials: 2, epochs: 1))
        for arguments in [["run", dots, "--workers", "1", "--no-progress"], ["coordinator", dots, "--no-progress"]] {
            let r = try s.sweep(arguments + ["--db", s.db])
            #expect(r.status == 2, "\(arguments[0]): \(r.output)")
            #expect(r.output.contains(Self.nameRule + ", got '..'"), "\(arguments[0]): \(r.output)")
            #expect(r.output.contains("dots.yaml:1:"), "the error points at the field: \(r.output)")
        }
        let validate = try s.sweep(["validate", dots])
        #expect(validate.status == 2 && validate.output.contains(Self.nameRule), "\(validate.output)")
        #expect(!FileManager.default.fileExists(atPath: s.db), "a refused name wrote the database")
        let entries = try FileManager.default.contentsOfDirectory(atPath: s.directory.path)
        #expect(!entries.contains { $0.hasSuffix(".swm") || $0.hasSuffix(".lock") }, "\(entries)")

        // A real study to refer to, then bad names in every command that takes one.
        let ok = try s.write("ok.yaml", syntheticSweep(study: "ok", trials: 2, epochs: 1))
        try #require(try s.sweep(["run", ok, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        let long = String(repeating: "a", count: 101)
        for (arguments, shown) in [
            (["resume", "..", "--workers", "0"], "'..'"), (["resume", "a/b"], "'a/b'"), (["rename", "ok", "."], "'.'"),
            (["rename", "ok", "x\u{1}y"], "'x\\u{01}y'"), (["rename", "..", "ok2"], "'..'"), (["delete", "../ok", "--yes"], "'../ok'"),
            (["status", "a/b"], "'a/b'"), (["resume", long], "'\(long)'"),
        ] {
            let r = try s.sweep(arguments + ["--db", s.db])
            #expect(r.status == 2, "\(arguments): \(r.output)")
            #expect(r.output.contains("error: " + Self.nameRule + ", got " + shown), "\(arguments): \(r.output)")
        }
        #expect(try Self.studyNames(s) == ["ok"])
        // `study:NAME/...` model references follow the same rule.
        let transfer = try s.write("transfer.yaml", """
            study: child
            data: {dataset: blobs, samples: 200, classes: 3}
            model: {hidden: [8], transfer: {from: "study:../best"}}
            training: {epochs: 1}
            budget: {trials: 1}
            """)
        let child = try s.sweep(["run", transfer, "--workers", "1", "--db", s.db, "--no-progress"], timeout: 120)
        let error = try s.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "child").id).first?.error } ?? ""
        #expect(error.contains("model.transfer.from: 'study:../best': " + Self.nameRule), "\(error)\n\(child.output)")
    }

    @Test func renameAndDeleteAStudyWithItsModels() throws {
        let s = try Scratch("lifecycle")
        defer { s.cleanUp() }
        for name in ["first", "second"] {
            let file = try s.write("\(name).yaml", syntheticSweep(study: name, trials: 3, epochs: 1))
            try #require(try s.sweep(["run", file, "--workers", "1", "--db", s.db, "--no-progress"]).status == 0)
        }
        // A model folder as the coordinator keeps it (synthetic trials keep none).
        let artifacts = s.db + ".artifacts"
        try FileManager.default.createDirectory(atPath: artifacts + "/first", withIntermediateDirectories: true)
        try Data("model".utf8).write(to: URL(fileURLWithPath: artifacts + "/first/trial-0.swm"))
        let trialsBefore = try s.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "first").id).count }
        // Its local workers' command logs (DB.logs/STUDY): they follow a rename, go with a delete.
        try FileManager.default.createDirectory(atPath: s.db + ".logs/first", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: s.db + ".logs/first/trial-0.attempt-1.out", contents: Data("x".utf8))

        let optionLike = try s.sweep(["rename", "--db", s.db, "first", "--", "-x"])
        #expect(optionLike.status == 2 && optionLike.output.contains("a study name does not start with '-'"), "\(optionLike.output)")
        let taken = try s.sweep(["rename", "first", "second", "--db", s.db])
        #expect(taken.status == 2 && taken.output.contains("a study named 'second' already exists"), "\(taken.output)")
        // Logs left under the new name by another study: refused, nothing moved (the logs
        // stayed behind without a word, and the other study's were shown as this one's).
        try FileManager.default.createDirectory(atPath: s.db + ".logs/renamed", withIntermediateDirectories: true)
        let leftover = try s.sweep(["rename", "first", "renamed", "--db", s.db])
        #expect(leftover.status == 2 && leftover.output.contains("the log folder \(s.db).logs/renamed already exists; move it away first"), "\(leftover.output)")
        #expect(try Self.studyNames(s).sorted() == ["first", "second"] && FileManager.default.fileExists(atPath: artifacts + "/first/trial-0.swm"))
        try FileManager.default.removeItem(atPath: s.db + ".logs/renamed")
        // A symbolic link there that leads nowhere is something there too.
        try FileManager.default.createSymbolicLink(atPath: s.db + ".logs/renamed", withDestinationPath: "/nonexistent-\(getpid())")
        let dangling = try s.sweep(["rename", "first", "renamed", "--db", s.db])
        #expect(dangling.status == 2 && dangling.output.contains("already exists; move it away first"), "\(dangling.output)")
        try FileManager.default.removeItem(atPath: s.db + ".logs/renamed")
        let renamed = try s.sweep(["rename", "first", "renamed", "--db", s.db])
        #expect(renamed.status == 0, "\(renamed.output)")
        #expect(try Self.studyNames(s).sorted() == ["renamed", "second"])
        #expect(try s.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "renamed").id).count } == trialsBefore)
        #expect(FileManager.default.fileExists(atPath: artifacts + "/renamed/trial-0.swm"))
        #expect(!FileManager.default.fileExists(atPath: artifacts + "/first"))
        #expect(FileManager.default.fileExists(atPath: s.db + ".logs/renamed/trial-0.attempt-1.out") && !FileManager.default.fileExists(atPath: s.db + ".logs/first"))
        let best = try s.sweep(["best", "renamed", "--db", s.db])
        #expect(best.status == 0, "\(best.output)")
        // It continues under its new name, as `rename` says (its stored file still says
        // `study: first`: resume and enqueue refused it as "changed outside sweep").
        let queued = try s.sweep(["enqueue", "renamed", "x=0.5", "y=1", "z=2", "--db", s.db])
        #expect(queued.status == 0, "\(queued.output)")
        let resumed = try s.sweep(["resume", "renamed", "--workers", "1", "--db", s.db, "--no-progress"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try s.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "renamed").id).count } == trialsBefore + 1)

        // Delete asks; no answer, or "n", deletes nothing.
        let closed = try s.sweep(["delete", "renamed", "--db", s.db])
        #expect(closed.status == 2 && closed.output.contains("pass --yes"), "\(closed.output)")
        let no = try Self.sweep(s, ["delete", "renamed", "--db", s.db], input: "n\n")
        #expect(no.status == 1 && no.output.contains("Delete study 'renamed' (4 trial(s), 0 model file(s))"), "\(no.output)")
        #expect(try Self.studyNames(s).sorted() == ["renamed", "second"])
        let logs = s.db + ".logs/renamed"
        let yes = try Self.sweep(s, ["delete", "renamed", "--db", s.db], input: "y\n")
        #expect(yes.status == 0 && yes.output.contains("deleted study 'renamed'"), "\(yes.output)")
        #expect(try Self.studyNames(s) == ["second"])
        #expect(!FileManager.default.fileExists(atPath: artifacts + "/renamed"))
        #expect(!FileManager.default.fileExists(atPath: logs), "the deleted study's command logs are gone")
        let orphans = try s.reader().read { q in try q.trials(studyID: 1).count }
        #expect(orphans == 0, "the deleted study's trials are gone")
        let again = try s.sweep(["delete", "renamed", "--yes", "--db", s.db])
        #expect(again.status == 2 && again.output.contains("no study named 'renamed'"), "\(again.output)")

        // A study a coordinator is running can be neither deleted nor renamed.
        let live = try s.write("live.yaml", syntheticSweep(study: "live", trials: 2, epochs: 1))
        let coordinator = try s.start(Scratch.sweep, ["coordinator", live, "--bind", "tcp://127.0.0.1:0", "--db", s.db, "--no-progress"], log: "c.log")
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        try #require(Scratch.waitFor(timeout: 60) { s.read("c.log").contains("listening on") }, "\(s.read("c.log"))")
        // (Not "add workers to it": that does not delete it.)
        for (arguments, action) in [(["delete", "live", "--yes"], "delete"), (["rename", "live", "other"], "rename")] {
            let r = try s.sweep(arguments + ["--db", s.db])
            #expect(r.status == 2 && r.output.contains("study 'live' is being run by a coordinator (pid ") && r.output.contains(": stop it first to \(action) it"), "\(arguments): \(r.output)")
            #expect(!r.output.contains("add workers"), "\(r.output)")
        }
        #expect(try Self.studyNames(s).sorted() == ["live", "second"])
        // `sweep run` of its file says it is running, not "continue it with sweep resume", and
        // where workers join (the port was random: it was only in the first run's output).
        let endpoint = try #require(s.read("c.log").firstMatch(of: /listening on (tcp:\/\/[0-9.]+:[0-9]+)/)?.1, "\(s.read("c.log"))")
        let run = try s.sweep(["run", live, "--db", s.db, "--workers", "0", "--no-progress"])
        #expect(run.status == 2 && run.output.contains("another coordinator is running it") && !run.output.contains("sweep resume"), "\(run.output)")
        #expect(run.output.contains("add workers with `sweep worker --connect \(endpoint)`"), "\(run.output)")
        let status = try s.sweep(["status", "live", "--db", s.db])
        #expect(status.output.contains("more workers: sweep worker --connect \(endpoint)"), "\(status.output)")
        let json = try s.sweep(["status", "live", "--db", s.db, "--format", "json"])
        #expect(json.output.contains("\"endpoint\" : \"\(endpoint)\"") || json.output.contains("\"endpoint\": \"\(endpoint)\""), "\(json.output)")
        kill(coordinator.processIdentifier, SIGTERM)
        #expect(Scratch.waitFor(timeout: 30) { !coordinator.isRunning })
        let gone = try s.sweep(["delete", "live", "--yes", "--db", s.db])
        #expect(gone.status == 0, "\(gone.output)")
        #expect(try Self.studyNames(s) == ["second"])
    }
}
