import ArgumentParser
import Store

/// A trial named on the command line: its number, `best` (the best complete trial), `last`
/// (the highest number), or counted from the end as `-1` (the last), `-2`, ... like a
/// Python index (`last-1` is the same as `-2`).
///
/// ```
/// sweep show quickstart 12
/// sweep show quickstart best
/// sweep show quickstart -1
/// ```
enum TrialChoice: Equatable, ExpressibleByArgument, CustomStringConvertible {
    case number(Int)
    case best
    /// The trial `back` places before the last one (0: the last).
    case fromEnd(back: Int)

    init?(argument: String) {
        switch argument {
        case "best": self = .best
        case "last": self = .fromEnd(back: 0)
        default:
            if argument.hasPrefix("last-"), let k = Int(argument.dropFirst(5)), k >= 0 {
                self = .fromEnd(back: k)
            } else if let n = Int(argument) {
                self = n >= 0 ? .number(n) : .fromEnd(back: -n - 1)
            } else {
                return nil
            }
        }
    }

    var description: String {
        switch self {
        case .number(let n): return "\(n)"
        case .best: return "best"
        case .fromEnd(let back): return back == 0 ? "last" : "last-\(back)"
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// The trial's number in `study`, or a usage error saying which trials there are.
    func resolve(in study: StudyRecord, _ q: StoreQueries) throws -> Int {
        let count = try q.stateCounts(studyID: study.id).values.reduce(0, +)
        func none(_ what: String) -> UsageError {
            UsageError("study '\(study.name)' has no trial \(what) (it has \(count) trial\(count == 1 ? "" : "s")\(count > 0 ? ", numbered 0...\(count - 1)" : ""))")
        }
        switch self {
        case .number(let n):
            guard n < count else { throw none("\(n)") }
            return n
        case .best:
            guard let best = try q.best(study: study, top: 1).first else {
                throw UsageError("study '\(study.name)' has no complete trial yet, so no best one")
            }
            return best.number
        case .fromEnd(let back):
            // Both spellings: `-21` reaches here as `last-20`.
            guard back < count else { throw none(back == 0 ? "yet" : "\(description) (\(-(back + 1)), counted from the end)") }
            return count - 1 - back
        }
    }
}

extension ArgumentFixes {
    /// `sweep show STUDY -1` -> `sweep show STUDY last`: ArgumentParser takes `-1` for an
    /// option, so a trial counted from the end is rewritten before it parses (only for the
    /// commands whose argument is a ``TrialChoice``, and only a standalone negative
    /// integer: an option's negative value is joined to it first, `--x=-1`).
    static func trialsFromTheEnd(_ arguments: [String]) -> [String] {
        guard let command = arguments.first,
              ["show", "logs"].contains(command) || (command == "model" && arguments.dropFirst().first == "export") else { return arguments }
        var out = [command]
        func fromEnd(_ n: Int) -> String { n == -1 ? "last" : "last-\(-n - 1)" }
        for (i, a) in arguments.enumerated().dropFirst() {
            if a == "--" { out += arguments[i...]; break }
            // (Int.min has no positive counterpart: left as written, refused as an option.)
            if a.hasPrefix("-"), let n = Int(a), n < 0, n > Int.min {
                out.append(fromEnd(n))
            } else if a.hasPrefix("--follow="), let n = Int(a.dropFirst("--follow=".count)), n < 0, n > Int.min {
                // `--follow -1`, joined by `joinNegativeNumbers` as if it were a value: a flag.
                out += ["--follow", fromEnd(n)]
            } else {
                out.append(a)
            }
        }
        return out
    }
}
