import Foundation
import Testing
@testable import Training

/// Decoding, validation messages and round trips of `model.conv`, `model.layers`,
/// `model.transfer` and `data.classes` subsets.
@Suite("Convolutional and transfer configuration")
struct ConvConfigTests {
    func failure(_ json: String) -> (path: String, message: String)? {
        decodingFailure { _ = try decodeConfig(TrialConfig.self, json) }
    }

    static let fashion = #""data": {"dataset": "fashion_mnist"}"#

    @Test func layerListDecodesEveryForm() throws {
        let json = #"{\#(Self.fashion), "model": {"activation": "relu", "layers": [{"conv2d": {"filters": 32, "kernel_size": 3, "padding": "valid"}}, {"max_pool": 2}, {"average_pool": {"pool_size": [2, 1], "strides": 1, "padding": "same"}}, "batch_norm", {"dropout": 0.25}, {"activation": {"name": "leaky_relu", "alpha": 0.2}}, "flatten", {"dense": 128}, {"dense": {"units": 64, "activation": "tanh"}}]}}"#
        let config = try decodeConfig(TrialConfig.self, json)
        let layers = try #require(config.model.layers)
        #expect(layers == [
            .conv2d(Conv2DSpec(filters: 32, kernelSize: WindowSize(3), padding: .valid)),
            .maxPool(PoolSpec(poolSize: WindowSize(2))),
            .averagePool(PoolSpec(poolSize: WindowSize(2, 1), strides: WindowSize(1), padding: .same)),
            .batchNorm, .dropout(0.25), .activation(.leakyReLU(alpha: 0.2)), .flatten,
            .dense(DenseSpec(units: 128)), .dense(DenseSpec(units: 64, activation: .tanh)),
        ])
        #expect(config.model.hidden.isEmpty && config.model.isConvolutional)
        #expect(try roundTrip(config) == config)
    }

    @Test func convBlocksDecodeWithDefaultsAndRoundTrip() throws {
        let config = try decodeConfig(TrialConfig.self, #"{\#(Self.fashion), "model": {"conv": {"blocks": 3, "filters": 16, "pooling": "average"}, "hidden": []}}"#)
        let conv = try #require(config.model.conv)
        #expect(conv.blocks == 3 && conv.filters == 16 && conv.filterGrowth == 2 && conv.kernelSize == WindowSize(3))
        #expect(conv.padding == .same && conv.pooling == .average && conv.poolSize == WindowSize(2) && conv.convsPerBlock == 1)
        #expect((0..<3).map(conv.filters(ofBlock:)) == [16, 32, 64])
        #expect(config.model.hidden.isEmpty)
        #expect(try roundTrip(config) == config)
    }

    @Test func transferAndClassSubsetRoundTrip() throws {
        let json = #"{"data": {"dataset": "fashion_mnist", "classes": [5, 6], "train_limit": 200}, "model": {"hidden": [300, 100], "loss": "binary_cross_entropy", "transfer": {"from": "runs/a.swm", "freeze_epochs": 4, "unfreeze_learning_rate": 0.0001}}}"#
        let config = try decodeConfig(TrialConfig.self, json)
        #expect(config.data.classSubset == [5, 6] && config.data.classCount == 2)
        #expect(config.model.transfer == TransferConfig(from: "runs/a.swm", freezeEpochs: 4, unfreezeLearningRate: 1e-4))
        #expect(try roundTrip(config) == config)
        #expect(TransferConfig(from: "x", unfreezeFactor: 0.1).rate(afterFreeze: 0.01) == 0.01 * 0.1)
        #expect(TransferConfig(from: "x", unfreezeLearningRate: 1e-4).rate(afterFreeze: 0.01) == 1e-4)
    }

    @Test func shapeErrorsNameTheField() throws {
        let kernel = try #require(failure(#"{\#(Self.fashion), "model": {"layers": [{"conv2d": {"filters": 8, "kernel_size": 5}}, {"max_pool": 4}, {"conv2d": {"filters": 8, "kernel_size": 7}}]}}"#))
        #expect(kernel.path == "model.layers.2.conv2d.kernel_size")
        #expect(kernel.message == "kernel 7x7 is larger than its 6x6 input (with 'valid' padding)")
        let pool = try #require(failure(#"{\#(Self.fashion), "model": {"layers": [{"max_pool": 8}, {"max_pool": 8}]}}"#))
        #expect(pool.path == "model.layers.1.max_pool")
        #expect(pool.message.contains("shrinks the 3x3 input to nothing"))
        let blocks = try #require(failure(#"{\#(Self.fashion), "model": {"conv": {"blocks": 6}}}"#))
        #expect(blocks.path == "model.conv.blocks")
        #expect(blocks.message.contains("6 blocks are too many"))
        let flat = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"conv": {"blocks": 1}}}"#))
        #expect(flat.path == "model.conv")
        #expect(flat.message.contains("Conv2D needs image input"))
    }

    @Test func fieldRulesOfTheNewSections() throws {
        let both = try #require(failure(#"{\#(Self.fashion), "model": {"layers": ["flatten"], "conv": {"blocks": 1}}}"#))
        #expect(both.path == "model.conv")
        let hidden = try #require(failure(#"{\#(Self.fashion), "model": {"layers": ["flatten"], "hidden": [10]}}"#))
        #expect(hidden.path == "model.hidden")
        let unknown = try #require(failure(#"{\#(Self.fashion), "model": {"layers": ["pool"]}}"#))
        #expect(unknown.path.hasPrefix("model.layers.") && unknown.path.hasSuffix("0"))
        #expect(unknown.message.hasPrefix("unknown layer 'pool'"))
        let two = try #require(failure(#"{\#(Self.fashion), "model": {"layers": [{"dense": 3, "flatten": {}}]}}"#))
        #expect(two.message.contains("names one kind"))
        let filters = try #require(failure(#"{\#(Self.fashion), "model": {"layers": [{"conv2d": {"kernel_size": 3}}]}}"#))
        #expect(filters.message.contains("needs 'filters'"))
        let kernel = try #require(failure(#"{\#(Self.fashion), "model": {"conv": {"kernel_size": 0}}}"#))
        #expect(kernel.path == "model.conv.kernel_size")
        let padding = try #require(failure(#"{\#(Self.fashion), "model": {"conv": {"padding": "full"}}}"#))
        #expect(padding.path == "model.conv.padding" && padding.message.hasPrefix("unknown padding 'full'; expected one of: valid, same"))
        let growth = try #require(failure(#"{\#(Self.fashion), "model": {"conv": {"filter_growth": 0.5}}}"#))
        #expect(growth.path == "model.conv.filter_growth")
        let emptyHidden = try #require(failure(#"{\#(Self.fashion), "model": {"hidden": []}}"#))
        #expect(emptyHidden.path == "model.hidden")
        let rate = try #require(failure(#"{\#(Self.fashion), "model": {"transfer": {"from": "a", "unfreeze_learning_rate": 0.1, "unfreeze_factor": 0.1}}}"#))
        #expect(rate.path == "model.transfer.unfreeze_factor")
        let from = try #require(failure(#"{\#(Self.fashion), "model": {"transfer": {"freeze_epochs": 2}}}"#))
        #expect(from.message.contains("needs 'from'"))
        let freeze = try #require(failure(#"{\#(Self.fashion), "model": {"transfer": {"from": "a", "freeze_epochs": -1}}}"#))
        #expect(freeze.path == "model.transfer.freeze_epochs")
    }

    @Test func classSubsetRules() throws {
        let one = try #require(failure(#"{"data": {"dataset": "fashion_mnist", "classes": [3]}}"#))
        #expect(one.path == "data.classes" && one.message.contains("at least two"))
        let range = try #require(failure(#"{"data": {"dataset": "fashion_mnist", "classes": [3, 10]}}"#))
        #expect(range.message == "class labels are 0-9, got 10")
        let twice = try #require(failure(#"{"data": {"dataset": "fashion_mnist", "classes": [3, 3]}}"#))
        #expect(twice.message.contains("distinct"))
        let count = try #require(failure(#"{"data": {"dataset": "fashion_mnist", "classes": 3}}"#))
        #expect(count.message.contains("list of class labels"))
        // blobs keep their integer class count.
        #expect(try decodeConfig(TrialConfig.self, #"{"data": {"dataset": "blobs", "classes": 4}}"#).data.classCount == 4)
        // A two-class subset allows binary cross-entropy.
        #expect(try decodeConfig(TrialConfig.self, #"{"data": {"dataset": "fashion_mnist", "classes": [5, 6]}, "model": {"loss": "binary_cross_entropy"}}"#).model.loss == .binaryCrossEntropy)
    }

    @Test func codingKeysOfNewTypesAreCaseIterable() {
        #expect(ConvBlocksConfig.CodingKeys.allCases.count == 11)
        #expect(TransferConfig.CodingKeys.allCases.map(\.stringValue) == ["from", "reuse_layers", "freeze_epochs", "unfreeze_learning_rate", "unfreeze_factor"])
        #expect(LayerSpec.CodingKeys.allCases.map(\.stringValue) == ["conv2d", "max_pool", "average_pool", "flatten", "dense", "batch_norm", "dropout", "activation"])
        #expect(Conv2DSpec.CodingKeys.allCases.count == 6 && PoolSpec.CodingKeys.allCases.count == 3 && DenseSpec.CodingKeys.allCases.count == 3)
    }
}
