import Foundation
import Randomness
// Re-exported so every file of this target sees `runSweep`, `sweepBinary` and the rest
// without importing SweepTestSupport itself.
@_exported import SweepTestSupport
@testable import Training

/// Decodes a configuration from JSON text (as the wire format carries it), rejecting unknown keys.
func decodeConfig<T: Decodable>(_ type: T.Type, _ json: String, strict: Bool = true) throws -> T {
    let decoder = JSONDecoder()
    if strict { decoder.userInfo[.rejectUnknownConfigKeys] = true }
    return try decoder.decode(T.self, from: Data(json.utf8))
}

/// The coding path and message of a decoding error (nil for other errors).
func decodingFailure(_ body: () throws -> Void) -> (path: String, message: String)? {
    do {
        try body()
        return nil
    } catch let error as DecodingError {
        let context: DecodingError.Context
        switch error {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c): context = c
        @unknown default: return nil
        }
        return (context.codingPath.map(\.stringValue).joined(separator: "."), context.debugDescription)
    } catch {
        return nil
    }
}

func roundTrip<T: Codable>(_ value: T) throws -> T {
    try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(value))
}

/// `|a - b| <= tolerance * max(1, |a|, |b|)`.
func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

func close(_ a: Float, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { close(Double(a), b, tolerance) }

/// Deterministic random features for tests.
func randomMatrix(rows: Int, cols: Int, seed: UInt64, scale: Double = 1) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<(rows * cols)).map { _ in Float(rng.nextNormal() * scale) }
}

/// A small synthetic trial for trainer tests.
func smallTrial(
    dataset: DatasetName = .moons, samples: Int = 200, hidden: [Int] = [8], activation: Activation = .relu,
    optimizer: OptimizerConfig = OptimizerConfig(.adam, learningRate: 0.01), epochs: Int = 5, batchSize: Int = 16,
    seed: UInt64 = 7
) -> TrialConfig {
    TrialConfig(
        seed: seed,
        data: DataConfig(dataset: dataset, samples: samples),
        model: ModelConfig(hidden: hidden, activation: activation),
        training: TrainingConfig(epochs: epochs, batchSize: batchSize, optimizer: optimizer))
}

