/// Where a value sits in a file: 1-based line and column.
public struct SourceMark: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A parsed configuration document: YAML reduced to the JSON data model, with the
/// position of every value kept for error messages.
///
/// Plain YAML scalars are resolved with the core schema (`1e-3` is a number, `"1e-3"`
/// a string, `true`/`null` what they say). Sendable and immutable, unlike Yams' nodes.
public struct ConfigNode: Hashable, Sendable {
    public indirect enum Value: Hashable, Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case sequence([ConfigNode])
        case mapping([Entry])
    }

    /// One `key: value` pair of a mapping, in file order.
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var keyMark: SourceMark?
        public var value: ConfigNode

        public init(key: String, keyMark: SourceMark? = nil, value: ConfigNode) {
            self.key = key
            self.keyMark = keyMark
            self.value = value
        }
    }

    public var value: Value
    public var mark: SourceMark?

    public init(_ value: Value, mark: SourceMark? = nil) {
        self.value = value
        self.mark = mark
    }

    /// The entries if this is a mapping.
    public var entries: [Entry]? {
        if case .mapping(let e) = value { return e }
        return nil
    }

    /// The elements if this is a sequence.
    public var elements: [ConfigNode]? {
        if case .sequence(let e) = value { return e }
        return nil
    }

    /// The value for `key` if this is a mapping that has it.
    public subscript(key: String) -> ConfigNode? {
        entries?.first { $0.key == key }?.value
    }

    /// The entry for `key` if this is a mapping that has it.
    public func entry(_ key: String) -> Entry? {
        entries?.first { $0.key == key }
    }

    /// A short description of the kind of value, for messages ("a number", "a mapping").
    public var kindDescription: String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string(let s): return "the string '\(s)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The value rendered back as a compact YAML/JSON-like literal.
    public var literal: String {
        switch value {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return "\(d)"
        case .string(let s): return s
        case .sequence(let e): return "[" + e.map(\.literal).joined(separator: ", ") + "]"
        case .mapping(let e): return "{" + e.map { "\($0.key): \($0.value.literal)" }.joined(separator: ", ") + "}"
        }
    }
}

extension ConfigNode {
    /// Returns a copy with `entry` replaced (or added, or removed when `newValue` is nil).
    public func setting(_ key: String, to newValue: ConfigNode?) -> ConfigNode {
        guard var entries else { return self }
        if let i = entries.firstIndex(where: { $0.key == key }) {
            if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
        } else if let newValue {
            entries.append(Entry(key: key, value: newValue))
        }
        return ConfigNode(.mapping(entries), mark: mark)
    }

    /// A copy without the entry at `path` (keys of nested mappings); nil when there is none.
    public func removing(path: ArraySlice<String>) -> ConfigNode? {
        guard let key = path.first, let child = self[key] else { return nil }
        if path.count == 1 { return setting(key, to: nil) }
        return child.removing(path: path.dropFirst()).map { setting(key, to: $0) }
    }

    /// A copy with the value at `path` (keys of nested mappings) replaced by `newValue`.
    public func setting(path: ArraySlice<String>, to newValue: ConfigNode) -> ConfigNode {
        guard let key = path.first else { return newValue }
        guard let child = self[key] else { return self }
        return setting(key, to: child.setting(path: path.dropFirst(), to: newValue))
    }
}

extension ConfigNode {
    /// The value as a number, for ints and doubles.
    public var number: Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}
