import ArgumentParser
import Foundation
import Search
import Store
import SweepSupport

/// `sweep compare A B`: two studies side by side.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two studies: best values, trials and time to reach a target, trial counts and durations.",
        discussion: """
            The target defaults to the worse of the two best values, so both studies
            reach it and the question is which got there sooner. "Trials to target"
            counts the trials that had finished (complete, pruned or failed) when a
            complete trial first matched the target; "time to target" runs from the
            study's first trial start. "Best after N" compares both at the same number
            of finished trials (the smaller study's count). Both studies must have the
            same objective direction.

            Examples:
              sweep compare schedules optimizers --db runs/sweep.db
              sweep compare schedules optimizers --db runs/a.db --db-b runs/b.db
              sweep compare a b --target 0.88 --format json
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The first study.") var studyA: String
    @Argument(help: "The second study.") var studyB: String
    @Option(name: .customLong("db-b"), help: ArgumentHelp("Database of the second study (default: the same as --db).", valueName: "path"), completion: .file())
    var dbB: String?
    @Option(help: "The objective value to reach (default: the worse of the two best values).") var target: Double?
    @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

    func run() throws {
        if let target, !target.isFinite { throw UsageError("--target must be a finite number") }
        let a = try StudyOutcome.load(try database.reader(), study: studyA, databasePath: database.path)
        let pathB = dbB ?? database.path
        let readerB = dbB.map { try? SweepStore.openReadOnly(path: $0) } ?? nil
        if dbB != nil && readerB == nil { throw UsageError("cannot open the database \(pathB) (--db-b)") }
        let b = try StudyOutcome.load(try readerB ?? database.reader(), study: studyB, databasePath: pathB)
        guard a.direction == b.direction else {
            throw UsageError("'\(a.study.name)' is to \(a.direction.rawValue) \(a.study.definition.metric) but '\(b.study.name)' is to \(b.direction.rawValue) \(b.study.definition.metric): the values are not comparable")
        }
        if a.study.definition.metric != b.study.definition.metric {
            StandardStream.error.write("warning: the studies optimize different metrics (\(a.study.definition.metric), \(b.study.definition.metric))\n")
        }
        let comparison = Comparison(a: a, b: b, givenTarget: target)
        switch format {
        case .json: print(try JSONOutput.render(comparison.json))
        case .csv: print(CSV.render(Comparison.csvHeaders, comparison.csvRows), terminator: "")
        case .table:
            print(Self.sideBySide(["", a.study.name, b.study.name], comparison.rows.map { [$0.0, $0.1, $0.2] }))
            if let t = comparison.target { print("\ntarget \(Fmt.value(t)): \(comparison.targetSource)") }
            if let v = comparison.verdict { print(v) }
        }
    }
}

extension Compare {
    /// Left-aligned columns (the measures are mixed text and numbers).
    static func sideBySide(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(TerminalWidth.of)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], TerminalWidth.of(c)) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - TerminalWidth.of(c)) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }
}
