/// How much one parameter matters to the objective, as estimated by ``ImportanceAnalysis``.
public struct ParameterImportance: Sendable, Hashable {
    /// The parameter's name in the search space.
    public var name: String
    /// The share of the objective's rank variance that the parameter's binned main effect
    /// explains, corrected for the share that chance alone would give (0...1).
    public var explained: Double
    /// `explained` normalized so that the importances of a study sum to 1 (all 0 when no
    /// parameter explains anything), the form Optuna's importance plots show.
    public var share: Double
    /// How many of the analysed trials had the parameter active.
    public var activeTrials: Int
    /// How many bins (or categories) the parameter's values fell into.
    public var bins: Int

    public init(name: String, explained: Double, share: Double, activeTrials: Int, bins: Int) {
        self.name = name
        self.explained = explained
        self.share = share
        self.activeTrials = activeTrials
        self.bins = bins
    }
}

/// One finished trial as the importance analysis sees it: its active parameters and its value.
public struct ImportanceObservation: Sendable, Hashable {
    /// The trial's active parameters (inactive conditional ones absent).
    public var params: Params
    /// The trial's final objective value.
    public var value: Double

    public init(params: Params, value: Double) {
        self.params = params
        self.value = value
    }
}
