import Synchronization
import Training
import Search
import SweepSupport

/// Decodes `Decodable` types from a ``ConfigNode`` strictly, and turns every failure into
/// a ``ConfigError`` with the file position and the dotted field path.
///
/// Strictness: a keyed container whose `CodingKeys` are `CaseIterable` rejects keys it
/// does not know, suggesting the closest known one ("unknown key 'learning_rat'; did you
/// mean 'learning_rate'?"). Numbers widen from int to double but a double never silently
/// truncates to an int; strings are never coerced from numbers.
public struct ConfigDecoder: Sendable {
    /// The file name used in error messages.
    public var file: String?

    public init(file: String? = nil) {
        self.file = file
    }

    /// Decodes `type` from `node`; any failure becomes a located ``ConfigError``. An unknown
    /// key does not hide the section's other problems: the rest is decoded without it, and
    /// all are reported (`budget: {trials: ten, max_epoch: 12}` said only the key, and the
    /// `ten` after it was fixed).
    public func decode<T: Decodable>(_ type: T.Type, from node: ConfigNode, at basePath: ConfigPath = ConfigPath()) throws(ConfigError) -> T {
        var current = node
        var problems: [ConfigError] = []
        passes: for _ in 0..<16 {
            do {
                let value = try T(from: NodeDecoder(node: current, path: []))
                guard problems.isEmpty else { break }
                return value
            } catch {
                // Problems seen in an earlier pass come again: each is reported once.
                let found: [DecodingError]
                switch error {
                case let error as DecodingError: found = [error]
                case let error as DecodingProblems: found = error.errors
                case let error as ConfigError: problems.append(error.inFile(file)); break passes
                default: problems.append(ConfigError(file: file, mark: node.mark, path: basePath, message: "\(error)")); break passes
                }
                for e in found {
                    let located = locate(e, in: current, basePath: basePath)
                    if !problems.contains(where: { $0.path == located.path && $0.message == located.message }) { problems.append(located) }
                }
                // Decoded again without the unknown keys (the rest may hold more problems).
                var rest = current
                for case .dataCorrupted(let context) in found where context.debugDescription.hasPrefix("unknown key '") {
                    if let keys = Self.keys(of: context.codingPath), let without = rest.removing(path: keys[...]) { rest = without }
                }
                guard rest != current else { break }
                current = rest
            }
        }
        throw ConfigError.combining(problems) ?? ConfigError(file: file, mark: node.mark, path: basePath, message: "cannot be read")
    }

    /// A coding path of mapping keys only (nil when it goes through a list).
    private static func keys(of codingPath: [any CodingKey]) -> [String]? {
        var keys: [String] = []
        for key in codingPath {
            guard key.intValue == nil else { return nil }
            keys.append(key.stringValue)
        }
        return keys.isEmpty ? nil : keys
    }

