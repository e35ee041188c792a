import SweepFile

/// `study:NAME/TRIAL` or `study:NAME/best` in `model.transfer.from`: a model kept by
/// another study of the same database. The coordinator resolves it and sends the model
/// file with the assignment, so workers on other machines need no shared disk.
struct BaseModelReference: Equatable {
    static let prefix = "study:"

    var study: String
    /// nil for `best`.
    var trial: Int?

    enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case malformed(String)
        case unresolved(String, String)
        case badStudyName(String, StudyNameError)

        var description: String {
            switch self {
            case .malformed(let r): return "model.transfer.from: '\(r)' is not a model reference; write study:NAME/TRIAL or study:NAME/best"
            case .unresolved(let r, let why): return "model.transfer.from: cannot use '\(r)': \(why)"
            case .badStudyName(let r, let why): return "model.transfer.from: '\(r)': \(why)"
            }
        }
    }

    init(_ text: String) throws(Error) {
        guard text.hasPrefix(Self.prefix) else { throw .malformed(text) }
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
}
