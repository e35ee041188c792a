import Foundation
import Testing
@testable import SweepFile
import Search
import Training

/// The process's peak resident memory in bytes (ru_maxrss is in KiB on Linux).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

/// Files built to hurt the reader: each is refused with a located error, cheaply.
@Suite struct HostileFileTests {
    /// 9 levels of 9 aliases: 9^8 = 43 million strings once expanded (the issue's 465-byte
    /// file took 1.3 GB). Refused at the first anchor, before a node tree exists.
    static let aliasBomb: String = {
        var lines = ["study: bomb", "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]"]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for i in 1..<names.count {
            let refs = Array(repeating: "*\(names[i - 1])", count: 9).joined(separator: ",")
            lines.append("\(names[i]): &\(names[i]) [\(refs)]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test func aliasBombIsRefusedBeforeItExpands() {
        #expect(Self.aliasBomb.utf8.count < 600)
        let before = peakResidentBytes()
        let error = parseError(Self.aliasBomb, file: "bomb.yaml")
        let grown = peakResidentBytes() - before
        #expect(error?.description == "bomb.yaml:2:4: YAML anchors (&a) and aliases are not supported here; repeat the value instead")
        #expect(grown < 64 << 20, "reading a 500-byte file raised peak memory by \(grown >> 20) MiB")
    }

    @Test func aliasWithoutAnchorIsRefusedWhereItIs() {
        let error = parseError(validSweep.replacingOccurrences(of: "hidden: [16]", with: "hidden: *layers"))
        #expect(error?.description == "bad.yaml:8:11: YAML aliases are not supported here")
    }

    @Test(arguments: [
        ("budget: !!python/object:os.system {trials: 3}", "bad.yaml:19:9: YAML tag '!!python/object:os.system' is not supported"),
        ("budget: !!map {trials: 3}", "bad.yaml:19:9: YAML tag '!!map' is not supported"),
        ("budget: {trials: !!int \"3.5\"}", "bad.yaml:19:18: budget.trials: '3.5' tagged !!int is not a whole number"),
        ("budget: !custom {trials: 3}", "bad.yaml:19:9: YAML tag '!custom' is not supported"),
    ])
    func unknownTagsAreRefusedWithTheirPosition(_ line: String, _ expected: String) {
        let text = validSweep.replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: line)
        let error = parseError(text)
        #expect(error?.description.hasPrefix(expected) == true, "\(String(describing: error))")
    }

    /// The core schema's scalar tags say how to read a value (W&B files write `min: !!float
    /// 1e-5`, since PyYAML reads `1e-5` as text); they were refused with every other tag.
    @Test func coreScalarTagsAreRead() throws {
        let text = """
            a: !!float 1e-5
            b: !!int "3"
            c: !!str 42
            d: !!bool yes
            e: !!null ""
            f: [!!float 2, !!str true]
            """
        let root = try YAMLReader.parse(text, file: "t.yaml")
        #expect(root["a"]?.value == .double(1e-5) && root["b"]?.value == .int(3) && root["c"]?.value == .string("42"))
        #expect(root["d"]?.value == .bool(true) && root["e"]?.value == .null)
        #expect(root["f"]?.elements?.map(\.value) == [.double(2), .string("true")])
        let wandb = try SweepDefinition.parse(text: """
            program: t.py
            method: random
            metric: {name: loss}
            run_cap: 2
            controller: {type: local}
            parameters:
              lr: {min: !!float 1e-5, max: !!float 1e-2}
            """, file: "w.yaml")
        #expect(wandb.space.parameters.map(\.distribution) == [.uniform(low: 1e-5, high: 1e-2, step: nil)])
    }

    /// Plain scalars as both YAML versions (and PyYAML, so W&B) read them: `tRuE` and
    /// `.nAn` are text, `-0` the integer 0, `!!int 0x1F` 31; `1:30` (90 in YAML 1.1, text in
    /// 1.2), `1e400` (past a double) and a bare merge key are refused at their place; a JSON
    /// file's surrogate-pair escapes (Python's json.dump) are one character.
    @Test func scalarsReadAsTheYAMLVersionsAgree() throws {
        let root = try YAMLReader.parse("a: tRuE\nb: yEs\nc: Off\nd: -0\ne: +0\nf: !!int 0x1F\ng: .nAn\nh: -.inf\ni: 1e-400\nj: !!int -0b101\n", file: "t.yaml")
        #expect(root["a"]?.value == .string("tRuE") && root["b"]?.value == .string("yEs") && root["c"]?.value == .bool(false))
        #expect(root["d"]?.value == .int(0) && root["e"]?.value == .int(0) && root["f"]?.value == .int(31) && root["j"]?.value == .int(-5))
        #expect(root["g"]?.value == .string(".nAn") && root["h"]?.value == .double(-.infinity) && root["i"]?.value == .double(0))
        // Hexadecimal floats, which Swift reads and neither YAML version does, are text.
        let hex = try YAMLReader.parse("a: 0X1F\nb: 0x1p3\nc: +0X10\nd: 1.5e3\n", file: "t.yaml")
        #expect(hex["a"]?.value == .string("0X1F") && hex["b"]?.value == .string("0x1p3") && hex["c"]?.value == .string("+0X10") && hex["d"]?.value == .double(1500))
        // A study begun before reads as it did (its search space must not change).
        let stored = try YAMLReader.parse("a: tRuE\nd: -0\ng: .nAn\nt: 1:30\n", file: "stored", strict: false, scalars: .yams)
        #expect(stored["a"]?.value == .bool(true) && stored["t"]?.value == .int(90))
        if case .double(let d)? = stored["d"]?.value { #expect(d == 0 && d.sign == .minus) } else { Issue.record("-0: \(String(describing: stored["d"]))") }
        if case .double(let g)? = stored["g"]?.value { #expect(g.isNaN) } else { Issue.record(".nAn: \(String(describing: stored["g"]))") }
        for (text, message) in [("aspect: 16:9", "'16:9' is 969 in YAML 1.1 (PyYAML, W&B: a base-60 number) and the text '16:9' in YAML 1.2"),
                                ("t: 1:30.5", "'1:30.5' is 90.5 in YAML 1.1"), ("n: !!int 010", "'010' has a leading zero"),
                                ("o: 0o17", "'0o17' is 15 in YAML 1.2 and the text '0o17' in YAML 1.1"),
                                ("b: 0b101", "'0b101' is 5 in YAML 1.1 (PyYAML, W&B) and the text '0b101' in YAML 1.2"),
                                ("u: 1_000", "'1_000' is 1000 in YAML 1.1"), ("f: 1_000.5", "'1_000.5' is 1000.5 in YAML 1.1"),
                                ("big: -1e400", "'-1e400' is past the largest number a double holds"),
                                ("x: {<<: {a: 1}}", "YAML merge keys ('<<') are not supported")] {
            #expect(throws: ConfigError.self) { try YAMLReader.parse(text, file: "t.yaml") }
            do { _ = try YAMLReader.parse(text, file: "t.yaml") } catch { #expect(error.message.contains(message), "\(error)") }
        }
        let json = try YAMLReader.parse(#"{"a": ["\ud83d\ude42", "x\\ud83d\\ude42", "\u00e9"]}"#, file: "s.json")
        #expect(json["a"]?.elements?.map(\.value) == [.string("🙂"), .string("x\\ud83d\\ude42"), .string("é")])
        do { _ = try YAMLReader.parse("{\"a\": [1,}", file: "s.JSON") } catch { #expect(error.message.hasPrefix("not valid JSON (read as YAML)"), "\(error)") }
    }

    /// The reader's own problems come all at once (a leading zero, a number past Int64 and a
    /// bad tag took a round each), in file order.
    @Test func everyValueTheReaderRefusesIsReportedAtOnce() {
        let error = parseError("study: s\na: 017\nb: 123456789012345678901234567890\nc: !!int 0x1G\nd: 1:30\n<<: {x: 1}\n")
        let lines = error?.all.map(\.line) ?? []
        #expect(lines.count == 5 && lines[0].hasPrefix("bad.yaml:2:") && lines[1].hasPrefix("bad.yaml:3:") && lines[2].hasPrefix("bad.yaml:4:")
                && lines[3].hasPrefix("bad.yaml:5:") && lines[4].contains("merge keys"), "\(lines)")
    }

    /// Messages a hostile-files trial found misleading.
    @Test func emptyDocumentsTabsAndFractionsAreNamed() {
        #expect(parseError("---\n# nothing\n")?.description == "bad.yaml:1:1: the file has no settings (it holds only comments, '---' or null)")
        #expect(parseError("study: x\nsynthetic:\n\tfunction: sphere\n")?.description.hasSuffix("(a tab: YAML indents with spaces)") == true)
        let fraction = parseError(validSweep.replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: "budget: {trials: 3.5}"))
        #expect(fraction?.description.hasSuffix("budget.trials: expected a whole number, got 3.5") == true, "\(String(describing: fraction))")
    }

    /// A whole number past Int64 is refused at its place (it became a double and reached a
    /// command as 1.2345678901234567e+19); quoted it is text, with a point a float.
    @Test func aWholeNumberPastInt64IsRefused() throws {
        let text = validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 12345678901234567890")
        #expect(parseError(text)?.description.contains("seed: '12345678901234567890' is a whole number past the range read exactly (-9223372036854775808 to 9223372036854775807)") == true,
                "\(String(describing: parseError(text)))")
        #expect(parseError(validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 9223372036854775807")) == nil)
        let quoted = validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 7\ndescription: '12345678901234567890'")
        #expect(parseError(quoted) == nil)
        for past in ["0x1FFFFFFFFFFFFFFFF", "-99999999999999999999", "1_000_000_000_000_000_000_000", "1:0:0:0:0:0:0:0:0:0:0:0"] {
            let text = validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 7\ndescription: \(past)")
            #expect(parseError(text)?.description.contains("'\(past)' is a whole number past the range") == true, "\(past): \(String(describing: parseError(text)))")
        }
        // Eleven base-60 groups trapped inside the YAML library (SIGILL) though 60^10 fits;
        // they read as YAML 1.1 reads them, twelve are past the range, and `08` stays text.
        #expect(YAMLReader.baseSixtyInteger("1:0:0:0:0:0:0:0:0:0:0") == .value(604_661_760_000_000_000))
        #expect(YAMLReader.baseSixtyInteger("1:0:0:0:0:0:0:0:0:0:0:0") == .overflow)
        #expect(YAMLReader.baseSixtyInteger("1:30") == .value(90) && YAMLReader.baseSixtyInteger("-190:20:30") == .value(-685_230))
        #expect(YAMLReader.baseSixtyInteger("0:30") == .notBaseSixty && YAMLReader.baseSixtyInteger("12:3x") == .notBaseSixty)
        #expect(try SweepDefinition.parseStored(text: validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 7\ndescription: 1:0:0:0:0:0:0:0:0:0:0:0"), file: "stored").description == "1:0:0:0:0:0:0:0:0:0:0:0")
        #expect(parseError(validSweep.replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: "budget: {trials: 1:0:0:0:0:0:0:0:0:0:0, max_epochs: 3}"))?.description.contains("budget.trials") == true)
        #expect(!(parseError(validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 7\ndescription: 08"))?.description.contains("past the range") ?? false))
    }

    /// A new study may not be named like an option (`study: -rf` then needed `--` in every
    /// command); a study stored under such a name still reads, so it can be renamed.
    @Test func aStudyNameLikeAnOptionIsRefusedForNewStudiesOnly() throws {
        let text = validSweep.replacingOccurrences(of: "study: demo", with: "study: -rf")
        #expect(parseError(text)?.description.contains("study: a study name does not start with '-' (commands would take it for an option), got '-rf'") == true, "\(String(describing: parseError(text)))")
        #expect(try SweepDefinition.parseStored(text: text, file: "stored").study == "-rf")
        #expect(WandBSweep.studyName("--my sweep") == "my-sweep")
        #expect(WandBSweep.studyName("--") == nil)
        // Accents go, the letters stay (it was `n-code-sweep`); a name of no such letters
        // gives way to the file's name (it was `wandb-sweep`).
        #expect(WandBSweep.studyName("Ünïcode sweep") == "Unicode-sweep")
        let wandb = "program: t.py\nmethod: random\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2]}\nrun_cap: 2\n"
        #expect(try SweepDefinition.parse(text: "name: 日本語\n" + wandb, file: "/tmp/runs/ja.yaml").study == "ja")
        #expect(try SweepDefinition.parse(text: "name: ×\n" + wandb, file: nil).study == "wandb-sweep")
    }

    /// A leading zero is octal to PyYAML (W&B) and decimal to YAML 1.2: refused, not read
    /// as either (`trials: 010` ran 8 trials). Zero itself, decimals and quoted text pass.
    @Test func aWholeNumberWithALeadingZeroIsRefused() throws {
        let octal = parseError(validSweep.replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: "budget: {trials: 010, max_epochs: 3}"))
        #expect(octal?.description.contains("budget.trials: '010' has a leading zero, which YAML 1.1 (PyYAML, W&B) reads as octal and YAML 1.2 as decimal") == true, "\(String(describing: octal))")
        // A study stored before the refusal reads as it did (8), so that it still resumes.
        let stored = try SweepDefinition.parseStored(text: validSweep.replacingOccurrences(of: "seed: 7", with: "seed: 010"), file: "stored")
        #expect(stored.seed == 8)
        for fine in ["budget: {trials: 10, max_epochs: 3}\nseed: 0", "budget: {trials: 10, max_epochs: 3}\nseed: 00", "budget: {trials: 10, max_epochs: 3}\ndescription: 08", "budget: {trials: 10, max_epochs: 3}\nseed: '007'", "budget: {trials: 10, max_epochs: 3}\ndescription: 0.5"] {
            let text = validSweep.replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: fine)
            #expect(parseError(text) == nil || !(parseError(text)?.description.contains("leading zero") ?? false), "\(fine)")
        }
    }

    /// An empty key is refused where it is (one under `parameters` became a parameter
    /// shown as "(document)").
    @Test func anEmptyKeyIsRefused() {
        let error = parseError(validSweep.replacingOccurrences(of: "  activation: {choice: [relu, elu]}", with: "  activation: {choice: [relu, elu]}\n  '': {uniform: [0, 1]}"))
        #expect(error?.description.contains("bad.yaml:10:3: model: a key is empty ('')") == true, "\(String(describing: error))")
    }

    /// Epochs are rows of the database: at most `TrainingConfig.maxEpochs` a trial, wherever
    /// they are set (9223372036854775807 validated and wrote 18 MB in 15 s, and went on).
    @Test func epochsAreBounded() {
        let limit = TrainingConfig.maxEpochs
        let training = parseError(validSweep.replacingOccurrences(of: "  epochs: 3", with: "  epochs: \(limit + 1)")
            .replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: "budget: {trials: 10}"))
        #expect(training?.description.contains("training.epochs: must be at most \(limit), got \(limit + 1)") == true, "\(String(describing: training))")
        let budget = parseError(validSweep.replacingOccurrences(of: "max_epochs: 3", with: "max_epochs: 9223372036854775807"))
        #expect(budget?.description.contains("budget.max_epochs: must be at most \(limit), got 9223372036854775807") == true, "\(String(describing: budget))")
        let synthetic = parseError("study: s\nsynthetic: {function: sphere, epochs: 9223372036854775807}\nbudget: {trials: 1}\n")
        #expect(synthetic?.description.contains("synthetic.epochs: must be at most \(limit)") == true, "\(String(describing: synthetic))")
        #expect(parseError(validSweep.replacingOccurrences(of: "  epochs: 3", with: "  epochs: \(limit)").replacingOccurrences(of: "max_epochs: 3", with: "max_epochs: \(limit)")) == nil)
    }

