import Foundation
import Testing
@testable import Training

/// The full example of the configuration contract (the YAML of docs/training.md as JSON).
let fullExample = """
{
  "seed": 42,
  "data": {"dataset": "fashion_mnist", "path": "/usr/share/datasets/fashion-mnist", "validation": 5000,
           "train_limit": 10000, "validation_limit": 2000, "test_limit": 2000, "scaling": "unit"},
  "model": {"hidden": [300, 100], "activation": "relu", "initializer": "he_normal", "batch_norm": "none",
            "input_batch_norm": false, "dropout": 0.0, "dropout_kind": "standard", "input_dropout": 0.0,
            "l1": 0.0, "l2": 0.0, "max_norm": null, "loss": "cross_entropy"},
  "training": {"epochs": 10, "batch_size": 32, "shuffle": true,
               "optimizer": {"name": "adam", "learning_rate": 0.001}, "schedule": {"name": "constant"},
               "clip": null, "early_stopping": null, "mc_dropout_samples": 0}
}
"""

@Suite("Configuration decoding")
struct ConfigDecodingTests {
    @Test func fullExampleDecodes() throws {
        let config = try decodeConfig(TrialConfig.self, fullExample)
        #expect(config.seed == 42)
        #expect(config.data.dataset == .fashionMNIST)
        #expect(config.data.trainLimit == 10000)
        #expect(config.data.resolvedScaling == .unit)
        #expect(config.model.hidden == [300, 100])
        #expect(config.model.initializer == .heNormal)
        #expect(config.model.maxNorm == nil)
        #expect(config.training.optimizer.name == .adam)
        #expect(config.training.optimizer.resolvedLearningRate == 0.001)
        #expect(config.training.clip == nil)
    }

