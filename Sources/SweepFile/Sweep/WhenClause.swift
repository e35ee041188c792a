import Search

/// A `when: {PARENT: [values]}` condition as written, before `PARENT` (a parameter name or
/// a document path) is resolved to a parameter. Searched parameters and conditional values
/// both take one.
struct WhenClause {
    /// The parent as written.
    var parentReference: String
    /// The parent's values for which the condition holds (at least one).
    var values: [ParamValue]
    /// Where the parent is named, for errors about it.
    var mark: SourceMark?

    /// Reads the `when` value `node` of the mapping at `path`; `example` shows a valid
    /// condition in the error for a malformed one.
    init(_ node: ConfigNode, at path: ConfigPath, example: String) throws(ConfigError) {
        let whenPath = path.appending("when")
        guard let entries = node.entries, entries.count == 1 else {
            throw ConfigError(mark: node.mark, path: whenPath, message: "'when' takes one condition, e.g. \(example)")
        }
        let parent = entries[0]
        var values: [ParamValue] = []
        // The parent's values, as a list of them (one value alone is a list of one); a value
        // may itself be a list or a mapping, for a choice of lists (`when: {layers: [[64, 32]]}`)
        // or dicts.
        for v in parent.value.elements ?? [parent.value] {
            guard let pv = ParameterExtraction.paramValueOrCollection(v) else {
                throw ConfigError(mark: v.mark, path: whenPath.appending(parent.key), message: "condition values must be values, or lists or mappings of them, got \(v.kindDescription)")
            }
            values.append(pv)
        }
        guard !values.isEmpty else { throw ConfigError(mark: node.mark, path: whenPath, message: "'when' needs at least one value") }
        parentReference = parent.key
        self.values = values
        mark = parent.keyMark ?? node.mark
    }
}
