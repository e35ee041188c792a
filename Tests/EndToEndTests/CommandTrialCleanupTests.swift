import Foundation
import Store
import Testing

/// Pids of live processes whose command line contains `marker` (zombies excluded).
func processesWithMarker(_ marker: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains(marker) && processExists(pid)
    }
}

/// Command trials clean up after themselves: no process of theirs outlives a killed
/// worker, and every attempt's output tail reaches the store.
@Suite(.serialized) struct CommandTrialCleanupTests {
    @Test func killedWorkerLeavesNoDescendantEvenDoubleForkedOrSetsid() throws {
        let h = try SweepHarness("cmd-orphans")
        defer { h.cleanUp() }
        let port = SweepHarness.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        // Each lingering process runs this script, so its command line names the test's directory.
        let linger = try h.write("linger.sh", "while true; do sleep 1; done\n")
        let spawnerScript = try h.write("spawner.sh", """
            sh \(linger) &                      # a child in the trial's process group
            ( sh \(linger) & )                  # double-forked: reparented, still in the group
            setsid sh \(linger) &               # its own session and group
            ( setsid sh \(linger) & )           # double-forked and setsid
            echo '{"epoch": 1, "loss": 1}' >&3
            sleep 1000
            """)
        let file = try h.write("s.yaml", commandSweep(study: "orph", command: "[sh, \"\(spawnerScript)\"]", trials: 1, epochs: 3))
        let timing = ["--heartbeat-ms", "200", "--liveness", "4"]
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"] + timing, log: "coordinator.log")
        let worker = try h.start(["worker", "--connect", endpoint, "--id", "w", "--allow-commands", "--log-dir", "logs"] + timing, log: "w.log")
        defer {
            if worker.isRunning { worker.terminate() }
            if coordinator.isRunning { coordinator.terminate() }
            for pid in processesWithMarker(linger) { kill(pid, SIGKILL) }
        }

        _ = try #require(h.runningTrial(study: "orph", timeout: 60), "the trial did not reach its first epoch:\n\(h.logText("w.log"))")
        #expect(h.waitFor(timeout: 10) { processesWithMarker(linger).count == 4 }, "expected 4 lingering processes, found \(processesWithMarker(linger))")
        // The subshells that double-forked are gone by now; the program itself remains.
        #expect(h.waitFor(timeout: 10) { processesWithMarker(spawnerScript).count == 1 })
        let spawner = processesWithMarker(spawnerScript)
        kill(worker.processIdentifier, SIGKILL)
        #expect(h.waitFor(timeout: 10) { processesWithMarker(linger).isEmpty && spawner.allSatisfy { !processExists($0) } },
                "processes of the killed worker's trial live on: \(processesWithMarker(linger)) \(spawner.filter(processExists))")
    }

    @Test func everyAttemptKeepsItsOutputTailAndShowsItWithoutTheLogFiles() throws {
        let h = try SweepHarness("cmd-log-tail")
        defer { h.cleanUp() }
        // 6,000 lines of stdout then a stderr line: the tail keeps the end, in arrival order.
        _ = try h.write("talk.sh", """
            i=0; while [ $i -lt 6000 ]; do echo "out line $i"; i=$((i+1)); done
            echo "last words on stderr" >&2
            printf '\\033[2Jcleared?\\r\\nwindows line\\r\\n' >&2
            echo '{"epoch": 1, "loss": 1}' >&3
            [ "$SWEEP_TRIAL" = 1 ] && exit 4
            exit 0
            """)
        let file = try h.write("s.yaml", commandSweep(study: "tail", command: "[sh, talk.sh]", trials: 2, epochs: 1))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let trials = try trialsAndCurves(h, "tail")
        #expect(trials.map(\.0.state) == [.complete, .fail])
        #expect(trials.map(\.2.count) == [1, 1]) // a failure is not retried by default (retry_errors)
        for (t, _, attempts) in trials {
            for a in attempts {
                let tail = try #require(a.logTail, "trial \(t.number) attempt \(a.attempt) has no stored output tail")
                #expect(tail.count <= 4000 && tail.count > 3900, "\(tail.count)")
                #expect(tail.hasSuffix("out line 5999\nlast words on stderr\n\u{1B}[2Jcleared?\r\nwindows line\r\n"), "\(tail.suffix(80))")
                #expect(!tail.contains("out line 0\n"))
            }
        }
        // With the worker's files out of reach, `sweep logs` and `sweep show` show the stored tail.
        try FileManager.default.removeItem(atPath: h.db + ".logs")
        let (logsStatus, logs) = try h.run(["logs", "tail", "0", "--db", h.db])
        #expect(logsStatus == 0 && logs.contains("out line 5999\nlast words on stderr"), "\(logs.suffix(300))")
        let (showStatus, show) = try h.run(["show", "tail", "1", "--db", h.db])
        #expect(showStatus == 0 && show.contains("output of attempt 1") && show.contains("  last words on stderr"), "\(show.suffix(300))")
        // A program's escape sequences are shown, not sent to the terminal (ESC [2J cleared it).
        #expect(show.contains("  \\u{1B}[2Jcleared?\n  windows line\n") && !show.contains("\u{1B}") && !show.contains("\\r"), "\(show.suffix(300))")
        // A successful attempt's output is kept and shown too.
        let (okStatus, ok) = try h.run(["show", "tail", "0", "--db", h.db])
        #expect(okStatus == 0 && ok.contains("output of attempt 1") && ok.contains("  out line 5999\n  last words on stderr"), "\(ok.suffix(300))")
    }
}

