import Search
import Training

/// What a sweep optimizes: a metric the trials report, and which way is better.
public struct Objective: Codable, Sendable, Hashable {
    /// `val_accuracy`, `val_loss`, `accuracy`, `loss`, `val_f1`, ... (training trials) or
    /// `value` (synthetic trials).
    public var metric: String
    public var direction: Direction
    /// Whether the file says the direction; else it comes from the metric's name (see
    /// ``MetricNameDirection``), and a command's metric whose name does not say is refused.
    public var directionStated: Bool
    /// W&B's `metric.target`: once a trial's value reaches it (at most it when minimizing,
    /// at least when maximizing) the study starts no new trial and finishes when the running
    /// ones end. Not part of the objective's identity: a resume may change it.
    public var target: Double?

    public enum CodingKeys: String, CodingKey, CaseIterable { case metric, direction, target }

    public init(metric: String, direction: Direction, directionStated: Bool = true, target: Double? = nil) {
        self.metric = metric
        self.direction = direction
        self.directionStated = directionStated
        self.target = target
    }

    /// Whether `value` reaches ``target``.
    public func reachesTarget(_ value: Double) -> Bool {
        guard let target, !value.isNaN else { return false }
        return direction == .minimize ? value <= target : value >= target
    }

    public init(from decoder: any Decoder) throws {
        // Shorthand `objective: val_loss` infers the direction from the name.
        if let single = try? decoder.singleValueContainer(), let metric = try? single.decode(String.self) {
            self.init(metric: metric, direction: Self.naturalDirection(of: metric), directionStated: false)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let metric = try c.decode(String.self, forKey: .metric)
        var direction = Self.naturalDirection(of: metric)
        var stated = false
        if let d = try c.decodeIfPresent(String.self, forKey: .direction) {
            guard let dir = Direction(rawValue: d) else {
                throw DecodingError.dataCorruptedError(forKey: .direction, in: c, debugDescription: "unknown direction '\(d)'; expected minimize or maximize")
            }
            direction = dir
            stated = true
        }
        let target = try c.decodeIfPresent(Double.self, forKey: .target)
        if let target, !target.isFinite {
            throw DecodingError.dataCorruptedError(forKey: .target, in: c, debugDescription: "target must be a finite number, got \(target)")
        }
        self.init(metric: metric, direction: direction, directionStated: stated, target: target)
    }

    /// The same metric and direction, however the file wrote them (a study begun with
    /// `objective: loss` resumes from `{metric: loss, direction: minimize}`).
    public static func == (a: Objective, b: Objective) -> Bool { a.metric == b.metric && a.direction == b.direction }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(metric)
        hasher.combine(direction)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metric, forKey: .metric)
        try c.encode(direction.rawValue, forKey: .direction)
        try c.encodeIfPresent(target, forKey: .target)
    }

    /// Which way the metric's name says is better (see ``MetricNameDirection``); a name that
    /// does not say is maximized here, and refused for a new command sweep without a
    /// direction (``unstatedDirectionProblem``).
    public static func naturalDirection(of metric: String) -> Direction {
        (MetricNameDirection.lowerIsBetter(metric) ?? false) ? .minimize : .maximize
    }

    /// Why the direction must be stated: it is not, and the metric's name does not say.
    public var unstatedDirectionProblem: String? {
        guard !directionStated, MetricNameDirection.lowerIsBetter(metric) == nil else { return nil }
        return "Sweep cannot tell from the name '\(metric)' whether lower or higher is better: write objective: {metric: \(metric), direction: minimize} (or maximize)"
    }
}

