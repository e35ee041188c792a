import Search
import Testing
import Training
@testable import SweepFile

/// A small valid sweep over a synthetic data set; tests edit it into bad variants.
let validSweep = """
study: demo
objective: {metric: val_accuracy, direction: maximize}
seed: 7
data:
  dataset: moons
  samples: 200
model:
  hidden: [16]
  activation: {choice: [relu, elu]}
training:
  epochs: 3
  batch_size: {choice: [16, 32]}
  optimizer:
    name: {choice: [sgd, momentum, adam]}
    learning_rate: {loguniform: [1.0e-4, 1.0e-1]}
    momentum: {uniform: [0.8, 0.99], when: {optimizer.name: [momentum]}}
sampler: {name: tpe, seed: 3}
pruner: {name: median}
budget: {trials: 10, max_epochs: 3}
"""

/// The search space of `text`, a W&B sweep file, as its conversion (`sweep convert wandb`)
/// reads back: it must be the file's own.
func convertedSpace(_ text: String, file: String) throws -> SearchSpace {
    try SweepDefinition.parse(text: try WandBSweep.convert(try YAMLReader.parse(text, file: nil), file: file).yamlText()).space
}

/// Parses `text`, expecting a failure; returns the error.
func parseError(_ text: String, file: String = "bad.yaml") -> ConfigError? {
    do {
        _ = try SweepDefinition.parse(text: text, file: file)
        return nil
    } catch {
        return error
    }
}

@Suite struct SweepDefinitionTests {
    @Test func validSweepYieldsItsSpace() throws {
        let d = try SweepDefinition.parse(text: validSweep, file: "demo.yaml")
        #expect(d.study == "demo")
        #expect(d.objective == Objective(metric: "val_accuracy", direction: .maximize))
        #expect(d.space.parameters.map(\.name) == ["activation", "batch_size", "optimizer.name", "optimizer.learning_rate", "optimizer.momentum"])
        let momentum = try #require(d.space.parameter(named: "optimizer.momentum"))
        #expect(momentum.condition == Condition(parent: "optimizer.name", values: [.string("momentum")]))
        #expect(momentum.distribution == .uniform(low: 0.8, high: 0.99, step: nil))
        #expect(d.maxEpochs == 3)
        #expect(d.budget.trials == 10)
    }

    @Test func trialSpecSubstitutesValuesAndDropsInactiveParameters() throws {
        let d = try SweepDefinition.parse(text: validSweep)
        let params: Params = ["activation": .string("elu"), "batch_size": .int(32), "optimizer.name": .string("adam"),
                              "optimizer.learning_rate": .double(0.003)]
        guard case .training(let config) = try d.spec(for: params, trialSeed: 99) else {
            Issue.record("expected a training spec")
            return
        }
        #expect(config.seed == 99)
        #expect(config.training.batchSize == 32)
        #expect(config.training.optimizer.name == .adam)
        #expect(config.training.optimizer.learningRate == 0.003)
        #expect(config.training.epochs == 3)
        // The same file gives a trial the same seed after a new parse (a resume); different
        // trials, or another study seed, differ.
        #expect(try SweepDefinition.parse(text: validSweep).trialSeed(number: 4) == d.trialSeed(number: 4))
        #expect(d.trialSeed(number: 4) != d.trialSeed(number: 5))
        let reseeded = try SweepDefinition.parse(text: validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 8"))
        #expect(reseeded.trialSeed(number: 4) != d.trialSeed(number: 4))
    }

    @Test func activeOnlyFollowsConditions() throws {
        let d = try SweepDefinition.parse(text: validSweep)
        let all: Params = ["optimizer.name": .string("sgd"), "optimizer.momentum": .double(0.9), "activation": .string("relu")]
        #expect(d.activeOnly(all)["optimizer.momentum"] == nil)
        var withMomentum = all
        withMomentum["optimizer.name"] = .string("momentum")
        #expect(d.activeOnly(withMomentum)["optimizer.momentum"] == .double(0.9))
    }

    @Test func budgetCapsEpochs() throws {
        let text = validSweep.replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: "budget: {trials: 10, max_epochs: 2, wall_time: 1h30m}")
        let d = try SweepDefinition.parse(text: text)
        #expect(d.maxEpochs == 2)
        #expect(d.budget.wallTime == 5400)
        let params = d.activeOnly(["activation": .string("relu"), "batch_size": .int(16), "optimizer.name": .string("sgd"), "optimizer.learning_rate": .double(0.01)])
        guard case .training(let c) = try d.spec(for: params, trialSeed: 1) else { Issue.record("expected training"); return }
        #expect(c.training.epochs == 2)
    }