    /// `sweep train` on a sweep file names the first range and the others.
    @Test func aTrainFileWithRangesNamesThem() {
        let text = """
            data: {dataset: blobs}
            model: {hidden: [{int: [8, 32]}], activation: {choice: [relu, elu]}}
            training: {epochs: 1, optimizer: {name: adam, learning_rate: {loguniform: [0.001, 0.01]}}}
            """
        do {
            _ = try TrainFile.parse(text: text, file: "t.yaml")
            Issue.record("accepted a train file with ranges")
        } catch {
            #expect(error.description == "t.yaml:2:18: model.hidden[0]: this is a search range (and 2 more: model.activation, training.optimizer.learning_rate); `sweep train` needs fixed values (use `sweep run` to search)")
        }
    }

    @Test func nestingDeeperThanTheLimitIsRefused() {
        // The root mapping is the first level; `maxDepth` brackets under it are one too many.
        let brackets = SweepFileLimits.maxDepth
        let text = validSweep + "\nextra: " + String(repeating: "[", count: brackets) + String(repeating: "]", count: brackets) + "\n"
        let error = parseError(text)
        #expect(error?.description == "bad.yaml:20:\(7 + brackets): lists and mappings nest deeper than \(SweepFileLimits.maxDepth) levels")
        // At the limit, nesting is not what is refused (the section is unknown).
        let atLimit = validSweep + "\nextra: " + String(repeating: "[", count: brackets - 1) + String(repeating: "]", count: brackets - 1) + "\n"
        #expect(parseError(atLimit)?.message.hasPrefix("unknown section 'extra'") == true)
    }

