/// The trial budget's upper end, known to every module that shows or checks a budget.
///
/// The most trials one study may have (also after `sweep resume --add-trials`): each trial
/// is a row, and the sampler, the pruners and `sweep status` read every finished one, so a
/// budget beyond this is a typo rather than a plan (docs/limits.md). A sweep without a
/// budget (a W&B sweep without `run_cap`) gets this one: it runs until stopped.
public enum TrialBudget {
    public static let max = 1_000_000

    /// Whether `budget` is no budget at all (the sweep runs until stopped).
    public static func isUnbounded(_ budget: Int) -> Bool { budget >= max }
}
