import Foundation
import Randomness
import Testing
@testable import Search

/// Parameter importance on synthetic studies whose answer is known.
@Suite struct ImportanceTests {
    static let space = try! SearchSpace([
        Parameter(name: "lr", distribution: .logUniform(low: 1e-5, high: 1e-1)),
        Parameter(name: "dropout", distribution: .uniform(low: 0, high: 0.5, step: nil)),
        Parameter(name: "layers", distribution: .int(low: 1, high: 6, step: 1)),
        Parameter(name: "activation", distribution: .categorical([.string("relu"), .string("elu"), .string("selu")])),
    ])

    /// `n` uniformly random trials of `space` with objective `f(params) + noise * N(0, 1)`.
    static func study(_ n: Int, seed: UInt64, noise: Double, space: SearchSpace = space,
                      _ f: (Params) -> Double) -> [ImportanceObservation] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in
            let params = space.assign { _, p, _ in uniformValue(Axis(p.distribution), u: rng.nextDouble()) }
            return ImportanceObservation(params: params, value: f(params) + noise * rng.nextNormal())
        }
    }

    static func number(_ p: Params, _ name: String) -> Double { p[name]?.number ?? .nan }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func oneDrivingParameterRanksFirstAndNoiseStaysNearZero(seed: UInt64) {
        // lr drives the objective (non-monotone, in log space); the rest is noise.
        let obs = Self.study(60, seed: seed, noise: 0.1) { p in pow(log10(Self.number(p, "lr")) + 3, 2) }
        let result = ImportanceAnalysis.compute(space: Self.space, observations: obs)
        #expect(result.map(\.name).first == "lr", "\(result)")
        #expect(result[0].share > 0.6, "\(result)")
        for r in result.dropFirst() { #expect(r.explained < 0.15, "\(r)") }
        #expect(abs(result.reduce(0) { $0 + $1.share } - 1) < 1e-9)
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func twoDrivingParametersRankInTheirKnownOrder(seed: UInt64) {
        // dropout moves the objective three times as much as layers; lr and activation are noise.
        let obs = Self.study(200, seed: seed, noise: 0.05) { p in
            3 * Self.number(p, "dropout") / 0.5 + 1 * (Self.number(p, "layers") - 1) / 5
        }
        let result = ImportanceAnalysis.compute(space: Self.space, observations: obs)
        #expect(Array(result.map(\.name).prefix(2)) == ["dropout", "layers"], "\(result)")
        #expect(result[0].explained > 2 * result[1].explained, "\(result)")
        #expect(result[1].explained > 2 * max(result[2].explained, 0.01), "\(result)")
    }

    @Test func aCategoricalDriverRanksFirst() {
        let offsets = ["relu": 0.0, "elu": 1.0, "selu": 2.5]
        let obs = Self.study(80, seed: 21, noise: 0.3) { p in
            if case .string(let a)? = p["activation"] { return offsets[a]! }
            return .nan
        }
        let result = ImportanceAnalysis.compute(space: Self.space, observations: obs)
        #expect(result.first?.name == "activation", "\(result)")
        #expect(result.first?.bins == 3)
    }

    @Test func aConditionalParameterCountsOnlyWhereActive() throws {
        let space = try SearchSpace([
            Parameter(name: "optimizer", distribution: .categorical([.string("sgd"), .string("adam")])),
            Parameter(name: "momentum", distribution: .uniform(low: 0, high: 1, step: nil),
                      condition: Condition(parent: "optimizer", values: [.string("sgd")])),
            Parameter(name: "noise", distribution: .uniform(low: 0, high: 1, step: nil)),
        ])
        // Within sgd trials, momentum decides everything; adam trials are all middling.
        let obs = Self.study(120, seed: 31, noise: 0.01, space: space) { p in
            p["momentum"].map { 4 * ($0.number! - 0.5) } ?? 0
        }
        let result = ImportanceAnalysis.compute(space: space, observations: obs)
        #expect(result.first?.name == "momentum", "\(result)")
        let momentum = try #require(result.first { $0.name == "momentum" })
        #expect(momentum.activeTrials == obs.filter { $0.params["momentum"] != nil }.count)
        #expect(momentum.activeTrials < obs.count)
        #expect(result.last?.name == "noise", "\(result)")
    }

    @Test func pureNoiseAndConstantObjectivesExplainLittle() {
        let noise = ImportanceAnalysis.compute(space: Self.space, observations: Self.study(150, seed: 41, noise: 1) { _ in 0 })
        #expect(noise.count == 4)
        #expect(noise.allSatisfy { $0.explained < 0.1 }, "\(noise)")
        let constant = ImportanceAnalysis.compute(space: Self.space, observations: Self.study(20, seed: 42, noise: 0) { _ in 1 })
        #expect(constant.allSatisfy { $0.explained == 0 && $0.share == 0 })
        #expect(ImportanceAnalysis.compute(space: Self.space, observations: []).isEmpty)
    }

    @Test func oneDivergedTrialDoesNotDecideTheRanking() {
        var obs = Self.study(60, seed: 51, noise: 0.05) { p in Self.number(p, "dropout") }
        // A huge outlier at an arbitrary lr: with raw values it would dominate lr's bins.
        obs[0].value = 1e12
        let result = ImportanceAnalysis.compute(space: Self.space, observations: obs)
        #expect(result.first?.name == "dropout", "\(result)")
    }

    @Test func ranksShareTiesAndBinsNeverSplitTies() {
        #expect(ImportanceAnalysis.averageRanks([3, 1, 3, 2]) == [3.5, 1, 3.5, 2])
        let bins = ImportanceAnalysis.binIndices([1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9], isCategorical: false)
        #expect(Set(bins.prefix(4)).count == 1)
        #expect(bins == bins.sorted())
    }
}
