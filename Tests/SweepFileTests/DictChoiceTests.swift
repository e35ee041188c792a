import Foundation
import Search
import Testing
import Training
@testable import SweepFile

/// Choices that are mappings: W&B's dict values (`values: [{name: cosine, warmup: 5}, ...]`),
/// passed whole to a program, and whole sections of a built-in training file.
@Suite struct DictChoiceTests {
    static let wandb = """
        program: train.py
        method: random
        metric: {name: loss}
        run_cap: 4
        parameters:
          sched: {values: [{name: cosine, warmup: 5}, {name: step, gamma: 0.5, at: [10, 20]}]}
        command: [python3, train.py, "${args}", "${args_json}"]
        """
    static let cosine = ParamValue.dict(["name": .string("cosine"), "warmup": .int(5)])
    static let step = ParamValue.dict(["name": .string("step"), "gamma": .double(0.5), "at": .list([.int(10), .int(20)])])

    @Test func aWandBDictValueIsOneChoicePassedWhole() throws {
        let d = try SweepDefinition.parse(text: Self.wandb, file: "w.yaml")
        #expect(d.space.parameters.map(\.distribution) == [.categorical([Self.cosine, Self.step])])
        guard case .command(let task) = try d.spec(for: ["sched": Self.step], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.argumentStyle == .nested)
        let argv = CommandMacros.expand(["${args}", "${args_json}"], .init(program: nil, arguments: task.arguments, trial: 0, seed: 1, argsJSONFile: "", interpreter: "python3",
                                                                        style: task.style))
        // ${args} as W&B's agent writes a dict (Python's str, here with keys sorted); ${args_json} as JSON.
        #expect(argv == ["--sched={'at': [10, 20], 'gamma': 0.5, 'name': 'step'}", #"{"sched": {"at": [10, 20], "gamma": 0.5, "name": "step"}}"#])
        // Converted to Sweep's format and back: the same space.
        #expect(try convertedSpace(Self.wandb, file: "w.yaml") == d.space)
        // Given as text (enqueue, the dashboard): JSON however spaced; a dict no choice is, refused.
        #expect(try d.space.check(given: ["sched": .string(#"{"name":"cosine","warmup":5}"#)]) == ["sched": Self.cosine])
        #expect(throws: GivenParamError.self) { try d.space.check(given: ["sched": .string(#"{"name": "cosine"}"#)]) }
        // Stored and sent as JSON objects, read back as dicts.
        #expect(try JSONDecoder().decode(ParamValue.self, from: Data(#"{"a": [1, {"b": null}]}"#.utf8)) == .dict(["a": .list([.int(1), .dict(["b": .null])])]))
    }

    @Test func aConditionNamesADictChoice() throws {
        let native = """
            study: dicts
            objective: {metric: loss, direction: minimize}
            command: [python3, train.py, "${args}"]
            parameters:
              sched: {choice: [{name: cosine, warmup: 5}, {name: step, gamma: 0.5}]}
              lr: {loguniform: [1.0e-4, 1.0e-1], when: {sched: [{name: step, gamma: 0.5}]}}
            sampler: {name: random}
            budget: {trials: 4}
            """
        let d = try SweepDefinition.parse(text: native, file: "n.yaml")
        let lr = try #require(d.space.parameter(named: "lr"))
        #expect(lr.condition == Condition(parent: "sched", values: [.dict(["name": .string("step"), "gamma": .double(0.5)])]))
        #expect(d.space.isActive(lr, given: ["sched": .dict(["gamma": .double(0.5), "name": .string("step")])]))
        #expect(!d.space.isActive(lr, given: ["sched": Self.cosine]))
    }

    /// In a built-in training file, a choice of mappings picks a whole section.
    @Test func aChoiceOfSectionsPicksAWholeOptimizer() throws {
        let text = validSweep.replacingOccurrences(of: """
              optimizer:
                name: {choice: [sgd, momentum, adam]}
                learning_rate: {loguniform: [1.0e-4, 1.0e-1]}
                momentum: {uniform: [0.8, 0.99], when: {optimizer.name: [momentum]}}
            """, with: """
              optimizer: {choice: [{name: adam, learning_rate: 0.003}, {name: momentum, learning_rate: 0.05, momentum: 0.9}]}
            """)
        let d = try SweepDefinition.parse(text: text, file: "t.yaml")
        let optimizer = try #require(d.space.parameter(named: "optimizer"))
        guard case .categorical(let choices, _) = optimizer.distribution else { Issue.record("\(optimizer)"); return }
        guard case .training(let config) = try d.spec(for: ["activation": .string("relu"), "batch_size": .int(16), "optimizer": choices[1]], trialSeed: 1) else {
            Issue.record("expected a training spec")
            return
        }
        #expect(config.training.optimizer.name == .momentum)
        #expect(config.training.optimizer.learningRate == 0.05)
        // A section a trial cannot train with is found when the file is read, at the choice.
        let bad = text.replacingOccurrences(of: "{name: adam, learning_rate: 0.003}", with: "{name: adamm, learning_rate: 0.003}")
        let error = try #require(parseError(bad, file: "t.yaml"))
        #expect(error.description.contains("t.yaml:") && error.description.contains("adamm"), "\(error)")
    }

    /// A range inside a choice (Ray Tune's nested space) or a conditional value: it is not
    /// searched there, and reached the program as written while `validate` said valid.
    @Test func aRangeInsideAChoiceOrAConditionalValueIsRefused() throws {
        let head = "study: n\ncommand: [python3, t.py, \"${args}\"]\nobjective: {metric: loss}\nbudget: {trials: 2, max_epochs: 1}\nparameters:\n"
        let nested = try #require(parseError(head + "  opt: {choice: [{name: adam, lr: {loguniform: [1.0e-4, 1.0e-2]}}, {name: sgd, lr: 0.1}]}\n", file: "r.yaml"))
        #expect(nested.description.contains("r.yaml:6:") && nested.description.contains("parameters.opt.choice[0]: choice holds a search range"), "\(nested)")
        let conditional = try #require(parseError(head + "  o: {choice: [a, b]}\n  w: {value: {min: 1, max: 3, lr: {uniform: [0, 1]}}, when: {o: [a]}}\n", file: "r.yaml"))
        #expect(conditional.description.contains("parameters.w.value: conditional value holds a search range"), "\(conditional)")
        // Fixed mappings and lists of values stay choices.
        #expect(parseError(head + "  opt: {choice: [{name: adam, lr: 0.001}, {name: sgd, lr: 0.1, betas: [0.9, 0.99]}]}\n") == nil)
        #expect(parseError(head + "  opt: {choice: [{fixed: 3}, b]}\n") == nil) // a literal, not a range
        // Settings named like a distribution are settings (Adam's beta, a layer's int width).
        #expect(parseError(head + "  opt: {choice: [{name: adam, beta: 0.9}, {name: sgd, int: 3, normal: true}]}\n") == nil)
    }
}
