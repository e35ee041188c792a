import Foundation
import SweepSupport
import Yams

/// Reads YAML text into a ``ConfigNode`` tree.
public enum YAMLReader {
    /// Parses one YAML document. Duplicate keys, non-string keys and multiple documents
    /// are errors (each names its line), since they are almost always mistakes. Anchors,
    /// aliases, tags, oversized text and deep nesting are refused before composing.
    /// `strict`: refuse what the reader once took as it came and is refused now (a leading
    /// zero, an empty key); a study's stored file is read without it, so that a study made
    /// before the refusal still resumes.
    public static func parse(_ text: String, file: String? = nil, strict: Bool = true, scalars: ScalarReading = .agreed) throws(ConfigError) -> ConfigNode {
        let bytes = text.utf8.count
        guard bytes <= SweepFileLimits.maxFileBytes else {
            throw ConfigError(file: file, mark: nil, path: ConfigPath(), message: tooLarge(bytes))
        }
        let isJSON = file?.lowercased().hasSuffix(".json") == true
        // JSON escapes a character past U+FFFF as two (`"\ud83d\ude42"`, as Python's
        // json.dump writes by default), which libyaml refuses: joined first.
        let text = isJSON ? Self.joiningSurrogateEscapes(text) : text
        let tags = try YAMLEventScan.check(text, file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            var refusal = yamlError(error, file: file, text: text)
            if isJSON, refusal.message.hasPrefix("not valid YAML") {
                refusal.message = "not valid JSON (read as YAML)" + refusal.message.dropFirst("not valid YAML".count)
            }
            throw refusal
        } catch {
            throw ConfigError(file: file, mark: nil, path: ConfigPath(), message: "not valid YAML: \(error)")
        }
        guard let root else {
            throw ConfigError(file: file, mark: SourceMark(line: 1, column: 1), path: ConfigPath(), message: "the file is empty")
        }
        // Every value's problem at once (a leading zero, a number past Int64 and a bad tag each
        // stopped the reading, one round per problem).
        var problems: [ConfigError] = []
        let converted = try convert(root, path: ConfigPath(), file: file, tags: tags, strict: strict, agreed: scalars == .agreed, problems: &problems)
        if let all = ConfigError.combining(problems) { throw all }
        if converted.value == .null {
            throw ConfigError(file: file, mark: SourceMark(line: 1, column: 1), path: ConfigPath(), message: "the file has no settings (it holds only comments, '---' or null)")
        }
        return converted
    }

    /// The message for a file over ``SweepFileLimits/maxFileBytes``.
    static func tooLarge(_ bytes: Int) -> String {
        "the file has \(bytes) bytes; sweep and train files may have at most \(SweepFileLimits.maxFileBytes) (1 MiB)"
    }

    private static func mark(_ m: Mark?) -> SourceMark? {
        m.map { SourceMark(line: $0.line, column: $0.column) }
    }

    // The two number shapes below are checked by hand: as regex literals they were compiled
    // again for every scalar, 80% of reading a file of 30,000 numbers (2.7 s).

    /// How plain scalars are read where the YAML versions differ.
    public enum ScalarReading: Sendable {
        /// As both YAML versions (and PyYAML) agree: `tRuE`, `.nAn` and `0X1F` are text, `-0`
        /// is the integer 0.
        case agreed
        /// As the YAML library reads them (any case of a flag word, hexadecimal floats, `-0`
        /// as -0.0): how studies begun before 2026-12-08 were read.
        case yams
    }

