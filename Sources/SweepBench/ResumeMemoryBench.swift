import ArgumentParser
import Foundation

extension ClusterBench {
    /// Peak memory of the coordinator process that wrote a large study against the one
    /// that resumes it (`sweep resume`): resuming must not load more than the run held.
    struct ResumeMemory: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume-memory",
            abstract: "Peak RSS of `sweep run` writing a study of zero-cost trials, and of `sweep resume` reopening it.")

        @Option(help: "Trials of the study that is written.") var trials = 50_000
        @Option(help: "Epochs (reports) per trial.") var epochs = 1
        @Option(help: "Trials the resume adds (so that it runs, not only loads).") var addTrials = 100
        @Option(help: "Local workers of both runs.") var workers = 4
        @Option(help: "The `sweep` executable (default: the one beside sweep-bench).") var sweep: String?
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            let dir = try ClusterBench.scratch("resume-memory")
            defer { try? FileManager.default.removeItem(at: dir) }
            let study = "big"
            try ClusterBench.sweepFile(study: study, trials: trials, epochs: epochs, sleep: 0)
                .write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
            let executable = sweep ?? ClusterBench.sweepExecutable
            let common = ["--workers", "\(workers)", "--db", "s.db", "--no-progress"]
            let written = try Self.peakRSS(executable, ["run", "s.yaml"] + common, in: dir)
            let resumed = try Self.peakRSS(executable, ["resume", study, "--add-trials", "\(addTrials)"] + common, in: dir)
            let ratio = Double(resumed.kilobytes) / Double(written.kilobytes)
            if json {
                print("{\"bench\":\"resume_memory\",\"trials\":\(trials),\"epochs\":\(epochs),\"workers\":\(workers),"
                      + "\"run_max_rss_kb\":\(written.kilobytes),\"resume_max_rss_kb\":\(resumed.kilobytes),\"ratio\":\(ratio),"
                      + "\"run_seconds\":\(written.seconds),\"resume_seconds\":\(resumed.seconds)}")
            } else {
                print(String(format: "%d trials x %d epoch(s): `sweep run` peak RSS %.1f MB (%.1f s), `sweep resume --add-trials %d` %.1f MB (%.1f s): %.2fx",
                             trials, epochs, Double(written.kilobytes) / 1024, written.seconds, addTrials,
                             Double(resumed.kilobytes) / 1024, resumed.seconds, ratio))
            }
        }

        /// Runs `sweep ARGS` and samples the high-water mark of its resident set (VmHWM of
        /// the coordinator process itself, not of its local worker processes) until it exits.
        static func peakRSS(_ executable: String, _ arguments: [String], in dir: URL) throws -> (kilobytes: Int, seconds: Double) {
            let p = ClusterBench.sweepProcess(executable, arguments, in: dir)
            let start = Date()
            try p.run()
            let status = "/proc/\(p.processIdentifier)/status"
            var peak = 0
            // VmHWM only grows: the last reading before exit is the peak (up to the final 5 ms).
            while p.isRunning {
                if let text = try? String(contentsOfFile: status, encoding: .utf8), let kb = Self.field("VmHWM", in: text) { peak = max(peak, kb) }
                usleep(5_000)
            }
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw ValidationError("sweep \(arguments.joined(separator: " ")) exited with \(p.terminationStatus)") }
            guard peak > 0 else { throw ValidationError("could not read \(status)") }
            return (peak, Date().timeIntervalSince(start))
        }

        /// The value in kB of `name:` in a /proc status file.
        static func field(_ name: String, in text: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
    }
}