    /// Converts a `DecodingError` thrown while decoding `root` into a located error.
    func locate(_ error: DecodingError, in root: ConfigNode, basePath: ConfigPath) -> ConfigError {
        func path(_ codingPath: [any CodingKey]) -> ConfigPath {
            ConfigPath(basePath.components + codingPath.map { key in
                if let i = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(i)" { return .index(i) }
                return .key(key.stringValue)
            })
        }
        func relative(_ codingPath: [any CodingKey]) -> ConfigPath {
            ConfigPath(path(codingPath).components.dropFirst(basePath.components.count).map { $0 })
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ConfigError(file: file, mark: root.mark(at: relative(context.codingPath)),
                               path: path(context.codingPath + [key]), message: "missing required field '\(key.stringValue)'")
        case .valueNotFound(_, let context), .typeMismatch(_, let context), .dataCorrupted(let context):
            return ConfigError(file: file, mark: root.mark(at: relative(context.codingPath)),
                               path: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            return ConfigError(file: file, mark: root.mark, path: basePath, message: "\(error)")
        }
    }
}

/// A coding key for arbitrary strings and sequence indices.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

/// The `Decoder` over one node.
struct NodeDecoder: Decoder {
    let node: ConfigNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: ConfigNode, path: [any CodingKey]) {
        self.node = node
        self.codingPath = path
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let entries = node.entries else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected a mapping (key: value lines), got \(node.kindDescription)"))
        }
        if let known = knownKeys(Key.self) {
            // A sampler's or pruner's own options: suggest among those the named one takes.
            var name: String?
            if case .string(let given)? = node.entry("name")?.value.value { name = given }
            let chosen = (Key.self as? any OptionKeysChosenByName.Type)?.keys(forName: name)
            for entry in entries where !known.contains(entry.key) {
                let candidates = chosen ?? known.sorted()
                // Ray's and Optuna's setting names say which one Sweep has (`grace_period`).
                let prunerOrScheduler = Key.self is PrunerOptionKey.Type || known.isSuperset(of: ["mutations", "perturbation_interval"])
                let hint = (prunerOrScheduler ? OtherToolsSettings.hint(for: entry.key, options: candidates).map { "; \($0)" } : nil)
                    ?? closestName(to: entry.key, in: candidates).map { "; did you mean '\($0)'?" }
                    ?? "; expected one of: \(candidates.joined(separator: ", "))"
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [AnyKey(stringValue: entry.key)], debugDescription: "unknown key '\(entry.key)'\(hint)"))
            }
        }
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(entries: entries, node: node, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard let elements = node.elements else {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected a list, got \(node.kindDescription)"))
        }
        return UnkeyedNodeContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

/// Known keys per `CodingKeys` type, computed once (decoding runs per trial on the coordinator).
private let knownKeyCache = Mutex<[ObjectIdentifier: Set<String>?]>([:])

private func knownKeys<Key: CodingKey>(_ type: Key.Type) -> Set<String>? {
    let id = ObjectIdentifier(type)
    if let cached = knownKeyCache.withLock({ $0[id] }) { return cached }
    let keys = (type as? any (CodingKey & CaseIterable).Type).map { allKeyStrings($0) }
    knownKeyCache.withLock { $0[id] = keys }
    return keys
}

private func allKeyStrings<K: CodingKey & CaseIterable>(_ type: K.Type) -> Set<String> {
    Set(K.allCases.map(\.stringValue))
}

/// The name among `candidates` that `name` likely means: for messages about names a program
/// or a data file gives (metrics, columns), which are written in more ways than a typo
/// (`val/acc`, `val_acc`, `valAcc`; `val_acc` for `val_accuracy`). The same letters and
/// digits, then one such name beginning or ending the other, then ``closestName(to:in:)``.
public func likelyMeant(_ name: String, among candidates: some Collection<String>) -> String? {
    func letters(_ s: String) -> String { String(s.lowercased().filter { $0.isLetter || $0.isNumber }) }
    let wanted = letters(name)
    let sorted = candidates.sorted()
    if let same = sorted.first(where: { letters($0) == wanted }) { return same }
    // Word by word, each an abbreviation of the other's (`validation_loss` is `val_loss`,
    // `val_acc` is `val_accuracy`).
    func words(_ s: String) -> [String] { s.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init) }
    let wantedWords = words(name)
    if let abbreviated = sorted.first(where: { c in
        let given = words(c)
        return given.count == wantedWords.count && given.count > 1
            && zip(given, wantedWords).allSatisfy { a, b in a.hasPrefix(b) || b.hasPrefix(a) }
    }) { return abbreviated }
    let overlapping = sorted.filter { c in
        let given = letters(c)
        return min(given.count, wanted.count) >= 3 && (given.hasPrefix(wanted) || wanted.hasPrefix(given) || given.hasSuffix(wanted) || wanted.hasSuffix(given))
    }
    if let best = overlapping.min(by: { editDistance(letters($0), wanted) < editDistance(letters($1), wanted) }) { return best }
    return closestName(to: name, in: sorted)
}


