import Foundation
import Search
import Training

/// A trial that evaluates a known function instead of training a network: for tests,
/// benchmarks of the sweep machinery (zero-cost and sleep trials), and demos.
///
/// In a sweep file:
/// ```yaml
/// synthetic:
///   function: branin        # sphere | branin | rosenbrock | hartmann6 | constant
///   epochs: 3               # reports per trial; the curve falls to f(x) at the last epoch
///   sleep: 0.0              # seconds of simulated work per epoch
///   inputs:
///     x1: {uniform: [-5, 10]}
///     x2: {uniform: [0, 15]}
/// ```
public struct SyntheticTask: Codable, Sendable, Hashable {
    public enum Function: String, Codable, Sendable, CaseIterable {
        case sphere, branin, rosenbrock, hartmann6, constant

        /// How many inputs the function takes (nil: any number >= 1).
        var arity: Int? {
            switch self {
            case .branin: return 2
            case .hartmann6: return 6
            case .rosenbrock: return nil
            case .sphere: return nil
            case .constant: return nil
            }
        }
    }

    public var function: Function
    public var epochs: Int
    /// Seconds of simulated work per epoch.
    public var sleep: Double
    /// How far above f(x) the curve starts (it reaches f(x) at the last epoch).
    public var decay: Double
    /// Probability that a trial fails with an error instead of finishing (failure tests).
    public var failProbability: Double
    /// Input values in document order.
    public var inputs: [Input]

    public struct Input: Codable, Sendable, Hashable {
        public var name: String
        public var value: Double

        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case function, epochs, sleep, decay, inputs
        case failProbability = "fail_probability"
    }

    public init(function: Function, epochs: Int = 1, sleep: Double = 0, decay: Double = 1, failProbability: Double = 0, inputs: [Input]) {
        self.function = function
        self.epochs = epochs
        self.sleep = sleep
        self.decay = decay
        self.failProbability = failProbability
        self.inputs = inputs
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .function)
        guard let f = Function(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .function, in: c, debugDescription:
                "unknown function '\(name)'; expected one of: \(Function.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        function = f
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? 1
        guard epochs >= 1 else { throw DecodingError.dataCorruptedError(forKey: .epochs, in: c, debugDescription: "must be >= 1, got \(epochs)") }
        guard epochs <= TrainingConfig.maxEpochs else {
            throw DecodingError.dataCorruptedError(forKey: .epochs, in: c, debugDescription: "must be at most \(TrainingConfig.maxEpochs), got \(epochs)")
        }
        sleep = try c.decodeIfPresent(Double.self, forKey: .sleep) ?? 0
        guard sleep >= 0 else { throw DecodingError.dataCorruptedError(forKey: .sleep, in: c, debugDescription: "must be >= 0, got \(sleep)") }
        decay = try c.decodeIfPresent(Double.self, forKey: .decay) ?? 1
        failProbability = try c.decodeIfPresent(Double.self, forKey: .failProbability) ?? 0
        guard (0...1).contains(failProbability) else {
            throw DecodingError.dataCorruptedError(forKey: .failProbability, in: c, debugDescription: "must be in [0, 1], got \(failProbability)")
        }
        // Inputs keep document order: decode the mapping (the usual form) through its keys,
        // else a list. (Mapping first: the coordinator decodes this for every trial, and a
        // failed attempt builds an error.)
        let mapping = try? c.nestedContainer(keyedBy: InputKey.self, forKey: .inputs)
        if mapping == nil, let list = try? c.decode([Input].self, forKey: .inputs) {
            inputs = list
        } else {
            // Neither form: the mapping's error is the one reported.
            let nested = try mapping ?? c.nestedContainer(keyedBy: InputKey.self, forKey: .inputs)
            inputs = try nested.allKeys.map { Input(name: $0.stringValue, value: try nested.decode(Double.self, forKey: $0)) }
        }
        guard !inputs.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .inputs, in: c, debugDescription: "needs at least one input") }
        if let arity = f.arity, inputs.count != arity {
            throw DecodingError.dataCorruptedError(forKey: .inputs, in: c, debugDescription: "\(f.rawValue) takes \(arity) inputs, got \(inputs.count)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(function.rawValue, forKey: .function)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(sleep, forKey: .sleep)
        try c.encode(decay, forKey: .decay)
        try c.encode(failProbability, forKey: .failProbability)
        try c.encode(inputs, forKey: .inputs)
    }

    private struct InputKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The function's value at the inputs (Branin, Hartmann-6 and Rosenbrock are the
    /// sampler benchmarks' `TestFunction`s).
    public var finalValue: Double {
        let x = inputs.map(\.value)
        switch function {
        case .constant: return 0
        case .sphere: return x.reduce(0) { $0 + $1 * $1 }
        // With one input, Rosenbrock's sum is empty; (1 - x)^2 keeps it a curve.
        case .rosenbrock: return x.count > 1 ? TestFunction.rosenbrock10.value(at: x) : (1 - x[0]) * (1 - x[0])
        case .branin: return TestFunction.branin.value(at: x)
        case .hartmann6: return TestFunction.hartmann6.value(at: x)
        }
    }

    /// The value reported after `epoch` (1-based): starts `decay` above f(x), reaches it at the end.
    public func value(atEpoch epoch: Int) -> Double {
        finalValue + decay * Double(epochs - epoch) / Double(epochs)
    }
}
