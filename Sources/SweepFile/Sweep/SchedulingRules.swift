import Search

/// Rules across sections for the search methods that pause trials and continue them from
/// checkpoints: Population Based Training (`scheduler: pbt`) and ASHA with promotions
/// (`pruner: {name: asha, mode: promotion}`). Each problem names its field.
enum SchedulingRules {
    static func problems(root: ConfigNode, task: SweepDefinition.Task, scheduler: SchedulerConfig?, pruner: PrunerConfig?,
                         budget: Budget, space: SearchSpace, maxEpochs: Int, parameters: [ParameterSpec] = [], newStudy: Bool = true) -> [ConfigError] {
        var out: [ConfigError] = []
        func fail(_ path: [String], _ message: String) {
            var node: ConfigNode? = root
            var mark: SourceMark?
            for key in path {
                mark = node?.entry(key)?.keyMark ?? mark
                node = node?[key]
            }
            out.append(ConfigError(mark: mark, path: ConfigPath(path.map { .key($0) }), message: message))
        }
        // Built-in and command trials checkpoint (a command trial's program saves its state in
        // SWEEP_CHECKPOINT_DIR and loads it when SWEEP_RESUME_EPOCH is set); synthetic ones do not.
        if case .asha(let asha)? = pruner, asha.mode == .promotion, task == .synthetic {
            fail(["pruner", "mode"], "promotion continues paused trials from checkpoints, which synthetic trials do not have")
        }
        guard let pbt = scheduler?.pbt else { return out }
        if task == .synthetic {
            fail(["scheduler"], "Population Based Training continues members from checkpoints, which synthetic trials do not have")
        }
        if let pruner, pruner.name != .none {
            fail(["pruner"], "pruner '\(pruner.name.rawValue)' does not apply with scheduler pbt (it replaces the bottom members instead of stopping them); remove the pruner section")
        }
        for problem in pbt.problems(against: space) {
            fail(["scheduler", problem.key], problem.message)
        }
        // A member continues from another member's checkpoint: what an explore step changes
        // must keep the network's shape. Under `model`, only dropout and the activation do.
        for name in pbt.mutations {
            guard let spec = parameters.first(where: { $0.parameter.name == name }),
                  case .key("model")? = spec.path.components.first else { continue }
            let keys = spec.path.components.compactMap { if case .key(let k) = $0 { return k } else { return nil } }
            if !keys.contains(where: { $0.hasSuffix("dropout") || $0 == "activation" }) {
                fail(["scheduler", "mutations"], "'\(name)' (\(spec.path)) is part of the network's shape: a member continuing from another member's checkpoint cannot change it; mutate training settings (learning rate, momentum, weight decay, batch size) or dropout instead")
            }
        }
        // A command trial's program decides how many epochs it runs: without the number,
        // members were paused, and exploited, at the program's own last epoch (a clone then
        // trained nothing and kept the value its weights no longer had). (A stored study
        // still resumes.)
        if task == .command, budget.maxEpochs == nil, newStudy {
            fail(["budget"], "Population Based Training pauses members every perturbation_interval epochs up to their last: set budget.max_epochs to the epochs your program runs (without it they are taken to be \(maxEpochs), and a member would be paused and exploited at the program's own last epoch)")
        }
        if budget.trials != pbt.population {
            fail(["budget", "trials"], "with scheduler pbt the budget is the population: \(pbt.population) members of \(maxEpochs) epochs each; set trials to \(pbt.population), got \(budget.trials)")
        }
        if pbt.perturbationInterval >= maxEpochs {
            fail(["scheduler", "perturbation_interval"], "\(pbt.perturbationInterval) epochs leaves no perturbation before the last epoch (\(maxEpochs)); use fewer")
        }
        return out
    }
}