    @Test func aFileOverTheSizeLimitIsRefusedBeforeItIsRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let padding = "# " + String(repeating: "x", count: 1000) + "\n"
        try (validSweep + "\n" + String(repeating: padding, count: SweepFileLimits.maxFileBytes / padding.utf8.count + 1)).write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try SweepDefinition.load(path: path) }
        #expect(error?.message.hasSuffix("sweep and train files may have at most 1048576 (1 MiB)") == true, "\(String(describing: error))")
        #expect(error?.file == path)
    }

    @Test func aDirectoryIsNamedAsSuch() {
        let dir = FileManager.default.temporaryDirectory.path
        let error = #expect(throws: ConfigError.self) { try SweepDefinition.load(path: dir) }
        #expect(error?.description == "\(dir): is a directory; give the sweep file (a .yaml file) itself")
    }

    @Test func budgetTrialsHasADocumentedUpperLimit() {
        let huge = validSweep.replacingOccurrences(of: "trials: 10", with: "trials: 9223372036854775807")
        #expect(parseError(huge)?.description == "bad.yaml:19:10: budget.trials: must be at most 1000000, got 9223372036854775807")
        let atLimit = validSweep.replacingOccurrences(of: "trials: 10", with: "trials: \(Budget.maxTrials)")
        #expect(parseError(atLimit) == nil)
        #expect(Budget.raised(10, by: Int.max) == nil)
        #expect(Budget.raised(Budget.maxTrials - 5, by: 5) == Budget.maxTrials)
        #expect(Budget.raised(Budget.maxTrials - 5, by: 6) == nil)
    }
}

