import Foundation
import Testing
@testable import Training

@Suite("Learning-rate schedules")
struct ScheduleTests {
    func schedule(_ config: ScheduleConfig, lr0: Double = 0.01, stepsPerEpoch: Int = 100, epochs: Int = 30) -> LearningRateSchedule {
        LearningRateSchedule(config, baseLearningRate: lr0, stepsPerEpoch: stepsPerEpoch, epochs: epochs)
    }

    @Test func constant() {
        let s = schedule(.constant)
        #expect(s.learningRate(step: 0) == 0.01 && s.learningRate(step: 2999) == 0.01)
        #expect(s.momentum(step: 5) == nil)
    }

    @Test func power() {
        // lr0 / (1 + t/s)^c: Keras decay 1e-4 == s = 10,000.
        let s = schedule(ScheduleConfig(.power, decaySteps: 10_000))
        #expect(s.learningRate(step: 0) == 0.01)
        #expect(close(s.learningRate(step: 10_000), 0.005))
        #expect(close(s.learningRate(step: 30_000), 0.0025))
        let squared = schedule(ScheduleConfig(.power, decaySteps: 100, power: 2))
        #expect(close(squared.learningRate(step: 100), 0.0025))
    }

    @Test func exponentialPerEpoch() {
        // Géron: lr0 = 0.01, s = 20 epochs, evaluated at epoch starts.
        let s = schedule(ScheduleConfig(.exponential, decayEpochs: 20))
        #expect(s.learningRate(step: 0) == 0.01)
        #expect(s.learningRate(step: 99) == 0.01)  // constant within epoch 0
        #expect(close(s.learningRate(step: 100), 0.01 * pow(0.1, 1.0 / 20)))
        #expect(close(s.learningRate(step: 2000), 0.001))
        #expect(close(s.learningRate(step: 1000), 0.01 * pow(0.1, 0.5)))
    }

    @Test func exponentialPerStepAndStaircase() {
        let smooth = schedule(ScheduleConfig(.exponential, decaySteps: 1000, decayRate: 0.5))
        #expect(close(smooth.learningRate(step: 500), 0.01 * pow(0.5, 0.5)))
        let stairs = schedule(ScheduleConfig(.exponential, decaySteps: 1000, decayRate: 0.5, staircase: true))
        #expect(stairs.learningRate(step: 999) == 0.01)
        #expect(close(stairs.learningRate(step: 1000), 0.005))
    }

    @Test func piecewiseConstant() {
        // 0.01 until epoch 5, 0.005 until 15, then 0.001.
        let s = schedule(ScheduleConfig(.piecewise, boundaries: [5, 15], values: [0.01, 0.005, 0.001]))
        #expect(s.learningRate(step: 499) == 0.01)
        #expect(s.learningRate(step: 500) == 0.005)
        #expect(s.learningRate(step: 1499) == 0.005)
        #expect(s.learningRate(step: 1500) == 0.001)
        #expect(s.learningRate(step: 2999) == 0.001)
    }

    @Test func linear() {
        let s = schedule(ScheduleConfig(.linear, decayEpochs: 10, finalLR: 0.001))
        #expect(s.learningRate(step: 0) == 0.01)
        #expect(close(s.learningRate(step: 500), 0.5 * 0.01 + 0.5 * 0.001))
        #expect(close(s.learningRate(step: 1000), 0.001))
        #expect(close(s.learningRate(step: 2500), 0.001))
    }

    @Test func oneCycleRateAndMomentum() {
        // 10 epochs of 100 steps: 100 annealing steps, halves of 450.
        let s = schedule(ScheduleConfig(.oneCycle, maxLR: 0.05), lr0: 0.001, stepsPerEpoch: 100, epochs: 10)
        #expect(s.oneCyclePhases.half == 450 && s.oneCyclePhases.annealing == 100)
        #expect(close(s.learningRate(step: 0), 0.005))
        #expect(close(s.learningRate(step: 225), 0.0275))
        #expect(close(s.learningRate(step: 450), 0.05))
        #expect(close(s.learningRate(step: 675), 0.0275))
        #expect(close(s.learningRate(step: 900), 0.005))
        #expect(close(s.learningRate(step: 950), 0.005 + (0.000005 - 0.005) * 0.5))
        #expect(close(s.momentum(step: 0)!, 0.95))
        #expect(close(s.momentum(step: 225)!, 0.90))
        #expect(close(s.momentum(step: 450)!, 0.85))
        #expect(close(s.momentum(step: 675)!, 0.90))
        #expect(close(s.momentum(step: 900)!, 0.95))
        #expect(close(s.momentum(step: 990)!, 0.95))
    }

    @Test func plateauReducesAfterPatience() {
        let s = schedule(ScheduleConfig(.plateau, factor: 0.5, patience: 2, minLR: 0.003, minDelta: 0))
        var state = LearningRateSchedule.State()
        state = s.afterEpoch(state, metrics: ["val_loss": 1.0])
        state = s.afterEpoch(state, metrics: ["val_loss": 0.9])  // improves
        #expect(s.learningRate(step: 200, state: state) == 0.01 && state.wait == 0)
        state = s.afterEpoch(state, metrics: ["val_loss": 0.95])
        #expect(state.wait == 1 && s.learningRate(step: 300, state: state) == 0.01)
        state = s.afterEpoch(state, metrics: ["val_loss": 0.92])  // second epoch without improvement
        #expect(close(s.learningRate(step: 400, state: state), 0.005) && state.wait == 0)
        state = s.afterEpoch(state, metrics: ["val_loss": 0.93])
        state = s.afterEpoch(state, metrics: ["val_loss": 0.93])
        #expect(close(s.learningRate(step: 600, state: state), 0.003))  // floored at min_lr
        // The state is all it needs: the same (step, state) gives the same rate.
        #expect(s.learningRate(step: 600, state: try! roundTrip(state)) == s.learningRate(step: 600, state: state))
    }

    @Test func plateauOnAccuracyWantsIncreases() {
        let s = schedule(ScheduleConfig(.plateau, factor: 0.1, patience: 1, monitor: .valAccuracy))
        var state = s.afterEpoch(.init(), metrics: ["val_accuracy": 0.8])
        state = s.afterEpoch(state, metrics: ["val_accuracy": 0.85])
        #expect(state.scale == 1)
        state = s.afterEpoch(state, metrics: ["val_accuracy": 0.84])
        #expect(close(state.scale, 0.1))
    }

    @Test func trainerFollowsTheSchedule() throws {
        var config = smallTrial(optimizer: OptimizerConfig(.sgd, learningRate: 0.1), epochs: 3, batchSize: 50)
        config.training.schedule = ScheduleConfig(.piecewise, boundaries: [1, 2], values: [0.1, 0.05, 0.01])
        let trainer = try Trainer(config: config, dataset: try DatasetLoader.load(config.data))
        let result = try trainer.fit { _ in .proceed }
        #expect(result.epochs.map { $0.metrics["lr"]! } == [0.1, 0.05, 0.01])
    }
}
