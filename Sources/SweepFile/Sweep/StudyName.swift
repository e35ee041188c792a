/// The one rule for study names, checked wherever a name is accepted (sweep files,
/// `resume`, `rename`, `delete`, `status`, `study:NAME/...` model references).
///
/// A name becomes a file name (`DB.locks/NAME.lock`, `DB.artifacts/NAME/`), so it must
/// never leave those folders: letters, digits, `_`, `-` and `.` only (hence no `/` and no
/// control characters), 1 to ``maxLength`` characters, and not `.` or `..`.
public enum StudyName {
    /// The longest name accepted (file names stay far below the 255-byte limit).
    public static let maxLength = 100

    /// The rule in words, as every error states it.
    public static let rule = "a study name uses ASCII letters, digits, '_', '-' and '.' (1-\(maxLength) characters), and is not '.' or '..'"

    private static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.".unicodeScalars)

    /// Whether `name` follows the rule.
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.count <= maxLength && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { allowed.contains($0) }
    }

    /// Throws ``StudyNameError`` unless `name` follows the rule.
    public static func check(_ name: String) throws(StudyNameError) {
        guard isValid(name) else { throw StudyNameError(name: name) }
    }

    /// The rule for a name a study is given (a new sweep file, `rename`'s new name): also
    /// no leading '-', which every command would read as an option. Names of studies that
    /// exist are only held to ``check(_:)``, so older studies stay reachable.
    public static func checkNew(_ name: String) throws(StudyNameError) {
        try check(name)
        guard !name.hasPrefix("-") else { throw StudyNameError(name: name, reason: .leadingDash) }
    }
}

/// A name that breaks ``StudyName``'s rule (exit 2).
public struct StudyNameError: Error, CustomStringConvertible, Equatable {
    /// Which part of the rule the name breaks.
    public enum Reason: Sendable, Equatable {
        /// Characters, length, `.` or `..` (``StudyName/isValid(_:)``).
        case rule
        /// A new name starting with '-' (``StudyName/checkNew(_:)``).
        case leadingDash
    }

    public var name: String
    public var reason: Reason

    public init(name: String, reason: Reason = .rule) {
        self.name = name
        self.reason = reason
    }

    /// The rule and the name as given, with control characters escaped so they show.
    public var description: String {
        switch reason {
        case .rule: "\(StudyName.rule), got \(shown)"
        case .leadingDash: "a study name does not start with '-' (commands would take it for an option), got \(shown)"
        }
    }

    var shown: String {
        let clipped = name.unicodeScalars.count > StudyName.maxLength + 20
            ? String(String.UnicodeScalarView(name.unicodeScalars.prefix(StudyName.maxLength))) + "..." : name
        return "'" + clipped.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined() + "'"
    }
}
