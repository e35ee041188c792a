import Foundation
import Testing

extension SweepHarness {
    /// Runs `program ARGS` (found on PATH) in the scratch directory; status and merged output.
    func tool(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try run([program] + arguments, executable: URL(fileURLWithPath: "/usr/bin/env"))
    }
}

/// The names in `directory`, sorted, without the harness's own `run-*.log` files.
func listing(_ directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix("run-") }.sorted()
}

/// `--db` on files that are not Sweep's, read-only mounts, and commands refused before they start.
@Suite(.serialized) struct StoreSafetyTests {
    /// A damaged study database is called damaged, with the way out: a header overwritten
    /// (Sweep's folders beside it: "pass --db with a new file name" was the advice), a file
    /// cut short (no hint), a value no Sweep writes (GRDB's message with its SQL).
    @Test func aDamagedStudyDatabaseIsCalledDamaged() throws {
        let h = try SweepHarness("damaged-db")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 6, epochs: 2, sleep: 0))
        #expect(try h.run(["run", sweep, "--db", "s.db", "--workers", "1", "--no-progress"]).status == 0)
        #expect(try h.tool("sqlite3", ["s.db", "PRAGMA wal_checkpoint(TRUNCATE)"]).status == 0)
        let good = try Data(contentsOf: h.directory.appendingPathComponent("s.db"))
        var overwritten = good
        overwritten.replaceSubrange(0..<8, with: Data("XXXXXXXX".utf8))
        try overwritten.write(to: h.directory.appendingPathComponent("hdr.db"))
        try FileManager.default.createDirectory(atPath: h.path("hdr.db.locks"), withIntermediateDirectories: true)
        let header = try h.run(["status", "s", "--db", "hdr.db"])
        #expect(header.status == 2 && header.output.contains("hdr.db is not a Sweep database (it is not an SQLite database), but Sweep's folders beside it (hdr.db.locks, ...) say it was one: the file is damaged or was overwritten"), "\(header.output)")
        // The header after SQLite's magic damaged (its page size): damaged, for queries as for
        // `run` (a query called it another program's file, "pass --db with a new file name").
        var pageSize = good
        pageSize.replaceSubrange(16..<18, with: Data([0xFF, 0xFF]))
        try pageSize.write(to: h.directory.appendingPathComponent("ps.db"))
        let damagedHeader = try h.run(["status", "s", "--db", "ps.db"])
        #expect(damagedHeader.status == 1 && damagedHeader.output.contains("cannot open database ps.db: its SQLite header is damaged (file is not a database); the file is damaged (`sqlite3 FILE .recover`"), "\(damagedHeader.output)")
        try good.prefix(good.count / 2).write(to: h.directory.appendingPathComponent("cut.db"))
        let cut = try h.run(["export", "s", "--db", "cut.db", "--format", "json"])
        #expect(cut.status == 1 && cut.output.contains("the file is damaged (`sqlite3 FILE .recover` may save its rows into a new database)"), "\(cut.output)")
        try good.write(to: h.directory.appendingPathComponent("bad.db"))
        #expect(try h.tool("sqlite3", ["bad.db", "PRAGMA ignore_check_constraints = 1; UPDATE intermediate_values SET decision = 'cont3nue'"]).status == 0)
        let value = try h.run(["export", "s", "--db", "bad.db", "--format", "json"])
        #expect(value.status == 1 && value.output.contains("database bad.db: could not decode PruneAction from database value \"cont3nue\"; the file is damaged"), "\(value.output)")
        #expect(!value.output.contains("SELECT"), "\(value.output)")
    }

    /// `--db` naming a device or a FIFO is refused, and the node stays: `sweep run --db
    /// /dev/null` took the empty-looking device for a new database and the cleanup after the
    /// refusal removed the machine's /dev/null (and /dev/full). Nodes of the test's own, made
    /// with mknod (tests run as root).
    /// Another process holding the write lock for 12 s (a `sqlite3` shell left in a
    /// transaction) is waited out: the run goes on and loses nothing. It ended the run after
    /// 10 s of waiting inside one write, deaf to its workers, which went looking for it.
    @Test func aDatabaseLockedForAWhileIsWaitedOut() throws {
        let h = try SweepHarness("locked-db")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 60, epochs: 5, sleep: 0.05))
        let run = try h.start(["run", sweep, "--db", h.db, "--workers", "2", "--no-progress"], log: "run.log")
        defer { if run.isRunning { run.terminate() } }
        try #require(h.waitFor(timeout: 60) { (try? h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id).filter { $0.state == .complete }.count }) ?? 0 >= 3 },
                     "\(h.read("run.log"))")
        let lock = try h.start("/usr/bin/python3", ["-c", """
            import sqlite3, time
            c = sqlite3.connect(\"\(h.db)\", isolation_level=None)
            c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); time.sleep(12); c.execute("COMMIT"); print("unlocked", flush=True)
            """], log: "lock.log")
        #expect(h.waitFor(timeout: 30) { !lock.isRunning } && h.read("lock.log").contains("unlocked"), "\(h.read("lock.log"))")
        #expect(h.waitFor(timeout: 120) { !run.isRunning })
        let log = h.read("run.log")
        #expect(run.terminationStatus == 0, "\(log)")
        #expect(log.contains("is locked by another process") && log.contains("the database is free again after"), "\(log)")
        // The workers heard from it all along (they went looking for it: "went silent").
        #expect(!log.contains("went silent") && !log.contains("no answer from"), "\(log)")
        let trials = try h.reader().read { q in try q.trials(studyID: try q.requireStudy(named: "s").id) }
        #expect(trials.count == 60 && trials.allSatisfy { $0.state == .complete && $0.attempt == 1 }, "\(trials.map { ($0.number, $0.state, $0.attempt) })")
    }

    @Test func aDeviceOrAFIFOAsTheDatabaseIsRefusedAndStays() throws {
        let h = try SweepHarness("device-db")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 2, epochs: 1, sleep: 0))
        for (name, args) in [("null", ["c", "1", "3"]), ("full", ["c", "1", "7"]), ("fifo", ["p"])] {
            let made = try h.tool("mknod", ["-m", "666", h.path(name)] + args)
            #expect(made.status == 0, "mknod is needed (coreutils, tests run as root): \(made.output)")
        }
        for (name, kind) in [("null", "a character device"), ("full", "a character device"), ("fifo", "a FIFO")] {
            for args in [["run", sweep, "--workers", "0", "--no-progress"], ["coordinator", sweep, "--no-progress", "--bind", "tcp://127.0.0.1:0"],
                         ["resume", "s", "--workers", "0", "--no-progress"], ["trials", "s"]] {
                let (status, output) = try h.run(args + ["--db", h.path(name)], timeout: 60)
                #expect(status == 2 && output.contains("is not a Sweep database (it is \(kind), not a file); nothing was written to it"), "\(args) --db \(name): \(output)")
            }
            var info = stat()
            #expect(stat(h.path(name), &info) == 0 && (info.st_mode & S_IFMT) == (name == "fifo" ? S_IFIFO : S_IFCHR), "\(name) was removed or replaced")
        }
        #expect(listing(h.directory).sorted() == ["fifo", "full", "null", "s.yaml"], "\(listing(h.directory))")
    }

    /// An output named after the database (or, for `sweep train`, after its own input) is
    /// refused and the file stays: `sweep export S --db s.db --out s.db` replaced every study
    /// of the file with the export, exit 0.
    @Test func anOutputOverTheDatabaseOrTheRunsInputIsRefused() throws {
        let h = try SweepHarness("output-over-input")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 2, epochs: 1, sleep: 0))
        #expect(try h.run(["run", sweep, "--db", "s.db", "--workers", "1", "--no-progress"]).status == 0)
        let before = try Data(contentsOf: h.directory.appendingPathComponent("s.db"))
        for args in [["export", "s", "--db", "s.db", "--out", "s.db"], ["report", "s", "--db", "s.db", "--out", "s.db"]] {
            let (status, output) = try h.run(args)
            #expect(status != 0 && output.contains("s.db is an SQLite database (a study's?): it is not overwritten"), "\(args): \(output)")
        }
        #expect(try Data(contentsOf: h.directory.appendingPathComponent("s.db")) == before)
        let out = try h.run(["export", "s", "--db", "s.db", "--out", h.directory.path])
        #expect(out.status != 0 && out.output.contains("is a directory: name a file in it"), "\(out.output)")
        let csv = try h.write("d.csv", "a,b,y\n" + (0..<20).map { "\($0),\($0 % 3),\($0 % 2 == 0 ? "p" : "q")" }.joined(separator: "\n") + "\n")
        let train = try h.write("t.yaml", "data: {dataset: csv, train_file: d.csv, label: y}\nmodel: {hidden: [4]}\ntraining: {epochs: 1}\n")
        let data = try String(contentsOfFile: csv, encoding: .utf8)
        for option in ["--save-model", "--metrics-out"] {
            let (status, output) = try h.run(["train", train, option, "d.csv"])
            #expect(status == 2 && output.contains("\(option) d.csv is the run's own input (d.csv): name another file"), "\(output)")
        }
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == data)
        // `train`'s outputs over a study database (`--metrics-out s.db` replaced it with JSON lines).
        for option in ["--save-model", "--metrics-out", "--checkpoint"] {
            let (status, output) = try h.run(["train", train, option, "s.db"])
            #expect(status == 2 && output.contains("s.db is an SQLite database (a study's?): it is not overwritten"), "\(option): \(output)")
        }
        #expect(try Data(contentsOf: h.directory.appendingPathComponent("s.db")) == before)
    }

    @Test func anotherProgramsDatabaseIsRefusedAndLeftByteForByte() throws {
        let h = try SweepHarness("foreign-db")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 2, epochs: 1, sleep: 0))
        let made = try h.tool("sqlite3", ["notes.db", "CREATE TABLE notes(x); INSERT INTO notes VALUES ('keep me');"])
        #expect(made.status == 0, "sqlite3 is needed (Makefile APT_PACKAGES): \(made.output)")
        let stamped = try h.tool("sqlite3", ["stamped.db", "PRAGMA application_id = 42; PRAGMA user_version = 1;"])
        #expect(stamped.status == 0, "\(stamped.output)")
        _ = try h.write("text.db", "not a database at all\n")
        let cases = [
            ("notes.db", "notes.db is not a Sweep database (it holds other tables: notes); nothing was written to it"),
            ("stamped.db", "stamped.db is not a Sweep database (its application_id is 0x0000002a, another program's)"),
            ("text.db", "text.db is not a Sweep database (it is not an SQLite database)"),
        ]
        for (db, message) in cases {
            let before = try Data(contentsOf: h.directory.appendingPathComponent(db))
            let files = listing(h.directory)
            for args in [["run", sweep, "--workers", "0", "--no-progress"], ["coordinator", sweep, "--no-progress", "--bind", "tcp://127.0.0.1:0"]] {
                let (status, output) = try h.run(args + ["--db", db])
                #expect(status == 2, "\(args) on \(db): \(output)")
                #expect(output.contains(message), "\(output)")
            }
            #expect(try Data(contentsOf: h.directory.appendingPathComponent(db)) == before, "\(db) was changed")
            #expect(listing(h.directory) == files, "files appeared beside \(db)")
        }
        // An empty file is nobody's yet: Sweep takes it and stamps it.
        FileManager.default.createFile(atPath: h.directory.appendingPathComponent("empty.db").path, contents: Data())
        #expect(try h.run(["run", sweep, "--db", "empty.db", "--workers", "1", "--no-progress"]).status == 0)
        let id = try h.tool("sqlite3", ["empty.db", "PRAGMA application_id"])
        #expect(id.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(0x5357_4550)")
        // ... and opens it again as its own.
        #expect(try h.run(["run", try h.write("t.yaml", syntheticSweep(study: "t", trials: 1, epochs: 1, sleep: 0)),
                           "--db", "empty.db", "--workers", "1", "--no-progress"]).status == 0)
    }

    @Test func queryCommandsWorkOnAReadOnlyMount() throws {
        let h = try SweepHarness("read-only")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 3, epochs: 2, sleep: 0))
        #expect(try h.run(["run", sweep, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        let exe = SweepHarness.executable.path
        let dir = h.directory.path
        let queries = [
            "studies", "status s", "best s", "trials s --sort value", "show s 0", "export s --format csv",
            "report s -o /dev/null", "compare s s",
        ]
        // A private mount namespace: the bind mount is gone when the shell exits.
        var script = "set -u; mount --bind '\(dir)' '\(dir)' && mount -o remount,bind,ro '\(dir)' || exit 99\n"
        script += "if touch '\(dir)/probe' 2>/dev/null; then echo 'MOUNT IS WRITABLE'; exit 98; fi\n"
        for q in queries {
            script += "'\(exe)' \(q) --db '\(h.db)' >/dev/null 2>\"$TMPDIR_ERR\"; echo \"\(q) => $?\"; cat \"$TMPDIR_ERR\"\n"
        }
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("ro-err-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: errFile) }
        let (status, output) = try h.tool("env", ["TMPDIR_ERR=\(errFile)", "unshare", "-m", "sh", "-c", script])
        #expect(status == 0, "unshare -m and mount are needed (tests run as root): \(output)")
        for q in queries {
            #expect(output.contains("\(q) => 0\n"), "\(output)")
        }
        // The database is untouched by the readers: no WAL or lock files appeared.
        #expect(listing(h.directory).filter { $0.hasPrefix("sweep.db") }.sorted() == ["sweep.db", "sweep.db.locks"])
    }

    /// Output files are written atomically (a temporary file renamed over the target), except
    /// over a device: renaming over /dev/null as root replaced the machine's /dev/null with a
    /// regular file (found when the read-only test above ran `report -o /dev/null`).
    @Test func writingToADeviceLeavesTheDeviceInPlace() throws {
        let h = try SweepHarness("device-output")
        defer { h.cleanUp() }
        func isCharacterDevice(_ path: String) -> Bool {
            var info = stat()
            return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR
        }
        #expect(isCharacterDevice("/dev/null"))
        defer {
            // Should it ever regress, give the machine its /dev/null back.
            if !isCharacterDevice("/dev/null") { _ = unlink("/dev/null"); _ = mknod("/dev/null", S_IFCHR | 0o666, dev_t((1 << 8) | 3)) }
        }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 2, epochs: 1, sleep: 0))
        #expect(try h.run(["run", sweep, "--db", h.db, "--workers", "1", "--no-progress"]).status == 0)
        for command in [["report", "s", "-o", "/dev/null"], ["export", "s", "--format", "csv", "--out", "/dev/null"]] {
            let run = try h.run(command + ["--db", h.db])
            #expect(run.status == 0, "\(command): \(run.output)")
            #expect(isCharacterDevice("/dev/null"), "sweep \(command.joined(separator: " ")) replaced /dev/null")
        }
        // A regular file is still written whole.
        let out = h.directory.appendingPathComponent("r.html").path
        #expect(try h.run(["report", "s", "-o", out, "--db", h.db]).status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasSuffix("</html>\n"))
    }

    @Test func refusedCommandsLeaveNoDatabaseOrLocksBehind() throws {
        let h = try SweepHarness("refused")
        defer { h.cleanUp() }
        let sweep = try h.write("s.yaml", syntheticSweep(study: "s", trials: 2, epochs: 1, sleep: 0))
        // A port another program holds.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        #expect(listen(fd, 1) == 0)
        let busy = Int(UInt16(bigEndian: addr.sin_port))
        let before = listing(h.directory)
        let refusals: [[String]] = [
            ["coordinator", sweep, "--bind", "tcp://127.0.0.1:\(busy)", "--no-progress"],
            ["run", sweep, "--bind", "tcp://127.0.0.1:\(busy)", "--workers", "0", "--no-progress"],
            ["run", sweep, "--bind", "tcp://10.1.2.3:5555", "--workers", "0", "--no-progress"],
            ["run", sweep, "--bind", "127.0.0.1:5555", "--workers", "0", "--no-progress"],
            ["run", sweep, "--keys", "no-such-dir", "--workers", "0", "--no-progress"],
        ]
        for args in refusals {
            let (status, output) = try h.run(args + ["--db", "new.db"])
            #expect(status != 0, "\(args): \(output)")
            #expect(listing(h.directory) == before,
                    "\(args) left files behind: \(listing(h.directory))")
        }
        // A refused resume of an existing study keeps its database, and leaves no locks folder.
        #expect(try h.run(["run", sweep, "--db", "kept.db", "--workers", "1", "--no-progress"]).status == 0)
        try FileManager.default.removeItem(at: h.directory.appendingPathComponent("kept.db.locks"))
        let resumed = try h.run(["resume", "s", "--db", "kept.db", "--add-trials", "1", "--bind", "tcp://127.0.0.1:\(busy)", "--workers", "0", "--no-progress"])
        #expect(resumed.status != 0)
        #expect(FileManager.default.fileExists(atPath: h.directory.appendingPathComponent("kept.db").path))
        #expect(!FileManager.default.fileExists(atPath: h.directory.appendingPathComponent("kept.db.locks").path))
    }
}
