import Foundation
import Testing

/// Every file shipped in sweeps/ (all folders, W&B files by their path) passes `sweep
/// validate`, so an example cannot rot unnoticed when the format changes.
@Suite struct ShippedSweepFilesTests {
    /// The YAML files under sweeps/, relative to it, sorted.
    static func shippedFiles() -> [String] {
        let dir = SweepBinary.repositoryRoot.appendingPathComponent("sweeps").path
        let all = FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []
        return all.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }

    @Test func everyFileInSweepsValidates() throws {
        let files = Self.shippedFiles()
        #expect(files.count >= 20, "sweeps/ holds only \(files)")
        #expect(Set(files.compactMap { $0.split(separator: "/").dropLast().first.map(String.init) })
            .isSuperset(of: ["commands", "idx", "reference", "tabular", "transfer"]))
        let h = try SweepHarness("shipped-sweeps")
        defer { h.cleanUp() }
        // Data paths in the files are relative to the working directory: the tabular sets
        // that `make deps` exports (data/*.csv), and a small MNIST-shaped IDX set for
        // sweeps/idx (the real one is not shipped).
        let repositoryData = SweepBinary.repositoryRoot.appendingPathComponent("data")
        try FileManager.default.createDirectory(atPath: h.path("data/mnist"), withIntermediateDirectories: true)
        for name in ["iris.csv", "breast-cancer.csv", "diabetes.csv", "digits.csv"] {
            let source = repositoryData.appendingPathComponent(name).path
            try #require(FileManager.default.fileExists(atPath: source), "\(source) is missing: run `make example-data` (make deps does)")
            try FileManager.default.createSymbolicLink(atPath: h.path("data/\(name)"), withDestinationPath: source)
        }
        for (set, n) in [("train", 6000), ("t10k", 200)] {
            try Self.idx(h.path("data/mnist/\(set)-images-idx3-ubyte.gz"), dims: [n, 28, 28], payload: (0..<(n * 784)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try Self.idx(h.path("data/mnist/\(set)-labels-idx1-ubyte.gz"), dims: [n], payload: (0..<n).map { UInt8($0 % 10) })
        }
        // The base model sweeps/transfer's sweep starts from (its README trains it first from
        // a.yaml); `sweep validate` reads it as a model: a small one from the IDX set above.
        let base = try h.write("base.yaml", "data: {dataset: idx, train_file: data/mnist/train-images-idx3-ubyte.gz, train_labels: data/mnist/train-labels-idx1-ubyte.gz, train_limit: 300}\nmodel: {hidden: [8]}\ntraining: {epochs: 1}\n")
        try FileManager.default.createDirectory(atPath: h.path("runs"), withIntermediateDirectories: true)
        let trained = try h.run(["train", base, "--save-model", "runs/transfer-a.swm"], timeout: 120)
        try #require(trained.status == 0, "\(trained.output)")
        for file in files {
            let path = SweepBinary.repositoryRoot.appendingPathComponent("sweeps/\(file)").path
            let (status, output) = try h.run(["validate", path], timeout: 120)
            #expect(status == 0, "sweeps/\(file): \(output)")
            #expect(output.contains("\(path): valid sweep '") || output.contains("\(path): valid train file: "), "sweeps/\(file): \(output)")
        }
    }

    /// An unsigned-byte IDX file (uncompressed; the reader takes both).
    static func idx(_ path: String, dims: [Int], payload: [UInt8]) throws {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
        for d in dims { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        try Data(bytes + payload).write(to: URL(fileURLWithPath: path))
    }
}
