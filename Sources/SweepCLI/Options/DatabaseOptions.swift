import ArgumentParser
import Foundation
import Store

/// `--db PATH`: where studies live. Default `sweep.db` in the current directory, or `$SWEEP_DB`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite database of the studies (default: $SWEEP_DB, else ./sweep.db).", valueName: "path"))
    var db: String?

    var path: String {
        db ?? ProcessInfo.processInfo.environment["SWEEP_DB"] ?? "sweep.db"
    }

    /// A read-only connection: safe while a sweep writes.
    func reader() throws -> StoreReader {
        try SweepStore.openReadOnly(path: path)
    }

    /// The writable store, created if missing.
    func writer() throws -> SweepStore {
        try SweepStore.open(path: path)
    }
}

/// `--format table|json|csv`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv

    /// Refuses (exit 2) a format the command does not print.
    func require(_ allowed: [OutputFormat], for command: String) throws {
        guard allowed.contains(self) else {
            throw UsageError("--format must be \(allowed.map(\.rawValue).joined(separator: " or ")) for \(command), got \(rawValue)")
        }
    }
}
