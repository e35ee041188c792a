import Foundation
import Testing
@testable import Training

@Suite("Data sets")
struct DataTests {
    func idxHeader(_ type: UInt8, _ dims: [Int]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, type, UInt8(dims.count)]
        for d in dims { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return bytes
    }

    @Test func parsesIDX() throws {
        let file = try IDXFile.parse(idxHeader(8, [2, 2, 3]) + [UInt8](0..<12), path: "x", rank: 3)
        #expect(file.dimensions == [2, 2, 3] && file.count == 2 && file.itemSize == 6)
        #expect(file.bytes[file.payloadOffset + 7] == 7)
    }

    @Test func rejectsCorruptIDX() {
        func reason(_ bytes: [UInt8], rank: Int = 3) -> String? {
            do { _ = try IDXFile.parse(bytes, path: "/data/f.gz", rank: rank); return nil } catch let e as DataError { return e.description } catch { return nil }
        }
        #expect(reason([1, 2]).map { $0.contains("shorter than the IDX header") } == true)
        #expect(reason([9, 9, 8, 3] + [UInt8](repeating: 0, count: 12)).map { $0.contains("bad IDX magic") } == true)
        #expect(reason(idxHeader(0x0D, [1, 1, 1]) + [0, 0, 0, 0]).map { $0.contains("not unsigned byte") } == true)
        #expect(reason(idxHeader(8, [2]) + [1, 2], rank: 3).map { $0.contains("expected 3 dimensions") } == true)
        #expect(reason(idxHeader(8, [2, 2, 2]) + [1, 2, 3]).map { $0.contains("header promises 8 values") && $0.contains("/data/f.gz") } == true)
    }

    @Test func missingFileNamesPathAndPackage() {
        let config = DataConfig(dataset: .fashionMNIST, path: "/nonexistent/fmnist")
        #expect(throws: DataError.missingFile(path: "/nonexistent/fmnist/train-images-idx3-ubyte.gz")) { try DatasetLoader.load(config) }
        let message = DataError.missingFile(path: "/nonexistent/fmnist/train-images-idx3-ubyte.gz").description
        #expect(message.contains("/nonexistent/fmnist/train-images-idx3-ubyte.gz") && message.contains("apt install dataset-fashion-mnist"))
    }

    @Test(arguments: [DatasetName.moons, .xor, .blobs, .spirals, .invertBits])
    func syntheticSetsAreSeededAndSplit(_ name: DatasetName) throws {
        let config = DataConfig(dataset: name, samples: 500, seed: 4)
        let a = try DatasetLoader.load(config), b = try DatasetLoader.load(config)
        #expect(a.train.count == 500 && a.validation.count == 100 && a.test.count == 100)
        #expect(a.train.features == b.train.features && a.test.labels == b.test.labels)
        var other = config
        other.seed = 5
        #expect(try DatasetLoader.load(other).train.features != a.train.features)
        #expect(Set(a.train.labels).count == config.classCount)
        #expect(a.train.labels.allSatisfy { $0 >= 0 && Int($0) < config.classCount! })
        #expect(a.train.width == (name == .invertBits ? 1 : 2))
    }

