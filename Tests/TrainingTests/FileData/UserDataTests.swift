import Foundation
import Testing
@testable import Training

/// What a newcomer's own files turned up: a model reads a table's columns by name, a class
/// only an evaluation file has is refused, values beyond float32 are located, a feature
/// constant in training stays 0 in every split, and `--metrics-out` fails before training.
@Suite("Data a user brings")
struct UserDataTests {
    /// `a,b,y` rows whose class is the sign of `a`; `order` gives the columns of the file.
    static func signTable(order: [String], extra: [String: (Int) -> String] = [:]) -> String {
        let rows = (0..<120).map { i -> String in
            let a = Double(i % 40 - 20) / 10 + 0.05, b = Double((i * 7) % 13) / 5
            let values: [String: String] = ["a": "\(a)", "b": "\(b)", "y": a > 0 ? "pos" : "neg"]
            return order.map { values[$0] ?? extra[$0]!(i) }.joined(separator: ",")
        }
        return ([order.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    @Test(arguments: ["", ", ignore: [id]"])
    func predictPicksTheTrainedColumnsByName(choice: String) throws {
        let dir = try DataDirectory()
        let id: [String: (Int) -> String] = ["id": { "\($0 * 31 % 97)" }]
        try dir.write("train.csv", Self.signTable(order: choice.isEmpty ? ["a", "b", "y"] : ["id", "a", "b", "y"], extra: id))
        try dir.write("t.yaml", """
            seed: 2
            data: {dataset: csv, train_file: train.csv, label: y, validation: 0, test: 0, scaling: standardize\(choice)}
            model: {hidden: [8]}
            training: {epochs: 15, batch_size: 16, optimizer: {name: adam, learning_rate: 0.01}}
            """)
        let train = try runSweep(["train", "t.yaml", "--save-model", "m.swm"], in: dir.path)
        #expect(train.status == 0, "\(train.output)")
        // The same rows with the columns in another order (and without the ignored one).
        try dir.write("same.csv", Self.signTable(order: ["a", "b", "y"]))
        try dir.write("swapped.csv", Self.signTable(order: ["y", "b", "a"]))
        let same = try runSweep(["predict", "m.swm", "same.csv", "--format", "csv"], in: dir.path)
        let swapped = try runSweep(["predict", "m.swm", "swapped.csv", "--format", "csv"], in: dir.path)
        #expect(same.status == 0 && swapped.status == 0, "\(same.output)\n\(swapped.output)")
        #expect(same.output.split(separator: "\n").count == 121)
        #expect(swapped.output == same.output)
        let accuracy = try runSweep(["predict", "m.swm", "swapped.csv"], in: dir.path)
        let line = try #require(accuracy.output.split(separator: "\n").last { $0.hasPrefix("accuracy ") }, "\(accuracy.output)")
        #expect(try #require(Double(line.split(separator: " ")[1])) >= 0.95, "\(line)")
        // A table without one of the model's columns is refused by name.
        try dir.write("partial.csv", "a,y\n0.5,pos\n")
        let partial = try runSweep(["predict", "m.swm", "partial.csv"], in: dir.path)
        #expect(partial.status == 2 && partial.output.contains("no feature column 'b'"), "\(partial.output)")
    }

    @Test func aLabelOnlyAnEvaluationFileHasIsRefusedAtItsLine() throws {
        let dir = try DataDirectory()
        let train = try dir.write("train.csv", "x,y\n" + (0..<8).map { "\(Double($0) / 8),\($0 % 2 == 0 ? "cat" : "dog")" }.joined(separator: "\n"))
        let test = try dir.write("test.csv", "x,y\n0.1,cat\n0.9,dgo\n")
        let json = #"{"dataset": "csv", "train_file": "\#(train)", "test_file": "\#(test)", "label": "y", "validation": 0"#
        let failure = try dataFailure(json + "}")
        #expect(failure == "data: label 'dgo' at \(test):3 does not occur in the training file \(train), so the model could not learn it "
            + "(a typo? to allow it, list every class in data.classes)")
        // Declared classes allow it.
        let declared = try loadData(json + #", "classes": ["cat", "dog", "dgo"]}"#)
        #expect(declared.classNames == ["cat", "dog", "dgo"] && declared.test.labels == [0, 2])

        // Arrays alike: validation labels 5 and 6 beside training labels 0 and 1.
        let x = try dir.npy("x.npy", descr: "<f4", shape: [4, 1], payload: littleEndian([0, 1, 2, 3] as [Float]))
        let y = try dir.npy("y.npy", descr: "<i8", shape: [4], payload: littleEndian([0, 1, 0, 1] as [Int64]))
        let xv = try dir.npy("xv.npy", descr: "<f4", shape: [2, 1], payload: littleEndian([0, 1] as [Float]))
        let yv = try dir.npy("yv.npy", descr: "<i8", shape: [2], payload: littleEndian([5, 6] as [Int64]))
        let arrays = try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "validation_file": "\#(xv)", "validation_labels": "\#(yv)", "test": 0}"#)
        #expect(arrays == "data: label '5' at \(yv): sample 0 does not occur in the training file \(x), so the model could not learn it "
            + "(a typo? to allow it, list every class in data.classes)")
    }

    @Test func integerLabelsWrittenAsFloatsAreOneClassAndColumnsAreNamedOnce() throws {
        let dir = try DataDirectory()
        let path = try dir.write("t.csv", "x,y\n" + (0..<8).map { "\($0),\($0 % 2 == 0 ? "1" : "2.0")" }.joined(separator: "\n") + "\n0.5,1.0\n")
        let data = try loadData(#"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "validation": 0, "test": 0}"#)
        #expect(data.classNames == ["1", "2"])
        #expect(data.train.labels.filter { $0 == 0 }.count == 5)
        do {
            _ = try decodeConfig(DataConfig.self, #"{"dataset": "csv", "train_file": "\#(path)", "label": "y", "columns": ["x", "x"]}"#)
            Issue.record("a column named twice was accepted")
        } catch {
            #expect("\(error)".contains("names the column 'x' twice"), "\(error)")
        }
    }

    @Test func aFloat64BeyondFloat32IsRefusedWithItsPlace() throws {
        let dir = try DataDirectory()
        var values = (0..<12).map { Double($0) }
        values[5 * 2 + 1] = 1e39
        let payload = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let x = try dir.npy("x.npy", descr: "<f8", shape: [6, 2], payload: payload)
        let y = try dir.npy("y.npy", descr: "<i8", shape: [6], payload: littleEndian([0, 1, 0, 1, 0, 1] as [Int64]))
        let failure = try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "validation": 0, "test": 0}"#)
        #expect(failure == "corrupt data file \(x): sample 5, value 1 is 1e+39, beyond the range of 32-bit floats (about 3.4e38) that training uses")
    }

    @Test func aShapeMismatchNamesTheFeaturesFile() throws {
        let dir = try DataDirectory()
        let x = try dir.npy("x.npy", descr: "<f4", shape: [4, 2], payload: littleEndian([Float](repeating: 1, count: 8)))
        let y = try dir.npy("y.npy", descr: "<i8", shape: [4], payload: littleEndian([0, 1, 0, 1] as [Int64]))
        let xv = try dir.npy("xv.npy", descr: "<f4", shape: [2, 3], payload: littleEndian([Float](repeating: 1, count: 6)))
        let yv = try dir.npy("yv.npy", descr: "<i8", shape: [2], payload: littleEndian([0, 1] as [Int64]))
        let failure = try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "validation_file": "\#(xv)", "validation_labels": "\#(yv)", "test": 0}"#)
        #expect(failure == "data: samples of \(xv) have shape [3], those of \(x) [2]")
    }

    @Test(arguments: ["standardize", "unit"])
    func aFeatureConstantInTrainingIsZeroInEverySplit(scaling: String) throws {
        let dir = try DataDirectory()
        let train = try dir.write("train.csv", "a,c,y\n" + (0..<10).map { "\($0),0,\($0 % 2)" }.joined(separator: "\n"))
        let test = try dir.write("test.csv", "a,c,y\n1,1000,1\n2,0,0\n3,-5,1\n")
        let data = try loadData(#"{"dataset": "csv", "train_file": "\#(train)", "test_file": "\#(test)", "label": "y", "validation": 0, "scaling": "\#(scaling)"}"#)
        #expect(rows(data.train).allSatisfy { $0[1] == 0 })
        #expect(rows(data.test).map { $0[1] } == [0, 0, 0])
        // The varying feature is scaled as before.
        #expect(Set(rows(data.train).map { $0[0] }).count == 10)
    }

    @Test func metricsOutInAMissingDirectoryIsRefusedBeforeTraining() throws {
        let dir = try DataDirectory()
        try dir.write("t.yaml", """
            data: {dataset: blobs, samples: 200, classes: 2}
            model: {hidden: [4]}
            training: {epochs: 1}
            """)
        let result = try runSweep(["train", "t.yaml", "--metrics-out", "nowhere/m.jsonl"], in: dir.path)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("--metrics-out: directory nowhere does not exist"), "\(result.output)")
        #expect(!result.output.contains("epoch 1"), "\(result.output)")
    }
}
