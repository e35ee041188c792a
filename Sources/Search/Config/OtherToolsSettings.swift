/// Ray Tune's and Optuna's names for schedulers, pruners and their settings, with Sweep's:
/// a ported file was told "unknown key 'grace_period'; expected one of: ..." and had to
/// guess that Ray's `grace_period` is `min_resource`.
public enum OtherToolsSettings {
    /// The sentence naming Sweep's setting for `key`, another tool's, among `options` (the
    /// named pruner's or scheduler's): Ray's `grace_period` is `min_resource` for `asha` and
    /// `n_warmup_steps` for `median`.
    public static func hint(for key: String, options: [String]) -> String? {
        if ["grace_period", "min_t"].contains(key) {
            if options.contains("min_resource") { return "Ray's \(key) is min_resource here" }
            if options.contains("n_warmup_steps") { return "Ray's \(key) is n_warmup_steps here (the epochs before the pruner judges a trial)" }
            return nil
        }
        return keys[key]
    }

    /// Settings under another tool's name, with the sentence that names Sweep's.
    static let keys: [String: String] = [
        "max_t": "Ray's max_t is budget.max_epochs here (the epochs a trial runs); a pruner's max_resource only tops its rungs",
        "time_attr": "Sweep counts a trial's reports (epochs): no time attribute is named",
        "brackets": "Sweep's asha has one bracket; hyperband runs several",
        "stop_last_trials": "Sweep's asha stops trials at every rung",
        "metric": "the objective (objective: {metric: ..., direction: ...}) is the one every pruner and scheduler judges",
        "mode": "the objective's direction (objective: {metric: ..., direction: ...}) is the one every pruner and scheduler follows",
        "quantile_fraction": "Ray's quantile_fraction is quantile here",
        "hyperparam_mutations": "Ray's hyperparam_mutations is mutations here: a list of the searched parameters it may change (their ranges come from parameters)",
        "custom_explore_fn": "Sweep's PBT explores by perturbation_factors and resample_probability",
        "synch": "Sweep's PBT is asynchronous",
        "log_config": "Sweep keeps every member's lineage (sweep show, sweep export)",
        "require_attrs": "Sweep's PBT needs no attributes",
        "eta": "Hyperband's eta is reduction_factor here",
    ]

    /// Scheduler and pruner names of Ray Tune and Optuna (their classes), with Sweep's.
    public static let names: [String: String] = [
        "ASHAScheduler": "asha", "AsyncHyperBandScheduler": "asha", "SuccessiveHalvingPruner": "asha",
        "HyperBandScheduler": "hyperband", "HyperbandPruner": "hyperband",
        "MedianStoppingRule": "median", "MedianPruner": "median", "PercentilePruner": "percentile",
        "ThresholdPruner": "threshold", "PatientPruner": "patience", "NopPruner": "none",
        "PopulationBasedTraining": "pbt",
        "async_hyperband": "asha", "population_based_training": "pbt", "median_stopping_rule": "median",
    ]

    /// "; did you mean 'asha' (Ray's ASHAScheduler)?" for another tool's name, else nil.
    public static func nameHint(_ given: String) -> String? {
        names[given].map { "; did you mean '\($0)' (\(given) in \(given.contains("Pruner") ? "Optuna" : given.contains("_") ? "Ray Tune's names" : "Ray Tune"))?" }
    }
}