    @Test func syntheticSweepParsesInputsInOrder() throws {
        let text = """
        study: synth
        synthetic:
          function: branin
          epochs: 4
          inputs:
            x1: {uniform: [-5, 10]}
            x2: {uniform: [0, 15]}
        budget: {trials: 5}
        sampler: {name: random}
        """
        let d = try SweepDefinition.parse(text: text)
        #expect(d.task == .synthetic)
        #expect(d.objective.direction == .minimize)
        #expect(d.space.parameters.map(\.name) == ["x1", "x2"])
        guard case .synthetic(let task) = try d.spec(for: ["x1": .double(Double.pi), "x2": .double(2.275)], trialSeed: 1) else {
            Issue.record("expected synthetic"); return
        }
        #expect(task.inputs.map(\.name) == ["x1", "x2"])
        #expect(abs(task.finalValue - 0.397887) < 1e-5)
        #expect(task.value(atEpoch: 1) > task.value(atEpoch: 4))
        #expect(task.value(atEpoch: 4) == task.finalValue)
    }

    @Test func durationsParse() {
        #expect(Budget.parseDuration("90s") == 90)
        #expect(Budget.parseDuration("1h30m") == 5400)
        #expect(Budget.parseDuration("2d") == 172800)
        #expect(Budget.parseDuration("120") == 120)
        #expect(Budget.parseDuration("1x") == nil)
        #expect(Budget.parseDuration("h") == nil)
    }
}

