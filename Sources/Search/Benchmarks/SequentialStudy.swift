/// Runs a study one trial at a time (suggest, evaluate, record), the way the sampler
/// comparisons run: no parallelism, no pruning.
public enum SequentialStudy {
    /// Minimizes `function` for `trials` trials; returns the history.
    public static func run(_ sampler: any Sampler, on function: TestFunction, trials: Int) -> StudyHistory {
        let history = StudyHistory(direction: .minimize)
        for n in 0..<trials {
            let params = sampler.suggest(for: n, in: function.space, history: history)
            history.append(TrialSnapshot(number: n, state: .running, params: params))
            history.finish(n, state: .complete, value: function.value(params))
        }
        return history
    }

    /// The best value reached in `history` minus `function`'s minimum.
    public static func regret(_ history: StudyHistory, _ function: TestFunction) -> Double {
        function.regret(bestValue: history.best?.value ?? .infinity)
    }
}
