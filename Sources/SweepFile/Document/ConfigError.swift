/// A problem in a configuration file, located precisely enough to fix it:
/// `sweeps/lr.yaml:12:7: training.optimizer.learning_rate: must be > 0, got -0.1`.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file name as the user gave it (nil for text without a file).
    public var file: String?
    public var mark: SourceMark?
    public var path: ConfigPath
    public var message: String

    public init(file: String? = nil, mark: SourceMark?, path: ConfigPath, message: String) {
        self.file = file
        self.mark = mark
        self.path = path
        self.message = message
    }

    public var description: String {
        var location = file ?? "<input>"
        if let mark { location += ":\(mark.line):\(mark.column)" }
        let field = path.isEmpty ? "" : "\(path): "
        return "\(location): \(field)\(message)"
    }

    /// A copy naming `file`.
    public func inFile(_ file: String?) -> ConfigError {
        var e = self
        e.file = file
        return e
    }
}

/// Several problems found in one pass, reported together.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
