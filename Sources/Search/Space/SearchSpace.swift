/// How one hyperparameter is drawn.
///
/// Bounds are inclusive. `step` quantizes a float range to `low + k*step` (Optuna's
/// `suggest_float(step=)`); int ranges are always quantized by their `step` (default 1).
public enum Distribution: Hashable, Sendable, Codable {
    /// A float drawn uniformly from `[low, high]`, optionally on the grid `low + k*step`.
    case uniform(low: Double, high: Double, step: Double?)
    /// A float whose logarithm is uniform in `[log low, log high]`; `low > 0`; optionally
    /// rounded to `round(x / q) * q` (W&B's `q_log_uniform_values` / `q_log_uniform`).
    case logUniform(low: Double, high: Double, q: Double? = nil)
    /// An integer in `[low, high]` on the grid `low + k*step`.
    case int(low: Int, high: Int, step: Int)
    /// An integer whose logarithm is uniform; `low >= 1`.
    case logInt(low: Int, high: Int)
    /// One of a fixed list of choices: uniformly, or with `probabilities` (one per choice,
    /// summing to 1; W&B's `probabilities`), which random draws follow: the random and
    /// quasi-random samplers, TPE's start-up trials, and PBT's resampling. TPE's model and
    /// the grid do not weigh choices (the grid refuses them, as W&B's does).
    case categorical([ParamValue], probabilities: [Double]? = nil)
    /// A float drawn from the normal distribution N(mu, sigma) (unbounded; `sigma > 0`),
    /// optionally rounded to `round(x / q) * q` (W&B's `normal` / `q_normal`).
    case normal(mu: Double, sigma: Double, q: Double?)
    /// A float `exp(X)` with X drawn from N(mu, sigma) (so always > 0, or >= 0 once
    /// rounded), optionally rounded to `round(x / q) * q` (W&B's `log_normal` / `q_log_normal`).
    case logNormal(mu: Double, sigma: Double, q: Double?)
    /// A float in [0, 1] drawn from Beta(a, b) (`a, b > 0`), optionally rounded to
    /// `round(x / q) * q` (W&B's `beta` / `q_beta`).
    case beta(a: Double, b: Double, q: Double?)

    /// Whether `value` can be produced by this distribution (used to validate stored
    /// parameters and values given by users, e.g. in an enqueued trial).
    public func contains(_ value: ParamValue) -> Bool {
        switch self {
        case .uniform(let lo, let hi, let step):
            guard let v = value.number else { return false }
            guard v >= lo - 1e-12 && v <= hi + 1e-12 else { return false }
            guard let step else { return true }
            let k = (v - lo) / step
            return abs(k - k.rounded()) < 1e-6
        case .logUniform(let lo, let hi, let q):
            guard let v = value.number else { return false }
            guard let q else { return v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12) }
            // Rounding may step just outside the bounds (to 0 when low < q / 2), as W&B's does.
            return v >= (lo / q).rounded() * q - 1e-9 && v <= (hi / q).rounded() * q + 1e-9 && Self.onQuantum(v, q)
        case .int(let lo, let hi, let step):
            guard case .int(let v) = value else { return false }
            return v >= lo && v <= hi && (v - lo) % step == 0
        case .logInt(let lo, let hi):
            guard case .int(let v) = value else { return false }
            return v >= lo && v <= hi
        case .categorical(let choices, _):
            return choices.contains(value)
        case .normal(_, _, let q):
            guard let v = value.number, v.isFinite else { return false }
            return Self.onQuantum(v, q)
        case .logNormal(_, _, let q):
            guard let v = value.number, v.isFinite, q == nil ? v > 0 : v >= 0 else { return false }
            return Self.onQuantum(v, q)
        case .beta(_, _, let q):
            guard let v = value.number, v >= -1e-12, v <= 1 + (q ?? 0) / 2 + 1e-12 else { return false }
            return Self.onQuantum(v, q)
        }
    }

    /// Whether `v` is a multiple of `q` (always true without `q`).
    private static func onQuantum(_ v: Double, _ q: Double?) -> Bool {
        guard let q else { return true }
        let k = v / q
        return abs(k - k.rounded()) < 1e-6
    }

    /// The parameters of a distribution without bounds or a finite set of values (normal,
    /// log-normal, beta): samplers draw them by inverse CDF; grids refuse them.
    public var isProbabilistic: Bool {
        switch self {
        case .normal, .logNormal, .beta: return true
        case .uniform, .logUniform, .int, .logInt, .categorical: return false
        }
    }

    /// Whether only one value is possible (such parameters are still recorded).
    public var isSingleValued: Bool {
        switch self {
        case .uniform(let lo, let hi, _), .logUniform(let lo, let hi, _): return lo == hi
        case .int(let lo, let hi, _), .logInt(let lo, let hi): return lo == hi
        case .categorical(let c, _): return c.count == 1
        case .normal, .logNormal, .beta: return false
        }
    }
}

