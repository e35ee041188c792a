import Foundation
import Testing
@testable import Training

/// The `data` keys of file data sets, and training on them.
@Suite("File data set configuration")
struct FileDataConfigTests {
    func failure(_ data: String) -> (path: String, message: String)? {
        decodingFailure { _ = try decodeConfig(TrialConfig.self, #"{"data": \#(data)}"#) }
    }

    @Test func requiredAndExclusiveFields() {
        #expect(failure(#"{"dataset": "csv", "label": "y"}"#)! == ("data.dataset", "dataset 'csv' needs train_file (the training samples)"))
        #expect(failure(#"{"dataset": "csv", "train_file": "a.csv"}"#)! == ("data.dataset", "dataset 'csv' needs label (the name of the label column)"))
        #expect(failure(#"{"dataset": "npy", "train_file": "x.npy"}"#)! == ("data.train_file", "dataset 'npy' needs train_labels beside train_file"))
        #expect(failure(#"{"dataset": "idx", "train_file": "x", "train_labels": "y", "test_file": "t"}"#)! == ("data.test_file", "needs test_labels beside it"))
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "validation": 10, "validation_file": "v"}"#)!
            == ("data.validation", "give either a validation size or a validation_file, not both"))
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "test": 1.5}"#)!
            == ("data.test", "must be a sample count (e.g. 500) or a fraction in [0, 1) of the training file (e.g. 0.2)"))
        // `1.0` (all of the file?) reads as the count 1: refused either way, it is never meant.
        for one in ["1.0", "1"] {
            #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "validation": \#(one)}"#)!
                == ("data.validation", "1 would hold out a single sample; give a fraction below 1 of the training file (e.g. 0.2) or a sample count (e.g. 500)"))
        }
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "test": 1.0}"#)?.path == "data.test")
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "validation": 2, "test": 0.99}"#) == nil)
        // Fractions that leave nothing to train on, found when the file is read (a searched
        // `validation: {choice: [0.2, 0.9]}` validated, then its trials failed).
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "validation": 0.9, "test": 0.2}"#)!
            == ("data.validation", "validation 0.9 and test 0.2 of the training file leave nothing to train on (together they must be below 1)"))
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "test": 0.8}"#)?.path == "data.test")
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "validation": 0.5, "test": 0.49}"#) == nil)
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "separator": ";;"}"#)!
            == ("data.separator", "must be one character such as ',' ';' '|' or a tab (\"\\t\"), got ';;'"))
        #expect(failure(#"{"dataset": "npy", "train_file": "x", "train_labels": "y", "header": false}"#)?.message
            .hasPrefix("'header' does not apply to dataset 'npy'") == true)
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "columns": ["a"], "ignore": ["b"]}"#)!
            == ("data.ignore", "give either columns (the ones used) or ignore (the ones left out), not both"))
        #expect(failure(#"{"dataset": "npy", "train_file": "x", "train_labels": "y", "label": "z"}"#)?.message
            .hasPrefix("'label' does not apply to dataset 'npy'") == true)
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "missing": "drop"}"#)!
            == ("data.missing", "unknown missing 'drop'; expected one of: error, mean, zero"))
        #expect(failure(#"{"dataset": "csv", "train_file": "a", "label": "y", "classes": ["x"]}"#)!
            == ("data.classes", "needs at least two classes, got [\"x\"]"))
        #expect(failure(#"{"dataset": "fashion_mnist", "validation_from": "middle"}"#)!
            == ("data.validation_from", "unknown validation_from 'middle'; expected one of: first, last"))
    }

    @Test func roundTripsThroughJSON() throws {
        let json = #"""
        {"dataset": "csv", "train_file": "a.csv", "test_file": "t.csv", "label": "y", "ignore": ["id"], "validation": 0.25,
         "missing": "mean", "classes": ["n", "p"], "shape": [2, 1, 1], "stratify": false, "seed": 9}
        """#
        let headerless = try decodeConfig(DataConfig.self, #"{"dataset": "csv", "train_file": "a.data", "label": 4, "ignore": [0], "header": false, "separator": ";"}"#)
        #expect(headerless.files?.label == "4" && headerless.files?.ignore == ["0"] && headerless.files?.resolvedSeparator(.csv) == UInt8(ascii: ";"))
        #expect(try roundTrip(headerless) == headerless)
        let config = try decodeConfig(DataConfig.self, json)
        #expect(config.validationFraction == 0.25 && config.files?.test == "t.csv" && config.files?.classNames == ["n", "p"])
        #expect(try roundTrip(config) == config)
        #expect(config.classCount == 2 && config.sampleShape == [2, 1, 1])
        let fashion = try decodeConfig(DataConfig.self, #"{"dataset": "fashion_mnist", "validation_from": "last"}"#)
        #expect(fashion.resolvedValidationFrom == .last)
        #expect(try roundTrip(fashion) == fashion)
        #expect(try decodeConfig(DataConfig.self, #"{"dataset": "fashion_mnist"}"#).resolvedValidationFrom == .first)
    }

    /// Three separable clusters in a CSV: the trainer learns them, the model file keeps the
    /// class names, and a network that does not fit the data is named once it is loaded.
    @Test func trainsAndStoresClassNames() throws {
        let dir = try DataDirectory()
        var lines = ["u,v,kind"]
        var rng = 12345 as UInt64
        func noise() -> Double { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Double(rng >> 40) / Double(1 << 24) - 0.5 }
        let names = ["red", "green", "blue"]
        for i in 0..<300 {
            let c = i % 3
            lines.append("\(Double(c * 3) + noise()),\(Double((c % 2) * 3) + noise()),\(names[c])")
        }
        let path = try dir.write("clusters.csv", lines.joined(separator: "\n"))
        let config = try decodeConfig(TrialConfig.self, #"""
            {"seed": 1, "data": {"dataset": "csv", "train_file": "\#(path)", "label": "kind", "scaling": "standardize"},
             "model": {"hidden": [16]}, "training": {"epochs": 15, "batch_size": 16, "optimizer": {"name": "adam", "learning_rate": 0.01}}}
            """#)
        let dataset = try DatasetLoader.load(config.data)
        let trainer = try Trainer(config: config, dataset: dataset)
        _ = try trainer.fit { _ in .proceed }
        #expect(trainer.evaluate(.test)["accuracy"]! > 0.95)
        let model = try Model(bytes: try ModelFile.encode(trainer))
        #expect(model.classNames == ["blue", "green", "red"] && model.featureCount == 2)

        // Loaded data is known to decoding: a loss that needs two classes is refused at its field.
        let binary = #"{"data": {"dataset": "csv", "train_file": "\#(path)", "label": "kind", "scaling": "standardize"}, "model": {"loss": "binary_cross_entropy"}}"#
        #expect(decodingFailure { _ = try decodeConfig(TrialConfig.self, binary) }?.message
            == "loss 'binary_cross_entropy' needs a two-class data set; 'csv' has 3 classes")
        var unloaded = config
        unloaded.data.seed = 77 // a configuration whose data was not loaded yet: checked by the trainer
        unloaded.model.loss = .binaryCrossEntropy
        #expect(throws: TrainingError.self) { try Trainer(config: unloaded, dataset: try DatasetLoader.load(config.data)) }
    }
}
