/// The `scheduler:` section of a sweep file: a search method that changes running trials
/// instead of only stopping them. Today: Population Based Training (`name: pbt`).
///
/// Decoding is strict like `PrunerConfig`: an unknown name or key is an error at its key.
public enum SchedulerConfig: Codable, Sendable, Hashable {
    case pbt(PopulationBasedTrainingConfig)

    private enum NameKey: String, CodingKey { case name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: NameKey.self)
        let name = try c.decodeIfPresent(String.self, forKey: .name)
        guard name == "pbt" else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: c,
                debugDescription: name.map { "unknown scheduler '\($0)'" + (OtherToolsSettings.nameHint($0) ?? "; expected pbt") } ?? "missing 'name' (the scheduler: pbt)")
        }
        self = .pbt(try PopulationBasedTrainingConfig(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .pbt(let config): try config.encode(to: encoder)
        }
    }

    /// The population-based settings, when the scheduler is PBT.
    public var pbt: PopulationBasedTrainingConfig? {
        if case .pbt(let config) = self { return config }
        return nil
    }
}