    @Test func invertBitsLabelIsTheInvertedBit() throws {
        let data = try DatasetLoader.load(DataConfig(dataset: .invertBits, samples: 100, noise: 0))
        for i in 0..<data.train.count { #expect(Int32(1 - data.train.features[i]) == data.train.labels[i]) }
    }

    @Test func standardizationUsesTrainingStatistics() throws {
        let data = try DatasetLoader.load(DataConfig(dataset: .blobs, scaling: .standardize, samples: 400))
        for j in 0..<2 {
            let column = stride(from: j, to: data.train.features.count, by: 2).map { Double(data.train.features[$0]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(column.count)
            #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-4)
        }
        let unit = try DatasetLoader.load(DataConfig(dataset: .blobs, scaling: .unit, samples: 400))
        #expect(unit.train.features.min() == 0 && unit.train.features.max() == 1)
    }

    /// Only a feature whose values are all equal is constant, at any scale: one in units of
    /// 1e-9 was zeroed (a fixed cutoff of 1e-8 on its spread), and a constant 1000 got a
    /// spread from rounding.
    @Test func standardizationScalesSmallFeaturesAndZeroesOnlyConstantOnes() {
        let rows = 200
        var x = [Float]()
        for r in 0..<rows {
            let t = Float(r % 7) - 3
            x += [t * 1e-9, 1000, t * 1e-30 + 1e-28, 5e-39 * Float(r % 2)]
        }
        let original = x
        var validation = [Float](), test: [Float] = [1e-9, 1000.5, 0, 0]
        let scaling = FeatureScaling.scale(.standardize, bytes: false, width: 4, train: &x, validation: &validation, test: &test)
        for j in [0, 2] {
            let column = stride(from: j, to: x.count, by: 4).map { Double(x[$0]) }
            let mean = column.reduce(0, +) / Double(rows)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)
            #expect(abs(mean) < 1e-4 && abs(variance - 1) < 1e-3, "feature \(j): mean \(mean), variance \(variance)")
        }
        // The constant 1000 maps to 0, as does a value that differs in another split.
        #expect(scaling.scale[1] == 0 && stride(from: 1, to: x.count, by: 4).allSatisfy { x[$0] == 0 } && test[1] == 0)
        // Subnormal spreads (1/std beyond Float) count as constant rather than overflowing.
        #expect(scaling.scale[3] == 0 && x.allSatisfy(\.isFinite) && test.allSatisfy(\.isFinite))
        let t = stride(from: 0, to: original.count, by: 4).map { Double(original[$0]) }
        let m = t.reduce(0, +) / Double(rows), sd = (t.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(rows)).squareRoot()
        #expect(abs(Double(test[0]) - (Double(Float(1e-9)) - m) / sd) < 1e-4, "\(test[0])")
    }

    @Test func limitsKeepTheFirstSamples() throws {
        let full = try DatasetLoader.load(DataConfig(dataset: .moons, samples: 300, seed: 2))
        let limited = try DatasetLoader.load(DataConfig(dataset: .moons, trainLimit: 50, validationLimit: 10, testLimit: 5, samples: 300, seed: 2))
        #expect(limited.train.count == 50 && limited.validation.count == 10 && limited.test.count == 5)
        #expect(Array(full.train.features.prefix(100)) == limited.train.features)
    }

    @Test
    func fashionMNISTSplits() throws {
        let data = try DatasetLoader.load(DataConfig(dataset: .fashionMNIST, validation: 5000, trainLimit: 100, validationLimit: 50, testLimit: 20))
        #expect(data.train.count == 100 && data.validation.count == 50 && data.test.count == 20)
        #expect(data.sampleShape == [28, 28] && data.classCount == 10)
        #expect(data.train.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(data.train.features.contains { $0 == 1 })  // some pixel is 255
        // By default the validation split is the FIRST 5,000 images (Géron's notebook), the
        // training split starts right after them.
        let raw = try IDXFile.read(DatasetLoader.fashionMNISTFile(DataConfig.defaultFashionMNISTPath, "train-images-idx3"), rank: 3)
        func image(_ i: Int) -> [Float] { raw.bytes[(raw.payloadOffset + i * 784)..<(raw.payloadOffset + (i + 1) * 784)].map { Float($0) * (1 / 255 as Float) + 0 } }
        #expect(Array(data.validation.features[0..<784]) == image(0))
        #expect(Array(data.train.features[0..<784]) == image(5000))
        // validation_from: last keeps the previous convention.
        let last = try DatasetLoader.load(DataConfig(dataset: .fashionMNIST, validation: 5000, trainLimit: 1, validationLimit: 1, validationFrom: .last))
        #expect(Array(last.validation.features[0..<784]) == image(55_000) && Array(last.train.features[0..<784]) == image(0))
    }
}

@Suite("Dataset cache")
struct DatasetCacheTests {
    @Test func loadsEachConfigurationOnce() async throws {
        let cache = DatasetCache()
        let config = DataConfig(dataset: .spirals, samples: 100)
        let a = try cache.dataset(for: config), b = try cache.dataset(for: config)
        #expect(a === b)
        let c = try cache.dataset(for: DataConfig(dataset: .spirals, samples: 120))
        #expect(c !== a && cache.count == 2)
        // Shared across tasks: every task gets the same instance.
        let identities = try await withThrowingTaskGroup(of: ObjectIdentifier.self) { group in
            for _ in 0..<8 { group.addTask { ObjectIdentifier(try cache.dataset(for: config)) } }
            return try await group.reduce(into: Set<ObjectIdentifier>()) { $0.insert($1) }
        }
        #expect(identities == [ObjectIdentifier(a)])
        cache.removeAll()
        #expect(cache.count == 0)
    }
}

/// What `sweep retrain` trains on: the trial's own splits, validation joined to training.
@Suite struct ValidationJoinedToTrainingTests {
    @Test func classificationSamplesAreTheTrainingThenTheValidationOnes() throws {
        let data = try DatasetLoader.load(DataConfig(dataset: .blobs, validation: 40, scaling: .standardize, samples: 120, seed: 5))
        let joined = data.validationJoinedToTraining()
        #expect(joined.train.count == data.train.count + data.validation.count && joined.validation.count == 0)
        #expect(joined.train.features == data.train.features + data.validation.features)
        #expect(joined.train.labels == data.train.labels + data.validation.labels)
        #expect(joined.test.features == data.test.features && joined.test.labels == data.test.labels)
        #expect(joined.scaling == data.scaling && joined.classNames == data.classNames)
    }

    @Test func regressionTargetsComeAlong() {
        let config = DataConfig(dataset: .csv, task: .regression)
        let data = Dataset(config: config, sampleShape: [2], classNames: [],
                           train: DataSplit(features: [1, 2, 3, 4], targets: [0.5, -0.5], width: 2),
                           validation: DataSplit(features: [5, 6], targets: [1.5], width: 2),
                           test: DataSplit(features: [7, 8], targets: [2], width: 2),
                           targetScale: TargetScale(mean: 3, std: 2))
        let joined = data.validationJoinedToTraining()
        #expect(joined.train.features == [1, 2, 3, 4, 5, 6] && joined.train.targets == [0.5, -0.5, 1.5])
        #expect(joined.validation.count == 0 && joined.validation.targets.isEmpty && joined.test.targets == [2])
        #expect(joined.targetScale == data.targetScale)
    }
}
