import Store
import SweepFile

/// `study:NAME/TRIAL` or `study:NAME/best` in `model.transfer.from`: a model kept by
/// another study of the same database. The coordinator resolves it and sends the model
/// file with the assignment, so workers on other machines need no shared disk.
public struct BaseModelReference: Equatable {
    /// What a reference begins with (a path does not).
    public static let prefix = "study:"

    /// The study whose kept model it names.
    public var study: String
    /// nil for `best`.
    var trial: Int?
    /// The reference as written (errors quote it).
    var written: String

    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case malformed(String)
        case unresolved(String, String)
        case badStudyName(String, StudyNameError)

        public var description: String {
            switch self {
            case .malformed(let r): return "model.transfer.from: '\(r)' is not a model reference; write study:NAME/TRIAL or study:NAME/best"
            case .unresolved(let r, let why): return "model.transfer.from: cannot use '\(r)': \(why)"
            case .badStudyName(let r, let why): return "model.transfer.from: '\(r)': \(why)"
            }
        }
    }

    /// Parses `study:NAME/TRIAL` or `study:NAME/best`.
    public init(_ text: String) throws(Error) {
        guard text.hasPrefix(Self.prefix) else { throw .malformed(text) }
        written = text
        let body = text.dropFirst(Self.prefix.count)
        guard let slash = body.lastIndex(of: "/") else { throw .malformed(text) }
        study = String(body[..<slash])
        let which = body[body.index(after: slash)...]
        guard !study.isEmpty else { throw .malformed(text) }
        do { try StudyName.check(study) } catch { throw .badStudyName(text, error) }
        if which == "best" {
            trial = nil
        } else if let n = Int(which), n >= 0 {
            trial = n
        } else {
            throw .malformed(text)
        }
    }

    /// The bytes of the model file this reference names, from a database's kept models
    /// (`directory`). `best` is the study's best complete trial (as `sweep best` and
    /// `sweep model export` mean it); its model must have been kept.
    public func modelBytes(queries: StoreQueries, directory: ArtifactDirectory) throws -> (bytes: [UInt8], trial: Int) {
        let reference = written
        guard let source = try queries.study(named: study) else {
            throw Error.unresolved(reference, "no study named '\(study)' in this database")
        }
        let number: Int
        if let n = trial {
            number = n
        } else if let best = try queries.best(study: source, top: 1).first {
            number = best.number
        } else {
            throw Error.unresolved(reference, "study '\(study)' has no complete trial")
        }
        guard let pick = try queries.artifacts(studyID: source.id).first(where: { $0.trialNumber == number }) else {
            throw Error.unresolved(reference, "study '\(study)' kept no model for trial \(number)\(trial == nil ? " (its best trial)" : "") (see `sweep model list \(study)`)")
        }
        return (try directory.read(pick.path), number)
    }
}
