import Foundation
import Store
import SweepSupport
import SweepFile
import Training

/// Loads the data a train or sweep file describes before anything starts, so a missing
/// file, an unknown column or a network that does not fit the data is a located error
/// (exit 2) instead of a study whose every trial fails.
enum DataPreflight {
    /// The train file at `path`, with its data loaded and checked against the network, and
    /// the base model of `model.transfer.from` read (for the trainer: read once).
    static func trainFile(_ path: String) throws -> (config: TrialConfig, dataset: Dataset?, baseModel: Model?) {
        let config = try TrainFile.load(path: path)
        let root = try YAMLReader.parse(try SweepDefinition.readText(path), file: path)
        let node = root["data"]
        // A base model that cannot be read is said at its line, before the data loads (said
        // when training started, it had no place in the file).
        var base: BaseModel?
        if let from = config.model.transfer?.from, !from.hasPrefix("study:") {
            let mark = root.mark(at: transferFrom)
            do { base = BaseModel(from: from, mark: mark, model: try Model(path: from)) } catch {
                throw ConfigError(file: path, mark: mark, path: transferFrom, message: "'\(from)': \(error)")
            }
        }
        let dataset = try load(config.data, file: path, node: node)
        noteNumericClasses(config.data, dataset, file: path)
        if let base, let all = ConfigError.combining(baseModelProblems([base], features: featureCount(dataset, config.data), file: path)) {
            throw all
        }
        if let dataset, let problem = config.problem(with: dataset) {
            throw ConfigError(file: path, mark: node?.mark, path: ConfigPath(parsing: problem.field), message: problem.message)
        }
        return (config, dataset, base?.model)
    }

    /// The sweep file at `path`; a training sweep's data is loaded first (at the search
    /// space's base point when `data` values are searched; not at all when the files
    /// themselves are: then each trial loads its own), and the sweep is validated again with
    /// the data's shape and classes known.
    static func sweep(_ path: String) throws -> SweepDefinition {
        let definition = try SweepDefinition.load(path: path)
        if let problem = definition.validationSplitProblem() { throw problem }
        let bases = try checkBaseModels(definition, file: path)
        guard let node = definition.template["data"], let config = definition.sharedDataConfig else {
            try checkSearchedFiles(definition, file: path)
            return definition
        }
        let dataset = try load(config, file: path, node: node)
        noteNumericClasses(config, dataset, file: path)
        // What the data tells is checked at once (objective, losses, the network on its shape):
        // each came in a run of `sweep validate` of its own.
        var problems = baseModelProblems(bases, features: featureCount(dataset, config), file: path)
        let baseProblems = try objectiveProblems(config, dataset, definition, file: path, node: node)
        problems += baseProblems
        // Each choice of a searched `label`, `task`, `columns`, `missing` reads the data its
        // own way: validate read the base point's only, and trials it called valid failed.
        // (A problem the base point has too is said once.)
        let said = Set(baseProblems.map(\.message))
        for variant in definition.dataVariants(limit: 32) {
            let choice = " (with \(variant.parameter) = \(variant.value), a choice of the search)"
            var found: [ConfigError]
            do {
                let data = try load(variant.config, file: path, node: node)
                found = try objectiveProblems(variant.config, data, definition, file: path, node: node)
            } catch let error as ConfigError {
                found = error.all
            }
            problems += found.filter { !said.contains($0.message) }.map { e in
                var e = e
                e.message += choice
                return e
            }
        }
        guard config.dataset.isFileSet, let files = config.files else {
            if let all = ConfigError.combining(problems) { throw all }
            return definition
        }
        let reloaded = Result { () throws(ConfigError) -> SweepDefinition in try SweepDefinition.load(path: path) }
        if case .failure(let error) = reloaded { throw ConfigError.combining(problems + [error]) ?? error }
        var checked = try reloaded.get()
        if let all = ConfigError.combining(problems) { throw all }
        // Every trial carries the coordinator's fingerprint; a worker with other files refuses it.
        let fingerprint = try fingerprintOf(files, file: path, node: node)
        checked.template = checked.template.setting("data", to: node.setting("fingerprint", to: ConfigNode(.string(fingerprint.description))))
        return checked
    }

