import ArgumentParser
import Foundation
import Store

/// `--db PATH`: where studies live. Default `sweep.db` in the current directory, or `$SWEEP_DB`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite database of the studies (default: $SWEEP_DB, else ./sweep.db).", valueName: "path"), completion: .file())
    var db: String?

    /// `--db`, else `$SWEEP_DB` unless it is empty (`SWEEP_DB= sweep status` unsets it, as
    /// shells treat an empty variable), else `sweep.db`.
    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["SWEEP_DB"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "sweep.db"
    }

    func validate() throws {
        if db?.isEmpty == true { throw ValidationError("--db needs a path (an empty one names no file)") }
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
