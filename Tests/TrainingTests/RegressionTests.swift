import Foundation
import Randomness
import Testing
@testable import Training

/// The regression task in the training core: configuration rules, target standardization,
/// metrics, training to the noise ceiling, and regression model files.
@Suite("Regression")
struct RegressionTests {
    /// `y = 20 a - 10 b + 5 c + 100 + noise` (noise std `noise`), one row per line, with
    /// an `id` column; returns the path and the noise-free values.
    static func linearCSV(_ dir: DataDirectory, rows n: Int = 600, noise: Double = 0, seed: UInt64 = 1) throws -> (path: String, truth: [Double]) {
        var rng = SeededGenerator(seed: seed)
        var lines = ["id,a,b,c,y"], truth: [Double] = []
        for i in 0..<n {
            let a = rng.nextNormal(), b = rng.nextNormal(), c = rng.nextNormal()
            let f = 20 * a - 10 * b + 5 * c + 100
            truth.append(f)
            lines.append("\(i),\(a),\(b),\(c),\(f + noise * rng.nextNormal())")
        }
        return (try dir.write("linear.csv", lines.joined(separator: "\n") + "\n"), truth)
    }

    static func data(_ path: String, extra: String = "") -> String {
        #"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "ignore": ["id"], "task": "regression", "scaling": "standardize", "seed": 2\#(extra)}"#
    }

