import Foundation
import Testing
@testable import Training

/// `data.classes` on Fashion-MNIST: kept classes relabelled in order, every split filtered
/// before its limit.
@Suite("Class subsets")
struct ClassSubsetTests {
    @Test func sandalVersusShirtWith200Images() throws {
        let config = DataConfig(dataset: .fashionMNIST, validation: 5000, trainLimit: 200, validationLimit: 300, testLimit: 500, classSubset: [5, 6])
        let dataset = try DatasetLoader.load(config)
        #expect(dataset.classNames == ["Sandal", "Shirt"] && dataset.classCount == 2)
        #expect(dataset.train.count == 200 && dataset.validation.count == 300 && dataset.test.count == 500)
        for split in Split.allCases { #expect(Set(dataset.split(split).labels) == [0, 1]) }

        // The same images as filtering the full data set by hand.
        let full = try DatasetLoader.load(DataConfig(dataset: .fashionMNIST, validation: 5000))
        let trainRows = full.train.labels.indices.filter { [5, 6].contains(full.train.labels[$0]) }.prefix(200)
        #expect(trainRows.map { full.train.labels[$0] == 5 ? Int32(0) : 1 } == dataset.train.labels)
        let last = trainRows.last!
        #expect(Array(full.train.features[(last * 784)..<((last + 1) * 784)]) == Array(dataset.train.features[(199 * 784)...]))
        let testRows = full.test.labels.indices.filter { [5, 6].contains(full.test.labels[$0]) }.prefix(500)
        #expect(testRows.map { full.test.labels[$0] == 5 ? Int32(0) : 1 } == dataset.test.labels)
        let validationRows = full.validation.labels.indices.filter { [5, 6].contains(full.validation.labels[$0]) }.prefix(300)
        #expect(validationRows.map { full.validation.labels[$0] == 5 ? Int32(0) : 1 } == dataset.validation.labels)
    }

    @Test func eightClassesKeepTheirOrder() throws {
        let subset = [0, 1, 2, 3, 4, 7, 8, 9]
        let dataset = try DatasetLoader.load(DataConfig(dataset: .fashionMNIST, validation: 1000, trainLimit: 3000, testLimit: 1000, classSubset: subset))
        #expect(dataset.classNames == subset.map { DatasetLoader.fashionMNISTClassNames[$0] })
        #expect(Set(dataset.train.labels) == Set(0..<8))
        // Labels 7, 8, 9 became 5, 6, 7; sandals (5) and shirts (6) are gone.
        let raw = try IDXData.readLabels(DatasetLoader.fashionMNISTFile(DataConfig.defaultFashionMNISTPath, "t10k-labels-idx1"))
        let kept = raw.filter { subset.contains(Int($0)) }.prefix(1000).map { Int32(subset.firstIndex(of: Int($0))!) }
        #expect(Array(kept) == dataset.test.labels)
        #expect(dataset.scaling.mode == .unit && dataset.scaling.scale.count == 784)
    }
}
