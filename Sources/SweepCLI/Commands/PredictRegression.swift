import Foundation
import Training

/// `sweep predict` with a regression model: one value per sample, in the target's units (the
/// model undoes its target standardization), and RMSE, MAE and R^2 when targets are known
/// (the table's label column, or `--labels`: one number per line, or a `.npy`/`.npz` array). A row whose target is
/// empty or `NA` is predicted and left out of the scores (its target is NaN here).
enum RegressionPredict {
    /// The samples of `path`, with each row's target when a table carries the label column.
    static func read(_ path: String, model: Model, data: DataConfig) throws -> (values: [Float], count: Int, targets: [Float]?) {
        guard FileManager.default.fileExists(atPath: path) else { throw UsageError("\(path): no such file") }
        if model.config.data.files?.label != nil, !PredictInput.isIDX(path), !SampleFiles.isNPY(PredictInput.head(path, 6)), !SampleFiles.isZip(PredictInput.head(path, 6)) {
            let table: (values: [Float], count: Int, targets: [Float]?)
            do { table = try SampleFiles.readTargetTable(path, like: data, fillsMissing: model.missingFill != nil) } catch { throw UsageError("\(error)") }
            guard table.values.count == table.count * model.featureCount else {
                throw UsageError("the model expects \(model.featureCount) feature columns, \(path) gives \(table.values.count / max(table.count, 1))")
            }
            return table
        }
        let samples = try PredictInput.read(path, model: model, data: data)
        return (samples.values, samples.count, nil)
    }

    /// One number per line, or a `.npy` array (a `.npz` archive's labels array).
    static func readTargets(_ path: String, model: Model) throws -> [Float] {
        guard FileManager.default.fileExists(atPath: path) else { throw UsageError("\(path): no such file") }
        // A `.npy` or `.npz` target array, as training takes it (it was read as text: "cannot read as UTF-8").
        if let npy = try PredictInput.numPy(path, npzArray: model.config.data.files?.resolvedLabelsArray ?? "y") {
            guard npy.sampleShape.reduce(1, *) == 1 else {
                throw UsageError("\(path): targets are one number per sample, an array of shape (n,) or (n, 1); this one has samples of shape \(npy.sampleShape)")
            }
            return npy.values
        }
        return try PredictInput.csvRows(path).map { line, fields in
            guard fields.count == 1 else { throw UsageError("\(path) line \(line): expected one target value per line") }
            return fields[0]
        }
    }

    static func run(_ command: Predict, model: Model) throws {
        var samples = try read(command.input, model: model, data: try command.inputData(of: model))
        if let limit = command.limit, samples.count > limit {
            samples.values.removeLast((samples.count - limit) * model.featureCount)
            samples.count = limit
            samples.targets = samples.targets.map { Array($0.prefix(limit)) }
        }
        if let labels = command.labels {
            let all = try readTargets(labels, model: model)
            guard command.limit == nil ? all.count == samples.count : all.count >= samples.count else {
                throw UsageError("\(labels) has \(all.count) targets for the \(samples.count) samples of \(command.input)\(command.limit == nil && all.count > samples.count ? " (with --limit N the first N of each are taken)" : "")")
            }
            samples.targets = Array(all.prefix(samples.count))
        }
        let prediction = model.predict(samples.values, count: samples.count, mcSamples: command.mcSamples)
        let report = Report(
            target: model.config.data.files?.label ?? "target", prediction: prediction, targets: samples.targets, mcSamples: command.mcSamples)
        switch command.format {
        case .table: print(report.table())
        case .csv: print(report.csv(), terminator: "")
        case .json: print(try report.json())
        }
    }

    /// The printed forms: table, CSV or JSON.
    struct Report {
        /// The target's name (the label column).
        let target: String
        let prediction: Prediction
        let targets: [Float]?
        let mcSamples: Int

        /// The samples with a known target.
        var scored: [Int] { targets.map { t in t.indices.filter { !t[$0].isNaN } } ?? [] }

        var scores: [String: Double]? {
            guard let targets, case let rows = scored, !rows.isEmpty else { return nil }
            return RegressionScores.of(predictions: rows.map { prediction.mean[$0] }, targets: rows.map { targets[$0] })
        }

        /// The target of sample `i` as printed: empty when it has none.
        func shownTarget(_ i: Int, _ format: (Float) -> String) -> String {
            guard let t = targets?[i], !t.isNaN else { return "" }
            return format(t)
        }

        func table() -> String {
            func pad(_ s: String, _ n: Int) -> String { TerminalWidth.padded(s, to: n) }
            // The same columns whatever the model was trained on: predicted, then the known value.
            var lines = [pad("sample", 8) + pad("predicted", 20) + (targets == nil ? "" : target)]
            for i in 0..<prediction.count {
                let value = mcSamples > 0 ? String(format: "%.6g±%.3g", prediction.mean[i], prediction.std[i]) : String(format: "%.6g", prediction.mean[i])
                lines.append(pad(String(i), 8) + pad(value, 20) + shownTarget(i) { String(format: "%.6g", $0) })
            }
            let unscored = targets == nil ? 0 : prediction.count - scored.count
            if let scores {
                lines.append(String(format: "rmse %.6g  mae %.6g  r2 %.4f (%d samples)", scores["rmse"]!, scores["mae"]!, scores["r2"]!, scored.count)
                             + (unscored > 0 ? "; \(unscored) sample(s) without a target left out" : ""))
            }
            return TextTable.withoutTrailingSpaces(lines).joined(separator: "\n")
        }

        func csv() -> String {
            let header = ["sample", "predicted"] + (mcSamples > 0 ? ["std"] : []) + (targets == nil ? [] : ["target"])
            var text = header.joined(separator: ",") + "\n"
            for i in 0..<prediction.count {
                var fields = [String(i), "\(prediction.mean[i])"]
                if mcSamples > 0 { fields.append("\(prediction.std[i])") }
                if targets != nil { fields.append(shownTarget(i) { "\($0)" }) }
                text += fields.joined(separator: ",") + "\n"
            }
            return text
        }

        struct Row: Encodable {
            var sample: Int
            var predicted: Float
            var std: Float?
            var target: Float?
        }

        struct Document: Encodable {
            var task = "regression"
            /// The target's name (the label column of the training data).
            var target: String
            var mc_samples: Int
            var predictions: [Row]
            var rmse: Double?
            var mae: Double?
            var r2: Double?
        }

        func json() throws -> String {
            let rows = (0..<prediction.count).map { i in
                Row(sample: i, predicted: prediction.mean[i], std: mcSamples > 0 ? prediction.std[i] : nil, target: targets?[i].isNaN == false ? targets?[i] : nil)
            }
            let s = scores
            return try JSONOutput.render(Document(
                target: target, mc_samples: mcSamples, predictions: rows, rmse: s?["rmse"], mae: s?["mae"], r2: s?["r2"]))
        }
    }
}
