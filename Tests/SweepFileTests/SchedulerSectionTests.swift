import Search
import Testing
@testable import SweepFile

/// `scheduler: pbt` and `pruner: {mode: promotion}` in sweep files: decoded with defaults,
/// and every mistake an error at its field.
@Suite struct SchedulerSectionTests {
    static func pbt(_ scheduler: String, budget: String = "{trials: 4, max_epochs: 3}", pruner: String = "") -> String {
        validSweep
            .replacingOccurrences(of: "pruner: {name: median}\n", with: pruner.isEmpty ? "" : "pruner: \(pruner)\n")
            .replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: "scheduler: \(scheduler)\nbudget: \(budget)")
    }

    /// A command sweep's program decides its epochs: PBT needs `budget.max_epochs` (members
    /// were paused and exploited at the program's own last epoch); a stored study resumes.
    @Test func pbtOfACommandSweepNeedsMaxEpochs() throws {
        let text = """
            study: c
            objective: {metric: loss, direction: minimize}
            command: [python3, t.py]
            parameters: {lr: {loguniform: [0.01, 0.5]}, epochs: 6}
            scheduler: {name: pbt, population: 4, perturbation_interval: 2, mutations: [lr]}
            budget: {trials: 4}
            """
        #expect { try SweepDefinition.parse(text: text, file: "c.yaml") } throws: { error in
            "\(error)".contains("c.yaml:6:1: budget: Population Based Training pauses members every perturbation_interval epochs up to their last: set budget.max_epochs")
        }
        #expect(try SweepDefinition.parseStored(text: text, file: "stored").scheduler?.pbt != nil)
        #expect(try SweepDefinition.parse(text: text.replacingOccurrences(of: "{trials: 4}", with: "{trials: 4, max_epochs: 6}"), file: "c.yaml").maxEpochs == 6)
    }

    @Test func pbtDecodesWithRayTunesDefaultsAndNoPruner() throws {
        let d = try SweepDefinition.parse(text: Self.pbt("{name: pbt, population: 4, perturbation_interval: 1, mutations: [optimizer.learning_rate]}"))
        let config = try #require(d.scheduler?.pbt)
        #expect(config == PopulationBasedTrainingConfig(population: 4, perturbationInterval: 1, quantile: 0.25, resampleProbability: 0.25,
                                                        perturbationFactors: [0.8, 1.2], mutations: ["optimizer.learning_rate"]))
        #expect(d.pruner.name == .none)
    }

    @Test(arguments: [
        ("{name: pbt, population: 4, perturbation_interval: 1, mutations: [learning_rate]}", "scheduler.mutations", "not a searched parameter"),
        ("{name: pbt, population: 4, perturbation_interval: 1, quantile: 0.7, mutations: [optimizer.learning_rate]}", "scheduler.quantile", "(0, 0.5]"),
        ("{name: pbt, population: 4, perturbation_interval: 3, mutations: [optimizer.learning_rate]}", "scheduler.perturbation_interval", "no perturbation"),
        ("{name: pbt, population: 5, perturbation_interval: 1, mutations: [optimizer.learning_rate]}", "budget.trials", "set trials to 5"),
        ("{name: pbt, population: 4, perturbation_interval: 1, mutations: [optimizer.learning_rate], interval: 2}", "scheduler.interval", "unknown key"),
        ("{name: pb, population: 4, perturbation_interval: 1, mutations: [optimizer.learning_rate]}", "scheduler.name", "unknown scheduler"),
        ("{name: pbt, population: 4, mutations: [optimizer.learning_rate]}", "scheduler.perturbation_interval", "missing"),
        // Ray Tune's spellings name Sweep's.
        ("{name: PopulationBasedTraining, population: 4, perturbation_interval: 1, mutations: [optimizer.learning_rate]}", "scheduler.name", "did you mean 'pbt' (PopulationBasedTraining in Ray Tune)?"),
        ("{name: pbt, population: 4, perturbation_interval: 1, quantile_fraction: 0.25, mutations: [optimizer.learning_rate]}", "scheduler.quantile_fraction", "Ray's quantile_fraction is quantile here"),
        ("{name: pbt, population: 4, perturbation_interval: 1, mutations: {optimizer.learning_rate: {uniform: [0.001, 0.1]}}}", "scheduler.mutations", "their ranges come from parameters, not from here as in Ray's hyperparam_mutations"),
    ])
    func badSchedulerSettingsNameTheirField(_ scheduler: String, field: String, words: String) throws {
        let error = try #require(parseError(Self.pbt(scheduler)))
        #expect(error.path.description == field, "\(error)")
        #expect(error.message.contains(words), "\(error)")
        #expect(error.mark != nil, "\(error)")
    }

    /// Ray Tune's and Optuna's pruner names and settings say Sweep's (a ported file was
    /// told only "unknown key 'grace_period'; expected one of: ...").
    @Test func otherToolsPrunerSpellingsNameSweeps() throws {
        func problems(_ pruner: String) -> [String] {
            let text = validSweep.replacingOccurrences(of: "pruner: {name: median}\n", with: "pruner: \(pruner)\n")
            return parseError(text)?.all.map { "\($0.path): \($0.message)" } ?? []
        }
        let asha = problems("{name: asha, grace_period: 1, max_t: 9}")
        #expect(asha.contains("pruner.grace_period: unknown key 'grace_period'; Ray's grace_period is min_resource here"), "\(asha)")
        #expect(asha.contains { $0.hasPrefix("pruner.max_t: unknown key 'max_t'; Ray's max_t is budget.max_epochs here") }, "\(asha)")
        #expect(problems("{name: MedianPruner}").contains("pruner.name: unknown pruner 'MedianPruner'; did you mean 'median' (MedianPruner in Optuna)?"))
        // For the median pruner Ray's grace period is its warm-up (min_resource does not apply to it).
        #expect(problems("{name: median, grace_period: 2}").contains { $0.hasPrefix("pruner.grace_period: unknown key 'grace_period'; Ray's grace_period is n_warmup_steps here") })
        #expect(problems("{name: asha, mode: min}").contains { $0.contains("unknown mode 'min'; expected stop or promotion (the direction is the objective's") })
    }

    /// Every PBT setting in error is reported at once (a file with two mistakes named one,
    /// and the second only after the first was fixed).
    @Test func everyBadSchedulerSettingIsReported() throws {
        let error = try #require(parseError(Self.pbt("{name: pbt, population: 4, perturbation_interval: 1, quantile: 0.7, perturbation_factors: [0.8, -1], mutations: [optimizer.learning_rate, nosuch, other]}")))
        let problems = error.all.map { "\($0.path): \($0.message)" }
        #expect(problems.contains { $0.hasPrefix("scheduler.quantile: must be in (0, 0.5]") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("scheduler.perturbation_factors: a list of positive numbers") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("scheduler.mutations: 'nosuch' is not a searched parameter") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("scheduler.mutations: 'other' is not a searched parameter") }, "\(problems)")
    }

    /// A member continues from another member's checkpoint: a mutation of the network's
    /// shape (a layer width) is refused at validation, not found when members fail late;
    /// the activation (and dropout) keep the shape and may change.
    @Test func pbtRefusesMutatingTheNetworksShape() throws {
        let widths = Self.pbt("{name: pbt, population: 4, perturbation_interval: 1, mutations: [optimizer.learning_rate, \"hidden[0]\"]}")
            .replacingOccurrences(of: "hidden: [16]", with: "hidden: [{choice: [16, 32]}]")
        let error = try #require(parseError(widths))
        #expect(error.path.description == "scheduler.mutations" && error.message.contains("'hidden[0]' (model.hidden[0]) is part of the network's shape"), "\(error)")
        #expect(parseError(Self.pbt("{name: pbt, population: 4, perturbation_interval: 1, mutations: [activation, optimizer.learning_rate]}")) == nil)
    }

    /// A normal range has no bounds: it is probed at mu ± 3 sigma, so a learning rate that
    /// would be negative a third of the time is refused at validation.
    @Test func aNormalRangeIsProbedAtThreeSigma() throws {
        let negative = validSweep.replacingOccurrences(of: "learning_rate: {loguniform: [1.0e-4, 1.0e-1]}", with: "learning_rate: {normal: [0.001, 0.01]}")
        let error = try #require(parseError(negative))
        #expect(error.description.contains("learning_rate"), "\(error)")
        let safe = validSweep.replacingOccurrences(of: "learning_rate: {loguniform: [1.0e-4, 1.0e-1]}", with: "learning_rate: {normal: [0.01, 0.002]}")
        #expect(parseError(safe) == nil)
    }

    @Test func aPrunerBesidePbtIsRefused() throws {
        let text = Self.pbt("{name: pbt, population: 4, perturbation_interval: 1, mutations: [optimizer.learning_rate]}", pruner: "{name: median}")
        let error = try #require(parseError(text))
        #expect(error.path.description == "pruner" && error.message.contains("does not apply with scheduler pbt"), "\(error)")
    }

    @Test func ashaPromotionModeDecodesAndNeedsTrainingTrials() throws {
        let text = validSweep.replacingOccurrences(of: "pruner: {name: median}", with: "pruner: {name: asha, mode: promotion, reduction_factor: 3}")
        guard case .asha(let asha) = try SweepDefinition.parse(text: text).pruner else {
            Issue.record("not asha")
            return
        }
        #expect(asha.mode == .promotion && asha.reductionFactor == 3)
        let bad = try #require(parseError(validSweep.replacingOccurrences(of: "pruner: {name: median}", with: "pruner: {name: asha, mode: pause}")))
        #expect(bad.path.description == "pruner.mode" && bad.message.contains("stop or promotion"), "\(bad)")
        let synthetic = """
            study: s
            synthetic: {function: sphere, epochs: 4, inputs: {x: {uniform: [-1, 1]}}}
            pruner: {name: asha, mode: promotion}
            budget: {trials: 4}
            """
        let error = try #require(parseError(synthetic))
        #expect(error.path.description == "pruner.mode" && error.message.contains("checkpoints"), "\(error)")
    }
}