/// `sweep validate` reports a file's problems as a compiler does.
@Suite struct ErrorReportingTests {
    @Test func everyProblemOfAFileIsReportedInFileOrder() {
        let text = """
            study: my study!
            serch: 1
            objective: {metric: val_acc}
            data: {dataset: moons}
            budget:
              trials: 0
            pruner: {name: mediam}
            """
        let error = parseError(text)
        let lines = error?.all.map(\.line) ?? []
        #expect(lines.dropLast() == [
            "bad.yaml:1:1: study: a study name uses ASCII letters, digits, '_', '-' and '.' (1-100 characters), and is not '.' or '..', got 'my study!'",
            "bad.yaml:2:1: serch: unknown section 'serch'; expected one of: study, description, objective, sampler, pruner, scheduler, budget, retry, artifacts, seed, data, model, training",
            "bad.yaml:3:13: objective.metric: unknown metric 'val_acc'; did you mean 'val_accuracy'?; trials report: val_accuracy, val_loss, accuracy, loss; for two-class data also val_precision, val_recall, val_f1, val_auc",
            "bad.yaml:6:3: budget.trials: must be >= 1, got 0",
        ])
        #expect(lines.last?.hasPrefix("bad.yaml:7:10: pruner.name: unknown pruner 'mediam'") == true)
        #expect(error?.description == lines.joined(separator: "\n"))
    }

    /// The trial template's sections are checked with the sweep sections, and each other
    /// (they came one per run of `sweep validate`: budget and sampler, then data, then model,
    /// then training); a width that is no number is named at its place in `hidden`.
    @Test func theTemplatesSectionsAreReportedWithTheSweepSections() {
        let text = """
            study: t
            data: {dataset: moons, samples: many, bogus: 1}
            model: {hidden: [64, x]}
            training:
              epochs: ten
            budget: {trials: ten}
            sampler: {name: random, seed: abc}
            """
        let lines = parseError(text)?.all.map(\.line) ?? []
        #expect(lines == [
            "bad.yaml:2:24: data.samples: expected a whole number, got the string 'many'",
            "bad.yaml:2:39: data.bogus: unknown key 'bogus'; expected one of: classes, columns, dataset, decimal, features_array, fingerprint, header, ignore, label, labels_array, missing, noise, path, samples, scaling, seed, separator, shape, stratify, target_scaling, task, test, test_file, test_labels, test_limit, train_file, train_labels, train_limit, transpose, validation, validation_file, validation_from, validation_labels, validation_limit",
            "bad.yaml:3:22: model.hidden[1]: expected a whole number, got the string 'x'",
            "bad.yaml:5:3: training.epochs: expected a whole number, got the string 'ten'",
            "bad.yaml:6:10: budget.trials: expected a whole number, got the string 'ten'",
            "bad.yaml:7:25: sampler.seed: expected a whole number, got the string 'abc'",
        ], "\(lines)")
    }

    /// An unknown sampler or pruner option is answered with the options of the one named
    /// (the hint listed every pruner's options, most of which the chosen one refuses).
    @Test func anUnknownSamplerOrPrunerOptionListsTheNamedOnesOptions() {
        let text = """
            study: t
            data: {dataset: moons}
            sampler: {name: random, n_startup: 5}
            budget: {trials: 2}
            pruner: {name: asha, warmup: 3}
            """
        let lines = parseError(text)?.all.map(\.line) ?? []
        #expect(lines == [
            "bad.yaml:3:25: sampler.n_startup: unknown key 'n_startup'; expected one of: name, seed",
            "bad.yaml:5:22: pruner.warmup: unknown key 'warmup'; expected one of: name, min_resource, max_resource, reduction_factor, min_early_stopping_rate, bootstrap_count, mode",
        ], "\(lines)")
        // Without a name, the default one's (median; TPE for the sampler).
        let unnamed = parseError("study: t\ndata: {dataset: moons}\nsampler: {n_startup: 5}\npruner: {warmup: 3}\nbudget: {trials: 2}\n")?.all.map(\.line) ?? []
        #expect(unnamed == [
            "bad.yaml:3:11: sampler.n_startup: unknown key 'n_startup'; did you mean 'n_startup_trials'?",
            "bad.yaml:4:10: pruner.warmup: unknown key 'warmup'; expected one of: name, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials",
        ], "\(unnamed)")
    }

    @Test func locationsPointAtTheKeyNotTheValue() {
        let text = validSweep.replacingOccurrences(of: "  epochs: 3\n", with: "  epochs:     three\n")
        #expect(parseError(text)?.mark == SourceMark(line: 11, column: 3))
        let budget = validSweep.replacingOccurrences(of: "budget: {trials: 10, max_epochs: 3}", with: "budget:\n  trials:    -4")
        #expect(parseError(budget)?.description == "bad.yaml:20:3: budget.trials: must be >= 1, got -4")
    }
}

