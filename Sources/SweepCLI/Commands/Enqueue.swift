import SweepSupport
import ArgumentParser
import Cluster
import Foundation
import Search
import Store
import SweepFile

/// `sweep enqueue STUDY NAME=VALUE...`: a trial with chosen parameters, run next.
struct Enqueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a trial with chosen parameters: the coordinator runs it next.",
        discussion: """
            Like Optuna's enqueue_trial: give a value for every active parameter of the
            study's search space, named as `sweep validate FILE` lists them (floats,
            ints, or a choice by its text). The running coordinator takes queued trials
            before sampling new ones, within a tick (0.25 s); each runs on top of the
            trial budget. A study that is not running runs them when it is resumed
            (`sweep resume STUDY`). The dashboard's study page does the same (with its
            token).

            Examples:
              sweep enqueue demo x=0.5 y=1 z=2 --db runs/sweep.db
              sweep enqueue quickstart "hidden[0]=128" activation=relu dropout=0.1 \\
                optimizer.name=adam optimizer.learning_rate=0.003
            """)

    @Argument(help: "The study's name.") var study: String
    @Argument(help: ArgumentHelp("The parameters, as NAME=VALUE.", valueName: "NAME=VALUE")) var assignments: [String] = []
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try StudyName.check(study)
        let given = try Self.parse(assignments)
        guard FileManager.default.fileExists(atPath: database.path) else {
            throw UsageError("no database at \(database.path) (pass --db PATH)")
        }
        let store = try database.writer()
        let (record, queued) = try store.write { tx in
            let s = try tx.queries.requireStudy(named: study)
            if let problem = try SweepDefinition.enqueueProblem(s) { throw UsageError(problem) }
            do {
                return (s, try tx.enqueueTrial(study: s, given: given, source: "sweep enqueue", at: Date().timeIntervalSince1970))
            } catch let e as GivenParamError {
                throw UsageError("parameter \(e)")
            }
        }
        // One line, whatever the values hold (a choice with a line break is shown escaped, as `show` does).
        let shown = TextTable.oneLine(queued.params.keys.sorted().map { "\($0)=\(TrialListing.display(queued.params[$0]!))" }.joined(separator: " "))
        print("queued a trial of '\(study)' (queue id \(queued.id)): \(shown)")
        if record.state == .finished {
            print("the study has finished: `\(ShellCommand.resume(study, database: database.path))` runs it")
        }
    }

    /// `NAME=VALUE` pairs as string values (the space reads them as its kinds).
    static func parse(_ assignments: [String]) throws -> Params {
        var out: Params = [:]
        for a in assignments {
            guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
                throw UsageError("'\(a)': expected NAME=VALUE, e.g. x=0.5")
            }
            let name = String(a[..<eq])
            guard out[name] == nil else { throw UsageError("parameter \(name): given twice") }
            out[name] = .string(String(a[a.index(after: eq)...]))
        }
        return out
    }
}