    /// `[-+]?0[0-7_]*[1-7][0-7_]*`: a leading zero before octal digits, not all zeros.
    static func isLeadingZeroOctal(_ text: String) -> Bool {
        let digits = text.utf8.drop { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
        guard text.utf8.count - digits.count <= 1, digits.first == UInt8(ascii: "0") else { return false }
        let rest = digits.dropFirst()
        return rest.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) || $0 == UInt8(ascii: "_") }
            && rest.contains { (UInt8(ascii: "1")...UInt8(ascii: "7")).contains($0) }
    }

    /// `[-+]?(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[1-9][0-9_]*)`: a whole number YAML reads.
    static func isWholeNumberLiteral(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        func all(_ s: Substring, _ allowed: (Character) -> Bool) -> Bool { !s.isEmpty && s.allSatisfy { $0 == "_" || allowed($0) } }
        if digits.hasPrefix("0x") { return all(digits.dropFirst(2)) { $0.isHexDigit && $0.isASCII } }
        if digits.hasPrefix("0o") { return all(digits.dropFirst(2)) { ("0"..."7").contains($0) } }
        if digits.hasPrefix("0b") { return all(digits.dropFirst(2)) { $0 == "0" || $0 == "1" } }
        guard let first = digits.first, ("1"..."9").contains(first) else { return false }
        return digits.dropFirst().allSatisfy { $0 == "_" || ("0"..."9").contains($0) }
    }

    /// `text` with each JSON surrogate pair escape (`\ud83d\ude42`) written as its
    /// character; an escaped backslash before a `u` is left alone.
    static func joiningSurrogateEscapes(_ text: String) -> String {
        guard text.contains("\\u") || text.contains("\\U") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        func hex(_ at: Int) -> UInt32? {
            guard at + 6 <= scalars.count, scalars[at] == "\\", scalars[at + 1] == "u" || scalars[at + 1] == "U" else { return nil }
            return UInt32(String(String.UnicodeScalarView(scalars[(at + 2)..<(at + 6)])), radix: 16)
        }
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\\", i + 1 < scalars.count, scalars[i + 1] == "\\" {
                out.append(scalars[i]); out.append(scalars[i + 1]); i += 2; continue
            }
            if let high = hex(i), (0xD800...0xDBFF).contains(high), let low = hex(i + 6), (0xDC00...0xDFFF).contains(low),
               let joined = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) {
                // (A quote or backslash cannot be past U+FFFF: the character goes in as it is.)
                out.append(joined); i += 12; continue
            }
            out.append(scalars[i]); i += 1
        }
        return String(out)
    }

    /// The booleans of YAML 1.1 as PyYAML (and so W&B) reads them: these spellings only
    /// (Yams took any case: `tRuE` was a flag, where both YAML versions read text).
    static func plainBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": false
        default: nil
        }
    }

    /// A whole number as YAML writes one: decimal, `0x`, `0o`, `0b`, with `_` and a sign.
    static func wholeNumber(_ text: String) -> Int? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        let negative = digits.first == "-"
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        let radix = digits.hasPrefix("0x") ? 16 : digits.hasPrefix("0o") ? 8 : digits.hasPrefix("0b") ? 2 : 10
        if radix != 10 { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, !digits.hasPrefix("+"), !digits.hasPrefix("-"), let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative { return magnitude <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    private static func convert(_ node: Node, path: ConfigPath, file: String?, tags: [SourceMark: YAMLEventScan.ScalarTag], strict: Bool, agreed: Bool,
                                problems: inout [ConfigError]) throws(ConfigError) -> ConfigNode {
        let m = mark(node.mark)
        switch node {
        case .scalar(let scalar):
            do {
                return try scalarNode(node, scalar, path: path, file: file, tags: tags, strict: strict, agreed: agreed)
            } catch {
                problems.append(error)
                return ConfigNode(.string(scalar.string), mark: m)
            }
        case .sequence(let seq):
            var out: [ConfigNode] = []
            for (i, child) in seq.enumerated() {
                out.append(try convert(child, path: path.appending(index: i), file: file, tags: tags, strict: strict, agreed: agreed, problems: &problems))
            }
            return ConfigNode(.sequence(out), mark: m)
        case .mapping(let mapping):
            var entries: [ConfigNode.Entry] = []
            var seen: [String: SourceMark?] = [:]
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    throw ConfigError(file: file, mark: mark(keyNode.mark), path: path, message: "keys must be plain names, not lists or mappings")
                }
                let key = keyScalar.string
                // (An empty name became a parameter shown as "(document)".)
                guard !strict || !key.trimmingCharacters(in: .whitespaces).isEmpty else {
                    problems.append(ConfigError(file: file, mark: mark(keyNode.mark), path: path, message: "a key is empty ('\(key)'); keys are names"))
                    continue
                }
                // Indentation copied from a web page: YAML reads the non-breaking space as part
                // of the key ("W&B key '  optimizer' is not supported", the space unseen).
                if strict, key.first == "\u{a0}" {
                    problems.append(ConfigError(file: file, mark: mark(keyNode.mark), path: path, message: "the key '\(key.drop { $0 == "\u{a0}" || $0 == " " })' begins with a non-breaking space (U+00A0, as text copied from a web page has), which YAML reads as part of it: indent with plain spaces"))
                    continue
                }
                // A merge key without an alias (`<<: {a: 1}`) went to the program as `--<<.a=1`.
                if strict, key == "<<", keyScalar.style == .plain {
                    problems.append(ConfigError(file: file, mark: mark(keyNode.mark), path: path, message: "YAML merge keys ('<<') are not supported: write the keys out"))
                    continue
                }
                if let first = seen[key] {
                    let firstLine = first.map { " (first defined on line \($0.line))" } ?? ""
                    problems.append(ConfigError(file: file, mark: mark(keyNode.mark), path: path.appending(key), message: "duplicate key '\(key)'\(firstLine)"))
                    continue
                }
                seen[key] = mark(keyNode.mark)
                let value = try convert(valueNode, path: path.appending(key), file: file, tags: tags, strict: strict, agreed: agreed, problems: &problems)
                entries.append(ConfigNode.Entry(key: key, keyMark: mark(keyNode.mark), value: value))
            }
            return ConfigNode(.mapping(entries), mark: m)
        case .alias:
            throw ConfigError(file: file, mark: m, path: path, message: "YAML aliases are not supported here")
        }
    }

    /// A plain or tagged scalar as the versions of YAML agree to read it; an error for one
    /// they read differently (see ``convert``).
    private static func scalarNode(_ node: Node, _ scalar: Node.Scalar, path: ConfigPath, file: String?, tags: [SourceMark: YAMLEventScan.ScalarTag],
                                   strict: Bool, agreed: Bool) throws(ConfigError) -> ConfigNode {
        let m = mark(node.mark)
        if let m, let tag = tags[m] { return try tagged(scalar.string, tag, mark: m, path: path, file: file, strict: strict) }
        if scalar.style != .plain { return ConfigNode(.string(scalar.string), mark: m) }
        if node.null != nil { return ConfigNode(.null, mark: m) }
        // (`.yams`, for a study begun before these rules, reads as it did: `tRuE` was a flag,
        // `-0` the float -0.0, `.nAn` NaN and `0X1F` 31 then.)
        if let flag = node.bool {
            if let b = Self.plainBool(scalar.string) ?? (agreed ? nil : flag) { return ConfigNode(.bool(b), mark: m) }
            return ConfigNode(.string(scalar.string), mark: m)
        }
        // `-0` and `+0` are the integer 0 to YAML (Yams read them as floats: --d=-0.0).
        if agreed, scalar.string == "-0" || scalar.string == "+0" { return ConfigNode(.int(0), mark: m) }
        // A whole number with a leading zero is octal in YAML 1.1 (PyYAML, so W&B: `010`
        // is 8) and decimal in YAML 1.2 (10): `trials: 010` ran 8 trials without a word.
        // (Only octal digits: `08` is text to PyYAML, `00` zero to both.)
        if strict, Self.isLeadingZeroOctal(scalar.string) {
            throw ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' has a leading zero, which YAML 1.1 (PyYAML, W&B) reads as octal and YAML 1.2 as decimal: write it without the zero, or quote it for text")
        }
        let pastRange = ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' is a whole number past the range read exactly (\(Int.min) to \(Int.max)): quote it to pass it as text, or write it as a decimal (1.2e19) if a float is meant")
        switch Self.baseSixtyInteger(scalar.string) {
        case .value(let i):
            // YAML 1.1's base 60 (`1:30` is 90 to PyYAML, so W&B) is text in YAML 1.2: an
            // `aspect: 16:9` reached the program as 969.
            if strict {
                throw ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' is \(i) in YAML 1.1 (PyYAML, W&B: a base-60 number) and the text '\(scalar.string)' in YAML 1.2: quote it for text, or write \(i)")
            }
            return ConfigNode(.int(i), mark: m)
        case .overflow:
            if strict { throw pastRange }
            return ConfigNode(.string(scalar.string), mark: m)
        case .notBaseSixty:
            if let i = node.int {
                // YAML 1.2's octal `0o17` is the text '0o17' to YAML 1.1 (PyYAML, W&B).
                if strict, scalar.string.drop(while: { $0 == "+" || $0 == "-" }).hasPrefix("0o") {
                    throw ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' is \(i) in YAML 1.2 and the text '\(scalar.string)' in YAML 1.1 (PyYAML, W&B): write \(i), or quote it for text")
                }
                // And YAML 1.1's `0b101` and `1_000` are text to YAML 1.2.
                if strict, scalar.string.contains("_") || scalar.string.drop(while: { $0 == "+" || $0 == "-" }).hasPrefix("0b") {
                    throw ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' is \(i) in YAML 1.1 (PyYAML, W&B) and the text '\(scalar.string)' in YAML 1.2: write \(i), or quote it for text")
                }
                return ConfigNode(.int(i), mark: m)
            }
        }
        // A whole number past Int64 became the nearest double (`12345678901234567890`
        // reached a program as 1.2345678901234567e+19) or, in hex, text.
        if strict, Self.isWholeNumberLiteral(scalar.string) { throw pastRange }
        // YAML's non-finite floats are `.nan` and `.inf`; the words `nan` and `inf` are text
        // (as PyYAML, and so W&B, reads them), though Double() takes them.
        if let d = node.float {
            // YAML 1.1's base-60 float (`1:30.5` is 90.5 to PyYAML) is text in YAML 1.2.
            if strict, scalar.string.contains(":") {
                throw ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' is \(d) in YAML 1.1 (PyYAML, W&B: a base-60 number) and the text '\(scalar.string)' in YAML 1.2: quote it for text, or write \(d)")
            }
            // Only decimal numbers: `0X1F`, `0x1p3` (hexadecimal floats, which Swift reads and
            // neither YAML version does) are text.
            let decimal = scalar.string.allSatisfy { "0123456789+-._eE".contains($0) }
            if strict, d.isFinite, decimal, scalar.string.contains("_") {
                throw ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' is \(d) in YAML 1.1 (PyYAML, W&B) and the text '\(scalar.string)' in YAML 1.2: write \(d), or quote it for text")
            }
            if d.isFinite && (decimal || !agreed) { return ConfigNode(.double(d), mark: m) }
            if !agreed && scalar.string.contains(".") { return ConfigNode(.double(d), mark: m) }
            // Only YAML's own spellings (`.nan`, `.NaN`, `.NAN`, `.inf`, ...): `.nAn` is text.
            let word = scalar.string.drop { $0 == "-" || $0 == "+" }
            if [".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"].contains(String(word)) { return ConfigNode(.double(d), mark: m) }
            // A number past the largest double (`1e400`) went on as the text "1e400".
            if strict, !d.isFinite, decimal, scalar.string.contains(where: \.isNumber) {
                throw ConfigError(file: file, mark: m, path: path, message: "'\(scalar.string)' is past the largest number a double holds (1.8e308): write a smaller one, or quote it ('\(scalar.string)') to pass the text")
            }
        }
        return ConfigNode(.string(scalar.string), mark: m)
    }

    /// What YAML 1.1 reads as a base-60 integer (`1:30` is 90), by the rule Yams follows.
    enum BaseSixty: Equatable {
        case value(Int)
        /// Past Int64 (Yams traps on it: 11 groups such as `1:0:0:0:0:0:0:0:0:0:0`
        /// crashed `sweep validate`).
        case overflow
        /// Not one (no ':', a leading 0 that Yams reads as another radix, or other text).
        case notBaseSixty
    }

    /// `text` as Yams' `Int` reads a base-60 integer, with overflow found instead of trapping.
    static func baseSixtyInteger(_ text: String) -> BaseSixty {
        let plain = text.replacingOccurrences(of: "_", with: "")
        guard plain.contains(":") else { return .notBaseSixty }
        let negative = plain.hasPrefix("-")
        let digits = plain.dropFirst(negative || plain.hasPrefix("+") ? 1 : 0)
        // Yams tries the radix prefixes (0x, 0b, 0o, 0) before base 60.
        guard !digits.hasPrefix("0") else { return .notBaseSixty }
        var value = 0
        for group in digits.split(separator: ":", omittingEmptySubsequences: false) {
            guard let digit = Int(group) else { return .notBaseSixty }
            let (times, o1) = value.multipliedReportingOverflow(by: 60)
            let (sum, o2) = times.addingReportingOverflow(digit)
            if o1 || o2 { return .overflow }
            value = sum
        }
        return .value(negative ? -value : value)
    }

    /// A scalar with an explicit core-schema tag, read as the tag says (`!!float 1e-5`,
    /// `!!str 3`); a value the tag cannot take is an error at its place.
    private static func tagged(_ text: String, _ tag: YAMLEventScan.ScalarTag, mark m: SourceMark, path: ConfigPath, file: String?, strict: Bool) throws(ConfigError) -> ConfigNode {
        let plain = text.trimmingCharacters(in: .whitespaces)
        func refuse(_ what: String) -> ConfigError {
            ConfigError(file: file, mark: m, path: path, message: "'\(text)' tagged !!\(tag.rawValue) is not \(what)")
        }
        switch tag {
        case .str:
            return ConfigNode(.string(text), mark: m)
        case .float:
            // YAML 1.1 floats: 1e-5, 1.0e-5, .5, -3, and the exponent without a dot PyYAML refuses untagged.
            guard let d = Double(plain.replacingOccurrences(of: "_", with: "")), d.isFinite else { throw refuse("a finite number") }
            return ConfigNode(.double(d), mark: m)
        case .int:
            // (`!!int 010` is 8 to PyYAML and 10 to YAML 1.2, as a plain `010` is.)
            if strict, Self.isLeadingZeroOctal(plain) {
                throw ConfigError(file: file, mark: m, path: path, message: "'\(text)' has a leading zero, which YAML 1.1 (PyYAML, W&B) reads as octal and YAML 1.2 as decimal: write it without the zero")
            }
            guard let i = Self.wholeNumber(plain) else { throw refuse("a whole number") }
            return ConfigNode(.int(i), mark: m)
        case .bool:
            guard let b = Self.plainBool(plain) else { throw refuse("true or false") }
            return ConfigNode(.bool(b), mark: m)
        case .null:
            guard ["", "~", "null"].contains(plain.lowercased()) else { throw refuse("null") }
            return ConfigNode(.null, mark: m)
        }
    }

    /// Yams reports a duplicate key at its mapping; point at the repeated key instead:
    /// the second line from `line` on that starts with `key:` at the same indentation.
    private static func secondOccurrence(of key: String, in text: String, from line: Int) -> SourceMark? {
        let lines = text.textLines
        var indentation: Int?
        var seen = 0
        for i in max(0, line - 1)..<lines.count {
            let l = lines[i]
            let indent = l.prefix(while: { $0 == " " }).count
            let rest = l.dropFirst(indent)
            guard rest.hasPrefix(key), rest.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") else { continue }
            if indentation == nil { indentation = indent }
            guard indent == indentation else { continue }
            seen += 1
            if seen == 2 { return SourceMark(line: i + 1, column: indent + 1) }
        }
        return nil
    }

    /// "; a tab: YAML indents with spaces" when the character at `m` is a tab.
    private static func tabHint(_ text: String, at m: Mark) -> String {
        let lines = text.textLines
        guard m.line >= 1, m.line <= lines.count else { return "" }
        let line = lines[m.line - 1].unicodeScalars
        guard m.column >= 1, m.column <= line.count else { return "" }
        return line[line.index(line.startIndex, offsetBy: m.column - 1)] == "\t" ? " (a tab: YAML indents with spaces)" : ""
    }

    private static func yamlError(_ error: YamlError, file: String?, text: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let m, _) where problem.contains("Maximum nesting level"),
             .parser(_, let problem, let m, _) where problem.contains("Maximum nesting level"):
            // libyaml's own limit, past Sweep's (its message named a C function to call).
            return ConfigError(file: file, mark: mark(m), path: ConfigPath(), message: "lists and mappings nest deeper than \(SweepFileLimits.maxDepth) levels")
        case .scanner(let context, let problem, let m, _), .parser(let context, let problem, let m, _):
            let ctx = context.map { " \($0.text)" } ?? ""
            return ConfigError(file: file, mark: mark(m), path: ConfigPath(), message: "not valid YAML: \(problem)\(ctx)\(tabHint(text, at: m))")
        case .composer(let context, let problem, let m, _):
            // libyaml's context comes first ("expected a single document in the stream, but
            // found another document"; it read backwards after the problem).
            let ctx = context.map { "\($0.text), " } ?? ""
            let hint = problem.contains("another document") ? " (a sweep file is one YAML document: remove the '---' line that starts another)" : ""
            return ConfigError(file: file, mark: mark(m), path: ConfigPath(), message: "not valid YAML: \(ctx)\(problem)\(hint)")
        case .reader(let problem, let offset, let value, _):
            // A control character (a NUL byte, ...): where, on one line (libyaml's message
            // spanned lines, with the file's text and a caret).
            let at = offset.map { o -> SourceMark in
                let before = text.utf8.prefix(o)
                let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
                let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
                return SourceMark(line: line, column: column)
            }
            return ConfigError(file: file, mark: at, path: ConfigPath(), message: "not valid YAML: \(problem) (character \(String(format: "U+%04X", value)))")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let at = duplicates.first.flatMap { secondOccurrence(of: $0, in: text, from: context.mark.line) } ?? mark(context.mark)
            return ConfigError(file: file, mark: at, path: ConfigPath(duplicates.first.map { [.key($0)] } ?? []),
                               message: "duplicate key \(keys) in one mapping")
        default:
            return ConfigError(file: file, mark: nil, path: ConfigPath(), message: "not valid YAML: \(error)")
        }
    }
}
