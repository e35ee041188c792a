import Foundation

extension ConfigNode {
    /// The node as YAML text (block mappings; lists and ranges of plain values in flow
    /// style), e.g. for `sweep convert wandb`. Reading it back gives the same values.
    public func yamlText() -> String {
        var lines: [String] = []
        emit(into: &lines, indent: "")
        return lines.joined(separator: "\n") + "\n"
    }

    private func emit(into lines: inout [String], indent: String) {
        switch value {
        case .mapping(let entries):
            for e in entries {
                if let flow = e.value.flow() {
                    lines.append("\(indent)\(Self.scalarText(e.key)): \(flow)")
                } else {
                    lines.append("\(indent)\(Self.scalarText(e.key)):")
                    e.value.emit(into: &lines, indent: indent + "  ")
                }
            }
        case .sequence(let elements):
            for el in elements {
                if let flow = el.flow() {
                    lines.append("\(indent)- \(flow)")
                } else {
                    var inner: [String] = []
                    el.emit(into: &inner, indent: indent + "  ")
                    if let first = inner.first { inner[0] = indent + "- " + first.dropFirst(indent.count + 2) }
                    lines += inner
                }
            }
        default:
            lines.append(indent + (flow() ?? ""))
        }
    }

    /// One-line flow form for scalars and small collections of scalars; nil when the node
    /// needs block form.
    private func flow() -> String? {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : (d.isNaN ? ".nan" : d > 0 ? ".inf" : "-.inf")
        case .string(let s): return Self.scalarText(s)
        case .sequence(let elements):
            let parts = elements.compactMap { $0.isCollection ? nil : $0.flow() }
            guard parts.count == elements.count else { return nil }
            return "[" + parts.joined(separator: ", ") + "]"
        case .mapping(let entries):
            guard entries.count <= 4 else { return nil }
            var parts: [String] = []
            for e in entries {
                if case .mapping = e.value.value { return nil }
                guard let f = e.value.flow() else { return nil }
                parts.append("\(Self.scalarText(e.key)): \(f)")
            }
            let text = "{" + parts.joined(separator: ", ") + "}"
            return text.count <= 100 ? text : nil
        }
    }

    private var isCollection: Bool {
        switch value {
        case .sequence, .mapping: return true
        default: return false
        }
    }

    /// Whether `s` written plain is read back as that text (`1_000`, `0o7`, `0x_1F` are
    /// numbers, `1:30` is refused: `sweep convert` wrote them plain, and they changed type).
    private static func readsBackAsText(_ s: String) -> Bool {
        (try? YAMLReader.parse("k: " + s))?["k"]?.value == .string(s)
    }

    /// A string as a YAML scalar: plain when that reads back as the same string, else quoted.
    static func scalarText(_ s: String) -> String {
        let special = Set(":{}[],#&*!|>'\"%@`\\")
        let reserved = ["true", "false", "null", "yes", "no", "on", "off", "~", ""]
        let looksNumeric = Double(s) != nil || s.hasPrefix(".") || s.lowercased().hasSuffix("inf") || s.lowercased() == ".nan"
        let plain = !s.contains(where: { special.contains($0) || $0.isNewline }) && !reserved.contains(s.lowercased()) && !looksNumeric
            && s.first?.isWhitespace != true && s.last?.isWhitespace != true && !s.hasPrefix("-") && !s.hasPrefix("?") && !s.contains("${")
            && readsBackAsText(s)
        if plain { return s }
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