/// How much a sweep may spend.
public struct Budget: Codable, Sendable, Hashable {
    /// Trials in total (finished, pruned and failed all count).
    public var trials: Int
    /// Epochs per trial at most; the resource of ASHA and Hyperband.
    public var maxEpochs: Int?
    /// Seconds of running time in total, summed over resumes.
    public var wallTime: Double?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case trials
        case maxEpochs = "max_epochs"
        case wallTime = "wall_time"
    }

    /// The most trials one study may have: ``TrialBudget/max``.
    public static let maxTrials = TrialBudget.max

    /// `current + added` trials, or nil when that passes ``maxTrials`` (or overflows).
    public static func raised(_ current: Int, by added: Int) -> Int? {
        let (sum, overflow) = current.addingReportingOverflow(added)
        return overflow || sum > maxTrials ? nil : sum
    }

    public init(trials: Int, maxEpochs: Int? = nil, wallTime: Double? = nil) {
        self.trials = trials
        self.maxEpochs = maxEpochs
        self.wallTime = wallTime
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trials = try c.decode(Int.self, forKey: .trials)
        guard trials >= 1 else { throw DecodingError.dataCorruptedError(forKey: .trials, in: c, debugDescription: "must be >= 1, got \(trials)") }
        guard trials <= Self.maxTrials else {
            throw DecodingError.dataCorruptedError(forKey: .trials, in: c, debugDescription: "must be at most \(Self.maxTrials), got \(trials)")
        }
        maxEpochs = try c.decodeIfPresent(Int.self, forKey: .maxEpochs)
        if let m = maxEpochs, m < 1 { throw DecodingError.dataCorruptedError(forKey: .maxEpochs, in: c, debugDescription: "must be >= 1, got \(m)") }
        if let m = maxEpochs, m > TrainingConfig.maxEpochs {
            throw DecodingError.dataCorruptedError(forKey: .maxEpochs, in: c, debugDescription: "must be at most \(TrainingConfig.maxEpochs), got \(m)")
        }
        if let seconds = try? c.decodeIfPresent(Double.self, forKey: .wallTime) {
            wallTime = seconds
        } else if let text = try c.decodeIfPresent(String.self, forKey: .wallTime) {
            guard let seconds = Self.parseDuration(text) else {
                throw DecodingError.dataCorruptedError(forKey: .wallTime, in: c, debugDescription: "cannot read '\(text)' as a duration; write e.g. 90s, 30m, 2h or 1h30m")
            }
            wallTime = seconds
        } else {
            wallTime = nil
        }
        if let w = wallTime, w <= 0 { throw DecodingError.dataCorruptedError(forKey: .wallTime, in: c, debugDescription: "must be > 0, got \(w)") }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trials, forKey: .trials)
        try c.encodeIfPresent(maxEpochs, forKey: .maxEpochs)
        try c.encodeIfPresent(wallTime, forKey: .wallTime)
    }

    /// Parses `90s`, `30m`, `2h`, `1h30m`, `1d`; nil if malformed.
    public static func parseDuration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var sawUnit = false
        for ch in text.replacingOccurrences(of: " ", with: "") {
            if ch.isNumber || ch == "." {
                number.append(ch)
                continue
            }
            guard let n = Double(number) else { return nil }
            switch ch {
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            case "d": total += n * 86400
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        if !number.isEmpty { return sawUnit ? nil : Double(number) }
        return sawUnit ? total : nil
    }
}

/// What happens when a trial does not finish.
public struct RetryPolicy: Codable, Sendable, Hashable {
    /// Leases per trial: a trial whose worker died is re-run until this many attempts
    /// crashed, then it is FAIL.
    public var maxAttempts: Int
    /// Also re-run trials whose training raised an error (off: such errors are usually
    /// deterministic, e.g. a diverging learning rate).
    public var retryErrors: Bool
    /// Workers send a checkpoint every this many epochs (0: never), and a re-queued trial
    /// continues from its latest one instead of starting over.
    public var checkpointEvery: Int

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case maxAttempts = "max_attempts"
        case retryErrors = "retry_errors"
        case checkpointEvery = "checkpoint_every"
    }

    public init(maxAttempts: Int = 3, retryErrors: Bool = false, checkpointEvery: Int = 1) {
        self.maxAttempts = maxAttempts
        self.retryErrors = retryErrors
        self.checkpointEvery = checkpointEvery
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? 3
        guard maxAttempts >= 1 else { throw DecodingError.dataCorruptedError(forKey: .maxAttempts, in: c, debugDescription: "must be >= 1, got \(maxAttempts)") }
        retryErrors = try c.decodeIfPresent(Bool.self, forKey: .retryErrors) ?? false
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 1
        guard checkpointEvery >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .checkpointEvery, in: c, debugDescription: "must be >= 0 (0: no checkpoints), got \(checkpointEvery)")
        }
    }
}

/// Which trained models a sweep keeps (as files beside the database).
public struct ArtifactPolicy: Codable, Sendable, Hashable {
    /// Keep the models of the best `keep` complete trials; nil keeps every complete trial's,
    /// 0 keeps none.
    public var keep: Int?

    public enum CodingKeys: String, CodingKey, CaseIterable { case keep }

    public init(keep: Int? = nil) {
        self.keep = keep
    }

    public init(from decoder: any Decoder) throws {
        // `artifacts: all` / `artifacts: none` / `artifacts: {keep: 5}`.
        if let single = try? decoder.singleValueContainer(), let word = try? single.decode(String.self) {
            switch word {
            case "all": self.init(keep: nil)
            case "none": self.init(keep: 0)
            default:
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "expected all, none or {keep: N}, got '\(word)'")
            }
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let keep = try c.decodeIfPresent(Int.self, forKey: .keep)
        if let keep, keep < 0 { throw DecodingError.dataCorruptedError(forKey: .keep, in: c, debugDescription: "must be >= 0, got \(keep)") }
        self.init(keep: keep)
    }

    /// Whether any model is kept.
    public var keepsModels: Bool { keep != 0 }
}
