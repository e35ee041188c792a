import Foundation
// Re-exported so every file of this target sees `SweepHarness`, `runSweep` and the rest
// without importing SweepTestSupport itself.
@_exported import SweepTestSupport

/// A synthetic sweep whose trials take `sleep` seconds per epoch.
func syntheticSweep(study: String, trials: Int, epochs: Int, sleep: Double, pruner: String = "{name: none}",
                    sampler: String = "{name: random}", failProbability: Double = 0) -> String {
    """
    study: \(study)
    synthetic:
      function: sphere
      epochs: \(epochs)
      sleep: \(sleep)
      fail_probability: \(failProbability)
      inputs:
        x: {uniform: [-2, 2]}
        y: {uniform: [-2, 2]}
    sampler: \(sampler)
    pruner: \(pruner)
    budget: {trials: \(trials)}
    retry: {max_attempts: 3}
    """
}
