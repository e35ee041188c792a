/// Which steps a pruner may act on: Optuna's `n_warmup_steps` and `interval_steps`.
///
/// Optuna counts steps from 0; Sweep's steps are 1-based epochs, so epoch `e` is Optuna's
/// step `e - 1`. With `n_warmup_steps = w` the first `w` epochs are never pruned, and after
/// that pruning is considered at the first step reported in each window of
/// `interval_steps` epochs (every epoch with the default interval 1).
struct StepSchedule: Hashable, Sendable {
    var warmupSteps: Int
    var intervalSteps: Int

    /// Why `step` is not a pruning step for trial `number`, or `nil` if it is.
    func skipReason(step: Int, trial number: Int, history: StudyHistory) -> String? {
        let s = step - 1
        if s < warmupSteps {
            return "warm-up: the first \(plural(warmupSteps, "step")) are never pruned (n_warmup_steps)"
        }
        // Optuna's _is_first_in_interval_step, on 0-based steps.
        let nearestLowerPruningStep = (s - warmupSteps) / intervalSteps * intervalSteps + warmupSteps
        let secondLast = (history.previousStep(number, before: step) ?? 0) - 1
        if secondLast >= nearestLowerPruningStep {
            return "step \(step) is not a pruning step (interval_steps = \(intervalSteps))"
        }
        return nil
    }
}