extension CommandTrialCleanupTests {
    /// A trial that printed nothing: `sweep logs` says so (on stderr) instead of printing
    /// nothing at all, which read like a broken command.
    @Test func logsOfATrialThatPrintedNothingSaySo() throws {
        let h = try SweepHarness("quiet-logs")
        defer { h.cleanUp() }
        _ = try h.write("quiet.sh", "echo '{\"loss\": 1, \"epoch\": 1}' >&\"$SWEEP_REPORT_FD\"\n")
        let file = try h.write("s.yaml", commandSweep(study: "quiet", command: "[sh, quiet.sh]", trials: 1, epochs: 1))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let (logsStatus, logs) = try h.run(["logs", "quiet", "0", "--db", h.db])
        #expect(logsStatus == 0 && logs.contains("(no output: ") && logs.contains("trial-0.attempt-1.out and .err are empty)"), "\(logs)")
        let (errStatus, err) = try h.run(["logs", "quiet", "0", "--db", h.db, "--stream", "stderr"])
        #expect(errStatus == 0 && err.contains("trial-0.attempt-1.err is empty)"), "\(err)")
        // Only stdout written: stderr is empty, not stdout's text (taken for a full disk's
        // empty files, the stored tail of both streams was printed as stderr).
        _ = try h.write("talk.sh", "echo 'said on stdout'\necho '{\"loss\": 1, \"epoch\": 1}' >&\"$SWEEP_REPORT_FD\"\n")
        let talk = try h.write("t.yaml", commandSweep(study: "talk", command: "[sh, talk.sh]", trials: 1, epochs: 1))
        #expect(try h.run(["run", talk, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120).status == 0)
        let (onlyErrStatus, onlyErr) = try h.run(["logs", "talk", "0", "--db", h.db, "--stream", "stderr"])
        #expect(onlyErrStatus == 0 && onlyErr.contains("trial-0.attempt-1.err is empty)") && !onlyErr.contains("said on stdout"), "\(onlyErr)")
        #expect(try h.run(["logs", "talk", "0", "--db", h.db, "--stream", "stdout"]).output.contains("said on stdout"))
        // No `.params.json` for a command that does not name ${args_json_file} (a third file
        // per attempt: 18,000 files for 6,000 trials).
        #expect(FileManager.default.fileExists(atPath: h.db + ".logs/talk/trial-0.attempt-1.out"))
        #expect(!FileManager.default.fileExists(atPath: h.db + ".logs/talk/trial-0.attempt-1.params.json"))
        // Without the files, the stored tail (both streams as they came) is said to be both.
        try FileManager.default.removeItem(atPath: h.db + ".logs")
        let stored = try h.run(["logs", "talk", "0", "--db", h.db, "--stream", "stderr"])
        #expect(stored.status == 0 && stored.output.contains("characters of output the worker sent, stdout and stderr together:"), "\(stored.output)")
    }
}

