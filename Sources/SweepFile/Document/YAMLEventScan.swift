// Yams composes a document with libyaml's event parser; its CYaml module comes with the
// Yams dependency. Scanning the events first lets us refuse what must never be composed.
import CYaml

/// Checks YAML text event by event, before any node tree exists, for what sweep files do
/// not allow: anchors and aliases (an alias bomb of a few hundred bytes expands to
/// gigabytes once composed), explicit tags other than the core schema's scalar ones
/// (`!!python/object`), and nesting deeper than ``SweepFileLimits/maxDepth``. Memory stays
/// proportional to the text.
///
/// Syntax errors are left to the composer, which reports them with its own messages.
enum YAMLEventScan {
    /// The scalar tags allowed, as W&B files use them (PyYAML reads `1e-5` as text, so
    /// `min: !!float 1e-5` is common): they say how to read the value, nothing more.
    enum ScalarTag: String, Sendable {
        case str, int, float, bool, null
    }

    /// Checks `text`; returns the scalars that carry an allowed tag, by position.
    static func check(_ text: String, file: String?) throws(ConfigError) -> [SourceMark: ScalarTag] {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return [:] }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        var tags: [SourceMark: ScalarTag] = [:]
        let problem: ConfigError? = bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return scan(&parser, file: file, tags: &tags)
        }
        if let problem { throw problem }
        return tags
    }

    private static func scan(_ parser: inout yaml_parser_t, file: String?, tags: inout [SourceMark: ScalarTag]) -> ConfigError? {
        var depth = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil } // the composer reports it
            defer { yaml_event_delete(&event) }
            let mark = SourceMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            var anchor: UnsafeMutablePointer<yaml_char_t>?
            var tag: UnsafeMutablePointer<yaml_char_t>?
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_ALIAS_EVENT:
                return ConfigError(file: file, mark: mark, path: ConfigPath(), message: "YAML aliases are not supported here")
            case YAML_SCALAR_EVENT:
                anchor = event.data.scalar.anchor
                tag = event.data.scalar.tag
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isSequence = event.type == YAML_SEQUENCE_START_EVENT
                anchor = isSequence ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                tag = isSequence ? event.data.sequence_start.tag : event.data.mapping_start.tag
                depth += 1
                if depth > SweepFileLimits.maxDepth {
                    return ConfigError(file: file, mark: mark, path: ConfigPath(),
                                       message: "lists and mappings nest deeper than \(SweepFileLimits.maxDepth) levels")
                }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                depth -= 1
            default:
                break
            }
            if let anchor {
                return ConfigError(file: file, mark: mark, path: ConfigPath(),
                                   message: "YAML anchors (&\(string(anchor))) and aliases are not supported here; repeat the value instead")
            }
            if let tag, event.type == YAML_SCALAR_EVENT, let allowed = scalarTag(string(tag)) {
                tags[mark] = allowed
            } else if let tag {
                return ConfigError(file: file, mark: mark, path: ConfigPath(),
                                   message: "YAML tag '\(shortTag(string(tag)))' is not supported; write plain values (quote a value to make it a string)")
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>) -> String {
        String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    /// `tag:yaml.org,2002:float` (`!!float`) -> `.float`; nil for any other tag.
    private static func scalarTag(_ tag: String) -> ScalarTag? {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? ScalarTag(rawValue: String(tag.dropFirst(prefix.count))) : nil
    }

    /// `tag:yaml.org,2002:python/object` -> `!!python/object`, as it was written.
    private static func shortTag(_ tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }
}