/// Every kind of bad sweep file gets a message naming file, line and field.
@Suite struct BadSweepFileTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var text: String
        var line: Int
        var field: String
        var message: String
        var description: String { name }
    }

    static func edit(_ from: String, _ to: String) -> String {
        precondition(validSweep.contains(from), "test edit target missing: \(from)")
        return validSweep.replacingOccurrences(of: from, with: to)
    }

    static let cases: [Case] = [
        Case(name: "unknown top-level key", text: edit("seed: 7", "seed: 7\nserch: 1"), line: 4, field: "serch", message: "unknown section 'serch'"),
        Case(name: "unknown nested key", text: edit("batch_size:", "batch_sise:"), line: 12, field: "training.batch_sise", message: "did you mean 'batch_size'?"),
        Case(name: "wrong type", text: edit("  epochs: 3\n", "  epochs: three\n"), line: 11, field: "training.epochs", message: "expected a whole number"),
        Case(name: "empty range", text: edit("[1.0e-4, 1.0e-1]", "[1.0e-1, 1.0e-4]"), line: 15, field: "training.optimizer.learning_rate.loguniform", message: "empty range"),
        Case(name: "log range with 0", text: edit("[1.0e-4, 1.0e-1]", "[0, 1.0e-1]"), line: 15, field: "training.optimizer.learning_rate.loguniform", message: "low > 0"),
        Case(name: "min greater than max (uniform)", text: edit("[0.8, 0.99]", "[0.99, 0.8]"), line: 16, field: "training.optimizer.momentum.uniform", message: "empty range"),
        Case(name: "unknown sampler", text: edit("name: tpe", "name: bayes"), line: 17, field: "sampler.name", message: "unknown sampler 'bayes'"),
        Case(name: "unknown pruner", text: edit("name: median", "name: mediam"), line: 18, field: "pruner.name", message: "unknown pruner 'mediam'"),
        Case(name: "condition on unknown parameter", text: edit("when: {optimizer.name: [momentum]}", "when: {optimiser: [momentum]}"), line: 16, field: "training.optimizer.momentum.when", message: "unknown parameter 'optimiser'"),
        Case(name: "condition value never taken", text: edit("when: {optimizer.name: [momentum]}", "when: {optimizer.name: [nesterov]}"), line: 16, field: "training.optimizer.momentum.when", message: "can never be \"nesterov\""),
        Case(name: "unknown optimizer choice", text: edit("[sgd, momentum, adam]", "[sgd, momentum, adamx]"), line: 14, field: "training.optimizer.name", message: "unknown optimizer 'adamx'"),
        Case(name: "negative learning rate range", text: edit("{loguniform: [1.0e-4, 1.0e-1]}", "{uniform: [-0.1, 0.1]}"), line: 15, field: "training.optimizer.learning_rate", message: "learning_rate"),
        Case(name: "missing budget", text: edit("budget: {trials: 10, max_epochs: 3}", ""), line: 1, field: "budget", message: "missing required section 'budget'"),
        Case(name: "zero trials", text: edit("trials: 10", "trials: 0"), line: 19, field: "budget.trials", message: "must be >= 1"),
        Case(name: "missing study", text: edit("study: demo\n", ""), line: 1, field: "study", message: "missing required field 'study'"),
        Case(name: "bad study name", text: edit("study: demo", "study: my study!"), line: 1, field: "study", message: "study name"),
        Case(name: "study name like an option", text: edit("study: demo", "study: -rf"), line: 1, field: "study", message: "does not start with '-'"),
        Case(name: "unknown metric", text: edit("metric: val_accuracy", "metric: val_acc"), line: 2, field: "objective.metric", message: "did you mean 'val_accuracy'?"),
        Case(name: "unknown direction", text: edit("direction: maximize", "direction: up"), line: 2, field: "objective.direction", message: "unknown direction 'up'"),
        Case(name: "two distributions", text: edit("{choice: [relu, elu]}", "{choice: [relu, elu], uniform: [0, 1]}"), line: 9, field: "model.activation", message: "exactly one distribution"),
        Case(name: "unknown range key", text: edit("{choice: [relu, elu]}", "{choice: [relu, elu], wehn: {x: 1}}"), line: 9, field: "model.activation.wehn", message: "did you mean 'when'?"),
        Case(name: "bounds not a pair", text: edit("[0.8, 0.99]", "[0.8]"), line: 16, field: "training.optimizer.momentum.uniform", message: "list of two bounds"),
        Case(name: "duplicate choice", text: edit("[16, 32]", "[16, 16]"), line: 12, field: "training.batch_size.choice[1]", message: "appears twice"),
        Case(name: "step does not divide range", text: edit("{choice: [16, 32]}", "{int: [16, 100], step: 16}"), line: 12, field: "training.batch_size.step", message: "whole number of steps"),
        Case(name: "parameter without condition that does not apply", text: edit(", when: {optimizer.name: [momentum]}", ""), line: 16, field: "training.optimizer.momentum", message: "add a 'when:' condition"),
        Case(name: "duplicate key", text: edit("seed: 7", "seed: 7\nseed: 8"), line: 4, field: "", message: "duplicate key"),
        Case(name: "invalid YAML", text: edit("hidden: [16]", "hidden: [16"), line: 9, field: "", message: "not valid YAML"),
        Case(name: "dropout out of range", text: edit("hidden: [16]", "hidden: [16]\n  dropout: {uniform: [0.0, 1.5]}"), line: 9, field: "model.dropout", message: "dropout"),
        Case(name: "integer bounds beyond 2^53", text: edit("{choice: [16, 32]}", "{int: [-9000000000000000000, 9000000000000000000], step: 2}"), line: 12, field: "training.batch_size.int", message: "within ±2^53"),
        Case(name: "wall time unreadable", text: edit("max_epochs: 3}", "max_epochs: 3, wall_time: soon}"), line: 19, field: "budget.wall_time", message: "duration"),
    ]

    @Test(arguments: cases)
    func badFileIsRejectedPrecisely(_ c: Case) throws {
        let error = try #require(parseError(c.text), "\(c.name) was accepted")
        let text = error.description
        #expect(text.hasPrefix("bad.yaml:"), "\(c.name): \(text)")
        #expect(error.mark?.line == c.line, "\(c.name): expected line \(c.line): \(text)")
        if !c.field.isEmpty {
            #expect(error.path.description.hasPrefix(c.field), "\(c.name): expected field \(c.field): \(text)")
        }
        #expect(text.contains(c.message), "\(c.name): expected '\(c.message)' in: \(text)")
    }

    @Test func atLeastTwentyKinds() { #expect(Self.cases.count >= 20) }

    /// A range whose values pass Double's range is refused (its trials got inf): a quantum
    /// too small for its bounds, a log-normal whose spread overflows.
    @Test func aRangeReachingInfinityIsRefused() throws {
        for range in ["{loguniform: [1.0e-300, 1.0e+300], q: 1.0e-300}", "{lognormal: [800, 1]}"] {
            let text = "study: inf\nsynthetic: {function: sphere, epochs: 1, inputs: {x: \(range)}}\nbudget: {trials: 2}\n"
            let error = try #require(parseError(text), "\(range) was accepted")
            #expect(error.description.contains("synthetic.inputs.x: the values of this range reach infinity"), "\(error)")
        }
        #expect(parseError("study: ok\nsynthetic: {function: sphere, epochs: 1, inputs: {x: {lognormal: [-5, 1]}}}\nbudget: {trials: 2}\n") == nil)
    }

    /// A validation objective needs a validation split, at the base point and at every
    /// value of a searched one (every trial failed after `sweep validate` said valid); a
    /// stored study with such a file still parses.
    @Test func aValidationObjectiveNeedsAValidationSplit() throws {
        let none = try SweepDefinition.parse(text: validSweep.replacingOccurrences(of: "samples: 200", with: "samples: 200\n  validation: 0"), file: "bad.yaml")
        let problem = try #require(none.validationSplitProblem())
        #expect(problem.line.hasPrefix("bad.yaml:2:") && problem.path.description == "objective.metric" && problem.message.contains("measured on the validation split, but the data has none"), "\(problem)")
        for searched in ["{choice: [0, 40]}", "{choice: [40, 0]}", "{int: [0, 50]}"] {
            let d = try SweepDefinition.parse(text: validSweep.replacingOccurrences(of: "samples: 200", with: "samples: 200\n  validation: \(searched)"), file: "bad.yaml")
            let p = try #require(d.validationSplitProblem(), "\(searched)")
            #expect(p.path.description == "data.validation" && p.message.hasPrefix("with validation = 0 the trials have no validation split"), "\(searched): \(p)")
        }
        #expect(try SweepDefinition.parse(text: validSweep, file: "ok.yaml").validationSplitProblem() == nil)
        let training = try SweepDefinition.parse(text: validSweep.replacingOccurrences(of: "metric: val_accuracy", with: "metric: accuracy").replacingOccurrences(of: "samples: 200", with: "samples: 200\n  validation: 0"), file: "ok.yaml")
        #expect(training.validationSplitProblem() == nil)
    }
}

