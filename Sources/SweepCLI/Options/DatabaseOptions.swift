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

/// The formats of a command without a CSV form (`status`, `show`): its help lists these
/// only (it listed csv, which was then refused).
enum TableOrJSON: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// `--format table|json|csv`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}
