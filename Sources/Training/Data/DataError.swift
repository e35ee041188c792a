/// Why a data set could not be loaded.
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A data file is not there (the message says how to install Fashion-MNIST).
    case missingFile(path: String)
    /// A file exists but could not be read or decompressed.
    case unreadable(path: String, reason: String)
    /// A file's content is not what its header or the data set promises.
    case corrupt(path: String, reason: String)
    /// A well-formed file in a form this data set cannot use (one-hot or fractional labels).
    case unusable(path: String, reason: String)
    /// The requested split does not fit the data (e.g. validation larger than the training file).
    case invalidSplit(String)
    /// A file named by a `data` field (`train_file`, ...) is not there.
    case noSuchFile(field: String, path: String)
    /// A value in a text table is wrong: the file, 1-based line and column, and what is wrong.
    case malformed(path: String, line: Int, column: Int, reason: String)
    /// The data and the `data` section disagree (classes, shapes, columns across files).
    case mismatch(String)
    /// This machine's files are not the coordinator's (`data.fingerprint`).
    case fingerprintMismatch(expected: String, actual: String, paths: [String])
    /// A file or folder for data could not be written (the cache of shipped data).
    case unwritable(path: String, reason: String)

    /// The message, naming the file.
    public var description: String {
        switch self {
        case .missingFile(let path):
            return "data file not found: \(path) (install Fashion-MNIST with `apt install dataset-fashion-mnist`, or set data.path)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .corrupt(let path, let reason):
            return "corrupt data file \(path): \(reason)"
        case .unusable(let path, let reason):
            return "cannot use data file \(path): \(reason)"
        case .invalidSplit(let message):
            return "invalid data split: \(message)"
        case .noSuchFile(let field, let path):
            return "data.\(field): no such file: \(path)"
        case .malformed(let path, let line, let column, let reason):
            return "\(path):\(line):\(column): \(reason)"
        case .mismatch(let message):
            return "data: \(message)"
        case .fingerprintMismatch(let expected, let actual, let paths):
            return "data files differ from the coordinator's: the coordinator has \(expected), this machine's \(paths.joined(separator: ", ")) \(paths.count == 1 ? "gives" : "give") \(actual)"
        }
    }
}