/// Scalar conversions shared by the containers, with the messages users see.
enum ScalarDecoding {
    static func decode<T: Decodable>(_ type: T.Type, node: ConfigNode, path: [any CodingKey]) throws -> T {
        func mismatch(_ expected: String) -> DecodingError {
            // A range under another tool's keyword (`{suggest_float: [..], log: true}`) said
            // only "got a mapping": the keyword meant, as a command study's file says.
            let hint = CommandTask.rangeKeywordMistake(node).map { "; '\($0.entry.key)' is not a range keyword: \($0.hint)" } ?? ""
            return .typeMismatch(T.self, .init(codingPath: path, debugDescription: "expected \(expected), got \(node.kindDescription)\(hint)"))
        }
        switch type {
        case is Bool.Type:
            guard case .bool(let b) = node.value else { throw mismatch("true or false") }
            return b as! T
        case is String.Type:
            // A word YAML 1.1 reads as a flag (`batch_norm: off`): said, with what to write.
            if case .bool = node.value {
                throw DecodingError.typeMismatch(T.self, .init(codingPath: path, debugDescription: "expected a text value, got a boolean (YAML reads an unquoted yes, no, on or off as true or false: quote the word, e.g. 'off')"))
            }
            guard case .string(let s) = node.value else { throw mismatch("a text value") }
            return s as! T
        case is Double.Type:
            return try number(node, path: path, mismatch: mismatch) as! T
        case is Float.Type:
            return Float(try number(node, path: path, mismatch: mismatch)) as! T
        case is Int.Type:
            return try integer(node, path: path, mismatch: mismatch) as! T
        case is Int64.Type:
            return Int64(try integer(node, path: path, mismatch: mismatch)) as! T
        case is Int32.Type:
            let v = try integer(node, path: path, mismatch: mismatch)
            guard let r = Int32(exactly: v) else { throw mismatch("an integer within 32 bits") }
            return r as! T
        case is UInt64.Type:
            let v = try integer(node, path: path, mismatch: mismatch)
            guard v >= 0 else { throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "must be >= 0, got \(v)")) }
            return UInt64(v) as! T
        case is UInt.Type:
            let v = try integer(node, path: path, mismatch: mismatch)
            guard v >= 0 else { throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "must be >= 0, got \(v)")) }
            return UInt(v) as! T
        default:
            return try T(from: NodeDecoder(node: node, path: path))
        }
    }

    private static func number(_ node: ConfigNode, path: [any CodingKey], mismatch: (String) -> DecodingError) throws -> Double {
        switch node.value {
        case .int(let i): return Double(i)
        case .double(let d):
            guard d.isFinite else { throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "must be a finite number, got \(d)")) }
            return d
        default: throw mismatch("a number")
        }
    }

    private static func integer(_ node: ConfigNode, path: [any CodingKey], mismatch: (String) -> DecodingError) throws -> Int {
        switch node.value {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        case .double(let d): throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "expected a whole number, got \(d)"))
        default: throw mismatch("a whole number")
        }
    }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let entries: [ConfigNode.Entry]
    let node: ConfigNode
    let codingPath: [any CodingKey]
    /// Where each key is, for a large mapping (decoding a mapping of 400 parameters searched
    /// it once per key, a cubic cost over a sweep file's validation); nil for small ones.
    private let positions: [String: Int]?

    init(entries: [ConfigNode.Entry], node: ConfigNode, codingPath: [any CodingKey]) {
        self.entries = entries
        self.node = node
        self.codingPath = codingPath
        positions = entries.count > 16 ? Dictionary(entries.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { first, _ in first }) : nil
    }

    /// The entry of `key` (the first, as a YAML reader keeps it).
    private func entry(_ key: Key) -> ConfigNode.Entry? {
        if let positions { return positions[key.stringValue].map { entries[$0] } }
        return entries.first { $0.key == key.stringValue }
    }

    var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { entry(key) != nil }

    private func child(_ key: Key) throws -> ConfigNode {
        guard let e = entry(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing required field '\(key.stringValue)'"))
        }
        return e.value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let e = entry(key) else { return true }
        if case .null = e.value.value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let node = try child(key)
        if case .null = node.value, !(T.self is ExpressibleByNilLiteral.Type) {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: codingPath + [key], debugDescription: "a value is required here, got null"))
        }
        return try ScalarDecoding.decode(type, node: node, path: codingPath + [key])
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let e = entry(key) else { return nil }
        if case .null = e.value.value { return nil }
        return try ScalarDecoding.decode(type, node: e.value, path: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try NodeDecoder(node: try child(key), path: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeDecoder(node: try child(key), path: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { NodeDecoder(node: node, path: codingPath) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        NodeDecoder(node: (try? child(key)) ?? ConfigNode(.null, mark: node.mark), path: codingPath + [key])
    }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let elements: [ConfigNode]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(elements: [ConfigNode], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next<T>(_ type: T.Type) throws -> (ConfigNode, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: codingPath, debugDescription: "the list has too few elements"))
        }
        let path = codingPath + [AnyKey(intValue: currentIndex)]
        defer { currentIndex += 1 }
        return (elements[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if case .null = elements[currentIndex].value { currentIndex += 1; return true }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path) = try next(type)
        return try ScalarDecoding.decode(type, node: node, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, path) = try next([String: Any].self)
        return try NodeDecoder(node: node, path: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path) = try next([Any].self)
        return try NodeDecoder(node: node, path: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path) = try next(Any.self)
        return NodeDecoder(node: node, path: path)
    }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let node: ConfigNode
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = node.value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try ScalarDecoding.decode(type, node: node, path: codingPath)
    }
}
