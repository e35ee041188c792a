import Foundation
import Testing
@testable import Training

/// Data shipped by the coordinator to a worker that cannot see the files, through the built
/// `sweep` binary: the worker runs in another directory, the sweep names the data by a
/// relative path that does not exist there.
@Suite("Shipped data through the command line")
struct DataShippingCommandTests {
    /// The coordinator's directory with `d.csv` and a one-trial sweep file naming it
    /// relatively; `searchedScaling`: a `data` value is searched too (the files are not).
    /// `padBytes`: each row carries an ignored column of that many bytes (a file of many chunks).
    func coordinatorDirectory(searchedScaling: Bool = false, rows count: Int = 40, padBytes: Int = 0) throws -> DataDirectory {
        let dir = try DataDirectory()
        let pad = String(repeating: "z", count: padBytes)
        let rows = (1...count).map { "\($0),\(Double($0) / 7),\($0 % 2 == 0 ? "q" : "p")" + (padBytes > 0 ? ",\(pad)" : "") }
        try dir.write("d.csv", "a,b,y" + (padBytes > 0 ? ",pad" : "") + "\n" + rows.joined(separator: "\n") + "\n")
        try dir.write("s.yaml", """
            study: ship
            data: {dataset: csv, train_file: d.csv, label: y, validation: 8, test: 8\(searchedScaling ? ", scaling: {choice: [standardize, unit]}" : "")\(padBytes > 0 ? ", ignore: [pad]" : "")}
            model: {hidden: [{int: [2, 4]}]}
            training: {epochs: 1}
            budget: {trials: 1}
            retry: {max_attempts: 1}
            """)
        return dir
    }

    /// Runs the coordinator (with `extra` options) and one worker in `workerDir`; returns the
    /// worker's output and `sweep show` of trial 0.
    func runStudy(_ dir: DataDirectory, workerDir: DataDirectory, extra: [String] = []) throws -> (worker: String, show: String) {
        let port = Int.random(in: 20_000..<60_000)
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: sweepBinary)
        coordinator.arguments = ["coordinator", "s.yaml", "--bind", "tcp://127.0.0.1:\(port)", "--db", "s.db", "--no-progress"] + extra
        coordinator.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        coordinator.standardOutput = FileHandle.nullDevice
        coordinator.standardError = FileHandle.nullDevice
        try coordinator.run()
        defer { if coordinator.isRunning { coordinator.terminate() } }
        let worker = try runSweep(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--max-trials", "1", "--data-cache", "cache"], in: workerDir.path)
        #expect(worker.status == 0, "\(worker.output)")
        coordinator.waitUntilExit()
        return (worker.output, try runSweep(["show", "ship", "0", "--db", "s.db"], in: dir.path).output)
    }

    @Test(arguments: [false, true])
    func aWorkerWithoutTheFilesTrainsOnTheShippedCopy(searchedScaling: Bool) throws {
        let dir = try coordinatorDirectory(searchedScaling: searchedScaling), workerDir = try DataDirectory()
        let (worker, show) = try runStudy(dir, workerDir: workerDir)
        #expect(show.contains("COMPLETE"), "\(show)\n\(worker)")
        let sha = try DataFingerprint.ofFile("\(dir.path)/d.csv")
        let cached = "\(workerDir.path)/cache/\(sha.sha256)"
        #expect(FileManager.default.contents(atPath: cached) == FileManager.default.contents(atPath: "\(dir.path)/d.csv"))
        #expect(worker.contains("received d.csv (\(sha.bytes) bytes) from the coordinator"), "\(worker)")
        #expect(!FileManager.default.fileExists(atPath: "\(workerDir.path)/d.csv"))
    }

