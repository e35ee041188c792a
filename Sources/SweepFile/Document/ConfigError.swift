/// A problem in a configuration file, located precisely enough to fix it:
/// `sweeps/lr.yaml:12:7: training.optimizer.learning_rate: must be > 0, got -0.1`.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file name as the user gave it (nil for text without a file).
    public var file: String?
    public var mark: SourceMark?
    public var path: ConfigPath
    public var message: String
    /// Further independent problems of the same file, after this one in file order (a file
    /// is checked as a whole, and all of its problems are reported at once).
    public var others: [ConfigError] = []

    public init(file: String? = nil, mark: SourceMark?, path: ConfigPath, message: String) {
        self.file = file
        self.mark = mark
        self.path = path
        self.message = message
    }

    /// `errors` as one error, sorted by position (unlocated ones last); nil when empty.
    public static func combining(_ errors: [ConfigError]) -> ConfigError? {
        let flat = errors.flatMap(\.all)
        let sorted = flat.enumerated().sorted { a, b in
            switch (a.element.mark, b.element.mark) {
            case let (x?, y?): return (x.line, x.column, a.offset) < (y.line, y.column, b.offset)
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
        guard var first = sorted.first else { return nil }
        first.others = Array(sorted.dropFirst())
        return first
    }

    /// This problem and the others, in file order.
    public var all: [ConfigError] {
        var head = self
        head.others = []
        return [head] + others.flatMap(\.all)
    }

    /// The located line of this problem alone.
    public var line: String {
        var location = file ?? "<input>"
        if let mark { location += ":\(mark.line):\(mark.column)" }
        let field = path.isEmpty ? "" : "\(path): "
        return "\(location): \(field)\(message)"
    }

    /// Every problem, one per line.
    public var description: String {
        all.map(\.line).joined(separator: "\n")
    }

    /// A copy naming `file` wherever no file is named yet.
    public func fillingFile(_ file: String?) -> ConfigError {
        var e = self
        if e.file == nil { e.file = file }
        e.others = others.map { $0.fillingFile(file) }
        return e
    }

    /// A copy naming `file` (the others too, where they name none).
    public func inFile(_ file: String?) -> ConfigError {
        var e = self
        e.file = file
        e.others = others.map { $0.file == nil ? $0.inFile(file) : $0 }
        return e
    }
}

/// Several problems found in one pass, reported together.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