    @Test func minimalConfigTakesDefaults() throws {
        let config = try decodeConfig(TrialConfig.self, #"{"data": {"dataset": "moons"}}"#)
        #expect(config.seed == 0)
        #expect(config.model.hidden == [300, 100])
        #expect(config.model.activation == .relu)
        #expect(config.model.initializer == .heNormal)  // recommended for ReLU
        #expect(config.training.epochs == 10)
        #expect(config.training.batchSize == 32)
        #expect(config.training.optimizer.name == .adam)
        #expect(config.training.schedule.name == .constant)
        #expect(config.data.resolvedScaling == Scaling.none)
        #expect(config.data.resolvedValidation == 200)  // samples 1000 / 5
    }

    @Test func initializerDefaultFollowsActivation() throws {
        let selu = try decodeConfig(ModelConfig.self, #"{"activation": "selu"}"#)
        #expect(selu.initializer == .lecunNormal)
        let tanh = try decodeConfig(ModelConfig.self, #"{"activation": "tanh"}"#)
        #expect(tanh.initializer == .glorotUniform)
    }

    @Test func shorthandAndMappingForms() throws {
        let model = try decodeConfig(ModelConfig.self, """
            {"hidden": {"layers": 3, "units": 128}, "activation": {"name": "leaky_relu", "alpha": 0.2},
             "initializer": {"name": "variance_scaling", "scale": 2.0, "mode": "fan_avg", "distribution": "uniform"}}
            """)
        #expect(model.hidden == [128, 128, 128])
        #expect(model.activation == .leakyReLU(alpha: 0.2))
        #expect(model.initializer == Initializer(scale: 2, mode: .fanAvg, distribution: .uniform))
        let training = try decodeConfig(TrainingConfig.self, #"{"optimizer": "nadam", "schedule": "constant"}"#)
        #expect(training.optimizer == OptimizerConfig(.nadam))
        let rrelu = try decodeConfig(Activation.self, #"{"name": "rrelu"}"#)
        #expect(rrelu == .rrelu(lower: 1.0 / 8, upper: 1.0 / 3))
    }

    @Test func schedulesClipAndEarlyStopping() throws {
        let training = try decodeConfig(TrainingConfig.self, """
            {"optimizer": {"name": "momentum", "learning_rate": 0.02, "momentum": 0.9},
             "schedule": {"name": "onecycle", "max_lr": 0.05},
             "clip": {"global_norm": 1.0},
             "early_stopping": {"monitor": "val_accuracy", "patience": 3}}
            """)
        #expect(training.schedule.resolvedInitialLR == 0.005)
        #expect(close(training.schedule.resolvedFinalLR, 0.000005))
        #expect(training.clip == .globalNorm(1))
        #expect(training.earlyStopping == EarlyStoppingConfig(monitor: .valAccuracy, patience: 3, minDelta: 0, restoreBest: true))
    }

    @Test(arguments: [
        #"{"data": {"dataset": "moons", "samples": 300, "noise": 0.2, "seed": 3}, "model": {"hidden": [4, 3], "activation": {"name": "prelu", "alpha": 0.1}, "batch_norm": "before", "dropout": 0.2, "dropout_kind": "alpha", "max_norm": 2.5, "loss": "hinge"}}"#,
        #"{"seed": 18446744073709551615, "data": {"dataset": "blobs", "classes": 4}, "model": {"activation": "selu", "initializer": {"name": "variance_scaling", "scale": 1.5, "mode": "fan_out", "distribution": "untruncated_normal"}, "input_batch_norm": true, "l1": 0.001, "l2": 0.01, "use_bias": false}, "training": {"optimizer": {"name": "rmsprop", "rho": 0.95, "momentum": 0.5}, "schedule": {"name": "piecewise", "boundaries": [5, 15], "values": [0.01, 0.005, 0.001]}, "clip": {"value": 0.5}, "mc_dropout_samples": 10}}"#,
        #"{"data": {"dataset": "fashion_mnist", "scaling": "standardize"}, "training": {"optimizer": {"name": "adamw", "weight_decay": 0.01}, "schedule": {"name": "exponential", "decay_epochs": 20, "staircase": true}, "early_stopping": {"monitor": "val_loss", "patience": 0, "min_delta": 0.001, "restore_best": false}}}"#,
        #"{"data": {"dataset": "spirals"}, "model": {"activation": {"name": "elu", "alpha": 0.5}}, "training": {"optimizer": {"name": "adagrad", "initial_accumulator": 0.2}, "schedule": {"name": "plateau", "factor": 0.5, "patience": 5, "monitor": "val_f1"}}}"#,
        #"{"data": {"dataset": "xor"}, "training": {"optimizer": "sgd", "schedule": {"name": "linear", "final_lr": 0.0001, "decay_steps": 500}, "clip": {"norm": 1}}}"#,
        #"{"data": {"dataset": "invert_bits"}, "model": {"loss": "binary_cross_entropy", "activation": {"name": "rrelu", "lower": 0.1, "upper": 0.2}}, "training": {"optimizer": {"name": "nesterov", "momentum": 0.95}, "schedule": {"name": "power", "decay_steps": 10000, "power": 2}}}"#,
        #"{"data": {"dataset": "moons"}, "training": {"optimizer": {"name": "nadam", "schedule_decay": 1, "beta2": 0.99}}}"#,
    ])
    func encodeDecodeRoundTrip(json: String) throws {
        let config = try decodeConfig(TrialConfig.self, json)
        let again = try roundTrip(config)
        #expect(again == config)
        // The encoded form is itself strict-valid (no field the decoder would reject).
        let text = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(try decodeConfig(TrialConfig.self, text) == config)
    }

    @Test func programmaticConfigRoundTrips() throws {
        var config = TrialConfig(seed: 9, data: DataConfig(dataset: .moons))
        config.model = ModelConfig(hidden: [5], activation: .swish, batchNorm: .after, dropout: 0.1, l2: 1e-4, maxNorm: 3)
        config.training = TrainingConfig(
            epochs: 4, optimizer: OptimizerConfig(.adamax, beta2: 0.99),
            schedule: ScheduleConfig(.oneCycle, maxLR: 0.1, annealingFraction: 0.2), clip: .norm(2),
            earlyStopping: EarlyStoppingConfig(patience: 2))
        #expect(try roundTrip(config) == config)
        #expect(try config.validated() == config)
    }

    @Test func codingKeysAreCaseIterable() {
        #expect(TrialConfig.CodingKeys.allCases.map(\.stringValue) == ["seed", "data", "model", "training"])
        #expect(ModelConfig.CodingKeys.allCases.contains { $0.stringValue == "input_batch_norm" })
        #expect(TrainingConfig.CodingKeys.allCases.contains { $0.stringValue == "mc_dropout_samples" })
        #expect(ScheduleConfig.CodingKeys.allCases.contains { $0.stringValue == "annealing_fraction" })
    }
}