extension CommandTrialCleanupTests {
    /// A process a trial started outside its process group (setsid) ends with the trial,
    /// not only with the worker: it held on to memory, GPUs or ports the next trial needed.
    @Test func aSetsidDescendantEndsWithItsTrialNotOnlyWithTheWorker() throws {
        let h = try SweepHarness("cmd-setsid")
        defer { h.cleanUp() }
        let linger = try h.write("linger.sh", "while true; do sleep 1; done\n")
        // Trial 0 leaves a setsid process behind; trial 1 (same worker, after it) looks for it.
        _ = try h.write("leave.sh", """
            if [ "$SWEEP_TRIAL" = 0 ]; then
              setsid sh \(linger) &
              echo $! > left.pid
            else
              p=$(cat left.pid)   # gone, or a zombie its new parent has yet to reap
              if [ -e /proc/$p ] && ! grep -q ') Z ' /proc/$p/stat; then echo alive > seen.txt; else echo gone > seen.txt; fi
            fi
            echo '{"epoch": 1, "loss": 1}' >&3
            """)
        defer { for pid in processesWithMarker(linger) { kill(pid, SIGKILL) } }
        let file = try h.write("s.yaml", commandSweep(study: "setsid", command: "[sh, leave.sh]", trials: 2, epochs: 1))
        let (status, output) = try h.run(["run", file, "--db", h.db, "--workers", "1", "--no-progress"], timeout: 120)
        #expect(status == 0, "\(output)")
        let seen = try String(contentsOfFile: h.path("seen.txt"), encoding: .utf8)
        #expect(seen == "gone\n", "trial 0's setsid process was still running when trial 1 ran")
        // (The loop's shell, and its `sleep` unless caught between two.)
        #expect(output.contains(/trial 0: killed [12] process\(es\) it left running outside its process group/), "\(output)")
    }
}

extension CommandTrialCleanupTests {
    /// `sweep logs` finds the output a `sweep worker` of this machine kept in its default
    /// directory (`$TMPDIR/sweep-logs-UID`, no --log-dir): it looked beside the database only.
    @Test func logsFindTheOutputOfAWorkerWithoutLogDir() throws {
        let h = try SweepHarness("default-log-dir")
        defer { h.cleanUp() }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("s.yaml", commandSweep(study: "dl", command: "[sh, -c, \"echo hello-from-the-trial; echo '{\\\"epoch\\\": 1, \\\"loss\\\": 1}' >&3\"]", trials: 1, epochs: 1))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let environment = ["TMPDIR": h.directory.path]
        let worker = try h.run(SweepHarness.executable.path, ["worker", "--connect", endpoint, "--allow-commands"], timeout: 60, environment: environment)
        #expect(worker.status == 0, "\(worker.output)")
        #expect(FileManager.default.fileExists(atPath: h.path("sweep-logs-\(getuid())/dl/trial-0.attempt-1.out")))
        let logs = try h.run(SweepHarness.executable.path, ["logs", "dl", "0", "--db", h.db, "--stream", "stdout"], environment: environment)
        #expect(logs.status == 0 && logs.output.contains("hello-from-the-trial") && !logs.output.contains("no log files"), "\(logs.output)")
    }

    /// The default log directory is this user's only: made 0700 when it is ours but open
    /// (it was 0755, its logs and parameters readable by every user), and not used when the
    /// name is a link (another user's, in a shared /tmp: the worker wrote through it into
    /// a folder of its user's, truncating files there): a fresh directory is made instead.
    @Test(arguments: [false, true])
    func theDefaultLogDirectoryIsPrivate(planted: Bool) throws {
        let h = try SweepHarness("private-log-dir")
        defer { h.cleanUp() }
        let name = h.path("sweep-logs-\(getuid())")
        if planted {
            try FileManager.default.createDirectory(atPath: h.path("precious"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: name, withDestinationPath: h.path("precious"))
        } else {
            try FileManager.default.createDirectory(atPath: name, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        }
        let endpoint = "tcp://127.0.0.1:\(SweepHarness.freePort())"
        let file = try h.write("s.yaml", commandSweep(study: "pl", command: "[sh, -c, \"echo out; echo '{\\\"epoch\\\": 1, \\\"loss\\\": 1}' >&3\"]", trials: 1, epochs: 1))
        let coordinator = try h.start(["coordinator", file, "--db", h.db, "--bind", endpoint, "--no-progress"], log: "coordinator.log")
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let worker = try h.run(SweepHarness.executable.path, ["worker", "--connect", endpoint, "--allow-commands"], timeout: 60, environment: ["TMPDIR": h.directory.path])
        #expect(worker.status == 0, "\(worker.output)")
        if planted {
            #expect(try FileManager.default.contentsOfDirectory(atPath: h.path("precious")).isEmpty, "the worker wrote through the link")
            let fresh = try FileManager.default.contentsOfDirectory(atPath: h.directory.path).filter { $0.hasPrefix("sweep-logs-") && $0 != "sweep-logs-\(getuid())" }
            #expect(fresh.count == 1 && FileManager.default.fileExists(atPath: h.path("\(fresh[0])/pl/trial-0.attempt-1.out")), "\(fresh)")
        } else {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: name)[.posixPermissions] as? Int)
            #expect(mode == 0o700 && FileManager.default.fileExists(atPath: name + "/pl/trial-0.attempt-1.out"), "mode \(String(mode, radix: 8))")
        }
    }
}