    /// What the data tells of the objective: a `val_` objective on a split that leaves no
    /// validation sample, a metric the task or the class count does not report.
    static func objectiveProblems(_ config: DataConfig, _ dataset: Dataset?, _ definition: SweepDefinition, file: String, node: ConfigNode) throws -> [ConfigError] {
        var problems: [ConfigError] = []
        // A validation fraction of a small data set can leave no sample: every trial then
        // failed without a value of a `val_` objective (validate said nothing).
        if definition.objective.metric.hasPrefix("val_"), let dataset, dataset.validation.count == 0, config.hasValidation {
            problems.append(ConfigError(file: file, mark: node.entry("validation")?.keyMark ?? node.mark, path: ConfigPath([.key("data"), .key("validation")]),
                                        message: "the split leaves no validation sample (\(dataset.train.count) training, 0 validation, \(dataset.test.count) test), and the objective '\(definition.objective.metric)' is measured on it: use more data or a larger validation fraction"))
        }
        // Two-class metrics need the class count, known once the data is read; a searched
        // task can make the objective one the task does not report.
        guard let metric = TrainingMetric(name: definition.objective.metric) else { return problems }
        let task = config.resolvedTask
        let classes = task == .classification ? dataset?.classCount ?? config.classCount : nil
        guard task == .regression || classes != nil, !metric.kind.isReported(task: task, binary: classes.map { $0 == 2 }) else { return problems }
        let root = try YAMLReader.parse(try SweepDefinition.readText(file), file: file)
        let what = classes.map { "this data has \($0) classes (use val_accuracy or val_loss)" } ?? "this data is a regression (use val_loss, val_rmse, val_mae or val_r2)"
        problems.append(ConfigError(file: file, mark: root["objective"]?.mark, path: ConfigPath([.key("objective"), .key("metric")]),
                                    message: "'\(metric)' exists only for \(metric.kind.availability); \(what)"))
        return problems
    }

    /// Says when a classification's labels look like a numeric target: many distinct numbers
    /// for few samples each (a diabetes progression score made 214 classes of 442 samples
    /// and a test accuracy of 0.01, without a word). Classification is the default task.
    static func noteNumericClasses(_ config: DataConfig, _ dataset: Dataset?, file: String) {
        guard config.task == nil, let dataset, dataset.classNames.count > 20,
              dataset.classNames.allSatisfy({ Double($0) != nil }),
              dataset.classNames.count * 4 > dataset.train.count + dataset.validation.count + dataset.test.count else { return }
        StandardStream.error.write("note: \(file): the labels are \(dataset.classNames.count) distinct numbers for \(dataset.train.count + dataset.validation.count + dataset.test.count) samples, read as classes: a numeric target? set data.task: regression\n")
    }

    /// A resumed study's stored definition, its data loaded and fingerprinted again: data
    /// that changed since the study started (`recorded`) is refused unless `force`d (the
    /// finished trials were trained on the old data). Returns the definition whose trials
    /// carry the current fingerprint.
    static func resumed(_ stored: SweepDefinition, recorded: String?, force: Bool) throws -> SweepDefinition {
        let (checked, change) = try fingerprinted(stored, recorded: recorded)
        if let change {
            guard force else { throw UsageError(change + ". Restore the files, or pass --force to continue with the new data") }
            // Forced: said all the same (with a changed sweep file, --force took both unsaid).
            StandardStream.error.write("note: \(change); continuing with the new data (--force)\n")
        }
        return checked
    }

    /// What changed in `definition`'s data since the study recorded `recorded`, as a sentence;
    /// nil when nothing did (or the data is not files, or cannot be read: the run says that).
    /// For a changed sweep file's refusal, which named only the file's lines and hid a data
    /// change that --force then took.
    static func dataChange(_ definition: SweepDefinition, recorded: String?) -> String? {
        (try? fingerprinted(definition, recorded: recorded))?.change ?? nil
    }

