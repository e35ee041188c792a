import Training

/// What a worker runs for one trial: a training run, a synthetic function, or the user's
/// own program.
///
/// On the wire: `{"kind": "training", "config": {...TrialConfig...}}`,
/// `{"kind": "synthetic", "task": {...}}` or `{"kind": "command", "task": {...}}` (see
/// docs/protocol.md).
public enum TrialSpec: Codable, Sendable, Hashable {
    case training(TrialConfig)
    case synthetic(SyntheticTask)
    /// The user's own program (`{"kind": "command", "task": {...}}`).
    case command(CommandTask)

    private enum CodingKeys: String, CodingKey { case kind, config, task }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "training": self = .training(try c.decode(TrialConfig.self, forKey: .config))
        case "synthetic": self = .synthetic(try c.decode(SyntheticTask.self, forKey: .task))
        case "command": self = .command(try c.decode(CommandTask.self, forKey: .task))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown trial kind '\(other)'; expected training, synthetic or command")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .training(let config):
            try c.encode("training", forKey: .kind)
            try c.encode(config, forKey: .config)
        case .synthetic(let task):
            try c.encode("synthetic", forKey: .kind)
            try c.encode(task, forKey: .task)
        case .command(let task):
            try c.encode("command", forKey: .kind)
            try c.encode(task, forKey: .task)
        }
    }

    /// Epochs the trial runs at most.
    public var epochs: Int {
        switch self {
        case .training(let c): return c.training.epochs
        case .synthetic(let t): return t.epochs
        case .command(let t): return t.epochs
        }
    }
}
