import ArgumentParser
import Cluster
import Foundation
import Search
import Store
import SweepFile
import SweepSupport
import Training

/// `sweep retrain STUDY`: the chosen configuration trained on train + validation data,
/// evaluated once on the test split, recorded with the study.
struct Retrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retrain the best trial (or --trial N) on train + validation data and report its test accuracy.",
        discussion: """
            Validation data chose the configuration; the test split is touched only here,
            once, to report it. The trial's configuration is trained again with its own
            seed on the training and validation images together. With early stopping, the
            retrain runs for the epoch count of the trial's best epoch (there is no
            validation data to stop on); a plateau schedule then follows the training
            loss. The result is recorded in the study (`sweep retrain STUDY --list` shows
            them).

            Examples:
              sweep retrain quickstart --db runs/quickstart.db
              sweep retrain quickstart --trial 12
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The study's name.") var study: String
    @Option(help: "Retrain this trial instead of the best one.") var trial: Int?
    @Flag(help: "List the recorded retrain results instead of training.") var list = false
    @Flag(help: "Retrain although the data files changed since the study began (their fingerprint differs).") var force = false
    @Option(help: "Also write the retrained model to this file (it is kept beside the database too; `sweep model list` lists it).", completion: .file()) var out: String?

    func run() throws {
        if list { return try listResults() }
        // Refused before it trains (an output over a database, or a missing directory).
        if let out {
            do { try OutputFile.refuseDatabase(out) } catch { throw UsageError("--out: \(error)") }
            let directory = (out as NSString).deletingLastPathComponent
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) { throw UsageError("--out: directory \(directory) does not exist") }
        }
        let reader = try database.reader()
        let (record, chosen, curve, recorded, file) = try reader.read { q in
            let s = try q.requireStudy(named: study)
            let t = try q.chosenTrial(of: s, number: trial, otherwise: "complete trial to retrain")
            // The file the trial ran, when `--resume --force` replaced it since: the current
            // one retrained another network (a layer added, other epochs) under its number.
            // (A file from before fingerprints lacks the column, which readers do not add: none.)
            return (s, t, try q.intermediates(trialID: t.id), (try? q.dataFingerprint(studyID: s.id)) ?? nil,
                    try TrialDefinitions(study: s, reading: q).fileText(ofTrial: t.number))
        }
        let definition = try SweepDefinition.parseStored(text: file.text,
                                                         file: "\(study) (stored sweep file\(file.earlierVersion.map { ", version \($0)" } ?? ""))")
        guard case .training(let original) = try definition.spec(for: chosen.params, trialSeed: chosen.seed) else {
            throw UsageError(definition.task == .command
                ? "study '\(study)' runs your own program (command trials): Sweep keeps no network to retrain; run the program with trial \(chosen.number)'s parameters (`sweep show \(study) \(chosen.number)`)"
                : "study '\(study)' runs synthetic trials; there is nothing to retrain")
        }
        guard chosen.state == .complete || chosen.state == .pruned else {
            throw UsageError("trial \(chosen.number) of study '\(study)' is \(chosen.state.rawValue): retrain a complete (or pruned) trial, e.g. the best: `sweep retrain \(study)`")
        }
        let config = RetrainPlan.config(from: original, curve: curve)
        // The data the study was trained on, as `resume` checks it: changed files (60 rows of 3
        // classes turned into 2) trained a model of other classes and recorded its score.
        _ = try DataPreflight.resumed(definition, recorded: recorded, force: force)
        let dataset: Dataset
        do { dataset = try DatasetLoader.load(config.data).validationJoinedToTraining() } catch { throw UsageError("\(error)") }
        // Said before training (it trained every epoch, then failed and recorded nothing).
        guard dataset.test.count > 0 else {
            throw UsageError("study '\(study)' has no test split (its data has test: 0): retrain measures the test set once; give the data a test split (test: 0.2 or test_file) in a new study, or use `sweep model export` for trial \(chosen.number)'s model")
        }
        // A base model kept by another study (`study:NAME/best`: the trainer reads only
        // files, and the retrain failed). Resolved now, as the coordinator resolves it when it
        // hands a trial out: which trial it is, is said (a study resumed since may have
        // another best than when the trial ran).
        var baseModel: Model?
        if let from = config.model.transfer?.from, from.hasPrefix(BaseModelReference.prefix) {
            do {
                let reference = try BaseModelReference(from)
                let (bytes, source) = try reader.read { q in try reference.modelBytes(queries: q, directory: ArtifactDirectory(database: database.path)) }
                baseModel = try Model(bytes: bytes)
                print("base model: \(from) is trial \(source) of study '\(reference.study)' now")
            } catch {
                throw UsageError("trial \(chosen.number) of study '\(study)' starts from \(from): \(error)")
            }
        }
        print("trial \(chosen.number): \(record.definition.metric) \(Fmt.value(chosen.value)); retraining on train + validation for \(config.training.epochs) epoch(s)")
        let trainer = try Trainer(config: config, dataset: dataset, baseModel: baseModel)
        let started = Date()
        let display = LiveDisplay()
        installStopSignals()
        let result = try trainer.fit(progress: { p in
            guard display.isTerminal else { return }
            display.show(["epoch \(p.epoch)/\(config.training.epochs) \(progressBar(Double(p.batch) / Double(max(1, p.batchesPerEpoch))))  loss \(String(format: "%.4f", p.loss))"])
        }, onEpoch: { e in
            display.show([EpochText.line(epoch: e.epoch, of: config.training.epochs, metrics: e.metrics, seconds: e.seconds)])
            display.finish(keep: true)
            return processStop.isSet ? .stop : .proceed
        })
        guard result.stopReason != .diverged else { throw CommandFailure("the retrain diverged after \(result.epochs.count) epoch(s)") }
        guard result.stopReason != .stoppedByCaller else { throw CommandFailure("interrupted; nothing recorded") }
        let test = trainer.evaluate(.test)
        let seconds = Date().timeIntervalSince(started)
        // The retrained model is kept beside the database, like the sweep's own models.
        let artifacts = ArtifactDirectory(database: database.path)
        let modelPath: String?
        let model = try ModelFile.encode(trainer)
        do {
            modelPath = try artifacts.save(study: study, name: "retrain-trial-\(chosen.number)-\(Int(Date().timeIntervalSince1970 * 1000))", bytes: model)
        } catch {
            StandardStream.error.write("warning: the retrained model was not saved: \(error)\n")
            modelPath = nil
        }
        if let out {
            do { try OutputFile.write(Data(model), to: out) } catch { throw OutputFailure.of(error, writing: out) }
            print("model written to \(out)")
        }
        let store = try database.writer()
        _ = try store.write { tx in
            try tx.insertRetrain(studyID: record.id, RetrainRecord(
                trialNumber: chosen.number, epochs: result.epochs.count, trainSamples: dataset.train.count, testAccuracy: test["accuracy"],
                testLoss: test["loss"], metrics: test, seconds: seconds, modelPath: modelPath, createdAt: Date().timeIntervalSince1970))
        }
        if let modelPath { print("model: \(artifacts.absolute(modelPath))") }
        print(EpochText.test(test) + String(format: "  (%d training samples, %.0f s; recorded in %@)", dataset.train.count, seconds, database.path))
    }

    private func listResults() throws {
        let (s, rows) = try database.reader().read { q in
            let s = try q.requireStudy(named: study)
            return (s, try q.retrains(studyID: s.id))
        }
        guard !rows.isEmpty else { print("study '\(s.name)' has no retrain results"); return }
        let shown = RetrainRecord.testMetricsShown(rows)
        let artifacts = ArtifactDirectory(database: database.path)
        var t = TextTable(["trial", "epochs", "train samples"] + shown.map { "test \($0)" } + ["test loss", "time", "when", "model"])
        for r in rows {
            t.add(["\(r.trialNumber)", "\(r.epochs)", "\(r.trainSamples)"] + shown.map { Fmt.value(r.testValue($0)) }
                  + [Fmt.value(r.testLoss), Fmt.seconds(r.seconds), Fmt.time(r.createdAt), r.modelPath.map(artifacts.absolute) ?? "-"])
        }
        print(t.render())
    }
}

extension RetrainRecord {
    /// The test metrics any of `rows` has, in table order. Classification: accuracy;
    /// regression: rmse, mae and r² (whatever the test split gave).
    static func testMetricsShown(_ rows: [RetrainRecord]) -> [String] {
        ["accuracy", "rmse", "mae", "r2"].filter { key in rows.contains { $0.testValue(key) != nil } }
    }

    /// A test metric of the retrained model.
    func testValue(_ key: String) -> Double? { metrics[key] ?? (key == "accuracy" ? testAccuracy : nil) }
}

/// How a trial's configuration becomes its retrain configuration.
enum RetrainPlan {
    /// The data section stays the trial's: its splits are loaded as the trial had them, and
    /// the validation samples joined to the training ones (`Dataset.validationJoinedToTraining`).
    static func config(from original: TrialConfig, curve: [IntermediateRecord]) -> TrialConfig {
        var c = original
        // No validation data to stop on: train as long as the trial's best epoch.
        if let stopping = c.training.earlyStopping {
            let monitored = curve.compactMap { r in r.metrics[stopping.monitor.rawValue].map { (r.step, $0) } }
            let best = stopping.monitor.lowerIsBetter ? monitored.min { $0.1 < $1.1 } : monitored.max { $0.1 < $1.1 }
            if let best { c.training.epochs = best.0 }
            c.training.earlyStopping = nil
        }
        if c.training.schedule.name == .plateau, c.training.schedule.resolvedMonitor.needsValidation {
            c.training.schedule.monitor = c.training.schedule.resolvedMonitor.onTrainingSplit ?? (c.training.schedule.resolvedMonitor.lowerIsBetter ? .loss : .accuracy)
        }
        return c
    }
}
