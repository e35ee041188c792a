import Foundation
import Testing
@testable import Training

/// The data checked before anything starts, and `sweep predict` on file data, through the
/// built `sweep` binary.
@Suite("Data through the command line")
struct DataCommandTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    @Test func missingDataFileStopsValidateTrainAndRunWithExit2() throws {
        let dir = try DataDirectory()
        let train = try dir.write("t.yaml", """
            data:
              dataset: csv
              train_file: \(dir.path)/nowhere.csv
              label: y
            """)
        let sweep = try dir.write("s.yaml", """
            study: s
            data: {dataset: csv, train_file: \(dir.path)/nowhere.csv, label: y}
            model: {hidden: [{int: [4, 8]}]}
            budget: {trials: 2}
            """)
        let expected = "data.train_file: no such file: \(dir.path)/nowhere.csv"
        for arguments in [["validate", train], ["train", train], ["validate", sweep], ["run", sweep, "--db", "\(dir.path)/s.db", "--workers", "1", "--no-progress"],
                          ["coordinator", sweep, "--db", "\(dir.path)/c.db", "--no-progress"]] {
            let result = try runSweep(arguments)
            let line = arguments[1] == train ? "\(train):3:" : "\(sweep):2:"
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.output.contains(line) && result.output.contains(expected), "\(arguments): \(result.output)")
        }
        // Nothing written.
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/s.db") && !FileManager.default.fileExists(atPath: "\(dir.path)/c.db"))
    }

    /// A relative data path is the current directory's; run from elsewhere, the message
    /// says so and names the file beside the sweep file (it said "no such file" alone).
    @Test func aRelativeDataPathFromAnotherDirectoryNamesTheFileBesideTheSweepFile() throws {
        let dir = try DataDirectory()
        try FileManager.default.createDirectory(atPath: "\(dir.path)/proj", withIntermediateDirectories: true)
        _ = try dir.write("proj/d.csv", "a,b,y\n" + (0..<20).map { "\($0),\($0 % 3),\($0 % 2 == 0 ? "p" : "q")" }.joined(separator: "\n"))
        _ = try dir.write("proj/s.yaml", "study: s\ndata: {dataset: csv, train_file: d.csv, label: y}\nmodel: {hidden: [4]}\nbudget: {trials: 2}\n")
        let away = try runSweep(["validate", "proj/s.yaml"], in: dir.path)
        #expect(away.status == 2 && away.output.contains("proj/s.yaml:2:34: data.train_file: no such file: d.csv (relative paths are from the current directory, ")
                && away.output.contains("there is one beside proj/s.yaml: proj/d.csv"), "\(away.output)")
        #expect(try runSweep(["validate", "s.yaml"], in: "\(dir.path)/proj").status == 0)
        // Found nowhere near: the message says where it looked.
        _ = try dir.write("proj/t.yaml", "study: t\ndata: {dataset: csv, train_file: data/none.csv, label: y}\nmodel: {hidden: [4]}\nbudget: {trials: 2}\n")
        let nowhere = try runSweep(["validate", "t.yaml"], in: "\(dir.path)/proj")
        #expect(nowhere.status == 2 && nowhere.output.contains("t.yaml:2:34: data.train_file: no such file: data/none.csv (relative to the current directory, ")
                && nowhere.output.contains("/proj)"), "\(nowhere.output)")
    }

    /// Each file a searched data field can name must exist: a typo in one choice passed
    /// `sweep validate` and failed that choice's trials once they ran.
    @Test func everyFileASearchedDataFieldNamesIsChecked() throws {
        let dir = try DataDirectory()
        let good = try dir.write("d.csv", "a,b,y\n" + (0..<20).map { "\($0),\($0 % 3),\($0 % 2 == 0 ? "p" : "q")" }.joined(separator: "\n"))
        let sweep = try dir.write("s.yaml", "study: s\ndata: {dataset: csv, train_file: {choice: [\(good), \(dir.path)/typo.csv]}, label: y}\nmodel: {hidden: [4]}\nbudget: {trials: 2}\n")
        let result = try runSweep(["validate", sweep])
        #expect(result.status == 2 && result.output.contains("s.yaml:2:34: data.train_file: no such file: \(dir.path)/typo.csv (a choice of the search)"), "\(result.output)")
        _ = try dir.write("typo.csv", try String(contentsOfFile: good, encoding: .utf8))
        #expect(try runSweep(["validate", sweep]).status == 0)
    }

    /// A base model that does not read as one is refused at validate, at its place (it
    /// passed, and every trial failed, or killed its worker with a crafted file).
    @Test func aTransferBaseModelIsReadAtValidate() throws {
        let dir = try DataDirectory()
        let garbage = try dir.write("bad.swm", [UInt8](repeating: 7, count: 100))
        for from in ["\(dir.path)/nowhere.swm", garbage] {
            let sweep = try dir.write("s.yaml", "study: s\ndata: {dataset: moons, samples: 100}\nmodel: {hidden: [4], transfer: {from: \(from)}}\ntraining: {epochs: 1}\nbudget: {trials: 2}\n")
            let result = try runSweep(["validate", sweep])
            #expect(result.status == 2 && result.output.contains("s.yaml:3:") && result.output.contains("model.transfer.from: '\(from)': "), "\(result.output)")
        }
        // A train file too, at validate and at train, at its line (train said it without a
        // place, with a hint for Swift callers; validate passed it), with the system's reason
        // (a directory was "NSCocoaErrorDomain error 256").
        for (from, reason) in [("\(dir.path)/nowhere.swm", "no such file"), (dir.path, "a directory, not a file"),
                               (garbage, "not a Sweep model file")] {
            let train = try dir.write("t.yaml", "data: {dataset: moons, samples: 100}\nmodel:\n  hidden: [4]\n  transfer: {from: \(from)}\ntraining: {epochs: 1}\n")
            for command in ["validate", "train"] {
                let result = try runSweep([command, train])
                #expect(result.status == 2 && result.output.contains("t.yaml:4:14: model.transfer.from: '\(from)': ") && result.output.contains(reason)
                        && !result.output.contains("Trainer("), "\(command): \(result.output)")
            }
        }
    }

    /// A base model whose input is not this data's width is refused at validate, in a sweep
    /// file and a train file (it passed, and every trial failed as it started).
    @Test func aTransferBaseModelThatDoesNotFitTheDataIsRefusedAtValidate() throws {
        let dir = try DataDirectory()
        let wide = try dir.write("wide.csv", "a,b,c,d,e,y\n" + (0..<30).map { "\($0),\($0 % 3),1,2,\($0 % 5),\($0 % 2 == 0 ? "p" : "q")" }.joined(separator: "\n"))
        let baseTrain = try dir.write("base.yaml", "seed: 1\ndata: {dataset: csv, train_file: \(wide), label: y, test: 0}\nmodel: {hidden: [4]}\ntraining: {epochs: 1}\n")
        let base = dir.path + "/base.swm"
        let trained = try runSweep(["train", baseTrain, "--no-test", "--save-model", base])
        try #require(trained.status == 0, "\(trained.output)")
        let sweep = try dir.write("s.yaml", "study: s\ndata: {dataset: moons, samples: 100}\nmodel: {hidden: [4], transfer: {from: \(base)}}\ntraining: {epochs: 1}\nbudget: {trials: 2}\n")
        let refused = try runSweep(["validate", sweep])
        #expect(refused.status == 2 && refused.output.contains("s.yaml:3:") && refused.output.contains("model.transfer.from: '\(base)': the base model takes 5 features per sample, this data set has 2"), "\(refused.output)")
        let train = try dir.write("t.yaml", "data: {dataset: moons, samples: 100}\nmodel: {hidden: [4], transfer: {from: \(base)}}\ntraining: {epochs: 1}\n")
        let refusedTrain = try runSweep(["validate", train])
        #expect(refusedTrain.status == 2 && refusedTrain.output.contains("t.yaml:2:") && refusedTrain.output.contains("the base model takes 5 features per sample, this data set has 2"), "\(refusedTrain.output)")
        // Data of its width passes.
        let fits = try dir.write("f.yaml", "study: f\ndata: {dataset: csv, train_file: \(wide), label: y}\nmodel: {hidden: [4], transfer: {from: \(base)}}\ntraining: {epochs: 1}\nbudget: {trials: 2}\n")
        let passed = try runSweep(["validate", fits])
        #expect(passed.status == 0, "\(passed.output)")
    }

    /// A validation fraction that leaves a small table no validation sample is refused when
    /// the objective is measured on it (every trial failed without a value).
    @Test func aSplitWithoutValidationSamplesIsRefusedForAValidationObjective() throws {
        let dir = try DataDirectory()
        let csv = try dir.write("two.csv", "a,b,y\n1,2,p\n3,4,q\n")
        let sweep = try dir.write("v.yaml", "study: v\ndata: {dataset: csv, train_file: \(csv), label: y, validation: 0.2}\nmodel: {hidden: [4]}\ntraining: {epochs: 1}\nbudget: {trials: 2}\n")
        let refused = try runSweep(["validate", sweep])
        #expect(refused.status == 2 && refused.output.contains("v.yaml:2:") && refused.output.contains("data.validation: the split leaves no validation sample (2 training, 0 validation, 0 test), and the objective 'val_accuracy' is measured on it"), "\(refused.output)")
        // Ranked by a training metric, it runs.
        let byLoss = try dir.write("l.yaml", "study: l\nobjective: {metric: loss, direction: minimize}\ndata: {dataset: csv, train_file: \(csv), label: y, validation: 0.2}\nmodel: {hidden: [4]}\ntraining: {epochs: 1}\nbudget: {trials: 2}\n")
        #expect(try runSweep(["validate", byLoss]).status == 0)
    }

    @Test func malformedTableAndMisfitNetworkAreLocated() throws {
        let dir = try DataDirectory()
        let csv = try dir.write("d.csv", "a,b,y\n1,2,p\n3,x,q\n")
        let train = try dir.write("t.yaml", "data: {dataset: csv, train_file: \(csv), label: y}\n")
        let result = try runSweep(["validate", train])
        #expect(result.status == 2 && result.output.contains("\(csv):3:3: 'x' in column 'b' is not a finite number"), "\(result.output)")

        // A conv layer on tabular rows: known to be wrong only once the data is read.
        let good = try dir.write("g.csv", "a,b,y\n" + (0..<20).map { "\($0),\($0 % 3),\($0 % 2 == 0 ? "p" : "q")" }.joined(separator: "\n"))
        let sweep = try dir.write("s.yaml", """
            study: s
            data: {dataset: csv, train_file: \(good), label: y}
            model:
              layers: [{conv2d: {filters: {int: [2, 4]}, kernel_size: 3}}]
            budget: {trials: 2}
            """)
        let misfit = try runSweep(["validate", sweep])
        #expect(misfit.status == 2 && misfit.output.contains("model.layers[0].conv2d"), "\(misfit.output)")
        // What the data tells comes at once: a two-class objective, a two-class loss and a
        // convolution on three-class table rows (one per run of `sweep validate`).
        let three = try dir.write("t.csv", "a,b,y\n" + (0..<30).map { "\($0),\($0 % 3),\(["p", "q", "r"][$0 % 3])" }.joined(separator: "\n"))
        let several = try dir.write("several.yaml", """
            study: s
            objective: val_auc
            data: {dataset: csv, train_file: \(three), label: y}
            model:
              loss: binary_cross_entropy
              conv: {blocks: 1, filters: 4}
            budget: {trials: 2}
            """)
        let all = try runSweep(["validate", several])
        let lines = all.output.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(all.status == 2 && lines.count == 3, "\(all.output)")
        #expect(all.output.contains("objective.metric: 'val_auc' exists only for two-class data sets") && all.output.contains("loss 'binary_cross_entropy' needs a two-class data set")
                && all.output.contains("model.conv: Conv2D needs image input"), "\(all.output)")
    }

    @Test func trainPredictWithClassNamesFromTablesAndNPY() throws {
        let dir = try DataDirectory()
        let model = "\(dir.path)/iris.swm"
        let train = try runSweep(["train", "\(repository)/sweeps/tabular/breast-cancer.yaml", "--save-model", model], in: repository)
        #expect(train.status == 0, "\(train.output)")
        let predict = try runSweep(["predict", model, "\(repository)/data/breast-cancer.csv", "--format", "json"])
        #expect(predict.status == 0, "\(predict.output)")
        let document = try JSONSerialization.jsonObject(with: Data(predict.output.utf8)) as! [String: Any]
        #expect(document["classes"] as? [String] == ["benign", "malignant"])
        #expect((document["accuracy"] as! Double) > 0.95 && document["labelled_samples"] as? Int == 569)

        // The same rows as a .npy of float64 (feature columns in file order).
        let text = try String(contentsOfFile: "\(repository)/data/breast-cancer.csv", encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().prefix(3).map { $0.split(separator: ",").dropLast().map { Double(String($0))! } }
        let payload = rows.flatMap { $0 }.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let npy = try dir.npy("x.npy", descr: "<f8", shape: [3, 30], payload: payload)
        let fromNPY = try runSweep(["predict", model, npy, "--format", "csv"])
        let fromCSV = try runSweep(["predict", model, "\(repository)/data/breast-cancer.csv", "--format", "csv", "--limit", "3"])
        #expect(fromNPY.status == 0, "\(fromNPY.output)")
        let classes = fromNPY.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }
        #expect(classes == ["malignant", "malignant", "malignant"])
        #expect(fromCSV.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] } == classes)
        // The table pads its columns, not past the last one.
        let table = try runSweep(["predict", model, npy])
        #expect(table.status == 0 && table.output.contains("malignant") && !table.output.split(separator: "\n").contains { $0.hasSuffix(" ") }, "\(table.output)")
    }

    /// Integer labels named by `data.classes` (`1, 2, 3` as `[small, medium, large]`): the
    /// model keeps each class's label value, so a table labelled as the training file was,
    /// or `--labels` of those values, is scored ("none of the 60 labels is one of the
    /// model's classes" before).
    @Test func integerLabelsNamedByClassesAreScored() throws {
        let dir = try DataDirectory()
        // Three well-apart blobs; class k has label k + 1.
        func rows(_ n: Int, offset: Int) -> [String] {
            (0..<n).map { i in
                let k = i % 3, jitter = Double((i * 37 + offset) % 11) / 20
                return "\(Double(k * 4) + jitter),\(Double(-k * 3) - jitter),\(k + 1)"
            }
        }
        try dir.write("train.csv", "a,b,label\n" + rows(300, offset: 0).joined(separator: "\n") + "\n")
        try dir.write("test.csv", "a,b,label\n" + rows(60, offset: 5).joined(separator: "\n") + "\n")
        try dir.write("labels.txt", (0..<60).map { "\($0 % 3 + 1)" }.joined(separator: "\n") + "\n")
        // The same labels by their names (refused: "none of the labels is one of the classes").
        try dir.write("names.txt", (0..<60).map { ["small", "medium", "large"][$0 % 3] }.joined(separator: "\n") + "\n")
        // With Windows line ends (Python's csv module writes them): "0 labels" was the answer.
        try dir.write("crlf.txt", "label\r\n" + (0..<60).map { "\($0 % 3 + 1)" }.joined(separator: "\r\n") + "\r\n")
        try dir.write("t.yaml", """
            seed: 3
            data: {dataset: csv, train_file: train.csv, label: label, classes: [small, medium, large], validation: 30}
            model: {hidden: [8]}
            training: {epochs: 20, optimizer: {name: adam, learning_rate: 0.02}}
            """)
        let train = try runSweep(["train", "t.yaml", "--save-model", "m.swm", "--no-test"], in: dir.path)
        #expect(train.status == 0, "\(train.output)")
        for extra in [[], ["--labels", "labels.txt"], ["--labels", "names.txt"], ["--labels", "crlf.txt"]] {
            let predict = try runSweep(["predict", "m.swm", "test.csv", "--format", "json"] + extra, in: dir.path)
            #expect(predict.status == 0, "\(predict.output)")
            let document = try JSONSerialization.jsonObject(with: Data(predict.output.utf8)) as! [String: Any]
            #expect(document["labelled_samples"] as? Int == 60, "\(extra): \(predict.output.prefix(300))")
            #expect((document["accuracy"] as? Double ?? 0) > 0.9, "\(extra)")
        }
        // Rows without a label are predicted, not scored (the table was refused whole).
        try dir.write("partial.csv", "a,b,label\n0.1,-0.1,1\n4.2,-3.1,2\n8.1,-6.2,\n0.2,-0.2,NA\n")
        let partial = try runSweep(["predict", "m.swm", "partial.csv", "--format", "json"], in: dir.path)
        #expect(partial.status == 0, "\(partial.output)")
        let document = try JSONSerialization.jsonObject(with: Data(partial.output.utf8)) as! [String: Any]
        #expect((document["predictions"] as? [Any])?.count == 4 && document["labelled_samples"] as? Int == 2, "\(partial.output.prefix(400))")
    }

    @Test func binaryOnlyObjectiveOnThreeClassesIsRefused() throws {
        let dir = try DataDirectory()
        let sweep = try dir.write("s.yaml", """
            study: s
            objective: {metric: val_auc, direction: maximize}
            data: {dataset: csv, train_file: \(repository)/data/iris.csv, label: species}
            model: {hidden: [{int: [4, 8]}]}
            budget: {trials: 2}
            """)
        let result = try runSweep(["validate", sweep])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("\(sweep):2:") && result.output.contains("objective.metric: 'val_auc' exists only for two-class data sets; this data has 3 classes"), "\(result.output)")
    }

    /// A worker whose data file differs from the coordinator's trains on the coordinator's
    /// copy, with a warning naming both fingerprints (it failed every trial, and five in a
    /// row stopped the study); where the coordinator ships nothing, the trial fails naming
    /// them (coordinator and worker in different directories, the same relative path).
    @Test func workerWithOtherDataUsesTheCoordinatorsCopy() throws {
        let coordinatorDir = try DataDirectory(), workerDir = try DataDirectory()
        let rows = (1...10).map { "\($0),\($0 % 2 == 0 ? "q" : "p")" }
        try coordinatorDir.write("d.csv", "a,y\n" + rows.joined(separator: "\n") + "\n")
        let otherCopy = "a,y\n" + rows.dropLast().joined(separator: "\n") + "\n11,q\n"
        try workerDir.write("d.csv", otherCopy)
        try coordinatorDir.write("s.yaml", """
            study: fp
            data: {dataset: csv, train_file: d.csv, label: y, validation: 2, test: 2}
            model: {hidden: [{int: [2, 4]}]}
            training: {epochs: 1}
            budget: {trials: 1}
            retry: {max_attempts: 1}
            """)
        let ours = try DataFingerprint.of(DataFiles(train: "\(coordinatorDir.path)/d.csv", label: "y"))
        let theirs = try DataFingerprint.of(DataFiles(train: "\(workerDir.path)/d.csv", label: "y"))
        for (database, shipping) in [("s.db", [String]()), ("noship.db", ["--ship-data-max-mib", "0"])] {
            let port = Int.random(in: 20_000..<60_000)
            let coordinator = Process()
            coordinator.executableURL = URL(fileURLWithPath: sweepBinary)
            coordinator.arguments = ["coordinator", "s.yaml", "--bind", "tcp://127.0.0.1:\(port)", "--db", database, "--no-progress"] + shipping
            coordinator.currentDirectoryURL = URL(fileURLWithPath: coordinatorDir.path)
            coordinator.standardOutput = FileHandle.nullDevice
            coordinator.standardError = FileHandle.nullDevice
            try coordinator.run()
            defer { if coordinator.isRunning { coordinator.terminate() } }
            let worker = try runSweep(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--max-trials", "1", "--data-cache", "\(workerDir.path)/cache-\(database)"], in: workerDir.path)
            #expect(worker.status == 0, "\(worker.output)")
            coordinator.waitUntilExit()
            let show = try runSweep(["show", "fp", "0", "--db", database], in: coordinatorDir.path)
            if shipping.isEmpty {
                #expect(show.output.contains("COMPLETE"), "\(show.output)")
                #expect(worker.output.contains("this machine's d.csv differs from the coordinator's data (\(theirs) against \(ours)): asking the coordinator for its copy"), "\(worker.output)")
            } else {
                #expect(show.output.contains("FAIL") && show.output.contains(
                    "this machine's d.csv differs from the coordinator's data (\(theirs) against \(ours)), and the coordinator does not ship them"), "\(show.output)")
            }
        }
        #expect(try String(contentsOfFile: "\(workerDir.path)/d.csv", encoding: .utf8) == otherCopy, "the worker's own file is never replaced")
    }

    @Test func exampleSweepsValidate() throws {
        for file in ["sweeps/tabular/iris.yaml", "sweeps/tabular/breast-cancer.yaml"] {
            let result = try runSweep(["validate", file], in: repository)
            #expect(result.status == 0, "\(file): \(result.output)")
        }
        // The IDX example on a small generated MNIST-like set (28x28 bytes, 10 classes).
        let dir = try DataDirectory()
        try FileManager.default.createDirectory(atPath: "\(dir.path)/data/mnist", withIntermediateDirectories: true)
        for (name, n) in [("train", 6000), ("t10k", 200)] {
            try dir.idx("data/mnist/\(name)-images-idx3-ubyte.gz", type: 0x08, dims: [n, 28, 28], payload: (0..<(n * 784)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try dir.idx("data/mnist/\(name)-labels-idx1-ubyte.gz", type: 0x08, dims: [n], payload: (0..<n).map { UInt8($0 % 10) })
        }
        let result = try runSweep(["validate", "\(repository)/sweeps/idx/mnist.yaml"], in: dir.path)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("valid sweep 'mnist-cnn'"), "\(result.output)")
    }
}
