import Foundation
import Search
import Testing
@testable import SweepFile

@Suite struct CommandSweepTests {
    let arguments: [CommandTask.Argument] = [
        .init(name: "lr", value: .double(0.01)), .init(name: "opt", value: .string("sgd")),
        .init(name: "augment", value: .bool(true)), .init(name: "dropout", value: .bool(false)), .init(name: "layers", value: .int(3)),
    ]

    func context(program: String? = "train.py") -> CommandMacros.Context {
        .init(program: program, arguments: arguments, trial: 7, seed: 99, argsJSONFile: "/tmp/p.json", interpreter: "python3")
    }

    @Test func macrosExpandAsWandBDefinesThem() {
        #expect(CommandMacros.expand(["${interpreter}", "${program}", "${args}"], context())
            == ["python3", "train.py", "--lr=0.01", "--opt=sgd", "--augment=True", "--dropout=False", "--layers=3"])
        #expect(CommandMacros.expand(["${args_no_hyphens}"], context()) == ["lr=0.01", "opt=sgd", "augment=True", "dropout=False", "layers=3"])
        #expect(CommandMacros.expand(["${args_no_boolean_flags}"], context()) == ["--lr=0.01", "--opt=sgd", "--augment", "--layers=3"])
        #expect(CommandMacros.expand(["${args_json}"], context()) == [#"{"lr": 0.01, "opt": "sgd", "augment": true, "dropout": false, "layers": 3}"#])
        #expect(CommandMacros.expand(["--config=${args_json_file}", "t${trial}-s${seed}", "${param:opt}/${param:layers}"], context())
            == ["--config=/tmp/p.json", "t7-s99", "sgd/3"])
        // The rest of W&B's agent's macros.
        #expect(CommandMacros.expand(["${args_no_equals}"], context()).prefix(4) == ["--lr", "0.01", "--opt", "sgd"])
        #expect(CommandMacros.expand(["${args_append_hydra}"], context()).first == "+lr=0.01")
        #expect(CommandMacros.expand(["${args_override_hydra}"], context()).first == "++lr=0.01")
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        #expect(CommandMacros.expand(["${envvar:HOME}/data", "${envvar:SWEEP_SURELY_UNSET_42}x"], context()) == ["\(home)/data", "x"])
        #expect(CommandMacros.unknownMacro(in: "${envvar:HOME}") == nil && CommandMacros.unknownMacro(in: "${args_no_equals}") == nil)
    }

    /// Hydra's forms write values in Hydra's override grammar (a Python literal was read as
    /// the text 'None', or failed Hydra's parser: `{'name': 'step'}`, `x=y`, `a,b`).
    @Test func hydraMacrosWriteHydrasGrammar() {
        let values: [(ParamValue, String)] = [
            (.null, "null"), (.bool(true), "true"), (.int(3), "3"), (.double(1e-5), "1e-05"), (.double(100), "100.0"),
            (.string("adam"), "adam"), (.string("runs/a_b-1.5"), "runs/a_b-1.5"), (.string("x=y"), "'x=y'"), (.string("a,b"), "'a,b'"),
            (.string("leaky relu"), "'leaky relu'"), (.string("null"), "'null'"), (.string("yes"), "'yes'"), (.string("1e3"), "'1e3'"),
            (.string("my run: #1 'quoted'"), #"'my run: #1 \'quoted\''"#), (.string(#"a\b\"#), #"'a\b\\'"#), (.string("${x}"), #"'\${x}'"#),
            (.list([.int(64), .int(32)]), "[64,32]"), (.dict(["name": .string("step"), "gamma": .double(0.5)]), "{gamma:0.5,name:step}"),
        ]
        for (value, text) in values { #expect(CommandMacros.hydraText(value) == text, "\(value)") }
        let c = CommandMacros.Context(program: nil, arguments: [.init(name: "m", value: .null), .init(name: "s", value: .string("x=y"))], trial: 0, seed: 1,
                                      argsJSONFile: "", interpreter: "python3")
        #expect(CommandMacros.expand(["${args_override_hydra}"], c) == ["++m=null", "++s='x=y'"])
        #expect(CommandMacros.expand(["${args_append_hydra}"], c) == ["+m=null", "+s='x=y'"])
    }

    /// An element naming an inactive parameter is left out, as the list macros leave the
    /// parameter out (the program got the text `${param:momentum}`); `${envvar:NAME}` reads
    /// the program's environment when the worker gives it (SWEEP_TRIAL was empty).
    @Test func anInactiveParameterDropsItsElementAndEnvvarReadsTheProgramsEnvironment() {
        #expect(CommandMacros.expand(["a", "${param:momentum}", "--m=${param:momentum}", "--opt=${param:opt}"], context()) == ["a", "--opt=sgd"])
        var c = context()
        c.environment = ["SWEEP_TRIAL": "7", "DATA": "/d"]
        #expect(CommandMacros.expand(["run${envvar:SWEEP_TRIAL}", "${envvar:DATA}/x", "${envvar:HOME}"], c) == ["run7", "/d/x", ""])
    }

    /// As W&B's agent (`str(c)` of each element): numbers and flags in the command are the
    /// text Python gives them (`- 10` was refused); an unknown `${...}` inside a longer
    /// word goes to the program as written (Hydra's `${now:...}` was refused).
    @Test func commandWordsAreWhatWandBsAgentPasses() throws {
        let text = """
            study: w
            program: t.py
            command: [python3, "${program}", --num-classes, 10, --lr, 0.001, --flag, true, --ratio, 2.0, "hydra.run.dir=outputs/${now:%Y-%m-%d}", "${args}"]
            parameters:
              x: {uniform: [0, 1]}
            budget: {trials: 1}
            """
        let d = try SweepDefinition.parse(text: text, file: "w.yaml")
        guard case .command(let task) = try d.spec(for: ["x": .double(0.5)], trialSeed: 1) else { Issue.record("no command task"); return }
        #expect(task.command == ["python3", "${program}", "--num-classes", "10", "--lr", "0.001", "--flag", "True", "--ratio", "2.0", "hydra.run.dir=outputs/${now:%Y-%m-%d}", "${args}"])
        let argv = CommandMacros.expand(task.command, .init(program: "t.py", arguments: task.arguments, trial: 0, seed: 1, argsJSONFile: "a.json", interpreter: "python3"))
        #expect(argv.contains("hydra.run.dir=outputs/${now:%Y-%m-%d}"), "\(argv)")
        // A word that is one unknown macro is still refused (a typo of a known one).
        #expect(throws: ConfigError.self) { try SweepDefinition.parse(text: text.replacingOccurrences(of: "\"${args}\"]", with: "\"${arg}\"]"), file: "w.yaml") }
    }

    /// One parameter written twice (`a.b: 1` beside `a: {b: ...}`: `--a.b=1 --a.b=2`) or a
    /// range named as another parameter is (`name: y` beside `y: 1`: the trial recorded a y
    /// the program never got) is refused, and so is an empty mapping (it was dropped without
    /// a word; `{fixed: {}}` passes `--h={}`).
    @Test func argumentsThatCollideAreRefusedAndAnEmptyMappingIsPassed() throws {
        func file(_ parameters: String) -> String {
            "study: c\nprogram: t.py\nobjective: {metric: loss, direction: minimize}\nparameters:\n\(parameters)\nbudget: {trials: 1}\n"
        }
        let twice = problemLines(file("  a.b: 1\n  a: {b: 2, c: {uniform: [0, 1]}}"), file: "t.yaml")
        #expect(twice == ["t.yaml:6:7: parameters.a.b: the program would get --a.b twice (also on line 5): a dotted key and a nested one name the same parameter; keep one"], "\(twice)")
        let searchedTwice = problemLines(file("  a.b: 1\n  a: {b: {uniform: [0, 1]}}"), file: "t.yaml")
        #expect(searchedTwice.count == 1 && searchedTwice[0].contains("--a.b twice"), "\(searchedTwice)")
        let renamed = problemLines(file("  x: {uniform: [0, 1], name: y}\n  y: 1"), file: "t.yaml")
        #expect(renamed.count == 1 && renamed[0].hasPrefix("t.yaml:5:3: parameters.x: this range is named 'y', which another parameter here is called"), "\(renamed)")
        let empty = problemLines(file("  x: {uniform: [0, 1]}\n  h: {}\n  g: {k: {}}"), file: "t.yaml")
        #expect(empty.count == 2 && empty[0].hasPrefix("t.yaml:6:3: parameters.h: an empty mapping is a group of no parameters") && empty[0].contains("h: {fixed: {}} to pass --h={}")
                && empty[1].contains("parameters.g.k: an empty mapping"), "\(empty)")
        let d = try SweepDefinition.parse(text: file("  x: {uniform: [0, 1], name: x}\n  h: {fixed: {}}\n  o: {lr: 1}\n  o.b: 2"), file: "t.yaml")
        guard case .command(let task) = try d.spec(for: ["x": .double(0.5), "h": .dict([:])], trialSeed: 1) else { Issue.record("no command task"); return }
        #expect(task.arguments.map(\.name) == ["x", "h", "o.lr", "o.b"] && task.arguments[1].value == .dict([:]), "\(task.arguments)")
        // A stored study's file with one reads as it did (nothing passed for it).
        let stored = try SweepDefinition.parseStored(text: file("  x: {uniform: [0, 1]}\n  h: {}"), file: "stored")
        guard case .command(let old) = try stored.spec(for: ["x": .double(0.5)], trialSeed: 1) else { Issue.record("no command task"); return }
        #expect(old.arguments.map(\.name) == ["x"], "\(old.arguments)")
    }

    /// YAML 1.1's flags among words say what to write: `when: {m: [on]}` beside the choices
    /// "on" and "off", and `batch_norm: off` where text is expected.
    @Test func unquotedFlagWordsAreNamed() {
        let when = problemLines("study: w\nprogram: t.py\nobjective: {metric: loss, direction: minimize}\nparameters:\n  m: {choice: [\"on\", \"off\"]}\n  k: {uniform: [0, 1], when: {m: [on]}}\nbudget: {trials: 2}\n", file: "w.yaml")
        #expect(when.count == 1 && when[0].hasSuffix("'m' can never be true; its values are [on, off] (YAML reads the unquoted on as true: quote it, 'on')"), "\(when)")
        let text = problemLines(validSweep.replacingOccurrences(of: "  hidden: [16]\n", with: "  hidden: [16]\n  batch_norm: off\n"), file: "t.yaml")
        #expect(text.contains { $0.contains("expected a text value, got a boolean (YAML reads an unquoted yes, no, on or off as true or false: quote the word") }, "\(text)")
    }

    @Test func unknownMacrosAreFound() {
        #expect(CommandMacros.unknownMacro(in: "${args}") == nil)
        #expect(CommandMacros.unknownMacro(in: "x${param:lr}y") == nil)
        #expect(CommandMacros.unknownMacro(in: "${arg}") == "${arg}")
        #expect(CommandMacros.unknownMacro(in: "a ${trial} ${nope}") == "${nope}")
    }

    @Test func jsonEscapesStrings() {
        #expect(CommandMacros.json([.init(name: "s", value: .string("a\"b\\c\nd"))]) == #"{"s": "a\"b\\c\nd"}"#)
    }

    @Test func commandSweepParsesWithStringBooleanAndConditionalParameters() throws {
        let text = """
            study: cmd
            objective: {metric: val_f1, direction: maximize}
            program: train.py
            working_directory: sub
            timeout: 2m
            summary: best
            environment: {A: "1"}
            parameters:
              opt: {choice: [sgd, momentum]}
              momentum: {uniform: [0.5, 0.9], when: {opt: [momentum]}}
              augment: {choice: [true, false]}
              model:
                width: {int: [8, 64]}
              epochs: 5
            budget: {trials: 4, max_epochs: 5}
            """
        let d = try SweepDefinition.parse(text: text, file: "/work/x/s.yaml")
        #expect(d.task == .command)
        #expect(d.space.parameters.map(\.name) == ["opt", "momentum", "augment", "model.width"])
        let spec = try d.spec(for: ["opt": .string("sgd"), "augment": .bool(false), "model.width": .int(16)], trialSeed: 1)
        guard case .command(let task) = spec else { Issue.record("not a command: \(spec)"); return }
        #expect(task.arguments == [.init(name: "opt", value: .string("sgd")), .init(name: "augment", value: .bool(false)),
                                   .init(name: "model.width", value: .int(16), path: ["model", "width"]), .init(name: "epochs", value: .int(5))])
        #expect(task.workingDirectory == "/work/x/sub" && task.timeout == 120 && task.summary == .best && task.direction == .maximize)
        #expect(task.command == CommandTask.defaultCommand && task.environment == ["A": "1"] && task.epochs == 5)
    }

    @Test(arguments: [
        ("command: [python3, \"${program}\"]", "bad.yaml:2:20: command[1]: the command uses ${program} but the file has no 'program'"),
        ("command: [python3, \"${argz}\"]", "unknown macro '${argz}'"),
        ("program: t.py\ntimeout: soon", "timeout: expected a duration > 0"),
        ("program: t.py\nsummary: worst", "unknown summary 'worst'; expected last or best"),
        ("program: t.py\nartifacts: all", "command trials have no model to keep"),
        ("program: t.py\ndata: {dataset: mnist}", "unknown section 'data'"),
        // Each element is located on its own line; list macros stand alone; ${param:} names a parameter.
        ("command:\n  - python3\n  - t.py\n  - \"${argz}\"", "bad.yaml:5:5: command[2]: unknown macro '${argz}'"),
        ("command: [python3, t.py, \"--all ${args} --end\"]", "command[2]: ${args} becomes one argument per parameter, so it must be a list element of its own"),
        ("command: [python3, t.py, \"--lr=${param:learning_rate}\"]", "command[2]: ${param:learning_rate} names no parameter (the parameters: x)"),
        ("command: [python3, t.py, \"--x=${param:xx}\"]", "${param:xx} names no parameter; did you mean 'x'?"),
        // All of them in one round (the second came once the first was fixed).
        ("command: [python3, t.py, \"+a=${param:lrr}\", \"${param:nope}\"]", "command[3]: ${param:nope} names no parameter"),
        // An empty list, or one that is no list of strings: an error, never a crash (the
        // checks of the default command's elements looked up the file's shorter list).
        ("command: []", "bad.yaml:2:10: command: the command is empty"),
        ("command: [python, {a: 1}]", "bad.yaml:2:19: command[1]:"),
        // Every element that is no word, at once.
        ("command: [python, [1], t.py, null]", "bad.yaml:2:30: command[3]: expected a word of the command line (text or a number), got null"),
    ])
    func badCommandSweepsAreLocatedErrors(_ extra: String, _ expected: String) {
        let text = "study: bad\n\(extra)\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 2}\n"
        do {
            _ = try SweepDefinition.parse(text: text, file: "bad.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    /// ASHA and Hyperband on command trials build their rungs for `budget.max_epochs`: without
    /// it, for 100 epochs, whatever the program runs; the file gets a note saying so.
    @Test func rungPrunersWithoutMaxEpochsGetANote() throws {
        func file(_ pruner: String, budget: String) -> String {
            """
            study: n
            objective: {metric: loss, direction: minimize}
            command: [python3, train.py]
            parameters:
              x: {uniform: [0, 1]}
            pruner: \(pruner)
            budget: \(budget)
            """
        }
        let asha = try SweepDefinition.parse(text: file("{name: asha}", budget: "{trials: 4}"))
        let note = try #require(asha.rungEpochsNote)
        #expect(note.contains("ASHA's rungs end at epochs 1, 4, 16, 64 for trials of up to 100 epochs") && note.contains("Set budget.max_epochs"), "\(note)")
        #expect(try SweepDefinition.parse(text: file("{name: hyperband}", budget: "{trials: 4}")).rungEpochsNote?.contains("Hyperband's brackets") == true)
        #expect(try SweepDefinition.parse(text: file("{name: asha}", budget: "{trials: 4, max_epochs: 8}")).rungEpochsNote == nil)
        #expect(try SweepDefinition.parse(text: file("{name: median}", budget: "{trials: 4}")).rungEpochsNote == nil)
    }

    /// W&B's agents run a random or bayes sweep without run_cap until stopped: so does
    /// Sweep (17 of 20 real W&B files were refused for the missing run_cap).
    @Test func aWandBFileWithoutRunCapRunsUntilStopped() throws {
        let d = try SweepDefinition.parse(text: "program: t.py\nmethod: random\nmetric: {name: loss}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n", file: "w.yaml")
        #expect(d.budget.trials == Budget.maxTrials)
        // run_cap 10.0 is a whole number (W&B's schema takes it); 10.5 is not.
        let capped = try SweepDefinition.parse(text: "program: t.py\nmethod: random\nrun_cap: 10.0\nmetric: {name: loss}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n", file: "w.yaml")
        #expect(capped.budget.trials == 10)
        #expect(parseError("program: t.py\nmethod: random\nrun_cap: 10.5\nmetric: {name: loss}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n")?.description.contains("run_cap must be a whole number of runs") == true)
    }

    /// As W&B's controller: max_iter without s fails even beside min_iter (Sweep made up
    /// bands from min_iter), and metric.impute is accepted (a real W&B file was refused).
    @Test func wandbHyperbandAndMetricKeysAsWandBReadsThem() throws {
        let base = "program: t.py\nmethod: random\nrun_cap: 4\nparameters:\n  lr: {min: 0.1, max: 1.0}\n"
        do {
            _ = try SweepDefinition.parse(text: base + "metric: {name: loss}\nearly_terminate: {type: hyperband, min_iter: 3, max_iter: 27}\n", file: "h.yaml")
            Issue.record("max_iter without s was accepted")
        } catch {
            #expect("\(error)".contains("with max_iter, W&B's hyperband needs s"), "\(error)")
        }
        let d = try SweepDefinition.parse(text: base + "metric: {name: loss, goal: minimize, impute: worst, impute_while_running: false}\n", file: "i.yaml")
        #expect(d.objective.metric == "loss")
    }

    @Test func wandbFileConvertsToTheSameSweep() throws {
        let text = """
            program: train.py
            method: bayes
            metric: {name: val_loss}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
              bs: {values: [16, 32]}
              layers: {min: 1, max: 4}
              drop: {min: 0.0, max: 0.5}
              q: {distribution: q_uniform, min: 0, max: 1, q: 0.25}
              e: {distribution: log_uniform, min: -2, max: 0}
              epochs: {value: 8}
            early_terminate: {type: hyperband, max_iter: 27, s: 2, eta: 3}
            run_cap: 10
            """
        let d = try SweepDefinition.parse(text: text, file: "dir/my sweep.yaml")
        #expect(d.study == "my-sweep")
        #expect(d.sampler.name == .tpe && d.objective == Objective(metric: "val_loss", direction: .minimize))
        guard case .wandbHyperband(let hyperband) = d.pruner else {
            Issue.record("hyperband maps to wandb_hyperband, got \(d.pruner.name)")
            return
        }
        // W&B's bands 27/9 and 27/3; max_iter ends the bands, not the runs.
        #expect(hyperband.bands == [3, 9] && hyperband.eta == 3 && hyperband.strict)
        #expect(d.budget == Budget(trials: 10, maxEpochs: WandBSweep.uncappedEpochs))
        let byName = Dictionary(uniqueKeysWithValues: d.space.parameters.map { ($0.name, $0.distribution) })
        #expect(byName["lr"] == .logUniform(low: 0.0001, high: 0.1))
        #expect(byName["bs"] == .categorical([.int(16), .int(32)]))
        #expect(byName["layers"] == .int(low: 1, high: 4, step: 1))
        #expect(byName["drop"] == .uniform(low: 0, high: 0.5, step: nil))
        #expect(byName["q"] == .uniform(low: 0, high: 1, step: 0.25))
        if case .logUniform(let lo, let hi, nil)? = byName["e"] {
            #expect(abs(lo - 0.1353352832) < 1e-9 && hi == 1)
        } else { Issue.record("e: \(String(describing: byName["e"]))") }
        #expect(byName["epochs"] == nil) // a value, passed to the program
        // The printed conversion reads back as the same sweep.
        let converted = try WandBSweep.convert(try YAMLReader.parse(text, file: nil), file: "dir/my sweep.yaml")
        let again = try SweepDefinition.parse(text: converted.yamlText())
        #expect(again.space == d.space && again.pruner == d.pruner && again.budget == d.budget && again.sampler == d.sampler)
    }

    /// A W&B constant dict is a literal: its keys reach the program as dotted names, never
    /// read as Sweep's range keywords (`beta`, `int`, `name` are keys of real configs).
    /// W&B's agent passes a top-level key whole: a constant dict (`value: {...}`) and a
    /// nested group as one dict each (`--opt={'beta': 0.9, ...}`, `--model={'width': 16}`);
    /// W&B's own train-nested-cli.py failed on `--model.width=16`. A constant dict is a
    /// `fixed` parameter (its keys read as ranges otherwise: `beta`, `int`).
    @Test func aWandBConstantDictAndNestedGroupsArePassedWhole() throws {
        let text = """
            program: train.py
            method: random
            metric: {name: loss}
            run_cap: 2
            parameters:
              lr: {min: 0.001, max: 0.1}
              opt: {value: {name: adam, beta: 0.9, int: 3, betas: {b1: 0.9, b2: 0.999}}}
              sched: {distribution: constant, value: {name: cosine, int: 2}}
              model:
                parameters:
                  width: {values: [16, 32]}
              model.encoder.depth: {values: [4]}
            """
        let d = try SweepDefinition.parse(text: text, file: "w.yaml")
        #expect(d.space.parameters.map(\.name) == ["lr", "opt", "sched", "model.width", "model.encoder.depth"])
        let opt = ParamValue.dict(["name": .string("adam"), "beta": .double(0.9), "int": .int(3), "betas": .dict(["b1": .double(0.9), "b2": .double(0.999)])])
        let sched = ParamValue.dict(["name": .string("cosine"), "int": .int(2)])
        let params: Params = ["lr": .double(0.01), "opt": opt, "sched": sched, "model.width": .int(16), "model.encoder.depth": .int(4)]
        guard case .command(let task) = try d.spec(for: params, trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.argumentStyle == .nested)
        let argv = CommandMacros.expand(["${args}"], .init(program: nil, arguments: task.arguments, trial: 0, seed: 1, argsJSONFile: "", interpreter: "python3", style: .nested))
        #expect(argv == ["--lr=0.01", "--opt={'beta': 0.9, 'betas': {'b1': 0.9, 'b2': 0.999}, 'int': 3, 'name': 'adam'}",
                         "--sched={'int': 2, 'name': 'cosine'}", "--model={'width': 16}", "--model.encoder.depth=4"], "\(argv)")
        // ${args_json} and SWEEP_PARAMS as W&B's run config: groups nested, a dotted name flat.
        #expect(CommandMacros.nestedJSON(task.arguments).hasSuffix(#""model": {"width": 16}, "model.encoder.depth": 4}"#), "\(CommandMacros.nestedJSON(task.arguments))")
        #expect(CommandMacros.json(task.passedArguments) == CommandMacros.nestedJSON(task.arguments))
        // A Sweep file keeps dotted arguments unless it asks for nested ones.
        let native = "study: n\ncommand: [python3, t.py, \"${args}\"]\nobjective: {metric: loss}\nparameters:\n  model: {width: {int: [1, 4]}, depth: 2}\nbudget: {trials: 1}\n"
        guard case .command(let dotted) = try SweepDefinition.parse(text: native).spec(for: ["model.width": .int(3)], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(dotted.argumentStyle == nil && dotted.passedArguments.map(\.name) == ["model.width", "model.depth"])
        let asked = native.replacingOccurrences(of: "budget:", with: "argument_style: nested\nbudget:")
        guard case .command(let nested) = try SweepDefinition.parse(text: asked).spec(for: ["model.width": .int(3)], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(nested.passedArguments == [.init(name: "model", value: .dict(["width": .int(3), "depth": .int(2)]))])
        #expect(parseError(native.replacingOccurrences(of: "budget:", with: "argument_style: flat\nbudget:"))?.description.contains("unknown argument_style 'flat'") == true)
        #expect(try convertedSpace(text, file: "w.yaml") == d.space)
    }

    /// A nested group's constant named like a Sweep range keyword (a beta-VAE's `beta`,
    /// `normal`, `int`) is a value of its group: its group read as a range (`unknown key
    /// 'eps' in a search range`, `'beta' takes a list`) or as a W&B parameter in a file
    /// without `method:`. In Sweep's format `{beta: 0.9, lr: {loguniform: [...]}}` is a fixed
    /// value beside a range, as docs/commands.md says.
    @Test func aGroupsValueNamedLikeARangeKeywordIsAValue() throws {
        func wandb(_ group: String) -> String {
            "program: t.py\nmethod: random\nmetric: {name: loss}\nrun_cap: 2\nparameters:\n  opt:\n    parameters:\n\(group)"
        }
        let cases: [(String, [String])] = [
            ("      beta: {value: 0.9}\n      eps: {value: 1.0e-8}\n", ["--opt={'beta': 0.9, 'eps': 1e-08}"]),
            ("      int: {value: 4}\n      lr: {value: 0.1}\n", ["--opt={'int': 4, 'lr': 0.1}"]),
            ("      beta: {value: 4.0}\n", ["--opt={'beta': 4.0}"]),
            ("      normal: {value: 0.5}\n      lr: {values: [0.25]}\n", ["--opt={'lr': 0.25, 'normal': 0.5}"]),
        ]
        for (group, expected) in cases {
            let d = try SweepDefinition.parse(text: wandb(group), file: "w.yaml")
            let params = Dictionary(uniqueKeysWithValues: d.space.parameters.map { p -> (String, ParamValue) in
                guard case .categorical(let values, _) = p.distribution, let first = values.first else { return (p.name, .null) }
                return (p.name, first)
            })
            guard case .command(let task) = try d.spec(for: params, trialSeed: 1) else { Issue.record("not a command"); continue }
            let argv = CommandMacros.expand(["${args}"], .init(program: nil, arguments: task.arguments, trial: 0, seed: 1, argsJSONFile: "", interpreter: "python3", style: .nested))
            #expect(argv == expected, "\(group): \(argv)")
        }
        let native = "study: n\ncommand: [python3, t.py]\nobjective: {metric: loss}\nbudget: {trials: 1}\nparameters:\n  opt: {beta: 0.9, lr: {loguniform: [1.0e-4, 1.0e-1]}}\n"
        let d = try SweepDefinition.parse(text: native)
        #expect(d.space.parameters.map(\.name) == ["opt.lr"])
        guard case .command(let task) = try d.spec(for: ["opt.lr": .double(0.01)], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.passedArguments.map(\.name) == ["opt.beta", "opt.lr"])
        // Ambiguous in Sweep's format: a range with an unknown key, with the way to say it.
        let ambiguous = native.replacingOccurrences(of: "{beta: 0.9, lr: {loguniform: [1.0e-4, 1.0e-1]}}", with: "{beta: 0.9, eps: 3}")
        #expect(parseError(ambiguous)?.description.contains("if this is a group of values with one named 'beta', write that one as 'beta: {fixed: 0.9}'") == true,
                "\(parseError(ambiguous)?.description ?? "parsed")")
    }

    /// A condition may name a list choice (`when: {layers: [[64, 32]]}`).
    @Test func aConditionNamesAListChoice() throws {
        let text = """
            study: wl
            command: [python3, t.py]
            objective: {metric: loss}
            parameters:
              layers: {choice: [[64, 32], [128]]}
              dropout: {uniform: [0.1, 0.5], when: {layers: [[64, 32]]}}
            budget: {trials: 4}
            """
        let d = try SweepDefinition.parse(text: text, file: "w.yaml")
        let dropout = try #require(d.space.parameters.first { $0.name == "dropout" })
        #expect(dropout.condition?.values == [.list([.int(64), .int(32)])])
        guard case .command(let wide) = try d.spec(for: ["layers": .list([.int(64), .int(32)]), "dropout": .double(0.2)], trialSeed: 1),
              case .command(let narrow) = try d.spec(for: ["layers": .list([.int(128)])], trialSeed: 1) else { Issue.record("not commands"); return }
        #expect(wide.arguments.map(\.name) == ["layers", "dropout"] && narrow.arguments.map(\.name) == ["layers"])
    }

    /// A group or parameter named like a distribution (a beta-VAE's `beta`) holding ranges is
    /// a group, not a malformed range; a distribution given a mapping is still an error.
    @Test func groupsNamedLikeDistributions() throws {
        let text = """
            study: vae
            command: [python3, t.py]
            objective: {metric: loss}
            parameters:
              model:
                beta: {uniform: [0.5, 4]}
                latent: {int: [2, 16]}
              normal: {choice: [1, 2]}
            budget: {trials: 2}
            """
        let d = try SweepDefinition.parse(text: text, file: "vae.yaml")
        #expect(d.space.parameters.map(\.name) == ["model.beta", "model.latent", "normal"])
        #expect(throws: ConfigError.self) {
            try SweepDefinition.parse(text: text.replacingOccurrences(of: "budget:", with: "  lr: {uniform: {min: 0, max: 1}}\nbudget:"), file: "vae.yaml")
        }
    }

    /// The located problems of a sweep file that must be refused (none, with an issue, when
    /// it is accepted).
    func problemLines(_ text: String, file: String) -> [String] {
        do {
            _ = try SweepDefinition.parse(text: text, file: file)
            Issue.record("\(file) was accepted")
            return []
        } catch {
            return error.all.map(\.line)
        }
    }

    /// A parameter written as W&B writes one, in a file without `method:` (read in Sweep's
    /// format), is refused where it stands: it reached every trial as the same fixed
    /// `--lr.min=... --lr.max=...` ("0 searched parameters", exit 0), so nothing was searched.
    @Test func wandBParametersInASweepFormatFileAreRefusedEachWhereItStands() throws {
        let text = """
            study: mixed
            program: train.py
            parameters:
              lr: {log_uniform_values: [1.0e-4, 1.0e-1]}
              depth: {min: 1, max: 10}
              kernel: {values: [rbf, linear]}
              opt: {name: adam, eps: 1.0e-8}
              C: {distribution: log_uniform_values, min: 0.01, max: 10}
              width: {value: 3}
              k: {choice: [p, q]}
              c: {min: 1, max: 5, when: {k: [p]}}
              f: {value: 3, name: fff}
              m: {value: 3, when: {k: [p]}}
              a: {uniform: [2, 1]}
            budget: {trials: 0}
            """
        do {
            // Each where it stands, with Sweep's `when:` or `name:` beside them too, and with
            // the file's other problems (a Sweep range's, the budget's) at once.
            let lines = problemLines(text, file: "m.yaml")
            #expect(lines.count == 9, "\(lines)")
            for (line, name) in [(4, "lr"), (5, "depth"), (6, "kernel"), (8, "C"), (9, "width"), (11, "c"), (12, "f")] {
                #expect(lines.contains { $0.hasPrefix("m.yaml:\(line):") && $0.contains("parameters.\(name): {") && $0.contains("is how a W&B sweep writes a parameter") }, "\(name): \(lines)")
            }
            #expect(lines.contains { $0.hasPrefix("m.yaml:14:") && $0.contains("parameters.a.uniform: empty range") }, "\(lines)")
            #expect(lines.contains { $0.contains("budget.trials") }, "\(lines)")
        }
        // The way out the message names: dotted keys are fixed values, as written.
        let fixed = """
            study: fixed
            program: train.py
            parameters:
              depth.min: 1
              depth.max: 10
              opt: {name: adam, min: 2}
            budget: {trials: 1}
            """
        let d = try SweepDefinition.parse(text: fixed, file: "f.yaml")
        guard case .command(let task) = try d.spec(for: [:], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.arguments.map { "\($0.name)=\($0.value)" } == ["depth.min=1", "depth.max=10", "opt.name=adam", "opt.min=2"])
    }

    /// An unknown key does not hide its section's other problems: `budget: {trials: ten,
    /// max_epoch: 12}` said only the key, and the `ten` once it was fixed; nested sections
    /// too (`pruner.n_startup_trial` beside a bad value).
    @Test func anUnknownKeyDoesNotHideItsSectionsOtherProblems() throws {
        let text = """
            study: s
            program: t.py
            parameters:
              x: {uniform: [0, 1]}
            pruner: {name: median, n_startup_trial: 4, n_warmup_steps: many}
            budget: {trials: ten, max_epoch: 12, wall_tme: 1h}
            """
        let lines = problemLines(text, file: "t.yaml")
        #expect(lines.count == 5, "\(lines)")
        for (place, what) in [("5:24", "pruner.n_startup_trial: unknown key"), ("5:44", "pruner.n_warmup_steps: expected a whole number"), ("6:10", "budget.trials: expected a whole number"),
                              ("6:23", "budget.max_epoch: unknown key 'max_epoch'; did you mean 'max_epochs'?"), ("6:38", "budget.wall_tme: unknown key")] {
            #expect(lines.contains { $0.hasPrefix("t.yaml:\(place): \(what)") }, "\(place) \(what): \(lines)")
        }
    }

    /// The command settings' problems come all at once, in file order (they came one per
    /// run of `sweep validate`, out of order: summary, then timeout, then kill_grace), every
    /// unknown macro too.
    @Test func everyCommandSettingsProblemIsReportedAtOnce() throws {
        let text = """
            study: s
            objective: {metric: acc, direction: maximize}
            program: t.py
            command: [python3, "${program}", "${argz}", "${args_jsn}"]
            timeout: 2 minutes
            kill_grace: soon
            summary: bestest
            parameters:
              lr: {loguniform: [0.001, 0.5]}
            budget: {trials: 10}
            """
        let lines = problemLines(text, file: "t.yaml")
        #expect(lines.map { $0.split(separator: " ").first ?? "" } == ["t.yaml:4:34:", "t.yaml:4:45:", "t.yaml:5:10:", "t.yaml:6:13:", "t.yaml:7:10:"], "\(lines)")
        #expect(lines[2].contains("timeout: expected a duration > 0") && lines[3].contains("kill_grace:") && lines[4].contains("unknown summary 'bestest'"), "\(lines)")
    }

    /// Optuna's, Hyperopt's and Ray Tune's range keywords, and Optuna's `{low, high, log}`
    /// fields, are refused with how Sweep writes the range (each was accepted as a fixed
    /// value: `--e.float=[0, 1]`, "0 searched parameter(s)", eight identical trials).
    @Test func otherToolsRangesAreRefusedWithSweepsWay() throws {
        let text = """
            study: optuna
            program: train.py
            objective: {metric: loss, direction: minimize}
            parameters:
              a: {float: [0, 1]}
              b: {low: 1.0e-5, high: 0.1, log: true}
              c: {discrete_uniform: [0, 1, 0.1]}
              d: {suggest_categorical: [x, y]}
              e: {range: [0, 10]}
              f: {quniform: [0, 1]}
              g: {sample_from: "lambda spec: spec.config.lr * 0.1"}
              h: {qrandn: [0, 1, 0.1]}
              i: {qlograndint: [1, 9, 1]}
            budget: {trials: 2}
            """
        let lines = problemLines(text, file: "t.yaml")
        #expect(lines.count == 9, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("t.yaml:11:7: parameters.g.sample_from: 'sample_from' is not a range keyword; Ray's sample_from has no counterpart in a sweep file: compute the value in the program") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("t.yaml:12:7: parameters.h.qrandn: ") && $0.contains("did you mean 'normal' (with q: q)?") }, "\(lines)")
        let ray = problemLines("study: q\nprogram: t.py\nobjective: {metric: loss, direction: minimize}\nparameters:\n  b: {qrandint: [1, 10, 2]}\nbudget: {trials: 2}\n", file: "q.yaml")
        #expect(ray.count == 1 && ray[0].contains("did you mean {int: [2, 10], step: 2}? Ray's qrandint rounds to multiples of q"), "\(ray)")
        #expect(lines.contains { $0.hasPrefix("t.yaml:13:7: parameters.i.qlograndint: ") && $0.contains("did you mean 'logint' (Sweep's log-int range has no q)?") }, "\(lines)")
        for (place, key, meant) in [("5:7", "a.float", "did you mean 'uniform' (or 'loguniform' for a log scale)?"),
                                    ("6:6", "b", "{low, high, log} is how Optuna writes a range; Sweep writes {loguniform: [low, high]} (log: true)"),
                                    ("7:7", "c.discrete_uniform", "did you mean 'uniform' (with step: q)?"),
                                    ("8:7", "d.suggest_categorical", "did you mean 'choice'?"),
                                    ("9:7", "e.range", "did you mean 'int' (or 'uniform')?"),
                                    ("10:7", "f.quniform", "did you mean 'uniform' (with step: q)?")] {
            #expect(lines.contains { $0.hasPrefix("t.yaml:\(place): parameters.\(key): ") && $0.contains(meant) && $0.contains("nothing is searched") }, "\(key): \(lines)")
        }
        // A mapping of other keys with `low` in it is a value (an optimizer's settings).
        let plain = """
            study: plain
            program: train.py
            objective: {metric: loss, direction: minimize}
            parameters:
              lr: {uniform: [0.1, 1]}
              clip: {low: 0, high: 1, mode: soft}
            budget: {trials: 2}
            """
        #expect(try SweepDefinition.parse(text: plain, file: "p.yaml").space.parameters.map(\.name) == ["lr"])
    }

    /// A training study's template names the keyword meant too: it said only "expected a
    /// number, got a mapping" for Optuna's `{suggest_float: [..], log: true}`.
    @Test func aTrainingTemplateSaysWhichRangeKeywordWasMeant() throws {
        let text = """
            study: builtin
            data: {dataset: moons}
            training:
              epochs: 1
              optimizer: {name: adam, learning_rate: {suggest_float: [0.001, 0.1], log: true}}
            model:
              hidden: [{suggest_int: [16, 64]}]
            budget: {trials: 2}
            """
        let lines = problemLines(text, file: "b.yaml")
        #expect(lines.contains { $0.hasPrefix("b.yaml:5:") && $0.contains("training.optimizer.learning_rate: expected a number, got a mapping; 'suggest_float' is not a range keyword: did you mean 'loguniform'") }, "\(lines)")
        #expect(lines.contains { $0.contains("model.hidden[0]: expected a whole number, got a mapping; 'suggest_int' is not a range keyword: did you mean 'int' (or 'logint')?") }, "\(lines)")
    }

    /// A command's objective whose name says which way is better gets that direction
    /// (`perplexity`, `val_mse`, `top1_err`, `latency_ms` lower: they were maximized); one whose
    /// name does not say is refused at `objective` unless the direction is written, and a
    /// stored study keeps the direction it began with.
    @Test func aCommandObjectivesDirectionComesFromItsNameOrMustBeWritten() throws {
        func file(_ objective: String) -> String {
            "study: d\nprogram: train.py\nobjective: \(objective)\nparameters:\n  lr: {uniform: [0.1, 1]}\nbudget: {trials: 2}\n"
        }
        for (metric, direction) in [("perplexity", Direction.minimize), ("val_mse", .minimize), ("top1_err", .minimize), ("latency_ms", .minimize),
                                    ("wer", .minimize), ("val_acc", .maximize), ("f1_macro", .maximize), ("meanReward", .maximize), ("bleu", .maximize),
                                    ("val_loss_mean", .minimize), ("test_accuracy_top1", .maximize)] {
            #expect(try SweepDefinition.parse(text: file(metric), file: "t.yaml").objective.direction == direction, "\(metric)")
            #expect(try SweepDefinition.parse(text: file("{metric: \(metric)}"), file: "t.yaml").objective.direction == direction, "\(metric)")
        }
        // A name a word turns around says nothing either (scikit-learn's neg_* scorers are
        // higher-is-better errors; a time to an accuracy is lower-is-better).
        for objective in ["objective_value", "{metric: y}", "neg_mean_squared_error", "neg_log_loss", "time_to_accuracy", "loss_reduction", "accuracy_drop"] {
            let lines = problemLines(file(objective), file: "t.yaml")
            #expect(lines.count == 1 && lines[0].hasPrefix("t.yaml:3:12: objective: Sweep cannot tell from the name")
                    && lines[0].contains("direction: minimize} (or maximize)"), "\(lines)")
        }
        let stated = try SweepDefinition.parse(text: file("{metric: y, direction: minimize}"), file: "t.yaml")
        #expect(stated.objective.direction == .minimize && stated.objective.directionStated)
        // A stored file (a study begun before) is read without the refusal.
        #expect(try SweepDefinition.parseStored(text: file("y"), file: "t.yaml").objective.directionStated == false)
        // The same objective however written (a resume from the other form is no change).
        #expect(Objective(metric: "loss", direction: .minimize, directionStated: false) == Objective(metric: "loss", direction: .minimize))
    }

    /// A range keyword misspelled or taken from another tool (`uniformm`, `choices`, Ray's
    /// `randint`) is refused at its key with the keyword meant: read as written the trials
    /// all got the same fixed `--lr.uniformm=[...]` and `sweep validate` exited 0 saying "0
    /// searched parameter(s)". A mapping not shaped like a range (`{id: [1, 2]}`: two edits
    /// from `int`, or two keys) stays a plain value.
    @Test func aMisspelledRangeKeywordIsRefusedWithTheOneMeant() throws {
        let text = """
            study: typo
            program: train.py
            parameters:
              lr: {uniformm: [1.0e-4, 1.0e-1]}
              kernel: {choices: [rbf, linear]}
              depth: {randint: [1, 9], when: {kernel: [rbf]}}
              model: {opt: {Loguniform: [1, 2]}}
            budget: {trials: 2}
            """
        let lines = problemLines(text, file: "t.yaml")
        #expect(lines.count == 4, "\(lines)")
        // (Ray's randint excludes its high end: the hint says so, with the bounds to write.)
        for (place, key, meant) in [("4:8", "lr.uniformm", "'uniform'?"), ("5:12", "kernel.choices", "'choice'?"),
                                    ("6:11", "depth.randint", "'int' with the high end one less, {int: [1, 8]}? randint excludes its high end"),
                                    ("7:17", "model.opt.Loguniform", "'loguniform'?")] {
            #expect(lines.contains { $0.hasPrefix("t.yaml:\(place): parameters.\(key): ") && $0.contains("did you mean \(meant)") && $0.contains("nothing is searched") }, "\(key): \(lines)")
        }
        let plain = """
            study: plain
            program: train.py
            parameters:
              lr: {uniform: [0.1, 1]}
              ids: {id: [1, 2]}
              pair: {uniformm: [1, 2], other: 3}
              optimizer: {name: adamw, betas: [0.9, 0.999]}
              norms: {norms: [1, 2]}
              counts: {ints: [1, 2]}
            budget: {trials: 2}
            """
        let d = try SweepDefinition.parse(text: plain, file: "p.yaml")
        #expect(d.space.parameters.map(\.name) == ["lr"])
    }

    /// With a range's modifiers beside it (`step`, `q`, `probabilities`, Optuna's `log`, or
    /// a `name`), a misspelled or other tool's keyword is refused all the same: it passed
    /// `--hidden.suggest_int=[16, 128] --hidden.step=16` to every trial, and validate said
    /// "1 searched parameter(s)". `log: true` points to the log keyword, not to `logint` for a
    /// float range.
    @Test func aMisspelledKeywordBesideModifiersIsRefused() throws {
        let text = """
            study: port
            program: train.py
            parameters:
              hidden: {suggest_int: [16, 128], step: 16}
              l2: {float: [1.0e-6, 0.1], log: true}
              kernel: {choices: [a, b], probabilities: [0.5, 0.5]}
              lr: {logunifrom: [1.0e-4, 0.1], q: 0.001}
              depth: {uniformm: [0, 1], name: d}
              width: {suggest_int: [8, 64], log: true}
            budget: {trials: 2}
            """
        let lines = problemLines(text, file: "t.yaml")
        #expect(lines.count == 6, "\(lines)")
        for (key, meant) in [("hidden.suggest_int", "'int' (or 'logint')"), ("l2.float", "'loguniform' (Sweep's keyword for log=True)"),
                             ("kernel.choices", "'choice'"), ("lr.logunifrom", "'loguniform'"), ("depth.uniformm", "'uniform'"),
                             ("width.suggest_int", "'logint' (Sweep's keyword for log=True on integers)")] {
            #expect(lines.contains { $0.contains("parameters.\(key): ") && $0.contains("did you mean \(meant)?") }, "\(key): \(lines)")
        }
        let floatLog = problemLines("study: l\nprogram: train.py\nparameters:\n  x: {uniform: [1.0e-6, 0.1], log: true}\nbudget: {trials: 2}\n", file: "l.yaml")
        #expect(floatLog.count == 1 && floatLog[0].contains("{loguniform: [low, high]} (Optuna's log=True)") && !floatLog[0].contains("logint"), "\(floatLog)")
        let intLog = problemLines("study: l\nprogram: train.py\nparameters:\n  x: {int: [1, 100], log: true}\nbudget: {trials: 2}\n", file: "l.yaml")
        #expect(intLog.count == 1 && intLog[0].contains("{logint: [low, high]}"), "\(intLog)")
        let already = problemLines("study: l\nprogram: train.py\nparameters:\n  x: {loguniform: [1.0e-6, 0.1], log: true}\nbudget: {trials: 2}\n", file: "l.yaml")
        #expect(already.count == 1 && already[0].contains("'loguniform' is on a log scale already: drop 'log'"), "\(already)")
        // Settings stay values: another tool's word that names settings too (`range`, `grid`)
        // beside a name or a modifier, a keyword's plural beside a name, `log: false`.
        let kept = try SweepDefinition.parse(text: """
            study: k
            program: train.py
            parameters:
              lr: {uniform: [0.1, 1]}
              opt: {name: sgd, range: [1, 2]}
              scheduler: {name: step, range: [1, 10], step: 2}
              quant: {range: [0, 255], q: 8}
              aug: {grid: [4, 4], probabilities: [0.5, 0.5]}
              sched: {name: cosine, choices: [a, b], log: false}
            budget: {trials: 2}
            """, file: "k.yaml")
        #expect(kept.space.parameters.map(\.name) == ["lr"])
        // With `log: true` a normal-like word points to lognormal, a choice to no log keyword.
        let normal = problemLines("study: n\nprogram: train.py\nparameters:\n  x: {randn: [0, 1], log: true}\nbudget: {trials: 2}\n", file: "n.yaml")
        #expect(normal.count == 1 && normal[0].contains("did you mean 'lognormal'?"), "\(normal)")
    }

    /// A parameter named like a distribution (Adam's `beta`, `normal`) beside searched ones is
    /// a fixed value: the mapping holding them was read as one range ("unknown key 'lr' in a
    /// search range").
    @Test func aFixedParameterNamedLikeADistributionBesideRangesIsAValue() throws {
        let text = """
            study: adam
            program: train.py
            parameters:
              beta: 0.9
              normal: true
              lr: {loguniform: [1.0e-4, 1.0e-1]}
            budget: {trials: 1}
            """
        let d = try SweepDefinition.parse(text: text, file: "a.yaml")
        #expect(d.space.parameters.map(\.name) == ["lr"])
        guard case .command(let task) = try d.spec(for: ["lr": .double(0.01)], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.arguments.map { "\($0.name)=\($0.value)" } == ["beta=0.9", "normal=true", "lr=0.01"])
        // A condition naming such a parameter is a condition, not a range in the range.
        let conditioned = try SweepDefinition.parse(text: text.replacingOccurrences(of: "  beta: 0.9", with: "  beta: {choice: [0.9, 0.99]}\n  x: {uniform: [0, 1], when: {beta: [0.9]}}"), file: "a.yaml")
        #expect(conditioned.space.parameters.map(\.name) == ["beta", "x", "lr"])
        #expect(conditioned.space.parameters[1].condition?.parent == "beta")
        // A misspelt key of a range is still that range's error.
        #expect { try SweepDefinition.parse(text: text.replacingOccurrences(of: "budget:", with: "  x: {uniform: [0, 1], stp: 0.1}\nbudget:"), file: "a.yaml") } throws: { e in
            "\(e)".contains("a.yaml:7:") && "\(e)".contains("unknown key 'stp' in a search range; did you mean 'step'?")
        }
    }

    /// Every range in error is reported at once, and a condition on a range in error is not
    /// also "unknown" (each was one round of `sweep validate`).
    @Test func rangeProblemsAreAllReportedAtOnce() throws {
        let text = """
            study: typo
            program: train.py
            parameters:
              n: {int: [1.5, 4]}
              kernel: {choice: []}
              gamma: {uniform: [0.1, 1], when: {kernal: [rbf]}}
              degree: {int: [2, 5], when: {n: [9]}}
              coef: {uniform: [0, 1], when: {gamma: [7]}}
            budget: {trials: 4}
            """
        do {
            let lines = problemLines(text, file: "t.yaml")
            #expect(lines == [
                "t.yaml:4:13: parameters.n.int: 'int' bounds must be whole numbers, got 1.5",
                "t.yaml:5:20: parameters.kernel.choice: 'choice' needs at least one choice",
                "t.yaml:6:37: parameters.gamma.when: condition on unknown parameter 'kernal'; searched parameters are: gamma, degree, coef",
                "t.yaml:8:34: parameters.coef.when: 'gamma' is continuous (0.1...1.0): a condition on one of its values would almost never hold; condition on a choice, an int range or a range with a step",
            ], "\(lines)")
        }
    }

    /// A W&B choice may be a list (`values: [[64, 32], [128]]`, layer widths), a constant may be
    /// one (`value: [relu, tanh]`): each reaches the program whole, as a JSON array.
    @Test func wandbListValuesAreChoicesAndConstants() throws {
        let text = """
            program: train.py
            method: bayes
            metric: {name: loss}
            run_cap: 2
            parameters:
              layers: {values: [[64, 32], [128], [32, [16, "x"]]]}
              acts: {value: [relu, tanh]}
            command: [python3, train.py, "${args}", "${args_json}"]
            """
        let d = try SweepDefinition.parse(text: text, file: "w.yaml")
        let layers: [ParamValue] = [.list([.int(64), .int(32)]), .list([.int(128)]), .list([.int(32), .list([.int(16), .string("x")])])]
        #expect(d.space.parameters.map(\.distribution) == [.categorical(layers)])
        guard case .command(let task) = try d.spec(for: ["layers": layers[2]], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.arguments == [.init(name: "layers", value: layers[2]), .init(name: "acts", value: .list([.string("relu"), .string("tanh")]))])
        let argv = CommandMacros.expand(["${args}", "${args_json}"], .init(program: nil, arguments: task.arguments, trial: 0, seed: 1, argsJSONFile: "", interpreter: "python3"))
        // ${args} as W&B's agent writes lists (Python's str); ${args_json} as JSON.
        #expect(argv == ["--layers=[32, [16, 'x']]", "--acts=['relu', 'tanh']", "{\"layers\": [32, [16, \"x\"]], \"acts\": [\"relu\", \"tanh\"]}"])
        #expect(CommandMacros.text(.list([.bool(true), .double(1.0), .string("it's"), .string("a'b\"c\n")])) == #"[True, 1.0, "it's", 'a\'b"c\n']"#)
        // Stored and sent as JSON arrays, read back as lists.
        #expect(try JSONDecoder().decode(ParamValue.self, from: Data("[1, 2.5, \"a\", [true]]".utf8)) == .list([.int(1), .double(2.5), .string("a"), .list([.bool(true)])]))
        // Given as text (enqueue, dashboard), however spaced.
        #expect(try d.space.check(given: ["layers": .string("[64,32]")]) == ["layers": layers[0]])
        #expect(throws: GivenParamError.self) { try d.space.check(given: ["layers": .string("[12]")]) }
        #expect(try convertedSpace(text, file: "w.yaml") == d.space)
    }

    /// W&B's own `sweep-nested-cli.yaml`: parameters nested two levels deep, one named `beta`
    /// (a distribution's name), were refused as a W&B parameter in Sweep's format.
    @Test func wandbParametersNestedTwoLevelsDeep() throws {
        let text = """
            program: train-nested-cli.py
            method: grid
            metric: {name: loss, goal: minimize}
            parameters:
              batch_size: {values: [32, 64]}
              optimizer:
                parameters:
                  lr: {values: [0.001, 0.0001]}
                  nadam:
                    parameters:
                      beta: {values: [0.9, 0.95]}
            """
        let d = try SweepDefinition.parse(text: text, file: "n.yaml")
        #expect(d.space.parameters.map(\.name) == ["batch_size", "optimizer.lr", "optimizer.nadam.beta"])
        #expect(d.space.parameter(named: "optimizer.nadam.beta")?.distribution == .categorical([.double(0.9), .double(0.95)]))
        #expect(try convertedSpace(text, file: "n.yaml") == d.space)
    }

    /// A W&B file of a random search over the parameter `lines` (one per line), 2 runs.
    static func wandbFile(_ lines: String, program: String = "train.py") -> String {
        "program: \(program)\nmethod: random\nmetric: {name: loss}\nrun_cap: 2\nparameters:\n" + lines.split(separator: "\n").map { "  " + $0 + "\n" }.joined()
    }

    /// W&B's `probabilities` weigh random draws of `values`; a grid refuses them, as W&B's does.
    @Test func wandbProbabilitiesWeighTheChoices() throws {
        let text = Self.wandbFile("opt: {values: [adam, sgd, rmsprop], probabilities: [0.6, 0.4, 0]}")
        let d = try SweepDefinition.parse(text: text, file: "w.yaml")
        #expect(d.space.parameters.map(\.distribution) == [.categorical([.string("adam"), .string("sgd"), .string("rmsprop")], probabilities: [0.6, 0.4, 0])])
        // The name W&B's schema gives this form reads the same.
        let named = Self.wandbFile("opt: {distribution: categorical_w_probabilities, values: [adam, sgd, rmsprop], probabilities: [0.6, 0.4, 0]}")
        #expect(try SweepDefinition.parse(text: named, file: "w.yaml").space == d.space)
        #expect(try convertedSpace(text, file: "w.yaml") == d.space)
        let grid = text.replacingOccurrences(of: "method: random", with: "method: grid")
        #expect { try SweepDefinition.parse(text: grid, file: "g.yaml") } throws: { error in
            "\(error)".contains("g.yaml:6:39: parameters.opt.probabilities: method grid tries every value once, so 'probabilities' mean nothing there")
        }
    }

    /// W&B's `null` (Python's `None`) is a choice and a constant like any other value: the
    /// program gets `None` on its command line and `null` in JSON, as W&B's agent writes them.
    @Test func wandbNullIsAChoiceAndAConstant() throws {
        let text = """
            program: train.py
            method: grid
            metric: {name: loss}
            parameters:
              max_depth: {values: [null, 5]}
              class_weight: {value: null}
              opt: {parameters: {decay: {value: null}}}
            """
        let d = try SweepDefinition.parse(text: text, file: "n.yaml")
        #expect(d.space.parameters.map(\.distribution) == [.categorical([.null, .int(5)])])
        guard case .command(let task) = try d.spec(for: ["max_depth": .null], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.arguments.map(\.value) == [.null, .null, .null])
        let context = CommandMacros.Context(program: nil, arguments: task.arguments, trial: 0, seed: 1, argsJSONFile: "", interpreter: "python3")
        #expect(CommandMacros.expand(["${args}"], context) == ["--max_depth=None", "--class_weight=None", "--opt.decay=None"])
        #expect(CommandMacros.expand(["${args_no_equals}"], context).prefix(2) == ["--max_depth", "None"])
        #expect(CommandMacros.expand(["${args_json}"], context) == [#"{"max_depth": null, "class_weight": null, "opt": {"decay": null}}"#])
        #expect(CommandMacros.text(.list([.null, .int(1)])) == "[None, 1]")
        // Stored and sent as JSON null, read back as null; given back as `None` or `null`.
        #expect(try JSONDecoder().decode(ParamValue.self, from: Data("[null, 1]".utf8)) == .list([.null, .int(1)]))
        #expect(try d.space.check(given: ["max_depth": .string("None")]) == ["max_depth": .null])
        #expect(try d.space.check(given: ["max_depth": .string("null")]) == ["max_depth": .null])
        #expect(try d.space.check(given: ["max_depth": .null]) == ["max_depth": .null])
        #expect(try convertedSpace(text, file: "n.yaml") == d.space)
    }

    /// q_uniform takes the multiples of q nearest to min and max, whatever min and max are
    /// (W&B accepts a range that is not a whole number of steps); a grid needs finite values.
    @Test func wandbQUniformSnapsItsBoundsAndAGridRefusesContinuousRanges() throws {
        let text = """
            program: train.py
            method: random
            metric: {name: loss}
            run_cap: 2
            parameters:
              n: {distribution: q_uniform, min: 1, max: 10, q: 4}
              f: {distribution: q_uniform, min: 0.05, max: 1, q: 0.3}
            """
        let d = try SweepDefinition.parse(text: text, file: "q.yaml")
        let byName = Dictionary(uniqueKeysWithValues: d.space.parameters.map { ($0.name, $0.distribution) })
        #expect(byName["n"] == .int(low: 0, high: 8, step: 4))
        if case .uniform(let lo, let hi, let step)? = byName["f"] {
            #expect(lo == 0 && abs(hi - 0.9) < 1e-12 && step == 0.3)
        } else { Issue.record("f: \(String(describing: byName["f"]))") }
        let grid = text.replacingOccurrences(of: "method: random", with: "method: grid")
            .replacingOccurrences(of: "  f: {distribution: q_uniform, min: 0.05, max: 1, q: 0.3}", with: "  f: {min: 0.05, max: 1.0}")
        do {
            _ = try SweepDefinition.parse(text: grid, file: "g.yaml")
            Issue.record("a grid over a continuous range was accepted")
        } catch {
            #expect("\(error)".contains("g.yaml:7:6: parameters.f: method grid cannot enumerate a continuous min/max"), "\(error)")
        }
        // A grid tries W&B's np.arange(min, max, q): max excluded, ints for ints (rounding
        // gave 0 and 32 for min 1, max 30, q 8, outside [min, max]).
        let arange = """
            program: train.py
            method: grid
            metric: {name: loss}
            parameters:
              n: {distribution: q_uniform, min: 1, max: 30, q: 8}
              f: {distribution: q_uniform, min: 0, max: 1, q: 0.25}
              one: {distribution: q_uniform, min: 2, max: 3, q: 5}
            """
        let g = try SweepDefinition.parse(text: arange, file: "a.yaml")
        let grids = Dictionary(uniqueKeysWithValues: g.space.parameters.map { ($0.name, $0.distribution) })
        #expect(grids["n"] == .categorical([.int(1), .int(9), .int(17), .int(25)]))
        #expect(grids["f"] == .categorical([.double(0), .double(0.25), .double(0.5), .double(0.75)]))
        #expect(grids["one"] == nil) // a single value: passed, not searched
    }

    @Test func environmentValuesMayBeNumbersOrBooleans() throws {
        let text = "study: env\nprogram: t.py\nenvironment: {OMP_NUM_THREADS: 1, DEBUG: true, NAME: x, RATE: '0.50'}\nparameters:\n  x: {uniform: [0, 1]}\nbudget: {trials: 1}\n"
        let d = try SweepDefinition.parse(text: text, file: "env.yaml")
        guard case .command(let task) = try d.spec(for: ["x": .double(0.5)], trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(task.environment == ["OMP_NUM_THREADS": "1", "DEBUG": "true", "NAME": "x", "RATE": "0.50"])
        do {
            _ = try SweepDefinition.parse(text: text.replacingOccurrences(of: "NAME: x", with: "NAME: [x]"), file: "env.yaml")
            Issue.record("a list as a variable's value was accepted")
        } catch {
            #expect("\(error)".contains("environment.NAME: expected a text or a number, got"), "\(error)")
        }
        do {
            _ = try SweepDefinition.parse(text: text.replacingOccurrences(of: "RATE: '0.50'", with: "RATE: 3.10"), file: "env.yaml")
            Issue.record("an unquoted decimal was accepted")
        } catch {
            #expect("\(error)".contains("environment.RATE: quote a number with a decimal point or exponent"), "\(error)")
        }
    }

    /// A W&B file's mistakes are all reported, in file order, with a suggestion for a typo.
    @Test func wandbFileProblemsAreAllReportedInFileOrder() throws {
        let text = """
            program: train.py
            method: bayse
            metric: {name: loss, goal: minimise}
            parametrs: {}
            parameters:
              lr: {distribution: log_uniform_values, min: 0.1, max: 0.01, valuse: [1]}
              bs: {values: [16, 32]}
            run_cap: ten
            """
        do {
            _ = try SweepDefinition.parse(text: text, file: "w.yaml")
            Issue.record("accepted")
        } catch {
            let lines = "\(error)".split(separator: "\n").map(String.init)
            #expect(lines.count == 5, "\(error)")
            #expect(lines.first?.hasPrefix("w.yaml:2:9: method: method must be grid, random or bayes") == true, "\(lines)")
            #expect(lines.contains { $0.contains("w.yaml:3:") && $0.contains("goal must be minimize or maximize") }, "\(lines)")
            #expect(lines.contains { $0.contains("w.yaml:4:1: parametrs: unknown W&B key 'parametrs'; did you mean 'parameters'?") }, "\(lines)")
            #expect(lines.contains { $0.contains("parameters.lr.valuse: unknown key 'valuse' in a W&B parameter; did you mean 'value'?") }, "\(lines)")
            #expect(lines.last?.contains("w.yaml:8:10: run_cap: run_cap must be a whole number of runs from 1 to 1000000, got the string 'ten'") == true, "\(lines)")
        }
        // A key of neither format is said to be unknown (it was "W&B key 'foo' is not supported
        // by Sweep"); W&B Launch's keys are named as Launch's.
        let other = "program: t.py\nmethod: random\nmetric: {name: loss}\nfoo: 1\njob: wandb/jobs/train:latest\nparameters:\n  lr: {min: 0.1, max: 1.0}\n"
        do {
            _ = try SweepDefinition.parse(text: other, file: "o.yaml")
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("o.yaml:4:1: foo: unknown key 'foo': not a key of W&B sweep files (W&B warns and goes on; Sweep refuses it"), "\(error)")
            #expect("\(error)".contains("o.yaml:5:1: job: 'job' belongs to W&B Launch sweeps, which Sweep does not run"), "\(error)")
        }
        // A number out of range is shown as written (it said "got an integer").
        for (cap, shown) in [("0", "got 0"), ("-3", "got -3"), ("2.5", "got 2.5"), ("1000001", "got 1000001")] {
            let file = "program: t.py\nmethod: random\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2]}\nrun_cap: \(cap)\n"
            let error = #expect(throws: ConfigError.self) { try SweepDefinition.parse(text: file, file: "w.yaml") }
            #expect(error?.description.contains("w.yaml:6:10: run_cap: run_cap must be a whole number of runs from 1 to 1000000, \(shown)") == true, "\(String(describing: error))")
        }
    }

    /// A W&B file's command problems (an unknown macro, a bad timeout) come with its W&B
    /// problems, not in a second round once those are fixed.
    @Test func aWandBFilesCommandProblemsComeWithItsOtherProblems() throws {
        let text = """
            program: train.py
            method: bayse
            command: [python3, "${program}", "${argz}"]
            timeout: soon
            metric: {name: loss}
            parameters:
              lr: {min: 0.1, max: 0.01}
            """
        let lines = problemLines(text, file: "w.yaml")
        #expect(lines.map { $0.split(separator: " ").first ?? "" } == ["w.yaml:2:9:", "w.yaml:3:34:", "w.yaml:4:10:", "w.yaml:7:13:"], "\(lines)")
        #expect(lines[1].contains("unknown macro '${argz}'") && lines[2].contains("timeout: expected a duration"), "\(lines)")
    }

    /// The metric a name likely meant: the same letters, word-by-word abbreviations
    /// (`validation_loss` for `val_loss`: there was no suggestion), a shared prefix or suffix,
    /// a typo; nothing for an unrelated name.
    @Test func theMetricANameLikelyMeant() {
        let reported = ["val_loss", "train_loss", "val_accuracy", "epoch_time"]
        #expect(likelyMeant("validation_loss", among: reported) == "val_loss")
        #expect(likelyMeant("val_acc", among: reported) == "val_accuracy")
        #expect(likelyMeant("valloss", among: reported) == "val_loss")
        #expect(likelyMeant("val_los", among: reported) == "val_loss")
        #expect(likelyMeant("f1", among: reported) == nil)
    }

    @Test func aWandBFileWithItsOwnBudgetIsUncappedUnlessItSaysSo() throws {
        let text = "program: t.py\nmethod: random\nmetric: {name: loss}\nbudget: {trials: 3}\nparameters:\n  lr: {min: 0.1, max: 1.0}\n"
        #expect(try SweepDefinition.parse(text: text, file: "b.yaml").maxEpochs == WandBSweep.uncappedEpochs)
        let capped = text.replacingOccurrences(of: "budget: {trials: 3}", with: "budget: {trials: 3, max_epochs: 7}")
        #expect(try SweepDefinition.parse(text: capped, file: "b.yaml").maxEpochs == 7)
        // min and max within one step of q: one plain value.
        let single = text.replacingOccurrences(of: "lr: {min: 0.1, max: 1.0}", with: "lr: {min: 0.1, max: 1.0}\n  n: {distribution: q_uniform, min: 5, max: 5, q: 10}")
        #expect(try SweepDefinition.parse(text: single, file: "b.yaml").space.parameters.map(\.name) == ["lr"])
    }

    @Test func wandbInverseAndQuantizedLogDistributionsMapToLogRanges() throws {
        let text = """
            program: train.py
            method: random
            metric: {name: loss}
            parameters:
              a: {distribution: inv_log_uniform_values, min: 0.001, max: 0.1}
              b: {distribution: inv_log_uniform, min: 0, max: 2}
              c: {distribution: q_log_uniform, min: 0, max: 4.6051702}
              d: {distribution: q_log_uniform_values, min: 1, max: 64, q: 1}
              e: {distribution: q_log_uniform_values, min: 16, max: 256, q: 8}
              f: {distribution: q_log_uniform, min: -3, max: 3, q: 0.5}
              g: {distribution: q_uniform, min: 32, max: 256, q: 32}
              h: {distribution: q_uniform, min: 1, max: 9, q: 2}
            run_cap: 4
            """
        let d = try SweepDefinition.parse(text: text, file: "w.yaml")
        let byName = Dictionary(uniqueKeysWithValues: d.space.parameters.map { ($0.name, $0.distribution) })
        #expect(byName["a"] == .logUniform(low: 0.001, high: 0.1))
        if case .logUniform(let lo, let hi, nil)? = byName["b"] {
            #expect(abs(lo - exp(-2)) < 1e-12 && hi == 1) // log(1/X) in [0, 2]
        } else { Issue.record("b: \(String(describing: byName["b"]))") }
        if case .logUniform(let lo, let hi, 1)? = byName["c"] {
            #expect(lo == 1 && abs(hi - 100) < 1e-5)
        } else { Issue.record("c: \(String(describing: byName["c"]))") }
        #expect(byName["d"] == .logUniform(low: 1, high: 64, q: 1))
        #expect(byName["e"] == .logUniform(low: 16, high: 256, q: 8))
        if case .logUniform(let lo, let hi, 0.5)? = byName["f"] {
            #expect(abs(lo - exp(-3)) < 1e-12 && abs(hi - exp(3)) < 1e-9)
        } else { Issue.record("f: \(String(describing: byName["f"]))") }
        // An integer q: integers, as W&B gives them, the multiples of q that round(x / q) * q reaches.
        #expect(byName["g"] == .int(low: 32, high: 256, step: 32))
        #expect(byName["h"] == .int(low: 2, high: 8, step: 2))
        #expect(try convertedSpace(text, file: "w.yaml") == d.space)
    }

    /// W&B's labels of the document are accepted and left out (they were "not supported").
    @Test func apiVersionAndKindAreLabelsOnly() throws {
        let text = "apiVersion: v1\nkind: sweep\nprogram: t.py\nmethod: random\nmetric: {name: loss}\nrun_cap: 2\nparameters:\n  x: {values: [1, 2]}\n"
        #expect(try SweepDefinition.parse(text: text, file: "w.yaml").space.parameters.map(\.name) == ["x"])
        let other = #expect(throws: ConfigError.self) { try SweepDefinition.parse(text: text.replacingOccurrences(of: "kind: sweep", with: "kind: job"), file: "w.yaml") }
        #expect(other?.description.contains("w.yaml:2:7: kind: kind must be sweep") == true, "\(String(describing: other))")
    }

    /// W&B schema rules checked since a study began do not stop it: its stored file is read
    /// without them (a study of `1lr` could not be resumed).
    @Test func storedWandBFilesSkipTheLaterSchemaRules() throws {
        for parameters in ["  1lr: {values: [1, 2]}", "  x: {values: [1, 2]}\n  y: {parameters: {}}", "  x: {distribution: normal, min: 0, max: 1}"] {
            let text = "program: t.py\nmethod: random\nmetric: {name: loss}\nrun_cap: 2\nparameters:\n\(parameters)\n"
            #expect(throws: ConfigError.self) { try SweepDefinition.parse(text: text, file: "w.yaml") }
            #expect(try SweepDefinition.parseStored(text: text, file: "stored").space.parameters.count == 1)
        }
    }

    @Test(arguments: [
        ("c: {distribution: q_log_uniform_values, min: 0, max: 3, q: 2}", "6:48: parameters.c.min: q_log_uniform_values needs min > 0 (it samples the logarithm), got 0"),
        ("c: {distribution: uniformm, min: 0, max: 3}", "parameters.c.distribution: unknown W&B distribution 'uniformm'; did you mean 'uniform'?"),
        ("c: {min: 5, max: 3}", "6:12: parameters.c.min: min 5 is greater than max 3"),
        ("c: {values: []}", "6:15: parameters.c.values: values needs at least one value"),
        ("c: {distribution: q_log_uniform_values, min: 1, max: 3, q: 0}", "parameters.c.q: q must be > 0"),
        ("c: {distribution: inv_log_uniform, min: a, max: 3}", "6:6: parameters.c: inv_log_uniform takes numbers (exponents of e)"),
        ("c: {distribution: beta, a: 0, b: 2}", "6:30: parameters.c: 'beta' needs a > 0, got 0.0"),
        ("c: {distribution: normal, sigma: 0}", "6:36: parameters.c: 'normal' needs sigma > 0, got 0.0"),
        // Problems found in the converted document name the file's keys (they named Sweep's:
        // `choice[1]`, `int`, `normal`, `budget.trials`).
        ("c: {values: [adam, adam, sgd]}", "6:22: parameters.c.values[1]: choice adam appears twice (W&B weights a value listed twice"),
        ("c: {values: [{name: cosine}, {name: .nan}]}", "parameters.c.values[1]: choices must be values (numbers, text, true/false, null) or lists or mappings of them, got a mapping"),
        ("c: {distribution: int_uniform, min: 1.5, max: 4}", "6:39: parameters.c: 'int' bounds must be whole numbers, got 1.5"),
        ("c: {parameters: {d: {values: [1, 1]}}}", "parameters.c.parameters.d.values[1]: "),
        // What W&B's schema refuses: names it does not take, an empty nested mapping.
        ("1lr: {values: [1, 2]}", "6:3: parameters.1lr: '1lr' is no W&B parameter name"),
        ("c: {parameters: {}}", "parameters.c.parameters: parameters needs at least one parameter"),
        ("c: {distribution: q_beta, a: 1, b: 1, q: -1}", "parameters.c.q: q must be > 0, got -1.0"),
        // W&B's probabilities, checked as W&B does, where they stand.
        ("c: {values: [a, b], probabilities: [0.5, 0.4]}", "6:38: parameters.c.probabilities: probabilities sum to 0.9, not 1"),
        ("c: {values: [a, b], probabilities: [1]}", "6:38: parameters.c.probabilities: 1 probabilities for 2 choices"),
        ("c: {values: [a, b], probabilities: [1.5, -0.5]}", "6:39: parameters.c.probabilities[0]: a probability is a number from 0 to 1, got 1.5"),
        ("c: {values: [a, b], probabilities: [x, 1]}", "6:39: parameters.c.probabilities[0]: a probability is a number from 0 to 1, got the string 'x'"),
        ("c: {min: 0, max: 1.5, probabilities: [1]}", "6:25: parameters.c.probabilities: 'probabilities' weigh the entries of 'values' (distribution categorical), not distribution uniform"),
        // Keys W&B has, but not for this distribution (they were dropped: a normal with min
        // and max drew outside them, `value` beside `values` fixed the choice).
        ("c: {distribution: normal, mu: 0.3, sigma: 0.2, min: 0, max: 0.5}", "6:50: parameters.c.min: 'min' does not apply to distribution normal, which takes mu, sigma (W&B refuses it too)"),
        ("c: {values: [adam, sgd], value: adam}", "6:7: parameters.c.values: 'values' does not apply to distribution constant (read as constant from its 'value'), which takes value (W&B refuses it too)"),
        ("c: {distribution: log_uniform_values, min: 0.1, max: 1, q: 0.01}", "parameters.c.q: 'q' does not apply to distribution log_uniform_values, which takes min, max (W&B refuses it too); did you mean distribution q_log_uniform_values?"),
        ("c: {values: [1, 2], min: 0, max: 5}", "6:23: parameters.c.min: 'min' does not apply to distribution categorical (read as categorical from its 'values'), which takes values, probabilities"),
        ("c: {min: 0, max: 10, sigma: 4}", "parameters.c.sigma: 'sigma' does not apply to distribution int_uniform (read as int_uniform from its 'min'), which takes min, max"),
        ("c: {values: [a], parameters: {lr: {values: [1]}}}", "6:7: parameters.c.values: 'values' beside 'parameters': a W&B parameter is either a group of nested parameters or a value"),
        ("c: {distribution: categorical_w_probabilities, values: [a, b]}", "parameters.c.probabilities: distribution categorical_w_probabilities needs 'probabilities'"),
    ])
    func unmappableWandBDistributionsNameTheKey(line: String, expected: String) {
        // (`beta` without a and b is W&B's default Beta(1, 1).)
        let text = Self.wandbFile(line, program: "t.py")
        do {
            _ = try SweepDefinition.parse(text: text, file: "w.yaml")
            Issue.record("accepted: \(line)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    /// A nested group whose parameters are named as W&B's keys (`min`, `max`, `value`,
    /// `values`) was refused with "this file has no 'method:'": it is a group, passed nested.
    @Test func aNestedGroupOfParametersNamedAsWandBKeysIsAGroup() throws {
        let text = """
            program: train.py
            method: grid
            metric: {name: loss}
            parameters:
              clip:
                parameters:
                  min: {value: -1}
                  max: {value: 1}
              r: {parameters: {value: {value: 1.0}}}
              s: {parameters: {values: {values: [1, 2]}}}
            """
        let d = try SweepDefinition.parse(text: text, file: "w.yaml")
        #expect(try convertedSpace(text, file: "w.yaml") == d.space)
        let params: Params = ["clip.min": .int(-1), "clip.max": .int(1), "r.value": .double(1.0), "s.values": .int(2)]
        guard case .command(let task) = try d.spec(for: params, trialSeed: 1) else { Issue.record("not a command"); return }
        #expect(CommandMacros.nestedJSON(task.arguments) == #"{"clip": {"min": -1, "max": 1}, "r": {"value": 1.0}, "s": {"values": 2}}"#, "\(CommandMacros.nestedJSON(task.arguments))")
        // Written in Sweep's format, such a group is still refused (without 'method:' it reads
        // as a W&B parameter), and `fixed` says it is a group.
        let sweep = "study: c\ncommand: [python3, t.py]\nobjective: {metric: loss}\nbudget: {trials: 2, max_epochs: 1}\nparameters:\n  clip: {min: -1, max: 1}\n"
        #expect(parseError(sweep)?.description.contains("is how a W&B sweep writes a parameter") == true)
        #expect(try SweepDefinition.parse(text: sweep.replacingOccurrences(of: "{min: -1, max: 1}", with: "{min: {fixed: -1}, max: {fixed: 1}}")).space.parameters.count == 2)
    }

    /// An infinite or NaN plain value reached the program as the text `inf` or `[nan, 1]`.
    @Test func nonFinitePlainValuesAreRefused() throws {
        let wandb = "program: t.py\nmethod: grid\nmetric: {name: loss}\nparameters:\n  g: {value: [.nan, 1]}\n  j: {value: .inf}\n  k: {values: [1, 2]}\n"
        let error = parseError(wandb, file: "w.yaml")?.description ?? ""
        #expect(error.contains("w.yaml:5:15: parameters.g") && error.contains("w.yaml:6:14: parameters.j") && error.contains("is not a finite number"), "\(error)")
        let sweep = "study: c\ncommand: [python3, t.py]\nobjective: {metric: loss}\nbudget: {trials: 2, max_epochs: 1}\nparameters:\n  x: {uniform: [0, 1]}\n  opt: {eps: -.inf}\n"
        #expect(parseError(sweep)?.description.contains("parameters.opt.eps: -inf is not a finite number") == true, "\(String(describing: parseError(sweep)))")
        // Quoted, it is text, passed as written; a stored study's file still reads.
        #expect(try SweepDefinition.parse(text: wandb.replacingOccurrences(of: "value: .inf", with: "value: '.inf'").replacingOccurrences(of: "[.nan, 1]", with: "[1, 2]")).space.parameters.count == 1)
        #expect(try SweepDefinition.parseStored(text: wandb, file: nil).space.parameters.count == 1)
    }

    /// An empty `program` ran `python ''` and failed every trial; a bad timeout did not say
    /// its value; a W&B `name: 123` fell back to the file's name.
    @Test func emptyProgramBadTimeoutAndNumericName() throws {
        let wandb = "program: \"\"\nmethod: random\nmetric: {name: loss}\nrun_cap: 2\nparameters:\n  x: {values: [1, 2]}\n"
        #expect(parseError(wandb, file: "w.yaml")?.description.contains("w.yaml:1:10: program: program is empty") == true, "\(String(describing: parseError(wandb, file: "w.yaml")))")
        let sweep = "study: s\ncommand: [python3, t.py]\ntimeout: -5\nobjective: {metric: loss}\nbudget: {trials: 2, max_epochs: 1}\nparameters:\n  x: {choice: [1, 2]}\n"
        #expect(parseError(sweep)?.description.contains("timeout: expected a duration > 0 (seconds, or e.g. 90s, 30m, 2h), got -5") == true, "\(String(describing: parseError(sweep)))")
        // A name YAML reads as a number stays the file's (studies begun so resume by it);
        // quoted, it is the name.
        let named = wandb.replacingOccurrences(of: "program: \"\"", with: "name: 123\nprogram: t.py")
        #expect(try SweepDefinition.parse(text: named, file: "w.yaml").study == "w")
        #expect(try SweepDefinition.parse(text: named.replacingOccurrences(of: "name: 123", with: "name: '123'"), file: "w.yaml").study == "123")
    }

    /// Sweep's own sections in a W&B file were "W&B keys not supported by Sweep".
    @Test func sweepSectionsInAWandBFileNameTheirWandBKey() {
        let text = "program: t.py\nmethod: random\nmetric: {name: loss}\nsampler: {name: tpe}\nrun_cap: 2\nparameters:\n  x: {values: [1, 2]}\n"
        let error = parseError(text, file: "w.yaml")?.description ?? ""
        #expect(error.contains("w.yaml:4:1: sampler: 'sampler' is a section of Sweep's own format") && error.contains("writes it as 'method'"), "\(error)")
    }

    /// Macros are replaced in one pass: what one gives (a value holding `${envvar:HOME}` or
    /// `${param:b}`) is not read for macros again (`${args_json}` gave the worker's
    /// environment variable; `${param:a}` gave b's value).
    @Test func macrosInParameterValuesStayAsWritten() {
        let arguments: [CommandTask.Argument] = [
            .init(name: "a", value: .string("${param:b}"), path: ["a"]),
            .init(name: "b", value: .string("${envvar:HOME}/${trial}"), path: ["b"]),
        ]
        let argv = CommandMacros.expand(["${args_json}", "${param:a}", "${param:b}", "x${trial}-${envvar:SWEEP_NO_SUCH_VARIABLE}-${unknown}"],
                                        .init(program: nil, arguments: arguments, trial: 7, seed: 1, argsJSONFile: "", interpreter: "python3", style: .nested))
        #expect(argv == [#"{"a": "${param:b}", "b": "${envvar:HOME}/${trial}"}"#, "${param:b}", "${envvar:HOME}/${trial}", "x7--${unknown}"], "\(argv)")
    }

    /// Names a program misreads: `A=B` as an environment variable, `-x`, `a=b` or a line
    /// break in a parameter's name.
    @Test func namesAProgramWouldMisreadAreRefused() {
        let base = "study: c\ncommand: [python3, t.py]\nobjective: {metric: loss}\nbudget: {trials: 2, max_epochs: 1}\n"
        let env = parseError(base + "environment: {\"A=B\": x}\nparameters:\n  x: {uniform: [0, 1]}\n")?.description ?? ""
        #expect(env.contains("environment.A=B: 'A=B' is no environment variable name"), "\(env)")
        for name in ["\"-x\"", "\"a=b\"", "\"a\\nb\"", "\"two words\""] {
            let error = parseError(base + "parameters:\n  \(name): {uniform: [0, 1]}\n  y: 1\n")?.description ?? ""
            #expect(error.contains("cannot be a parameter's name"), "\(name): \(error)")
        }
        let nested = parseError(base + "parameters:\n  model: {\"-w\": 3, x: {uniform: [0, 1]}}\n")?.description ?? ""
        #expect(nested.contains("parameters.model.-w"), "\(nested)")
        #expect(parseError(base + "environment: {OMP_NUM_THREADS: 1}\nparameters:\n  learning_rate: {uniform: [0, 1]}\n  model.width: 3\n") == nil)
    }

    /// A NUL character in text that reaches the program: a command line and the
    /// environment end a string there (`"x\0y"` reached the program as `x`, and the file
    /// was called valid).
    @Test func aNulCharacterThatWouldReachTheProgramIsRefused() {
        let base = "study: c\nobjective: {metric: loss}\nbudget: {trials: 2, max_epochs: 1}\n"
        let error = parseError(base + "command: [bash, run.sh, \"x\\0y\"]\nenvironment: {A: \"p\\0q\"}\nparameters:\n  tag: {choice: [a, \"b\\0c\"]}\n")?.description ?? ""
        #expect(error.contains("bad.yaml:4:") && error.contains("command[2]: holds a NUL character"), "\(error)")
        #expect(error.contains("environment.A: holds a NUL character"), "\(error)")
        #expect(error.contains("parameters.tag.choice[1]: holds a NUL character"), "\(error)")
        #expect(parseError(base + "command: [bash, run.sh, \"x\\ty\"]\nenvironment: {A: pq}\nparameters:\n  tag: {choice: [a, b]}\n") == nil)
    }

    /// Sweep's `budget` beside W&B's keys: `run_cap` with `budget: {max_epochs: 5}` was
    /// refused, and a grid's `budget: {max_epochs: 5}` needed `trials`.
    @Test func aBudgetBesideRunCapBoundsTheEpochs() throws {
        let head = "program: t.py\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2]}\n"
        let capped = try SweepDefinition.parse(text: head + "method: random\nrun_cap: 5\nbudget: {max_epochs: 5, wall_time: 1h}\n", file: "w.yaml")
        #expect(capped.budget.trials == 5 && capped.budget.maxEpochs == 5 && capped.budget.wallTime == 3600)
        let grid = try SweepDefinition.parse(text: head + "method: grid\nbudget: {max_epochs: 5}\n", file: "w.yaml")
        #expect(grid.budget.maxEpochs == 5)
        #expect(parseError(head + "method: random\nrun_cap: 5\nbudget: {trials: 3}\n", file: "w.yaml")?.description.contains("give the trial budget once: run_cap or budget.trials") == true)
        let trials = try SweepDefinition.parse(text: head + "method: random\nbudget: {trials: 3}\n", file: "w.yaml")
        #expect(trials.budget.trials == 3 && trials.budget.maxEpochs == 1_000_000)
    }
}
