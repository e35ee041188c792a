import Foundation
import Testing
@testable import Training

/// `sweep train --save-model` and `sweep predict` end to end, through the built `sweep`
/// binary (``runSweep(_:in:timeout:)``; a missing binary fails the tests, never skips them).
@Suite("sweep predict")
struct PredictCommandTests {

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) { try runSweep(arguments) }

    /// A class name with a line break (legal in a quoted CSV label) is quoted in CSV output
    /// (it was written bare: the file no longer read) and escaped in the table.
    @Test func aClassNameWithALineBreakIsQuotedAndEscaped() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-predict-nl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = (0..<40).map { i in "\(Double(i) / 10),\(i % 2 == 0 ? "plain" : "\"versi\ncolor\"")" }
        try ("x,kind\n" + rows.joined(separator: "\n") + "\n").write(toFile: "\(dir)/d.csv", atomically: true, encoding: .utf8)
        try "seed: 1\ndata: {dataset: csv, train_file: \(dir)/d.csv, label: kind, validation: 0, test: 0}\nmodel: {hidden: [4]}\ntraining: {epochs: 1}\n"
            .write(toFile: "\(dir)/t.yaml", atomically: true, encoding: .utf8)
        let train = try runSweep(["train", "\(dir)/t.yaml", "--save-model", "\(dir)/m.swm"])
        #expect(train.status == 0, "\(train.output)")
        try "x\n0.5\n".write(toFile: "\(dir)/in.csv", atomically: true, encoding: .utf8)
        let csv = try runSweep(["predict", "\(dir)/m.swm", "\(dir)/in.csv", "--format", "csv"])
        #expect(csv.status == 0 && csv.output.hasPrefix("sample,predicted,predicted_class,p_plain,\"p_versi\ncolor\"\n"), "\(csv.output)")
        let table = try runSweep(["predict", "\(dir)/m.swm", "\(dir)/in.csv"])
        #expect(table.status == 0 && table.output.contains("versi\\ncolor") && !table.output.contains("versi\ncolor"), "\(table.output)")
    }

    /// A model trained on a .npy with labels 1..3 (its classes named "1", "2", "3"): pandas'
    /// header `0,1,2,3` of a samples CSV is a header (it was predicted as a sample, shifting
    /// every row by one), and a label 0 is no class (it was taken as the index of class "1").
    @Test func aNumberedHeaderIsAHeaderAndLabelsOutsideNumberedClassesAreLeftOut() throws {
        let dir = try DataDirectory()
        let x: [Float] = (0..<60).flatMap { (i: Int) -> [Float] in
            let c = Float(i % 3)
            return [c, Float(i % 5), c * 2, 1]
        }
        let xPath = try dir.npy("x.npy", descr: "<f4", shape: [60, 4], payload: littleEndian(x))
        let yPath = try dir.npy("y.npy", descr: "<i8", shape: [60], payload: littleEndian((0..<60).map { Int64($0 % 3 + 1) }))
        let trainFile = try dir.write("t.yaml", "seed: 1\ndata: {dataset: npy, train_file: \(xPath), train_labels: \(yPath), validation: 0, test: 0, scaling: standardize}\nmodel: {hidden: [8]}\ntraining: {epochs: 2}\n")
        let train = try run(["train", trainFile, "--save-model", "\(dir.path)/m.swm"])
        try #require(train.status == 0, "\(train.output)")
        let samples: [String] = ["0,1,2,3", "0,0,0,1", "1,1,2,1", "2,2,4,1"]
        let withHeader = try dir.write("pandas.csv", samples.joined(separator: "\n") + "\n")
        let without = try dir.write("plain.csv", Array(samples.dropFirst()).joined(separator: "\n") + "\n")
        let a = try run(["predict", "\(dir.path)/m.swm", withHeader, "--format", "csv"])
        let b = try run(["predict", "\(dir.path)/m.swm", without, "--format", "csv"])
        // (Said on stderr, which the harness merges with the predictions.)
        let note = "note: \(withHeader) line 1 (0,1,...,3) is read as pandas' header for unnamed columns, not as a sample\n"
        #expect(a.status == 0 && a.output.contains(note) && a.output.replacingOccurrences(of: note, with: "") == b.output, "\(a.output)\n\(b.output)")
        #expect(b.output.split(separator: "\n").count == 4, "\(b.output)")
        // Labels 0..2 against classes 1..3: 0 is none of them, left out and counted.
        let labels = try dir.write("labels.txt", "0\n1\n2\n")
        let scored = try run(["predict", "\(dir.path)/m.swm", without, "--labels", labels])
        #expect(scored.status == 0 && scored.output.contains("of 2 samples") && scored.output.contains("1 sample(s)"), "\(scored.output)")
    }

    @Test func trainSavePredictAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-predict-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A tiny blobs model with dropout (for an MC spread).
        let trainFile = "\(dir)/t.yaml", modelFile = "\(dir)/m.swm"
        try """
        seed: 3
        data: {dataset: blobs, samples: 300, classes: 3, scaling: standardize}
        model: {hidden: [16], dropout: 0.3}
        training: {epochs: 3, batch_size: 16}
        """.write(toFile: trainFile, atomically: true, encoding: .utf8)
        let train = try run(["train", trainFile, "--save-model", modelFile])
        #expect(train.status == 0, "\(train.output)")
        #expect(train.output.contains("model written to \(modelFile)"))

        // Predictions of the CLI equal the library's on the same raw rows.
        let config = TrialConfig(seed: 0, data: DataConfig(dataset: .blobs, scaling: Scaling.none, samples: 300, classes: 3)).data
        let raw = try DatasetLoader.load(config).test
        let rows = (0..<5).map { i in (0..<2).map { "\(raw.features[i * 2 + $0])" }.joined(separator: ",") }
        try (["x,y"] + rows).joined(separator: "\n").write(toFile: "\(dir)/in.csv", atomically: true, encoding: .utf8)
        try raw.labels.prefix(5).map(String.init).joined(separator: "\n").write(toFile: "\(dir)/labels.txt", atomically: true, encoding: .utf8)
        let model = try Model(path: modelFile)
        let expected = model.predict(Array(raw.features.prefix(10)), count: 5)
        // With the kernels of this process: others round the last bit differently (the
        // binary picks the best its CPU runs; see BLASKernels).
        let csv = try runSweep(["predict", modelFile, "\(dir)/in.csv", "--format", "csv"], environment: ["OPENBLAS_CORETYPE": BLASKernels.coreName])
        #expect(csv.status == 0, "\(csv.output)")
        let lines = csv.output.split(separator: "\n")
        #expect(lines.first == "sample,predicted,predicted_class,p_class 0,p_class 1,p_class 2")
        #expect(lines.count == 6)
        for (i, line) in lines.dropFirst().enumerated() {
            let values = line.split(separator: ",").dropFirst(3).map { Float(String($0))! }
            #expect(values == Array(expected.mean[(i * 3)..<(i * 3 + 3)]))
        }
        let table = try run(["predict", modelFile, "\(dir)/in.csv", "--labels", "\(dir)/labels.txt", "--mc-samples", "30", "--limit", "4"])
        #expect(table.status == 0)
        #expect(table.output.contains("±") && table.output.contains("of 4 samples"))
        let json = try run(["predict", modelFile, "\(dir)/in.csv", "--format", "json", "--mc-samples", "30"])
        let document = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as! [String: Any]
        let predictions = document["predictions"] as! [[String: Any]]
        #expect(predictions.count == 5)
        #expect((predictions[0]["std"] as! [Double]).contains { $0 > 0 })

        // Errors exit 2 with a message.
        try "1,2\n3,4,5\n".write(toFile: "\(dir)/bad.csv", atomically: true, encoding: .utf8)
        let shape = try run(["predict", modelFile, "\(dir)/bad.csv"])
        #expect(shape.status == 2 && shape.output.contains("\(dir)/bad.csv:2: the model expects 2 features per row, this line has 3"), "\(shape.output)")
        // A headerless file whose first row holds one field that is no number: an error there,
        // not a header dropped (every prediction then named the line before its own).
        try "NA,2\n3,4\n".write(toFile: "\(dir)/na.csv", atomically: true, encoding: .utf8)
        let na = try run(["predict", modelFile, "\(dir)/na.csv"])
        #expect(na.status == 2 && na.output.contains("\(dir)/na.csv:1:1: 'NA' is not a number"), "\(na.output)")
        // Tab- and semicolon-separated samples read as the commas do.
        for (name, separator) in [("in.tsv", "\t"), ("in.ssv", ";")] {
            try (["x\(separator)y"] + rows.map { $0.replacingOccurrences(of: ",", with: separator) }).joined(separator: "\n")
                .write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
            let other = try runSweep(["predict", modelFile, "\(dir)/\(name)", "--format", "csv"], environment: ["OPENBLAS_CORETYPE": BLASKernels.coreName])
            #expect(other.status == 0 && other.output == csv.output, "\(name): \(other.output)")
        }
        // More labels than samples scored the first ones against the wrong file (exit 0).
        try (raw.labels.prefix(6).map(String.init).joined(separator: "\n")).write(toFile: "\(dir)/six.txt", atomically: true, encoding: .utf8)
        let extra = try run(["predict", modelFile, "\(dir)/in.csv", "--labels", "\(dir)/six.txt"])
        #expect(extra.status == 2 && extra.output.contains("six.txt has 6 labels for the 5 samples of \(dir)/in.csv (with --limit N the first N of each are taken)"), "\(extra.output)")
        let missing = try run(["predict", "\(dir)/none.swm", "\(dir)/in.csv"])
        #expect(missing.status == 2 && missing.output.contains("no such file"))
        try Data("SWEEPMDL".utf8).write(to: URL(fileURLWithPath: "\(dir)/short.swm"))
        let short = try run(["predict", "\(dir)/short.swm", "\(dir)/in.csv"])
        #expect(short.status == 2 && short.output.contains("truncated"))
    }

    @Test
    func idxInputWithLabels() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-predict-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        data: {dataset: fashion_mnist, validation: 100, train_limit: 500, test_limit: 200}
        model: {hidden: [32]}
        training: {epochs: 2, batch_size: 32}
        """.write(toFile: "\(dir)/t.yaml", atomically: true, encoding: .utf8)
        let train = try run(["train", "\(dir)/t.yaml", "--save-model", "\(dir)/m.swm"])
        #expect(train.status == 0, "\(train.output)")
        let words = train.output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let accuracy = words[try #require(words.firstIndex(of: "test_accuracy")) + 1]
        let base = DataConfig.defaultFashionMNISTPath
        let out = try run(["predict", "\(dir)/m.swm", "\(base)/t10k-images-idx3-ubyte.gz", "--labels", "\(base)/t10k-labels-idx1-ubyte.gz", "--limit", "200"])
        #expect(out.status == 0)
        // The same accuracy as the trainer's evaluation of the first 200 test images.
        #expect(out.output.contains("accuracy \(accuracy.prefix(6))"), "\(out.output.suffix(200)) vs \(accuracy)")
    }
}