    /// `stored` with its data loaded and fingerprinted again, and what changed since `recorded`.
    private static func fingerprinted(_ stored: SweepDefinition, recorded: String?) throws -> (SweepDefinition, change: String?) {
        let file = stored.file ?? "\(stored.study) (stored sweep file)"
        guard let node = stored.template["data"], let config = stored.sharedDataConfig,
              config.dataset.isFileSet, let files = config.files else { return (stored, nil) }
        _ = try load(config, file: file, node: node)
        let current = try fingerprintOf(files, file: file, node: node)
        var checked = stored
        checked.template = checked.template.setting("data", to: node.setting("fingerprint", to: ConfigNode(.string(current.description))))
        guard let recorded, recorded != current.description else { return (checked, nil) }
        return (checked, "the data of study '\(stored.study)' changed since it started: \(files.allPaths.joined(separator: ", ")) now \(files.allPaths.count == 1 ? "gives" : "give") \(current), "
                + "the study started with \(recorded); its finished trials were trained on the old data")
    }

    /// The data check of a resume, made read-only before the store is opened for writing
    /// (opening it writes: GRDB sets up the WAL, and a refused resume changed the file's
    /// bytes). The returned check is `Coordinator.resume`'s: given the same stored study and
    /// fingerprint as read here, it reuses this result (the files are hashed once).
    static func resumeCheck(_ study: StudyRecord, reader: StoreReader, force: Bool) throws -> (SweepDefinition, String?) throws -> SweepDefinition {
        let definition = try SweepDefinition.stored(study)
        // A file from before fingerprints lacks the column, which readers do not add: none.
        let recorded = (try? reader.read { try $0.dataFingerprint(studyID: study.id) }) ?? nil
        let checked = try resumed(definition, recorded: recorded, force: force)
        return { current, currentRecorded in
            current.text == definition.text && currentRecorded == recorded ? checked : try resumed(current, recorded: currentRecorded, force: force)
        }
    }

    /// Loads (file sets) or looks for the files of (Fashion-MNIST) `config`.
    static func load(_ config: DataConfig, file: String, node: ConfigNode?) throws -> Dataset? {
        if config.dataset == .fashionMNIST {
            for name in ["train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"] {
                let p = DatasetLoader.fashionMNISTFile(config.resolvedPath, name)
                if !FileManager.default.fileExists(atPath: p) {
                    throw located(.missingFile(path: p), file: file, node: node)
                }
            }
            return nil
        }
        guard config.dataset.isFileSet else { return nil }
        do {
            return try DatasetLoader.load(config)
        } catch let error as DataError {
            throw located(error, file: file, node: node)
        }
    }

    /// Every model file `model.transfer.from` can name reads as a model (a missing, truncated
    /// or crafted one passed `sweep validate`; its trials failed, or killed their workers).
    /// References to stored trials (`study:NAME/...`) are the coordinator's to resolve.
    static func checkBaseModels(_ definition: SweepDefinition, file: String) throws -> [BaseModel] {
        guard definition.task == .training else { return [] }
        var problems: [ConfigError] = []
        var models: [BaseModel] = []
        for (from, mark) in texts(at: transferFrom, of: definition, fixedToo: true) where !from.hasPrefix("study:") {
            do { models.append(BaseModel(from: from, mark: mark, model: try Model(path: from))) } catch {
                problems.append(ConfigError(file: file, mark: mark, path: transferFrom, message: "'\(from)': \(error)"))
            }
        }
        if let all = ConfigError.combining(problems) { throw all }
        return models
    }

    /// A model file `model.transfer.from` names, read, with where the file names it.
    struct BaseModel {
        var from: String
        var mark: SourceMark?
        var model: Model
    }

    private static let transferFrom = ConfigPath([.key("model"), .key("transfer"), .key("from")])

    /// Features per sample: the loaded data's, or a built-in set's known shape (nil when
    /// neither is known before the files are read).
    private static func featureCount(_ dataset: Dataset?, _ config: DataConfig) -> Int? {
        dataset?.featureCount ?? config.sampleShape.map { $0.reduce(1, *) }
    }