/// Sizes that overflowed integer arithmetic (found by the fuzz test with 20,000 cases) are
/// located errors.
@Suite struct OversizedValueTests {
    @Test(arguments: [
        ("hidden: [16]", "hidden: [9223372036854775807]", "model.hidden"),
        ("hidden: [16]", "hidden: {layers: 2, units: 9223372036854775807}", "model.hidden.units"),
        ("hidden: [16]", "hidden: []\n  conv: {blocks: 2, filters: 9223372036854775807}", "model.conv.filters"),
        ("hidden: [16]", "hidden: []\n  conv: {blocks: 60, filters: 32, filter_growth: 2}", "model.conv.filter_growth"),
        ("hidden: [16]", "hidden: []\n  conv: {blocks: 2, filters: 8, kernel_size: 9223372036854775807}", "model.conv.kernel_size"),
        ("activation: {choice: [relu, elu]}", "activation: relu\n  dropout: {int: [-9223372036854775808, 1]}", "model.dropout"),
    ])
    func isRefusedAtItsKey(_ original: String, _ replacement: String, _ key: String) {
        let error = parseError(validSweep.replacingOccurrences(of: original, with: replacement))
        #expect(error?.description.contains(key) == true, "\(String(describing: error))")
    }

    @Test func theWidthLimitItselfIsAccepted() {
        #expect(parseError(validSweep.replacingOccurrences(of: "hidden: [16]", with: "hidden: [\(NetworkLimits.maxWidth)]")) == nil)
    }
}

