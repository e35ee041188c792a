import Training
import SweepSupport

/// A file for `sweep train`: one fixed configuration (`seed`, `data`, `model`, `training`).
///
/// A sweep file without search ranges is also a valid train file (its sweep sections are
/// ignored), so a configuration found by a sweep can be re-run as it is.
public enum TrainFile {
    /// Reads and validates the train file at `path`.
    public static func load(path: String) throws(ConfigError) -> TrialConfig {
        try parse(text: try SweepDefinition.readText(path), file: path)
    }

    public static func parse(text: String, file: String? = nil) throws(ConfigError) -> TrialConfig {
        do throws(ConfigError) {
            let root = try YAMLReader.parse(text, file: file)
            guard let entries = root.entries else {
                throw ConfigError(mark: root.mark, path: ConfigPath(), message: "a train file is a mapping with data, model and training sections, got \(root.kindDescription)")
            }
            if root["synthetic"] != nil {
                throw ConfigError(mark: root.entry("synthetic")?.keyMark, path: ConfigPath([.key("synthetic")]),
                                  message: "a synthetic sweep has no network to train; run it with `sweep run`")
            }
            let allowed = SweepDefinition.trainingKeys + SweepDefinition.sweepKeys
            for e in entries where !allowed.contains(e.key) {
                let hint = closestName(to: e.key, in: allowed).map { "; did you mean '\($0)'?" } ?? "; expected one of: \(allowed.joined(separator: ", "))"
                throw ConfigError(mark: e.keyMark, path: ConfigPath([.key(e.key)]), message: "unknown section '\(e.key)'\(hint)")
            }
            let template = ConfigNode(.mapping(entries.filter { SweepDefinition.trainingKeys.contains($0.key) }), mark: root.mark)
            let (ranges, conditional) = try ParameterExtraction.extractAll(from: template, at: ConfigPath(), defaultName: { $0.description })
            if let c = conditional.first {
                throw ConfigError(mark: c.mark, path: c.path, message: "a conditional value ({value, when}) needs a sweep; `sweep train` needs fixed values")
            }
            if let first = ranges.first {
                let others = ranges.dropFirst().map(\.path.description)
                let more = others.isEmpty ? "" : " (and \(others.count) more: \(others.prefix(5).joined(separator: ", "))\(others.count > 5 ? ", ..." : ""))"
                throw ConfigError(mark: first.mark, path: first.path,
                                  message: "this is a search range\(more); `sweep train` needs fixed values (use `sweep run` to search)")
            }
            return try ConfigDecoder(file: file).decode(TrialConfig.self, from: template)
        } catch {
            throw error.fillingFile(file)
        }
    }
}
