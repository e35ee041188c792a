import Foundation
// Re-exported so every file of this target sees `SweepHarness`, `runSweep` and the rest
// without importing SweepTestSupport itself.
@_exported import SweepTestSupport

/// The report tests' name for the shared harness: a scratch directory in which they run
/// `sweep`, Chromium and tmux.
typealias Scratch = SweepHarness

/// A synthetic sweep: three inputs (linear, log-uniform, a choice) and a median pruner.
func syntheticSweep(study: String, trials: Int, epochs: Int = 5, sleep: Double = 0, function: String = "rosenbrock",
                    pruner: String = "{name: median, n_startup_trials: 4}", sampler: String = "{name: random}", seed: Int = 3) -> String {
    """
    study: \(study)
    seed: \(seed)
    synthetic:
      function: \(function)
      epochs: \(epochs)
      sleep: \(sleep)
      inputs:
        x: {uniform: [-2, 2]}
        y: {loguniform: [0.01, 3]}
        z: {choice: [0.5, 1, 2]}
    sampler: \(sampler)
    pruner: \(pruner)
    budget: {trials: \(trials)}
    """
}