    /// Base models whose input does not fit the data's `features` per sample (each trial
    /// failed on it as it started); nil features: not known before the data is read.
    static func baseModelProblems(_ bases: [BaseModel], features: Int?, file: String) -> [ConfigError] {
        guard let features else { return [] }
        return bases.filter { $0.model.featureCount != features }.map { base in
            ConfigError(file: file, mark: base.mark, path: transferFrom,
                        message: "'\(base.from)': the base model takes \(base.model.featureCount) features per sample, this data set has \(features)")
        }
    }

    /// The data fields that name files.
    static let fileFields = ["train_file", "train_labels", "validation_file", "validation_labels", "test_file", "test_labels"]

    /// Every file a searched data field can name exists (each trial loads its own, so a
    /// typo in one choice failed its trials only once they ran; a fixed one is loaded).
    static func checkSearchedFiles(_ definition: SweepDefinition, file: String) throws {
        var problems: [ConfigError] = []
        for field in fileFields {
            for (candidate, mark) in texts(at: ConfigPath([.key("data"), .key(field)]), of: definition, fixedToo: false)
            where !FileManager.default.fileExists(atPath: candidate) {
                var error = located(.noSuchFile(field: field, path: candidate), file: file, node: nil)
                error.mark = mark
                error.message += " (a choice of the search)"
                problems.append(error)
            }
        }
        if let all = ConfigError.combining(problems) { throw all }
    }

    /// The texts the field at `path` can take, with their place: each choice of a searched
    /// one, and (`fixedToo`) a fixed value.
    static func texts(at path: ConfigPath, of definition: SweepDefinition, fixedToo: Bool) -> [(String, SourceMark?)] {
        var out: [(String, SourceMark?)] = []
        if fixedToo, let node = definition.template.node(at: path), case .string(let text) = node.value { out.append((text, node.mark)) }
        for spec in definition.parameters where spec.path == path {
            if case .categorical(let choices, _) = spec.parameter.distribution {
                for case .string(let text) in choices { out.append((text, spec.mark)) }
            }
        }
        return out
    }

    /// The fingerprint of `files`, an error located at the `data` section.
    static func fingerprintOf(_ files: DataFiles, file: String, node: ConfigNode) throws(ConfigError) -> DataFingerprint {
        let result = Result { () throws(DataError) -> DataFingerprint in try DataFingerprint.of(files) }
        switch result {
        case .success(let fingerprint): return fingerprint
        case .failure(let error): throw located(error, file: file, node: node)
        }
    }

    /// The data error at the `data` field it comes from.
    static func located(_ error: DataError, file: String, node: ConfigNode?) -> ConfigError {
        switch error {
        case .noSuchFile(let field, let path):
            // A relative path is the current directory's: say so when the file sits beside
            // the sweep file (run from another directory, it was "no such file" alone).
            var hint = ""
            if !path.hasPrefix("/") {
                let beside = ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
                let here = FileManager.default.currentDirectoryPath
                if FileManager.default.fileExists(atPath: beside) {
                    hint = " (relative paths are from the current directory, \(here); there is one beside \(file): \(beside); run from there, or give the path from here)"
                } else {
                    hint = " (relative to the current directory, \(here))"
                }
            }
            return ConfigError(file: file, mark: node?[field]?.mark ?? node?.mark, path: ConfigPath([.key("data"), .key(field)]),
                               message: "no such file: \(path)\(hint)")
        case .missingFile:
            return ConfigError(file: file, mark: node?["path"]?.mark ?? node?.mark, path: ConfigPath([.key("data")]), message: error.description)
        case .mismatch(let message):
            // The location already names `data`.
            return ConfigError(file: file, mark: node?.mark, path: ConfigPath([.key("data")]), message: message)
        default:
            return ConfigError(file: file, mark: node?.mark, path: ConfigPath([.key("data")]), message: error.description)
        }
    }
}