/// A parameter is active only when another (earlier) parameter took one of `values`.
///
/// Example: `momentum` is active when `optimizer` is `momentum` or `nesterov`.
/// A parameter whose parent is inactive is inactive too.
public struct Condition: Hashable, Sendable, Codable {
    /// Name of the parameter this one depends on.
    public var parent: String
    /// Values of the parent for which this parameter is active.
    public var values: [ParamValue]

    public init(parent: String, values: [ParamValue]) {
        self.parent = parent
        self.values = values
    }

    /// Whether the parent's value `value` is one of ``values``.
    public func holds(for value: ParamValue) -> Bool {
        if values.contains(value) { return true }
        // Numbers by value: a stepped float is drawn as `low + k * step`, which may differ from
        // the value the condition names (0.1 * 3 is not 0.3) in the last bits, and a range with
        // a whole `q` draws ints (8 for the 8.0 the condition holds).
        func number(_ v: ParamValue) -> Double? { if case .bool = v { nil } else { v.number } }
        guard let drawn = number(value) else { return false }
        return values.contains { named in
            guard let named = number(named) else { return false }
            return abs(drawn - named) <= 1e-9 * max(1, abs(named))
        }
    }
}

/// One searched hyperparameter.
public struct Parameter: Hashable, Sendable, Codable {
    /// Unique name within the space (for sweep files: the dotted path, e.g.
    /// `training.optimizer.learning_rate`, or the `name:` the user gave).
    public var name: String
    public var distribution: Distribution
    /// `nil` when the parameter is always active.
    public var condition: Condition?

    public init(name: String, distribution: Distribution, condition: Condition? = nil) {
        self.name = name
        self.distribution = distribution
        self.condition = condition
    }
}

/// An ordered set of parameters; parents come before the parameters that depend on them.
public struct SearchSpace: Hashable, Sendable, Codable {
    public private(set) var parameters: [Parameter]

    /// Errors found when a space is built.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case duplicateName(String)
        case unknownParent(parameter: String, parent: String)
        case parentAfterChild(parameter: String, parent: String)
        case conditionValueImpossible(parameter: String, parent: String, value: ParamValue)
        case invalidProbabilities(parameter: String, ChoiceProbabilities.Problem)

        public var description: String {
            switch self {
            case .duplicateName(let n): return "parameter '\(n)' is defined twice"
            case .unknownParent(let p, let parent): return "parameter '\(p)' is conditional on unknown parameter '\(parent)'"
            case .parentAfterChild(let p, let parent): return "parameter '\(p)' must come after '\(parent)', on which it depends"
            case .conditionValueImpossible(let p, let parent, let v): return "parameter '\(p)' is conditional on '\(parent)' = \(v), a value '\(parent)' can never take"
            case .invalidProbabilities(let p, let problem): return "parameter '\(p)': \(problem)"
            }
        }
    }

    /// Builds a space, checking names are unique, choices' probabilities are probabilities,
    /// and every condition names an earlier parameter with values it can actually take.
    public init(_ parameters: [Parameter]) throws {
        var seen: [String: Parameter] = [:]
        for p in parameters {
            if seen[p.name] != nil { throw Error.duplicateName(p.name) }
            if case .categorical(let choices, let probabilities?) = p.distribution,
               let problem = ChoiceProbabilities.problem(probabilities, choices: choices.count) {
                throw Error.invalidProbabilities(parameter: p.name, problem)
            }
            if let c = p.condition {
                guard let parent = seen[c.parent] else {
                    if parameters.contains(where: { $0.name == c.parent }) {
                        throw Error.parentAfterChild(parameter: p.name, parent: c.parent)
                    }
                    throw Error.unknownParent(parameter: p.name, parent: c.parent)
                }
                for v in c.values where !parent.distribution.contains(v) {
                    throw Error.conditionValueImpossible(parameter: p.name, parent: c.parent, value: v)
                }
            }
            seen[p.name] = p
        }
        self.parameters = parameters
    }

    /// The parameter named `name`, if any.
    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// Whether `parameter` is active given the values chosen so far for earlier parameters.
    public func isActive(_ parameter: Parameter, given params: Params) -> Bool {
        guard let c = parameter.condition else { return true }
        guard let parentValue = params[c.parent] else { return false }
        return c.holds(for: parentValue)
    }
}