/// The number shapes the YAML reader checks by hand agree with the patterns they replace,
/// on every string of up to 4 characters from the characters that matter.
@Suite struct YAMLNumberShapeTests {
    @Test func handWrittenChecksMatchTheirPatterns() throws {
        let octal = try NSRegularExpression(pattern: "^[-+]?0[0-7_]*[1-7][0-7_]*$")
        let whole = try NSRegularExpression(pattern: "^[-+]?(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[1-9][0-9_]*)$")
        func matches(_ r: NSRegularExpression, _ s: String) -> Bool { r.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil }
        let alphabet = Array("0189x_ob+-F.")
        var strings = [""]
        var frontier = [""]
        for _ in 0..<4 {
            frontier = frontier.flatMap { s in alphabet.map { s + String($0) } }
            strings += frontier
        }
        var mismatches: [String] = []
        for s in strings {
            if YAMLReader.isLeadingZeroOctal(s) != matches(octal, s) { mismatches.append("octal \(s)") }
            if YAMLReader.isWholeNumberLiteral(s) != matches(whole, s) { mismatches.append("whole \(s)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
        #expect(YAMLReader.isLeadingZeroOctal("-017") && !YAMLReader.isLeadingZeroOctal("000") && !YAMLReader.isLeadingZeroOctal("08"))
        #expect(YAMLReader.isWholeNumberLiteral("0xFf_1") && YAMLReader.isWholeNumberLiteral("+12_345") && !YAMLReader.isWholeNumberLiteral("0x"))
    }
}

/// A long list of numbers is probed at its extremes per kind, which still finds a bad value
/// there, and the file is checked in seconds (1,000 parameters of 100 numbers took 210 s).
@Suite struct LongChoiceListProbeTests {
    @Test func extremesPerKindAndEveryOtherChoice() {
        let choices: [ParamValue] = (1...20).map { .int($0) } + [.double(2.0), .double(8.0), .double(2.5), .double(-0.5), .double(0.25), .string("auto"), .null]
        #expect(SweepDefinition.extremes(of: choices) == [.int(1), .int(20), .double(2.0), .double(8.0), .double(2.5), .double(-0.5), .string("auto"), .null])
    }

    @Test func aBadValueAtTheEndOfALongListIsStillFound() throws {
        let values = (1...40).map { "\(Double($0) / 100)" }.joined(separator: ", ")
        let bad = """
            study: long
            data: {dataset: moons, samples: 100}
            model: {hidden: [8], dropout: {choice: [\(values), 1.5]}}
            training: {epochs: 1, optimizer: {name: adam, learning_rate: 0.01}}
            budget: {trials: 2}
            """
        let error = #expect(throws: ConfigError.self) { try SweepDefinition.parse(text: bad, file: "long.yaml") }
        #expect(error?.description.contains("dropout") == true && error?.description.contains("1.5") == true, "\(String(describing: error))")
        let good = bad.replacingOccurrences(of: ", 1.5]", with: "]")
        #expect(try SweepDefinition.parse(text: good, file: "long.yaml").space.parameters.count == 1)
    }

    /// A value a condition names is still tried, in the middle of a long list: a conditional
    /// value that turns on there (epochs 0 at batch size 64) failed every such trial.
    @Test func aValueAConditionNamesIsTriedInALongList() {
        let sizes = (1...20).map { "\($0 * 8)" }.joined(separator: ", ")
        let text = """
            study: cond
            data: {dataset: moons, samples: 100}
            model: {hidden: [8]}
            training:
              batch_size: {choice: [\(sizes)]}
              epochs: {value: 0, when: {training.batch_size: [64]}}
              optimizer: {name: adam, learning_rate: 0.01}
            budget: {trials: 2}
            """
        let error = parseError(text, file: "c.yaml")?.description ?? ""
        #expect(error.contains("epochs") && error.contains("64"), "\(error)")
    }
}

/// Indentation with non-breaking spaces (copied from a web page) read as part of the key:
/// "W&B key '  optimizer' is not supported", with the space unseen.
@Suite struct NonBreakingIndentTests {
    @Test func aNonBreakingSpaceInTheIndentIsNamedAtItsLine() {
        let text = "program: t.py\nmethod: random\nmetric: {name: loss}\nparameters:\n \u{a0}optimizer: {values: [adam, sgd]}\n"
        let error = parseError(text, file: "w.yaml")
        #expect(error?.description.contains("w.yaml:5:2: parameters: the key 'optimizer' begins with a non-breaking space (U+00A0") == true, "\(String(describing: error))")
        // With Windows line ends too; and in a block scalar it is text.
        #expect(parseError(text.replacingOccurrences(of: "\n", with: "\r\n"), file: "w.yaml")?.description.contains("begins with a non-breaking space") == true)
        #expect(parseError(text.replacingOccurrences(of: " \u{a0}optimizer: {values: [adam, sgd]}", with: "  optimizer: {values: [adam, sgd]}\ndescription: |\n  \u{a0}indented text\n"), file: "w.yaml") == nil)
        // Inside a value it is text, as written.
        #expect(parseError(text.replacingOccurrences(of: " \u{a0}optimizer: {values: [adam, sgd]}", with: "  optimizer: {values: [\"a\u{a0}b\", sgd]}"), file: "w.yaml") == nil)
    }
}

/// libyaml's messages, said in the file's terms on one line: a NUL byte at its place, a
/// second document with what to do, a nesting past libyaml's own limit as Sweep's.
@Suite struct YAMLMessageTests {
    @Test func libyamlErrorsAreSaidOnOneLineWithTheirPlace() {
        let nul = parseError("study: a\u{0}b\nx: 1\n", file: "n.yaml")?.description ?? ""
        #expect(nul == "n.yaml:1:9: not valid YAML: control characters are not allowed (character U+0000)", "\(nul)")
        let multi = parseError("study: a\n---\nstudy: b\n", file: "m.yaml")?.description ?? ""
        #expect(multi.contains("m.yaml:2:1: not valid YAML: expected a single document in the stream, but found another document (a sweep file is one YAML document"), "\(multi)")
        let deep = parseError("a: " + String(repeating: "[", count: 1500) + String(repeating: "]", count: 1500) + "\n", file: "d.yaml")?.description ?? ""
        #expect(deep.contains("nest deeper than \(SweepFileLimits.maxDepth) levels") && !deep.contains("yaml_set_max_nest_level"), "\(deep)")
        let scanner = parseError("a: \"abc\n", file: "s.yaml")?.description ?? ""
        #expect(scanner.contains("found unexpected end of stream while scanning a quoted scalar"), "\(scanner)")
    }
}