@Suite struct TrainFileTests {
    @Test func trainFileDecodes() throws {
        let c = try TrainFile.parse(text: """
        seed: 3
        data: {dataset: xor, samples: 64}
        model: {hidden: [8], activation: tanh}
        training: {epochs: 2, optimizer: {name: sgd, learning_rate: 0.1}}
        """, file: "t.yaml")
        #expect(c.seed == 3)
        #expect(c.model.hidden == [8])
        #expect(c.training.optimizer.name == .sgd)
    }

    @Test func rangesAreRefusedWithTheirLine() {
        do {
            _ = try TrainFile.parse(text: validSweep, file: "demo.yaml")
            Issue.record("a sweep with ranges was accepted as a train file")
        } catch {
            #expect(error.mark?.line == 9)
            #expect(error.description.contains("search range"))
        }
    }

    @Test func badTrainFilesNameTheField() {
        let cases: [(String, Int, String)] = [
            ("data: {dataset: moons}\ntraining: {optimizer: {name: adamx}}", 2, "unknown optimizer 'adamx'"),
            ("data: {dataset: moons}\ntraining: {optimizer: {name: sgd, learning_rate: -0.1}}", 2, "learning_rate"),
            ("model: {hidden: [8]}", 1, "data"),
            ("data: {dataset: moons}\ntraining: {epochs: 2.5}", 2, "whole number"),
        ]
        for (text, line, message) in cases {
            do {
                _ = try TrainFile.parse(text: text, file: "t.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.mark?.line == line, "\(error)")
                #expect(error.description.contains(message), "\(error)")
            }
        }
    }
}

@Suite struct ConfigDecoderTests {
    struct Sample: Decodable, Equatable {
        var rate: Double
        var count: Int
        var name: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case rate, count, name }
    }

    func decode(_ yaml: String) throws(ConfigError) -> Sample {
        try ConfigDecoder(file: "s.yaml").decode(Sample.self, from: try YAMLReader.parse(yaml, file: "s.yaml"))
    }

    @Test func decodesAndWidensIntsToDoubles() throws {
        #expect(try decode("rate: 1\ncount: 3") == Sample(rate: 1, count: 3, name: nil))
    }

    @Test func refusesTruncationCoercionAndUnknownKeys() {
        #expect(throws: ConfigError.self) { try decode("rate: 1\ncount: 2.5") }
        #expect(throws: ConfigError.self) { try decode("rate: 1\ncount: 2\nname: 5") }
        let unknown = #expect(throws: ConfigError.self) { try decode("rate: 1\ncount: 2\nrat: 3") }
        #expect(unknown?.description == "s.yaml:3:1: rat: unknown key 'rat'; did you mean 'rate'?")
    }

    @Test func missingFieldNamesTheParentLine() {
        do {
            _ = try decode("rate: 1")
            Issue.record("accepted")
        } catch {
            #expect(error.path.description == "count")
            #expect(error.message == "missing required field 'count'")
        }
    }
}

/// `sweep convert wandb` writes text that reads back as number-like text quoted: `1_000`,
/// `0o7`, `0b11`, `0x_1F`, `1:30` were written plain and came back as numbers.
@Suite struct ConvertedTextTests {
    @Test func textThatReadsAsANumberIsQuotedInTheConversion() throws {
        let words = ["1_000", "0o7", "0b11", "0x_1F", "1__0", "1:30", "tRuE", "-0", "1e400", ".nAn", "plain"]
        let text = """
            program: t.py
            method: grid
            metric: {name: loss}
            parameters:
              a: {values: [\(words.map { "\"\($0)\"" }.joined(separator: ", "))]}
            """
        let space = try convertedSpace(text, file: "w.yaml")
        guard case .categorical(let choices, _)? = space.parameter(named: "a")?.distribution else { Issue.record("not a choice"); return }
        #expect(choices == words.map(ParamValue.string), "\(choices)")
    }
}
