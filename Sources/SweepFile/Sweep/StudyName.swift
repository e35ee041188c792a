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
    public static let rule = "a study name uses letters, digits, '_', '-' and '.' (1-\(maxLength) characters), and is not '.' or '..'"

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
}

/// A name that breaks ``StudyName``'s rule (exit 2).
public struct StudyNameError: Error, CustomStringConvertible, Equatable {
    public var name: String

    public init(name: String) { self.name = name }

    /// The rule and the name as given, with control characters escaped so they show.
    public var description: String { "\(StudyName.rule), got \(shown)" }

    var shown: String {
        let clipped = name.unicodeScalars.count > StudyName.maxLength + 20
            ? String(String.UnicodeScalarView(name.unicodeScalars.prefix(StudyName.maxLength))) + "..." : name
        return "'" + clipped.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined() + "'"
    }
}
