/// Shared pieces of the strict decoding of `SamplerConfig` and `PrunerConfig`.
enum ConfigDecoding {
    /// Rejects every present key that is not in `allowed`, naming the options that are (in
    /// the order of `allowed`).
    static func rejectOptions<K: CodingKey & CaseIterable>(
        _ container: KeyedDecodingContainer<K>, allowed: [String], kind: String, name: String
    ) throws {
        for key in K.allCases where !allowed.contains(key.stringValue) && container.contains(key) {
            let options = allowed.filter { $0 != "name" }
            let list = options.isEmpty ? "it takes no options" : "its options are: \(options.joined(separator: ", "))"
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: "option '\(key.stringValue)' does not apply to \(kind) '\(name)'; \(list)")
        }
    }

    /// Throws "`key` must be ..." at `key` unless `ok`.
    static func require<K: CodingKey>(_ ok: Bool, _ key: K, _ container: KeyedDecodingContainer<K>, _ rule: String) throws {
        if !ok {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "'\(key.stringValue)' must be \(rule)")
        }
    }
}

/// Keys of a section whose options depend on its `name:` (`sampler:`, `pruner:`): a strict
/// decoder that meets an unknown key suggests among the options of the named one (listing
/// every sampler's options for `sampler: {name: tpe, n_startup: 5}` sent users to keys the
/// TPE sampler refuses).
public protocol OptionKeysChosenByName: CodingKey {
    /// The keys `name` takes (the `name` key included), or nil for an unknown name.
    static func keys(forName name: String?) -> [String]?
}
