import Foundation
import Testing
@testable import Training

@Suite("Configuration validation")
struct ConfigValidationTests {
    /// Decodes `json` as a TrialConfig and returns the failure's path and message.
    func failure(_ json: String) -> (path: String, message: String)? {
        decodingFailure { _ = try decodeConfig(TrialConfig.self, json) }
    }

    @Test func unknownOptimizerListsChoices() throws {
        let f = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"optimizer": {"name": "adamx"}}}"#))
        #expect(f.path == "training.optimizer.name")
        #expect(f.message == "unknown optimizer 'adamx'; expected one of: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamax, nadam, adamw")
        let short = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"optimizer": "adamx"}}"#))
        #expect(short.path == "training.optimizer")
        #expect(short.message.hasPrefix("unknown optimizer 'adamx'"))
    }

    @Test func optionOfAnotherOptimizerIsRejected() throws {
        let f = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"optimizer": {"name": "adam", "momentum": 0.9}}}"#))
        #expect(f.path == "training.optimizer.momentum")
        #expect(f.message.contains("'momentum' does not apply to optimizer 'adam'"))
        let sgd = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"optimizer": {"name": "sgd", "beta1": 0.9}}}"#))
        #expect(sgd.path == "training.optimizer.beta1")
        let decay = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"optimizer": {"name": "adam", "schedule_decay": 1}}}"#))
        #expect(decay.path == "training.optimizer.schedule_decay")
    }

    @Test func optionOfAnotherScheduleIsRejected() throws {
        let f = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"schedule": {"name": "onecycle", "max_lr": 0.1, "decay_steps": 5}}}"#))
        #expect(f.path == "training.schedule.decay_steps")
        #expect(f.message.contains("does not apply to schedule 'onecycle'"))
    }

    @Test func missingRequiredScheduleOptions() throws {
        let power = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"schedule": {"name": "power"}}}"#))
        #expect(power.message.contains("needs decay_steps"))
        let piecewise = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"schedule": {"name": "piecewise", "boundaries": [5], "values": [0.1]}}}"#))
        #expect(piecewise.path == "training.schedule.values")
        let order = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"schedule": {"name": "piecewise", "boundaries": [5, 5], "values": [0.1, 0.2, 0.3]}}}"#))
        #expect(order.path == "training.schedule.boundaries")
        let both = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"schedule": {"name": "exponential", "decay_steps": 5, "decay_epochs": 2}}}"#))
        #expect(both.message.contains("either decay_steps or decay_epochs"))
    }

    @Test func numericRangesNameTheField() throws {
        let rate = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"optimizer": {"name": "sgd", "learning_rate": -0.1}}}"#))
        #expect(rate.path == "training.optimizer.learning_rate")
        #expect(rate.message == "must be > 0, got -0.1")
        let dropout = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"dropout": 1.0}}"#))
        #expect(dropout.path == "model.dropout")
        #expect(dropout.message == "must be in [0, 1), got 1.0")
        let epochs = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"epochs": 0}}"#))
        #expect(epochs.path == "training.epochs")
        let l2 = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"l2": -1}}"#))
        #expect(l2.path == "model.l2")
        let maxNorm = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"max_norm": 0}}"#))
        #expect(maxNorm.path == "model.max_norm")
    }

    @Test func hiddenLayersMustBeNonEmptyAndPositive() throws {
        let empty = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"hidden": []}}"#))
        #expect(empty.path == "model.hidden")
        #expect(empty.message.contains("at least one hidden layer"))
        let zero = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"hidden": [10, 0]}}"#))
        #expect(zero.path == "model.hidden")
        let layers = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"hidden": {"layers": 0, "units": 5}}}"#))
        #expect(layers.path == "model.hidden.layers")
    }

    @Test func activationAndInitializerErrors() throws {
        let unknown = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"activation": "gelu"}}"#))
        #expect(unknown.path == "model.activation")
        #expect(unknown.message.hasPrefix("unknown activation 'gelu'; expected one of: sigmoid, tanh, relu"))
        let alpha = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"activation": {"name": "relu", "alpha": 0.1}}}"#))
        #expect(alpha.path == "model.activation.alpha")
        let preset = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"initializer": {"name": "he_normal", "scale": 3}}}"#))
        #expect(preset.path == "model.initializer.scale")
        let scale = try #require(failure(#"{"data": {"dataset": "moons"}, "model": {"initializer": {"name": "variance_scaling", "scale": 0}}}"#))
        #expect(scale.path == "model.initializer.scale")
        #expect(scale.message == "must be > 0, got 0.0")
    }

    @Test func dataFieldsOfOtherDatasetsAreRejected() throws {
        let samples = try #require(failure(#"{"data": {"dataset": "fashion_mnist", "samples": 10}}"#))
        #expect(samples.path == "data.samples")
        let path = try #require(failure(#"{"data": {"dataset": "moons", "path": "/tmp"}}"#))
        #expect(path.path == "data.path")
        let classes = try #require(failure(#"{"data": {"dataset": "xor", "classes": 3}}"#))
        #expect(classes.path == "data.classes")
        let missing = try #require(failure(#"{"data": {}}"#))
        #expect(missing.message.contains("'dataset' is required"))
    }

    @Test func crossSectionRules() throws {
        let bce = try #require(failure(#"{"data": {"dataset": "fashion_mnist"}, "model": {"loss": "binary_cross_entropy"}}"#))
        #expect(bce.path == "model")
        #expect(bce.message.contains("two-class"))
        let noValidation = try #require(failure(#"{"data": {"dataset": "moons", "validation": 0}, "training": {"early_stopping": {"monitor": "val_loss"}}}"#))
        #expect(noValidation.path == "training")
        let f1 = try #require(failure(#"{"data": {"dataset": "fashion_mnist"}, "training": {"early_stopping": {"monitor": "val_f1"}}}"#))
        #expect(f1.message.contains("two-class"))
    }

    @Test func clipNeedsExactlyOneKind() throws {
        let two = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"clip": {"value": 1, "norm": 1}}}"#))
        #expect(two.message.contains("exactly one"))
        let negative = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"clip": {"norm": -1}}}"#))
        #expect(negative.path == "training.clip.norm")
    }

    @Test func unknownFieldsAreRejectedWhenAsked() throws {
        let f = try #require(failure(#"{"data": {"dataset": "moons"}, "training": {"epochz": 3}}"#))
        #expect(f.path == "training.epochz")
        #expect(f.message.hasPrefix("unknown field 'epochz'; expected one of: epochs, batch_size"))
        // Without the flag JSONDecoder ignores it (the strict YAML decoder rejects it itself).
        #expect(throws: Never.self) {
            _ = try decodeConfig(TrialConfig.self, #"{"data": {"dataset": "moons"}, "training": {"epochz": 3}}"#, strict: false)
        }
    }

    @Test func trainerRejectsInvalidProgrammaticConfig() throws {
        var config = smallTrial()
        config.model.dropout = 1.5
        let dataset = try DatasetLoader.load(config.data)
        #expect(throws: TrainingError.self) { _ = try Trainer(config: config, dataset: dataset) }
        do {
            _ = try Trainer(config: config, dataset: dataset)
        } catch let error as TrainingError {
            #expect(error.description.contains("model.dropout"))
        }
    }
}