    /// More chunks than a worker may leave unconfirmed (Receipts.unconfirmed, 8 of 1 MiB):
    /// the worker returns the receipts of what it read, or the coordinator stops answering.
    @Test func aDataSetOfManyChunksArrivesWhole() throws {
        let dir = try coordinatorDirectory(rows: 3000, padBytes: 4000), workerDir = try DataDirectory()
        let (worker, show) = try runStudy(dir, workerDir: workerDir)
        #expect(show.contains("COMPLETE"), "\(show)\n\(worker)")
        let sha = try DataFingerprint.ofFile("\(dir.path)/d.csv")
        #expect(sha.bytes > 11 << 20)
        #expect(FileManager.default.contents(atPath: "\(workerDir.path)/cache/\(sha.sha256)") == FileManager.default.contents(atPath: "\(dir.path)/d.csv"))
    }

    @Test func aDataSetOverTheShippingLimitFailsTheTrialNamingTheLimit() throws {
        let dir = try coordinatorDirectory(), workerDir = try DataDirectory()
        let (worker, show) = try runStudy(dir, workerDir: workerDir, extra: ["--ship-data-max-mib", "0"])
        #expect(show.contains("FAIL"), "\(show)")
        #expect(show.contains("data file(s) d.csv not on this worker, and the coordinator does not ship them"), "\(show)\n\(worker)")
        #expect(show.contains("exceed the coordinator's shipping limit of 0 bytes (--ship-data-max-mib)"), "\(show)")
        #expect(!FileManager.default.fileExists(atPath: "\(workerDir.path)/cache"))
    }

    @Test(arguments: [false, true])
    func resumeOnChangedDataStopsWithBothFingerprintsUnlessForced(searchedScaling: Bool) throws {
        let dir = try coordinatorDirectory(searchedScaling: searchedScaling)
        let first = try runSweep(["run", "s.yaml", "--db", "s.db", "--workers", "1", "--no-progress"], in: dir.path)
        #expect(first.status == 0, "\(first.output)")
        let before = try DataFingerprint.ofFile("\(dir.path)/d.csv")
        // Unchanged data resumes (a trial more).
        let same = try runSweep(["resume", "ship", "--db", "s.db", "--workers", "1", "--add-trials", "1", "--no-progress"], in: dir.path)
        #expect(same.status == 0, "\(same.output)")
        // One value changed: refused, naming the file and both fingerprints; nothing run.
        let text = try String(contentsOfFile: "\(dir.path)/d.csv", encoding: .utf8)
        try dir.write("d.csv", text.replacingOccurrences(of: "\n7,1.0,p\n", with: "\n7,1.5,p\n"))
        let after = try DataFingerprint.ofFile("\(dir.path)/d.csv")
        #expect(after != before)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/s.db"))
        let refused = try runSweep(["resume", "ship", "--db", "s.db", "--workers", "1", "--add-trials", "1", "--no-progress"], in: dir.path)
        #expect(refused.status == 2, "\(refused.output)")
        // Checked before the store is opened for writing, which writes (the header changed).
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/s.db")) == bytes, "the refused resume changed the database file")
        let coordinator = try runSweep(["coordinator", "s.yaml", "--db", "s.db", "--resume"], in: dir.path)
        #expect(coordinator.status == 2 && coordinator.output.contains("changed since it started"), "\(coordinator.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/s.db")) == bytes, "the refused coordinator --resume changed the database file")
        #expect(refused.output.contains("the data of study 'ship' changed since it started: d.csv now gives \(after), the study started with \(before)"), "\(refused.output)")
        #expect(try runSweep(["trials", "ship", "--db", "s.db"], in: dir.path).output.components(separatedBy: "COMPLETE").count == 3)
        // --force continues on the new data, which becomes the study's.
        let forced = try runSweep(["resume", "ship", "--db", "s.db", "--workers", "1", "--add-trials", "1", "--force", "--no-progress"], in: dir.path)
        #expect(forced.status == 0, "\(forced.output)")
        let trials = try runSweep(["trials", "ship", "--db", "s.db"], in: dir.path).output
        #expect(trials.components(separatedBy: "COMPLETE").count == 4, "\(trials)")
        let again = try runSweep(["resume", "ship", "--db", "s.db", "--workers", "1", "--add-trials", "1", "--no-progress"], in: dir.path)
        #expect(again.status == 0, "\(again.output)")
    }
}
