/// A position in a configuration document: `training.optimizer.learning_rate`, `model.hidden[1]`.
public struct ConfigPath: Hashable, Sendable, CustomStringConvertible, Comparable {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// Parses `a.b[2].c`.
    public init(parsing text: String) {
        var comps: [Component] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                if let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) { indices.insert(i, at: 0) }
                name = name[..<open]
            }
            if !name.isEmpty { comps.append(.key(String(name))) }
            comps.append(contentsOf: indices.map(Component.index))
        }
        self.components = comps
    }

    public func appending(_ key: String) -> ConfigPath { ConfigPath(components + [.key(key)]) }
    public func appending(index: Int) -> ConfigPath { ConfigPath(components + [.index(index)]) }

    public var isEmpty: Bool { components.isEmpty }

    public var description: String {
        var s = ""
        for c in components {
            switch c {
            case .key(let k): s += s.isEmpty ? k : ".\(k)"
            case .index(let i): s += "[\(i)]"
            }
        }
        return s.isEmpty ? "(document)" : s
    }

    public static func < (a: ConfigPath, b: ConfigPath) -> Bool { a.description < b.description }
}

extension ConfigNode {
    /// The node at `path`, if present.
    public func node(at path: ConfigPath) -> ConfigNode? {
        var node = self
        for c in path.components {
            switch c {
            case .key(let k):
                guard let next = node[k] else { return nil }
                node = next
            case .index(let i):
                guard let e = node.elements, e.indices.contains(i) else { return nil }
                node = e[i]
            }
        }
        return node
    }

    /// The best mark for `path`: the key that names it (where a reader looks, as compilers
    /// point at a declaration), else the node itself, else the deepest ancestor.
    public func mark(at path: ConfigPath) -> SourceMark? {
        var node = self
        var best = mark
        for c in path.components {
            switch c {
            case .key(let k):
                guard let entry = node.entry(k) else { return best }
                best = entry.keyMark ?? entry.value.mark ?? best
                node = entry.value
            case .index(let i):
                guard let e = node.elements, e.indices.contains(i) else { return best }
                node = e[i]
                best = node.mark ?? best
            }
        }
        return best
    }

    /// Returns a copy with the node at each path replaced (removed when nil), in one walk:
    /// what ``replacing(at:with:)`` does path by path when no path lies inside another,
    /// without copying a mapping once per path (a file of 400 parameters took 8 s to
    /// validate: every trial document copied its 400-entry mapping 400 times).
    public func replacing(all replacements: [(path: ConfigPath, node: ConfigNode?)]) -> ConfigNode {
        replacing(replacements.map { (Array($0.path.components)[...], $0.node) })
    }

    private func replacing(_ replacements: [(rest: ArraySlice<ConfigPath.Component>, node: ConfigNode?)]) -> ConfigNode {
        if let whole = replacements.first(where: { $0.rest.isEmpty }) { return whole.node ?? ConfigNode(.null, mark: mark) }
        switch value {
        case .mapping(let entries):
            var byKey: [String: [(rest: ArraySlice<ConfigPath.Component>, node: ConfigNode?)]] = [:]
            for r in replacements { if case .key(let k) = r.rest.first! { byKey[k, default: []].append((r.rest.dropFirst(), r.node)) } }
            var out: [Entry] = []
            out.reserveCapacity(entries.count)
            for var e in entries {
                guard let mine = byKey[e.key] else { out.append(e); continue }
                if let whole = mine.first(where: { $0.rest.isEmpty }) {
                    guard let node = whole.node else { continue } // removed
                    e.value = node
                } else {
                    e.value = e.value.replacing(mine)
                }
                out.append(e)
            }
            return ConfigNode(.mapping(out), mark: mark)
        case .sequence(var elements):
            var byIndex: [Int: [(rest: ArraySlice<ConfigPath.Component>, node: ConfigNode?)]] = [:]
            for r in replacements { if case .index(let i) = r.rest.first!, elements.indices.contains(i) { byIndex[i, default: []].append((r.rest.dropFirst(), r.node)) } }
            for (i, mine) in byIndex { elements[i] = elements[i].replacing(mine) }
            return ConfigNode(.sequence(elements), mark: mark)
        default:
            return self
        }
    }

    /// Returns a copy with the node at `path` replaced, or removed when `replacement` is nil.
    /// Removing works for mapping entries only.
    public func replacing(at path: ConfigPath, with replacement: ConfigNode?) -> ConfigNode {
        guard let first = path.components.first else { return replacement ?? ConfigNode(.null, mark: mark) }
        let rest = ConfigPath(Array(path.components.dropFirst()))
        switch (first, value) {
        case (.key(let k), .mapping):
            guard let child = self[k] else { return self }
            if rest.isEmpty { return setting(k, to: replacement) }
            return setting(k, to: child.replacing(at: rest, with: replacement))
        case (.index(let i), .sequence(var elements)) where elements.indices.contains(i):
            elements[i] = rest.isEmpty ? (replacement ?? ConfigNode(.null)) : elements[i].replacing(at: rest, with: replacement)
            return ConfigNode(.sequence(elements), mark: mark)
        default:
            return self
        }
    }
}