    @Test func targetsAreStandardizedWithTrainingStatistics() throws {
        let dir = try DataDirectory()
        let (path, _) = try Self.linearCSV(dir, noise: 1)
        let data = try loadData(Self.data(path))
        #expect(data.task == .regression && data.classCount == 0 && data.classNames.isEmpty)
        #expect(data.train.count == 360 && data.validation.count == 120 && data.test.count == 120)
        let scale = try #require(data.targetScale)
        // Training targets: mean 0, std 1 after standardization; the scale maps them back to the file.
        let t = data.train.targets.map(Double.init)
        let mean = t.reduce(0, +) / Double(t.count)
        let variance = t.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(t.count)
        #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-4)
        #expect(abs(scale.mean - 100) < 5 && scale.std > 15 && scale.std < 30)
        // Row ids identify the rows: restored targets are the file's values.
        let text = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
        let byID = Dictionary(uniqueKeysWithValues: text.map { line in
            let f = line.split(separator: ","); return (Int(f[0])!, Float(f[4])!)
        })
        let ids = try loadData(Self.data(path).replacingOccurrences(of: #""ignore": ["id"], "task": "regression", "scaling": "standardize""#,
                                                                with: #""columns": ["id"], "task": "regression""#)).validation
        for (row, target) in zip(rows(ids), data.validation.targets) {
            #expect(abs(scale.restored(target) - byID[Int(row[0])]!) < 1e-3)
        }
        // `target_scaling: none` keeps the values as written.
        let raw = try loadData(Self.data(path, extra: #", "target_scaling": "none""#))
        #expect(raw.targetScale == .identity && raw.test.targets.contains { $0 > 50 })
    }

    @Test func npyTargetsMayBeFractionalButMustBeFinite() throws {
        let dir = try DataDirectory()
        let x = try dir.npy("x.npy", descr: "<f4", shape: [10, 2], payload: littleEndian((0..<20).map { Float($0) }))
        let y = try dir.npy("y.npy", descr: "<f4", shape: [10], payload: littleEndian((0..<10).map { Float($0) * 0.25 + 0.125 }))
        let json = #"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "task": "regression", "target_scaling": "none", "validation": 0, "test": 0}"#
        let data = try loadData(json)
        #expect(data.train.targets == (0..<10).map { Float($0) * 0.25 + 0.125 })
        #expect(rows(data.train).map { $0[0] } == (0..<10).map { Float($0 * 2) })
        let bad = try dir.npy("bad.npy", descr: "<f4", shape: [10], payload: littleEndian([1, .nan] + [Float](repeating: 0, count: 8)))
        #expect(try dataFailure(json.replacingOccurrences(of: y, with: bad)) == "corrupt data file \(bad): target nan of sample 1 is not a finite number")
    }

    @Test func configurationRules() throws {
        let csv = #""dataset": "csv", "train_file": "d.csv", "label": "y""#
        func failure(_ json: String) -> String? { decodingFailure { _ = try decodeConfig(TrialConfig.self, json) }?.message }
        // MSE by default; MAE and Huber only for regression, the classification losses only for classes.
        let config = try decodeConfig(TrialConfig.self, #"{"data": {\#(csv), "task": "regression"}}"#)
        #expect(config.model.loss == .mse && config.data.resolvedTargetScaling == .standardize)
        #expect(failure(#"{"data": {\#(csv), "task": "regression"}, "model": {"loss": "cross_entropy"}}"#)
            == "loss 'cross_entropy' is for classification; task: regression takes mse, mae or huber")
        #expect(failure(#"{"data": {\#(csv)}, "model": {"loss": "huber"}}"#)?.hasPrefix("loss 'huber' is for regression") == true)
        #expect(failure(#"{"data": {\#(csv), "task": "regression", "classes": ["a", "b"]}}"#)?.contains("does not apply to task: regression") == true)
        #expect(failure(#"{"data": {\#(csv), "target_scaling": "none"}}"#) == "target_scaling applies only to task: regression")
        #expect(failure(#"{"data": {\#(csv), "task": "regression"}, "model": {"loss": "mae", "huber_delta": 2}}"#) == "huber_delta applies only to loss: huber")
        #expect(failure(#"{"data": {\#(csv), "task": "regresion"}}"#)?.contains("unknown task 'regresion'; expected one of: classification, regression") == true)
        #expect(failure(#"{"data": {"dataset": "moons", "task": "regression"}}"#)?.contains("'task' does not apply to dataset 'moons'") == true)
        // Monitors are checked against the task.
        #expect(failure(#"{"data": {\#(csv), "task": "regression"}, "training": {"early_stopping": {"monitor": "val_accuracy"}}}"#)
            == "early_stopping monitors 'val_accuracy', which exists only for classification")
        #expect(failure(#"{"data": {\#(csv)}, "training": {"early_stopping": {"monitor": "val_r2"}}}"#)
            == "early_stopping monitors 'val_r2', which exists only for regression (data.task: regression)")
        let huber = try decodeConfig(TrialConfig.self, #"{"data": {\#(csv), "task": "regression"}, "model": {"loss": "huber", "huber_delta": 0.5}, "training": {"early_stopping": {"monitor": "val_r2"}}}"#)
        #expect(huber.model.resolvedHuberDelta == 0.5 && huber.training.earlyStopping?.monitor == .valR2)
        #expect(try huber.validated() == huber)
    }

    @Test func metricDirectionsAndNames() {
        #expect(MonitoredMetric.valR2.lowerIsBetter == false && MonitoredMetric.valRMSE.lowerIsBetter && MonitoredMetric.mae.lowerIsBetter)
        #expect(MonitoredMetric.valR2.improves(0.9, over: 0.8, minDelta: 0) && !MonitoredMetric.valRMSE.improves(0.9, over: 0.8, minDelta: 0))
        #expect(TrainingMetric(name: "test_rmse") == TrainingMetric(.rmse, on: .test) && TrainingMetric(name: "lr") == nil)
        #expect(TrainingMetric.epochMetricNames(task: .regression, binary: nil) == ["val_loss", "loss", "val_rmse", "val_mae", "val_r2", "rmse", "mae", "r2"])
        #expect(TrainingMetric.epochMetricNames(task: .classification, binary: false) == ["val_accuracy", "val_loss", "accuracy", "loss"])
    }

    @Test func regressionMetricsMatchTheirDefinitions() {
        var acc = MetricAccumulator()
        let predictions: [Float] = [1, 2, 4, 3], targets: [Float] = [1.5, 2, 3, 5]
        for (p, y) in zip(predictions, targets) { acc.record(prediction: p, target: y) }
        acc.samples = 4
        acc.lossSum = 8
        let m = acc.regressionMetrics(penalty: 0.5, targetScale: 10)
        // Errors 0.5, 0, 1, 2 (network units) times the scale 10; SST around 2.875.
        let sse = 0.25 + 0 + 1 + 4, sst = [1.5, 2, 3, 5].map { ($0 - 2.875) * ($0 - 2.875) }.reduce(0, +)
        #expect(abs(m["rmse"]! - (sse / 4).squareRoot() * 10) < 1e-9)
        #expect(abs(m["mae"]! - 3.5 / 4 * 10) < 1e-9)
        #expect(abs(m["r2"]! - (1 - sse / sst)) < 1e-9)
        #expect(m["loss"] == 2.5)
    }

    /// A linear target with noise: the trained net's validation R^2 reaches the ceiling the
    /// noise sets (1 - noise variance / target variance), and the errors are in the target's units.
    @Test func trainsToTheNoiseCeiling() throws {
        let dir = try DataDirectory()
        let noise = 8.0
        let (path, truth) = try Self.linearCSV(dir, rows: 2000, noise: noise)
        let config = try decodeConfig(TrialConfig.self, #"{"seed": 3, "data": \#(Self.data(path)), "model": {"hidden": [16], "loss": "huber", "huber_delta": 2}, "training": {"epochs": 30, "batch_size": 32, "optimizer": {"name": "adam", "learning_rate": 0.003}, "early_stopping": {"monitor": "val_r2", "patience": 5}}}"#)
        let dataset = try DatasetLoader.load(config.data)
        let trainer = try Trainer(config: config, dataset: dataset)
        let result = try trainer.fit { _ in .proceed }
        let last = try #require(result.epochs.last).metrics
        #expect(Set(last.keys) == ["loss", "rmse", "mae", "r2", "lr", "val_loss", "val_rmse", "val_mae", "val_r2"])
        let signal = truth.map { $0 - truth.reduce(0, +) / Double(truth.count) }.map { $0 * $0 }.reduce(0, +) / Double(truth.count)
        let ceiling = 1 - noise * noise / (signal + noise * noise)
        let test = trainer.evaluate(.test)
        for r2 in [last["val_r2"]!, test["r2"]!] { #expect(r2 > ceiling - 0.03 && r2 < ceiling + 0.03, "R^2 \(r2), ceiling \(ceiling)") }
        #expect(abs(test["rmse"]! - noise) < 1.0 && abs(test["mae"]! - noise * (2 / Double.pi).squareRoot()) < 1.0, "\(test)")
    }

    @Test func modelFilesPredictInTheTargetUnitsAndOldFilesStillLoad() throws {
        let dir = try DataDirectory()
        let (path, _) = try Self.linearCSV(dir, rows: 400, noise: 1)
        let config = try decodeConfig(TrialConfig.self, #"{"seed": 3, "data": \#(Self.data(path)), "model": {"hidden": [8], "dropout": 0.1}, "training": {"epochs": 3}}"#)
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        _ = try trainer.fit { _ in .proceed }
        let bytes = try ModelFile.encode(trainer)
        #expect(bytes[8] == 2)
        let model = try Model(bytes: bytes)
        #expect(model.task == .regression && model.targetScale == trainer.dataset.targetScale && model.classNames.isEmpty && model.predictionWidth == 1)
        var raw = config.data
        raw.scaling = Scaling.none
        let rawTest = try DatasetLoader.load(raw).test.features
        let expected = trainer.predictProbabilities(trainer.dataset.test.features)
        let got = model.predict(rawTest, count: trainer.dataset.test.count)
        #expect(got.mean == expected.mean && got.width == 1)
        // In the file's units (targets around 100), not standardized.
        #expect(got.mean.reduce(0, +) / Float(got.count) > 50)
        let mc = model.predict(rawTest, count: trainer.dataset.test.count, mcSamples: 20)
        #expect(mc.std.contains { $0 > 0 })

        // A version 1 file (a classification model written before regression) still loads.
        let classifier = try ModelFileTests.trained(ModelConfig(hidden: [4]), epochs: 1)
        var old = try ModelFile.encode(classifier)
        old[8] = 1
        let body = old.dropLast(4)
        old = Array(body) + withUnsafeBytes(of: ModelFile.checksum(body).littleEndian, Array.init)
        let loaded = try Model(bytes: old)
        #expect(loaded.formatVersion == 1 && loaded.task == .classification && loaded.classCount == 3)
    }
}
