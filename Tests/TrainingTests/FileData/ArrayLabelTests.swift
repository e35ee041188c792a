import Foundation
import Testing
@testable import Training

/// Array data sets read in one pass: integer labels grouped as integers, the split rows in
/// file order, and a non-finite feature found where the features are copied out.
@Suite("Array labels, splits and non-finite features")
struct ArrayLabelTests {
    /// 30 samples of 2 float32 features (sample i: i, -i).
    func features(_ dir: DataDirectory, nanAt: (row: Int, column: Int)? = nil) throws -> String {
        var x = (0..<30).flatMap { i in [Float(i), Float(-i)] }
        if let nanAt { x[nanAt.row * 2 + nanAt.column] = .infinity }
        return try dir.npy("x.npy", descr: "<f4", shape: [30, 2], payload: littleEndian(x))
    }

    /// Negative and large int64 labels are classes in numeric order, named by their values.
    @Test func int64LabelsAreClassesInNumericOrder() throws {
        let dir = try DataDirectory()
        let x = try features(dir)
        let values: [Int64] = [-5, 7, 1_000_000_000_000]
        let y = try dir.npy("y.npy", descr: "<i8", shape: [30], payload: littleEndian((0..<30).map { values[$0 % 3] }))
        let data = try loadData(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "validation": 6, "test": 6}"#)
        #expect(data.classNames == ["-5", "7", "1000000000000"])
        for split in Split.allCases {
            let s = data.split(split)
            for (row, label) in zip(rows(s), s.labels) { #expect(Int(-row[1]) % 3 == Int(label)) }
        }
    }

    /// Float labels must be integers; the message names the file and sample.
    @Test func fractionalLabelIsAnError() throws {
        let dir = try DataDirectory()
        let x = try features(dir)
        let labels = (0..<30).map { Float($0 % 2) + ($0 == 11 ? 0.5 : 0) }
        let y = try dir.npy("y.npy", descr: "<f4", shape: [30], payload: littleEndian(labels))
        #expect(try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)"}"#)
            == "cannot use data file \(y): label 1.5 of sample 11 is not an integer class (a numeric target? set data.task: regression)")
        // One-hot labels are said to be (they were a "corrupt data file").
        let oneHot = try dir.npy("onehot.npy", descr: "<f4", shape: [30, 2], payload: littleEndian((0..<30).flatMap { $0 % 2 == 0 ? [1, 0] : [0, 1] as [Float] }))
        #expect(try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(oneHot)"}"#)
            == "cannot use data file \(oneHot): labels must be one value per sample (shape (n,) or (n, 1)), got shape [30, 2] (one-hot labels? store the class index instead: y.argmax(axis=1))")
    }

    /// A non-finite value in any split's rows is reported with its sample and index.
    @Test(arguments: [(3, 1), (17, 0), (29, 1)])
    func nonFiniteFeatureNamesItsSample(_ row: Int, _ column: Int) throws {
        let dir = try DataDirectory()
        let x = try features(dir, nanAt: (row, column))
        let y = try dir.npy("y.npy", descr: "<i8", shape: [30], payload: littleEndian((0..<30).map { Int64($0 % 2) }))
        let failure = try dataFailure(#"{"dataset": "npy", "train_file": "\#(x)", "train_labels": "\#(y)", "validation": 6, "test": 6}"#)
        #expect(failure == "corrupt data file \(x): sample \(row), value \(column) is not a finite number (NaN or infinity)")
    }

    /// Carved splits: disjoint, together every row, each in file order, stratified.
    @Test func splitRowsAreDisjointAndAscending() {
        let labels = (0..<1000).map { Int32($0 % 3) }
        let split = SplitPlanner.split(labels: labels, classCount: 3, validation: 150, test: 90, seed: 7, stratify: true)
        #expect(split.validation.count == 150 && split.test.count == 90 && split.train.count == 760)
        for rows in [split.train, split.validation, split.test] { #expect(rows == rows.sorted()) }
        #expect(Set(split.train + split.validation + split.test) == Set(0..<1000))
        #expect(split.test.filter { labels[$0] == 0 }.count == 30)
    }
}
