import ArgumentParser
import Foundation
import SweepSupport
import Training

/// `sweep predict MODEL INPUT`: class probabilities (or regression values) of a trained model
/// for IDX, NPY or CSV samples.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict class probabilities or regression values with a model file (IDX, NPY, NPZ, CSV).",
        discussion: """
            MODEL is a model file (sweep train --save-model, sweep model export). INPUT is
            an IDX file of samples (gzipped or raw, e.g. t10k-images-idx3-ubyte.gz), a
            NumPy .npy array (samples along the first axis), a .npz archive (the array
            the model was trained on, data.features_array, default x), or a CSV file with
            one sample per row of raw feature values (pixels 0-255 for image models; a
            non-numeric first line, or pandas' 0,1,2,..., is taken as a header). A model
            trained on a CSV/TSV data set instead reads a table whose first row names its
            columns, and picks its feature columns by name; when the table has the label
            column, the accuracy is printed. The model applies its own input scaling;
            predictions name the model's classes.

            A regression model (data.task: regression) writes one value per sample in the
            target's units (its target standardization undone), and RMSE, MAE and R^2
            when the table has the target column or --labels gives one number per line.

            With --mc-samples N, each prediction is the mean of N MC-dropout passes and
            the std per class is shown (the model needs dropout for a spread). With
            --labels (IDX, .npy, .npz's labels array, or one label per line: an integer
            or a class name such as setosa) the accuracy is printed; a model trained on
            a class subset maps the labels to its classes and skips samples of other
            classes. INPUT and --labels may be pipes, e.g. <(zcat test.csv.gz), and
            INPUT may be - for standard input.

            Examples:
              sweep predict runs/cnn.swm \\
                  /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --limit 5
              sweep predict runs/cnn.swm images.csv --format csv --mc-samples 50
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @Argument(help: "The model file.", completion: .file()) var model: String
    @Argument(help: "Samples: an IDX file (.gz or raw), a .npy or .npz file, or a CSV/TSV file.", completion: .file()) var input: String
    @Option(help: "MC-dropout passes (0: one deterministic pass).") var mcSamples = 0
    @Option(help: "Output format: table, csv or json.") var format: Format = .table
    @Option(help: "Only the first N samples.") var limit: Int?
    @Option(help: "True labels (IDX, .npy, .npz, or one per line: an integer or a class name) to report the accuracy; regression: one target per line, .npy or .npz.") var labels: String?
    @Option(help: ArgumentHelp("A CSV/TSV input's field separator, when it is not the training file's (one character, e.g. ';').", valueName: "char")) var separator: String?
    @Option(help: ArgumentHelp("A CSV/TSV input's decimal mark, when it is not the training file's: '.' or ','.", valueName: "mark")) var decimal: String?

    /// How the input table is written: the training file's way, unless `--separator` or
    /// `--decimal` say otherwise (new data often comes from another export).
    func inputData(of model: Model) throws -> DataConfig {
        var data = model.config.data
        if let separator {
            guard separator.count == 1 || separator == "\\t" else { throw UsageError("--separator must be one character (or \\t for a tab), got '\(separator)'") }
            data.files?.separator = separator == "\\t" ? "\t" : separator
        }
        if let decimal {
            guard decimal == "." || decimal == "," else { throw UsageError("--decimal must be '.' or ',', got '\(decimal)'") }
            data.files?.decimal = decimal
        }
        if separator != nil || decimal != nil, let files = data.files, files.resolvedDecimal == files.resolvedSeparator(data.dataset, path: input) {
            throw UsageError("the decimal mark and the field separator are both '\(decimal ?? ",")': give --separator ';' with --decimal ','")
        }
        return data
    }

    func run() throws {
        // (A huge count ran until killed.)
        guard mcSamples >= 0 && mcSamples <= 100_000 else { throw UsageError("--mc-samples must be 0 to 100000, got \(mcSamples)") }
        if let limit, limit < 1 { throw UsageError("--limit must be >= 1, got \(limit)") }
        // Pipes (`<(zcat x.csv.gz)`, `-` for stdin) are read once into files first.
        let pipedInput = try PipedInput(input)
        let pipedLabels = try labels.map(PipedInput.init)
        defer { pipedInput.remove(); pipedLabels?.remove() }
        var command = self
        command.input = pipedInput.path
        command.labels = pipedLabels?.path
        do { try command.predict() } catch let error as UsageError {
            throw UsageError(pipedLabels?.naming(pipedInput.naming(error.message)) ?? pipedInput.naming(error.message))
        }
    }

    private func predict() throws {
        let loaded: Model
        do { loaded = try Model(path: model) } catch {
            // Name the file, unless the message does already.
            throw UsageError(error is ModelFileError && !"\(error)".contains(model) ? "\(model): \(error)" : "\(error)")
        }
        if loaded.task == .regression { return try RegressionPredict.run(self, model: loaded) }
        var samples = try PredictInput.read(input, model: loaded, data: try inputData(of: loaded))
        if let limit, samples.count > limit {
            samples.values.removeLast((samples.count - limit) * loaded.featureCount)
            samples.count = limit
            samples.labels = samples.labels.map { Array($0.prefix(limit)) }
        }
        Self.notePixelsAlreadyScaled(samples.values, model: loaded, input: input)
        var truth: [Int?]?
        if let labels {
            let (all, header) = try PredictInput.readLabels(labels, model: loaded)
            // With --limit the first N of each; otherwise one label per sample (60,000 labels
            // for 10,000 images scored the first 10,000 against the wrong file).
            guard limit == nil ? all.count == samples.count : all.count >= samples.count else {
                // A first line taken for a header may be a label of a class the model does not
                // know, or a header with a label missing: which one, only the user knows.
                let hint = header.map { limit == nil && all.count + 1 == samples.count
                    ? "; its first line, '\($0)', was read as a header: if it is a label, add a header line above it" : "" } ?? ""
                throw UsageError("\(labels) has \(all.count) labels for the \(samples.count) samples of \(input)\(limit == nil && all.count > samples.count ? " (with --limit N the first N of each are taken)" : "")\(hint)")
            }
            truth = Array(all.prefix(samples.count))
        }
        let prediction = loaded.predict(samples.values, count: samples.count, mcSamples: mcSamples)
        var report = PredictionReport(model: loaded, prediction: prediction, truth: truth, mcSamples: mcSamples)
        if truth == nil, let tableLabels = samples.labels { report.truth = tableLabels }
        switch format {
        case .table: print(report.table())
        case .csv: print(report.csv(), terminator: "")
        case .json: print(try report.json())
        }
    }
}

extension Predict {
    /// A model trained on pixels 0-255 divides its inputs by 255: images already scaled to
    /// 0..1 were silently scaled again (an ankle boot predicted as a sandal). Said when every
    /// value is within 0..1 and one is above 0 (real pixel images nearly always pass 1).
    static func notePixelsAlreadyScaled(_ values: [Float], model: Model, input: String) {
        let scaling = model.scaling
        guard scaling.mode == .unit, !scaling.isIdentity, scaling.scale.allSatisfy({ $0 == 1 / 255 }), scaling.shift.allSatisfy({ $0 == 0 }),
              values.contains(where: { $0 > 0 }), values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { return }
        StandardStream.error.write("note: every value of \(input) is within 0..1, but the model divides its inputs by 255 (it was trained on pixels 0-255): if the images are already scaled, multiply them by 255 first\n")
    }
}

/// An input of `sweep predict` that is not a regular file: a pipe (`<(zcat x.gz)`, a
/// FIFO), `/dev/stdin`, or `-` for standard input. The readers look at a file's first bytes
/// to tell its format before reading it, which a pipe allows only once, so its content is
/// copied into a temporary file (keeping the name's extension, `.tsv` says the separator).
struct PipedInput {
    /// The file to read: the given one, or the copy.
    let path: String
    /// What the user gave.
    let given: String

    init(_ given: String) throws {
        self.given = given
        let source = given == "-" ? "/dev/stdin" : given
        var info = stat()
        guard stat(source, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG, (info.st_mode & S_IFMT) != S_IFDIR else {
            path = source // a regular file, or one the readers will report as missing
            return
        }
        guard let handle = FileHandle(forReadingAtPath: source) else { throw UsageError("\(given): cannot open for reading") }
        defer { try? handle.close() }
        let ext = (given as NSString).pathExtension
        let copy = FileManager.default.temporaryDirectory
            .appendingPathComponent("sweep-predict-\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(ext.isEmpty ? "" : "." + ext)").path
        do {
            try Self.copy(handle, to: copy, given: given)
        } catch let error as UsageError {
            try? FileManager.default.removeItem(atPath: copy)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: copy)
            throw UsageError("\(given): cannot read: \(SystemErrorText.of(error))")
        }
        path = copy
    }

    /// The most a piped input may hold: a larger one is better given as a file's path (its
    /// copy would take as much space in the temporary directory).
    static let maxBytes = 4 << 30

    /// Copies `handle` to the file `copy` 1 MiB at a time (memory stays bounded: `/dev/zero`
    /// grew the process by 1.4 GB/s), refusing an input of zeros and one over ``maxBytes``.
    private static func copy(_ handle: FileHandle, to copy: String, given: String) throws {
        guard FileManager.default.createFile(atPath: copy, contents: nil), let out = FileHandle(forWritingAtPath: copy) else {
            throw UsageError("\(given): cannot write its copy \(copy)")
        }
        defer { try? out.close() }
        var total = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            if total == 0, !chunk.contains(where: { $0 != 0 }) {
                throw UsageError("\(given): its first \(chunk.count) bytes are all zero: binary zeros, not samples")
            }
            total += chunk.count
            guard total <= maxBytes else {
                throw UsageError("\(given): more than \(maxBytes >> 30) GiB from a pipe: write it to a file and pass its path")
            }
            try out.write(contentsOf: chunk)
        }
    }

    /// A message about the copy, naming what the user gave instead.
    func naming(_ message: String) -> String {
        path == given ? message : message.replacingOccurrences(of: path, with: given)
    }

    /// Removes the copy, if one was made.
    func remove() {
        if path != given && path != "/dev/stdin" { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// Reading the samples and labels of `sweep predict`, with shape errors that name the line.
enum PredictInput {
    /// The samples of `path` for `model`, with the class of each row when a table carries
    /// the model's label column.
    /// `data`: the model's data section, as the input table is written (``Predict/inputData(of:)``).
    static func read(_ path: String, model: Model, data: DataConfig) throws -> (values: [Float], count: Int, labels: [Int?]?) {
        guard FileManager.default.fileExists(atPath: path) else { throw UsageError("\(path): no such file") }
        let features = model.featureCount
        // An .npz archive: the features array the model was trained on (`x` by default).
        if let npy = try numPy(path, npzArray: model.config.data.files?.resolvedFeaturesArray ?? "x") {
            let width = npy.sampleShape.reduce(1, *)
            guard width == features else {
                throw UsageError("the model expects \(features) features per sample, \(path) has samples of shape \(npy.sampleShape) (\(width))")
            }
            return (npy.values, npy.count, nil)
        }
        if let files = model.config.data.files, files.label != nil, !isIDX(path) {
            let table: (values: [Float], count: Int, labels: [Int?]?)
            do {
                table = try SampleFiles.readTable(path, like: data, classNames: model.classNames, classLabels: model.classLabels,
                                                  fillsMissing: model.missingFill != nil)
            } catch { throw UsageError("\(error)") }
            guard table.values.count == table.count * features else {
                throw UsageError("the model expects \(features) feature columns, \(path) gives \(table.values.count / max(table.count, 1))")
            }
            return table
        }
        let plain = try readPlain(path, features: features)
        return (plain.values, plain.count, nil)
    }

    /// A `.npy` file, or the array `npzArray` of a `.npz` archive; nil for other files.
    static func numPy(_ path: String, npzArray: String) throws -> (values: [Float], count: Int, sampleShape: [Int])? {
        let start = head(path, 6)
        do {
            if SampleFiles.isNPY(start) { return try SampleFiles.readNPY(path) }
            if SampleFiles.isZip(start) { return try SampleFiles.readNPZ(path, array: npzArray) }
        } catch { throw UsageError("\(error)") }
        return nil
    }

    /// The first `n` bytes of a file.
    static func head(_ path: String, _ n: Int) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return [UInt8](handle.readData(ofLength: n))
    }

    /// IDX samples, or a CSV of numbers only (an optional header line).
    static func readPlain(_ path: String, features: Int) throws -> (values: [Float], count: Int) {
        if isIDX(path) {
            let idx: (values: [Float], count: Int, sampleShape: [Int])
            do { idx = try IDXData.readSamples(path) } catch { throw UsageError("\(error)") }
            let width = idx.sampleShape.reduce(1, *)
            guard width == features else {
                throw UsageError("the model expects \(features) features per sample, \(path) has samples of shape \(idx.sampleShape.map(String.init).joined(separator: "x")) (\(width))")
            }
            return (idx.values, idx.count)
        }
        let rows = try csvRows(path)
        var values: [Float] = []
        for (line, fields) in rows {
            guard fields.count == features else {
                throw UsageError("\(path):\(line): the model expects \(features) features per row, this line has \(fields.count)")
            }
            values += fields
        }
        guard !rows.isEmpty else { throw UsageError("\(path) has no samples") }
        return (values, rows.count)
    }

    /// The true class of each sample from `--labels`, as the model's class index (nil for a
    /// label that is none of its classes): IDX and `.npy` files hold integer labels; a text
    /// file holds one label per line, integers or the model's class names (`setosa`), after
    /// an optional header line (returned as `header` when one was skipped).
    static func readLabels(_ path: String, model: Model) throws -> (labels: [Int?], header: String?) {
        guard FileManager.default.fileExists(atPath: path) else { throw UsageError("\(path): no such file") }
        if isIDX(path) {
            do { return (try IDXData.readLabels(path).map { classIndex(ofLabel: String($0), model: model) }, nil) } catch { throw UsageError("\(error)") }
        }
        if let npy = try numPy(path, npzArray: model.config.data.files?.resolvedLabelsArray ?? "y") {
            guard npy.sampleShape.reduce(1, *) == 1 else {
                throw UsageError("\(path): labels are one integer per sample, an array of shape (n,) or (n, 1); this one has samples of shape \(npy.sampleShape)")
            }
            return (try npy.values.enumerated().map { i, v in
                guard let label = Int32(exactly: v) else { throw UsageError("\(path): label \(v) of sample \(i) is not an integer class") }
                return classIndex(ofLabel: String(label), model: model)
            }, nil)
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw UsageError("\(path): cannot read as UTF-8 text")
        }
        var labels: [Int?] = []
        var header: String?
        for (index, raw) in text.textLines.enumerated() {
            var field = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if index == 0, field.hasPrefix("\u{FEFF}") { field = String(field.dropFirst()) } // a byte order mark
            if field.isEmpty { continue }
            if field.count >= 2, field.hasPrefix("\""), field.hasSuffix("\"") { field = String(field.dropFirst().dropLast()) }
            // Whole numbers written as floats (`1.0`, numpy's savetxt `1.000000000000000000e+00`)
            // are integer labels, as training reads them.
            if let named = classIndex(ofLabel: field, model: model) {
                labels.append(named)
            } else if SampleFiles.isIntegerLabel(field) {
                labels.append(nil) // a class the model was not trained on
            } else if index == 0, !field.contains(",") {
                header = field
            } else if field.contains(",") || field.contains("\t") {
                throw UsageError("\(path) line \(index + 1): expected one label per line (an integer or one of the model's classes), found several fields")
            } else {
                labels.append(nil) // a class the model was not trained on: left out, and counted
            }
        }
        return (labels, header)
    }

    /// A label's class, as ``SampleFiles/classIndex(ofLabel:classNames:classLabels:classSubset:indexFallback:)``
    /// maps it: a name, a label value, or a class index.
    static func classIndex(ofLabel text: String, model: Model) -> Int? {
        SampleFiles.classIndex(ofLabel: text, classNames: model.classNames, classLabels: model.classLabels,
                               classSubset: model.config.data.classSubset, indexFallback: true)
    }

    /// Whether the file is IDX (gzipped or not; a gzipped CSV is a table).
    static func isIDX(_ path: String) -> Bool { SampleFiles.isIDX(path: path) }

    /// Numeric rows with their 1-based line numbers, separated by commas, tabs or semicolons
    /// (the first line's); a first line with a name in it is a header. (A first line whose
    /// only field that is no number was `NA` was taken for a header and dropped: every
    /// prediction then named the line before its own.)
    static func csvRows(_ path: String) throws -> [(line: Int, fields: [Float])] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw UsageError("\(path): cannot read as UTF-8 text")
        }
        var rows: [(Int, [Float])] = []
        var separator: Character?
        for (index, raw) in text.textLines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let first = separator == nil
            let by = separator ?? (line.contains("\t") ? "\t" : line.contains(";") && !line.contains(",") ? ";" : ",")
            separator = by
            let parts = line.split(separator: by, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = parts.compactMap { Float($0) }
            // Read as a sample, pandas' header shifted every prediction by one row.
            if first, SampleFiles.isPandasNumberedHeader(parts) {
                StandardStream.error.write("note: \(path) line \(index + 1) (0,1,...,\(parts.count - 1)) is read as pandas' header for unnamed columns, not as a sample\n")
                continue
            }
            if numbers.count != parts.count {
                // A header: a first line with a name in it (`x,y,1990`), not only missing values.
                if first && parts.contains(where: { Float($0) == nil && !MissingValueText.isMarker($0) }) { continue }
                let column = parts.firstIndex { Float($0) == nil }!
                throw UsageError("\(path):\(index + 1):\(column + 1): '\(parts[column])' is not a number (a sample is one line of numbers separated by '\(by == "\t" ? "\\t" : String(by))')")
            }
            rows.append((index + 1, numbers))
        }
        return rows
    }
}

/// The printed forms of a prediction: table, CSV or JSON, and the accuracy against labels.
struct PredictionReport {
    let names: [String]
    let prediction: Prediction
    /// MC-dropout passes averaged (0: one deterministic pass, no spread).
    let mcSamples: Int
    var withStd: Bool { mcSamples > 0 }
    /// Predicted class per sample (argmax of the mean).
    let predicted: [Int]
    /// Labels mapped to the model's classes (nil: not one of them).
    var truth: [Int?]?

    /// `truth`: each sample's class index (nil: none of the model's classes).
    init(model: Model, prediction: Prediction, truth: [Int?]?, mcSamples: Int) {
        let w = prediction.width
        names = w == model.classCount ? model.classNames : (0..<w).map { "output \($0)" }
        self.prediction = prediction
        self.mcSamples = mcSamples
        predicted = (0..<prediction.count).map { i in
            let row = prediction.mean[(i * w)..<((i + 1) * w)]
            return w == 1 ? (row.first! >= 0.5 ? 1 : 0) : row.indices.max { row[$0] < row[$1] }! - i * w
        }
        self.truth = truth
    }

    /// (correct, counted) over the samples whose label is one of the model's classes.
    var accuracy: (correct: Int, counted: Int)? {
        guard let truth else { return nil }
        var correct = 0, counted = 0
        for (p, t) in zip(predicted, truth) {
            guard let t else { continue }
            counted += 1
            if p == t { correct += 1 }
        }
        return (correct, counted)
    }

    private func value(_ i: Int, _ j: Int) -> Float { prediction.mean[i * prediction.width + j] }
    private func spread(_ i: Int, _ j: Int) -> Float { prediction.std[i * prediction.width + j] }

    /// Each name in `columns` (``TerminalWidth/cutInside(_:columns:)``); names that still
    /// come out alike (they differ only in the middle) end in their class number instead,
    /// `~#3`, so that no two classes print the same.
    static func distinctCuts(_ names: [String], columns: Int) -> [String] {
        var cut = names.map { TerminalWidth.cutInside($0, columns: columns) }
        let counts = Dictionary(cut.map { ($0, 1) }, uniquingKeysWith: +)
        for i in cut.indices where counts[cut[i]]! > 1 && cut[i] != names[i] {
            let mark = "~#\(i)"
            cut[i] = TerminalWidth.prefix(names[i], columns: columns - mark.count) + mark
        }
        return cut
    }

    func table() -> String {
        // A class name with a line break (a quoted CSV label) on one line, as `show` does.
        let names = self.names.map(TextTable.oneLine)
        // A probability column is as wide as its class's name, up to 40 columns
        // (customer_segment_1/2/3 were all cut to "customer_se").
        let columns = Self.distinctCuts(names, columns: 40)
        let cells = columns.map { max(withStd ? 16 : 12, TerminalWidth.of($0) + 1) }
        func pad(_ s: String, _ n: Int) -> String { TerminalWidth.padded(s, to: n) }
        // Class names in full up to 40 columns ("setosa, the first" was cut to "setosa, the").
        let nameWidth = min(max(names.map(TerminalWidth.of).max() ?? 0, 9), 40)
        let shownNames = Self.distinctCuts(names, columns: nameWidth)
        var lines = [pad("sample", 8) + pad("predicted", nameWidth + 1) + (truth == nil ? "" : pad("label", nameWidth + 1)) + zip(columns, cells).map { pad($0, $1) }.joined()]
        for i in 0..<prediction.count {
            var line = pad(String(i), 8) + pad(shownNames[predicted[i]], nameWidth + 1)
            if let truth { line += pad(truth[i].map { shownNames[$0] } ?? "-", nameWidth + 1) }
            for j in 0..<prediction.width {
                line += pad(withStd ? String(format: "%.4f±%.4f", value(i, j), spread(i, j)) : String(format: "%.4f", value(i, j)), cells[j])
            }
            lines.append(line)
        }
        lines = TextTable.withoutTrailingSpaces(lines)
        if names.contains(where: { TerminalWidth.of($0) > 40 }) {
            lines.append("(class names longer than 40 columns are cut inside, marked ~; --format csv has them whole)")
        }
        if let (correct, counted) = accuracy {
            let unknown = prediction.count - counted
            if counted == 0 {
                lines.append("accuracy: none of the \(prediction.count) labels is one of the model's classes (\(names.prefix(10).joined(separator: ", "))\(names.count > 10 ? ", ..." : ""))")
            } else {
                lines.append(String(format: "accuracy %.4f (%d of %d samples)", Double(correct) / Double(counted), correct, counted)
                             + (unknown > 0 ? "; \(unknown) sample(s) without a label among the model's classes left out" : ""))
            }
        }
        return lines.joined(separator: "\n")
    }

    func csv() -> String {
        // (RFC 4180: a class name with a line break was written bare, and the file no longer read.)
        let quoted = CSV.field
        var header = ["sample", "predicted", "predicted_class"] + (truth == nil ? [] : ["label"]) + names.map { quoted("p_" + $0) }
        if withStd { header += names.map { quoted("std_" + $0) } }
        var text = header.joined(separator: ",") + "\n"
        for i in 0..<prediction.count {
            var fields = [String(i), String(predicted[i]), quoted(names[predicted[i]])]
            if let truth { fields.append(truth[i].map(String.init) ?? "") }
            fields += (0..<prediction.width).map { "\(value(i, $0))" }
            if withStd { fields += (0..<prediction.width).map { "\(spread(i, $0))" } }
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }

    struct Row: Encodable {
        var sample: Int
        var predicted: Int
        var predicted_class: String
        var label: Int?
        var probabilities: [Float]
        var std: [Float]?
    }

    struct Document: Encodable {
        var classes: [String]
        /// MC-dropout passes (0: deterministic).
        var mc_samples: Int
        var predictions: [Row]
        var accuracy: Double?
        var labelled_samples: Int?
    }

    func json() throws -> String {
        let w = prediction.width
        let rows = (0..<prediction.count).map { i in
            Row(sample: i, predicted: predicted[i], predicted_class: names[predicted[i]], label: truth?[i],
                probabilities: Array(prediction.mean[(i * w)..<((i + 1) * w)]),
                std: withStd ? Array(prediction.std[(i * w)..<((i + 1) * w)]) : nil)
        }
        let acc = accuracy
        return try JSONOutput.render(Document(
            classes: names, mc_samples: mcSamples, predictions: rows,
            accuracy: acc.flatMap { $0.counted > 0 ? Double($0.correct) / Double($0.counted) : nil }, labelled_samples: acc?.counted))
    }
}
